"""Staff notices (/remind, /reminders), meeting answers, care visits (/care, /care_add).

Every timed thing is a job of the durable scheduler (kinds registered in `register`). Sends are
at-most-once per target: each (send, target) is claimed in the `sends` ledger before the
message goes out, so a crash mid-broadcast resumes with the targets not yet claimed and never
repeats one (see `broadcast`).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot import community as crules
from bot import reminders as rules
from bot.commands import Audience, declare
from bot.i18n import N_, Translate, translator
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    clip,
    group_lang,
    is_private,
    is_staff,
    refuse_callback,
    reply,
    send_private,
    staff_communities,
    tr_chat,
    tr_user,
    user_lang,
)
from storage import community as cstore
from storage import reminders as store
from storage.db import Executor, Row

log = logging.getLogger(__name__)

declare("remind", N_("新建定时通知或会议通知"), Audience.STAFF, order=20)
declare("reminders", N_("查看、暂停、修改、删除定时通知"), Audience.STAFF, order=21)
declare(
    "care_add", N_("登记关爱对象：/care_add 姓名 门牌 每周两次 @志愿者"), Audience.STAFF, order=22
)
declare("care", N_("关爱走访名单"), Audience.VOLUNTEER, order=20)

TARGET, KIND, TEXT, WHEN, CONFIRM, EDIT_TEXT, EDIT_WHEN = range(7)
NOTE = 20
DRAFT = "remind_draft"
CARE_NOTE = "care_note_visit"
FEATURE = "rm"


# ---- small helpers ---------------------------------------------------------------------------
def _btn(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(FEATURE, action, *args))


def _cancel_row(_: Translate) -> list[InlineKeyboardButton]:
    return [_btn(_("取消"), "cancel")]


def _draft(context: Context) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})  # type: ignore[union-attr]


def _when_error(_: Translate, reason: str, meeting: bool) -> str:
    examples = (
        _("例如：明天 19:00、5月20日 9:00、每周二 19:00")
        if meeting
        else _("例如：明天 19:00、3小时后、每天 8:00、每周二 19:00、每月1日 9:00")
    )
    text = {
        "past": _("这个时间已经过去了，请写一个以后的时间。"),
        "need_time": _("请写上几点几分。"),
        "bad_time": _("没有这个钟点，请检查一下。"),
        "too_far": _("时间太远了，请设在两年以内。"),
    }.get(reason, _("没看懂这个时间。"))
    return text + "\n" + examples


async def _target_label(
    rt: Runtime, row_target: int | None, community_id: int, _: Translate
) -> str:
    if row_target is None:
        n = len(await cstore.groups_of(rt.db, community_id))
        return _("全部居民群（{n}个）").format(n=n)
    group = await cstore.get_group(rt.db, row_target)
    return group["title"] if group is not None and group["title"] else str(row_target)


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
    context.user_data[DRAFT] = {"community": community["id"]}  # type: ignore[index]
    rows = [[_btn(g["title"] or str(g["chat_id"]), "g", g["chat_id"])] for g in groups[:20]]
    if len(groups) > 1:
        rows.insert(0, [_btn(_("全部居民群（{n}个）").format(n=len(groups)), "g", "all")])
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
                [_btn(_("📢 普通通知"), "k", "n")],
                [_btn(_("📅 会议通知（带“参加/不参加”按钮）"), "k", "m")],
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


def _ask_when_text(_: Translate, meeting: bool) -> str:
    if meeting:
        return _(
            "会议什么时候开？例如：明天 19:00、5月20日 9:00、每周二 19:00\n"
            "开会前1小时我会在群里再提醒一次。"
        )
    return _("什么时候发？例如：明天 19:00、3小时后、每天 8:00、每周二 19:00、每月1日 9:00")


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


async def _parse_when(
    update: Update, context: Context, _: Translate, meeting: bool
) -> rules.Schedule | None:
    rt = context.rt
    message = update.effective_message
    try:
        return rules.parse_schedule(
            message.text or "" if message else "", rt.clock.now(), rt.config.tz
        )
    except rules.ScheduleError as exc:
        await reply(update, _when_error(_, exc.reason, meeting))
        return None


async def got_when(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    draft = _draft(context)
    meeting = bool(draft.get("meeting"))
    schedule = await _parse_when(update, context, _, meeting)
    if schedule is None:
        return WHEN
    rt = context.rt
    draft["schedule"] = schedule.to_json()
    upcoming = rules.next_run(schedule, rt.clock.now(), rt.config.tz)
    kind = _("会议通知") if meeting else _("普通通知")
    target = await _target_label(rt, draft.get("target"), draft["community"], _)
    lines = [
        _("请核对："),
        _("发到：{target}").format(target=target),
        _("类型：{kind}").format(kind=kind),
        _("内容：{text}").format(text=draft["text"]),
        _("时间：{when}").format(when=rules.describe(schedule, upcoming, rt.config.tz, _)),
    ]
    if meeting:
        lines.append(_("确认后马上在群里发会议通知，开会前1小时再提醒一次。"))
    await reply(
        update,
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(
            [
                [_btn(_("✅ 确认"), "ok"), _btn(_("🕒 改时间"), "rw")],
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
    if query.data == callbacks.pack(FEATURE, "rw"):
        await answer_callback(update)
        await reply(update, _ask_when_text(_, bool(draft.get("meeting"))))
        return WHEN
    rt = context.rt
    if not all(k in draft for k in ("community", "text", "schedule")) or not await is_staff(
        rt, user.id, draft["community"]
    ):
        await refuse_callback(update, context, "confirm without a complete draft or rights")
        return ConversationHandler.END
    schedule = rules.Schedule.from_json(draft["schedule"])
    now = rt.clock.now()
    if not schedule.repeating and rules.next_run(schedule, now, rt.config.tz) is None:
        await answer_callback(update)
        await reply(update, _when_error(_, "past", bool(draft.get("meeting"))))
        return WHEN
    async with rt.db.transaction() as tx:
        notice_id = await store.create_notice(
            tx,
            draft["community"],
            draft.get("target"),
            draft["text"],
            draft["schedule"],
            bool(draft.get("meeting")),
            user.id,
        )
        upcoming = await plan_notice(rt, tx, notice_id, schedule, bool(draft.get("meeting")))
        if draft.get("meeting"):
            await rt.scheduler.schedule(
                "notice_send",
                now,
                {
                    "notice": notice_id,
                    "part": "announce",
                    "due": now.timestamp(),
                    "occ": (upcoming or now).timestamp(),
                },
                key=f"notice:{notice_id}:announce",
                tx=tx,
            )
        await cstore.audit(tx, draft["community"], user.id, "notice_create", str(notice_id))
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    await answer_callback(update, _("已保存"))
    await query.edit_message_text(
        _("已保存通知 #{id}。{when}\n发送 /reminders 可以查看和修改。").format(
            id=notice_id, when=rules.describe(schedule, upcoming, rt.config.tz, _)
        )
    )
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
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
async def _notice_for_staff(
    update: Update, context: Context
) -> tuple[Row, callbacks.Callback] | None:
    """The notice a button is about, after checking the presser may manage it."""
    query = update.callback_query
    user = update.effective_user
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        notice_id = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    rt = context.rt
    notice = await store.get_notice(rt.db, notice_id)
    if notice is None or notice["status"] == "deleted" or user is None:
        await refuse_callback(update, context, "notice gone")
        return None
    if not await is_staff(rt, user.id, notice["community_id"]):
        _ = await tr_user(context, user)
        await answer_callback(update, _("只有社区工作人员可以管理通知。"), alert=True)
        return None
    return notice, cb


async def edit_entry(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    found = await _notice_for_staff(update, context)
    if found is None:
        return ConversationHandler.END
    notice, cb = found
    await answer_callback(update)
    context.user_data[DRAFT] = {"edit": notice["id"]}  # type: ignore[index]
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


async def got_edit_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _read_text(update, _)
    if text is None:
        return EDIT_TEXT
    rt = context.rt
    notice_id = _draft(context).get("edit")
    notice = await store.get_notice(rt.db, notice_id) if notice_id else None
    user = update.effective_user
    if notice is None or user is None or not await is_staff(rt, user.id, notice["community_id"]):
        await reply(update, _("这个通知已经不在了。"))
        return ConversationHandler.END
    await store.update_notice(rt.db, notice["id"], text=text)
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    await reply(update, _("通知 #{id} 的内容已修改。").format(id=notice["id"]))
    return ConversationHandler.END


async def got_edit_when(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    notice_id = _draft(context).get("edit")
    notice = await store.get_notice(rt.db, notice_id) if notice_id else None
    user = update.effective_user
    if notice is None or user is None or not await is_staff(rt, user.id, notice["community_id"]):
        await reply(update, _("这个通知已经不在了。"))
        return ConversationHandler.END
    schedule = await _parse_when(update, context, _, bool(notice["is_meeting"]))
    if schedule is None:
        return EDIT_WHEN
    async with rt.db.transaction() as tx:
        await store.update_notice(tx, notice["id"], schedule=schedule.to_json(), status="active")
        upcoming = await plan_notice(rt, tx, notice["id"], schedule, bool(notice["is_meeting"]))
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    await reply(
        update,
        _("通知 #{id} 的时间已改为：{when}").format(
            id=notice["id"], when=rules.describe(schedule, upcoming, rt.config.tz, _)
        ),
    )
    return ConversationHandler.END


# ---- planning and firing ---------------------------------------------------------------------
async def plan_notice(
    rt: Runtime,
    tx: Executor,
    notice_id: int,
    schedule: rules.Schedule,
    meeting: bool,
    after: datetime | None = None,
) -> datetime | None:
    """(Re)schedule the next job of a notice; returns its next occurrence (for display).

    A plain notice fires at its time; a meeting notice fires its reminder MEETING_LEAD before.
    """
    now = rt.clock.now()
    after = max(after or now, now)
    lead = rules.MEETING_LEAD if meeting else timedelta(0)
    occurrence = rules.next_run(schedule, after + lead, rt.config.tz)
    if occurrence is None:
        await rt.scheduler.cancel(f"notice:{notice_id}:next", tx=tx)
    else:
        fire = occurrence - lead
        await rt.scheduler.schedule(
            "notice_send",
            fire,
            {
                "notice": notice_id,
                "part": "main",
                "due": fire.timestamp(),
                "occ": occurrence.timestamp(),
            },
            key=f"notice:{notice_id}:next",
            tx=tx,
        )
    shown = rules.next_run(schedule, after, rt.config.tz)
    await store.update_notice(tx, notice_id, next_run=shown.timestamp() if shown else None)
    return shown


Make = Callable[[int], Awaitable[tuple[str, InlineKeyboardMarkup | None]]]


async def broadcast(
    app: Application,
    send_key: str,
    targets: list[int],  # type: ignore[type-arg]
    make: Make,
) -> dict[str, int]:
    """Send to each target at most once, recorded in the ledger before sending.

    Groups (negative ids) get `bot.send_message`; people go through `send_private`, which marks
    those who blocked the bot; already-blocked people are skipped without a request.
    """
    rt = get_runtime(app)
    pacer = rules.Pacer()
    counts = {"sent": 0, "blocked": 0, "failed": 0, "skipped": 0}
    for target in targets:
        if not await store.claim_send(rt.db, send_key, target):
            counts["skipped"] += 1  # sent (or tried) before a crash: never twice
            continue
        if target > 0 and await store.is_blocked(rt.db, target):
            await store.finish_send(rt.db, send_key, target, "blocked")
            counts["blocked"] += 1
            continue
        text, markup = await make(target)
        await pacer.wait()
        status, message_id = "sent", None
        try:
            if target > 0:
                ok = await send_private(app, target, text, reply_markup=markup)  # type: ignore[arg-type]
                status = "sent" if ok else "blocked"
            else:
                message = await app.bot.send_message(target, clip(text), reply_markup=markup)
                message_id = message.message_id
        except Forbidden as exc:  # the bot was removed from the group
            log.warning("cannot send %s to %s: %s", send_key, target, exc)
            status = "failed"
        except TelegramError as exc:  # after the rate limiter's own retries
            log.warning("send %s to %s failed: %s", send_key, target, exc)
            status = "failed"
        await store.finish_send(rt.db, send_key, target, status, message_id)
        counts[status] += 1
    return counts


async def _staff_ids(rt: Runtime, community_id: int, also: int | None = None) -> list[int]:
    ids = [r["id"] for r in await cstore.members_with_role(rt.db, community_id, "staff")]
    if also is not None and also not in ids:
        ids.append(also)
    return ids


async def _group_targets(rt: Runtime, notice: Row) -> list[int]:
    groups = [g["chat_id"] for g in await cstore.groups_of(rt.db, notice["community_id"])]
    if notice["target_chat"] is None:
        return groups
    return [notice["target_chat"]] if notice["target_chat"] in groups else []


def _rsvp_markup(_: Translate, notice_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_btn(_("✅ 参加"), "y", notice_id), _btn(_("❌ 不参加"), "n", notice_id)]]
    )


async def notice_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    rt = get_runtime(app)
    notice = await store.get_notice(rt.db, int(job.payload["notice"]))
    if notice is None or notice["status"] != "active":
        return
    tz = rt.config.tz
    part = job.payload.get("part", "main")
    due = datetime.fromtimestamp(float(job.payload["due"]), UTC)
    occ = datetime.fromtimestamp(float(job.payload.get("occ", job.payload["due"])), UTC)
    late_by = max(rt.clock.now() - due, timedelta(0))
    meeting = bool(notice["is_meeting"])
    schedule = rules.Schedule.from_json(notice["schedule"])
    key = f"n{notice['id']}:{part}:{int(due.timestamp())}"
    action = rules.missed_action(late_by, timedelta(minutes=notice["grace_minutes"]))
    if part == "announce" and action != "skip":
        action = "send"  # a fresh announcement is not "late"
    if action == "skip":

        async def skipped(user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
            _ = translator(await user_lang(rt, user_id))
            return _(
                "通知 #{id} 原定 {when} 发出，因机器人停机错过了，已跳过，没有补发：\n{text}"
            ).format(
                id=notice["id"], when=rules.format_moment(due, tz, _), text=notice["text"][:200]
            ), None

        staff = await _staff_ids(rt, notice["community_id"], notice["created_by"])
        await broadcast(app, key + ":skip", staff, skipped)
    else:

        async def make(chat_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
            _ = translator(await group_lang(rt, chat_id))
            when = rules.format_moment(occ, tz, _)
            if part == "announce":
                text = _(
                    "📅 会议通知\n{text}\n时间：{when}\n请点下面的按钮告诉我们您参加不参加。"
                ).format(text=notice["text"], when=when)
            elif meeting:
                text = _("⏰ 会议提醒：1小时后开会\n{text}\n时间：{when}").format(
                    text=notice["text"], when=when
                )
            else:
                text = _("📢 社区通知\n{text}").format(text=notice["text"])
            if action == "late":
                text += "\n" + _("（系统原因，晚了{n}分钟送达）").format(
                    n=rules.minutes_late(late_by)
                )
            return text, _rsvp_markup(_, notice["id"]) if meeting else None

        await broadcast(app, key, await _group_targets(rt, notice), make)
    if part == "announce":
        return
    if schedule.repeating:
        async with rt.db.transaction() as tx:
            await plan_notice(rt, tx, notice["id"], schedule, meeting, after=occ)
    elif not meeting:
        await store.update_notice(rt.db, notice["id"], status="done", next_run=None)


# ---- /reminders ------------------------------------------------------------------------------
async def _notice_card(rt: Runtime, notice: Row, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    schedule = rules.Schedule.from_json(notice["schedule"])
    upcoming = (
        datetime.fromtimestamp(notice["next_run"], UTC) if notice["next_run"] is not None else None
    )
    state = _("▶️ 进行中") if notice["status"] == "active" else _("⏸ 已暂停")
    kind = _("会议通知") if notice["is_meeting"] else _("普通通知")
    target = await _target_label(rt, notice["target_chat"], notice["community_id"], _)
    lines = [
        f"#{notice['id']} {state} · {kind} · {target}",
        notice["text"][:80],
        rules.describe(schedule, upcoming, rt.config.tz, _),
    ]
    buttons = [
        _btn(_("⏸ 暂停"), "p", notice["id"])
        if notice["status"] == "active"
        else _btn(_("▶️ 恢复"), "r", notice["id"]),
        _btn(_("🗑 删除"), "d", notice["id"]),
    ]
    rows = [
        buttons,
        [_btn(_("✏️ 改内容"), "et", notice["id"]), _btn(_("🕒 改时间"), "ew", notice["id"])],
    ]
    if notice["is_meeting"]:
        answers = await store.rsvps(rt.db, notice["id"])
        yes = sum(1 for a in answers if a["answer"] == "yes")
        lines.append(_("参加 {yes} 人，不参加 {no} 人").format(yes=yes, no=len(answers) - yes))
        rows.append([_btn(_("👥 看名单（私聊发给您）"), "who", notice["id"])])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def reminders_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以管理通知和关爱走访。")
    )
    if community is None:
        return
    rt = context.rt
    notices = await store.list_notices(rt.db, community["id"])
    if not notices:
        await reply(update, _("还没有定时通知。发送 /remind 新建一个。"))
        return
    await reply(
        update,
        _("【{name}】的定时通知（共{n}条）：").format(name=community["name"], n=len(notices)),
    )
    for notice in notices[:20]:
        text, markup = await _notice_card(rt, notice, _)
        await reply(update, text, reply_markup=markup)


async def manage_button(update: Update, context: Context) -> None:
    found = await _notice_for_staff(update, context)
    if found is None:
        return
    notice, cb = found
    rt = context.rt
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    _ = await tr_chat(update, context)
    schedule = rules.Schedule.from_json(notice["schedule"])
    if cb.action == "who":
        answers = await store.rsvps(rt.db, notice["id"])
        _u = await tr_user(context, user)
        yes = [a["name"] for a in answers if a["answer"] == "yes"]
        no = [a["name"] for a in answers if a["answer"] == "no"]
        text = _u("会议通知 #{id} 的回复：\n参加（{n}人）：{yes}\n不参加（{m}人）：{no}").format(
            id=notice["id"],
            n=len(yes),
            yes="、".join(yes) or "—",
            m=len(no),
            no="、".join(no) or "—",
        )
        await send_private(context, user.id, text)
        await answer_callback(update, _u("名单已私聊发给您。") if not is_private(update) else None)
        return
    async with rt.db.transaction() as tx:
        if cb.action == "p":
            await store.update_notice(tx, notice["id"], status="paused")
            await rt.scheduler.cancel(f"notice:{notice['id']}:next", tx=tx)
            done = _("已暂停，不会再发。")
        elif cb.action == "r":
            await store.update_notice(tx, notice["id"], status="active")
            upcoming = await plan_notice(rt, tx, notice["id"], schedule, bool(notice["is_meeting"]))
            if upcoming is None:
                await store.update_notice(tx, notice["id"], status="done")
                done = _("这个通知的时间已经过了，请用“改时间”重新设。")
            else:
                done = _("已恢复。{when}").format(
                    when=rules.describe(schedule, upcoming, rt.config.tz, _)
                )
        elif cb.action == "d":
            done = ""
        elif cb.action == "dd":
            await store.update_notice(tx, notice["id"], status="deleted", next_run=None)
            await rt.scheduler.cancel_prefix(f"notice:{notice['id']}:", tx=tx)
            done = _("通知 #{id} 已删除。").format(id=notice["id"])
        else:
            done = ""
        if done:
            await cstore.audit(
                tx, notice["community_id"], user.id, f"notice_{cb.action}", str(notice["id"])
            )
    if cb.action == "d":
        await answer_callback(update)
        await query.edit_message_text(
            _("确定删除通知 #{id} 吗？删除后不会再发。").format(id=notice["id"]),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        _btn(_("🗑 确定删除"), "dd", notice["id"]),
                        _btn(_("不删了"), "keep", notice["id"]),
                    ]
                ]
            ),
        )
        return
    if cb.action == "keep":
        fresh = await store.get_notice(rt.db, notice["id"])
        assert fresh is not None
        text, markup = await _notice_card(rt, fresh, _)
        await answer_callback(update)
        await query.edit_message_text(text, reply_markup=markup)
        return
    if not done:
        await refuse_callback(update, context, f"unknown notice action {cb.action!r}")
        return
    await answer_callback(update, done)
    await query.edit_message_text(f"#{notice['id']} {done}")


# ---- meeting answers -------------------------------------------------------------------------
async def rsvp_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        notice_id = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    rt = context.rt
    notice = await store.get_notice(rt.db, notice_id)
    group = await cstore.get_group(rt.db, chat.id) if chat is not None else None
    if (
        notice is None
        or not notice["is_meeting"]
        or notice["status"] == "deleted"
        or user is None
        or group is None
        or group["community_id"] != notice["community_id"]
    ):
        await refuse_callback(update, context, "rsvp for an unknown meeting or chat")
        return
    answer = "yes" if cb.action == "y" else "no"
    await store.set_rsvp(rt.db, notice_id, user.id, user.first_name or str(user.id), answer)
    _ = await tr_user(context, user)
    await answer_callback(
        update,
        _("已记录：参加。谢谢！") if answer == "yes" else _("已记录：不参加。想改可以再点。"),
    )


# ---- care visits -----------------------------------------------------------------------------
def _address(row: Row, _: Translate) -> str:
    return crules.Address(row["building"], row["unit"], row["room"]).label(_)


async def care_add_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    usage = _(
        "用法：/care_add 姓名 门牌 走访节奏 @志愿者\n例如：/care_add 张奶奶 21-4-302 每周两次 @zhang_vol"
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
    volunteers_raw = [a for a in args if a.startswith("@")]
    plain = [a for a in args if not a.startswith("@")]
    if len(plain) < 3 or not volunteers_raw:
        await reply(update, usage)
        return
    name, address_raw, rhythm_raw = plain[0][:20], plain[1], " ".join(plain[2:])
    address = crules.parse_full_address(address_raw)
    if address is None:
        await reply(update, _("没看懂门牌，请写成 21-4-302 这样。") + "\n" + usage)
        return
    try:
        rhythm = rules.parse_rhythm(rhythm_raw)
    except rules.ScheduleError:
        await reply(
            update, _("没看懂走访节奏，例如：每周两次、每周二五 10:00、每天 9:00") + "\n" + usage
        )
        return
    rt = context.rt
    volunteers: list[Row] = []
    for raw in volunteers_raw:
        found = await cstore.find_user_by_username(rt.db, raw)
        if found is None:
            await reply(update, _("找不到 {who}。请对方先给我发一条消息。").format(who=raw))
            return
        volunteers.append(found)
    user = update.effective_user
    assert user is not None
    async with rt.db.transaction() as tx:
        care_id = await store.create_care(
            tx,
            community["id"],
            name,
            address.building,
            address.unit,
            address.room,
            rhythm.to_json(),
            user.id,
            [v["id"] for v in volunteers],
        )
        upcoming = await plan_care(rt, tx, care_id, rhythm)
        await cstore.audit(tx, community["id"], user.id, "care_add", str(care_id))
    await reply(
        update,
        _(
            "已登记关爱对象 #{id}：{name}（{address}）\n走访：{when}\n志愿者：{vols}\n"
            "每次走访当天我会私聊提醒志愿者。"
        ).format(
            id=care_id,
            name=name,
            address=address.label(_),
            when=rules.describe(rhythm, upcoming, rt.config.tz, _),
            vols="、".join(v["first_name"] for v in volunteers),
        ),
    )


async def plan_care(
    rt: Runtime, tx: Executor, care_id: int, rhythm: rules.Schedule, after: datetime | None = None
) -> datetime | None:
    now = rt.clock.now()
    upcoming = rules.next_run(rhythm, max(after or now, now), rt.config.tz)
    if upcoming is not None:
        await rt.scheduler.schedule(
            "care_ping",
            upcoming,
            {"care": care_id, "due": upcoming.timestamp()},
            key=f"care:{care_id}:ping",
            tx=tx,
        )
    return upcoming


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
    for community in await staff_communities(rt, user.id):
        for row in await store.cares_of_community(rt.db, community["id"]):
            cares[row["id"]] = row
    for row in await store.cares_of_volunteer(rt.db, user.id):
        cares[row["id"]] = row
    if not cares:
        await reply(
            update, _("您没有负责的关爱走访。只有社区工作人员和负责的志愿者能看到这些记录。")
        )
        return
    status_names = {
        "pending": _("待走访"),
        "ok": _("一切正常"),
        "help": _("需要帮助"),
        "overdue": _("逾期未记录"),
    }
    lines = [_("关爱走访名单：")]
    for row in cares.values():
        rhythm = rules.Schedule.from_json(row["rhythm"])
        vols = "、".join(v["first_name"] for v in await store.care_volunteers(rt.db, row["id"]))
        lines.append(
            f"#{row['id']} {row['name']}（{_address(row, _)}）· "
            f"{rules.describe_rule(rhythm, rt.config.tz, _)} · {vols}"
        )
        for visit in await store.last_visits(rt.db, row["id"]):
            when = rules.format_moment(
                datetime.fromtimestamp(visit["due_at"], UTC), rt.config.tz, _
            )
            note = f"：{visit['note']}" if visit["note"] else ""
            lines.append(f"  {when} {status_names[visit['status']]}{note}")
    await reply(update, "\n".join(lines))


def _visit_markup(_: Translate, visit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("✅ 已走访，一切正常"), callback_data=callbacks.pack("cv", "ok", visit_id)
                )
            ],
            [
                InlineKeyboardButton(
                    _("🆘 需要帮助"), callback_data=callbacks.pack("cv", "help", visit_id)
                )
            ],
        ]
    )


async def care_ping_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    rt = get_runtime(app)
    care = await store.get_care(rt.db, int(job.payload["care"]))
    if care is None or not care["active"]:
        return
    due = datetime.fromtimestamp(float(job.payload["due"]), UTC)
    visit_id = await store.open_visit(rt.db, care["id"], due.timestamp())
    volunteers = [v["id"] for v in await store.care_volunteers(rt.db, care["id"])]

    async def make(user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
        _ = translator(await user_lang(rt, user_id))
        return _(
            "🤝 关爱走访提醒：今天请去看望 {name}（{address}）。\n走访后请点按钮记录。"
        ).format(name=care["name"], address=_address(care, _)), _visit_markup(_, visit_id)

    if rt.clock.now() - due < rules.OVERDUE_AFTER:  # much later, the overdue alert says it
        await broadcast(app, f"cv{visit_id}:ping", volunteers, make)
    async with rt.db.transaction() as tx:
        await rt.scheduler.schedule(
            "care_overdue",
            due + rules.OVERDUE_AFTER,
            {"visit": visit_id},
            key=f"care:{care['id']}:od:{visit_id}",
            tx=tx,
        )
        await plan_care(rt, tx, care["id"], rules.Schedule.from_json(care["rhythm"]), after=due)


async def care_overdue_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    rt = get_runtime(app)
    visit = await store.get_visit(rt.db, int(job.payload["visit"]))
    if visit is None or not visit["active"]:
        return
    if not await store.mark_overdue(rt.db, visit["id"]):
        return  # recorded in time
    due = datetime.fromtimestamp(visit["due_at"], UTC)
    vols = "、".join(v["first_name"] for v in await store.care_volunteers(rt.db, visit["care_id"]))

    async def make(user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
        _ = translator(await user_lang(rt, user_id))
        return _(
            "⚠️ {name}（{address}）{when} 的走访过了一天还没有记录。负责志愿者：{vols}。请跟进。"
        ).format(
            name=visit["name"],
            address=_address(visit, _),
            when=rules.format_moment(due, rt.config.tz, _),
            vols=vols,
        ), None

    staff = await _staff_ids(rt, visit["community_id"])
    await broadcast(app, f"cv{visit['id']}:overdue", staff, make)


async def _visit_for(update: Update, context: Context) -> tuple[Row, str] | None:
    query = update.callback_query
    user = update.effective_user
    try:
        cb = callbacks.unpack(query.data if query else None, "cv")
        visit_id = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    rt = context.rt
    visit = await store.get_visit(rt.db, visit_id)
    if visit is None or user is None:
        await refuse_callback(update, context, "visit gone")
        return None
    assigned = {v["id"] for v in await store.care_volunteers(rt.db, visit["care_id"])}
    if user.id not in assigned and not await is_staff(rt, user.id, visit["community_id"]):
        await refuse_callback(update, context, "not assigned to this visit")
        return None
    return visit, cb.action


async def visit_ok(update: Update, context: Context) -> None:
    found = await _visit_for(update, context)
    if found is None:
        return
    visit, _action = found
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    await store.record_visit(context.rt.db, visit["id"], "ok", user.id)
    _ = await tr_user(context, user)
    await answer_callback(update, _("已记录，谢谢您！"))
    await query.edit_message_text(
        _("✅ 已记录：{name} 一切正常。谢谢您！").format(name=visit["name"])
    )


async def _alert_help(context: Context, visit: Row, reporter: str, note: str | None) -> None:
    rt = context.rt
    people = await _staff_ids(rt, visit["community_id"])
    grid = await cstore.grid_worker_for(rt.db, visit["community_id"], visit["building"])
    if grid is not None and grid["id"] not in people:
        people.insert(0, grid["id"])

    async def make(user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
        _ = translator(await user_lang(rt, user_id))
        if note:
            return _("📝 {name}（{address}）情况补充（{who}）：{note}").format(
                name=visit["name"], address=_address(visit, _), who=reporter, note=note
            ), None
        return _(
            "🆘 {name}（{address}）需要帮助！走访志愿者 {who} 刚刚报告，请尽快联系处理。"
        ).format(name=visit["name"], address=_address(visit, _), who=reporter), None

    # Stable across restarts (unlike hash()): the same note is never forwarded twice.
    suffix = f"note{zlib.crc32(note.encode())}" if note else "help"
    await broadcast(context.application, f"cv{visit['id']}:{suffix}", people, make)


async def visit_help(update: Update, context: Context) -> int:
    found = await _visit_for(update, context)
    if found is None:
        return ConversationHandler.END
    visit, _action = found
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    await store.record_visit(context.rt.db, visit["id"], "help", user.id)
    _ = await tr_user(context, user)
    await answer_callback(update, _("已通知网格员和社区工作人员。"))
    await _alert_help(context, visit, user.first_name, None)  # at once, before any note
    context.user_data[CARE_NOTE] = visit["id"]  # type: ignore[index]
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
    visit_id = context.user_data.pop(CARE_NOTE, None)  # type: ignore[union-attr]
    rt = context.rt
    visit = await store.get_visit(rt.db, visit_id) if visit_id else None
    user = update.effective_user
    if visit is None or not note or user is None:
        await reply(update, _("好的。"))
        return ConversationHandler.END
    await store.record_visit(rt.db, visit["id"], "help", user.id, note)
    await _alert_help(context, visit, user.first_name, note)
    await reply(update, _("情况已转给网格员和社区工作人员。谢谢您！"))
    return ConversationHandler.END


async def note_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.user_data.pop(CARE_NOTE, None)  # type: ignore[union-attr]
    await reply(update, _("好的，不补充了。"))
    return ConversationHandler.END


# ---- wiring ----------------------------------------------------------------------------------
def register(app: Application) -> None:  # type: ignore[type-arg]
    scheduler = get_runtime(app).scheduler
    # At-least-once jobs: a crash mid-run runs the job again, and the send ledger makes every
    # target at-most-once, so a broadcast resumes where it stopped and never repeats anyone.
    scheduler.register("notice_send", notice_job, at_least_once=True)
    scheduler.register("care_ping", care_ping_job, at_least_once=True)
    scheduler.register("care_overdue", care_overdue_job, at_least_once=True)

    text_only = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    rm = callbacks.pattern(FEATURE)[:-2]  # '^1\|rm'
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("remind", remind_entry),
            CallbackQueryHandler(edit_entry, pattern=rm + r"\|e[tw]\|"),
        ],
        states={
            TARGET: [CallbackQueryHandler(pick_target, pattern=rm + r"\|g\|")],
            KIND: [CallbackQueryHandler(pick_kind, pattern=rm + r"\|k\|")],
            TEXT: [MessageHandler(text_only, got_text)],
            WHEN: [MessageHandler(text_only, got_when)],
            CONFIRM: [CallbackQueryHandler(confirm, pattern=rm + r"\|(ok|rw)$")],
            EDIT_TEXT: [MessageHandler(text_only, got_edit_text)],
            EDIT_WHEN: [MessageHandler(text_only, got_edit_when)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=rm + r"\|cancel$"),
            CommandHandler("remind", remind_entry),
            MessageHandler(other, not_text),
        ],
        name="remind",
        persistent=True,
        allow_reentry=True,
    )
    note = ConversationHandler(
        entry_points=[CallbackQueryHandler(visit_help, pattern=r"^1\|cv\|help\|")],
        states={NOTE: [MessageHandler(text_only, visit_note)]},
        fallbacks=[CommandHandler("cancel", note_cancel)],
        name="care_note",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(note)
    app.add_handler(CallbackQueryHandler(rsvp_button, pattern=rm + r"\|[yn]\|"))
    app.add_handler(CallbackQueryHandler(manage_button, pattern=rm + r"\|(p|r|d|dd|keep|who)\|"))
    app.add_handler(CallbackQueryHandler(visit_ok, pattern=r"^1\|cv\|ok\|"))
    app.add_handler(CommandHandler("remind", remind_entry))
    app.add_handler(CommandHandler("reminders", reminders_command))
    app.add_handler(CommandHandler("care_add", care_add_command))
    app.add_handler(CommandHandler("care", care_command))
