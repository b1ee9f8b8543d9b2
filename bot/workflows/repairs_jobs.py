"""Repair tickets: the follow-up jobs — routing a new ticket, and escalating one that waits.

Both are durable jobs of `bot/scheduler.py`, scheduled by the workflows of
`bot/workflows/repairs.py` in the transaction of the change they follow. Their callbacks
(in `handlers/repairs_work.py`) call `offers_to_make` / `escalate` here with the Runtime and
send with the Application.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot import repairs as rules
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.repairs_access import Viewer, grid_building, staff_ids, viewers
from storage import community as cstore
from storage import repairs as store
from storage.db import Executor, Row

log = logging.getLogger(__name__)

ESCALATE_JOB = "repair_escalate"  # payload {"ticket", "stage"}: accept1, accept2 or resolve
ROUTE_JOB = "repair_route"  # payload {"ticket"}: offer a new ticket; due at once

# What an escalation tells, by stage (the ticket number fills {id}).
NOT_ACCEPTED = N_("⏰ 报修 #{id} 还没有人接单，请您安排一下：")
LONG_NOT_ACCEPTED = N_("⚠️ 报修 #{id} 很久没人接单，请社区安排：")
OVERDUE = N_("⏰ 报修 #{id} 已超过处理期限，还没解决，请跟进：")


def route_key(ticket_id: int) -> str:
    return f"repair_route:{ticket_id}"


def accept_key(ticket_id: int) -> str:
    return f"repair_accept:{ticket_id}"


def resolve_key(ticket_id: int) -> str:
    return f"repair_resolve:{ticket_id}"


# ---- scheduling (always inside the change's transaction) -------------------------------------
async def plan_route(rt: Runtime, ticket_id: int, tx: Executor) -> None:
    """Routing as a durable job in the ticket's own transaction: a crash right after the
    commit cannot leave a ticket that nobody was offered (and so nobody may accept)."""
    await rt.scheduler.schedule(
        ROUTE_JOB, rt.clock.now(), {"ticket": ticket_id}, key=route_key(ticket_id), tx=tx
    )


async def schedule_accept(
    rt: Runtime, ticket_id: int, created: float, tx: Executor, category: str = ""
) -> None:
    """The first "not accepted yet" reminder: sooner for the urgent categories (gas, power)."""
    at = datetime.fromtimestamp(created, UTC) + rules.accept_remind_after(category)
    payload = {"ticket": ticket_id, "stage": "accept1"}
    await rt.scheduler.schedule(ESCALATE_JOB, at, payload, key=accept_key(ticket_id), tx=tx)


async def schedule_resolve(rt: Runtime, ticket_id: int, due: float, tx: Executor) -> None:
    at = datetime.fromtimestamp(due, UTC)
    payload = {"ticket": ticket_id, "stage": "resolve"}
    await rt.scheduler.schedule(ESCALATE_JOB, at, payload, key=resolve_key(ticket_id), tx=tx)


async def cancel_jobs(rt: Runtime, ticket_id: int, tx: Executor) -> None:
    for key in (accept_key(ticket_id), resolve_key(ticket_id)):
        await rt.scheduler.cancel(key, tx=tx)


async def route_now(rt: Runtime, ticket_id: int) -> None:
    """Run the routing job just planned, right after answering the person who acted.

    Best effort: the ticket is saved and its routing job is durable (run again at start-up),
    so a failure here (a locked database) must not say "not saved" and invite a duplicate."""
    try:
        await rt.scheduler.run_key(route_key(ticket_id))
    except Exception:
        log.exception("routing #%s failed now; its job will run it again", ticket_id)


# ---- routing (ROUTE_JOB) ---------------------------------------------------------------------
@dataclass(frozen=True)
class Offers:
    ticket: Row | None = None
    to: list[Viewer] = field(default_factory=list)


async def offers_to_make(rt: Runtime, ticket_id: int) -> Offers:
    """Who is offered a new (or handed-back) ticket: the building's grid worker and the
    volunteers whose skill fits; with nobody, staff. Nobody once someone took it.

    The job records each offer it sent with `record_offer`; run again after a crash cut it
    short, it skips whoever already has the offer."""
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None or t["status"] != rules.Status.NEW:
        return Offers()
    cid = t["community_id"]
    targets: list[int] = []
    building = grid_building(t)
    if building:
        grid = await cstore.grid_worker_for(rt.db, cid, building)
        if grid is not None:
            targets.append(grid["id"])
    for v in await cstore.volunteers_with_skills(rt.db, cid, rules.skills_for(t["category"])):
        targets.append(v["id"])
    # Whoever handed it back is asked again only when there is nobody else (not even staff).
    gave_up = await store.handed_back_by(rt.db, ticket_id)
    fresh = [uid for uid in targets if uid not in gave_up]
    if not fresh:
        staff = await staff_ids(rt, cid)
        fresh = [uid for uid in staff if uid not in gave_up] or targets or staff
    targets = fresh
    offered = {o["user_id"] for o in await store.offers(rt.db, ticket_id)}
    people = [uid for uid in targets if uid != t["reporter_id"] and uid not in offered]
    return Offers(t, await viewers(rt, t, people))


async def record_offer(
    rt: Runtime, ticket_id: int, user_id: int, chat_id: int, message_id: int
) -> None:
    """The offer reached this person: it entitles them to accept, and its message is edited
    to "taken" once someone does."""
    await store.add_offer(rt.db, ticket_id, user_id, chat_id, message_id)


# ---- escalation (ESCALATE_JOB) ---------------------------------------------------------------
@dataclass(frozen=True)
class Escalation:
    ticket: Row
    text: str  # msgid with {id}: NOT_ACCEPTED, LONG_NOT_ACCEPTED or OVERDUE
    to: list[Viewer]


async def escalate(rt: Runtime, ticket_id: int, stage: str) -> Escalation | None:
    """A ticket not accepted in time (the grid worker; a day after filing, staff) or past
    its deadline (assignee and staff, again every day). Idempotent: None when the ticket
    moved on meanwhile. The next reminder is scheduled with the history row."""
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None:
        return None
    cid = t["community_id"]
    people: list[int | None]
    later: tuple[datetime, str, str] | None = None  # when, stage, key
    if stage in ("accept1", "accept2"):
        if t["status"] != rules.Status.NEW:
            return None
        building = grid_building(t)
        grid = await cstore.grid_worker_for(rt.db, cid, building) if building else None
        if stage == "accept1" and grid is not None:
            people = [grid["id"]]
            text = NOT_ACCEPTED
            at = datetime.fromtimestamp(t["created_at"], UTC) + rules.accept_escalate_after(
                t["category"]
            )
            later = (max(at, rt.clock.now()), "accept2", accept_key(ticket_id))
        else:
            people = [*await staff_ids(rt, cid)]
            text = LONG_NOT_ACCEPTED
    elif stage == "resolve":
        if t["status"] not in rules.WORKING:
            return None
        people = [t["assignee_id"], *await staff_ids(rt, cid)]
        text = OVERDUE
        later = (rt.clock.now() + rules.RESOLVE_REPEAT, "resolve", resolve_key(ticket_id))
    else:
        log.warning("unknown repair escalation stage %r", stage)
        return None
    now = rt.clock.now().timestamp()
    async with rt.db.transaction() as tx:
        if later is not None:
            at, next_stage, key = later
            payload = {"ticket": ticket_id, "stage": next_stage}
            await rt.scheduler.schedule(ESCALATE_JOB, at, payload, key=key, tx=tx)
        await store.add_history(tx, ticket_id, None, now, None, None, f"⏰ {stage}", internal=True)
    return Escalation(t, text, await viewers(rt, t, people))
