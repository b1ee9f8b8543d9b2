"""A FakeBotAPI that enforces Telegram's flood limits in real time (benchmark only).

The limits themselves live in `bot.offline.fakeapi` (`FakeBotAPI(limits=True)`), so tests can
use them too; this keeps the benchmark's name for the limited fake.
"""

from __future__ import annotations

from typing import Any

from bot.offline.fakeapi import Bucket, FakeBotAPI

__all__ = ["Bucket", "FloodLimitedBotAPI"]


class FloodLimitedBotAPI(FakeBotAPI):
    def __init__(self, overall_per_s: float = 30, group_per_min: float = 20, **kwargs: Any) -> None:
        super().__init__(
            limits=True, overall_per_s=overall_per_s, group_per_min=group_per_min, **kwargs
        )
