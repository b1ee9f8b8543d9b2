"""Workflows of care visits (关爱走访): one function per thing that happens.

Staff register a person to visit with a rhythm and volunteers; on each visit day the
volunteers get a private ping; they record "all well" or "needs help" (help alerts the grid
worker and staff at once, a note follows); a visit not recorded within a day alerts staff.

Every message goes out as a `Broadcast` through the notices' send ledger
(`bot.workflows.reminders_send`), so a ping or an alert reaches each person at most once,
also across a crash and restart. Who may record a visit (its volunteers, staff) is checked by
the handlers before they call.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot import callbacks
from bot import care as rules
from bot.community import Address
from bot.i18n import N_
from bot.reminders import Schedule, next_run
from bot.runtime import Runtime
from bot.workflows.outcome import Button, Text
from bot.workflows.reminders_send import Broadcast, Message, staff_ids
from storage import care as store
from storage import community as cstore
from storage.db import Executor, Row

FEATURE = "cv"  # callback data prefix of the visit buttons
PING_JOB = "care_ping"  # a visit day: payload care, due
OVERDUE_JOB = "care_overdue"  # a day later: payload visit
HELP_JOB = "care_help_open"  # nobody took a help alert in time: payload visit

PING = N_("🤝 关爱走访提醒：今天请去看望 {name}（{address}）。\n走访后请点按钮记录。")
ALL_WELL = N_("✅ 已走访，一切正常")
NEEDS_HELP = N_("🆘 需要帮助")
OVERDUE = N_("⚠️ {name}（{address}）{when} 的走访过了一天还没有记录。负责志愿者：{vols}。请跟进。")
HELP = N_("🆘 {name}（{address}）需要帮助！走访志愿者 {who} 刚刚报告，请尽快联系处理。")
PING_ABOUT = N_("关爱走访提醒（{name}）")
HELP_ABOUT = N_("{name} 需要帮助的提醒")
HELP_NOTE = N_("📝 {name}（{address}）情况补充（{who}）：{note}")


def ping_key(care_id: int) -> str:
    return f"care:{care_id}:ping"


def address_of(row: Row) -> Address:
    return Address(row["building"], row["unit"], row["room"])


async def plan_care(
    rt: Runtime, tx: Executor, care_id: int, rhythm: Schedule, after: datetime | None = None
) -> datetime | None:
    """Schedule the next visit ping after `after` (or now); returns its time (for display)."""
    now = rt.clock.now()
    upcoming = next_run(rhythm, max(after or now, now), rt.config.tz)
    if upcoming is not None:
        payload = {"care": care_id, "due": upcoming.timestamp()}
        await rt.scheduler.schedule(PING_JOB, upcoming, payload, key=ping_key(care_id), tx=tx)
    return upcoming


# ---- staff register a person to visit --------------------------------------------------------
@dataclass(frozen=True)
class CareAdded:
    """`care_id` is None when refused: `not_visitors` hold no volunteer or grid worker role in
    the community. `assigned` tells the visitors privately (through the ledger)."""

    care_id: int | None
    upcoming: datetime | None = None  # the first visit
    not_visitors: tuple[int, ...] = ()
    assigned: Broadcast | None = None


ASSIGNED = N_(
    "🤝 您被安排负责关爱走访：{name}（{address}）。\n第一次走访：{first}。\n"
    "每次走访当天我会私聊提醒您；发送 /care 可以查看名单。"
)
ASSIGNED_ABOUT = N_("关爱走访安排（{name}）")


async def add_care(
    rt: Runtime,
    community_id: int,
    user_id: int,
    name: str,
    address: Address,
    rhythm: Schedule,
    volunteers: Sequence[int],
) -> CareAdded:
    """/care_add: the person, their visitors and the first ping, in one transaction. Every
    visitor must be a volunteer or grid worker of the community."""
    async with rt.db.transaction() as tx:
        refused = tuple([v for v in volunteers if not await store.is_visitor(tx, community_id, v)])
        if refused:
            return CareAdded(None, not_visitors=refused)
        care_id = await store.create_care(
            tx,
            community_id,
            name,
            address.building,
            address.unit,
            address.room,
            rhythm.to_json(),
            user_id,
            volunteers,
        )
        upcoming = await plan_care(rt, tx, care_id, rhythm)
        await cstore.audit(tx, community_id, user_id, "care_add", str(care_id))
    text = Text(ASSIGNED, {"name": name, "address": address, "first": upcoming})
    assigned = Broadcast(
        f"care{care_id}:assigned",
        tuple(volunteers),
        Message((text,)),
        community_id,
        Text(ASSIGNED_ABOUT, {"name": name}),
    )
    return CareAdded(care_id, upcoming, assigned=assigned)


# ---- a visit day comes ------------------------------------------------------------------------
@dataclass(frozen=True)
class VisitDue:
    """A visit opened for its day; `ping` is None when found too late to be worth sending."""

    care_id: int
    visit_id: int
    due: datetime
    rhythm: Schedule
    ping: Broadcast | None


def visit_buttons(visit_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (Button(Text(ALL_WELL), callbacks.pack(FEATURE, "ok", visit_id)),),
        (Button(Text(NEEDS_HELP), callbacks.pack(FEATURE, "help", visit_id)),),
    )


async def visit_due(rt: Runtime, payload: Mapping[str, Any]) -> VisitDue | None:
    """The ping job fired: open the day's visit (once, also when the job runs again after a
    crash) and say what the volunteers get. None when the person is no longer visited."""
    care = await store.get_care(rt.db, int(payload["care"]))
    if care is None or not care["active"] or care["paused"]:
        return None  # resuming plans the next visit again
    due = datetime.fromtimestamp(float(payload["due"]), UTC)
    visit_id = await store.open_visit(rt.db, care["id"], due.timestamp())
    volunteers = tuple(v["id"] for v in await store.care_volunteers(rt.db, care["id"]))
    ping = None
    if rules.ping_in_time(rt.clock.now() - due):
        text = Text(PING, {"name": care["name"], "address": address_of(care)})
        ping = Broadcast(
            f"cv{visit_id}:ping",
            volunteers,
            Message((text,), visit_buttons(visit_id)),
            care["community_id"],
            Text(PING_ABOUT, {"name": care["name"]}),
        )
    rhythm = Schedule.from_json(care["rhythm"])
    return VisitDue(care["id"], visit_id, due, rhythm, ping)


async def visit_pinged(rt: Runtime, visit: VisitDue) -> None:
    """After the ping: the overdue check a day later, and the next visit day. Only after it:
    the next ping replaces this job's key (see `notice_sent`)."""
    async with rt.db.transaction() as tx:
        await rt.scheduler.schedule(
            OVERDUE_JOB,
            visit.due + rules.OVERDUE_AFTER,
            {"visit": visit.visit_id},
            key=f"care:{visit.care_id}:od:{visit.visit_id}",
            tx=tx,
        )
        await plan_care(rt, tx, visit.care_id, visit.rhythm, after=visit.due)


