from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", case_sensitive=False)
    config_section = "GATEWAY"
    database_file = "gateway.db"

    rpc_timeout: float = 5.0  # deadline (seconds) for every RPC to another service
    health_timeout: float = 2.0  # deadline for each service's health() answer
    # deadline of promotion.pricing_for on the product page: past it the product answers with
    # "pricing": null rather than waiting (GATEWAY_PRICING_TIMEOUT)
    pricing_timeout: float = 0.5
    session_ttl_days: int = 30
    max_body_bytes: int = 1_048_576
    # Photos: the catalog writes them under its media root, the gateway serves the same
    # directory at /media/ (GATEWAY_MEDIA_ROOT; default <var_dir>/media).
    media_root: Path | None = None
    photo_rpc_timeout: float = 20.0  # deadline of an upload: the catalog decodes and resizes
    # Load shedding (503 with Retry-After, at once, instead of a 504 after the deadline):
    # requests inside the gateway at one time, running or waiting for a worker
    # (GATEWAY_MAX_PENDING_REQUESTS), and requests waiting in a service's RPC queue past which
    # the gateway stops asking it (GATEWAY_RPC_QUEUE_LIMIT). 0 switches either off.
    max_pending_requests: int = Field(default=100, ge=0)
    rpc_queue_limit: int = Field(default=100, ge=0)
    # The file where `etalase run` records each service's restarts, shown by /health
    # (shared/supervisor_status.py); unset when nothing supervises the services here.
    supervisor_status: Path | None = Field(
        default=None, validation_alias=AliasChoices("ETALASE_SUPERVISOR_STATUS", "supervisor_status")
    )
    # This process's name when `etalase run` starts several gateways (ETALASE_REPLICA, e.g.
    # gateway-2; services/replicas.py): /health says which one answered.
    replica: str | None = Field(default=None, validation_alias=AliasChoices("ETALASE_REPLICA", "replica"))
    # Idempotency-Key: how long a request in progress holds its key (longer than any RPC
    # deadline; a gateway that died mid-request lets go after it), and seconds between two
    # prunings of the responses kept past 24 hours.
    idempotency_lock_seconds: float = 60.0
    idempotency_prune_interval: float = 600.0

    @model_validator(mode="after")
    def _default_media_root(self):
        if self.media_root is None:
            self.media_root = self.var_dir / "media"
        return self
