from pathlib import Path

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from shared.retention import RetentionSettings


class CatalogSettings(RetentionSettings):
    """The catalog's settings: the CATALOG section of the nameko config, then CATALOG_* env vars
    (the outbox's retention, CATALOG_RETENTION_*: shared.retention.RetentionSettings)."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore", case_sensitive=False)
    config_section = "CATALOG"
    database_file = "catalog.db"  # default url: sqlite:///var/catalog.db

    # Product photos and logos (CATALOG_MEDIA_ROOT); default <var_dir>/media. The gateway
    # serves the same directory (GATEWAY_MEDIA_ROOT).
    media_root: Path | None = None
    # Seconds between two checks for expired halal certificates (CATALOG_HALAL_CHECK_INTERVAL).
    halal_check_interval: float = 60.0
    # Seconds between two prunings of idempotency keys older than 24 hours
    # (CATALOG_IDEMPOTENCY_PRUNE_INTERVAL).
    idempotency_prune_interval: float = 600.0

    @model_validator(mode="after")
    def _default_media_root(self):
        if self.media_root is None:
            self.media_root = self.var_dir / "media"
        return self
