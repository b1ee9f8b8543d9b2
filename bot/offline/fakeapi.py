"""An offline Bot API at the request layer, for tests, the demo, `chat` and the benchmark.

`FakeBotAPI` is a `telegram.request.BaseRequest`: the real `Bot` and `Application` talk to it
exactly as they would to Telegram, and it answers the methods the bot uses, keeps the messages
it "sent" (so edits apply), hands out queued updates to getUpdates, and records every call.
It can also inject failures (blocked users, 429 RetryAfter, 5xx, timeouts).

Real network conditions, both off by default (tests stay instant): `latency` is a round trip
in seconds (half on the way there, the call takes effect, half on the way back), and
`limits=True` enforces Telegram's flood limits in real time as token buckets, the shape
Telegram documents: about 30 messages a second overall (a burst of 30, refilled at 30/s) and
20 a minute per group (a burst of 20, refilled at 20/60 s). A send over a limit is answered as
Telegram does, HTTP 429 with `parameters.retry_after`, and is not delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.request import SEND_METHODS
from storage.db import holding_database

log = logging.getLogger(__name__)

BOT_ID = 7000000001
BOT_USERNAME = "community_helper_bot"
BOT_NAME = "社区助手"


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None
    at: float = 0.0

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if isinstance(markup, dict):
            return markup.get("inline_keyboard") or []
        return []

    @property
    def message_id(self) -> int | None:
        if isinstance(self.result, dict):
            return self.result.get("message_id")
        mid = self.params.get("message_id")
        return int(mid) if mid is not None else None


@dataclass
class Failure:
    """Answer the next `times` matching calls with an error instead of doing them."""

    method: str | None
    chat_id: int | None
    status: int
    description: str
    times: int = 1
    retry_after: int | None = None
    raise_timeout: bool = False
    refuse_connection: bool = False  # as HTTPXRequest reports a refused connection
    done_anyway: bool = False  # with raise_timeout: Telegram did it, only the answer was lost


class _ApiError(Exception):
    """An error answer of the Bot API, raised by a method's fake."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class Bucket:
    """A token bucket in real (monotonic) time."""

    def __init__(
        self, capacity: float, per_second: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.rate = per_second
        self.tokens = capacity
        self.clock = clock
        self.at = clock()

    def take(self) -> float:
        """0 when a token was taken, else seconds until one is available."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def give_back(self) -> None:
        self.tokens = min(self.capacity, self.tokens + 1)


def _chat_id(request_data: RequestData | None) -> int:
    try:
        value: Any = request_data.parameters.get("chat_id", 0) if request_data else 0
        return int(value)
    except (TypeError, ValueError):  # a @channel username
        return 0


def _markup(raw: Any) -> Any:
    return (json.loads(raw) if isinstance(raw, str) else raw) or None


class FakeBotAPI(BaseRequest):
    def __init__(
        self,
        *,
        seed: int = 0,
        now: Callable[[], float] = time.time,
        latency: float = 0.0,
        limits: bool = False,
        overall_per_s: float = 30,
        group_per_min: float = 20,
    ) -> None:
        self.calls: list[ApiCall] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.chat_admins: dict[int, set[int]] = {}
        self.blocked: set[int] = set()
        self.dice_values: deque[int] = deque()
        self.failures: list[Failure] = []
        self.listeners: list[Callable[[ApiCall], None]] = []
        # Updates not yet confirmed, as Telegram keeps them: getUpdates hands out those at or
        # after its offset and forgets those before it.
        self.pending_updates: list[dict[str, Any]] = []
        self._arrived: asyncio.Event | None = None
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._rng = random.Random(seed)
        self._now = now
        self.latency = latency
        self.limits = limits
        self.overall = Bucket(overall_per_s, overall_per_s)
        self.group_per_min = group_per_min
        self.groups: dict[int, Bucket] = {}
        self.too_many = 0  # sends answered 429
        self.delivered: Counter[int] = Counter()  # sends that arrived, per chat
        self.first_at: float | None = None  # perf_counter of the first / last arrived send
        self.last_at: float | None = None
        # Calls made while the caller held a database lock: a transaction open across a
        # network call (it stalls every other chat for a round trip). Tests assert it is empty.
        self.in_transaction: list[ApiCall] = []

    # ---- BaseRequest ------------------------------------------------------------------------
    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:  # a file download (getFile's file_path)
            file_id = url.rsplit("/", 1)[-1]
            if file_id in self.files:
                return 200, self.files[file_id]
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        api_method = url.rsplit("/", 1)[-1]
        if not self.latency or api_method == "getUpdates":
            return await self._arrive(api_method, request_data)
        await asyncio.sleep(self.latency / 2)  # on the way to Telegram
        try:
            return await self._arrive(api_method, request_data)
        finally:
            await asyncio.sleep(self.latency / 2)  # and the answer on its way back

    async def _arrive(self, api_method: str, request_data: RequestData | None) -> tuple[int, bytes]:
        """The request reaches Telegram: check the limits, then do it."""
        sends = api_method in SEND_METHODS and request_data is not None
        chat_id = _chat_id(request_data) if sends else 0
        if self.limits and sends:
            wait = self.overall.take()
            if wait == 0 and chat_id < 0:
                bucket = self.groups.setdefault(
                    chat_id, Bucket(self.group_per_min, self.group_per_min / 60)
                )
                wait = bucket.take()
                if wait:
                    self.overall.give_back()  # not delivered: the overall token is not used
            if wait:
                self.too_many += 1
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {math.ceil(wait)}",
                    "parameters": {"retry_after": math.ceil(wait)},
                }
                return 429, json.dumps(body).encode()
        status, payload = await self._answer(api_method, request_data)
        if status == 200 and sends:
            self.delivered[chat_id] += 1
            now = time.perf_counter()
            self.first_at = self.first_at or now
            self.last_at = now
        return status, payload

    async def _answer(self, api_method: str, request_data: RequestData | None) -> tuple[int, bytes]:
        params = dict(request_data.parameters) if request_data else {}
        files: dict[str, bytes] = {}
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                content = part[1]
                files[name] = content if isinstance(content, bytes) else content.read()
        call = ApiCall(api_method, params, files, at=self._now())
        if holding_database():
            self.in_transaction.append(call)
        failure = self._take_failure(call)
        if failure is not None and not failure.done_anyway:
            if failure.refuse_connection:
                raise NetworkError("httpx.ConnectError: refused") from httpx.ConnectError("refused")
            if failure.raise_timeout:
                raise TimedOut("fake timeout")
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, json.dumps(body).encode()
        if api_method in SEND_METHODS and call.chat_id in self.blocked:
            return 403, json.dumps(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                }
            ).encode()
        handler = getattr(self, f"_api_{api_method}", None)
        if handler is None:
            result: Any = True
        else:
            try:
                result = handler(params, files)
                if asyncio.iscoroutine(result):
                    result = await result
            except _ApiError as exc:
                return exc.status, json.dumps(
                    {"ok": False, "error_code": exc.status, "description": exc.description}
                ).encode()
        call.result = result
        if api_method != "getUpdates" or result:
            self.calls.append(call)
            for listener in self.listeners:
                listener(call)
        if failure is not None and failure.done_anyway:
            raise TimedOut("fake timeout after the request was carried out")
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _take_failure(self, call: ApiCall) -> Failure | None:
        for failure in self.failures:
            if failure.method not in (None, call.method):
                continue
            if failure.chat_id is not None and failure.chat_id != call.chat_id:
                continue
            failure.times -= 1
            if failure.times <= 0:
                self.failures.remove(failure)
            return failure
        return None

    # ---- test controls -----------------------------------------------------------------------
    def fail(
        self,
        method: str | None,
        status: int = 500,
        description: str = "Internal error",
        *,
        times: int = 1,
        chat_id: int | None = None,
        retry_after: int | None = None,
        timeout: bool = False,
        refuse_connection: bool = False,
        done_anyway: bool = False,
    ) -> None:
        self.failures.append(
            Failure(
                method,
                chat_id,
                status,
                description,
                times,
                retry_after,
                timeout,
                refuse_connection,
                done_anyway,
            )
        )

    def register_chat(self, chat: dict[str, Any]) -> None:
        self.chats[int(chat["id"])] = chat

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def new_message_id(self) -> int:
        return next(self._message_ids)

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (long polling through the real Updater)."""
        self.pending_updates.append(update)
        if self._arrived is not None:
            self._arrived.set()

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[ApiCall]:
        return [
            c
            for c in self.calls
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
        ]

    # ---- helpers -----------------------------------------------------------------------------
    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": BOT_NAME, "username": BOT_USERNAME}

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        cid = int(chat_id)
        if cid in self.chats:
            return self.chats[cid]
        if cid > 0:
            return {"id": cid, "type": "private", "first_name": str(cid)}
        return {"id": cid, "type": "supergroup", "title": str(cid)}

    def _new_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        msg: dict[str, Any] = {
            "message_id": self.new_message_id(),
            "date": int(self._now()),
            "chat": chat,
            "from": self._bot_user(),
            **content,
        }
        if params.get("reply_markup"):
            markup = params["reply_markup"]
            markup = json.loads(markup) if isinstance(markup, str) else markup
            # As Telegram: a message carries its inline keyboard only, never a reply keyboard.
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                msg["reply_markup"] = markup
        self.messages[(chat["id"], msg["message_id"])] = msg
        return msg

    def _store_file(self, content: bytes, params_value: Any) -> str:
        if isinstance(params_value, str) and not params_value.startswith("attach://"):
            return params_value  # re-sending an existing file_id
        file_id = f"F{next(self._file_ids):06d}"
        self.files[file_id] = content
        return file_id

    # ---- Bot API methods ---------------------------------------------------------------------
    def _api_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> list[Any]:
        offset = int(params.get("offset") or 0)
        if offset > 0:  # confirms every update before it
            self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
        if not self.pending_updates:
            if self._arrived is None:
                self._arrived = asyncio.Event()
            self._arrived.clear()
            timeout = min(float(params.get("timeout") or 0), 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=timeout or 0.01)
        return self.pending_updates[: int(params.get("limit") or 100)]

    def _api_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._new_message(params, text=str(params.get("text", "")))

    def _api_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        content = next(iter(files.values()), b"")
        file_id = self._store_file(content, params.get("photo"))
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 800,
                "height": 600,
                "file_size": len(self.files.get(file_id, b"")),
            }
        ]
        return self._new_message(params, photo=photo, caption=str(params.get("caption", "")))

    def _api_sendVoice(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        content = next(iter(files.values()), b"")
        file_id = self._store_file(content, params.get("voice"))
        voice = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 5}
        return self._new_message(params, voice=voice)

    def _api_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        content = next(iter(files.values()), b"")
        file_id = self._store_file(content, params.get("document"))
        doc = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": "document",
            "file_size": len(content),
        }
        return self._new_message(params, document=doc, caption=str(params.get("caption", "")))

    def _api_sendDice(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        value = self.dice_values.popleft() if self.dice_values else self._rng.randint(1, 6)
        emoji = params.get("emoji") or "🎲"
        return self._new_message(params, dice={"emoji": emoji, "value": value})

    def _api_sendMediaGroup(self, params: dict[str, Any], files: dict[str, bytes]) -> list[Any]:
        media = params.get("media") or []
        if isinstance(media, str):
            media = json.loads(media)
        out = []
        for item in media:
            file_id = self._store_file(b"", item.get("media"))
            out.append(
                self._new_message(
                    params,
                    photo=[
                        {
                            "file_id": file_id,
                            "file_unique_id": f"u{file_id}",
                            "width": 800,
                            "height": 600,
                        }
                    ],
                    caption=item.get("caption", ""),
                )
            )
        return out

    def _edit(self, params: dict[str, Any], **changes: Any) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        key = (int(params["chat_id"]), int(params["message_id"]))
        msg = self.messages.get(key)
        if (
            msg is not None
            and all(msg.get(k) == v for k, v in changes.items())
            and (_markup(params.get("reply_markup")) == msg.get("reply_markup"))
        ):
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same",
            )
        if msg is None:
            msg = {
                "message_id": key[1],
                "date": int(self._now()),
                "chat": self._chat(key[0]),
                "from": self._bot_user(),
            }
            self.messages[key] = msg
        msg.update(changes)
        markup = _markup(params.get("reply_markup"))
        if markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        msg["edit_date"] = int(self._now())
        return msg

    def _api_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._edit(params, text=str(params.get("text", "")))

    def _api_editMessageCaption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._edit(params, caption=str(params.get("caption", "")))

    def _api_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._edit(params)

    def _api_deleteMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.messages.pop((int(params["chat_id"]), int(params["message_id"])), None)
        return True

    def _api_getChat(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._chat(params["chat_id"])

    def _api_getChatMember(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = "administrator" if user_id in self.chat_admins.get(chat_id, set()) else "member"
        member: dict[str, Any] = {
            "status": status,
            "user": {"id": user_id, "is_bot": False, "first_name": str(user_id)},
        }
        if status == "administrator":
            member.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            )
        return member

    def _api_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files.get(file_id, b"")),
            "file_path": file_id,
        }