async def _volunteer_names(rt: Runtime, care_id: int) -> str:
    return "、".join(v["first_name"] for v in await store.care_volunteers(rt.db, care_id))


async def visit_overdue(rt: Runtime, visit_id: int) -> Broadcast | None:
    """A day after the visit day: mark it overdue unless recorded, and alert the staff.
    None when it was recorded in time (or the person is no longer visited)."""
    visit = await store.get_visit(rt.db, visit_id)
    if visit is None or not visit["active"]:
        return None
    # Already overdue: a crash came between marking it and alerting staff, so alert now; the
    # send ledger's key (cv<id>:overdue) skips the staff who already had it.
    if visit["status"] != "overdue" and not await store.mark_overdue(rt.db, visit["id"]):
        return None  # recorded in time
    text = Text(
        OVERDUE,
        {
            "name": visit["name"],
            "address": address_of(visit),
            "when": datetime.fromtimestamp(visit["due_at"], UTC),
            "vols": await _volunteer_names(rt, visit["care_id"]),
        },
    )
    staff = await staff_ids(rt, visit["community_id"])
    return Broadcast(
        f"cv{visit['id']}:overdue", tuple(staff), Message((text,)), repeat_unclear=True
    )


# ---- volunteers record a visit ----------------------------------------------------------------
async def is_volunteer_of(rt: Runtime, visit: Row, user_id: int) -> bool:
    """One of the visit's volunteers (they, and the community's staff, may record it)."""
    return user_id in {v["id"] for v in await store.care_volunteers(rt.db, visit["care_id"])}


async def record_all_well(rt: Runtime, visit_id: int, user_id: int) -> bool:
    """False when the visit already asks for help: that stays until someone takes it."""
    return await store.record_all_well(rt.db, visit_id, user_id)


TAKE = N_("🙋 我来处理")


def take_buttons(visit_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(Text(TAKE), callbacks.pack(FEATURE, "take", visit_id)),),)


