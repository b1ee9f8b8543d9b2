"""Render workflow outcomes: translate each `Text` for its reader and deliver each `Tell`.

Used by handlers after a workflow returns and by scheduled jobs (with the Application, no
CallbackContext). Personal messages go through `send_private` (blocked users are marked).
"""

from __future__ import annotations

from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import App, BotContext
from bot.i18n import Translate
from bot.polling import result_unread
from bot.runtime import get_runtime
from bot.workflows.outcome import Button, Tell, Text
from handlers.shared import group_lang, send_private, tr_user, translator


def render(_: Translate, text: Text) -> str:
    message = _(text.msgid)
    return message.format(**text.args) if text.args else message


def markup(_: Translate, rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(render(_, b.label), callback_data=b.data, url=b.url) for b in row]
            for row in rows
        ]
    )


async def deliver(source: BotContext | App, tells: Iterable[Tell]) -> None:
    """Send each message in its reader's language: a person's, or a group's (negative ids)."""
    rt = get_runtime(source)
    for tell in tells:
        if tell.to < 0:
            _ = translator(await group_lang(rt, tell.to))
            with result_unread():
                await source.bot.send_message(
                    tell.to, render(_, tell.text), reply_markup=markup(_, tell.buttons)
                )
        else:
            _ = await tr_user(source, tell.to)
            await send_private(
                source, tell.to, render(_, tell.text), reply_markup=markup(_, tell.buttons)
            )
