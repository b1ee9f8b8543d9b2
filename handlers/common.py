"""/start, /help, /lang, the error handler, chat migration and the polite fallbacks."""

from __future__ import annotations

import json
import logging
import re
import traceback

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import callbacks
from bot.commands import Audience, declare, visible_to
from bot.context import App
from bot.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, N_, translator
from bot.throttle import Verdict
from bot.workflows import community as flow
from handlers import intents
from handlers.shared import (
    Context,
    answer_callback,
    can_manage_group,
    deep_link,
    forget_lang,
    group_community,
    is_private,
    refuse_callback,
    remember_user,
    reply,
    tr_chat,
    tr_user,
    user_lang,
)
from storage.db import is_temporary

log = logging.getLogger(__name__)

declare("start", N_("开始使用"), Audience.EVERYONE, order=1)
declare("help", N_("我能用的命令"), Audience.EVERYONE, order=2)
declare("lang", N_("切换语言 / 切換語言 / Language"), Audience.EVERYONE, order=3)


async def audiences_of(context: Context, user_id: int) -> set[Audience]:
    rt = context.rt
    found: set[Audience] = {Audience.EVERYONE, Audience.RESIDENT}
    if rt.is_admin(user_id):
        found.add(Audience.ADMIN)
    for role in await flow.roles_anywhere(rt, user_id):
        found.add(Audience(role))
    return found


async def start(update: Update, context: Context) -> None:
    """Plain /start (feature deep links have their own handlers registered before this)."""
    _ = await tr_chat(update, context)
    if context.args:
        # A link from an old message or typed by hand: we do not know it, but stay helpful.
        log.info("unknown /start payload %r", context.args[0])
    if is_private(update):
        if await intents.start_resident(update, context):
            return
        text = _(
            "您好！我是社区助手。\n"
            "我可以帮您：登记住户、给小区改造“点单”、报修、查垃圾分类、接收社区通知。\n"
            "先点下面的按钮登记您家的门牌，或发送 /help 看全部功能。"
        )
        text += "\n\n" + _("🌐 语言 / Language：/lang")
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(_("🏠 登记住户"), callback_data=callbacks.pack("reg", "go"))],
                [
                    InlineKeyboardButton(
                        _("📖 全部功能"), callback_data=callbacks.pack("help", "show")
                    )
                ],
            ]
        )
        await reply(update, text, reply_markup=markup)
        return
    group = await group_community(update, context)
    if group is None:
        await reply(
            update, _("本群还没有关联社区。群管理员请发送：/setup 社区名称，例如 /setup 锡林社区")
        )
        return
    await reply(
        update,
        _("这里是{name}的居民群。点下面的按钮，在私聊里登记您家的门牌。").format(
            name=group["community_name"]
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("🏠 登记住户"), url=deep_link(context, f"reg-{group['community_id']}")
                    )
                ]
            ]
        ),
    )


async def help_command(update: Update, context: Context, *, full: bool = False) -> None:
    user = update.effective_user
    if user is None:
        return
    _ = await tr_chat(update, context)
    audiences = await audiences_of(context, user.id)
    if is_private(update) and not full and audiences <= {Audience.EVERYONE, Audience.RESIDENT}:
        # Residents get a few lines and a "更多" button; people with a role need the list.
        if update.callback_query:
            await answer_callback(update)
        await intents.short_help(update, context)
        return
    lines = [_("您可以使用这些命令：")]
    for info in visible_to(audiences):
        lines.append(f"/{info.name} — {_(info.description)}")
    if not is_private(update):
        lines.append(_("（涉及个人信息的操作会在私聊里进行）"))
    if update.callback_query:
        await answer_callback(update)
    await reply(update, "\n".join(lines))


async def help_button(update: Update, context: Context) -> None:
    try:
        cb = callbacks.unpack(update.callback_query.data if update.callback_query else None, "help")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    await help_command(update, context, full=cb.action == "more")


def _lang_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(LANG_NAMES[code], callback_data=callbacks.pack("lang", code))]
            for code in LANGS
        ]
    )


async def lang_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    await reply(update, _("请选择语言："), reply_markup=_lang_keyboard())


async def lang_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    try:
        cb = callbacks.unpack(query.data, "lang")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    code = cb.action
    if code not in LANGS:
        await refuse_callback(update, context, f"unknown language {code!r}")
        return
    rt = context.rt
    if is_private(update):
        await flow.set_user_language(rt, user.id, code)
        forget_lang(rt, user_id=user.id)
    else:
        group = await group_community(update, context)
        chat = update.effective_chat
        assert chat is not None
        allowed = await can_manage_group(rt, context.bot, chat.id, user.id)
        if not allowed or group is None:
            _ = await tr_user(context, user)
            await answer_callback(
                update, _("只有群管理员或社区工作人员可以设置群的语言。"), alert=True
            )
            return
        await flow.set_group_language(rt, chat.id, code)
        forget_lang(rt, chat_id=chat.id)
    _ = translator(code)
    await answer_callback(update, _("好的"))
    await query.edit_message_text(_("语言已设为：{lang}").format(lang=LANG_NAMES[code]))


# ---- a person writing English to a bot that speaks Chinese to them --------------------------
LANG_OFFERED = "lang_offered"  # state: the switch was offered once; never nag
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
OFFER_ENGLISH = N_("看起来您在用英文写。要我改用英文吗？以后也可以随时发送 /lang 切换语言。")


def looks_english(text: str) -> bool:
    """A sentence of English words (no Chinese at all): "where do I report a leak",
    not "ok", "21-4-302" or "电池 battery"."""
    if _HAN.search(text):
        return False
    words = _WORD.findall(text)
    return len(words) >= 2 and sum(len(w) for w in words) >= 6


