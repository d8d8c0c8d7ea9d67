from pydantic_settings import SettingsConfigDict

from shared.retention import RetentionSettings


class PromotionSettings(RetentionSettings):
    model_config = SettingsConfigDict(env_prefix="PROMOTION_", extra="ignore", case_sensitive=False)
    config_section = "PROMOTION"
    database_file = "promotion.db"

    # Seconds between two runs of the campaign timer (starts and ends take effect within it).
    campaign_tick: float = 1.0
    # Seconds one rotation of the home page's featured slots lasts.
    featured_rotation_seconds: int = 3600
    # Seconds between two prunings of idempotency keys older than 24 hours
    # (PROMOTION_IDEMPOTENCY_PRUNE_INTERVAL).
    idempotency_prune_interval: float = 600.0
