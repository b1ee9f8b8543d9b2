"""Everything on a ticket that takes a typed answer, as one small conversation per person:
a worker's note (写进展 / 内部备注), a reply relayed between a resident and the assignee
(💬 回复), what is still wrong after 👎 没解决, the reason for 退回, and staff's note to the
residents when closing. The button asks, the next message answers; /cancel leaves."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks
from bot import repairs as rules
from bot.context import App
from bot.i18n import N_
from bot.workflows import repairs as wf
from bot.workflows import repairs_access as access
from bot.workflows import repairs_talk as talk
from bot.workflows.outcome import Refused
from handlers import forms
from handlers.outbox import render
from handlers.repairs_common import (
    FEATURE,
    NOTE_FEATURE,
    announce,
    button,
    close_offers,
    edit,
    id_arg,
    markup,
    on_button,
    pressed,
    refuse,
    reply_button,
    send,
    tell_residents,
)
from handlers.shared import Context, answer_callback, refuse_callback, reply, tr_chat, tr_user

log = logging.getLogger(__name__)

NOTE, REPLY, CLOSE_NOTE, BACK_REASON = range(4)
DRAFT = "repair_note"  # {"ticket", and "internal" | "to", "reopened" | "reason"}
ASK_AGAIN = N_("请写一句话（500字以内），或发送 /cancel 取消。")


def _draft(context: Context) -> dict[str, Any]:
    draft: dict[str, Any] = context.state.get(DRAFT) or {}
    return draft


def _done(context: Context) -> int:
    context.state.pop(DRAFT, None)
    return ConversationHandler.END


# ---- notes ------------------------------------------------------------------------------------
async def note_entry(update: Update, context: Context) -> int | None:
    user = update.effective_user
    query = update.callback_query
    if user is None or query is None:
        return None
    try:
        cb = callbacks.unpack(query.data, NOTE_FEATURE)
        tid, internal = id_arg(cb, 0), cb.int_arg(1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, str(exc))
        return None
    checked = await access.may(context.rt, user.id, tid, rules.Action.NOTE)
    if isinstance(checked, Refused):
        await refuse(update, context, checked)
        return None
    await answer_callback(update)
    context.state[DRAFT] = {"ticket": tid, "internal": bool(internal)}
    _ = await tr_user(context, user)
    text = (
        _("请写内部备注（居民看不到），也可以发一张照片。/cancel 取消")
        if internal
        else _("请写给居民看的进展，也可以发一张照片。/cancel 取消")
    )
    await reply(update, text)
    return NOTE


async def note_got(update: Update, context: Context) -> int | None:
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return None
    _ = await tr_chat(update, context)
    draft = _draft(context)
    photo = message.photo[-1].file_id if message.photo else None
    noted = await talk.add_note(
        context.rt,
        user.id,
        draft.get("ticket", 0),
        message.text or message.caption,
        photo,
        internal=bool(draft.get("internal")),
    )
    if isinstance(noted, Refused):
        await reply(update, render(_, noted.reason))
        return _done(context)
    if noted is None:
        await reply(update, _("请写一句话（500字以内）或发一张照片，或发送 /cancel 取消。"))
        return None
    t = noted.ticket
    await reply(update, _("已记录到 #{id}。").format(id=t["id"]))
    if noted.residents:
        note = noted.text or "📷"
        await tell_residents(
            context,
            t,
            noted.residents,
            lambda _: _("#{id} 有新进展：{note}").format(id=t["id"], note=note),
            lambda _: InlineKeyboardMarkup([reply_button(_, t["id"])]),
            everyone=True,
        )
        if photo:
            for uid in noted.residents:
                try:
                    await context.bot.send_photo(uid, photo)
                except TelegramError as exc:
                    log.debug("photo not sent: %s", exc)
    return _done(context)


# ---- replies, and what is still wrong after 没解决 ------------------------------------------------
async def reply_entry(update: Update, context: Context) -> int | None:
    """💬 回复: under a note or a relayed message."""
    press = await pressed(update, context)
    if press is None:
        return None
    try:
        to = press.cb.int_arg(1)
        if to and not rules.valid_id(to):
            raise callbacks.BadCallback("reply target out of range")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    checked = await access.may(context.rt, press.user_id, press.ticket_id, rules.Action.REPLY)
    if isinstance(checked, Refused):
        await refuse(update, context, checked)
        return None
    await answer_callback(update)
    context.state[DRAFT] = {"ticket": press.ticket_id, "to": to}
    _ = await tr_user(context, press.user)
    await reply(
        update,
        _("请写您要说的话，我来转告（不会给对方您的电话）。/cancel 取消"),
    )
    return REPLY


async def not_fixed(update: Update, context: Context) -> int | None:
    """👎 没解决: reopen, then ask what is still wrong (passed on to the assignee)."""
    press = await pressed(update, context)
    if press is None:
        return None
    changed = await wf.reopen(context.rt, press.user_id, press.ticket_id)
    if isinstance(changed, Refused):
        await refuse(update, context, changed)
        return None
    _ = await tr_user(context, press.user)
    await answer_callback(update, _("好的"))
    await edit(
        update,
        _("已重新打开 #{id}，处理人和社区工作人员会再来看。").format(id=press.ticket_id),
        None,
    )
    await announce(context, changed)
    context.state[DRAFT] = {"ticket": press.ticket_id, "to": 0, "reopened": True}
    await reply(update, _("还有什么问题没解决？请写一句话，我转告处理人。不想写就发送 /cancel。"))
    return REPLY


async def reply_got(update: Update, context: Context) -> int | None:
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return None
    _ = await tr_chat(update, context)
    draft = _draft(context)
    tid = draft.get("ticket", 0)
    relayed = await talk.relay(context.rt, user.id, tid, message.text, draft.get("to", 0))
    if isinstance(relayed, Refused):
        await reply(update, render(_, relayed.reason))
        return _done(context)
    if relayed is None:
        await reply(update, _(ASK_AGAIN))
        return None
    await reply(update, _("已转告。"))
    t = relayed.ticket
    for uid in relayed.to:
        _r = await tr_user(context, uid)
        if relayed.from_resident:
            intro = (
                N_("⚠️ #{id} 居民说还没解决：{text}")
                if draft.get("reopened")
                else N_("💬 #{id} 居民留言：{text}")
            )
            back = relayed.sender
        else:
            intro, back = N_("💬 #{id} 处理人 {name} 回复：{text}"), 0
        text = _r(intro).format(id=t["id"], text=relayed.text, name=user.first_name)
        await send(context, uid, text, InlineKeyboardMarkup([reply_button(_r, t["id"], back)]))
    return _done(context)


# ---- 退回 with a reason -------------------------------------------------------------------------
async def back_entry(update: Update, context: Context) -> int | None:
    press = await pressed(update, context)
    if press is None:
        return None
    checked = await access.may(context.rt, press.user_id, press.ticket_id, rules.Action.HAND_BACK)
    if isinstance(checked, Refused):
        await refuse(update, context, checked)
        return None
    await answer_callback(update)
    context.state[DRAFT] = {"ticket": press.ticket_id}
    _ = await tr_user(context, press.user)
    await reply(
        update,
        _("为什么退回？请写一句原因（只有社区工作人员看得到），会先交给别人。/cancel 不退回"),
    )
    return BACK_REASON


async def back_got(update: Update, context: Context) -> int | None:
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return None
    _ = await tr_chat(update, context)
    reason = rules.clean_note(message.text)
    if reason is None:
        await reply(update, _(ASK_AGAIN))
        return None
    changed = await wf.hand_back(context.rt, user.id, _draft(context).get("ticket", 0), reason)
    if isinstance(changed, Refused):
        await reply(update, render(_, changed.reason))
        return _done(context)
    t = changed.ticket
    await reply(update, _("已退回 #{id}，会先交给别人处理。谢谢您！").format(id=t["id"]))
    await announce(context, changed)
    return _done(context)


# ---- closing, with a note for the residents -----------------------------------------------------
async def close_entry(update: Update, context: Context) -> int | None:
    """A close reason was chosen (clr): ask for a note to the residents, or close (clx)."""
    press = await pressed(update, context)
    if press is None:
        return None
    try:
        reason = press.cb.str_arg(1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    if reason not in rules.STAFF_CLOSE_REASONS:
        await refuse_callback(update, context, f"close reason {reason!r}")
        return None
    checked = await access.may(context.rt, press.user_id, press.ticket_id, rules.Action.CLOSE)
    if isinstance(checked, Refused):
        await refuse(update, context, checked)
        return None
    if press.cb.action == "clx":
        return await _close(update, context, press.user_id, press.ticket_id, reason, None)
    await answer_callback(update)
    context.state[DRAFT] = {"ticket": press.ticket_id, "reason": reason}
    _ = await tr_user(context, press.user)
    await reply(
        update,
        _("给居民留一句说明吧（例如转交给了哪里、电话多少），直接写下来；不用说明就点下面的按钮。"),
        reply_markup=markup([[button(_("🚫 直接关闭"), "clx", press.ticket_id, reason)]]),
    )
    return CLOSE_NOTE


async def close_note_got(update: Update, context: Context) -> int | None:
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return None
    note = rules.clean_note(message.text)
    if note is None:
        _ = await tr_chat(update, context)
        await reply(update, _(ASK_AGAIN))
        return None
    draft = _draft(context)
    return await _close(
        update, context, user.id, draft.get("ticket", 0), draft.get("reason", ""), note
    )


async def _close(
    update: Update, context: Context, uid: int, tid: int, reason: str, note: str | None
) -> int:
    _ = await tr_chat(update, context)
    changed = await wf.close(context.rt, uid, tid, reason, note)
    if isinstance(changed, access.Forged):
        await refuse_callback(update, context, changed.detail)
        return _done(context)
    if isinstance(changed, Refused):
        if update.callback_query:
            await refuse(update, context, changed)
        else:
            await reply(update, render(_, changed.reason))
        return _done(context)
    await close_offers(context, changed.ticket, changed.taken)
    text = _("#{id} 已关闭：{reason}").format(id=tid, reason=_(rules.CLOSE_REASONS[reason]))
    if update.callback_query:
        await answer_callback(update, _("已关闭"))
        await edit(update, text, None)
    else:
        await reply(update, text + "\n" + _("说明已告诉居民。"))
    await announce(context, changed)
    return _done(context)


# ---- leaving --------------------------------------------------------------------------------------
async def cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    await reply(update, _("已取消。"))
    return _done(context)


async def other(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    await reply(update, _("请写一句话或发一张照片，或发送 /cancel 取消。"))


def register(app: App) -> None:
    private = filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & private
    # A Form (handlers/forms.py): it lets go after a while; no "stop first?" question, since
    # what is typed here is a message for a person, whatever it sounds like.
    conversation = forms.Form(
        entry_points=[
            on_button(note_entry, NOTE_FEATURE, "n"),
            on_button(reply_entry, FEATURE, "re"),
            on_button(not_fixed, FEATURE, "no"),
            on_button(back_entry, FEATURE, "back"),
            on_button(close_entry, FEATURE, "clr", "clx"),
        ],
        states={
            NOTE: [
                MessageHandler(
                    (filters.TEXT | filters.PHOTO) & ~filters.COMMAND & private, note_got
                )
            ],
            REPLY: [MessageHandler(text, reply_got)],
            BACK_REASON: [MessageHandler(text, back_got)],
            CLOSE_NOTE: [MessageHandler(text, close_note_got)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL & private, other),
        ],
        name="repair_note",  # the notes' conversation of old: its state carries on
        allow_reentry=True,
        timed_out=N_("刚才要写的话没有写完，已经帮您取消了。需要时再点一次按钮。"),
        drafts=(DRAFT,),
    )
    app.add_handler(conversation)
