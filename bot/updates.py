"""Concurrent update processing that keeps order where it matters.

Updates of different chats are handled at the same time, so one group waiting for Telegram's
limit of about 20 messages a minute (or a slow Bot API) delays nobody else. Updates that share
a chat or a person stay in the order they arrived: an update waits until every earlier update
with its chat id or its user id is done. That keeps a conversation's steps, a game's moves and
one person's `user_data` exactly as sequential processing would.

How it fits PTB: `OrderedUpdateProcessor` tells PTB it takes one update at a time
(`max_concurrent_updates == 1`), so PTB's fetcher hands it the updates one by one in arrival
order and waits for each `do_process_update` to return. That call only *admits* the update:
it records the update as the newest one of its chat and of its person (before any `await`, so
the order is the arrival order), starts a task and returns. The task waits for the updates it
must follow, then for one of `concurrency` slots, then runs the handlers.

Memory stays bounded under a burst: at most `backlog` updates are admitted (waiting or
running) at once; while that many are, admission waits and the rest stay in PTB's
`update_queue`, as plain `Update` objects, exactly as with sequential processing. Per chat and
person only the newest update's record is kept, and dropped when it is done. Updates flood
control would drop anyway are dropped on arrival (`screen`), so a flooder's thousands never
queue up in their chain.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Hashable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.config import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from telegram.ext import Application

    App = Application[Any, Any, Any, Any, Any, Any]

log = logging.getLogger(__name__)

# Admitted (waiting + running) updates per slot before admission waits. An admitted update
# costs a task, its future and frames, ~2.8 KB beside the Update itself (~2.3 KB, measured
# with tracemalloc): 16 slots × 64 = 1,024 admitted is ~3 MB.
BACKLOG_PER_SLOT = 64
SEEN = 4096  # update_ids remembered for `dedup`: far more than a hand-over holds

Key = Hashable


class _Pending:
    """An admitted update, as the updates after it in its chat or person see it."""

    __slots__ = ("done", "waiters")

    def __init__(self) -> None:
        self.done = False
        self.waiters: list[asyncio.Future[None]] = []

    async def wait(self) -> None:
        if self.done:
            return
        # The waiter's own future: cancelling the waiter never touches this update.
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(future)
        await future

    def finish(self) -> None:
        self.done = True
        for future in self.waiters:
            if not future.done():
                future.set_result(None)  # one hop to the next update of the chain
        self.waiters.clear()


class _Slot:
    """The slot one update runs in; it may lend it out while it only waits (`step_aside`)."""

    __slots__ = ("held", "owner", "processor")

    def __init__(self, processor: OrderedUpdateProcessor) -> None:
        self.processor = processor
        self.owner = asyncio.current_task()
        self.held = False

    async def acquire(self) -> None:
        await self.processor._slots.acquire()
        self.held = True
        self.processor.running += 1

    def release(self) -> None:
        if self.held:
            self.held = False
            self.processor.running -= 1
            self.processor._slots.release()


_slot: contextvars.ContextVar[_Slot | None] = contextvars.ContextVar("update_slot", default=None)


def handling_update() -> bool:
    """True inside the handling of an update (a reply to someone), False in a job."""
    slot = _slot.get()
    return slot is not None and slot.owner is asyncio.current_task()


@asynccontextmanager
async def step_aside() -> AsyncIterator[None]:
    """Lend this update's slot to others while it only waits (a group's rate limit, a 429's
    retry_after): a chat that waits for Telegram holds no slot, so any number of busy groups
    cannot stall the bot. Order is kept: the chat's next update still waits for this one."""
    slot = _slot.get()
    if slot is None or not slot.held or slot.owner is not asyncio.current_task():
        yield  # not in an update (a job), or a task the handler started: nothing to lend
        return
    slot.release()
    cancelled = False
    try:
        yield
    except asyncio.CancelledError:
        cancelled = True  # the update is being torn down: it needs no slot back
        raise
    finally:
        if not cancelled:
            await slot.acquire()


def order_keys(update: object) -> tuple[Key, ...]:
    """What an update must stay in order with: its chat and its person.

    Plain ids: a group's id is negative and never a person's; a private chat's id is its
    person's id, which is the same thing to keep in order anyway.
    """
    if not isinstance(update, Update):
        return ()
    keys: list[Key] = []
    chat, user = update.effective_chat, update.effective_user
    if chat is not None:
        keys.append(chat.id)
    if user is not None and user.id not in keys:
        keys.append(user.id)
    return tuple(keys)


class OrderedUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        concurrency: int = DEFAULT_CONCURRENCY,
        *,
        backlog: int | None = None,
        screen: Callable[[object], bool] | None = None,
    ):
        """`screen(update)` False drops an update on arrival, before it costs a task or a place
        in its chat's order (flood control: a flooder's chain must not fill the backlog)."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        # PTB's side: one update at a time into `do_process_update`, in arrival order.
        super().__init__(1)
        self.concurrency = concurrency
        self.backlog = max(backlog or concurrency * BACKLOG_PER_SLOT, concurrency)
        self._slots = asyncio.Semaphore(concurrency)
        self._newest: dict[Key, _Pending] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._app: App | None = None
        self.screen = screen
        self.running = 0  # holding a slot right now (tests and the benchmark look)
        self.peak_admitted = 0
        self.screened = 0  # dropped on arrival
        self.handled = 0  # updates finished, ever (bot/collector.py looks for quiet)
        # Admitted updates whose handlers have not begun, in arrival order (fencing hands
        # these to the next active instance: nothing of them has happened yet).
        self._unstarted: dict[asyncio.Task[None], object] = {}
        self.fenced = False
        self.held_back: list[object] = []  # offered after fencing: for the next instance
        # Skip an update_id seen lately (`community-bot run` turns it on): a handed-over update
        # that Telegram also sends again is handled once.
        self.dedup = False
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self.duplicates = 0

    def bind(self, app: App) -> None:
        """While the Application runs, its `stop()` waits for our tasks (PTB's `create_task`)
        before the JobQueue and the bot shut down."""
        self._app = app

    # ---- BaseUpdateProcessor -----------------------------------------------------------------
    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        await self.idle()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        while len(self._tasks) >= self.backlog:
            self._room.clear()
            await self._room.wait()
        self.submit(update, coroutine)

    # ---- ours ----------------------------------------------------------------------------------
    def submit(self, update: object, coroutine: Awaitable[Any]) -> asyncio.Future[None]:
        """Admit one update now (no backlog check): it runs after every earlier update of its
        chat and person. The Simulator calls this and awaits the result."""
        if self.fenced or (self.dedup and self._seen_before(update)):
            if self.fenced:
                self.held_back.append(update)
            else:
                self.duplicates += 1
            return self._drop(coroutine)
        if self.screen is not None and not self.screen(update):
            self.screened += 1
            return self._drop(coroutine)
        keys = order_keys(update)
        after = [self._newest[k] for k in keys if k in self._newest]
        me = _Pending()
        for key in keys:
            self._newest[key] = me
        run = self._run(keys, after, me, coroutine)
        app = self._app
        task: asyncio.Task[None]
        if app is not None and app.running:
            task = app.create_task(run, update=update, name="update")
        else:
            task = asyncio.create_task(run, name="update")
        self._tasks.add(task)
        self._unstarted[task] = update
        self._idle.clear()
        self.peak_admitted = max(self.peak_admitted, len(self._tasks))
        task.add_done_callback(self._finished)
        return task

    async def _run(
        self,
        keys: tuple[Key, ...],
        after: list[_Pending],
        me: _Pending,
        coroutine: Awaitable[Any],
    ) -> None:
        started = False
        slot = _Slot(self)
        _slot.set(slot)  # this task's own context
        try:
            for earlier in after:
                await earlier.wait()
            await slot.acquire()
            started = True
            task = asyncio.current_task()
            if task is not None:
                self._unstarted.pop(task, None)
            await coroutine
        except Exception:  # PTB's process_update reports handler errors itself; not this
            log.exception("update processing failed")
        finally:
            slot.release()
            if not started and isinstance(coroutine, Coroutine):
                coroutine.close()  # cancelled while waiting: no "never awaited" warning
            me.finish()
            for key in keys:
                if self._newest.get(key) is me:
                    del self._newest[key]

    @staticmethod
    def _drop(coroutine: Awaitable[Any]) -> asyncio.Future[None]:
        if isinstance(coroutine, Coroutine):
            coroutine.close()
        dropped: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        dropped.set_result(None)
        return dropped

    def _seen_before(self, update: object) -> bool:
        if not isinstance(update, Update):
            return False
        uid = update.update_id
        if uid in self._seen:
            return True
        self._seen.add(uid)
        self._seen_order.append(uid)
        if len(self._seen_order) > SEEN:
            self._seen.discard(self._seen_order.popleft())
        return False

    def fence(self) -> list[object]:
        """Take nothing more and stop everything admitted (the lease is lost): returns the
        admitted updates none of whose handlers began, in arrival order. Later offers go to
        `held_back` (the fetcher's next one, a webhook's)."""
        self.fenced = True
        unstarted = list(self._unstarted.values())
        self._unstarted.clear()
        self.cancel()
        return unstarted

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._unstarted.pop(task, None)
        self._tasks.discard(task)
        self.handled += 1
        if len(self._tasks) < self.backlog:
            self._room.set()
        if not self._tasks:
            self._idle.set()

    def cancel(self) -> int:
        """Drop every admitted update (the benchmark ends early so; a stop lets them finish)."""
        for task in self._tasks:
            task.cancel()
        return len(self._tasks)

    async def idle(self) -> None:
        """Wait until every admitted update is done (tests, the benchmark, shutdown)."""
        while self._tasks:
            await self._idle.wait()

    @property
    def admitted(self) -> int:
        return len(self._tasks)

    @property
    def tracked_keys(self) -> int:
        """Chats and people with an update in flight (0 when idle: nothing is kept)."""
        return len(self._newest)
