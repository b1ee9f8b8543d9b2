"""Workflows of repair tickets (报修单): one function per thing that happens to a ticket.

Each takes the Runtime and plain values, opens its transaction, checks the rules of
`bot/repairs.py` (who may do what, which status may follow which), schedules the follow-up
jobs (`bot/workflows/repairs_jobs.py`) in that same transaction and returns an outcome saying
what happened and who must be told what. Nothing here sends or knows Telegram: the
`handlers/repairs_*.py` modules render the outcomes after the commit. Rights and the reads
(/my, /tasks, /tickets, details) are in `bot/workflows/repairs_access.py`.
See docs/flows/repairs.md.

Outcomes: `Refused` (bot/workflows/outcome.py) carries the reason for the person who acted;
`Forged` marks button data we never made (refused without a reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot import repairs as rules
from bot.community import Role
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows import repairs_jobs as jobs
from bot.workflows.community import is_staff
from bot.workflows.outcome import Refused, refuse
from bot.workflows.repairs_access import (
    NOT_FOUND,
    Forged,
    Viewer,
    actor,
    may,
    residents,
    staff_ids,
    viewer,
    viewers,
)
from storage import community as cstore
from storage import repairs as store
from storage.db import Row

STALE = N_("这个报修的状态已经变了，按钮已失效。")
TAKEN = N_("已经有人接单了，谢谢您！")


def _now(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


# ---- filing ----------------------------------------------------------------------------------
async def home_of(rt: Runtime, user_id: int, community_id: int | None = None) -> Row | None:
    """The household a resident files from: the one in `community_id` (a group's deep link)
    when they live there, else their first; None when they are not registered."""
    homes = await cstore.residencies_of(rt.db, user_id)
    wanted = next((h for h in homes if h["community_id"] == community_id), None)
    return wanted or (homes[0] if homes else None)


@dataclass(frozen=True)
class Similar:
    ticket: Row
    households: int  # the reporter's and the followers'


async def similar_open(
    rt: Runtime, community_id: int, building: str, category: str
) -> list[Similar]:
    """Open tickets of the same kind in the same building, offered before filing a new one."""
    if not building:
        return []
    return [
        Similar(t, await store.count_followers(rt.db, t["id"]) + 1)
        for t in await store.open_similar(rt.db, community_id, building, category)
    ]


@dataclass(frozen=True)
class Filed:
    """The reporter is told `ticket_id`; then the caller runs `repairs_jobs.route_now` to
    offer the ticket (its routing job is already saved)."""

    ticket_id: int


async def file_ticket(rt: Runtime, ticket: store.NewTicket, photos: Sequence[str]) -> Filed:
    """提交报修: the ticket, its photos and first history row, the accept reminder and the
    routing job, in one transaction."""
    now = _now(rt)
    async with rt.db.transaction() as tx:
        tid = await store.create_ticket(
            tx, ticket, photos, now, rules.accept_due(rt.clock.now(), ticket.category).timestamp()
        )
        await jobs.schedule_accept(rt, tid, now, tx, ticket.category)
        await jobs.plan_route(rt, tid, tx)
    return Filed(tid)


@dataclass(frozen=True)
class Followed:
    ticket_id: int
    households: int  # now, the follower included


async def follow(rt: Runtime, user_id: int, ticket_id: int) -> Followed | Refused:
    """我也遇到了: a resident of the ticket's community follows an open ticket instead of
    filing the same problem again; they hear about its progress from now on."""
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None or t["status"] not in rules.OPEN:
        return refuse(STALE)
    if await cstore.get_resident(rt.db, user_id, t["community_id"]) is None:
        return refuse(N_("只有本社区登记的居民可以这样做。"))
    if t["reporter_id"] == user_id:
        return refuse(N_("这是您自己报的。"))
    now = _now(rt)
    async with rt.db.transaction() as tx:
        if await store.follow(tx, ticket_id, user_id, now):
            await store.add_history(tx, ticket_id, user_id, now, None, None, "+1", internal=True)
    return Followed(ticket_id, await store.count_followers(rt.db, ticket_id) + 1)


# ---- status changes --------------------------------------------------------------------------
@dataclass(frozen=True)
class Changed:
    """A status change that happened; the handler tells, in this order:"""

    ticket: Row  # as it is now
    action: rules.Action
    by: Viewer  # the person who acted, as they see the ticket now
    taken: list[Row] = field(default_factory=list)  # others' offers: edit to "taken"
    released: int | None = None  # reassign: the previous assignee need not work on it
    residents: list[int] = field(default_factory=list)  # reporter, followers: the new status
    reroute: bool = False  # hand back: run the routing job again (`route_now`)
    assigned: Viewer | None = None  # reassign: the new assignee gets the ticket
    reopened: list[Viewer] = field(default_factory=list)  # reopen: assignee and staff


def _fields(
    rt: Runtime, action: rules.Action, t: Row, now: float, **given: object
) -> dict[str, object]:
    """The columns a change sets besides status (deadlines move with the status)."""
    resolve_due = rules.resolve_due(rt.clock.now(), t["category"]).timestamp()
    if action is rules.Action.ACCEPT:
        return {"assignee_id": given["user_id"], "accepted_at": now, "due_at": resolve_due}
    if action is rules.Action.REASSIGN:
        return {"assignee_id": given["assignee"], "accepted_at": now, "due_at": resolve_due}
    if action is rules.Action.RESOLVE:
        return {"resolved_at": now}
    if action is rules.Action.HAND_BACK:
        accept_due = rules.accept_due(rt.clock.now(), t["category"]).timestamp()
        return {"assignee_id": None, "accepted_at": None, "due_at": accept_due}
    if action is rules.Action.REOPEN:
        return {"resolved_at": None, "due_at": resolve_due}
    if action is rules.Action.CLOSE:
        return {"close_reason": given["reason"]}
    return {}


async def _change(
    rt: Runtime,
    user_id: int,
    ticket_id: int,
    action: rules.Action,
    *,
    reason: str | None = None,
    assignee: int | None = None,
) -> Changed | Refused:
    """Check rights and status, then compare-and-set in one transaction with its history
    row and its escalation jobs."""
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None:
        return refuse(NOT_FOUND)
    why = rules.check(action, t["status"], await actor(rt, user_id, t))
    if why is not None:
        return refuse(why)
    target = rules.next_status(action, t["status"])
    assert target is not None  # checked just above
    now = _now(rt)
    fields = _fields(rt, action, t, now, user_id=user_id, assignee=assignee, reason=reason)
    offered: list[Row] = []
    async with rt.db.transaction() as tx:
        # `WHERE status = <what we read>`: two presses at once give exactly one change.
        if not await store.move(
            tx, ticket_id, t["status"], target, now, assignee_was=t["assignee_id"], **fields
        ):
            return refuse(STALE)
        await store.add_history(tx, ticket_id, user_id, now, t["status"], target)
        if target in (rules.Status.RESOLVED, rules.Status.CLOSED, rules.Status.CONFIRMED):
            await jobs.cancel_jobs(rt, ticket_id, tx)
        elif target is rules.Status.NEW:
            await rt.scheduler.cancel(jobs.resolve_key(ticket_id), tx=tx)
            await jobs.schedule_accept(rt, ticket_id, now, tx, t["category"])
            if action is rules.Action.HAND_BACK:
                await jobs.plan_route(rt, ticket_id, tx)
        elif isinstance(due := fields.get("due_at"), float):
            await rt.scheduler.cancel(jobs.accept_key(ticket_id), tx=tx)
            await jobs.schedule_resolve(rt, ticket_id, due, tx)
        if action in (rules.Action.ACCEPT, rules.Action.REASSIGN):
            offered = await store.offers(tx, ticket_id)
            await store.clear_offers(tx, ticket_id)
    after = await store.get_ticket(rt.db, ticket_id)
    assert after is not None  # tickets are never deleted
    previous = t["assignee_id"]
    reopened: list[Viewer] = []
    if action is rules.Action.REOPEN:
        people = [after["assignee_id"], *await staff_ids(rt, after["community_id"])]
        reopened = await viewers(rt, after, (p for p in people if p != user_id))
    return Changed(
        ticket=after,
        action=action,
        by=await viewer(rt, user_id, after),
        taken=[o for o in offered if o["user_id"] != after["assignee_id"]],
        released=previous
        if action is rules.Action.REASSIGN and previous and previous != assignee
        else None,
        residents=await residents(rt, after),
        reroute=action is rules.Action.HAND_BACK,
        assigned=await viewer(rt, assignee, after)
        if action is rules.Action.REASSIGN and assignee
        else None,
        reopened=reopened,
    )


async def accept(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """接单: new → assigned to this person (compare-and-set: of two at once, one wins); the
    accept reminders stop, the resolve deadline starts, the other offers are closed."""
    result = await _change(rt, user_id, ticket_id, rules.Action.ACCEPT)
    if isinstance(result, Refused) and result.reason.msgid == STALE:
        return refuse(TAKEN)
    return result


async def start_work(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """开始处理: assigned → in progress."""
    return await _change(rt, user_id, ticket_id, rules.Action.START)


async def resolve(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """已解决 (a worker): → resolved; the resident is asked to confirm."""
    return await _change(rt, user_id, ticket_id, rules.Action.RESOLVE)


async def hand_back(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """退回: the assignee gives the ticket up; it is new again and offered again."""
    return await _change(rt, user_id, ticket_id, rules.Action.HAND_BACK)


async def confirm(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """已解决 (the resident): resolved → confirmed; may be rated next."""
    return await _change(rt, user_id, ticket_id, rules.Action.CONFIRM)


async def reopen(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """没解决 (the resident): resolved → in progress, with a new deadline; the assignee and
    staff are alerted."""
    return await _change(rt, user_id, ticket_id, rules.Action.REOPEN)


async def close(
    rt: Runtime, user_id: int, ticket_id: int, reason: str
) -> Changed | Forged | Refused:
    """关闭 (staff), with one of `rules.CLOSE_REASONS`."""
    if reason not in rules.CLOSE_REASONS:
        return Forged(f"close reason {reason!r}")
    return await _change(rt, user_id, ticket_id, rules.Action.CLOSE, reason=reason)


@dataclass(frozen=True)
class Worker:
    user_id: int
    name: str


async def _workers(rt: Runtime, community_id: int) -> dict[int, Worker]:
    people: dict[int, Worker] = {}
    for role in (Role.GRID_WORKER, Role.VOLUNTEER):
        for row in await cstore.members_with_role(rt.db, community_id, role):
            people.setdefault(row["id"], Worker(row["id"], row["first_name"]))
    return people


async def reassign_choices(
    rt: Runtime, user_id: int, ticket_id: int, limit: int = 12
) -> list[Worker] | Refused:
    """改派 (staff), first step: the community's grid workers and volunteers to choose from."""
    checked = await may(rt, user_id, ticket_id, rules.Action.REASSIGN)
    if isinstance(checked, Refused):
        return checked
    t = checked.ticket
    people = list((await _workers(rt, t["community_id"])).values())[:limit]
    return [w for w in people if w.user_id != t["assignee_id"]]


async def reassign(
    rt: Runtime, user_id: int, ticket_id: int, assignee: int
) -> Changed | Forged | Refused:
    """改派 (staff): an open ticket goes to this grid worker or volunteer; the previous
    assignee is released and the new one gets the ticket."""
    checked = await may(rt, user_id, ticket_id, rules.Action.REASSIGN)
    if isinstance(checked, Refused):
        return checked
    if assignee not in await _workers(rt, checked.ticket["community_id"]):
        return Forged(f"reassign to non-worker {assignee}")
    return await _change(rt, user_id, ticket_id, rules.Action.REASSIGN, assignee=assignee)


@dataclass(frozen=True)
class Merged:
    """A merge that happened; the handler tells, after answering staff:"""

    ticket: Row  # the duplicate, closed now
    kept: Row  # the kept ticket, as it is now
    residents: list[int]  # the duplicate's reporter and followers: now following `kept`
    taken: list[Row] = field(default_factory=list)  # the kept ticket's offers: edit to "taken"
    handed: Viewer | None = None  # the duplicate's assignee, who now holds the kept ticket
    released: int | None = None  # the duplicate's assignee, no longer needed
    kept_by: Viewer | None = None  # the kept ticket's assignee: more households now wait
    kept_residents: list[int] = field(default_factory=list)  # the kept one's status changed


class _Raced(Exception):
    """The kept ticket changed while merging: roll the whole merge back."""


async def merge(
    rt: Runtime, user_id: int, dup_id: int, keep_id: int, *, dup_note: str, keep_note: str
) -> Merged | Refused:
    """/merge (staff): close the duplicate as merged into the kept ticket, whose followers
    now include the duplicate's reporter and followers. The kept ticket keeps its assignee;
    with none, the duplicate's assignee takes it over (it moves to 已派单). The notes go into
    both histories (written in the language of the staff member who merged)."""
    dup = await store.get_ticket(rt.db, dup_id)
    keep = await store.get_ticket(rt.db, keep_id)
    if dup is None or keep is None or dup["community_id"] != keep["community_id"]:
        return refuse(N_("找不到这两个报修，或者它们不在同一个社区。"))
    if not await is_staff(rt, user_id, dup["community_id"]):
        return refuse(N_("只有社区工作人员可以合并报修。"))
    if dup["status"] not in rules.OPEN or keep["status"] in rules.FINAL:
        return refuse(N_("#{a} 必须还没完成，#{b} 不能已关闭或已确认。"), a=dup_id, b=keep_id)
    moved = await residents(rt, dup)  # before its followers move over
    heir = dup["assignee_id"]
    take_over = bool(heir) and keep["assignee_id"] is None and keep["status"] == rules.Status.NEW
    now = _now(rt)
    closed, assigned = rules.Status.CLOSED, rules.Status.ASSIGNED
    offered: list[Row] = []
    try:
        async with rt.db.transaction() as tx:
            if not await store.move(
                tx,
                dup_id,
                dup["status"],
                closed,
                now,
                assignee_was=dup["assignee_id"],
                close_reason="dup",
                merged_into=keep_id,
            ):
                raise _Raced
            await store.add_history(tx, dup_id, user_id, now, dup["status"], closed, dup_note)
            await store.add_history(tx, keep_id, user_id, now, None, None, keep_note, internal=True)
            await store.move_followers(tx, dup_id, keep_id, dup["reporter_id"], now)
            await store.clear_offers(tx, dup_id)
            await jobs.cancel_jobs(rt, dup_id, tx)
            if take_over:
                due = rules.resolve_due(rt.clock.now(), keep["category"]).timestamp()
                fields = {"assignee_id": heir, "accepted_at": now, "due_at": due}
                if not await store.move(tx, keep_id, keep["status"], assigned, now, **fields):
                    raise _Raced
                await store.add_history(tx, keep_id, user_id, now, keep["status"], assigned)
                await rt.scheduler.cancel(jobs.accept_key(keep_id), tx=tx)
                await jobs.schedule_resolve(rt, keep_id, due, tx)
                offered = await store.offers(tx, keep_id)
                await store.clear_offers(tx, keep_id)
    except _Raced:
        return refuse(STALE)
    after = await store.get_ticket(rt.db, dup_id)
    kept = await store.get_ticket(rt.db, keep_id)
    assert after is not None and kept is not None  # tickets are never deleted
    holder = kept["assignee_id"]
    return Merged(
        after,
        kept,
        moved,
        taken=[o for o in offered if o["user_id"] != heir],
        handed=await viewer(rt, heir, kept) if take_over else None,
        released=heir if heir and heir != holder else None,
        kept_by=await viewer(rt, holder, kept) if holder and not take_over else None,
        kept_residents=await residents(rt, kept) if take_over else [],
    )


# ---- notes and ratings -----------------------------------------------------------------------
@dataclass(frozen=True)
class Noted:
    ticket: Row
    text: str | None
    photo: str | None
    residents: list[int]  # told about a public note (with its photo); none for internal ones


async def add_note(
    rt: Runtime,
    user_id: int,
    ticket_id: int,
    text: str | None,
    photo: str | None,
    *,
    internal: bool,
) -> Noted | Refused | None:
    """写进展 / 内部备注: a worker's note (and photo) in the history. None when there is
    neither a usable text nor a photo (the handler asks again)."""
    checked = await may(rt, user_id, ticket_id, rules.Action.NOTE)
    if isinstance(checked, Refused):
        return checked
    note = rules.clean_note(text)
    if photo is None and note is None:
        return None
    t = checked.ticket
    now = _now(rt)
    async with rt.db.transaction() as tx:
        if photo:
            seq = await store.next_photo_seq(tx, ticket_id)
            await store.add_photo(tx, ticket_id, seq, photo, user_id, now)
        history_note = (note or "") + (" 📷" if photo else "")
        await store.add_history(tx, ticket_id, user_id, now, None, None, history_note, internal)
    return Noted(t, note, photo, [] if internal else await residents(rt, t))


@dataclass(frozen=True)
class Rated:
    ticket_id: int
    stars: int


async def rate(rt: Runtime, user_id: int, ticket_id: int, stars: int) -> Rated | Forged | Refused:
    """The reporter rates a confirmed ticket, once."""
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None or t["reporter_id"] != user_id:
        return refuse(N_("只有报修的居民可以评分。"))
    if not rules.valid_rating(stars):
        return Forged(f"rating {stars}")
    async with rt.db.transaction() as tx:
        ok = await store.set_rating(tx, ticket_id, user_id, stars)
        if ok:
            await store.add_history(tx, ticket_id, user_id, _now(rt), None, None, "⭐" * stars)
    if not ok:
        return refuse(N_("已经评过分了，或者还不能评分。"))
    return Rated(ticket_id, stars)
