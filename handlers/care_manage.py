"""Staff manage care visits (关爱走访): /care_list shows each person with buttons to change the
rhythm, pause, resume or remove them; and the 我来处理 button of a 需要帮助 alert, with the job
that alerts the staff again when nobody took it in time.

What happens is in `bot/workflows/care_manage.py` and `bot/workflows/care.py`. Addresses are
personal data: all of this is in private chats only.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot import care as rules
from bot import reminders as schedules
from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_, Translate
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import care as wf
from bot.workflows import care_manage as manage
from handlers.reminders_send import deliver
from handlers.shared import (
    Context,
    answer_callback,
    is_private,
    is_staff,
    refuse_callback,
    reply,
    staff_communities,
    tr_chat,
    tr_user,
)
from storage import care as store
from storage.db import Row

declare("care_list", N_("管理关爱对象：改节奏、暂停、移除"), Audience.STAFF, order=23)

FEATURE = "cm"  # callback data prefix of the staff's care buttons
RHYTHM = 30  # conversation state: waiting for the new rhythm
EDITING = "care_edit"  # state: the care id whose rhythm is being changed


def _button(text: str, action: str, care_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(FEATURE, action, care_id))


async def _card(rt: Runtime, care: Row, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    rhythm = schedules.Schedule.from_json(care["rhythm"])
    vols = "、".join(v["first_name"] for v in await store.care_volunteers(rt.db, care["id"]))
    state = _("⏸ 已暂停") if care["paused"] else _("▶️ 进行中")
    when = schedules.describe_rule(rhythm, rt.config.tz, _, rt.clock.now())
    text = (
        f"#{care['id']} {care['name']}（{wf.address_of(care).label(_)}）· {state}\n{when} · {vols}"
    )
    rows = [
        [
            _button(_("🕒 改节奏"), "e", care["id"]),
            _button(_("▶️ 恢复"), "r", care["id"])
            if care["paused"]
            else _button(_("⏸ 暂停"), "p", care["id"]),
            _button(_("🗑 移除"), "d", care["id"]),
        ]
    ]
    return text, InlineKeyboardMarkup(rows)


async def care_list_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(update, _("关爱走访记录只在私聊里查看。"))
        return
    rt = context.rt
    communities = await staff_communities(rt, user.id)
    if not communities:
        await reply(update, _("只有社区工作人员可以管理通知和关爱走访。"))
        return
    cares = [c for cm in communities for c in await store.cares_of_community(rt.db, cm["id"])]
    if not cares:
        await reply(update, _("还没有登记关爱对象。发送 /care_add 登记。"))
        return
    for care in cares[:30]:
        text, markup = await _card(rt, care, _)
        await reply(update, text, reply_markup=markup)


async def _care_for_staff(
    update: Update, context: Context
) -> tuple[Row, callbacks.Callback] | None:
    """The person a button is about, after checking the presser is staff of their community."""
    query = update.callback_query
    user = update.effective_user
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        care_id = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    rt = context.rt
    care = await store.get_care(rt.db, care_id)
    if care is None or not care["active"] or user is None:
        await refuse_callback(update, context, "care gone")
        return None
    if not await is_staff(rt, user.id, care["community_id"]):
        await refuse_callback(update, context, "not staff of this care's community")
        return None
    return care, cb


async def manage_button(update: Update, context: Context) -> None:
    found = await _care_for_staff(update, context)
    if found is None:
        return
    care, cb = found
    rt = context.rt
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    _ = await tr_user(context, user)
    if cb.action == "d":
        await answer_callback(update)
        await query.edit_message_text(
            _("确定移除关爱对象 #{id} {name} 吗？移除后不再提醒走访，以前的记录保留。").format(
                id=care["id"], name=care["name"]
            ),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        _button(_("🗑 确定移除"), "dd", care["id"]),
                        _button(_("不移除了"), "keep", care["id"]),
                    ]
                ]
            ),
        )
        return
    if cb.action == "keep":
        text, markup = await _card(rt, care, _)
        await answer_callback(update)
        await query.edit_message_text(text, reply_markup=markup)
        return
    if cb.action == "p":
        await manage.pause_care(rt, care, user.id)
        done = _("已暂停走访提醒。")
    elif cb.action == "r":
        upcoming = await manage.resume_care(rt, care, user.id)
        done = _("已恢复。下次走访：{when}").format(
            when=schedules.format_moment(upcoming, rt.config.tz, _, rt.clock.now())
            if upcoming
            else "—"
        )
    elif cb.action == "dd":
        await manage.remove_care(rt, care, user.id)
        done = _("关爱对象 #{id} 已移除。").format(id=care["id"])
    else:
        await refuse_callback(update, context, f"unknown care action {cb.action!r}")
        return
    await answer_callback(update, done)
    await query.edit_message_text(f"#{care['id']} {care['name']}：{done}")


# ---- change the rhythm ----------------------------------------------------------------------
async def edit_entry(update: Update, context: Context) -> int:
    found = await _care_for_staff(update, context)
    if found is None:
        return ConversationHandler.END
    care, _cb = found
    _ = await tr_chat(update, context)
    await answer_callback(update)
    context.state[EDITING] = care["id"]
    await reply(
        update,
        _(
            "请输入 {name} 新的走访节奏，例如：每周两次、每周二五 10:00、每两周一次、每月一次"
        ).format(name=care["name"]),
    )
    return RHYTHM


async def got_rhythm(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    message = update.effective_message
    care_id = context.state.get(EDITING)
    care = await store.get_care(rt.db, care_id) if care_id else None
    if (
        care is None
        or not care["active"]
        or user is None
        or not await is_staff(rt, user.id, care["community_id"])
    ):
        context.state.pop(EDITING, None)
        await reply(update, _("这个关爱对象已经不在了。"))
        return ConversationHandler.END
    now = rt.clock.now()
    try:
        rhythm = rules.parse_rhythm(message.text or "" if message else "", now, rt.config.tz)
    except schedules.TimeParseError as exc:
        await reply(
            update,
            schedules.time_refusal(exc, rt.config.tz, _, now)
            + "\n"
            + _("例如：每周两次、每周二五 10:00、每两周一次、每月一次"),
        )
        return RHYTHM
    upcoming = await manage.change_rhythm(rt, care, rhythm, user.id)
    context.state.pop(EDITING, None)
    await reply(
        update,
        _("{name} 的走访节奏已改为：{when}").format(
            name=care["name"], when=schedules.describe(rhythm, upcoming, rt.config.tz, _, now)
        ),
    )
    return ConversationHandler.END


async def edit_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(EDITING, None)
    await reply(update, _("已取消，什么都没有改。"))
    return ConversationHandler.END


# ---- 我来处理 --------------------------------------------------------------------------------
async def take_button(update: Update, context: Context) -> None:
    """The first presser takes the help alert; others are told who did."""
    query = update.callback_query
    user = update.effective_user
    try:
        cb = callbacks.unpack(query.data if query else None, wf.FEATURE)
        visit_id = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    rt = context.rt
    visit = await store.get_visit(rt.db, visit_id)
    if visit is None or user is None or query is None:
        await refuse_callback(update, context, "visit gone")
        return
    community = visit["community_id"]
    if not await is_staff(rt, user.id, community) and not await store.is_visitor(
        rt.db, community, user.id
    ):
        await refuse_callback(update, context, "may not take this help alert")
        return
    _ = await tr_user(context, user)
    taken = await wf.take_help(rt, visit, user.id, user.first_name or str(user.id))
    if not taken.taken:
        await answer_callback(
            update,
            _("{who} 已经在处理了。").format(who=taken.by)
            if taken.by
            else _("这个求助已经处理了。"),
            alert=True,
        )
        return
    await answer_callback(update, _("好的，由您处理。"))
    await query.edit_message_reply_markup(None)
    await deliver(context, taken.tell)


async def help_job(app: App, job: ScheduledJob) -> None:
    await deliver(app, await wf.help_unclaimed(get_runtime(app), int(job.payload["visit"])))


# ---- wiring ---------------------------------------------------------------------------------
def register(app: App) -> None:
    get_runtime(app).scheduler.register(wf.HELP_JOB, help_job, at_least_once=True)
    edit = ConversationHandler(
        entry_points=[CallbackQueryHandler(edit_entry, pattern=callbacks.pattern(FEATURE, "e"))],
        states={RHYTHM: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_rhythm)]},
        fallbacks=[CommandHandler("cancel", edit_cancel)],
        name="care_edit",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(edit)
    app.add_handler(CommandHandler("care_list", care_list_command))
    app.add_handler(
        CallbackQueryHandler(
            manage_button, pattern=callbacks.pattern(FEATURE, "p", "r", "d", "dd", "keep")
        )
    )
    app.add_handler(
        CallbackQueryHandler(take_button, pattern=callbacks.pattern(wf.FEATURE, "take"))
    )
