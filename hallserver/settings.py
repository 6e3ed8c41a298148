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
    bus: bool = Field(default=True, description="run the MQTT device bus (off: HTTP API only)")
    mqtt_url: str | None = Field(
        default=None, description="external broker, mqtt://host:port; unset: start the "
        "embedded broker on 127.0.0.1")
    mqtt_port: int = Field(default=1883, ge=0, le=65535,
                           description="port of the embedded broker (0: any free port)")
    devices_dir: Path | None = Field(
        default=None, description="device configs (default: devices/ beside the hall.yaml)")
    secrets: Path | None = Field(
        default=None, description="secrets file (default: secrets.yaml beside the hall.yaml); "
        "ONEWINDOW_SECRET_* variables take precedence")
    simulate: bool = Field(default=False, description="run simulated devices (the demo)")
    simulate_except: list[str] = Field(
        default_factory=list, description="device ids left to real apps (e.g. a kiosk "
        "started with onewindow-kiosk) when simulating")
    public_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="address citizens' phones reach the server at (ticket and receipt QR "
        "codes); unset: http://{host}:{port}")

    def base_url(self) -> str:
        """The public base URL, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
