"""Working a repair request: accept, update, notes, hand back, confirm, rate, staff tools,
and the overdue escalation job."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, ConversationHandler

from bot import callbacks
from bot import repairs as rules
from bot.community import BUILDING_SUFFIXES, clean_part
from bot.context import BotContext
from bot.i18n import N_, Translate
from bot.scheduler import ScheduledJob
from bot.text import normalize
from handlers.repairs_common import (
    FEATURE,
    JOB_KIND,
    actor_for,
    button,
    cancel_jobs,
    category_name,
    details,
    grid_building,
    headline,
    history_lines,
    may_see_personal,
    now_ts,
    plan_route,
    route,
    route_now,
    schedule_accept,
    schedule_resolve,
    send,
    send_photos,
    staff_ids,
    status_changed,
    tell_residents,
    worker_buttons,
)
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
from storage import community as cstore
from storage import repairs as store
from storage.db import Row

log = logging.getLogger(__name__)

PAGE = 5
STALE = N_("这个报修的状态已经变了，按钮已失效。")
NOT_FOUND = N_("找不到这个报修。")


async def _refuse(update: Update, context: Context, reason: str) -> None:
    """A clear answer for a button that is not this person's or not current; nothing changes."""
    user = update.effective_user
    _ = await tr_user(context, user) if user else (lambda s: s)
    log.info(
        "repairs: refused %r for %s: %s",
        update.callback_query.data if update.callback_query else None,
        user.id if user else None,
        reason,
    )
    await answer_callback(update, _(reason), alert=True)


# ---- transitions -----------------------------------------------------------------------------
async def apply(
    context: Context,
    user_id: int,
    ticket_id: int,
    action: rules.Action,
    *,
    note: str = "",
    reason: str | None = None,
    assignee: int | None = None,
) -> tuple[Row | None, str | None]:
    """Check rights and status, then compare-and-set in one transaction with its history row
    and its escalation jobs. Returns (ticket after, None) or (None, msgid why not)."""
    rt = context.rt
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None:
        return None, NOT_FOUND
    actor = await actor_for(rt, user_id, t)
    why = rules.check(action, t["status"], actor)
    if why is not None:
        return None, why
    target = rules.next_status(action, t["status"])
    assert target is not None
    now = now_ts(rt)
    fields: dict[str, object] = {}
    if action is rules.Action.ACCEPT:
        fields = {
            "assignee_id": user_id,
            "accepted_at": now,
            "due_at": rules.resolve_due(rt.clock.now(), t["category"]).timestamp(),
        }
    elif action is rules.Action.REASSIGN:
        fields = {
            "assignee_id": assignee,
            "accepted_at": now,
            "due_at": rules.resolve_due(rt.clock.now(), t["category"]).timestamp(),
        }
    elif action is rules.Action.RESOLVE:
        fields = {"resolved_at": now}
    elif action is rules.Action.HAND_BACK:
        fields = {
            "assignee_id": None,
            "accepted_at": None,
            "due_at": rules.accept_due(rt.clock.now()).timestamp(),
        }
    elif action is rules.Action.REOPEN:
        fields = {
            "resolved_at": None,
            "due_at": rules.resolve_due(rt.clock.now(), t["category"]).timestamp(),
        }
    elif action is rules.Action.CLOSE:
        fields = {"close_reason": reason}
    async with rt.db.transaction() as tx:
        # `WHERE status = <what we read>`: two presses at once give exactly one change.
        if not await store.move(
            tx, ticket_id, t["status"], target, now, assignee_was=t["assignee_id"], **fields
        ):
            return None, STALE
        await store.add_history(tx, ticket_id, user_id, now, t["status"], target, note)
        if target in (rules.Status.RESOLVED, rules.Status.CLOSED, rules.Status.CONFIRMED):
            await cancel_jobs(rt, ticket_id, tx)
        elif target is rules.Status.NEW:
            await rt.scheduler.cancel(f"repair_resolve:{ticket_id}", tx=tx)
            await schedule_accept(rt, ticket_id, now, tx)
            if action is rules.Action.HAND_BACK:
                await plan_route(rt, ticket_id, tx)
        elif "due_at" in fields:
            await rt.scheduler.cancel(f"repair_accept:{ticket_id}", tx=tx)
            await schedule_resolve(rt, ticket_id, float(fields["due_at"]), tx)  # type: ignore[arg-type]
        if action in (rules.Action.ACCEPT, rules.Action.REASSIGN):
            offered = await store.offers(tx, ticket_id)
            await store.clear_offers(tx, ticket_id)
        else:
            offered = []
    after = await store.get_ticket(rt.db, ticket_id)
    assert after is not None
    if offered:
        await _close_offers(context, after, offered)
    return after, None


