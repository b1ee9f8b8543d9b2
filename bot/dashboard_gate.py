"""Chat first: how the web dashboard shares the bot's event loop with the chat.

The dashboard runs on the bot's own loop (bot/dashboard_web.py). Left alone, a few browsers
loading pages back to back take the loop away from the chat: every page is Python work (its
figures, Jinja, SVG) between its reads, and the chat's updates queue up behind it without
bound. So the dashboard is the one that waits:

- few dashboard requests run at a time (`SLOTS`); the rest wait for a slot, not for the loop;
  after each request its slot rests in proportion to the request's work (`SHARE`);
- before a request starts, and before each of its reads (`checkpoint`, called by the reads of
  bot/workflows/dashboard.py through a context variable), it lets the chat go first: it waits
  while updates wait in PTB's queue or while the loop is busy (one round of it took longer than
  `QUIET`), polling every `POLL`; all the waits of one request together last at most
  `PATIENCE`, so a dashboard beside a flat-out chat is slow rather than stuck, and a page
  beside a chat that only waits for Telegram's answers is late by at most that much.

Its reads also use a connection of their own (storage.db Database.reader), so they never
queue in front of or behind the chat's statements. Nothing here knows HTTP or Telegram.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from storage.db import Database, Executor, Params, Row

SLOTS = 1  # dashboard requests at once
QUIET = 0.0005  # s: a loop round shorter than this means nothing else is waiting to run
POLL = 0.002  # s between looks while the chat is busy
PATIENCE = 0.5  # s: the longest a request waits for the chat, all its checkpoints together
# At most about this share of the loop's time goes to the dashboard: after a request that took
# t (its waits for the chat not counted) the next one starts no sooner than t × (1/SHARE − 1)
# later. Without it a dashboard loaded flat out fills every quiet moment, and on a busy machine
# the bot's thread, always runnable, gets less of the CPU when the chat needs it.
SHARE = 0.25


def chat_waiting(app: Any) -> Callable[[], bool]:
    """For an Application: True while updates wait in its queue or are being handled."""
    queue = app.update_queue

    def waiting() -> bool:
        processor = app.update_processor
        handling = getattr(processor, "admitted", None)
        if handling is None:  # PTB's own processor
            handling = processor.current_concurrent_updates
        return not queue.empty() or handling > 0

    return waiting


class ChatFirst:
    def __init__(
        self,
        chat_waiting: Callable[[], bool] | None = None,
        *,
        slots: int = SLOTS,
        quiet: float = QUIET,
        poll: float = POLL,
        patience: float = PATIENCE,
        share: float = SHARE,
    ) -> None:
        self.chat_waiting = chat_waiting or (lambda: False)
        self._slots = asyncio.Semaphore(slots)
        self.quiet = quiet
        self.poll = poll
        self.patience = patience
        self.share = share
        self.waits = 0  # times the dashboard stepped back (tests and the benchmark look)

    async def _loop_busy(self) -> bool:
        started = time.perf_counter()
        await asyncio.sleep(0)  # one round of the loop: everything else ready runs first
        return time.perf_counter() - started > self.quiet

    async def checkpoint(self, turn: _Turn) -> None:
        """Let the chat go first, until the request's deadline at the latest."""
        started = time.perf_counter()
        while self.chat_waiting() or await self._loop_busy():
            if time.perf_counter() >= turn.deadline:
                break
            self.waits += 1
            await asyncio.sleep(self.poll)
        turn.waited += time.perf_counter() - started

    def rest(self, work: float) -> float:
        """How long a slot rests after a request that worked `work` seconds."""
        return max(0.0, work) * (1 / self.share - 1) if 0 < self.share < 1 else 0.0

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One dashboard request: a slot, the chat first, and checkpoints in its reads."""
        await self._slots.acquire()
        turn = _Turn(time.perf_counter() + self.patience)
        work = 0.0
        try:
            await self.checkpoint(turn)
            begun, waited = time.perf_counter(), turn.waited
            token = _current.set((self, turn))
            try:
                yield
            finally:
                _current.reset(token)
                work = time.perf_counter() - begun - (turn.waited - waited)
        finally:
            # The response goes out now; the next request waits for the slot's rest.
            asyncio.get_running_loop().call_later(self.rest(work), self._slots.release)


class _Turn:
    __slots__ = ("deadline", "waited")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.waited = 0.0


# The gate of the request this task serves, and that request's deadline and waits.
_current: contextvars.ContextVar[tuple[ChatFirst, _Turn] | None] = contextvars.ContextVar(
    "dashboard_gate", default=None
)


async def checkpoint() -> None:
    """Inside a dashboard request: let the chat go first. Elsewhere (tests, the chat): nothing."""
    turn = _current.get()
    if turn is not None:
        await turn[0].checkpoint(turn[1])


class Polite:
    """A read connection whose every statement waits at the checkpoint first (the
    dashboard's reads: `await reader(rt.db)`)."""

    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def execute(self, sql: str, params: Params = ()) -> int:
        await checkpoint()
        return await self._ex.execute(sql, params)

    async def insert(self, sql: str, params: Params = ()) -> int:
        await checkpoint()
        return await self._ex.insert(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await checkpoint()
        await self._ex.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        await checkpoint()
        return await self._ex.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        await checkpoint()
        return await self._ex.fetchall(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        await checkpoint()
        return await self._ex.fetchval(sql, params)

    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        await checkpoint()
        return await self._ex.lookup(sql, params)

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        await checkpoint()
        return await self._ex.lookup_all(sql, params)


async def reader(db: Database) -> Executor:
    """The dashboard's reads: the database's own read connection, the chat first."""
    return Polite(await db.reader())
