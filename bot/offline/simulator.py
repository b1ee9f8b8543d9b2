"""Drive the real Application through the fake Bot API: tests, `demo`, `chat`, benchmarks.

A `Simulator` builds the bot exactly as `community-bot run` does (same handlers, same SQLite
file, rate limiter on), only with `FakeBotAPI` as its request layer and a clock it can move.
It turns "this person types this in that chat" and "presses that button" into real Telegram
updates, feeds them through the Application's update processor (the same concurrent, per-chat
ordered processing as production, bot/updates.py) and returns what the bot sent back.

`send`/`press` return once their update is handled, so a test reads like a conversation.
Several at once (`asyncio.gather`, or `submit` without waiting) run as they would in
production: different chats at the same time, one chat's updates in order; `idle()` waits
until all are done.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Update

from bot.app import build_application, shutdown_runtime, start_runtime
from bot.clock import FakeClock
from bot.config import Config
from bot.context import App
from bot.offline.fakeapi import ApiCall, FakeBotAPI
from bot.ratelimit import ChatRateLimiter
from bot.runtime import Runtime, get_runtime
from bot.throttle import Throttle
from bot.updates import OrderedUpdateProcessor

# Where the Bot API calls made while handling an update go (see `feed`).
_collecting: contextvars.ContextVar[list[ApiCall] | None] = contextvars.ContextVar(
    "sim_collecting", default=None
)


def _collect(call: ApiCall) -> None:
    calls = _collecting.get()
    if calls is not None:
        calls.append(call)


FAKE_TOKEN = "123456789:SIMULATED-offline-token-000000000000"


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "zh-hans"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass(frozen=True)
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str = ""

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def as_dict(self) -> dict[str, Any]:
        if self.type == "private":
            return {"id": self.id, "type": "private", "first_name": self.title or str(self.id)}
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class Reply:
    """What the bot sent while handling one update."""

    calls: list[ApiCall] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.calls if c.text]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def to(self, chat_id: int) -> list[ApiCall]:
        return [c for c in self.calls if c.chat_id == chat_id]

    def last_with_buttons(self) -> ApiCall | None:
        for call in reversed(self.calls):
            if call.buttons:
                return call
        return None

    def alerts(self) -> list[str]:
        return [
            str(c.params.get("text", ""))
            for c in self.calls
            if c.method == "answerCallbackQuery" and c.params.get("text")
        ]


class Simulator:
    def __init__(
        self,
        database_path: str,
        *,
        admins: tuple[int, ...] = (),
        clock: FakeClock | None = None,
        api: FakeBotAPI | None = None,
        rate_limited: bool = False,
        timezone: str = "Asia/Shanghai",
        freeze_gc: bool = False,
        throttle: Throttle | None = None,
        latency: float = 0.0,
        limits: bool = False,
        concurrency: int | None = None,
    ) -> None:
        """`latency` (a Bot API round trip, seconds) and `limits` (Telegram's 30/s and 20/min
        per group, answered with 429) shape a new fake; `concurrency` sets BOT_CONCURRENCY."""
        self.clock = clock or FakeClock()
        self.api = api or FakeBotAPI(
            now=lambda: self.clock.now().timestamp(), latency=latency, limits=limits
        )
        config = Config(
            token=FAKE_TOKEN,
            api_url="http://127.0.0.1:9/bot",  # never contacted: the fake answers in-process
            database_path=database_path,
            timezone=timezone,
            admins=frozenset(admins),
        )
        if concurrency is not None:
            config = dataclasses.replace(config, concurrency=concurrency)
        self.config = config
        if _collect not in self.api.listeners:
            self.api.listeners.append(_collect)
        self.rate_limited = rate_limited
        self.freeze_gc = freeze_gc  # as `community-bot run` does; the benchmark turns it on
        # Tests send many updates per (fake) second as one person: flood control is off
        # unless a test or the benchmark hands one in.
        self.throttle = throttle if throttle is not None else Throttle(enabled=False)
        self.app: App | None = None
        # Wait for the jobs an update started in the background before returning its reply
        # (deterministic tests); off to see what the person gets before the job is done.
        self.settle_background = True
        self._message_ids = itertools.count(1)
        self.listeners: list[Callable[[str, Any], None]] = []

    # ---- lifecycle -----------------------------------------------------------------------
    async def start(self) -> Simulator:
        limiter = (
            ChatRateLimiter(max_retries=3)
            if self.rate_limited
            else ChatRateLimiter(overall_per_s=0, group_per_min=0, max_retries=3)
        )
        self.app = build_application(
            self.config,
            request=self.api,
            clock=self.clock,
            rate_limiter=limiter,
            freeze_gc=self.freeze_gc,
            throttle=self.throttle,
            retry_delays=(0.0, 0.0, 0.0),  # the same retries, without the real waiting
        )
        await self.app.initialize()
        await start_runtime(self.app)
        return self

    async def stop(self) -> None:
        if self.app is not None:
            await self.idle()  # updates still being handled need the bot, which goes first
            await self.rt.scheduler.settle()
            await self.app.shutdown()  # writes conversation state, like a clean stop
            await shutdown_runtime(self.app)
            self.app = None

    async def restart(self) -> None:
        """A new Application on the same database file and the same (fake) Telegram."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def processor(self) -> OrderedUpdateProcessor:
        assert self.app is not None, "simulator not started"
        processor = self.app.update_processor
        assert isinstance(processor, OrderedUpdateProcessor)
        return processor

    async def idle(self) -> None:
        """Wait until every update handed in (also without waiting for it) is handled."""
        assert self.app is not None, "simulator not started"
        processor = self.app.update_processor
        if isinstance(processor, OrderedUpdateProcessor):  # the benchmark may swap it
            await processor.idle()

    @property
    def rt(self) -> Runtime:
        assert self.app is not None, "simulator not started"
        return get_runtime(self.app)

    # ---- people and chats ------------------------------------------------------------------
    def private(self, person: Person) -> Chat:
        chat = Chat(person.id, "private", person.first_name)
        self.api.register_chat(chat.as_dict())
        return chat

    def group(self, chat_id: int, title: str, kind: str = "supergroup") -> Chat:
        chat = Chat(chat_id, kind, title)
        self.api.register_chat(chat.as_dict())
        return chat

    def make_group_admin(self, chat: Chat, person: Person) -> None:
        self.api.chat_admins.setdefault(chat.id, set()).add(person.id)

    # ---- updates ---------------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def message_payload(
        self, person: Person, chat: Chat, text: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": self.api.new_message_id(),
            "date": self._now(),
            "chat": chat.as_dict(),
            "from": person.as_dict(),
            **extra,
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                msg["entities"] = [
                    {
                        "type": "bot_command",
                        "offset": 0,
                        "length": len(command.encode("utf-16-le")) // 2,
                    }
                ]
        return msg

    async def send(
        self, person: Person, chat: Chat, text: str | None = None, **extra: Any
    ) -> Reply:
        """`person` sends `text` (or another kind of message via `extra`) in `chat`."""
        return await self.feed(self.message_update(person, chat, text, **extra))

    async def send_photo(self, person: Person, chat: Chat, caption: str | None = None) -> Reply:
        file_id = f"P{next(self._message_ids):06d}"
        self.api.files[file_id] = b"\x89PNG\r\n\x1a\nfake-photo"
        photo = [{"file_id": file_id, "file_unique_id": "u" + file_id, "width": 640, "height": 480}]
        extra: dict[str, Any] = {"photo": photo}
        if caption:
            extra["caption"] = caption
        return await self.send(person, chat, None, **extra)

    async def send_voice(self, person: Person, chat: Chat, seconds: int = 5) -> Reply:
        file_id = f"V{next(self._message_ids):06d}"
        self.api.files[file_id] = b"OggS fake-voice"
        voice = {"file_id": file_id, "file_unique_id": "u" + file_id, "duration": seconds}
        return await self.send(person, chat, None, voice=voice)

    async def press(
        self,
        person: Person,
        source: ApiCall | Reply | None,
        label: str | None = None,
        *,
        data: str | None = None,
        chat: Chat | None = None,
    ) -> Reply:
        """`person` presses the button whose text contains `label` on a message the bot sent.

        `data` presses a button with arbitrary (possibly forged) callback data instead.
        """
        return await self.feed(self.press_update(person, source, label, data=data, chat=chat))

    def press_update(
        self,
        person: Person,
        source: ApiCall | Reply | None,
        label: str | None = None,
        *,
        data: str | None = None,
        chat: Chat | None = None,
    ) -> dict[str, Any]:
        """The raw update of a press (see `press`), to `submit` without waiting."""
        call = source.last_with_buttons() if isinstance(source, Reply) else source
        if data is None:
            if call is None:
                raise AssertionError("no message with buttons to press")
            button = self.find_button(call, label)
            if "callback_data" not in button:
                raise AssertionError(f"button {button.get('text')!r} is a link, not a callback")
            data = button["callback_data"]
            self._emit("press", (person, call, button.get("text", "")))
        else:
            self._emit("press", (person, call, f"<data {data!r}>"))
        message = self._message_of(call, chat)
        return {
            "update_id": self.api.next_update_id(),
            "callback_query": {
                "id": str(self.api.next_update_id()),
                "from": person.as_dict(),
                "chat_instance": str(message["chat"]["id"]),
                "message": message,
                "data": data,
            },
        }

    def message_update(
        self, person: Person, chat: Chat, text: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """The raw update of a message (see `send`), to `submit` without waiting."""
        message = self.message_payload(person, chat, text, **extra)
        self._emit("message", (person, chat, text, extra))
        return {"update_id": self.api.next_update_id(), "message": message}

    def _message_of(self, call: ApiCall | None, chat: Chat | None) -> dict[str, Any]:
        if call is not None and call.message_id is not None and call.chat_id is not None:
            stored = self.api.messages.get((call.chat_id, call.message_id))
            if stored is not None:
                return stored
        target = chat.as_dict() if chat else {"id": 1, "type": "private", "first_name": "?"}
        return {
            "message_id": 1,
            "date": self._now(),
            "chat": target,
            "from": {"id": 1, "is_bot": True, "first_name": "bot"},
            "text": "…",
        }

    @staticmethod
    def find_button(call: ApiCall | Reply | None, label: str | None) -> dict[str, Any]:
        if isinstance(call, Reply):
            call = call.last_with_buttons()
        if call is None:
            raise AssertionError("no message with buttons")
        buttons = [b for row in call.buttons for b in row]
        for button in buttons:
            if label is None or label in button.get("text", ""):
                return button
        texts = [b.get("text") for b in buttons]
        raise AssertionError(f"no button containing {label!r}; buttons: {texts}")

    def current(self, call: ApiCall) -> ApiCall:
        """The message as it stands now (after edits), as an ApiCall to press buttons on."""
        assert call.chat_id is not None and call.message_id is not None
        msg = self.api.messages[(call.chat_id, call.message_id)]
        params = {
            "chat_id": call.chat_id,
            "message_id": call.message_id,
            "text": msg.get("text") or msg.get("caption", ""),
            "reply_markup": msg.get("reply_markup"),
        }
        return ApiCall("message", params, result=msg)

    def submit(self, update: dict[str, Any]) -> asyncio.Future[None]:
        """Hand one raw update in, as PTB's fetcher does, without waiting for it."""
        assert self.app is not None, "simulator not started"
        parsed = Update.de_json(update, self.app.bot)
        return self.processor.submit(parsed, self.app.process_update(parsed))

    async def feed(self, update: dict[str, Any]) -> Reply:
        """Hand one raw update in, wait until it is handled, and collect what the bot sent
        while handling it (its own calls only, also when others run at the same time)."""
        calls: list[ApiCall] = []
        token = _collecting.set(calls)  # the update's task copies this context
        try:
            handled = self.submit(update)
        finally:
            _collecting.reset(token)
        await handled
        if self.settle_background:  # jobs the update started in the background (run_key_soon)
            await self.rt.scheduler.settle()
        for call in calls:
            self._emit("bot", call)
        return Reply(calls)

    async def advance(self, delta: timedelta) -> Reply:
        """Move the clock and run every scheduled job that became due."""
        start = len(self.api.calls)
        self.clock.advance(delta)
        await self.rt.scheduler.settle()
        await self.rt.scheduler.run_due()
        calls = self.api.calls[start:]
        for call in calls:
            self._emit("bot", call)
        return Reply(calls)

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Steps that set the scene without cluttering a transcript."""
        saved, self.listeners = self.listeners, []
        try:
            yield
        finally:
            self.listeners = saved

    def _emit(self, kind: str, payload: Any) -> None:
        for listener in self.listeners:
            listener(kind, payload)
