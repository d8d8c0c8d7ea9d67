"""Settings of the search service (section ``SEARCH`` of the nameko config, env ``SEARCH_*``)."""
from typing import ClassVar, Literal

from pydantic import Field
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
    # Primary shards of a new index (fixed for its life: a change takes `etalase search
    # reindex`) and replicas of each (applied to the live index at start). One shard holds a
    # province's products; a replica needs a second node (on one node the index stays yellow).
    elasticsearch_shards: int = Field(default=1, ge=1, le=1024)
    elasticsearch_replicas: int = Field(default=1, ge=0, le=16)