def help_key(visit: Row) -> str:
    return f"care:{visit['care_id']}:help:{visit['id']}"


async def _alerted(rt: Runtime, visit: Row) -> list[int]:
    """Who a help alert goes to: the grid worker of the building first, then the staff."""
    people = await staff_ids(rt, visit["community_id"])
    grid = await cstore.grid_worker_for(rt.db, visit["community_id"], visit["building"])
    if grid is not None and grid["id"] not in people:
        people.insert(0, grid["id"])
    return people


async def report_help(
    rt: Runtime, visit: Row, user_id: int, reporter: str, note: str | None = None
) -> Broadcast:
    """需要帮助 (then, optionally, a note): recorded, and the grid worker of the building and
    the staff are alerted with a 我来处理 button; when nobody takes it within
    `rules.HELP_TAKE_WITHIN` the staff are alerted again (a durable job). Each distinct note is
    forwarded once (its key carries a checksum that is stable across restarts, unlike hash())."""
    people = await _alerted(rt, visit)
    first = note is None and visit["status"] != "help"
    async with rt.db.transaction() as tx:
        await store.record_visit(tx, visit["id"], "help", user_id, note)
        if first:
            when = rt.clock.now() + rules.HELP_TAKE_WITHIN
            payload = {"visit": visit["id"]}
            await rt.scheduler.schedule(HELP_JOB, when, payload, key=help_key(visit), tx=tx)
    args = {"name": visit["name"], "address": address_of(visit), "who": reporter}
    buttons: tuple[tuple[Button, ...], ...] = ()
    if note:
        text = Text(HELP_NOTE, {**args, "note": note})
        suffix = f"note{zlib.crc32(note.encode())}"
    else:
        text, suffix, buttons = Text(HELP, args), "help", take_buttons(visit["id"])
    return Broadcast(
        f"cv{visit['id']}:{suffix}",
        tuple(people),
        Message((text,), buttons),
        visit["community_id"],
        Text(HELP_ABOUT, {"name": visit["name"]}),
    )


TAKEN = N_("✅ {who} 已接手处理 {name}（{address}）的求助。")
UNTAKEN = N_(
    "⏰ {name}（{address}）需要帮助，{n}分钟了还没有人接手。请工作人员马上安排，或点下面的按钮自己处理。"
)


@dataclass(frozen=True)
class Taken:
    """我来处理 pressed: `taken` when this person took it (`tell` the others and the reporter);
    otherwise `by` is who took it before."""

    taken: bool
    by: str | None = None
    tell: Broadcast | None = None


async def take_help(rt: Runtime, visit: Row, user_id: int, name: str) -> Taken:
    if visit["status"] != "help":
        return Taken(False)
    async with rt.db.transaction() as tx:
        took = await store.take_help(tx, visit["id"], user_id, name)
        if took:
            await rt.scheduler.cancel(help_key(visit), tx=tx)
            await cstore.audit(tx, visit["community_id"], user_id, "care_take", str(visit["id"]))
    if not took:
        again = await store.get_visit(rt.db, visit["id"])
        return Taken(False, again["taken_name"] if again is not None else None)
    others = [p for p in await _alerted(rt, visit) if p != user_id]
    if visit["recorded_by"] is not None and visit["recorded_by"] not in [*others, user_id]:
        others.append(visit["recorded_by"])  # the volunteer who asked for help
    text = Text(TAKEN, {"who": name, "name": visit["name"], "address": address_of(visit)})
    tell = Broadcast(f"cv{visit['id']}:taken", tuple(others), Message((text,)), repeat_unclear=True)
    return Taken(True, name, tell)


async def help_unclaimed(rt: Runtime, visit_id: int) -> Broadcast | None:
    """The escalation job: nobody took the help alert in time, so the staff are alerted
    again, with the button. None when it was taken (or the person is no longer visited)."""
    visit = await store.get_visit(rt.db, visit_id)
    if visit is None or not visit["active"] or visit["status"] != "help" or visit["taken_by"]:
        return None
    minutes = int(rules.HELP_TAKE_WITHIN.total_seconds() // 60)
    text = Text(UNTAKEN, {"name": visit["name"], "address": address_of(visit), "n": minutes})
    staff = await staff_ids(rt, visit["community_id"])
    return Broadcast(
        f"cv{visit['id']}:untaken",
        tuple(staff),
        Message((text,), take_buttons(visit["id"])),
        repeat_unclear=True,
    )
