"""Shared pieces of the repair handlers: rendering a ticket, rights, notifying, routing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import callbacks
from bot import repairs as rules
from bot.community import Address
from bot.i18n import Translate
from bot.runtime import Runtime
from handlers.shared import Context, clip, is_staff, tr_user
from storage import community as cstore
from storage import repairs as store
from storage.db import Executor, Row

log = logging.getLogger(__name__)

FEATURE = "rq"  # buttons on tickets, outside any conversation
JOB_KIND = "repair_escalate"
ROUTE_KIND = "repair_route"


def now_ts(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


def when(rt: Runtime, ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).astimezone(rt.config.tz).strftime("%m-%d %H:%M")


def button(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(FEATURE, action, *args))


def place_label(_: Translate, t: Row) -> str:
    """Where the problem is, without the room number: safe for any worker to read."""
    parts = []
    if t["building"]:
        parts.append(_("{building}号楼").format(building=t["building"]))
    if t["unit"]:
        parts.append(_("{unit}单元").format(unit=t["unit"]))
    if t["place"]:
        parts.append(t["place"])
    return " ".join(parts) if parts else _("小区公共区域")


def category_name(_: Translate, key: str) -> str:
    cat = rules.category(key)
    return _(cat.name) if cat else key


def headline(_: Translate, t: Row) -> str:
    return _("#{id} {category} · {place} · {status}").format(
        id=t["id"],
        category=category_name(_, t["category"]),
        place=place_label(_, t),
        status=_(rules.status_name(t["status"])),
    )


def details(rt: Runtime, _: Translate, t: Row, *, personal: bool) -> str:
    """Full text of a ticket. `personal`: the viewer may see the reporter's name and room."""
    lines = [
        _("报修 #{id}：{category}").format(id=t["id"], category=category_name(_, t["category"])),
        _("地点：{place}").format(place=place_label(_, t)),
        _("问题：{text}").format(text=t["description"]),
        _("状态：{status}").format(status=_(rules.status_name(t["status"]))),
        _("提交时间：{at}").format(at=when(rt, t["created_at"])),
    ]
    if t["assignee_name"]:
        lines.append(_("处理人：{name}").format(name=t["assignee_name"]))
    if personal and t["reporter_name"]:
        if "home_building" in t.keys() and t["home_building"]:
            home = Address(t["home_building"], t["home_unit"] or "", t["reporter_room"] or "")
            lines.append(
                _("报修人：{name}（{address}）").format(
                    name=t["reporter_name"], address=home.label(_)
                )
            )
        else:
            lines.append(_("报修人：{name}").format(name=t["reporter_name"]))
        if t["share_phone"] and t["reporter_phone"]:
            lines.append(_("电话：{phone}").format(phone=t["reporter_phone"]))
    elif not personal:
        lines.append(_("报修人没有公开姓名和门牌。"))
    if t["close_reason"]:
        reason = rules.CLOSE_REASONS.get(t["close_reason"], t["close_reason"])
        lines.append(_("关闭原因：{reason}").format(reason=_(reason)))
    if t["merged_into"]:
        lines.append(_("已合并到 #{id}").format(id=t["merged_into"]))
    if t["rating"]:
        lines.append(_("居民评分：{stars}").format(stars="⭐" * int(t["rating"])))
    return "\n".join(lines)


async def history_lines(
    rt: Runtime, _: Translate, ticket_id: int, *, include_internal: bool
) -> list[str]:
    lines = []
    for h in await store.history(rt.db, ticket_id, include_internal=include_internal):
        who = h["actor_name"] or _("系统")
        if h["to_status"] and h["to_status"] != h["from_status"]:
            what = _(rules.status_name(h["to_status"]))
        else:
            what = _("备注")
        line = f"{when(rt, h['at'])} {who}：{what}"
        if h["note"]:
            line += f" — {h['note']}"
        if h["internal"]:
            line += " " + _("（内部）")
        lines.append(line)
    return lines


def grid_building(t: Row) -> str | None:
    """The building whose grid worker answers for a ticket: the place's, or else (a common
    area like "小区大门") the reporter's own building, so the ticket still reaches someone."""
    if t["building"]:
        return str(t["building"])
    return t["home_building"] if "home_building" in t.keys() else None


