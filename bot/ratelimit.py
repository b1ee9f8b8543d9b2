"""Telegram's flood limits, kept so that waiting for one chat never holds up another.

Telegram allows a bot about 30 messages a second overall and 20 a minute per group, and
answers more with HTTP 429 and `retry_after`. `ChatRateLimiter` paces requests a little below
those limits (a late request that arrives early is a 429, and Telegram's own accounting is
not exact), the same requests PTB's `AIORateLimiter` paces (everything with a `chat_id`; the
group limit for negative ids). It differs where concurrency made that matter:

* A 429 pauses the chat it was for, not the whole bot (`AIORateLimiter` stops every request
  until `retry_after` has passed).
* A request waiting for its group's limit or a 429's `retry_after` lends its update's slot to
  other updates (`bot.updates.step_aside`): ten busy groups cannot take the bot's slots.
* When requests wait for the overall limit, a reply to a person goes first, then a reply in
  a group, then background sends (scheduled notices, broadcasts), as PTB's docs suggest: each
  kind yields to the ones before it for at most `YIELD_GROUP` / `YIELD_BACKGROUND` seconds
  (a head start, so nothing starves). A group's burst never makes a resident wait.
* Waiters are served in arrival order within a kind (aiolimiter wakes them in no order).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.updates import handling_update, step_aside

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

OVERALL_PER_S = 30.0
GROUP_PER_MIN = 20.0
# Pace at 97% of each limit, bursts included: the bucket keeps a cushion for requests that
# reach Telegram closer together than they left (network jitter, a busy event loop).
MARGIN = 0.97
# How long a kind of request yields to the kinds before it (seconds of head start).
YIELD_PRIVATE = 0.0
YIELD_GROUP = 1.0
YIELD_BACKGROUND = 2.0
MAX_IDLE_GROUPS = 512  # group pacers kept before full, idle ones are forgotten


class Pacer:
    """A token bucket: `burst` requests at once, then `rate` a second. Waiting requests are
    served by arrival time plus the head start they give others (`behind`, seconds)."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("a pacer needs a positive rate")
        self.rate = rate
        self.burst = max(1.0, burst)
        self.clock = clock
        self.tokens = self.burst
        self.at = clock()
        # One FIFO per head start: within a kind, arrival order is deadline order.
        self._queues: dict[float, deque[tuple[float, asyncio.Future[None]]]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def ready(self) -> bool:
        """A request now would go at once."""
        self._refill()
        return not self.waiting and self.tokens >= 1

    def idle(self) -> bool:
        """Nobody waits and the bucket is full: forgetting it changes nothing."""
        self._refill()
        return not self.waiting and self.tokens >= self.burst

    async def take(self, *, behind: float = 0.0) -> None:
        if self.ready():
            self.tokens -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(behind, deque()).append((self.clock() + behind, future))
        self._serve()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.tokens = min(self.burst, self.tokens + 1)  # granted, never used
                self._serve()
            raise

    def _next(self) -> asyncio.Future[None] | None:
        best: deque[tuple[float, asyncio.Future[None]]] | None = None
        for queue in self._queues.values():
            while queue and queue[0][1].done():  # cancelled while waiting
                queue.popleft()
            if queue and (best is None or queue[0][0] < best[0][0]):
                best = queue
        return best.popleft()[1] if best else None

    def _serve(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._refill()
        while self.tokens >= 1 and (future := self._next()) is not None:
            self.tokens -= 1
            future.set_result(None)
        if self.waiting:
            delay = (1 - self.tokens) / self.rate
            self._timer = asyncio.get_running_loop().call_later(delay, self._serve)


def _seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)  # PTB ≥ 22.2 keeps a timedelta here
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(exc.retry_after)  # type: ignore[arg-type]


class ChatRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        overall_per_s: float = OVERALL_PER_S,
        group_per_min: float = GROUP_PER_MIN,
        *,
        max_retries: int = 3,
        margin: float = MARGIN,
    ) -> None:
        """A rate of 0 turns that limit off (the tests' fake Telegram has none); 429s are
        still waited out and retried."""
        rate = overall_per_s * margin
        self.overall = Pacer(rate, rate) if rate > 0 else None
        self.group_rate = group_per_min * margin / 60
        self.group_burst = group_per_min * margin
        self.max_retries = max_retries
        self._groups: dict[int | str, Pacer] = {}
        self._paused: dict[int | str, float] = {}  # chat → monotonic time its 429 ends
        self.retries = 0  # 429s waited out (tests and the benchmark look)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def waiting_for_group(self, chat: int) -> int:
        """Requests waiting for this group's limit (tests and the benchmark look)."""
        pacer = self._groups.get(chat)
        return pacer.waiting if pacer is not None else 0

    def _group(self, chat: int | str) -> Pacer:
        pacer = self._groups.get(chat)
        if pacer is None:
            if len(self._groups) >= MAX_IDLE_GROUPS:
                for key in [k for k, p in self._groups.items() if p.idle()]:
                    del self._groups[key]
            pacer = self._groups[chat] = Pacer(self.group_rate, self.group_burst)
        return pacer

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        chat: int | str | None = data.get("chat_id")
        if isinstance(chat, str) and chat.lstrip("-").isdigit():
            chat = int(chat)
        group = isinstance(chat, str) or (isinstance(chat, int) and chat < 0)
        if not handling_update():
            behind = YIELD_BACKGROUND
        else:
            behind = YIELD_GROUP if group else YIELD_PRIVATE
        max_retries = rate_limit_args if rate_limit_args is not None else self.max_retries
        for attempt in range(max_retries + 1):
            if chat is not None:
                await self._wait_pause(chat)
                if group and self.group_rate > 0:
                    pacer = self._group(chat)
                    if pacer.ready():
                        await pacer.take(behind=behind)
                    else:
                        async with step_aside():  # this group waits; others go on
                            await pacer.take(behind=behind)
                if self.overall is not None:
                    await self.overall.take(behind=behind)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == max_retries:
                    log.error("%s to %s: still refused after %d retries", endpoint, chat, attempt)
                    raise
                wait = _seconds(exc) + 0.1
                self.retries += 1
                log.info("%s to %s: flood limit, trying again in %.1f s", endpoint, chat, wait)
                if chat is None:
                    async with step_aside():
                        await asyncio.sleep(wait)
                else:
                    self._pause(chat, wait)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _pause(self, chat: int | str, seconds: float) -> None:
        now = time.monotonic()
        if len(self._paused) >= MAX_IDLE_GROUPS:
            for key in [k for k, until in self._paused.items() if until <= now]:
                del self._paused[key]
        self._paused[chat] = max(self._paused.get(chat, 0.0), now + seconds)

    async def _wait_pause(self, chat: int | str) -> None:
        """A chat Telegram asked to wait: its requests wait, nobody else's."""
        until = self._paused.get(chat)
        if until is None:
            return
        delay = until - time.monotonic()
        if delay <= 0:
            del self._paused[chat]
            return
        async with step_aside():
            await asyncio.sleep(delay)
