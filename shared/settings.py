"""Typed settings, one object per service.

Values come from the service's section of the nameko YAML config (``deploy/nameko.yaml``)
and from environment variables, which win. Nothing is read at import time: a service
loads its settings in its dependency providers' ``setup()``.
"""
import os
from pathlib import Path
from typing import Any, ClassVar, Literal, Mapping, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base for a service's settings. Subclasses set ``config_section`` and an env prefix."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)
    config_section: ClassVar[str] = ""
    database_file: ClassVar[str] = ""

    # Where the SQLite databases, media, logs and `etalase run`'s status file live:
    # ETALASE_DATA_DIR (`etalase run --data-dir`), or its older name ETALASE_VAR_DIR; the
    # first wins when both are set. Default ./var.
    var_dir: Path = Field(
        default=Path("var"), validation_alias=AliasChoices("ETALASE_DATA_DIR", "ETALASE_VAR_DIR", "var_dir")
    )
    # sqlite:///var/<service>.db by default; postgresql+pg8000://user@host/db switches to PostgreSQL.
    database_url: str = ""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: Any, env_settings: Any, dotenv_settings: Any,
        file_secret_settings: Any,
    ) -> tuple[Any, ...]:
        # Environment variables override the YAML section passed in as init values.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _default_database(self) -> "ServiceSettings":
        if not self.database_url and self.database_file:
            self.database_url = f"sqlite:///{self.var_dir / self.database_file}"
        return self

    @classmethod
    def load(cls, config: Mapping[str, Any] | None = None) -> Self:
        """Build the settings from a nameko config mapping (default: the global one)."""
        if config is None:
            from nameko import config as nameko_config  # at call time: tests patch nameko.config

            config = nameko_config
        section = config.get(cls.config_section) or {}
        return cls(**{str(key).lower(): value for key, value in section.items() if value not in (None, "")})


def amqp_uri(config: Mapping[str, Any] | None = None) -> str:
    if config is None:
        from nameko import config as nameko_config  # at call time: tests patch nameko.config

        config = nameko_config
    return config.get("AMQP_URI") or os.environ.get("AMQP_URI") or "amqp://guest:guest@127.0.0.1:5672/"


QueueType = Literal["classic", "quorum"]
QUEUE_TYPES: tuple[QueueType, ...] = ("classic", "quorum")
QUEUE_TYPE_VARIABLE = "RABBITMQ_QUEUE_TYPE"


class InvalidSetting(ValueError):
    """A configuration value the platform refuses to start with; the message names the
    variable, the value and what it may be."""


def rabbitmq_queue_type(config: Mapping[str, Any] | None = None) -> QueueType:
    """The type of the event queues (``RABBITMQ_QUEUE_TYPE``, in the nameko config or the
    environment): ``classic`` (the default, one broker node) or ``quorum`` (replicated, for
    a cluster: the production profile). Read when the topology is declared, which every
    service and ``etalase run``/``migrate`` do at start, so a wrong value stops them there
    (``docs/decisions/queue-types.md``)."""
    if config is None:
        from nameko import config as nameko_config  # at call time: tests patch nameko.config

        config = nameko_config
    value = config.get(QUEUE_TYPE_VARIABLE) or os.environ.get(QUEUE_TYPE_VARIABLE) or "classic"
    queue_type = str(value).strip().lower()
    if queue_type not in QUEUE_TYPES:
        raise InvalidSetting(
            f"{QUEUE_TYPE_VARIABLE}={value!r} is not a queue type: use classic (one RabbitMQ node, "
            "the default) or quorum (a cluster; see docs/decisions/queue-types.md)")
    return queue_type  # narrowed to the literal by the test above
