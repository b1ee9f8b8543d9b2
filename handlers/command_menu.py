"""Telegram's command menu (the "/" button), per audience and language.

- Everyone, by default (`BotCommandScopeDefault`): the residents' commands, in Simplified
  Chinese, and in English for Telegram clients set to English. Telegram's `language_code` is a
  two-letter code, so "zh" cannot tell Simplified from Traditional: Traditional readers get
  Traditional in their own chat menu only (below).
- Groups (`BotCommandScopeAllGroupChats`): the commands used in the group itself; group admins
  (`BotCommandScopeAllChatAdministrators`) also /setup.
- A person with a role (or a bot admin), in their private chat (`BotCommandScopeChat`): the
  residents' commands plus their roles' ones, in their language. Set when a role is granted or
  revoked (`refresh_person`; with no role left the chat menu is deleted, so the default applies).

Role holders' menus are refreshed lazily, on their first private update after a start-up (or
after they change language), not all at start-up: Telegram keeps chat menus across our restarts,
so a start-up pass would mostly repeat them, a burst of calls before the bot answers anyone;
the lazy check costs a dictionary look-up per private update and one call per role holder and
process, and it also reaches people granted a role before they ever opened a private chat
(Telegram refuses a chat menu for a chat that does not exist yet).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import TypeHandler

from bot import i18n
from bot.commands import (
    GROUP_ADMIN_COMMANDS,
    GROUP_COMMANDS,
    Audience,
    CommandInfo,
    audiences,
    named,
    visible_to,
)
from bot.context import App
from bot.runtime import get_runtime
from bot.workflows import community as flow
from handlers.shared import Context, is_private, user_lang
from storage.db import is_temporary

log = logging.getLogger(__name__)

MAX_COMMANDS = 100  # Telegram's limit per menu
MAX_DESCRIPTION = 256
# (language_code for setMyCommands, our catalogue): None is the default for every language.
DEFAULT_LANGUAGES: tuple[tuple[str | None, str], ...] = ((None, i18n.DEFAULT_LANG), ("en", "en"))
SEEN = "command_menus"  # rt.cache: user id -> the language their menu was last checked in


def bot_commands(lang: str, infos: Sequence[CommandInfo]) -> list[BotCommand]:
    return [
        BotCommand(c.name, i18n.gettext(lang, c.description)[:MAX_DESCRIPTION])
        for c in infos[:MAX_COMMANDS]
    ]


async def set_default_menus(app: App) -> None:
    """At start-up: everyone's menu and the groups' menus, in each language Telegram can tell."""
    residents = visible_to({Audience.EVERYONE, Audience.RESIDENT})
    menus: list[tuple[BotCommandScope, list[CommandInfo]]] = [
        (BotCommandScopeDefault(), residents),
        (BotCommandScopeAllGroupChats(), named(GROUP_COMMANDS)),
        (BotCommandScopeAllChatAdministrators(), named(GROUP_ADMIN_COMMANDS)),
    ]
    try:
        for scope, infos in menus:
            for code, lang in DEFAULT_LANGUAGES:
                await app.bot.set_my_commands(
                    bot_commands(lang, infos), scope=scope, language_code=code
                )
    except TelegramError as exc:  # cosmetic: the bot works without the command menu
        log.warning("could not set the command menu: %s", exc)


async def refresh_person(source: Context | App, user_id: int) -> bool:
    """Set (or, with no role left, delete) this person's private-chat menu. False when
    Telegram refused (no private chat yet, a network failure): the next private update tries
    again."""
    rt = get_runtime(source)
    bot = source.bot
    seen: dict[int, str] = rt.cache.setdefault(SEEN, {})
    seen.pop(user_id, None)
    roles = await flow.roles_anywhere(rt, user_id)
    admin = rt.is_admin(user_id)
    lang = await user_lang(rt, user_id)
    scope = BotCommandScopeChat(user_id)
    try:
        if roles or admin:
            infos = visible_to(audiences(roles, admin=admin))
            await bot.set_my_commands(bot_commands(lang, infos), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as exc:
        log.info("could not set the command menu of %s: %s", user_id, exc)
        return False
    seen[user_id] = lang
    return True


async def check_menu(update: Update, context: Context) -> None:
    """Before every private update: a role holder whose menu was not set by this process (or
    in another language) gets it now. Residents cost one roles look-up per process, no call."""
    user = update.effective_user
    if user is None or user.is_bot or not is_private(update):
        return
    rt = context.rt
    seen: dict[int, str] = rt.cache.setdefault(SEEN, {})
    try:
        lang = await user_lang(rt, user.id, user.language_code)
        if seen.get(user.id) == lang:
            return
        if not rt.is_admin(user.id) and not await flow.roles_anywhere(rt, user.id):
            seen[user.id] = lang  # the default menu is theirs; revoking reset it already
            return
        await refresh_person(context, user.id)
    except Exception as exc:
        if not is_temporary(exc):
            raise
        log.warning("could not check the command menu of %s: %s", user.id, exc)  # next time


def register(app: App) -> None:
    # After remember_user (group -10), so the person's language is known.
    app.add_handler(TypeHandler(Update, check_menu), group=-9)
