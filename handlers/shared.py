"""Glue every handler module uses: who is talking, in which language, in which community."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.helpers import create_deep_linked_url

from bot.callbacks import BadCallback
from bot.context import App, BotContext
from bot.i18n import DEFAULT_LANG, LANGS, Translate, lang_from_telegram, translator
from bot.intents import KEYBOARD
from bot.polling import Bot as PollingBot
from bot.polling import result_unread
from bot.runtime import Runtime, get_runtime

# Who is staff is a question the workflows ask too; answered in one place.
from bot.workflows.community import is_staff as is_staff
from bot.workflows.community import staff_communities as staff_communities
from storage import community as cstore
from storage.db import Row, is_temporary

log = logging.getLogger(__name__)

Context = BotContext
MAX_TEXT = 4096


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


# ---- people and languages ------------------------------------------------------------------
async def remember_user(update: Update, context: Context) -> None:
    """Runs before every handler: keep the users row current, cheaply (cached)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    rt = context.rt
    seen: dict[int, tuple[Any, ...]] = rt.cache.setdefault("users_seen", {})
    private = is_private(update)
    fingerprint = (user.first_name, user.username, user.language_code)
    started: set[int] = rt.cache.setdefault("users_started", set())
    start = private and user.id not in started
    try:
        if seen.get(user.id) != fingerprint or start:
            # Read first (a look-up on the event loop, no trip to the database thread): a
            # person seen before by another process, or before a restart, needs no write.
            row = await cstore.get_user(rt.db, user.id)
            if _user_row_stale(row, user, start):
                # One statement for both (a first private message used to cost two writes).
                await cstore.upsert_user(
                    rt.db,
                    user.id,
                    user.first_name or "",
                    user.username,
                    user.language_code,
                    started=start,
                )
            seen[user.id] = fingerprint
            if row is not None:  # the language follows from the row just read (`user_lang`)
                lang = row["lang"] if row["lang"] in LANGS else None
                langs: dict[int, str] = rt.cache.setdefault("user_lang", {})
                langs.setdefault(user.id, lang or lang_from_telegram(user.language_code))
    except Exception as exc:
        if not is_temporary(exc):
            raise
        # Best effort: the handler that follows says "try again" if it needs the database.
        log.warning("could not remember user %s: %s", user.id, exc)
        return
    if start:
        started.add(user.id)


def _user_row_stale(row: Row | None, user: User, start: bool) -> bool:
    """Whether `upsert_user` would change the row (its WHERE, in Python)."""
    if row is None:
        return True
    if (row["first_name"], row["username"], row["tg_lang"]) != (
        user.first_name or "",
        user.username,
        user.language_code,
    ):
        return True
    return start and (not row["started"] or bool(row["blocked"]))


async def user_lang(rt: Runtime, user_id: int, tg_code: str | None = None) -> str:
    cache: dict[int, str] = rt.cache.setdefault("user_lang", {})
    if user_id in cache:
        return cache[user_id]
    row = await cstore.get_user(rt.db, user_id)
    if row is not None and row["lang"] in LANGS:
        lang = row["lang"]
    else:
        lang = lang_from_telegram(tg_code or (row["tg_lang"] if row else None))
    cache[user_id] = lang
    return lang


async def group_lang(rt: Runtime, chat_id: int) -> str:
    cache: dict[int, str] = rt.cache.setdefault("group_lang", {})
    if chat_id not in cache:
        row = await cstore.get_group(rt.db, chat_id)
        cache[chat_id] = row["lang"] if row is not None and row["lang"] in LANGS else DEFAULT_LANG
    return cache[chat_id]


def forget_lang(rt: Runtime, *, user_id: int | None = None, chat_id: int | None = None) -> None:
    if user_id is not None:
        rt.cache.setdefault("user_lang", {}).pop(user_id, None)
    if chat_id is not None:
        rt.cache.setdefault("group_lang", {}).pop(chat_id, None)


async def tr_user(context: Context | App, user: User | int) -> Translate:
    """Translator for something only this user reads (private chat, button alert)."""
    rt = get_runtime(context)
    if isinstance(user, User):
        return translator(await user_lang(rt, user.id, user.language_code))
    return translator(await user_lang(rt, user))


async def tr_chat(update: Update, context: Context) -> Translate:
    """Translator for a reply in the current chat: the group's language in groups."""
    rt = context.rt
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        return translator(await group_lang(rt, chat.id))
    user = update.effective_user
    if user is None:
        return translator(DEFAULT_LANG)
    return translator(await user_lang(rt, user.id, user.language_code))