async def offer_english(update: Update, context: Context) -> None:
    """Private text in English from someone the bot answers in Chinese: offer English once,
    in English and in their language (Telegram says only "zh" for many English readers).
    The message then goes on to the features as usual."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text or not is_private(update):
        return
    if context.state.get(LANG_OFFERED) or not looks_english(message.text):
        return
    lang = await user_lang(context.rt, user.id, user.language_code)
    if lang == "en":
        return
    context.state[LANG_OFFERED] = True
    _ = translator(lang)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("English", callback_data=callbacks.pack("lang", "en")),
                InlineKeyboardButton(LANG_NAMES[lang], callback_data=callbacks.pack("lang", lang)),
            ]
        ]
    )
    text = translator("en")(OFFER_ENGLISH) + "\n" + _(OFFER_ENGLISH)
    await reply(update, text, reply_markup=markup)


async def throttle(update: Update, context: Context) -> None:
    """Before anything else: a person flooding the bot is slowed down alone (bot/throttle.py).

    A dropped update costs a dictionary look-up, so everybody else waits for nothing. The
    person is told once a minute; a dropped button press is not answered, on purpose (an
    answer per press would be a flood of requests of its own).
    """
    user = update.effective_user
    if user is None or user.is_bot:
        return
    rt = context.rt
    verdict = rt.throttle.check(user.id, rt.clock.seconds())
    if verdict is Verdict.PASS:
        return
    if verdict is Verdict.WARN:
        log.warning("user %s sends too fast: dropping updates for a while", user.id)
        try:
            _ = await tr_chat(update, context)
            text = _("消息发得太快了，我跟不上。请等一分钟再发，谢谢！")
            if update.callback_query:
                await answer_callback(update, text, alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(text)
        except Exception:  # telling is best effort; the drop is what matters
            log.exception("could not tell user %s to slow down", user.id)
    raise ApplicationHandlerStop


async def ignore_edits(update: Update, context: Context) -> None:
    """An edited message must never act twice (re-run /grant, re-file a step): edits are not
    read. In private chat the person is told to send the correction as a new message."""
    if update.edited_message is None and update.edited_channel_post is None:
        return
    if is_private(update):
        _ = await tr_chat(update, context)
        await reply(update, _("修改过的消息我读不到。请把改好的内容重新发一条。"))
    raise ApplicationHandlerStop


async def migrate_chat(update: Update, context: Context) -> None:
    """A group became a supergroup: the community link follows the new chat id."""
    message = update.effective_message
    if message is None:
        return
    old, new = None, None
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    if old is None or new is None:
        return
    rt = context.rt
    await flow.migrate_group(rt, old, new)
    forget_lang(rt, chat_id=old)
    log.info("group %s migrated to %s", old, new)


async def stale_button(update: Update, context: Context) -> None:
    """Any button no feature claimed: from an old version, or forged."""
    await refuse_callback(update, context, "no handler for this callback data", owner_check=True)


async def private_fallback(update: Update, context: Context) -> None:
    """Private text or media no feature wanted: a kind pointer to /help, never silence."""
    _ = await tr_chat(update, context)
    await reply(update, _("抱歉，我没看懂。请发送 /help 查看我能做什么。"))


async def nothing_to_cancel(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    await reply(update, _("当前没有要取消的操作。"))


async def unknown_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    await reply(update, _("没有这个命令。请发送 /help 查看可用的命令。"))


async def on_error(update: object, context: Context) -> None:
    """Log the update and the error with context; tell the user, in their language."""
    err = context.error
    if isinstance(err, callbacks.BadCallback) and isinstance(update, Update):
        # A forged or out-of-range button a handler did not catch: a refusal, not a fault.
        await refuse_callback(update, context, err)
        return
    tb = "".join(traceback.format_exception(err)) if err else ""
    payload = update.to_dict() if isinstance(update, Update) else repr(update)
    # The error first: a log line cut short still says what went wrong.
    log.error(
        "%s while handling update %s\n%s",
        repr(err),
        json.dumps(payload, ensure_ascii=False, default=str)[:2000],
        tb,
    )
    if not isinstance(update, Update):
        return
    try:
        try:
            _ = await tr_chat(update, context)
        except Exception:  # the database itself may be what failed
            _ = translator(DEFAULT_LANG)
        if is_temporary(err):
            text = _("系统正忙，您刚才的操作没有保存。请过几分钟再试一次。")
        else:
            text = _("抱歉，出了点问题，请稍后再试。您刚才的操作如果没有收到确认，请再做一次。")
        if update.callback_query:
            await answer_callback(update, text, alert=True)
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(text)
    except Exception:  # the error path itself must never raise
        log.exception("could not tell the user about the error")


def register(app: App) -> None:
    app.add_handler(TypeHandler(Update, throttle), group=-30)
    app.add_handler(TypeHandler(Update, ignore_edits), group=-20)
    app.add_handler(TypeHandler(Update, remember_user), group=-10)
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrate_chat), group=-5)
    english = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(english, offer_english), group=-4)
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("lang", lang_command))
    app.add_handler(CallbackQueryHandler(lang_button, pattern=callbacks.pattern("lang")))
    app.add_handler(CallbackQueryHandler(help_button, pattern=callbacks.pattern("help")))
    app.add_error_handler(on_error)


def register_fallbacks(app: App) -> None:
    """Registered after every feature, so only what no feature handled lands here."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(CommandHandler("cancel", nothing_to_cancel))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            private_fallback,
        )
    )
