"""Acknowledgement means saved: a person's conversation step and drafts are written before the
bot answers them, and at the latest before their next update is processed.

PTB writes persistence every few seconds; after a SIGKILL a resident could go on from an older
step, with an older draft, than the screen they were answering (issue #14). Two hooks:

- `BotApplication.process_update` saves what the update changed (drafts and conversation
  states, only the keys that changed) before it returns. An update processor runs the next
  update of a person only after the previous one returned, so it sees saved state.
- `before_reply()` runs before every request the bot makes while handling an update
  (`bot/polling.py` calls it): that person's drafts are saved first, so a reply, an edited
  screen or a button alert never shows something the database does not hold. The step a
  ConversationHandler moves to is known only when the handler returns; it is saved then.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from copy import deepcopy
from typing import Any

from telegram import Update
from telegram.ext import Application, ExtBot
from telegram.ext._handlers.conversationhandler import PendingState
from telegram.ext._utils.trackingdict import TrackingDict

from bot.context import BotContext, BotData, ChatData, UserData
from storage.persistence import SQLitePersistence

log = logging.getLogger(__name__)

# The application and the user whose update the running task is handling.
_speaking_for: ContextVar[tuple[BotApplication, int] | None] = ContextVar(
    "_speaking_for", default=None
)


class BotApplication(Application[ExtBot[None], BotContext, UserData, ChatData, BotData, Any]):
    async def update_persistence(self) -> None:
        """PTB's round, for our persistence, at a cost fit for every update: drafts and
        conversation states only (what it stores), encoded at once (no deep copies), saved
        in one call (no task per value).

        Without PTB's lock around the round: `save` may be called concurrently (before each
        reply it is), writes of one key commit in the order they were saved, and the rounds
        of updates finishing together then commit in one transaction instead of queueing."""
        persistence = self.persistence
        if not isinstance(persistence, SQLitePersistence):
            await super().update_persistence()
            return
        items = self._persistence_round(persistence)
        if not items:
            return
        try:
            await persistence.save(items)
        except Exception as exc:
            await self.process_error(error=exc, update=None)

    def _persistence_round(self, persistence: SQLitePersistence) -> list[tuple[Any, str | None]]:
        """What PTB's `__update_persistence` would save, taken out of the marks, encoded."""
        # Chat data is not stored: its marks are only dropped (PTB keeps them for ever).
        self._chat_ids_to_be_updated_in_persistence = set()
        self._chat_ids_to_be_deleted_in_persistence = set()
        update_ids = self._user_ids_to_be_updated_in_persistence
        delete_ids = self._user_ids_to_be_deleted_in_persistence
        self._user_ids_to_be_updated_in_persistence = set()
        self._user_ids_to_be_deleted_in_persistence = set()
        items = [persistence.draft(user_id, {}) for user_id in delete_ids]
        items += [
            persistence.draft(user_id, self.user_data[user_id])
            for user_id in update_ids - delete_ids
        ]
        for name, states in self._conversation_handler_conversations.items():
            for key, new_state in states.pop_accessed_write_items():
                result = new_state
                if isinstance(new_state, PendingState):  # a non-blocking handler's step
                    if new_state.done():
                        result = new_state.resolve()
                    else:  # the old state for now; looked at again next round
                        result = new_state.old_state
                        states.mark_as_accessed(key)
                state = None if result is TrackingDict.DELETED else result
                items.append(persistence.conversation(name, key, state))
        return [item for item in items if item is not None]

    async def process_update(self, update: object) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        token = _speaking_for.set((self, user.id)) if user is not None else None
        try:
            await super().process_update(update)
        finally:
            if token is not None:
                _speaking_for.reset(token)
            # Only changed keys reach the database (storage/persistence.py).
            await self.update_persistence()

    async def save_user_data(self, user_id: int) -> None:
        persistence = self.persistence
        if persistence is None or not persistence.store_data.user_data:
            return
        data = self.user_data.get(user_id)
        if data is None:
            return
        # Ours encodes `data` before its first await: no copy needed (PTB's own copies).
        await persistence.update_user_data(
            user_id, data if isinstance(persistence, SQLitePersistence) else deepcopy(data)
        )


async def before_reply() -> None:
    """Save the drafts of the person whose update is being handled, if they changed."""
    current = _speaking_for.get()
    if current is None:  # a scheduled job, start-up: no person's step to save
        return
    app, user_id = current
    try:
        await app.save_user_data(user_id)
    except Exception as exc:  # the reply still goes out; the end of the update saves again
        log.warning("could not save the drafts of user %s before replying: %s", user_id, exc)
