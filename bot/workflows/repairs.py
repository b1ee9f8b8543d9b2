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
from storage.db import Executor, Row

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


async def file_ticket(
    rt: Runtime, ticket: store.NewTicket, photos: Sequence[str], voices: Sequence[str] = ()
) -> Filed:
    """提交报修: the ticket, its photos and voice notes and first history row, the accept
    reminder and the routing job, in one transaction."""
    now = _now(rt)
    async with rt.db.transaction() as tx:
        tid = await store.create_ticket(
            tx,
            ticket,
            photos,
            now,
            rules.accept_due(rt.clock.now(), ticket.category).timestamp(),
            voices,
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
    released: int | None = None  # the previous assignee, who need not work on it any more
    residents: list[int] = field(default_factory=list)  # reporter, followers: the new status
    note: str = ""  # told to the residents with the new status (staff's closing note)
    reroute: bool = False  # hand back: run the routing job again (`route_now`)
    assigned: Viewer | None = None  # reassign: the new assignee gets the ticket
    reopened: list[Viewer] = field(default_factory=list)  # reopen: assignee and staff
    handed_back: list[Viewer] = field(default_factory=list)  # hand back: staff, with `reason`
    reason: str = ""  # why the assignee handed it back (staff only)
    gave_up: str = ""  # hand back: the name of the assignee who did


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
    if action is rules.Action.WITHDRAW:
        return {"close_reason": "withdrawn"}
    return {}


async def _write_change(
    rt: Runtime,
    tx: Executor,
    t: Row,
    user_id: int | None,
    action: rules.Action,
    target: rules.Status,
    now: float,
    fields: dict[str, object],
    note: str,
) -> list[Row] | None:
    """One change inside the caller's transaction: compare-and-set, its history row, its
    jobs. None when the ticket moved on meanwhile; else the offers that are now taken."""
    ticket_id = t["id"]
    # `WHERE status = <what we read>`: two presses at once give exactly one change.
    if not await store.move(
        tx, ticket_id, t["status"], target, now, assignee_was=t["assignee_id"], **fields
    ):
        return None
    await store.add_history(tx, ticket_id, user_id, now, t["status"], target, note)
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
    offered: list[Row] = []
    if action in (rules.Action.ACCEPT, rules.Action.REASSIGN):
        offered = await store.offers(tx, ticket_id)
        await store.clear_offers(tx, ticket_id)
    return offered


async def _change(
    rt: Runtime,
    user_id: int,
    ticket_id: int,
    action: rules.Action,
    *,
    reason: str | None = None,
    assignee: int | None = None,
    note: str = "",
    internal_note: str = "",
) -> Changed | Refused:
    """Check rights and status, then compare-and-set in one transaction with its history
    row and its escalation jobs. `note` goes into the history row (the residents see it),
    `internal_note` into a row of its own that only workers see."""
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
    if action is rules.Action.REASSIGN and assignee:
        user = await cstore.get_user(rt.db, assignee)
        note = user["first_name"] if user else note  # the history says to whom
    async with rt.db.transaction() as tx:
        offered = await _write_change(rt, tx, t, user_id, action, target, now, fields, note)
        if offered is None:
            return refuse(STALE)
        if internal_note:
            await store.add_history(tx, ticket_id, user_id, now, None, None, internal_note, True)
    after = await store.get_ticket(rt.db, ticket_id)
    assert after is not None  # tickets are never deleted
    previous = t["assignee_id"]
    staff = await staff_ids(rt, after["community_id"])
    reopened: list[Viewer] = []
    if action is rules.Action.REOPEN:
        people = [after["assignee_id"], *staff]
        reopened = await viewers(rt, after, (p for p in people if p != user_id))
    handed_back: list[Viewer] = []
    if action is rules.Action.HAND_BACK:
        handed_back = await viewers(rt, after, (p for p in staff if p != user_id))
    gone = action in (rules.Action.REASSIGN, rules.Action.CLOSE, rules.Action.WITHDRAW)
    return Changed(
        ticket=after,
        action=action,
        by=await viewer(rt, user_id, after),
        taken=[o for o in offered if o["user_id"] != after["assignee_id"]],
        released=previous if gone and previous and previous not in (assignee, user_id) else None,
        residents=await residents(rt, after),
        note=note if action is rules.Action.CLOSE else "",
        reroute=action is rules.Action.HAND_BACK,
        assigned=await viewer(rt, assignee, after)
        if action is rules.Action.REASSIGN and assignee
        else None,
        reopened=reopened,
        handed_back=handed_back,
        reason=internal_note,
        gave_up=t["assignee_name"] or "" if action is rules.Action.HAND_BACK else "",
    )


async def accept(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """接单: new → assigned to this person (compare-and-set: of two at once, one wins); the
    accept reminders stop, the resolve deadline starts, the other offers are closed. Whoever
    works tickets and comes too late hears that someone else took it."""
    result = await _change(rt, user_id, ticket_id, rules.Action.ACCEPT)
    if isinstance(result, Refused) and result.reason.msgid in (STALE, rules.NOT_YOURS):
        t = await store.get_ticket(rt.db, ticket_id)
        late = t is not None and t["status"] != rules.Status.NEW
        if late and t is not None and await _works_here(rt, user_id, t["community_id"]):
            return refuse(TAKEN)
    return result


async def _works_here(rt: Runtime, user_id: int, community_id: int) -> bool:
    """Grid worker, volunteer or staff of the community (or a bot admin)."""
    return rt.is_admin(user_id) or bool(await cstore.roles_of(rt.db, user_id, community_id))


async def start_work(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """开始处理: assigned → in progress."""
    return await _change(rt, user_id, ticket_id, rules.Action.START)


async def resolve(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """已解决 (a worker): → resolved; the resident is asked to confirm."""
    return await _change(rt, user_id, ticket_id, rules.Action.RESOLVE)


async def hand_back(
    rt: Runtime, user_id: int, ticket_id: int, reason: str | None = None
) -> Changed | Refused:
    """退回: the assignee gives the ticket up, saying why (staff read it, residents do not);
    it is new again and offered again, to others first."""
    why = rules.clean_note(reason) or ""
    return await _change(rt, user_id, ticket_id, rules.Action.HAND_BACK, internal_note=why)


async def confirm(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """已解决 (the resident): resolved → confirmed; may be rated next."""
    return await _change(rt, user_id, ticket_id, rules.Action.CONFIRM)


async def reopen(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """没解决 (the resident): resolved → in progress, with a new deadline; the assignee and
    staff are alerted (what is still wrong follows as a `relay`)."""
    return await _change(rt, user_id, ticket_id, rules.Action.REOPEN)


async def withdraw(rt: Runtime, user_id: int, ticket_id: int) -> Changed | Refused:
    """撤回 (the reporter): their own open ticket is closed; the assignee is released."""
    return await _change(rt, user_id, ticket_id, rules.Action.WITHDRAW)


async def close(
    rt: Runtime, user_id: int, ticket_id: int, reason: str, note: str | None = None
) -> Changed | Forged | Refused:
    """关闭 (staff), with one of `rules.STAFF_CLOSE_REASONS` and a note for the residents
    (where to turn instead, say)."""
    if reason not in rules.STAFF_CLOSE_REASONS:
        return Forged(f"close reason {reason!r}")
    text = rules.clean_note(note) or ""
    return await _change(rt, user_id, ticket_id, rules.Action.CLOSE, reason=reason, note=text)


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


# ---- a person stops working tickets ------------------------------------------------------------
async def hand_back_all(rt: Runtime, community_id: int, user_id: int) -> list[Changed]:
    """Every open ticket of this community assigned to this person goes back to the pool (a
    role revoked, a household left): new again, offered again to others, its residents told.
    No rights are checked: the caller decided. Render with `handlers.repairs_common.announce`
    for each change (or `announce_all`). The history shows the person as having handed each
    back, so the new offers go to others first even while they still hold the role."""
    rows = await store.assigned_to(rt.db, user_id, None)
    found = [await store.get_ticket(rt.db, r["id"]) for r in rows]
    mine = [t for t in found if t is not None and t["community_id"] == community_id]
    action, target = rules.Action.HAND_BACK, rules.Status.NEW
    now = _now(rt)
    done: list[int] = []
    async with rt.db.transaction() as tx:
        for t in mine:
            fields = _fields(rt, action, t, now)
            if await _write_change(rt, tx, t, user_id, action, target, now, fields, "") is not None:
                done.append(t["id"])
    changes = []
    names = {t["id"]: t["assignee_name"] or "" for t in mine}
    for tid in done:
        after = await store.get_ticket(rt.db, tid)
        assert after is not None  # tickets are never deleted
        staff = await staff_ids(rt, community_id)
        changes.append(
            Changed(
                ticket=after,
                action=action,
                by=await viewer(rt, user_id, after),
                residents=await residents(rt, after),
                reroute=True,
                handed_back=await viewers(rt, after, staff),
                gave_up=names[tid],
            )
        )
    return changes
