"""Settings of a hall server process, from HALL_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CONFIG = Path("firmware_configs/demo/hall.yaml")


class Settings(BaseSettings):
    """Everything `create_app` needs; defaults run the demo hall on SQLite."""

    model_config = SettingsConfigDict(env_prefix="HALL_", extra="ignore")

    config: Path = Field(default=DEFAULT_CONFIG, description="hall layout YAML")
    database_url: str = Field(default="sqlite:///var/onewindow.db",
                              description="SQLAlchemy URL (sqlite or postgresql+psycopg)")
    host: str = Field(default="127.0.0.1", description="HTTP bind address")
    port: int = Field(default=8080, ge=1, le=65535)
    enforce_hours: bool = Field(default=True,
                                description="refuse tickets outside opening hours and days")
    cookie_secure: bool = Field(default=False, description="mark the session cookie Secure")
