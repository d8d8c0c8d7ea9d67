"""Settings of the search service (section ``SEARCH`` of the nameko config, env ``SEARCH_*``)."""
from typing import ClassVar, Literal

from pydantic_settings import SettingsConfigDict

from shared.retention import RetentionSettings


class SearchSettings(RetentionSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore", case_sensitive=False)
    config_section: ClassVar[str] = "SEARCH"
    database_file: ClassVar[str] = "search.db"

    # "embedded" needs no server (one machine, tests); "elasticsearch" for a province or more.
    engine: Literal["embedded", "elasticsearch"] = "embedded"
    elasticsearch_url: str = ""
    elasticsearch_index: str = "etalase-products"