async def _close_offers(context: Context, t: Row, offered: list[Row]) -> None:
    """Everyone else's 接单 button now says it has been taken."""
    for offer in offered:
        if offer["user_id"] == t["assignee_id"]:
            continue
        _ = await tr_user(context, offer["user_id"])
        try:
            await context.bot.edit_message_text(
                _("#{id} 已被接单，谢谢您！").format(id=t["id"]),
                chat_id=offer["chat_id"],
                message_id=offer["message_id"],
            )
        except TelegramError as exc:
            log.debug("could not edit offer: %s", exc)


async def _after_change(
    context: Context, t: Row, action: rules.Action, actor_id: int, note: str = ""
) -> None:
    """Tell the people who need to know about a change that just happened."""
    rt = context.rt
    await status_changed(context, t, note)
    if action is rules.Action.HAND_BACK:
        await route_now(rt, t["id"])
    if action is rules.Action.REASSIGN and t["assignee_id"]:
        await _task_message(context, t["assignee_id"], t, _intro=N_("您被指派了一个报修："))
    if action is rules.Action.REOPEN:
        people = [t["assignee_id"], *await staff_ids(rt, t["community_id"])]
        for uid in dict.fromkeys(p for p in people if p and p != actor_id):
            _ = await tr_user(context, uid)
            rows = worker_buttons(_, t, await actor_for(rt, uid, t))
            await send(
                context,
                uid,
                _("⚠️ 居民说 #{id} 没解决，已重新打开，请再看看。").format(id=t["id"])
                + "\n"
                + headline(_, t),
                InlineKeyboardMarkup(rows) if rows else None,
            )


async def _task_message(context: Context, uid: int, t: Row, _intro: str = "") -> None:
    rt = context.rt
    actor = await actor_for(rt, uid, t)
    _ = await tr_user(context, uid)
    text = details(rt, _, t, personal=may_see_personal(actor, t))
    if _intro:
        text = _(_intro) + "\n" + text
    rows = worker_buttons(_, t, actor)
    await send(context, uid, text, InlineKeyboardMarkup(rows) if rows else None)


# ---- the ticket buttons ---------------------------------------------------------------------
ACTIONS = {
    "acc": rules.Action.ACCEPT,
    "go": rules.Action.START,
    "done": rules.Action.RESOLVE,
    "back": rules.Action.HAND_BACK,
    "ok": rules.Action.CONFIRM,
    "no": rules.Action.REOPEN,
}


async def ticket_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    try:
        cb = callbacks.unpack(query.data, FEATURE)
        if cb.action == "pg":
            await tickets_page(update, context, cb)
            return
        tid = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    if cb.action in ACTIONS:
        await _do_action(update, context, tid, ACTIONS[cb.action])
    elif cb.action == "v":
        await _view(update, context, tid)
    elif cb.action == "rate":
        await _rate(update, context, tid, cb)
    elif cb.action in ("cls", "clr"):
        await _close(update, context, tid, cb)
    elif cb.action in ("asg", "asgu"):
        await _reassign(update, context, tid, cb)
    elif cb.action == "plus":
        await plus_one(update, context, tid)
    else:
        await refuse_callback(update, context, f"unknown repairs action {cb.action!r}")


async def _do_action(update: Update, context: Context, tid: int, action: rules.Action) -> None:
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    t, why = await apply(context, user.id, tid, action)
    if why is not None or t is None:
        if action is rules.Action.ACCEPT and why == STALE:
            why = N_("已经有人接单了，谢谢您！")
        await _refuse(update, context, why or STALE)
        return
    _ = await tr_user(context, user)
    await answer_callback(update, _("好的"))
    rt = context.rt
    actor = await actor_for(rt, user.id, t)
    if action in (rules.Action.CONFIRM, rules.Action.REOPEN):
        if action is rules.Action.CONFIRM:
            text = _("谢谢确认！#{id} 已完成。请给这次处理打个分：").format(id=tid)
            stars = [button("⭐" * n, "rate", tid, n) for n in range(1, 6)]
            markup = InlineKeyboardMarkup([stars[:3], stars[3:]])
        else:
            text = _("已重新打开 #{id}，处理人和社区工作人员会再来看。").format(id=tid)
            markup = None
        await _edit(query, text, markup)
    else:
        rows = worker_buttons(_, t, actor)
        text = details(rt, _, t, personal=may_see_personal(actor, t))
        await _edit(query, text, InlineKeyboardMarkup(rows) if rows else None)
    await _after_change(context, t, action, user.id)


