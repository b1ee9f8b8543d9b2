"""Care visits (关爱走访): /care_add (staff register a person), /care (the list), the visit
pings and their buttons, the "needs help" note, and the jobs.

What happens is in `bot/workflows/care.py`; every ping and alert goes out through the send
ledger (`handlers.reminders_send.deliver`), at most once per person. States:
docs/flows/reminders.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageOriginUser, Update, User
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot import care as rules
from bot import community as crules
from bot import reminders as schedules
from bot.commands import Audience, declare
from bot.community import Address
from bot.context import App
from bot.i18n import N_, Translate
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import care as wf
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
    staff_communities,
    tr_chat,
    tr_user,
)
from storage import care as store
from storage import community as cstore
from storage.db import Row

declare("care_add", N_("登记关爱对象：/care_add 姓名 门牌 每周两次"), Audience.STAFF, order=22)
declare("care", N_("关爱走访名单"), Audience.VOLUNTEER, order=20)

NOTE = 20
CARE_NOTE = "care_note_visit"
FEATURE = wf.FEATURE
STATUS_NAMES = rules.VISIT_STATUS_NAMES  # kept in bot/care.py: the dashboard names them alike


# ---- staff ------------------------------------------------------------------------------------
CARE_DRAFT = "care_draft"  # /care_add waiting for the visitors to be picked
MAX_PICK = 30


def _replied_person(update: Update) -> User | None:
    """The person whose message /care_add answers (also a message forwarded from them)."""
    message = update.effective_message
    user = update.effective_user
    target = message.reply_to_message if message else None
    if target is None or user is None:
        return None
    origin = target.forward_origin
    who = origin.sender_user if isinstance(origin, MessageOriginUser) else target.from_user
    if who is None or who.is_bot or who.id == user.id:
        return None
    return who


async def _by_username(update: Update, context: Context, _: Translate, raw: str) -> int | None:
    """The user who holds the username now; None (after saying why) when unknown or unclear."""
    rows = await store.users_with_username(context.rt.db, raw)
    holder = rules.current_holder([(r["id"], r["updated_at"]) for r in rows])
    if holder is not None:
        return holder
    if rows:
        await reply(
            update,
            _(
                "有几个人用过 {who} 这个用户名，我分不清是谁。请回复对方的消息发送 /care_add，或在按钮里选。"
            ).format(who=raw),
        )
    else:
        await reply(update, _("找不到 {who}。请对方先给我发一条消息。").format(who=raw))
    return None


def _picker(_: Translate, people: list[Row], picked: list[int]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                ("☑️ " if p["id"] in picked else "") + (p["first_name"] or str(p["id"])),
                callback_data=callbacks.pack(FEATURE, "pk", p["id"]),
            )
        ]
        for p in people[:MAX_PICK]
    ]
    rows.append(
        [
            InlineKeyboardButton(_("✅ 登记"), callback_data=callbacks.pack(FEATURE, "pkok")),
            InlineKeyboardButton(_("取消"), callback_data=callbacks.pack(FEATURE, "pkno")),
        ]
    )
    return InlineKeyboardMarkup(rows)


async def care_add_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    usage = _(
        "用法：/care_add 姓名 门牌 走访节奏\n例如：/care_add 张奶奶 21-4-302 每周两次\n"
        "然后点按钮选负责的志愿者或网格员（也可以回复对方的消息发这个命令，或写上 @用户名）。"
    )
    if not is_private(update):
        await reply(update, _("关爱对象的住址是个人信息，请在私聊里登记。"))
        return
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以管理通知和关爱走访。")
    )
    if community is None:
        return
    args = list(context.args or [])
    mentions = [a for a in args if a.startswith("@")]
    plain = [a for a in args if not a.startswith("@")]
    if len(plain) < 3:
        await reply(update, usage)
        return
    name, address_raw, rhythm_raw = plain[0][:20], plain[1], " ".join(plain[2:])
    address = crules.parse_full_address(address_raw)
    if address is None:
        await reply(update, _("没看懂门牌，请写成 21-4-302 这样。") + "\n" + usage)
        return
    try:
        rhythm = rules.parse_rhythm(rhythm_raw, context.rt.clock.now(), context.rt.config.tz)
    except schedules.TimeParseError:
        await reply(
            update,
            _("没看懂走访节奏，例如：每周两次、每周二五 10:00、每天 9:00、每两周一次、每月一次")
            + "\n"
            + usage,
        )
        return
    rt = context.rt
    visitors: list[int] = []
    replied = _replied_person(update)
    if replied is not None:
        visitors.append(replied.id)
    for raw in mentions:
        found = await _by_username(update, context, _, raw)
        if found is None:
            return
        if found not in visitors:
            visitors.append(found)
    draft = {
        "community": community["id"],
        "name": name,
        "address": [address.building, address.unit, address.room],
        "rhythm": rhythm.to_json(),
        "picked": visitors,
    }
    same = await store.find_care(
        rt.db, community["id"], name, address.building, address.unit, address.room
    )
    if same is not None:  # the same person again? ask before a second set of visits
        context.state[CARE_DRAFT] = draft
        await reply(
            update,
            _("{name}（{address}）已经登记过了（#{id}）。还要再登记一次吗？").format(
                name=name, address=address.label(_), id=same["id"]
            ),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            _("仍然登记"), callback_data=callbacks.pack(FEATURE, "dup")
                        ),
                        InlineKeyboardButton(
                            _("取消"), callback_data=callbacks.pack(FEATURE, "pkno")
                        ),
                    ]
                ]
            ),
        )
        return
    await _add_next(update, context, _, draft)


async def _add_next(update: Update, context: Context, _: Translate, draft: dict[str, Any]) -> None:
    """Register at once when the visitors are known, or show the picker."""
    if draft["picked"]:
        await _register(update, context, draft)
        return
    people = await store.visitors_of_community(context.rt.db, draft["community"])
    if not people:
        await reply(
            update,
            _("本社区还没有志愿者或网格员。请先在居民群里用 /grant @用户名 志愿者 指定。"),
        )
        return
    context.state[CARE_DRAFT] = draft
    await reply(
        update,
        _("谁负责走访 {name}？点名字选上（可以选几位），选好后点“✅ 登记”。").format(
            name=draft["name"]
        ),
        reply_markup=_picker(_, people, []),
    )


async def pick_button(update: Update, context: Context) -> None:
    """The visitor picker of /care_add: toggle a person, register, or cancel."""
    query = update.callback_query
    user = update.effective_user
    draft = context.state.get(CARE_DRAFT)
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        picked_id = cb.int_arg(0) if cb.action == "pk" else None
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    rt = context.rt
    if (
        query is None
        or user is None
        or not isinstance(draft, dict)
        or not await is_staff(rt, user.id, draft["community"])
    ):
        await refuse_callback(update, context, "no care draft, or not staff", owner_check=True)
        return
    _ = await tr_user(context, user)
    if cb.action == "pkno":
        context.state.pop(CARE_DRAFT, None)
        await answer_callback(update)
        await query.edit_message_text(_("已取消，什么都没有登记。"))
        return
    if cb.action == "dup":
        context.state.pop(CARE_DRAFT, None)
        await answer_callback(update)
        await query.edit_message_reply_markup(None)
        await _add_next(update, context, _, draft)
        return
    if cb.action == "pkok":
        if not draft["picked"]:
            await answer_callback(update, _("请至少选一位。"), alert=True)
            return
        context.state.pop(CARE_DRAFT, None)
        await answer_callback(update)
        await query.edit_message_reply_markup(None)
        await _register(update, context, draft)
        return
    people = await store.visitors_of_community(rt.db, draft["community"])
    if picked_id is None or picked_id not in {p["id"] for p in people}:
        await refuse_callback(update, context, "not a visitor of this community")
        return
    picked: list[int] = draft["picked"]
    if picked_id in picked:
        picked.remove(picked_id)
    else:
        picked.append(picked_id)
    await answer_callback(update)
    await query.edit_message_reply_markup(_picker(_, people, picked))


async def _register(update: Update, context: Context, draft: dict[str, Any]) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    rt = context.rt
    address = Address(*draft["address"])
    rhythm = schedules.Schedule.from_json(draft["rhythm"])
    added = await wf.add_care(
        rt, draft["community"], user.id, draft["name"], address, rhythm, draft["picked"]
    )
    names = {r["id"]: r["first_name"] or str(r["id"]) for r in await _users(rt, draft["picked"])}
    if added.care_id is None:
        await reply(
            update,
            _(
                "{who} 不是本社区的志愿者或网格员，不能负责关爱走访。"
                "请先在居民群里用 /grant @用户名 志愿者 给对方这个身份。"
            ).format(who="、".join(names.get(v, str(v)) for v in added.not_visitors)),
        )
        return
    await reply(
        update,
        _(
            "已登记关爱对象 #{id}：{name}（{address}）\n走访：{when}\n志愿者：{vols}\n"
            "每次走访当天我会私聊提醒志愿者。"
        ).format(
            id=added.care_id,
            name=draft["name"],
            address=address.label(_),
            when=schedules.describe(rhythm, added.upcoming, rt.config.tz, _, rt.clock.now()),
            vols="、".join(names.get(v, str(v)) for v in draft["picked"]),
        ),
    )
    await deliver(context, added.assigned)


async def _users(rt: Runtime, ids: list[int]) -> list[Row]:
    return [row for uid in ids if (row := await cstore.get_user(rt.db, uid)) is not None]


async def care_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(update, _("关爱走访记录只在私聊里查看。"))
        return
    rt = context.rt
    cares: dict[int, Row] = {}
    managed = await staff_communities(rt, user.id)
    for community in managed:
        for row in await store.cares_of_community(rt.db, community["id"]):
            cares[row["id"]] = row
    for row in await store.cares_of_volunteer(rt.db, user.id):
        cares[row["id"]] = row
    if not cares:
        await reply(
            update, _("您没有负责的关爱走访。只有社区工作人员和负责的志愿者能看到这些记录。")
        )
        return
    lines = [_("关爱走访名单：")]
    now = rt.clock.now()
    for row in cares.values():
        rhythm = schedules.Schedule.from_json(row["rhythm"])
        vols = "、".join(v["first_name"] for v in await store.care_volunteers(rt.db, row["id"]))
        lines.append(
            f"#{row['id']} {row['name']}（{wf.address_of(row).label(_)}）· "
            f"{schedules.describe_rule(rhythm, rt.config.tz, _, now)} · {vols}"
        )
        for visit in await store.last_visits(rt.db, row["id"]):
            when = schedules.format_moment(
                datetime.fromtimestamp(visit["due_at"], UTC), rt.config.tz, _, now
            )
            note = f"：{visit['note']}" if visit["note"] else ""
            lines.append(f"  {when} {_(STATUS_NAMES[visit['status']])}{note}")
    if managed:
        lines.append(_("发送 /care_list 可以改节奏、暂停或移除。"))
    await reply(update, "\n".join(lines))


# ---- jobs -------------------------------------------------------------------------------------
async def care_ping_job(app: App, job: ScheduledJob) -> None:
    rt = get_runtime(app)
    visit = await wf.visit_due(rt, job.payload)
    if visit is None:
        return
    await deliver(app, visit.ping)
    await wf.visit_pinged(rt, visit)


async def care_overdue_job(app: App, job: ScheduledJob) -> None:
    await deliver(app, await wf.visit_overdue(get_runtime(app), int(job.payload["visit"])))


# ---- volunteers record the visit --------------------------------------------------------------
async def _visit_for(update: Update, context: Context) -> Row | None:
    """The visit a button is about, if the presser is one of its volunteers or staff."""
    query = update.callback_query
    user = update.effective_user
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        visit_id = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    rt = context.rt
    visit = await store.get_visit(rt.db, visit_id)
    if visit is None or user is None:
        await refuse_callback(update, context, "visit gone")
        return None
    if not await wf.is_volunteer_of(rt, visit, user.id) and not await is_staff(
        rt, user.id, visit["community_id"]
    ):
        await refuse_callback(update, context, "not assigned to this visit")
        return None
    return visit


async def visit_ok(update: Update, context: Context) -> None:
    visit = await _visit_for(update, context)
    if visit is None:
        return
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    _ = await tr_user(context, user)
    if not await wf.record_all_well(context.rt, visit["id"], user.id):
        await answer_callback(
            update, _("这次走访已经记录为“需要帮助”，不能改成一切正常。"), alert=True
        )
        return
    await answer_callback(update, _("已记录，谢谢您！"))
    await query.edit_message_text(
        _("✅ 已记录：{name} 一切正常。谢谢您！").format(name=visit["name"])
    )


async def visit_help(update: Update, context: Context) -> int:
    visit = await _visit_for(update, context)
    if visit is None:
        return ConversationHandler.END
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    alert = await wf.report_help(context.rt, visit, user.id, user.first_name)
    _ = await tr_user(context, user)
    await answer_callback(update, _("已通知网格员和社区工作人员。"))
    await deliver(context, alert)  # at once, before any note
    context.state[CARE_NOTE] = visit["id"]
    await query.edit_message_text(
        _(
            "🆘 已通知网格员和社区工作人员：{name} 需要帮助。\n如需补充情况，请直接回复文字；不写就发送 /cancel。"
        ).format(name=visit["name"])
    )
    return NOTE


async def visit_note(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    message = update.effective_message
    note = (message.text or "").strip()[:500] if message else ""
    visit_id = context.state.pop(CARE_NOTE, None)
    rt = context.rt
    visit = await store.get_visit(rt.db, visit_id) if visit_id else None
    user = update.effective_user
    if visit is None or not note or user is None:
        await reply(update, _("好的。"))
        return ConversationHandler.END
    await deliver(context, await wf.report_help(rt, visit, user.id, user.first_name, note))
    await reply(update, _("情况已转给网格员和社区工作人员。谢谢您！"))
    return ConversationHandler.END


async def note_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(CARE_NOTE, None)
    await reply(update, _("好的，不补充了。"))
    return ConversationHandler.END


# ---- wiring -----------------------------------------------------------------------------------
def register(app: App) -> None:
    scheduler = get_runtime(app).scheduler
    # At-least-once, like the notices: the ledger keeps each ping and alert at-most-once.
    scheduler.register(wf.PING_JOB, care_ping_job, at_least_once=True)
    scheduler.register(wf.OVERDUE_JOB, care_overdue_job, at_least_once=True)

    note = forms.Form(
        drafts=(CARE_NOTE,),
        entry_points=[CallbackQueryHandler(visit_help, pattern=callbacks.pattern(FEATURE, "help"))],
        states={NOTE: [MessageHandler(filters.TEXT & ~filters.COMMAND, visit_note)]},
        fallbacks=[CommandHandler("cancel", note_cancel)],
        name="care_note",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(note)
    app.add_handler(CallbackQueryHandler(visit_ok, pattern=callbacks.pattern(FEATURE, "ok")))
    app.add_handler(
        CallbackQueryHandler(
            pick_button, pattern=callbacks.pattern(FEATURE, "pk", "pkok", "pkno", "dup")
        )
    )
    app.add_handler(CommandHandler("care_add", care_add_command))
    app.add_handler(CommandHandler("care", care_command))
