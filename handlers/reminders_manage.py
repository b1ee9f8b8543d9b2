"""/reminders: the staff's list of notices with their buttons (pause, resume, delete, who
answers), and the meeting's 参加/不参加 buttons in the group."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User

from bot import callbacks
from bot import reminders as rules
from bot.i18n import Translate
from bot.runtime import Runtime
from bot.workflows import reminders as wf
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    is_private,
    is_staff,
    refuse_callback,
    reply,
    send_private,
    tr_chat,
    tr_user,
)
from storage import community as cstore
from storage import reminders as store
from storage.db import Row

FEATURE = wf.FEATURE


def button(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(FEATURE, action, *args))


async def target_label(rt: Runtime, target: int | None, community_id: int, _: Translate) -> str:
    if target is None:
        n = len(await cstore.groups_of(rt.db, community_id))
        return _("全部居民群（{n}个）").format(n=n)
    group = await cstore.get_group(rt.db, target)
    return group["title"] if group is not None and group["title"] else str(target)


async def notice_for_staff(
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


# ---- /reminders ------------------------------------------------------------------------------
async def _notice_card(rt: Runtime, notice: Row, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    schedule = rules.Schedule.from_json(notice["schedule"])
    # A paused notice has no next time to show: it goes out only after 恢复.
    upcoming = (
        datetime.fromtimestamp(notice["next_run"], UTC)
        if notice["next_run"] is not None and notice["status"] == "active"
        else None
    )
    if upcoming is not None and notice["is_meeting"]:
        # A meeting's next run is its reminder's; the card names the meeting to come.
        upcoming = wf.occurrence_of(rt, notice) or upcoming
    state = _("▶️ 进行中") if notice["status"] == "active" else _("⏸ 已暂停")
    kind = _("会议通知") if notice["is_meeting"] else _("普通通知")
    target = await target_label(rt, notice["target_chat"], notice["community_id"], _)
    lines = [
        f"#{notice['id']} {state} · {kind} · {target}",
        notice["text"][:80],
        rules.describe(schedule, upcoming, rt.config.tz, _, rt.clock.now()),
    ]
    buttons = [
        button(_("⏸ 暂停"), "p", notice["id"])
        if notice["status"] == "active"
        else button(_("▶️ 恢复"), "r", notice["id"]),
        button(_("🗑 删除"), "d", notice["id"]),
    ]
    rows = [
        buttons,
        [button(_("✏️ 改内容"), "et", notice["id"]), button(_("🕒 改时间"), "ew", notice["id"])],
    ]
    answers = await wf.meeting_answers(rt, notice) if notice["is_meeting"] else []
    for one in answers:
        lines.append(
            _("{when}：参加 {yes} 人，不参加 {no} 人").format(
                when=rules.format_moment(one.when, rt.config.tz, _, rt.clock.now()),
                yes=len(one.yes),
                no=len(one.no),
            )
        )
    if answers:
        rows.append([button(_("👥 看名单（私聊发给您）"), "who", notice["id"])])
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


async def _send_answers(update: Update, context: Context, notice: Row, user: User) -> None:
    """The names of who answered, privately to the staff member who asked: for the meeting to
    come, and for any later date someone already answered."""
    rt = context.rt
    _ = await tr_user(context, user)
    parts = [
        _("会议通知 #{id}（{when}）的回复：\n参加（{n}人）：{yes}\n不参加（{m}人）：{no}").format(
            id=notice["id"],
            when=rules.format_moment(one.when, rt.config.tz, _, rt.clock.now()),
            n=len(one.yes),
            yes="、".join(one.yes) or "—",
            m=len(one.no),
            no="、".join(one.no) or "—",
        )
        for one in await wf.meeting_answers(rt, notice)
    ]
    await send_private(context, user.id, "\n\n".join(parts) or _("还没有人回复。"))
    await answer_callback(update, _("名单已私聊发给您。") if not is_private(update) else None)


async def manage_button(update: Update, context: Context) -> None:
    found = await notice_for_staff(update, context)
    if found is None:
        return
    notice, cb = found
    rt = context.rt
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    _ = await tr_chat(update, context)
    if cb.action == "who":
        await _send_answers(update, context, notice, user)
        return
    if cb.action == "d":  # ask first
        await answer_callback(update)
        await query.edit_message_text(
            _("确定删除通知 #{id} 吗？删除后不会再发。").format(id=notice["id"]),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        button(_("🗑 确定删除"), "dd", notice["id"]),
                        button(_("不删了"), "keep", notice["id"]),
                    ]
                ]
            ),
        )
        return
    if cb.action in ("p", "r"):
        # Pausing or resuming a meeting to come tells the group and the people who said they
        # would come: a mis-tap must not send that, so ask first (as 删除 does).
        news = await (wf.pause_news if cb.action == "p" else wf.resume_news)(rt, notice)
        if news is not None:
            await answer_callback(update)
            await query.edit_message_text(
                _confirm_text(_, cb.action, notice["id"], news, rt),
                reply_markup=InlineKeyboardMarkup(
                    [
                        [
                            button(_("⏸ 确定暂停"), "pp", notice["id"])
                            if cb.action == "p"
                            else button(_("▶️ 确定恢复"), "rr", notice["id"]),
                            button(
                                _("不暂停") if cb.action == "p" else _("先不恢复"),
                                "keep",
                                notice["id"],
                            ),
                        ]
                    ]
                ),
            )
            return
    if cb.action == "keep":
        text, markup = await _notice_card(rt, notice, _)
        await answer_callback(update)
        await query.edit_message_text(text, reply_markup=markup)
        return
    if cb.action in ("p", "pp"):
        changed = await wf.pause_notice(rt, notice, user.id)
        done, event = _("已暂停，不会再发。"), "p"
    elif cb.action in ("r", "rr"):
        changed = await wf.resume_notice(rt, notice, user.id)
        event = "r"
        if changed.upcoming is None:
            done = _("这个通知的时间已经过了，请用“改时间”重新设。")
        else:
            schedule = rules.Schedule.from_json(notice["schedule"])
            done = _("已恢复。{when}。").format(
                when=rules.describe(schedule, changed.upcoming, rt.config.tz, _, rt.clock.now())
            )
    elif cb.action == "dd":
        changed = await wf.delete_notice(rt, notice, user.id)
        done, event = _("通知 #{id} 已删除。").format(id=notice["id"]), "d"
    else:
        await refuse_callback(update, context, f"unknown notice action {cb.action!r}")
        return
    for key in changed.tell:  # durable jobs due now: the meeting's news
        await rt.scheduler.run_key(key)
    # Said after the sends, from the ledger: only what actually went out.
    done += told_text(_, event, await wf.told(rt, changed))
    await answer_callback(update, done)
    fresh = await store.get_notice(rt.db, notice["id"])
    if fresh is None or fresh["status"] not in ("active", "paused"):  # deleted, or done
        await query.edit_message_text(f"#{notice['id']} {done}" if cb.action != "dd" else done)
        return
    text, markup = await _notice_card(rt, fresh, _)
    await query.edit_message_text(f"#{notice['id']} {done}\n\n{text}", reply_markup=markup)


def _confirm_text(
    _: Translate, action: str, notice_id: int, news: wf.MeetingNews, rt: Runtime
) -> str:
    when = rules.format_moment(news.when, rt.config.tz, _, rt.clock.now())
    if action == "p":
        text = _("确定暂停会议 #{id}（{when}）吗？")
        group = _("群里会收到“会议暂停”的通知。")
        people = _("说要参加的 {n} 人会私聊收到。")
    else:
        text = _("确定恢复会议 #{id}（{when}）吗？")
        group = _("群里会收到“会议恢复”的通知。")
        people = _("收到过暂停通知的 {n} 人会私聊收到。")
    parts = [text.format(id=notice_id, when=when)]
    if news.groups:
        parts.append(group)
    if news.attending:
        parts.append(people.format(n=news.attending))
    return "".join(parts)


def told_text(_: Translate, event: str, told: wf.Told) -> str:
    """What the staff are told went out, matching the ledger."""
    what = {"p": _("会议暂停"), "r": _("会议恢复"), "d": _("会议取消"), "m": _("会议改时间")}[event]
    if told.groups and told.people:
        return _("已在群里通知{what}，也私聊告诉了 {n} 人。").format(what=what, n=told.people)
    if told.groups:
        return _("已在群里通知{what}。").format(what=what)
    if told.people:
        return _("已私聊告诉了 {n} 人{what}。").format(what=what, n=told.people)
    return ""


# ---- meeting answers -------------------------------------------------------------------------
async def rsvp_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    try:
        cb = callbacks.unpack(query.data if query else None, FEATURE)
        notice_id = cb.int_arg(0)
        occ = cb.int_arg(1) if len(cb.args) > 1 else None  # older buttons have none
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    attending = cb.action == "y"
    if user is None or chat is None:
        return
    name = user.first_name or str(user.id)
    done = await wf.record_rsvp(context.rt, notice_id, occ, chat.id, user.id, name, attending)
    _ = await tr_user(context, user)
    if done == "over":
        await answer_callback(update, _("这次会议已经结束或改了时间，不能再回复了。"), alert=True)
        return
    if done != "ok":
        await refuse_callback(update, context, "rsvp for an unknown meeting or chat")
        return
    await answer_callback(
        update, _("已记录：参加。谢谢！") if attending else _("已记录：不参加。想改可以再点。")
    )