async def _edit(query: object, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)  # type: ignore[attr-defined]
    except TelegramError as exc:  # e.g. "message is not modified"
        log.debug("edit failed: %s", exc)


async def _view(update: Update, context: Context, tid: int) -> None:
    user = update.effective_user
    assert user is not None
    rt = context.rt
    t = await store.get_ticket(rt.db, tid)
    if t is None:
        await _refuse(update, context, NOT_FOUND)
        return
    actor = await actor_for(rt, user.id, t)
    follower = user.id in await store.followers(rt.db, tid)
    if not (actor.is_worker or actor.is_reporter or actor.was_offered or follower):
        await _refuse(update, context, N_("您不能查看这个报修。"))
        return
    await answer_callback(update)
    _ = await tr_user(context, user)
    worker = actor.is_worker or actor.was_offered
    text = details(rt, _, t, personal=may_see_personal(actor, t))
    hist = await history_lines(rt, _, tid, include_internal=actor.is_worker)
    if hist:
        text += "\n\n" + _("处理记录：") + "\n" + "\n".join(hist)
    rows = worker_buttons(_, t, actor) if worker else []
    if actor.is_reporter and t["status"] == "resolved":
        rows.append([button(_("👍 已解决"), "ok", tid), button(_("👎 没解决"), "no", tid)])
    if actor.is_reporter and t["status"] == "confirmed" and not t["rating"]:
        rows.append([button("⭐" * n, "rate", tid, n) for n in range(1, 6)])
    await send(context, user.id, text, InlineKeyboardMarkup(rows) if rows else None)
    if worker or actor.is_reporter:
        await send_photos(context, user.id, tid)


