import ipaddress
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

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
    # Proxies whose X-Forwarded-For names the client, for throttling by address
    # (GATEWAY_TRUSTED_PROXIES: addresses or networks, comma-separated, e.g. 10.0.0.0/8).
    # Empty: the socket peer is the client. docker-compose.yml's proxy sets it: without it
    # every client would share the proxy's address, and one's failed sign-ins lock all out.
    # (NoDecode: the variable is a comma-separated list, not JSON)
    trusted_proxies: Annotated[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], NoDecode] = ()
    # Idempotency-Key: how long a request in progress holds its key (longer than any RPC
    # deadline; a gateway that died mid-request lets go after it), and seconds between two
    # prunings of the responses kept past 24 hours.
    idempotency_lock_seconds: float = 60.0
    idempotency_prune_interval: float = 600.0

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        networks = []
        for part in value:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"GATEWAY_TRUSTED_PROXIES: {part!r} is not an address or network "
                                 "(e.g. 10.0.0.5 or 172.16.0.0/12)") from None
        return tuple(networks)

    @model_validator(mode="after")
    def _default_media_root(self):
        if self.media_root is None:
            self.media_root = self.var_dir / "media"
        return self