async def tr_group(context: Context | App, chat_id: int) -> Translate:
    return translator(await group_lang(get_runtime(context), chat_id))


# ---- communities ----------------------------------------------------------------------------
async def group_community(update: Update, context: Context) -> Row | None:
    """The group row (with community_name) when this is a linked group chat."""
    chat = update.effective_chat
    if chat is None or not is_group(update):
        return None
    return await cstore.get_group(context.rt.db, chat.id)


async def has_any_role(rt: Runtime, user_id: int, community_id: int, *roles: str) -> bool:
    if rt.is_admin(user_id):
        return True
    return bool(set(roles) & await cstore.roles_of(rt.db, user_id, community_id))


async def is_group_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """A Telegram admin of this group (asked from Telegram; a failure counts as no)."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.warning("getChatMember failed in %s: %s", chat_id, exc)
        return False
    return member.status in ("creator", "administrator")


async def can_manage_group(rt: Runtime, bot: Bot, chat_id: int, user_id: int) -> bool:
    """Bot admins, staff of the group's community, and the group's Telegram admins."""
    if rt.is_admin(user_id):
        return True
    group = await cstore.get_group(rt.db, chat_id)
    if group is not None and "staff" in await cstore.roles_of(
        rt.db, user_id, group["community_id"]
    ):
        return True
    return await is_group_admin(bot, chat_id, user_id)


async def acting_community(
    update: Update, context: Context, _: Translate, *roles: str, refusal: str | None = None
) -> Row | None:
    """The community a staff-type command acts on, after the server-side role check.

    In a group: the group's community. In private: the user's only community where they hold
    one of `roles` (default staff); with several, they are asked to use the group. Replies with
    the reason and returns None when there is no community or the user lacks the role.
    """
    rt = context.rt
    user = update.effective_user
    if user is None:
        return None
    wanted = roles or ("staff",)
    community: Row | None = None
    if is_group(update):
        group = await group_community(update, context)
        if group is None:
            await reply(update, _("本群还没有关联社区。群管理员请发送：/setup 社区名称"))
            return None
        community = await cstore.get_community(rt.db, group["community_id"])
    else:
        mine: list[Row] = list(await staff_communities(rt, user.id))
        for role in wanted:
            if role != "staff":
                mine += await cstore.communities_with_role(rt.db, user.id, role)
        unique = {c["id"]: c for c in mine}
        if len(unique) > 1:
            await reply(update, _("您管理多个社区，请在对应社区的居民群里发送这个命令。"))
            return None
        community = next(iter(unique.values()), None)
    if community is None or not await has_any_role(rt, user.id, community["id"], *wanted):
        await reply(update, refusal or _("只有社区工作人员可以这样做。"))
        return None
    return community


# ---- sending ------------------------------------------------------------------------------
def deep_link(context: Context | App, payload: str) -> str:
    return create_deep_linked_url(context.bot.username, payload)


def resident_keyboard(_: Translate) -> ReplyKeyboardMarkup:
    """The big buttons under the private chat; a press sends its label, routed like the
    command (handlers/intents.py)."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(_(label)) for _kind, label in row] for row in KEYBOARD],
        resize_keyboard=True,
        is_persistent=True,
    )


def link_button(text: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, url=url)]])


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Where a line too long for one message is best cut: after a sentence, a clause, a space.
_BREAKS = ("。", "！", "？", "；", "!", "?", ";", "，", "、", ",", " ")


