"""Raw Telegram update dicts, built the way `bot.offline.simulator.Simulator` builds them."""

from __future__ import annotations

import itertools
import time
from typing import Any

from bot.offline.fakeapi import BOT_ID, BOT_NAME

_ids = itertools.count(1)
_msg_ids = itertools.count(5_000_000)


def user(uid: int, name: str = "", username: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": uid,
        "is_bot": False,
        "first_name": name or f"居民{uid}",
        "language_code": "zh-hans",
    }
    if username:
        out["username"] = username
    return out


def private_chat(uid: int) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": f"居民{uid}"}


def group_chat(chat_id: int, title: str = "") -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": title or str(chat_id)}


def message(frm: dict[str, Any], chat: dict[str, Any], text: str, kind: str = "") -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": next(_msg_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": frm,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        msg["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
        ]
    return {"update_id": next(_ids), "message": msg, "_kind": kind}


def press(
    frm: dict[str, Any],
    chat: dict[str, Any],
    data: str,
    kind: str = "",
    message_id: int | None = None,
) -> dict[str, Any]:
    bot_msg = {
        "message_id": message_id or next(_msg_ids),
        "date": int(time.time()),
        "chat": chat,
        "text": "…",
        "from": {"id": BOT_ID, "is_bot": True, "first_name": BOT_NAME},
    }
    return {
        "update_id": next(_ids),
        "_kind": kind,
        "callback_query": {
            "id": str(next(_ids)),
            "from": frm,
            "chat_instance": str(chat["id"]),
            "message": bot_msg,
            "data": data,
        },
    }
