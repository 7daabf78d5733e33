"""Settings, validated once at an entry point and passed in (CONVENTIONS.md 8).

Read from ``ROUNDS_*`` environment variables and a ``.env`` file. Nothing here runs at import time:
entry points call :func:`load_settings` and hand the object down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rounds.domain.errors import ConfigurationError

DEFAULT_SECRET_KEY = "rounds-development-secret-change-me"  # noqa: S105 - the known default production refuses


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUNDS_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("rounds-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; overrides the SQLite file in data_dir"
    )
    broker_url: str | None = Field(default=None, description="Redis URL for scale-out (Celery)")
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    host: str = "127.0.0.1"
    port: int = Field(default=8400, ge=1, le=65535)
    base_url: str | None = None

    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    session_idle_seconds: int = Field(default=60 * 60, ge=60)
    cookie_secure: bool | None = Field(default=None, description="defaults to true in production")
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    password_min_length: int = Field(default=12, ge=8)

    dormant_after_days: int = Field(default=90, ge=1)

    smtp_host: str | None = Field(
        default=None, description="SMTP server for email alerts (none: email is off)"
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = ""
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    scheduler_enabled: bool | None = Field(
        default=None,
        description="run connector sources on their interval inside `rounds serve` (embedded mode); "
        "default: on, except in the test environment",
    )
    scheduler_poll_seconds: int = Field(default=30, ge=1, le=3600)
    screening_name_model: Literal["accurate", "fast"] = Field(
        default="fast",
        description="name/place tagger for outbound screening: fast (perceptron, the default) or accurate "
        "(BiLSTM + perceptron: higher recall on names and places in tweets, about a third of the throughput)",
    )
    ingest_screening_name_model: Literal["accurate", "fast"] = Field(
        default="fast",
        description="name/place tagger for inbound posts screened at ingest (volume): fast by default",
    )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.is_production if self.cookie_secure is None else self.cookie_secure

    def sqlite_path(self) -> Path:
        return self.data_dir / "rounds.sqlite3"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+pysqlite:///{self.sqlite_path().resolve()}"

    def check(self) -> None:
        """Refuse settings that are unsafe for the chosen environment."""
        secret = self.secret_key.get_secret_value()
        if self.is_production and (secret == DEFAULT_SECRET_KEY or len(secret) < 32):
            raise ConfigurationError(
                "Production mode refuses the default or a short secret key.",
                hint="Set ROUNDS_SECRET_KEY to a random value of at least 32 characters, "
                "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
            )


def load_settings(**overrides: object) -> Settings:
    """Build and check settings; ``overrides`` win over environment and ``.env``."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        settings = Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise ConfigurationError(
            f"Invalid settings: {problems}", hint="Check the ROUNDS_* environment variables and .env."
        ) from error
    settings.check()
    return settings
