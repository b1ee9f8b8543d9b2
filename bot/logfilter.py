"""Rate-limited logging: no single fault can fill the disk.

A fault that repeats (an update that fails every poll, a database that is full, a chat that
refuses every message) logs the same line, often with a traceback, as fast as it can. The
filter lets the first `burst` records of each kind (logger, level, message template) through
per `interval` seconds and drops the rest; the next record of that kind after the interval
says how many were dropped. A ceiling on all records per interval (`total`) bounds the growth
of the log even when every line is different (messages built with f-strings).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

# Kinds remembered at once; past this the quiet ones are forgotten (each has a few counters).
MAX_KINDS = 2000


@dataclass
class _Window:
    start: float
    passed: int = 0
    dropped: int = 0


class RateLimitFilter(logging.Filter):
    def __init__(self, *, burst: int = 10, interval: float = 60.0, total: int = 600) -> None:
        super().__init__()
        self.burst = burst
        self.interval = interval
        self.total = total
        self._kinds: dict[tuple[str, int, str], _Window] = {}
        self._all: _Window | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        now = record.created
        key = (record.name, record.levelno, str(record.msg))
        window = self._kinds.get(key)
        if window is None or now - window.start >= self.interval:
            dropped = window.dropped if window is not None else 0
            window = self._kinds[key] = _Window(now)
            if len(self._kinds) > MAX_KINDS:
                self._forget(now)
            if dropped:
                self._note(record, f"{dropped} more like this were dropped in {self.interval:g} s")
        everything = self._all
        if everything is None or now - everything.start >= self.interval:
            if everything is not None and everything.dropped:
                self._note(
                    record,
                    f"{everything.dropped} log records were dropped in {self.interval:g} s "
                    "(too many)",
                )
            everything = self._all = _Window(now)
        if window.passed >= self.burst or everything.passed >= self.total:
            window.dropped += 1
            everything.dropped += 1
            return False
        window.passed += 1
        everything.passed += 1
        if window.passed == self.burst:
            self._note(record, f"further records like this are dropped for {self.interval:g} s")
        return True

    def _forget(self, now: float) -> None:
        for key, window in list(self._kinds.items()):
            if now - window.start >= self.interval and not window.dropped:
                del self._kinds[key]
        if len(self._kinds) > MAX_KINDS:  # all busy: forget the oldest half
            oldest = sorted(self._kinds, key=lambda k: self._kinds[k].start)
            for key in oldest[: len(oldest) // 2]:
                del self._kinds[key]

    @staticmethod
    def _note(record: logging.LogRecord, note: str) -> None:
        record.msg = f"{record.getMessage()} [{note}]"
        record.args = ()


def install(
    logger: logging.Logger | None = None,
    *,
    burst: int = 10,
    interval: float = 60.0,
    total: int = 600,
) -> None:
    """A filter on every handler of `logger` (default: the root logger), first in line so it
    sees the message template before another filter formats it."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        limiter = RateLimitFilter(burst=burst, interval=interval, total=total)
        handler.filters.insert(0, limiter)
