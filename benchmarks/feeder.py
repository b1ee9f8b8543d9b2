"""The one update feeder every throughput part uses: real `Application` update fetcher.

Updates go into `app.update_queue`, exactly where the `Updater` puts what `getUpdates`
returned in production; `app.start()` runs PTB's own fetcher, which hands them to the
production processor (bot/updates.py: chats at the same time, each chat in order) or, when
a part asks for it, to PTB's plain processor (`set_concurrency`: one by one, or n at once). The time from
an update's (scheduled) arrival to the bot's first Bot API call while handling it is taken
with a context variable set around `process_update`, which every API call of that update sees.
"""

from __future__ import annotations

import asyncio
import contextvars
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.ext._baseupdateprocessor import SimpleUpdateProcessor

from bot.offline.fakeapi import ApiCall, FakeBotAPI
from bot.updates import OrderedUpdateProcessor

AnyApp = Application[Any, Any, Any, Any, Any, Any]  # the bot's or the echo bot's
_current: contextvars.ContextVar[Track | None] = contextvars.ContextVar("bench_track", default=None)


@dataclass
class Track:
    arrived: float
    first_reply: float | None = None
    kind: str = ""
    started: float | None = None  # when the Application began processing it


@dataclass
class Run:
    tracks: list[Track] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.tracks) / self.elapsed if self.elapsed else 0.0

    def latencies_ms(self) -> list[float]:
        return sorted(
            (t.first_reply - t.arrived) * 1000 for t in self.tracks if t.first_reply is not None
        )

    def unanswered(self) -> int:
        return sum(1 for t in self.tracks if t.first_reply is None)

    def add(self, other: Run) -> None:
        """Another slice of the same traffic (interleaved measurements)."""
        self.tracks.extend(other.tracks)
        self.elapsed += other.elapsed


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=1000, method="inclusive")[int(p * 10) - 1]


def set_concurrency(app: AnyApp, concurrent: int) -> None:
    """PTB's own processor instead of production's: 1 is the old one-at-a-time wiring, n is
    what `ApplicationBuilder.concurrent_updates(n)` gives, without any order (comparison)."""
    app._update_processor = SimpleUpdateProcessor(max(1, concurrent))


class Feeder:
    """Attach to a started FakeBotAPI + Application; feed raw update dicts, time replies."""

    def __init__(self, app: AnyApp, api: FakeBotAPI) -> None:
        self.app = app
        self.api = api
        original = app.process_update

        async def tracked(update: object) -> None:
            track = self._pending.pop(id(update), None)
            if track is not None:
                track.started = time.perf_counter()
            token = _current.set(track)
            try:
                await original(update)
            finally:
                _current.reset(token)

        self._pending: dict[int, Track] = {}
        app.process_update = tracked  # type: ignore[method-assign]
        api.listeners.append(self._on_call)

    @staticmethod
    def _on_call(call: ApiCall) -> None:
        track = _current.get()
        if track is not None and track.first_reply is None:
            track.first_reply = time.perf_counter()

    def _put(self, raw: dict[str, Any], arrived: float, run: Run) -> None:
        update = Update.de_json(raw, self.app.bot)
        track = Track(arrived, kind=str(raw.get("_kind", "")))
        self._pending[id(update)] = track
        run.tracks.append(track)
        self.app.update_queue.put_nowait(update)

    async def saturate(self, raws: list[dict[str, Any]]) -> Run:
        """Closed loop: everything queued at once; updates/s until the queue is drained."""
        run = Run()
        start = time.perf_counter()
        for i, raw in enumerate(raws):
            self._put(raw, time.perf_counter(), run)
            if i % 200 == 199:
                await asyncio.sleep(0)  # let the fetcher start, as a real poller would
        await self.app.update_queue.join()
        await self._drain_tasks()
        run.elapsed = time.perf_counter() - start
        return run

    async def open_loop(self, raws: list[dict[str, Any]], rate: float) -> Run:
        """Arrivals scheduled on the clock at `rate`/s whatever the bot does (no co-ordinated
        omission: latency counts from the scheduled arrival, queueing included)."""
        return await self.open_loop_timed([(i / rate, raw) for i, raw in enumerate(raws)])

    async def open_loop_timed(
        self,
        timed: list[tuple[float, dict[str, Any]]],
        *,
        until: Callable[[Run], bool] | None = None,
    ) -> Run:
        """Open loop with an arrival offset (seconds from the start) per update, e.g. several
        streams at different rates merged. With `until`, returns as soon as it holds once
        everything arrived (the rest may still be waiting: the caller decides)."""
        run = Run()
        start = time.perf_counter()
        for offset, raw in sorted(timed, key=lambda pair: pair[0]):
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self._put(raw, due, run)
        if until is not None:
            while not until(run):  # noqa: ASYNC110 - a condition on the replies, polled
                await asyncio.sleep(0.01)
        else:
            await self.app.update_queue.join()
            await self._drain_tasks()
        run.elapsed = time.perf_counter() - start
        return run

    async def _drain_tasks(self) -> None:
        # The production processor admits an update (task_done) before it is handled.
        processor = self.app.update_processor
        if isinstance(processor, OrderedUpdateProcessor):
            await processor.idle()
        # PTB's concurrent processing: update_queue.join() returns once all were *handled*.
        for _ in range(1000):
            if not self._pending:
                break
            await asyncio.sleep(0.001)


def summary(run: Run) -> dict[str, float]:
    lat = run.latencies_ms()
    return {
        "updates": len(run.tracks),
        "elapsed_s": round(run.elapsed, 3),
        "updates_per_s": round(run.rate, 1),
        "p50_ms": round(percentile(lat, 50), 2),
        "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "max_ms": round(lat[-1], 2) if lat else float("nan"),
        "unanswered": run.unanswered(),
    }
