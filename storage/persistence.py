"""PTB persistence in our SQLite file: conversation steps and drafts survive a restart.

Only conversations and user_data are stored (bot_data holds live objects; chat_data is unused).
Values must be JSON-serialisable: drafts are plain dicts, lists, strings and numbers.

Write-through: the bot saves after every update and before every reply (`bot/saving.py`), so
this class is asked to save often. It remembers what the database holds and writes only what
changed; an unchanged draft costs one `json.dumps` and no statement.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.db import Database, Params

log = logging.getLogger(__name__)

# A key whose last write failed: the database may hold anything, so the next save writes.
_UNKNOWN = object()
# ("d", user_id) for a draft, ("c", name, encoded key) for a conversation state.
Key = tuple[Any, ...]


def _statement(key: Key, value: str | None) -> tuple[str, tuple[Any, ...]]:
    """The one statement that makes the database hold `value` for `key`."""
    if key[0] == "d":
        if value is None:
            return "DELETE FROM user_drafts WHERE user_id = ?", (key[1],)
        return (
            "INSERT INTO user_drafts (user_id, data) VALUES (?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data",
            (key[1], value),
        )
    if value is None:
        return "DELETE FROM conversations WHERE name = ? AND key = ?", (key[1], key[2])
    return (
        "INSERT INTO conversations (name, key, state) VALUES (?, ?, ?) "
        "ON CONFLICT(name, key) DO UPDATE SET state = excluded.state",
        (key[1], key[2], value),
    )


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, db: Database, update_interval: float = 60) -> None:
        # The interval is only a safety net: the bot saves after each update (bot/saving.py).
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db
        # Writes of one round, committed together (see `_write`).
        self._pending: dict[Key, str | None] = {}
        self._batch: asyncio.Future[None] | None = None  # open: saves may still join it
        self._flushing: asyncio.Future[None] | None = None  # being written
        # What the database holds, or will once the batch writing it commits (None: no row).
        # Loaded at start; a key never seen has no row.
        self._known: dict[Key, object] = {}
        # The batch under way that writes a key: an unchanged save still waits for it.
        self._writing: dict[Key, asyncio.Future[None]] = {}

    async def _put(self, key: Key, value: str | None) -> None:
        """Save one value; returns once the database holds it (committed)."""
        await self.save([(key, value)])

    async def save(self, items: list[tuple[Key, str | None]]) -> None:
        """Save several values (encoded by `draft` and `conversation`) in one batch; returns
        once the database holds them all. A persistence round of the bot (bot/saving.py)."""
        waits: list[asyncio.Future[None]] = []
        changed = False
        for key, value in items:
            if key not in self._pending and self._known.get(key) == value:
                writing = self._writing.get(key)
                if writing is not None:
                    waits.append(writing)
                continue
            self._pending[key] = value
            self._known[key] = value
            changed = True
        if changed:
            await self._write()
        for writing in waits:
            await asyncio.shield(writing)

    async def _write(self) -> None:
        """Join the current batch of writes; the first caller commits it in one transaction.

        Saves that arrive together (a persistence round, concurrent updates finishing at
        once) become one transaction instead of one lock, thread hop and commit each; each
        caller still returns only once its write is committed. While the previous batch is
        being written, the next one stays open: under load every save that arrives meanwhile
        joins it (group commit), and batches still commit in the order they were opened.
        """
        if self._batch is not None:
            await asyncio.shield(self._batch)
            return
        batch = self._batch = asyncio.get_running_loop().create_future()
        pending: dict[Key, str | None] = {}
        try:
            await asyncio.sleep(0)  # let the rest of this round add its writes
            previous = self._flushing
            if previous is not None and not previous.done():
                await asyncio.wait([previous])  # its failure is its own callers' to hear
            self._batch = None
            self._flushing = batch
            pending, self._pending = self._pending, {}
            for key in pending:
                self._writing[key] = batch
            if len(pending) == 1:  # the usual case: one statement commits by itself
                [(key, value)] = pending.items()
                await self.db.execute(*_statement(key, value))
            elif pending:
                grouped: dict[str, list[Params]] = {}
                for key, value in pending.items():
                    sql, params = _statement(key, value)
                    grouped.setdefault(sql, []).append(params)
                await self.db.write_batch(list(grouped.items()))
        except BaseException as exc:
            self._batch = None if self._batch is batch else self._batch
            for key, value in pending.items():
                if self._known.get(key) == value:  # not superseded by a newer save
                    self._known[key] = _UNKNOWN
            batch.set_exception(exc)
            batch.exception()  # retrieved: the waiters re-raise it, nobody else must
            raise
        finally:
            if self._flushing is batch:
                self._flushing = None
            for key in pending:
                if self._writing.get(key) is batch:
                    del self._writing[key]
        batch.set_result(None)

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        await self.db.open()
        rows = await self.db.fetchall("SELECT user_id, data FROM user_drafts")
        out: dict[int, dict[Any, Any]] = {}
        for row in rows:
            self._known[("d", row["user_id"])] = row["data"]
            try:
                out[row["user_id"]] = json.loads(row["data"])
            except ValueError:
                log.warning("dropping unreadable draft of user %s", row["user_id"])
        return out

    @staticmethod
    def draft(user_id: int, data: dict[Any, Any]) -> tuple[Key, str | None] | None:
        """A person's drafts as `save` takes them; None when they cannot be stored."""
        if not data:
            return ("d", user_id), None
        try:
            return ("d", user_id), json.dumps(data, ensure_ascii=False)
        except (TypeError, ValueError):
            log.warning("draft of user %s is not JSON-serialisable; not persisted", user_id)
            return None

    @staticmethod
    def conversation(
        name: str, key: ConversationKey, new_state: object | None
    ) -> tuple[Key, str | None]:
        """A conversation's state as `save` takes it (None: it ended)."""
        encoded = None if new_state is None else json.dumps(new_state)
        return ("c", name, json.dumps(list(key))), encoded

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        # Encoded before the first await: the caller may go on changing `data`.
        item = self.draft(user_id, data)
        if item is not None:
            await self.save([item])

    async def drop_user_data(self, user_id: int) -> None:
        await self._put(("d", user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        await self.db.open()
        rows = await self.db.fetchall(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        )
        for r in rows:
            self._known[("c", name, r["key"])] = r["state"]
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self.save([self.conversation(name, key, new_state)])

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
