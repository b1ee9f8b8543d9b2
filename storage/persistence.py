"""PTB persistence in our SQLite file: conversation steps and drafts survive a restart.

Only conversations and user_data are stored (bot_data holds live objects; chat_data is unused).
Values must be JSON-serialisable: drafts are plain dicts, lists, strings and numbers.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.db import Database

log = logging.getLogger(__name__)


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, db: Database, update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.db = db

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        await self.db.open()
        rows = await self.db.fetchall("SELECT user_id, data FROM user_drafts")
        out: dict[int, dict[Any, Any]] = {}
        for row in rows:
            try:
                out[row["user_id"]] = json.loads(row["data"])
            except ValueError:
                log.warning("dropping unreadable draft of user %s", row["user_id"])
        return out

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        if not data:
            await self.drop_user_data(user_id)
            return
        try:
            encoded = json.dumps(data, ensure_ascii=False)
        except (TypeError, ValueError):
            log.warning("draft of user %s is not JSON-serialisable; not persisted", user_id)
            return
        await self.db.execute(
            "INSERT INTO user_drafts (user_id, data) VALUES (?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data",
            (user_id, encoded),
        )

    async def drop_user_data(self, user_id: int) -> None:
        await self.db.execute("DELETE FROM user_drafts WHERE user_id = ?", (user_id,))

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        await self.db.open()
        rows = await self.db.fetchall(
            "SELECT key, state FROM conversations WHERE name = ?", (name,))
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        if new_state is None:
            await self.db.execute(
                "DELETE FROM conversations WHERE name = ? AND key = ?", (name, encoded_key))
            return
        await self.db.execute(
            "INSERT INTO conversations (name, key, state) VALUES (?, ?, ?) "
            "ON CONFLICT(name, key) DO UPDATE SET state = excluded.state",
            (name, encoded_key, json.dumps(new_state)),
        )

    # Not stored: bot_data, chat_data, callback_data.
    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
