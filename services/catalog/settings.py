from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    """The catalog's settings: the CATALOG section of the nameko config, then CATALOG_* env vars."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore", case_sensitive=False)
    config_section = "CATALOG"
    database_file = "catalog.db"  # default url: sqlite:///var/catalog.db
