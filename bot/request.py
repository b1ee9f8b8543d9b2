"""Retry Bot API requests, with back-off, when that is safe: the layer under PTB's Bot.

Safe to repeat:
* any method whose connection could not even be made: nothing reached Telegram;
* a method that is harmless twice (edits, answers, look-ups) after a timeout or a 5xx.
Not safe: a send after a timeout or a 5xx (a 502/504 comes from Telegram's front proxy and
does not prove the message was not delivered). A notice must never come twice, so that error
goes up to the caller, which records the send as failed. 429 RetryAfter is the rate limiter's
to handle (it waits and retries).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.updates import step_aside

log = logging.getLogger(__name__)

# Methods that post something new: repeating them after an unclear failure could post twice.
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendDice",
        "sendMediaGroup",
        "sendLocation",
        "sendContact",
        "sendSticker",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "copyMessage",
        "forwardMessage",
        "sendPoll",
        "copyMessages",
        "forwardMessages",
    }
)
DELAYS = (0.5, 1.0, 2.0)
# A repeated edit whose first try did arrive: what it asked for is done.
_ALREADY_DONE = b"message is not modified"
_DONE = b'{"ok": true, "result": true}'
_NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _never_sent(exc: NetworkError) -> bool:
    return isinstance(exc.__cause__, _NOTHING_SENT)


class RetryingRequest(BaseRequest):
    """Wraps the real request (HTTPXRequest in production, the fake Bot API in tests)."""

    def __init__(self, inner: BaseRequest, delays: tuple[float, ...] = DELAYS) -> None:
        self.inner = inner
        self.delays = delays
        self.retries = 0  # how many requests were repeated (tests and logs)

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        sends = api_method in SEND_METHODS
        repeated = False
        for delay in (*self.delays, None):
            try:
                status, body = await self.inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except NetworkError as exc:  # TimedOut is a NetworkError too
                if delay is None or (sends and not _never_sent(exc)):
                    raise
                why = str(exc)
            else:
                if (
                    repeated
                    and status == 400
                    and api_method.startswith("edit")
                    and _ALREADY_DONE in body
                ):
                    return 200, _DONE
                if status < 500 or delay is None or sends:
                    return status, body
                why = f"HTTP {status}"
            repeated = True
            self.retries += 1
            log.warning("%s failed (%s); trying again in %.1f s", api_method, why, delay)
            async with step_aside():  # waiting holds no update slot: other chats go on
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the last round returns or raises
