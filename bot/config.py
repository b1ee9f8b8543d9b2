"""Configuration read from the environment and validated once at start."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_API_URL = "https://api.telegram.org/bot"
# BotFather tokens look like 123456789:AA... (id, colon, 30+ url-safe characters).
TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,}$")
# Updates handled at the same time (bot/updates.py). Little's law for Telegram's own ceiling:
# 30 messages/s × ~0.25 s an update spends on the network (one or two Bot API calls at
# 50-200 ms, plus a few ms of database and Python) ≈ 8-15 updates in flight; 16 reaches 30/s
# with room to spare. Per-chat order means a chat never holds more than one slot, so a group
# waiting for its limit takes one slot, not all of them. More slots add no throughput (one
# event loop, one database writer), only memory and longer queues at the database lock.
DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 1024
DEFAULT_DASHBOARD_PORT = 8080


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message is one clear line."""


@dataclass(frozen=True)
class Config:
    token: str
    api_url: str = DEFAULT_API_URL
    database_path: str = "community.db"
    database_url: str = ""  # postgresql://… ; empty: the SQLite file at database_path
    timezone: str = "Asia/Shanghai"
    admins: frozenset[int] = field(default_factory=frozenset)
    concurrency: int = DEFAULT_CONCURRENCY
    # The web dashboard (bot/dashboard_web.py): off unless a port or a public URL is set.
    dashboard_port: int | None = None
    dashboard_url: str = ""
    # When staff get the daily digest of new suggestions (local time): the end of a working day.
    digest_at: time = time(18, 0)

    @property
    def dashboard(self) -> bool:
        return self.dashboard_port is not None or bool(self.dashboard_url)

    @property
    def dashboard_base(self) -> str:
        """Where people open the dashboard: the public URL, else this machine's port."""
        if self.dashboard_url:
            return self.dashboard_url.rstrip("/")
        return f"http://127.0.0.1:{self.dashboard_port or DEFAULT_DASHBOARD_PORT}"

    @property
    def database(self) -> str:
        """What storage.db.connect opens: DATABASE_URL when set, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def file_api_url(self) -> str:
        # Files live beside the methods: .../bot<token>/ → .../file/bot<token>/
        if self.api_url.endswith("/bot"):
            return self.api_url[: -len("bot")] + "file/bot"
        return self.api_url


def parse_admins(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(f"BOT_ADMINS must be comma-separated Telegram user ids, got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def parse_concurrency(raw: str) -> int:
    raw = raw.strip()
    if not raw:
        return DEFAULT_CONCURRENCY
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_CONCURRENCY:
        raise ConfigError(
            f"BOT_CONCURRENCY must be a whole number from 1 to {MAX_CONCURRENCY}, got {raw!r}"
        )
    return int(raw)


def parse_dashboard(port_raw: str, url_raw: str) -> tuple[int | None, str]:
    """DASHBOARD_PORT (1-65535) and DASHBOARD_URL (http(s)://…, no query); a URL without a
    port listens on the default port, a port without a URL is reached on this machine."""
    port_raw, url = port_raw.strip(), url_raw.strip()
    port: int | None = None
    if port_raw:
        if not port_raw.isdigit() or not 1 <= int(port_raw) <= 65535:
            raise ConfigError(f"DASHBOARD_PORT must be a port number 1-65535, got {port_raw!r}")
        port = int(port_raw)
    if url:
        if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", url):
            raise ConfigError(
                f"DASHBOARD_URL must be an http:// or https:// address without a query, got {url!r}"
            )
        if port is None:
            port = DEFAULT_DASHBOARD_PORT
    return port, url


def parse_time_of_day(name: str, raw: str, default: time) -> time:
    """HH:MM on a 24-hour clock (e.g. 18:00, 9:30)."""
    raw = raw.strip()
    if not raw:
        return default
    match = re.fullmatch(r"([01]?\d|2[0-3])[:：]([0-5]\d)", raw)
    if match is None:
        raise ConfigError(f"{name} must be a time of day as HH:MM (e.g. 18:00), got {raw!r}")
    return time(int(match[1]), int(match[2]))


def parse_database_url(raw: str) -> str:
    raw = raw.strip()
    if raw and not raw.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "DATABASE_URL must be a postgresql://user:password@host:port/dbname URL "
            "(leave it unset to keep the SQLite file DATABASE_PATH)"
        )
    return raw


def load_config(env: Mapping[str, str] | None = None, *, require_token: bool = True) -> Config:
    env = os.environ if env is None else env
    token = env.get("BOT_TOKEN", "").strip()
    if require_token:
        if not token:
            raise ConfigError("BOT_TOKEN is not set: get a token from @BotFather and export it")
        if not TOKEN_RE.match(token):
            raise ConfigError(
                "BOT_TOKEN looks malformed: expected '<digits>:<secret>' as given by @BotFather"
            )
    api_url = env.get("BOT_API_URL", "").strip() or DEFAULT_API_URL
    if not re.match(r"^https?://", api_url):
        raise ConfigError(f"BOT_API_URL must start with http:// or https://, got {api_url!r}")
    timezone = env.get("BOT_TIMEZONE", "").strip() or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"BOT_TIMEZONE {timezone!r} is not a known IANA time zone") from exc
    dashboard_port, dashboard_url = parse_dashboard(
        env.get("DASHBOARD_PORT", ""), env.get("DASHBOARD_URL", "")
    )
    return Config(
        token=token,
        api_url=api_url,
        database_path=env.get("DATABASE_PATH", "").strip() or "community.db",
        database_url=parse_database_url(env.get("DATABASE_URL", "")),
        timezone=timezone,
        admins=parse_admins(env.get("BOT_ADMINS", "")),
        concurrency=parse_concurrency(env.get("BOT_CONCURRENCY", "")),
        dashboard_port=dashboard_port,
        dashboard_url=dashboard_url,
        digest_at=parse_time_of_day("DIGEST_TIME", env.get("DIGEST_TIME", ""), time(18, 0)),
    )
