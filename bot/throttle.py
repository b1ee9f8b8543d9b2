"""Flood control: a token bucket per user, so one person sending hundreds of updates a second
is slowed down alone and everybody else is answered as usual.

Plain rules, no Telegram: `check(user_id, now)` says whether to handle an update, drop it, or
drop it and tell the person (at most once per `warn_every` seconds, so the warnings cannot
become a flood of their own). A person pressing buttons as fast as a human can (a grid worker
entering paper orders) stays well inside the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    PASS = "pass"
    DROP = "drop"
    WARN = "warn"  # drop, and tell the person to slow down


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned_at: float | None = None


@dataclass
class Throttle:
    rate: float = 2.0  # updates per second, sustained
    burst: float = 20.0  # updates at once after a quiet while
    warn_every: float = 60.0
    max_users: int = 50_000  # buckets kept in memory; full (idle) ones are dropped first
    enabled: bool = True
    _buckets: dict[int, _Bucket] = field(default_factory=dict, repr=False)
    dropped: int = 0

    def check(self, user_id: int, now: float) -> Verdict:
        if not self.enabled:
            return Verdict.PASS
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self.max_users:
                self._prune(now)
            bucket = self._buckets[user_id] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate)
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.PASS
        self.dropped += 1
        if bucket.warned_at is None or now - bucket.warned_at >= self.warn_every:
            bucket.warned_at = now
            return Verdict.WARN
        return Verdict.DROP

    def silent_drop(self, user_id: int, now: float) -> bool:
        """Would `check` drop this update without a word? Then it is counted as dropped and
        the bucket is left as it is (the processor asks on arrival, before any handler)."""
        bucket = self._buckets.get(user_id) if self.enabled else None
        if bucket is None or bucket.warned_at is None or now - bucket.warned_at >= self.warn_every:
            return False
        if bucket.tokens + max(0.0, now - bucket.at) * self.rate >= 1.0:
            return False
        self.dropped += 1
        return True

    def _prune(self, now: float) -> None:
        """Forget people whose bucket has refilled: they would start full anyway."""
        full = [
            uid
            for uid, b in self._buckets.items()
            if b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for uid in full:
            del self._buckets[uid]
        if len(self._buckets) >= self.max_users:  # everyone busy: drop the oldest half
            by_age = sorted(self._buckets, key=lambda uid: self._buckets[uid].at)
            for uid in by_age[: len(by_age) // 2]:
                del self._buckets[uid]

    def __len__(self) -> int:
        return len(self._buckets)
