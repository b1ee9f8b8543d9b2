"""Staff notices: the /remind conversation (new notice, or a new text or time from the
/reminders buttons) and the wiring of the whole feature.

The list and its buttons are in `handlers/reminders_manage.py`; sending, at most once per
target through the send ledger, in `handlers/reminders_send.py`; what happens in
`bot/workflows/reminders.py`. States: docs/flows/reminders.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot import reminders as rules
from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_, Translate
from bot.runtime import get_runtime
from bot.workflows import reminders as wf
from bot.workflows import reminders_send as ledger
from handlers import forms
from handlers.reminders_manage import (
    button,
    manage_button,
    notice_for_staff,
    reminders_command,
    rsvp_button,
    target_label,
    told_text,
)
from handlers.reminders_send import broadcast_job, notice_job
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    is_staff,
    refuse_callback,
    reply,
    tr_chat,
)
from storage import community as cstore
from storage import reminders as store
from storage.db import Row

declare("remind", N_("新建定时通知或会议通知"), Audience.STAFF, order=20)
declare("reminders", N_("查看、暂停、修改、删除定时通知"), Audience.STAFF, order=21)

TARGET, KIND, TEXT, WHEN, CONFIRM, EDIT_TEXT, EDIT_WHEN = range(7)
DRAFT = "remind_draft"
FEATURE = wf.FEATURE


# ---- small helpers ---------------------------------------------------------------------------
def _cancel_row(_: Translate) -> list[InlineKeyboardButton]:
    return [button(_("取消"), "cancel")]


def _draft(context: Context) -> dict[str, Any]:
    draft: dict[str, Any] = context.state.setdefault(DRAFT, {})
    return draft


def _when_error(
    _: Translate, exc: rules.TimeParseError, meeting: bool, tz: ZoneInfo, now: datetime
) -> str:
    examples = (
        _("例如：明天 19:00、5月20日 9:00、每周二 19:00")
        if meeting
        else _("例如：明天 19:00、3小时后、每天 8:00、每周二 19:00、每月1日 9:00")
    )
    return rules.time_refusal(exc, tz, _, now) + "\n" + examples


def _ask_when_text(_: Translate, meeting: bool) -> str:
    if meeting:
        return _(
            "会议什么时候开？例如：明天 19:00、5月20日 9:00、每周二 19:00\n"
            "开会前1小时我会在群里再提醒一次。"
        )
    return _("什么时候发？例如：明天 19:00、3小时后、每天 8:00、每周二 19:00、每月1日 9:00")


async def _read_text(update: Update, _: Translate) -> str | None:
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    if not text:
        await reply(update, _("请用文字写通知内容。"))
        return None
    if len(text) > rules.MAX_TEXT:
        await reply(
            update,
            _("内容太长了（{n}字），请写{max}字以内。").format(n=len(text), max=rules.MAX_TEXT),
        )
        return None
    return text


async def _parse_when(
    update: Update, context: Context, _: Translate, meeting: bool
) -> rules.Schedule | None:
    rt = context.rt
    message = update.effective_message
    now = rt.clock.now()
    try:
        return rules.parse_schedule(message.text or "" if message else "", now, rt.config.tz)
    except rules.TimeParseError as exc:
        await reply(update, _when_error(_, exc, meeting, rt.config.tz, now))
        return None


# ---- /remind conversation ---------------------------------------------------------------------
async def remind_entry(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以管理通知和关爱走访。")
    )
    if community is None:
        return ConversationHandler.END
    groups = await cstore.groups_of(context.rt.db, community["id"])
    if not groups:
        await reply(update, _("这个社区还没有关联居民群。请先在群里发送 /setup 社区名称。"))
        return ConversationHandler.END
    context.state[DRAFT] = {"community": community["id"]}
    rows = [[button(g["title"] or str(g["chat_id"]), "g", g["chat_id"])] for g in groups[:20]]
    if len(groups) > 1:
        rows.insert(0, [button(_("全部居民群（{n}个）").format(n=len(groups)), "g", "all")])
    rows.append(_cancel_row(_))
    await reply(
        update,
        _("【{name}】通知发到哪个群？").format(name=community["name"]),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    return TARGET


async def pick_target(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query = update.callback_query
    draft = _draft(context)
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        choice = cb.str_arg(0)
        target = None if choice == "all" else cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return TARGET
    if target is not None:
        group = await cstore.get_group(context.rt.db, target)
        if group is None or group["community_id"] != draft.get("community"):
            await refuse_callback(update, context, "group not in this community")
            return TARGET
    await answer_callback(update)
    draft["target"] = target
    await reply(
        update,
        _("是哪种通知？"),
        reply_markup=InlineKeyboardMarkup(
            [
                [button(_("📢 普通通知"), "k", "n")],
                [button(_("📅 会议通知（带“参加/不参加”按钮）"), "k", "m")],
                _cancel_row(_),
            ]
        ),
    )
    return KIND


async def pick_kind(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query = update.callback_query
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        kind = cb.str_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return KIND
    await answer_callback(update)
    _draft(context)["meeting"] = kind == "m"
    await reply(
        update,
        _("请输入通知内容（{n}字以内）：").format(n=rules.MAX_TEXT),
        reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
    )
    return TEXT


async def got_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _read_text(update, _)
    if text is None:
        return TEXT
    draft = _draft(context)
    draft["text"] = text
    await reply(
        update,
        _ask_when_text(_, bool(draft.get("meeting"))),
        reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
    )
    return WHEN


async def got_when(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    draft = _draft(context)
    meeting = bool(draft.get("meeting"))
    schedule = await _parse_when(update, context, _, meeting)
    if schedule is None:
        return WHEN
    rt = context.rt
    draft["schedule"] = schedule.to_json()
    now = rt.clock.now()
    upcoming = rules.next_run(schedule, now, rt.config.tz)
    kind = _("会议通知") if meeting else _("普通通知")
    target = await target_label(rt, draft.get("target"), draft["community"], _)
    lines = [
        _("请核对："),
        _("发到：{target}").format(target=target),
        _("类型：{kind}").format(kind=kind),
        _("内容：{text}").format(text=draft["text"]),
        _("时间：{when}").format(when=rules.describe(schedule, upcoming, rt.config.tz, _, now)),
    ]
    if meeting:
        lines.append(_("确认后马上在群里发会议通知，开会前1小时再提醒一次。"))
    await reply(
        update,
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(
            [
                [button(_("✅ 确认"), "ok"), button(_("🕒 改时间"), "rw")],
                _cancel_row(_),
            ]
        ),
    )
    return CONFIRM


async def confirm(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    draft = _draft(context)
    try:
        cb = callbacks.unpack(query.data, FEATURE)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return CONFIRM
    if cb.action == "rw":
        await answer_callback(update)
        await reply(update, _ask_when_text(_, bool(draft.get("meeting"))))
        return WHEN
    rt = context.rt
    if not all(k in draft for k in ("community", "text", "schedule")) or not await is_staff(
        rt, user.id, draft["community"]
    ):
        await refuse_callback(
            update, context, "confirm without a complete draft or rights", owner_check=True
        )
        return ConversationHandler.END
    notice = wf.NoticeDraft(
        community_id=draft["community"],
        target_chat=draft.get("target"),
        text=draft["text"],
        schedule=rules.Schedule.from_json(draft["schedule"]),
        meeting=bool(draft.get("meeting")),
    )
    saved = await wf.schedule_notice(rt, notice, user.id)
    if saved.notice_id is None:
        await answer_callback(update)
        now = rt.clock.now()
        schedule_at = datetime.fromtimestamp(notice.schedule.at or 0, UTC)
        past = rules.TimeParseError("past", schedule_at)
        await reply(update, _when_error(_, past, notice.meeting, rt.config.tz, now))
        return WHEN
    context.state.pop(DRAFT, None)
    await answer_callback(update, _("已保存"))
    await query.edit_message_text(
        _("已保存通知 #{id}。{when}\n发送 /reminders 可以查看和修改。").format(
            id=saved.notice_id,
            when=rules.describe(notice.schedule, saved.upcoming, rt.config.tz, _, rt.clock.now()),
        )
    )
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(DRAFT, None)
    if update.callback_query:
        await answer_callback(update)
    await reply(update, _("已取消，什么都没有改。"))
    return ConversationHandler.END


async def not_text(update: Update, context: Context) -> int | None:
    """Stickers, photos, voice where we wait for text: ask again, stay in the same step."""
    _ = await tr_chat(update, context)
    await reply(update, _("请用文字回答上面的问题，或发送 /cancel 取消。"))
    return None


# ---- editing (entered from the /reminders buttons) ---------------------------------------------
async def edit_entry(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    found = await notice_for_staff(update, context)
    if found is None:
        return ConversationHandler.END
    notice, cb = found
    await answer_callback(update)
    context.state[DRAFT] = {"edit": notice["id"]}
    if cb.action == "et":
        await reply(
            update,
            _("请输入通知 #{id} 的新内容：").format(id=notice["id"]),
            reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
        )
        return EDIT_TEXT
    await reply(
        update,
        _ask_when_text(_, bool(notice["is_meeting"])),
        reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
    )
    return EDIT_WHEN


async def _edited_notice(update: Update, context: Context) -> Row | None:
    """The notice being edited, if it still exists and the editor is still its staff."""
    rt = context.rt
    notice_id = _draft(context).get("edit")
    notice = await store.get_notice(rt.db, notice_id) if notice_id else None
    user = update.effective_user
    if notice is None or user is None or not await is_staff(rt, user.id, notice["community_id"]):
        return None
    return notice


async def got_edit_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _read_text(update, _)
    if text is None:
        return EDIT_TEXT
    notice = await _edited_notice(update, context)
    if notice is None:
        await reply(update, _("这个通知已经不在了。"))
        return ConversationHandler.END
    await wf.edit_text(context.rt, notice["id"], text)
    context.state.pop(DRAFT, None)
    await reply(update, _("通知 #{id} 的内容已修改。").format(id=notice["id"]))
    return ConversationHandler.END


async def got_edit_when(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    notice = await _edited_notice(update, context)
    if notice is None:
        await reply(update, _("这个通知已经不在了。"))
        return ConversationHandler.END
    schedule = await _parse_when(update, context, _, bool(notice["is_meeting"]))
    if schedule is None:
        return EDIT_WHEN
    rt = context.rt
    changed = await wf.reschedule(rt, notice, schedule)
    context.state.pop(DRAFT, None)
    for key in changed.tell:
        await rt.scheduler.run_key(key)
    # Said after the sends, from the ledger: only what actually went out.
    event = "r" if notice["status"] == "paused" else "m"
    await reply(
        update,
        _("通知 #{id} 的时间已改为：{when}。").format(
            id=notice["id"],
            when=rules.describe(schedule, changed.upcoming, rt.config.tz, _, rt.clock.now()),
        )
        + told_text(_, event, await wf.told(rt, changed)),
    )
    return ConversationHandler.END


# ---- wiring ----------------------------------------------------------------------------------
def register(app: App) -> None:
    # At-least-once: a crash mid-run runs the job again, and the send ledger makes every
    # target at-most-once, so a broadcast resumes where it stopped and never repeats anyone.
    scheduler = get_runtime(app).scheduler
    scheduler.register(wf.NOTICE_JOB, notice_job, at_least_once=True)
    scheduler.register(ledger.BROADCAST_JOB, broadcast_job, at_least_once=True)

    text_only = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    conversation = forms.Form(
        drafts=(DRAFT,),
        entry_points=[
            CommandHandler("remind", remind_entry),
            CallbackQueryHandler(edit_entry, pattern=callbacks.pattern(FEATURE, "et", "ew")),
        ],
        states={
            TARGET: [CallbackQueryHandler(pick_target, pattern=callbacks.pattern(FEATURE, "g"))],
            KIND: [CallbackQueryHandler(pick_kind, pattern=callbacks.pattern(FEATURE, "k"))],
            TEXT: [MessageHandler(text_only, got_text)],
            WHEN: [MessageHandler(text_only, got_when)],
            CONFIRM: [
                CallbackQueryHandler(
                    confirm, pattern=callbacks.pattern(FEATURE, "ok", "rw", exact=True)
                )
            ],
            EDIT_TEXT: [MessageHandler(text_only, got_edit_text)],
            EDIT_WHEN: [MessageHandler(text_only, got_edit_when)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=callbacks.pattern(FEATURE, "cancel", exact=True)),
            CommandHandler("remind", remind_entry),
            MessageHandler(other, not_text),
        ],
        name="remind",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(CallbackQueryHandler(rsvp_button, pattern=callbacks.pattern(FEATURE, "y", "n")))
    app.add_handler(
        CallbackQueryHandler(
            manage_button,
            pattern=callbacks.pattern(FEATURE, "p", "pp", "r", "rr", "d", "dd", "keep", "who"),
        )
    )
    app.add_handler(CommandHandler("remind", remind_entry))
    app.add_handler(CommandHandler("reminders", reminders_command))
