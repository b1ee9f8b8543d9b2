"""PTB persistence in our SQLite file: conversation steps and drafts survive a restart.

Only conversations and user_data are stored (bot_data holds live objects; chat_data is unused).
Values must be JSON-serialisable: drafts are plain dicts, lists, strings and numbers.
"""

from __future__ import annotations

import asyncio
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
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db
        # Writes of one persistence round, committed together (see `_write`).
        self._pending_drafts: dict[int, str | None] = {}
        self._pending_states: dict[tuple[str, str], str | None] = {}
        self._batch: asyncio.Future[None] | None = None

    async def _write(self) -> None:
        """Join the current batch of writes; the first caller commits it in one transaction.

        PTB's persistence round calls `update_*` for every user and conversation touched in
        the last interval, all at once; one statement each (lock, thread hop, commit) kept the
        database busy for tens of milliseconds and every update waiting behind it. Now the
        round is one transaction; each caller still returns only once its write is committed.
        """
        if self._batch is not None:
            await asyncio.shield(self._batch)
            return
        batch = self._batch = asyncio.get_running_loop().create_future()
        try:
            await asyncio.sleep(0)  # let the rest of this round add its writes
            self._batch = None
            drafts, self._pending_drafts = self._pending_drafts, {}
            states, self._pending_states = self._pending_states, {}
            async with self.db.transaction() as tx:
                await tx.executemany(
                    "INSERT INTO user_drafts (user_id, data) VALUES (?, ?) "
                    "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data",
                    [(uid, data) for uid, data in drafts.items() if data is not None],
                )
                await tx.executemany(
                    "DELETE FROM user_drafts WHERE user_id = ?",
                    [(uid,) for uid, data in drafts.items() if data is None],
                )
                await tx.executemany(
                    "INSERT INTO conversations (name, key, state) VALUES (?, ?, ?) "
                    "ON CONFLICT(name, key) DO UPDATE SET state = excluded.state",
                    [(n, k, v) for (n, k), v in states.items() if v is not None],
                )
                await tx.executemany(
                    "DELETE FROM conversations WHERE name = ? AND key = ?",
                    [(n, k) for (n, k), v in states.items() if v is None],
                )
        except BaseException as exc:
            self._batch = None if self._batch is batch else self._batch
            batch.set_exception(exc)
            batch.exception()  # retrieved: the waiters re-raise it, nobody else must
            raise
        batch.set_result(None)

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
        self._pending_drafts[user_id] = encoded
        await self._write()

    async def drop_user_data(self, user_id: int) -> None:
        self._pending_drafts[user_id] = None
        await self._write()

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        await self.db.open()
        rows = await self.db.fetchall(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        )
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        self._pending_states[(name, encoded_key)] = (
            None if new_state is None else json.dumps(new_state)
        )
        await self._write()

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
