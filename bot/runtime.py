"""What every handler needs, kept on the Application: config, database, clock, scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.clock import Clock
from bot.config import Config
from bot.scheduler import Scheduler
from bot.throttle import Throttle
from storage.db import Database

KEY = "runtime"


@dataclass
class Runtime:
    config: Config
    db: Database
    clock: Clock
    scheduler: Scheduler
    bot_username: str = ""
    throttle: Throttle = field(default_factory=Throttle)
    # Small in-memory caches; the database stays the source of truth.
    cache: dict[str, Any] = field(default_factory=dict)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.config.admins


class HasBotData(Protocol):
    """An Application or a CallbackContext: both carry the shared `bot_data`."""

    @property
    def bot_data(self) -> Any: ...


def get_runtime(source: HasBotData) -> Runtime:
    runtime: Runtime = source.bot_data[KEY]
    return runtime
