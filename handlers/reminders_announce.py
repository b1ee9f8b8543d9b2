"""/announce: staff send an announcement (公告) privately to every registered resident of the
community, or of chosen buildings, now or at a time; the 已知晓 button; the sending job.

A short conversation: text → buildings (all, or picked) → when (now, or a typed time) →
check (with or without 已知晓) → send. What happens is in
`bot/workflows/reminders_announce.py`; sending goes through the send ledger
(`handlers.reminders_send.deliver`), paced, at most once per person.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks, timeparse
from bot import reminders as rules
from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_, Translate
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import reminders_announce as wf
from handlers import forms
from handlers.reminders_send import deliver
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    is_private,
    is_staff,
    refuse_callback,
    reply,
    tr_chat,
    tr_user,
)
from storage import community as cstore
from storage import reminders as store

declare("announce", N_("给本社区（或几栋楼）的居民私聊发公告"), Audience.STAFF, order=22)

TEXT, WHERE, WHEN, CONFIRM = range(40, 44)
DRAFT = "announce_draft"
FEATURE = wf.FEATURE
MAX_BUILDINGS = 40


def _button(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(FEATURE, action, *args))


def _draft(context: Context) -> dict[str, Any]:
    draft: dict[str, Any] = context.state.setdefault(DRAFT, {})
    return draft


async def announce_entry(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    if not is_private(update):  # the draft and the recipient count are not for the group
        await reply(update, _("公告请在私聊里起草：请私聊我发送 /announce。"))
        return ConversationHandler.END
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以发公告。")
    )
    if community is None:
        return ConversationHandler.END
    context.state[DRAFT] = {"community": community["id"], "picked": [], "ack": False}
    await reply(
        update,
        _("【{name}】请输入公告内容（{n}字以内），我会私聊发给登记的居民：").format(
            name=community["name"], n=rules.MAX_TEXT
        ),
        reply_markup=InlineKeyboardMarkup([[_button(_("取消"), "cancel")]]),
    )
    return TEXT


async def _where_markup(context: Context, _: Translate) -> InlineKeyboardMarkup:
    draft = _draft(context)
    buildings = await cstore.occupied_buildings(context.rt.db, draft["community"])
    picked = draft["picked"]
    # Buttons carry the building's place in this list, kept in the draft: a building's name
    # may be any text ("官西4"), which callback data cannot carry.
    draft["shown"] = buildings[:MAX_BUILDINGS]
    rows = [[_button(_("🏘 全部楼栋"), "all")]]
    line: list[InlineKeyboardButton] = []
    for i, b in enumerate(draft["shown"]):
        line.append(_button(("☑️ " if b in picked else "") + _("{b}号楼").format(b=b), "b", i))
        if len(line) == 4:
            rows.append(line)
            line = []
    if line:
        rows.append(line)
    rows.append([_button(_("下一步 ▶"), "next"), _button(_("取消"), "cancel")])
    return InlineKeyboardMarkup(rows)


async def got_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    if not text or len(text) > rules.MAX_TEXT:
        await reply(update, _("请用文字写公告，{n}字以内。").format(n=rules.MAX_TEXT))
        return TEXT
    _draft(context)["text"] = text
    await reply(
        update,
        _("发给哪些楼？点“全部楼栋”，或点楼号选几栋（可多选）再点“下一步”。"),
        reply_markup=await _where_markup(context, _),
    )
    return WHERE


async def pick_where(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query = update.callback_query
    draft = _draft(context)
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        index = cb.int_arg(0, lo=0, hi=MAX_BUILDINGS - 1) if cb.action == "b" else None
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return WHERE
    assert query is not None
    if cb.action == "b":
        known = await cstore.occupied_buildings(context.rt.db, draft["community"])
        shown: list[str] = draft.get("shown") or []
        building = shown[index] if index is not None and index < len(shown) else None
        if building not in known:
            await refuse_callback(update, context, "not a building of this community")
            return WHERE
        picked: list[str] = draft["picked"]
        if building in picked:
            picked.remove(building)
        else:
            picked.append(building)
        await answer_callback(update)
        await query.edit_message_reply_markup(await _where_markup(context, _))
        return WHERE
    if cb.action == "next" and not draft["picked"]:
        await answer_callback(update, _("请先选楼，或点“全部楼栋”。"), alert=True)
        return WHERE
    if cb.action == "all":
        draft["picked"] = []
    draft["all"] = cb.action == "all"
    await answer_callback(update)
    await reply(
        update,
        _("什么时候发？点“现在发送”，或写一个时间，例如：今晚8点、明天 9:00、下周一 8:00"),
        reply_markup=InlineKeyboardMarkup(
            [[_button(_("🚀 现在发送"), "now")], [_button(_("取消"), "cancel")]]
        ),
    )
    return WHEN


async def _show_check(update: Update, context: Context, _: Translate) -> int:
    rt = context.rt
    draft = _draft(context)
    buildings = None if draft.get("all") else tuple(draft["picked"])
    n = await wf.recipients(rt, draft["community"], buildings)
    where = (
        _("全部楼栋")
        if buildings is None
        else "、".join(_("{b}号楼").format(b=b) for b in buildings)
    )
    at = draft.get("at")
    when = (
        _("现在")
        if at is None
        else rules.format_moment(datetime.fromtimestamp(at, UTC), rt.config.tz, _, rt.clock.now())
    )
    lines = [
        _("请核对："),
        _("内容：{text}").format(text=draft["text"]),
        _("发给：{where}（{n}人）").format(where=where, n=n),
        _("时间：{when}").format(when=when),
    ]
    ack = _("☑️ 带“已知晓”按钮") if draft.get("ack") else _("⬜ 带“已知晓”按钮")
    await reply(
        update,
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(
            [
                [_button(ack, "tk")],
                [_button(_("✅ 发送"), "ok"), _button(_("取消"), "cancel")],
            ]
        ),
    )
    return CONFIRM


async def when_now(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    await answer_callback(update)
    _draft(context)["at"] = None
    return await _show_check(update, context, _)


async def got_when(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    message = update.effective_message
    now = rt.clock.now()
    try:
        at = timeparse.parse_moment(message.text or "" if message else "", now, rt.config.tz)
    except timeparse.TimeParseError as exc:
        await reply(update, rules.time_refusal(exc, rt.config.tz, _, now))
        return WHEN
    _draft(context)["at"] = at.timestamp()
    return await _show_check(update, context, _)


async def confirm(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    rt = context.rt
    draft = _draft(context)
    try:
        cb = callbacks.unpack(query.data, FEATURE)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return CONFIRM
    if cb.action == "tk":  # with or without the 已知晓 button
        draft["ack"] = not draft.get("ack")
        await answer_callback(update)
        await query.edit_message_reply_markup(None)
        return await _show_check(update, context, _)
    if "text" not in draft or not await is_staff(rt, user.id, draft["community"]):
        await refuse_callback(
            update, context, "confirm without a complete draft or rights", owner_check=True
        )
        return ConversationHandler.END
    at = draft.get("at")
    send_at = datetime.fromtimestamp(at, UTC) if at is not None else None
    if send_at is not None and send_at <= rt.clock.now():
        await answer_callback(update)
        past = timeparse.TimeParseError("past", send_at)
        await reply(update, rules.time_refusal(past, rt.config.tz, _, rt.clock.now()))
        return WHEN
    announcement = wf.AnnouncementDraft(
        draft["community"],
        draft["text"],
        None if draft.get("all") else tuple(draft["picked"]),
        bool(draft.get("ack")),
        send_at,
    )
    aid = await wf.schedule_announcement(rt, announcement, user.id)
    context.state.pop(DRAFT, None)
    await answer_callback(update, _("已保存"))
    await query.edit_message_reply_markup(None)
    if send_at is None:
        await reply(update, _("公告 #{id} 正在发送，发完后我会告诉您送达情况。").format(id=aid))
        rt.scheduler.run_key_soon(wf.job_key(aid))  # the report comes when it is done
    else:
        when = rules.format_moment(send_at, rt.config.tz, _, rt.clock.now())
        await reply(
            update,
            _("公告 #{id} 将在 {when} 发出。").format(id=aid, when=when),
            reply_markup=InlineKeyboardMarkup([[_button(_("↩️ 撤回"), "x", aid)]]),
        )
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(DRAFT, None)
    if update.callback_query:
        await answer_callback(update)
    await reply(update, _("已取消，什么都没有发。"))
    return ConversationHandler.END


# ---- the job, and the buttons on the announcement and the report ---------------------------
async def announce_job(app: App, job: ScheduledJob) -> None:
    rt = get_runtime(app)
    aid = int(job.payload["a"])
    broadcast = await wf.announcement_due(rt, aid)
    if broadcast is None:
        return
    await deliver(app, broadcast)
    await deliver(app, await wf.announcement_sent(rt, aid))


async def ack_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        aid = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    if user is None:
        return
    rt = context.rt
    _ = await tr_user(context, user)
    if cb.action in ("cnt", "x"):  # staff: how many read it; take it back before it goes
        row = await store.get_announcement(rt.db, aid)
        if row is None or not await is_staff(rt, user.id, row["community_id"]):
            await refuse_callback(update, context, "staff button of an unknown announcement")
            return
        if cb.action == "x":
            taken_back = await wf.cancel_announcement(rt, row, user.id)
            text = (
                _("公告 #{id} 已撤回，不会发出。")
                if taken_back
                else _("公告 #{id} 已经发出，不能撤回。")
            )
            await answer_callback(update, text.format(id=aid), alert=not taken_back)
            return
        count = await wf.ack_count(rt, row)
        await answer_callback(
            update,
            _("公告 #{id}：已知晓 {n} 人，送达 {m} 人。").format(
                id=aid, n=count.acks, m=count.sent
            ),
            alert=True,
        )
        return
    done = await wf.acknowledge(rt, aid, user.id)
    if done is None:
        await refuse_callback(update, context, "ack of an announcement not sent to this person")
        return
    await answer_callback(update, _("谢谢，已记录您已知晓。"))


def register(app: App) -> None:
    get_runtime(app).scheduler.register(wf.ANNOUNCE_JOB, announce_job, at_least_once=True)
    text_only = filters.TEXT & ~filters.COMMAND
    conversation = forms.Form(
        drafts=(DRAFT,),
        entry_points=[CommandHandler("announce", announce_entry)],
        states={
            TEXT: [MessageHandler(text_only, got_text)],
            WHERE: [
                CallbackQueryHandler(
                    pick_where, pattern=callbacks.pattern(FEATURE, "b", "all", "next")
                )
            ],
            WHEN: [
                CallbackQueryHandler(when_now, pattern=callbacks.pattern(FEATURE, "now")),
                MessageHandler(text_only, got_when),
            ],
            CONFIRM: [
                CallbackQueryHandler(confirm, pattern=callbacks.pattern(FEATURE, "ok", "tk"))
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=callbacks.pattern(FEATURE, "cancel")),
            CommandHandler("announce", announce_entry),
        ],
        name="announce",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(
        CallbackQueryHandler(ack_button, pattern=callbacks.pattern(FEATURE, "ack", "cnt", "x"))
    )