def _units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji may count two)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> tuple[str, str]:
    """The longest head of `line` within `limit`, ending at a good break if there is one."""
    # Whole characters only: find how many fit, counting UTF-16 units.
    size, fit = 0, 0
    for fit, char in enumerate(line):  # noqa: B007 - `fit` is used after the loop
        size += 2 if ord(char) > 0xFFFF else 1
        if size > limit:
            break
    else:
        return line, ""
    head = line[:fit]
    for mark in _BREAKS:
        at = head.rfind(mark)
        if at >= len(head) // 2:  # a break in the second half; else a hard cut is better
            return head[: at + 1], line[at + 1 :]
    return head, line[fit:]


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages Telegram accepts (≤ `limit` each), at line breaks where
    possible, never inside a character. Plain text only (no parse_mode markup).

    The line break where a cut falls is dropped (the next message starts the next line);
    parts that would be blank are left out.
    """
    if _units(text) <= limit:
        return [text] if text.strip() else []
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        n = _units(line)
        if current and size + 1 + n <= limit:
            current.append(line)
            size += 1 + n
            continue
        if current:
            parts.append("\n".join(current))
        current, size = [], 0
        while n > limit:
            head, line = _cut(line, limit)
            parts.append(head)
            n = _units(line)
        current, size = [line], n
    if current:
        parts.append("\n".join(current))
    return [p for p in parts if p.strip()]


async def send_long(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> Message | None:
    """Send `text` in as many messages as it needs; buttons go under the last one.

    Returns the last message sent (the one with the buttons), None if there was nothing."""
    markup = kwargs.pop("reply_markup", None)
    parts = split_text(text)
    last: Message | None = None
    for n, part in enumerate(parts):
        last = await bot.send_message(
            chat_id, part, reply_markup=markup if n == len(parts) - 1 else None, **kwargs
        )
    return last


async def reply_long(update: Update, text: str, **kwargs: Any) -> Message | None:
    """`reply` for texts that may pass 4,096 characters (menus, results): nothing is cut."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await send_long(chat.get_bot(), chat.id, text, **kwargs)


MAX_OWNERS = 5000  # buttons remembered per process (bot.polling.Bot.button_owners)


async def reply(update: Update, text: str, **kwargs: Any) -> None:
    """Answer in the chat the update came from (message or button). Buttons answering a
    person in a group are remembered as theirs: another person pressing one where only they
    may (`refuse_callback(..., owner_check=True)`) hears whose it is, not "expired"."""
    chat = update.effective_chat
    if chat is None:
        return
    user, bot = update.effective_user, update.get_bot()
    if user is None or chat.type == ChatType.PRIVATE or kwargs.get("reply_markup") is None:
        with result_unread():  # nothing to remember: the message sent is not read
            await chat.send_message(clip(text), **kwargs)
        return
    sent = await chat.send_message(clip(text), **kwargs)
    if isinstance(bot, PollingBot) and isinstance(sent, Message):
        owners = bot.button_owners
        if len(owners) >= MAX_OWNERS:
            owners.pop(next(iter(owners)))
        owners[(chat.id, sent.message_id)] = (user.id, user.first_name)


async def send_private(context: Context | App, user_id: int, text: str, **kwargs: Any) -> bool:
    """Message a person privately; a person who blocked the bot is marked and skipped.

    Takes the Application too, so scheduled jobs send without a CallbackContext."""
    rt = get_runtime(context)
    try:
        with result_unread():
            await context.bot.send_message(user_id, clip(text), **kwargs)
    except Forbidden:
        log.info("user %s has blocked the bot or never started it; marked", user_id)
        await cstore.mark_blocked(rt.db, user_id)
        rt.cache.setdefault("users_started", set()).discard(user_id)
        return False
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            log.info("user %s never opened a private chat with the bot", user_id)
            return False
        raise
    return True


async def answer_callback(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:  # a too-old query cannot be answered; nothing to do
        log.debug("could not answer callback: %s", exc)


def button_owner(update: Update) -> tuple[int, str] | None:
    """Who the pressed group message answered, when someone else is pressing it."""
    query, user, bot = update.callback_query, update.effective_user, update.get_bot()
    message = query.message if query else None
    if message is None or user is None or not isinstance(bot, PollingBot):
        return None
    owner = bot.button_owners.get((message.chat.id, message.message_id))
    return owner if owner is not None and owner[0] != user.id else None


async def refuse_callback(
    update: Update, context: Context, exc: BadCallback | str, *, owner_check: bool = False
) -> None:
    """A button we did not make, or from an old message: say so, change nothing, log it.
    `owner_check`: the button works only for whoever started what it belongs to (a form in a
    group): when that was someone else, say whose button it is."""
    user = update.effective_user
    log.warning(
        "refused callback %r from user %s: %s",
        update.callback_query.data if update.callback_query else None,
        user.id if user else None,
        exc,
    )
    _ = await tr_user(context, user) if user else translator(DEFAULT_LANG)
    owner = button_owner(update) if owner_check else None
    if owner is not None:
        text = _("这是{name}的按钮，只有{name}能按。需要的话，请您自己发送命令。")
        await answer_callback(update, text.format(name=owner[1]), alert=True)
        return
    await answer_callback(update, _("这个按钮已失效，请重新打开菜单。"), alert=True)