async def _rate(update: Update, context: Context, tid: int, cb: callbacks.Callback) -> None:
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    try:
        stars = cb.int_arg(1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    rt = context.rt
    t = await store.get_ticket(rt.db, tid)
    if t is None or t["reporter_id"] != user.id:
        await _refuse(update, context, N_("只有报修的居民可以评分。"))
        return
    if not rules.valid_rating(stars):
        await refuse_callback(update, context, f"rating {stars}")
        return
    async with rt.db.transaction() as tx:
        ok = await store.set_rating(tx, tid, user.id, stars)
        if ok:
            await store.add_history(tx, tid, user.id, now_ts(rt), None, None, "⭐" * stars)
    if not ok:
        await _refuse(update, context, N_("已经评过分了，或者还不能评分。"))
        return
    _ = await tr_user(context, user)
    await answer_callback(update, _("谢谢！"))
    await _edit(
        query, _("谢谢您的评分：{stars}。#{id} 已完成。").format(stars="⭐" * stars, id=tid), None
    )


async def _close(update: Update, context: Context, tid: int, cb: callbacks.Callback) -> None:
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    rt = context.rt
    _ = await tr_user(context, user)
    if cb.action == "cls":
        t = await store.get_ticket(rt.db, tid)
        if t is None:
            await _refuse(update, context, NOT_FOUND)
            return
        why = rules.check(rules.Action.CLOSE, t["status"], await actor_for(rt, user.id, t))
        if why:
            await _refuse(update, context, why)
            return
        await answer_callback(update)
        rows = [[button(_(name), "clr", tid, key)] for key, name in rules.CLOSE_REASONS.items()]
        await send(
            context, user.id, _("关闭 #{id}，原因是：").format(id=tid), InlineKeyboardMarkup(rows)
        )
        return
    reason = cb.str_arg(1)
    if reason not in rules.CLOSE_REASONS:
        await refuse_callback(update, context, f"close reason {reason!r}")
        return
    t, why = await apply(context, user.id, tid, rules.Action.CLOSE, reason=reason)
    if t is None:
        await _refuse(update, context, why or STALE)
        return
    await answer_callback(update, _("已关闭"))
    await _edit(
        query,
        _("#{id} 已关闭：{reason}").format(id=tid, reason=_(rules.CLOSE_REASONS[reason])),
        None,
    )
    await _after_change(context, t, rules.Action.CLOSE, user.id)


async def _reassign(update: Update, context: Context, tid: int, cb: callbacks.Callback) -> None:
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    rt = context.rt
    _ = await tr_user(context, user)
    t = await store.get_ticket(rt.db, tid)
    if t is None:
        await _refuse(update, context, NOT_FOUND)
        return
    why = rules.check(rules.Action.REASSIGN, t["status"], await actor_for(rt, user.id, t))
    if why:
        await _refuse(update, context, why)
        return
    cid = t["community_id"]
    people: dict[int, Row] = {}
    for role in ("grid_worker", "volunteer"):
        for row in await cstore.members_with_role(rt.db, cid, role):
            people.setdefault(row["id"], row)
    if cb.action == "asg":
        await answer_callback(update)
        rows = [
            [button(p["first_name"][:30], "asgu", tid, uid)]
            for uid, p in list(people.items())[:12]
            if uid != t["assignee_id"]
        ]
        await send(
            context,
            user.id,
            _("把 #{id} 改派给谁？").format(id=tid),
            InlineKeyboardMarkup(rows) if rows else None,
        )
        return
    try:
        target = cb.int_arg(1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    if target not in people:
        await refuse_callback(update, context, f"reassign to non-worker {target}")
        return
    previous = t["assignee_id"]
    t2, why = await apply(context, user.id, tid, rules.Action.REASSIGN, assignee=target)
    if t2 is None:
        await _refuse(update, context, why or STALE)
        return
    await answer_callback(update, _("已改派"))
    await _edit(
        query, _("#{id} 已改派给 {name}。").format(id=tid, name=people[target]["first_name"]), None
    )
    if previous and previous != target:
        _p = await tr_user(context, previous)
        await send(
            context, previous, _p("#{id} 已由社区改派给别人，您不用再处理了。").format(id=tid)
        )
    await _after_change(context, t2, rules.Action.REASSIGN, user.id)


async def plus_one(update: Update, context: Context, tid: int) -> bool:
    """我也遇到了: follow an open request in the resident's own community."""
    user = update.effective_user
    assert user is not None
    rt = context.rt
    t = await store.get_ticket(rt.db, tid)
    if t is None or t["status"] not in rules.OPEN:
        await _refuse(update, context, STALE)
        return False
    if await cstore.get_resident(rt.db, user.id, t["community_id"]) is None:
        await _refuse(update, context, N_("只有本社区登记的居民可以这样做。"))
        return False
    _ = await tr_user(context, user)
    if t["reporter_id"] == user.id:
        await answer_callback(update, _("这是您自己报的。"), alert=True)
        return False
    async with rt.db.transaction() as tx:
        new = await store.follow(tx, tid, user.id, now_ts(rt))
        if new:
            await store.add_history(tx, tid, user.id, now_ts(rt), None, None, "+1", internal=True)
    await answer_callback(update, _("已记下"))
    n = await store.count_followers(rt.db, tid)
    await reply(
        update,
        _("已记下：您也遇到了 #{id}（共 {n} 户）。进度会私信告诉您，不用重复报修。").format(
            id=tid, n=n + 1
        ),
    )
    return True


# ---- notes (a small conversation: the text comes in the next message) ----------------------------
NOTE = 0
NOTE_DRAFT = "repair_note"


async def note_entry(update: Update, context: Context) -> int:
    user = update.effective_user
    query = update.callback_query
    if user is None or query is None:
        return ConversationHandler.END
    try:
        cb = callbacks.unpack(query.data, "rn")
        if cb.action != "n":
            raise callbacks.BadCallback(f"unknown note action {cb.action!r}")
        tid, internal = cb.int_arg(0), cb.int_arg(1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, str(exc))
        return ConversationHandler.END
    rt = context.rt
    t = await store.get_ticket(rt.db, tid)
    why = (
        NOT_FOUND
        if t is None
        else rules.check(rules.Action.NOTE, t["status"], await actor_for(rt, user.id, t))
    )
    if why:
        await _refuse(update, context, why)
        return ConversationHandler.END
    await answer_callback(update)
    context.user_data[NOTE_DRAFT] = {"ticket": tid, "internal": bool(internal)}  # type: ignore[index]
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
    draft = context.user_data.get(NOTE_DRAFT) or {}  # type: ignore[union-attr]
    rt = context.rt
    t = await store.get_ticket(rt.db, draft.get("ticket", 0))
    why = (
        NOT_FOUND
        if t is None
        else rules.check(rules.Action.NOTE, t["status"], await actor_for(rt, user.id, t))
    )
    if why or t is None:
        context.user_data.pop(NOTE_DRAFT, None)  # type: ignore[union-attr]
        await reply(update, _(why or NOT_FOUND))
        return ConversationHandler.END
    photo = message.photo[-1].file_id if message.photo else None
    text = rules.clean_note(message.text or message.caption or "")
    if photo is None and text is None:
        await reply(update, _("请写一句话（500字以内）或发一张照片，或发送 /cancel 取消。"))
        return None
    internal = bool(draft.get("internal"))
    now = now_ts(rt)
    async with rt.db.transaction() as tx:
        if photo:
            seq = await store.next_photo_seq(tx, t["id"])
            await store.add_photo(tx, t["id"], seq, photo, user.id, now)
        await store.add_history(
            tx, t["id"], user.id, now, None, None, (text or "") + (" 📷" if photo else ""), internal
        )
    context.user_data.pop(NOTE_DRAFT, None)  # type: ignore[union-attr]
    await reply(update, _("已记录到 #{id}。").format(id=t["id"]))
    if not internal:

        def build(_r: Translate) -> str:
            return _r("#{id} 有新进展：{note}").format(id=t["id"], note=text or "📷")

        await tell_residents(context, t, build)
        if photo:
            for uid in {t["reporter_id"], *await store.followers(rt.db, t["id"])}:
                try:
                    await context.bot.send_photo(uid, photo)
                except TelegramError as exc:
                    log.debug("photo not sent: %s", exc)
    return ConversationHandler.END


async def note_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.user_data.pop(NOTE_DRAFT, None)  # type: ignore[union-attr]
    await reply(update, _("已取消。"))
    return ConversationHandler.END


async def note_other(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    await reply(update, _("请写一句话或发一张照片，或发送 /cancel 取消。"))


# ---- /tasks ----------------------------------------------------------------------------------
async def tasks_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(update, _("任务只在私聊里显示，请私聊我发送 /tasks。"))
        return
    rt = context.rt
    roles = await cstore.all_roles_of(rt.db, user.id)
    mine = await store.tasks_of(rt.db, user.id)
    waiting = await store.unaccepted_for_grid(rt.db, user.id)
    if not roles and not mine and not rt.is_admin(user.id):
        await reply(update, _("/tasks 是给志愿者、网格员和社区工作人员用的。"))
        return
    if not mine and not waiting:
        await reply(update, _("目前没有待办任务，谢谢您！"))
        return
    await reply(update, _("您的待办任务：{n} 件").format(n=len(mine) + len(waiting)))
    for t in [*mine, *waiting]:
        full = await store.get_ticket(rt.db, t["id"])
        if full is not None:
            await _task_message(context, user.id, full)


# ---- /tickets (staff) -------------------------------------------------------------------------
async def _staff_community(update: Update, context: Context) -> Row | None:
    user = update.effective_user
    assert user is not None
    mine = await staff_communities(context.rt, user.id)
    return mine[0] if mine else None


def _filter_from_args(args: list[str]) -> tuple[store.Filter, list[str]]:
    status = building = category = None
    overdue = False
    unknown = []
    names = {normalize(v): k.value for k, v in rules.STATUS_NAMES.items()}
    cats = {normalize(c.name): c.key for c in rules.CATEGORIES}
    for word in args:
        w = normalize(word)
        if w in ("超期", "逾期", "overdue"):
            overdue = True
        elif w in ("未完成", "open"):
            status = "open"
        elif w in names or w in {s.value for s in rules.Status}:
            status = names.get(w, w)
        elif w in cats or w in rules.BY_KEY:
            category = cats.get(w, w)
        elif (b := clean_part(w, BUILDING_SUFFIXES)) is not None:
            building = b
        else:
            unknown.append(word)
    return store.Filter(status, building, category, overdue), unknown


async def tickets_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(update, _("报修清单含个人信息，请私聊我发送 /tickets。"))
        return
    community = await _staff_community(update, context)
    if community is None:
        await reply(update, _("只有社区工作人员可以查看全部报修。"))
        return
    f, unknown = _filter_from_args(list(context.args or []))
    if unknown:
        await reply(
            update,
            _("不认识：{words}。例：/tickets 待受理 21号楼 水管 超期").format(
                words="、".join(unknown)
            ),
        )
        return
    text, markup = await _tickets_view(context, _, community["id"], f, 0)
    await reply(update, text, reply_markup=markup)


def _tok(value: str | None) -> str:
    return value or "x"


async def _tickets_view(
    context: Context, _: Translate, cid: int, f: store.Filter, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    rt = context.rt
    total, rows = await store.search(rt.db, cid, f, now_ts(rt), page * PAGE, PAGE)
    pages = max(1, (total + PAGE - 1) // PAGE)
    bits = []
    if f.status:
        bits.append(_("未完成") if f.status == "open" else _(rules.status_name(f.status)))
    if f.building:
        bits.append(_("{building}号楼").format(building=f.building))
    if f.category:
        bits.append(category_name(_, f.category))
    if f.overdue:
        bits.append(_("超期"))
    lines = [
        _("报修清单（{filters}）：共 {total} 条，第 {page}/{pages} 页").format(
            filters="、".join(bits) or _("全部"), total=total, page=page + 1, pages=pages
        )
    ]
    now = rt.clock.now()
    buttons: list[list[InlineKeyboardButton]] = []
    for t in rows:
        due = datetime.fromtimestamp(t["due_at"], UTC) if t["due_at"] else None
        late = " ⏰" + _("超期") if rules.is_overdue(t["status"], due, now) else ""
        lines.append(headline(_, t) + late)
        buttons.append([button(_("📄 #{id} 详情").format(id=t["id"]), "v", t["id"])])

    def pg(
        status: str | None,
        overdue: bool,
        to: int,
        building: str | None = f.building,
        cat: str | None = f.category,
    ) -> str:
        return callbacks.pack(
            FEATURE, "pg", cid, _tok(status), _tok(building), _tok(cat), int(overdue), to
        )

    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(_("⬅️ 上一页"), callback_data=pg(f.status, f.overdue, page - 1))
        )
    if page + 1 < pages:
        nav.append(
            InlineKeyboardButton(_("下一页 ➡️"), callback_data=pg(f.status, f.overdue, page + 1))
        )
    if nav:
        buttons.append(nav)
    buttons.append(
        [
            InlineKeyboardButton(_("未完成"), callback_data=pg("open", False, 0)),
            InlineKeyboardButton(_("待受理"), callback_data=pg("new", False, 0)),
            InlineKeyboardButton(_("超期"), callback_data=pg(None, True, 0)),
            InlineKeyboardButton(_("全部"), callback_data=pg(None, False, 0, None, None)),
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def tickets_page(update: Update, context: Context, cb: callbacks.Callback) -> None:
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    cid = cb.int_arg(0)
    status, building, cat = (None if a == "x" else a for a in cb.args[1:4])
    overdue, page = bool(cb.int_arg(4)), cb.int_arg(5)
    rt = context.rt
    if not await is_staff(rt, user.id, cid):
        await _refuse(update, context, N_("只有社区工作人员可以查看全部报修。"))
        return
    valid_status = status in (None, "open") or status in {s.value for s in rules.Status}
    if not valid_status or (cat is not None and cat not in rules.BY_KEY) or page < 0:
        await refuse_callback(update, context, "bad ticket filter")
        return
    await answer_callback(update)
    _ = await tr_user(context, user)
    text, markup = await _tickets_view(
        context, _, cid, store.Filter(status, building, cat, overdue), page
    )
    await _edit(query, text, markup)


# ---- /merge (staff) ---------------------------------------------------------------------------
async def merge_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    args = [a.lstrip("#") for a in (context.args or [])]
    usage = _("用法：/merge 重复的编号 保留的编号，例如 /merge 12 7")
    if len(args) != 2 or not all(a.isdigit() for a in args) or args[0] == args[1]:
        await reply(update, usage)
        return
    dup_id, keep_id = int(args[0]), int(args[1])
    rt = context.rt
    dup = await store.get_ticket(rt.db, dup_id)
    keep = await store.get_ticket(rt.db, keep_id)
    if dup is None or keep is None or dup["community_id"] != keep["community_id"]:
        await reply(update, _("找不到这两个报修，或者它们不在同一个社区。"))
        return
    if not await is_staff(rt, user.id, dup["community_id"]):
        await reply(update, _("只有社区工作人员可以合并报修。"))
        return
    if dup["status"] not in rules.OPEN or keep["status"] in rules.FINAL:
        await reply(
            update, _("#{a} 必须还没完成，#{b} 不能已关闭或已确认。").format(a=dup_id, b=keep_id)
        )
        return
    now = now_ts(rt)
    async with rt.db.transaction() as tx:
        ok = await store.move(
            tx,
            dup_id,
            dup["status"],
            "closed",
            now,
            assignee_was=dup["assignee_id"],
            close_reason="dup",
            merged_into=keep_id,
        )
        if ok:
            await store.add_history(
                tx,
                dup_id,
                user.id,
                now,
                dup["status"],
                "closed",
                _("合并到 #{id}").format(id=keep_id),
            )
            await store.add_history(
                tx,
                keep_id,
                user.id,
                now,
                None,
                None,
                _("合并了 #{id}").format(id=dup_id),
                internal=True,
            )
            await store.move_followers(tx, dup_id, keep_id, dup["reporter_id"], now)
            await store.clear_offers(tx, dup_id)
            await cancel_jobs(rt, dup_id, tx)
    if not ok:
        await reply(update, _(STALE))
        return
    await reply(
        update, _("已把 #{a} 合并到 #{b}，关注的居民也转过去了。").format(a=dup_id, b=keep_id)
    )
    after = await store.get_ticket(rt.db, dup_id)
    assert after is not None
    await status_changed(
        context, after, _("与 #{id} 是同一个问题，之后会通知您 #{id} 的进度。").format(id=keep_id)
    )


# ---- escalation -------------------------------------------------------------------------------
async def route_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    """Offer a new or handed-back request (see plan_route); nothing once someone took it."""
    context: Context = BotContext(app)
    t = await store.get_ticket(context.rt.db, int(job.payload.get("ticket", 0)))
    if t is not None and t["status"] == rules.Status.NEW:
        await route(context, t)


async def escalate(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    """Idempotent: does nothing when the ticket moved on meanwhile."""
    context: Context = BotContext(app)
    rt = context.rt
    tid = int(job.payload.get("ticket", 0))
    stage = job.payload.get("stage")
    t = await store.get_ticket(rt.db, tid)
    if t is None:
        return
    cid = t["community_id"]
    if stage in ("accept1", "accept2"):
        if t["status"] != "new":
            return
        building = grid_building(t)
        grid = await cstore.grid_worker_for(rt.db, cid, building) if building else None
        if stage == "accept1" and grid is not None:
            people = [grid["id"]]
            text = N_("⏰ 报修 #{id} 还没有人接单，请您安排一下：")
            later = datetime.fromtimestamp(t["created_at"], UTC) + rules.ACCEPT_ESCALATE_AFTER
            await rt.scheduler.schedule(
                JOB_KIND,
                max(later, rt.clock.now()),
                {"ticket": tid, "stage": "accept2"},
                key=f"repair_accept:{tid}",
            )
        else:
            people = await staff_ids(rt, cid)
            text = N_("⚠️ 报修 #{id} 很久没人接单，请社区安排：")
    elif stage == "resolve":
        if t["status"] not in rules.WORKING:
            return
        people = [t["assignee_id"], *await staff_ids(rt, cid)]
        text = N_("⏰ 报修 #{id} 已超过处理期限，还没解决，请跟进：")
        await rt.scheduler.schedule(
            JOB_KIND,
            rt.clock.now() + rules.RESOLVE_REPEAT,
            {"ticket": tid, "stage": "resolve"},
            key=f"repair_resolve:{tid}",
        )
    else:
        log.warning("unknown repair escalation stage %r", stage)
        return
    await store.add_history(rt.db, tid, None, now_ts(rt), None, None, f"⏰ {stage}", internal=True)
    for uid in dict.fromkeys(p for p in people if p):
        _ = await tr_user(context, uid)
        actor = await actor_for(rt, uid, t)
        rows = worker_buttons(_, t, actor)
        await send(
            context,
            uid,
            _(text).format(id=tid) + "\n" + headline(_, t),
            InlineKeyboardMarkup(rows) if rows else None,
        )
