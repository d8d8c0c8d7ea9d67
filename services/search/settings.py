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
    # The embedded engine's change log (changes.py): every replica of the search service on
    # one store follows it, so each shows what the others indexed. Off for one replica (it
    # costs ~5 % of a batch's store write, docs/decisions/search-replicas.md); every replica
    # of a store must have it on as soon as there are two (one that does not log hides its
    # changes from the others).
    change_log: bool = False
    # Seconds between two reads of the log (one indexed query when nothing changed): how
    # long a change indexed by one replica takes at most to show on the others.
    follow_interval: float = Field(default=0.2, gt=0, le=60)
    # Log rows kept (one per writing transaction, a batch of up to 200 events). Only a running
    # replica that fell behind (the database away for a while) reads old rows: a start loads the
    # whole store anyway, and a replica further behind than this reloads it.
    change_log_keep: int = Field(default=10_000, ge=100, le=10_000_000)
    # Seconds between two prunes of the log (each deletes at most changes.PRUNE_STEP rows).
    change_log_prune_interval: float = Field(default=10.0, gt=0, le=86400)
