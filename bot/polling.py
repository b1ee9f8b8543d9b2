"""The bot's ExtBot: long polling that one unreadable update cannot jam, and saving before
every reply (`bot/saving.py`).

PTB parses a getUpdates batch in one go. One update it cannot parse (a `poll_answer` without
`option_persistent_ids`, as older Bot API servers send) fails the whole batch; the Updater
logs a traceback and asks again with the same offset, for ever: nothing else is answered, even
after a restart, and the log grows by megabytes a second. Here every update is parsed on its
own; one that fails is logged in one line with its update_id and skipped, and the next
getUpdates starts after it.
"""

from __future__ import annotations

import datetime as dtm
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import JSONDict, ODVInput, TimePeriod
from telegram.ext import ExtBot

from bot import saving

log = logging.getLogger(__name__)

# The update types the handlers read (MessageHandler, CommandHandler, CallbackQueryHandler;
# edits are answered with "send it again"). Telegram sends nothing else, so nothing else can
# jam polling or cost a round trip. Service messages (new members, migration) are messages.
ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
)

# Types of values PTB's `ExtBot._insert_defaults` leaves as they are, or only resolves.
_AS_IS = frozenset(
    {
        int,
        float,
        bool,
        type(None),
        DefaultValue,
        InlineKeyboardMarkup,
        ReplyKeyboardMarkup,
        ReplyKeyboardRemove,
    }
)


def _as_is(value: object) -> bool:
    """Whether PTB's `ExtBot._insert_defaults` only resolves `value` (an unset option) or
    leaves it as it is (an empty string it would turn into a list)."""
    kind = type(value)
    return kind in _AS_IS or (kind is str and bool(value))


# Set around a send whose caller discards the message sent (handlers/shared.py `reply`): PTB
# then builds no Message from Telegram's answer, a tenth of a typical update's time.
_result_unread: ContextVar[bool] = ContextVar("result_unread", default=False)


@contextmanager
def result_unread() -> Iterator[None]:
    """sendMessage calls made inside return True instead of the Message sent."""
    token = _result_unread.set(True)
    try:
        yield
    finally:
        _result_unread.reset(token)


class Fenced(RuntimeError):
    """A Bot API call refused because this instance is fenced (bot/serve.py)."""


class Bot(ExtBot[None]):
    __slots__ = ("_confirmed_below", "_fenced", "_resume_at", "button_owners")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            # The first update_id not yet skipped over: getUpdates never asks for less.
            self._resume_at = 0
            # (chat id, message id) of buttons sent in a group in answer to one person ->
            # (their id, name): a cache (lost at restart, harmless) so that another person
            # pressing one is told whose it is (handlers/shared.py).
            self.button_owners: dict[tuple[int, int], tuple[int, str]] = {}
            # Fenced (the lease is lost, bot/serve.py): no getUpdates is sent any more, so
            # nothing more is confirmed to Telegram (PTB's Updater confirms a batch with the
            # next request's offset, also in its cleanup call at stop), and a batch that
            # arrives now is dropped unconfirmed: Telegram sends it to the next instance.
            self._fenced = False
            # Telegram has confirmed (and will not send again) every update below this: the
            # offset of the last getUpdates sent.
            self._confirmed_below = 0

    @property
    def fenced(self) -> bool:
        return self._fenced

    @property
    def confirmed_below(self) -> int:
        return self._confirmed_below

    def fence(self) -> None:
        self._fenced = True

    def _insert_defaults(self, data: dict[str, object]) -> None:
        # A usual request holds plain values, reply markups and unset options (DefaultValue):
        # those are done here as PTB does them, without its ladder of isinstance checks per
        # value (abstract classes among them). Anything else goes through PTB's own.
        defaults = self.defaults
        if defaults is None or not all(_as_is(value) for value in data.values()):
            super()._insert_defaults(data)
            return
        api = defaults.api_defaults
        for key, value in data.items():
            if isinstance(value, DefaultValue):
                data[key] = api.get(key, value.value)

    async def _do_post(self, endpoint: str, data: JSONDict, **kwargs: Any) -> Any:
        if self._fenced and not endpoint.startswith("get"):
            # The next active instance answers now: nothing of ours may reach a person.
            raise Fenced(f"{endpoint} refused: this instance lost the lease")
        # Something a person will see or that changes state; a button's spinner stopped with
        # no text shows nothing (the reply that follows it saves).
        silent = endpoint == "answerCallbackQuery" and not data.get("text")
        if not endpoint.startswith("get") and not silent:
            await saving.before_reply()
        result = await super()._do_post(endpoint, data, **kwargs)
        if endpoint == "sendMessage" and _result_unread.get():
            return True  # PTB's _send_message hands True back as it is, unparsed
        return result

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: TimePeriod | None = None,  # noqa: ASYNC109 - PTB's signature
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        if self.fenced:
            return ()
        if self._resume_at and (offset is None or 0 <= offset < self._resume_at):
            offset = self._resume_at  # past an update we skipped: Telegram forgets it
        if offset is not None and offset > 0:
            self._confirmed_below = max(self._confirmed_below, offset)
        data: JSONDict = {
            "timeout": timeout,
            "offset": offset,
            "limit": limit,
            "allowed_updates": allowed_updates,
        }
        # As PTB's Bot.get_updates: a long poll may take `timeout` longer than a request.
        if isinstance(read_timeout, DefaultValue):
            base = self._request[0].read_timeout or 0
        else:
            base = read_timeout or 0
        extra = timeout.total_seconds() if isinstance(timeout, dtm.timedelta) else (timeout or 0)
        raw: list[JSONDict] = await self._post(
            "getUpdates",
            data,
            read_timeout=base + extra,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        if self.fenced:
            return ()
        return tuple(self._parse(raw or []))

    def _parse(self, raw: list[JSONDict]) -> list[Update]:
        updates: list[Update] = []
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            try:
                update = Update.de_json(item, self)
            except Exception as exc:
                # One line, no traceback, no payload (it may hold personal data).
                log.error(
                    "skipped update %s that could not be read: %s: %s",
                    update_id,
                    type(exc).__name__,
                    exc,
                )
                if isinstance(update_id, int):
                    self._resume_at = max(self._resume_at, update_id + 1)
                continue
            self.insert_callback_data(update)
            updates.append(update)
        return updates
