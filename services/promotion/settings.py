from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class PromotionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROMOTION_", extra="ignore", case_sensitive=False)
    config_section = "PROMOTION"
    database_file = "promotion.db"
