"""Settings of a hall server process, from HALL_* environment variables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate_limit
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hallserver.lan import is_wildcard, lan_addresses

DEFAULT_CONFIG = Path("firmware_configs/demo/hall.yaml")


class PublicUrlError(ValueError):
    """No public URL: the server binds every interface and no LAN address was found."""


class Settings(BaseSettings):
    """Everything `create_app` needs; defaults run the demo hall on SQLite."""

    model_config = SettingsConfigDict(env_prefix="HALL_", extra="ignore")

    config: Path = Field(default=DEFAULT_CONFIG, description="hall layout YAML")
    database_url: str = Field(default="sqlite:///var/onewindow.db",
                              description="SQLAlchemy URL (sqlite or postgresql+psycopg)")
    sqlite_synchronous: Literal["FULL", "NORMAL", "OFF"] = Field(
        default="FULL", description="SQLite's fsync at commit: FULL (a committed ticket "
        "survives power loss; keep it in a hall); the test suite runs OFF, which a process "
        "crash still survives")
    host: str = Field(default="127.0.0.1", description="HTTP bind address")
    port: int = Field(default=8080, ge=1, le=65535)
    enforce_hours: bool = Field(default=True,
                                description="refuse tickets outside opening hours and days")
    cookie_secure: bool | None = Field(
        default=None, description="mark the session cookie Secure (sent over HTTPS only); "
        "unset: Secure whenever the public URL is https")
    rate_limits: bool = Field(default=True, description="rate limits on the HTTP API "
                              "(off only for benchmarks)")
    rate_limit_anonymous_reads: str = Field(
        default="1200/minute", description="GETs without a session, per source address "
        "(phones on the hall's Wi-Fi may share one)")
    rate_limit_anonymous_writes: str = Field(
        default="60/minute", description="POST/PUT/DELETE without a session (login, "
        "rejoin, cancel), per source address")
    rate_limit_signed_in: str = Field(
        default="3000/minute", description="requests with a session or credential, per "
        "source address")
    rate_limit_issue: str = Field(
        default="60/minute", description="tickets issued over HTTP per staff login or "
        "device")
    live_streams: int = Field(default=1000, ge=1, le=100_000,
                              description="open live event streams (GET /api/events) in total")
    live_streams_per_source: int = Field(
        default=100, ge=1, le=100_000, description="open live event streams per source "
        "address (phones behind the hall's Wi-Fi share one)")
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
    simulate_free_windows: list[int] = Field(
        default_factory=list, description="windows the simulation leaves to a person (the "
        "demo's window 1): nobody is signed in there and their simulated caller stays idle")
    public_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="address citizens' phones reach the server at (ticket and receipt QR "
        "codes); unset: http://{host}:{port}, or http://{LAN address}:{port} when host is "
        "0.0.0.0 or ::")

    @field_validator("rate_limit_anonymous_reads", "rate_limit_anonymous_writes",
                     "rate_limit_signed_in", "rate_limit_issue")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError:
            raise ValueError(f"限流写法不对 / not a rate limit: {value[:40]!r} "
                             "(例 e.g. '60/minute', '1000 per hour')") from None
        return value

    def rate_limit_table(self) -> dict[str, str]:
        """The named limits of `hallserver.api.ratelimit`."""
        return {"anonymous_reads": self.rate_limit_anonymous_reads,
                "anonymous_writes": self.rate_limit_anonymous_writes,
                "signed_in": self.rate_limit_signed_in, "issue": self.rate_limit_issue}

    def base_url(self) -> str:
        """The public base URL, without a trailing slash."""
        return (self.public_url or self.local_url()).rstrip("/")

    def secure_cookies(self) -> bool:
        """Whether the session cookie is Secure: as set, else when the hall is reached over
        HTTPS (a TLS proxy in front, HALL_PUBLIC_URL https://...)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url().lower().startswith("https://")

    def local_url(self) -> str:
        """The URL of the server from this machine (loopback when it binds everything)."""
        host = self.host.strip("[]")
        if is_wildcard(host):
            host = "127.0.0.1" if "." in host or not host else "::1"
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def with_public_url(self, find: Callable[[], list[str]] = lan_addresses) -> Settings:
        """These settings with `public_url` filled in when the server binds every interface
        (0.0.0.0 is not an address a phone can open): the machine's LAN address. Raises
        PublicUrlError when there is none; unchanged when set or bound to one address."""
        if self.public_url is not None or not is_wildcard(self.host):
            return self
        found = find()
        if not found:
            raise PublicUrlError(
                f"绑定 {self.host} 时需要设置 HALL_PUBLIC_URL（手机和大屏打开的地址），例如 "
                f"HALL_PUBLIC_URL=http://192.168.1.10:{self.port}\n"
                f"binding {self.host} needs HALL_PUBLIC_URL (the address phones and screens "
                f"open; no LAN address found here), e.g. "
                f"HALL_PUBLIC_URL=http://192.168.1.10:{self.port}")
        return self.model_copy(update={"public_url": f"http://{found[0]}:{self.port}"})
