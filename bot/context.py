"""The typed context every handler and job callback receives (PTB `ContextTypes`).

`context.rt` is the runtime (config, database, clock, scheduler, caches); `context.bot` the
bot. Jobs that have no update get the same context class from the JobQueue.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.runtime import Runtime, get_runtime

UserData: TypeAlias = dict[Any, Any]
ChatData: TypeAlias = dict[Any, Any]
BotData: TypeAlias = dict[Any, Any]


class BotContext(CallbackContext[ExtBot[None], UserData, ChatData, BotData]):
    @property
    def rt(self) -> Runtime:
        return get_runtime(self.application)

    @property
    def state(self) -> UserData:
        """This person's conversation state and drafts (`user_data`), never None in handlers
        that have a user; raises in a job without one, where using it would be a bug."""
        data = self.user_data
        if data is None:
            raise RuntimeError("no user in this context")
        return data


# The Application type used everywhere (built with CONTEXT_TYPES in bot/app.py).
App: TypeAlias = Application[ExtBot[None], BotContext, UserData, ChatData, BotData, Any]

CONTEXT_TYPES: ContextTypes[BotContext, UserData, ChatData, BotData] = ContextTypes(
    context=BotContext
)
