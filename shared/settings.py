"""Typed settings, one object per service.

Values come from the service's section of the nameko YAML config (``deploy/nameko.yaml``)
and from environment variables, which win. Nothing is read at import time: a service
loads its settings in its dependency providers' ``setup()``.
"""
import os
from pathlib import Path
from typing import Any, ClassVar, Mapping, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base for a service's settings. Subclasses set ``config_section`` and an env prefix."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)
    config_section: ClassVar[str] = ""
    database_file: ClassVar[str] = ""

    var_dir: Path = Field(
        default=Path("var"), validation_alias=AliasChoices("ETALASE_VAR_DIR", "var_dir")
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