# ---- rights ----------------------------------------------------------------------------------
async def actor_for(rt: Runtime, user_id: int, t: Row) -> rules.Actor:
    grid = None
    building = grid_building(t)
    if building:
        grid = await cstore.grid_worker_for(rt.db, t["community_id"], building)
    return rules.Actor(
        is_reporter=t["reporter_id"] == user_id,
        is_assignee=t["assignee_id"] == user_id,
        is_grid=grid is not None and grid["id"] == user_id,
        is_staff=await is_staff(rt, user_id, t["community_id"]),
        was_offered=await store.was_offered(rt.db, t["id"], user_id),
    )


def may_see_personal(actor: rules.Actor, t: Row) -> bool:
    return actor.is_staff or actor.is_reporter or bool(t["show_identity"])


def worker_buttons(_: Translate, t: Row, actor: rules.Actor) -> list[list[InlineKeyboardButton]]:
    """The buttons this person may press on this ticket now (re-checked when pressed)."""
    tid, status = t["id"], t["status"]
    rows: list[list[InlineKeyboardButton]] = []
    if status == "new" and rules.allowed(rules.Action.ACCEPT, actor):
        rows.append([button(_("✋ 接单"), "acc", tid)])
    if status in rules.WORKING and actor.is_worker:
        row = []
        if status == "assigned":
            row.append(button(_("🔧 开始处理"), "go", tid))
        row.append(button(_("✅ 已解决"), "done", tid))
        rows.append(row)
    if status in rules.OPEN and actor.is_worker:
        rows.append(
            [
                InlineKeyboardButton(
                    _("📝 写进展"), callback_data=callbacks.pack("rn", "n", tid, 0)
                ),
                InlineKeyboardButton(
                    _("🔒 内部备注"), callback_data=callbacks.pack("rn", "n", tid, 1)
                ),
            ]
        )
    if status in rules.WORKING and actor.is_assignee:
        rows.append([button(_("↩️ 退回，我做不了"), "back", tid)])
    if status in rules.OPEN and actor.is_staff:
        rows.append([button(_("👤 改派"), "asg", tid), button(_("🚫 关闭"), "cls", tid)])
    return rows


