from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", case_sensitive=False)
    config_section = "GATEWAY"
    database_file = "gateway.db"

    rpc_timeout: float = 5.0  # deadline (seconds) for every RPC to another service
    health_timeout: float = 2.0  # deadline for each service's health() answer
    session_ttl_days: int = 30
    max_body_bytes: int = 1_048_576
