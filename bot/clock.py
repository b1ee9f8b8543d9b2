"""Time source. Production uses the wall clock; tests and the demo move a fake one by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        """Aware UTC now."""
        return datetime.now(UTC)

    def seconds(self) -> float:
        """For measuring intervals: never goes back when the wall clock is set."""
        return time.monotonic()


class FakeClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 5, 15, 1, 0, tzinfo=UTC)  # 09:00 in Hohhot

    def now(self) -> datetime:
        return self._now

    def seconds(self) -> float:
        return self._now.timestamp()

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now