# ---- sending ---------------------------------------------------------------------------------
async def send(
    context: Context, user_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """A private message; None (and the user marked) when they blocked the bot."""
    rt = context.rt
    try:
        return await context.bot.send_message(user_id, clip(text), reply_markup=markup)
    except Forbidden:
        await cstore.mark_blocked(rt.db, user_id)
        return None
    except BadRequest as exc:
        log.info("could not message %s: %s", user_id, exc)
        return None


async def send_photos(context: Context, user_id: int, ticket_id: int) -> None:
    rt = context.rt
    for p in await store.photos(rt.db, ticket_id):
        try:
            await context.bot.send_photo(user_id, p["file_id"])
        except TelegramError as exc:
            log.info("could not send photo of #%s to %s: %s", ticket_id, user_id, exc)


async def staff_ids(rt: Runtime, community_id: int) -> list[int]:
    return [r["id"] for r in await cstore.members_with_role(rt.db, community_id, "staff")]


async def tell_residents(
    context: Context, t: Row, build: object, markup_for_reporter: object = None
) -> None:
    """The reporter and every follower, each in their own language.

    `build(_)` returns the text; `markup_for_reporter(_)` optional buttons for the reporter.
    """
    rt = context.rt
    people = [t["reporter_id"], *await store.followers(rt.db, t["id"])]
    for uid in dict.fromkeys(people):
        _ = await tr_user(context, uid)
        markup = None
        if uid == t["reporter_id"] and callable(markup_for_reporter):
            markup = markup_for_reporter(_)
        await send(context, uid, build(_), markup)  # type: ignore[operator]


async def status_changed(context: Context, t: Row, note: str = "") -> None:
    """Every change of status reaches the resident (and followers)."""

    def text(_: Translate) -> str:
        body = _("您的报修 #{id}（{category}）状态更新：{status}").format(
            id=t["id"],
            category=category_name(_, t["category"]),
            status=_(rules.status_name(t["status"])),
        )
        if t["status"] == "closed" and t["close_reason"]:
            body += "\n" + _("原因：{reason}").format(
                reason=_(rules.CLOSE_REASONS.get(t["close_reason"], t["close_reason"]))
            )
        if note:
            body += "\n" + _("说明：{note}").format(note=note)
        if t["status"] == "resolved":
            body += "\n" + _("问题解决了吗？请点下面的按钮告诉我们。")
        return body

    def buttons(_: Translate) -> InlineKeyboardMarkup | None:
        if t["status"] != "resolved":
            return None
        return InlineKeyboardMarkup(
            [[button(_("👍 已解决"), "ok", t["id"]), button(_("👎 没解决"), "no", t["id"])]]
        )

    await tell_residents(context, t, text, buttons)


async def route(context: Context, t: Row) -> int:
    """Offer a new ticket to the building's grid worker and to volunteers whose skill fits.

    Returns how many people got the offer. With nobody to offer it to, staff get it.
    """
    rt = context.rt
    cid = t["community_id"]
    targets: list[int] = []
    building = grid_building(t)
    if building:
        grid = await cstore.grid_worker_for(rt.db, cid, building)
        if grid is not None:
            targets.append(grid["id"])
    for v in await cstore.volunteers_with_skills(rt.db, cid, rules.skills_for(t["category"])):
        targets.append(v["id"])
    if not targets:
        targets = await staff_ids(rt, cid)
    # Run again after a crash cut it short: who already has the offer is not asked twice.
    offered = {o["user_id"] for o in await store.offers(rt.db, t["id"])}
    targets = [
        uid for uid in dict.fromkeys(targets) if uid != t["reporter_id"] and uid not in offered
    ]
    sent = 0
    for uid in targets:
        actor = await actor_for(rt, uid, t)
        _ = await tr_user(context, uid)
        text = (
            _("🔔 新报修，请帮忙处理：")
            + "\n"
            + details(rt, _, t, personal=may_see_personal(actor, t))
        )
        markup = InlineKeyboardMarkup(
            [[button(_("✋ 接单"), "acc", t["id"])], [button(_("📄 查看详情和照片"), "v", t["id"])]]
        )
        message = await send(context, uid, text, markup)
        if message is not None:
            await store.add_offer(rt.db, t["id"], uid, message.chat_id, message.message_id)
            sent += 1
    return sent


async def plan_route(rt: Runtime, ticket_id: int, tx: Executor) -> None:
    """Routing as a durable job in the ticket's own transaction: a crash right after the
    commit cannot leave a request that nobody was offered (and so nobody may accept)."""
    await rt.scheduler.schedule(
        ROUTE_KIND, rt.clock.now(), {"ticket": ticket_id}, key=f"repair_route:{ticket_id}", tx=tx
    )


async def route_now(rt: Runtime, ticket_id: int) -> None:
    """Best effort: the request is saved and its routing job is durable, so a failure here
    (a locked database) must not tell the reporter "not saved" and invite a duplicate."""
    try:
        await rt.scheduler.run_key(f"repair_route:{ticket_id}")
    except Exception:
        log.exception("routing #%s failed now; its job will run it again", ticket_id)


async def schedule_accept(rt: Runtime, ticket_id: int, created: float, tx: object = None) -> None:
    when_ = datetime.fromtimestamp(created, UTC) + rules.ACCEPT_REMIND_AFTER
    await rt.scheduler.schedule(
        JOB_KIND,
        when_,
        {"ticket": ticket_id, "stage": "accept1"},
        key=f"repair_accept:{ticket_id}",
        tx=tx,
    )  # type: ignore[arg-type]


async def schedule_resolve(rt: Runtime, ticket_id: int, due: float, tx: object = None) -> None:
    await rt.scheduler.schedule(
        JOB_KIND,
        datetime.fromtimestamp(due, UTC),
        {"ticket": ticket_id, "stage": "resolve"},
        key=f"repair_resolve:{ticket_id}",
        tx=tx,
    )  # type: ignore[arg-type]


async def cancel_jobs(rt: Runtime, ticket_id: int, tx: object = None) -> None:
    for key in (f"repair_accept:{ticket_id}", f"repair_resolve:{ticket_id}"):
        await rt.scheduler.cancel(key, tx=tx)  # type: ignore[arg-type]
