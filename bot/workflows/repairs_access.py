"""Repair tickets: who may do what to a ticket, and what each person gets to see.

The rights are the pure rules of `bot/repairs.py` (`Actor`, `check`) filled from the
database here. The reads (/my, /tasks, /tickets, a ticket's details) check them and return
plain rows for the handlers to render. Things that change a ticket are in
`bot/workflows/repairs.py`, its follow-up jobs in `bot/workflows/repairs_jobs.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot import repairs as rules
from bot.community import Role
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.community import is_staff, staff_communities
from bot.workflows.outcome import Refused, refuse
from storage import community as cstore
from storage import repairs as store
from storage.db import Row

NOT_FOUND = N_("找不到这个报修。")
STAFF_ONLY_LIST = N_("只有社区工作人员可以查看全部报修。")


@dataclass(frozen=True)
class Forged:
    """Button data we never made (a forged or garbled press); `detail` is for the log."""

    detail: str


@dataclass(frozen=True)
class Viewer:
    """One person looking at one ticket: their rights, and whether they may see who filed it
    (name, room, phone) — staff and the reporter always, the workers and whoever got the
    offer when the reporter allowed, other residents (followers) never."""

    user_id: int
    actor: rules.Actor
    personal: bool


def grid_building(t: Row) -> str | None:
    """The building whose grid worker answers for a ticket: the place's, or else (a common
    area like "小区大门") the reporter's own building, so the ticket still reaches someone."""
    if t["building"]:
        return str(t["building"])
    return t["home_building"] if "home_building" in t.keys() else None


async def staff_ids(rt: Runtime, community_id: int) -> list[int]:
    return [r["id"] for r in await cstore.members_with_role(rt.db, community_id, Role.STAFF)]


async def actor(rt: Runtime, user_id: int, t: Row) -> rules.Actor:
    """What this person is to this ticket (reporter, assignee, grid worker, staff, offered)."""
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
        is_follower=user_id in await store.followers(rt.db, t["id"]),
    )


async def viewer(rt: Runtime, user_id: int, t: Row) -> Viewer:
    who = await actor(rt, user_id, t)
    # The reporter allowed "the volunteer who comes" to see them: not the other residents.
    shown = bool(t["show_identity"]) and (who.is_worker or not who.is_follower)
    return Viewer(user_id, who, who.is_staff or who.is_reporter or shown)


async def viewers(rt: Runtime, t: Row, people: Iterable[int | None]) -> list[Viewer]:
    """Each person once, in order; empty ids (no assignee) skipped."""
    return [await viewer(rt, uid, t) for uid in dict.fromkeys(p for p in people if p)]


async def residents(rt: Runtime, t: Row) -> list[int]:
    """The reporter and every follower: who hears about a ticket's progress."""
    return list(dict.fromkeys([t["reporter_id"], *await store.followers(rt.db, t["id"])]))


@dataclass(frozen=True)
class Checked:
    ticket: Row
    actor: rules.Actor


async def may(rt: Runtime, user_id: int, ticket_id: int, action: rules.Action) -> Checked | Refused:
    """Whether this person may do this to the ticket now: asked before a second step (the
    note's text, the close reason, the new assignee), and asked again when it comes."""
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None:
        return refuse(NOT_FOUND)
    who = await actor(rt, user_id, t)
    why = rules.check(action, t["status"], who)
    return refuse(why) if why else Checked(t, who)


# ---- what people see -------------------------------------------------------------------------
@dataclass(frozen=True)
class TicketView:
    ticket: Row
    by: Viewer
    history: list[Row]  # internal notes only for workers
    worker: bool  # gets the worker buttons (whoever got the offer counts)
    photos: list[str]  # file ids, for workers and the reporter
    voices: list[str] = field(default_factory=list)  # voice notes' file ids, likewise


async def view(rt: Runtime, user_id: int, ticket_id: int) -> TicketView | Refused:
    """详情: the reporter, followers, workers and whoever got the offer may look."""
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None:
        return refuse(NOT_FOUND)
    by = await viewer(rt, user_id, t)
    who = by.actor
    follower = user_id in await store.followers(rt.db, ticket_id)
    # The reporter's family sees the ticket as a follower does (no name, room or phone).
    family = await store.same_household(rt.db, user_id, ticket_id)
    if not (who.is_worker or who.is_reporter or who.was_offered or follower or family):
        return refuse(N_("您不能查看这个报修。"))
    if family and not (who.is_worker or who.is_reporter or who.is_staff):
        by = Viewer(user_id, who, False)  # the reporter's phone is not the family's to see
    worker = who.is_worker or who.was_offered
    media = await store.photos(rt.db, ticket_id) if worker or who.is_reporter else []
    photos = [p["file_id"] for p in media if p["kind"] != "voice"]
    voices = [p["file_id"] for p in media if p["kind"] == "voice"]
    history = await store.history(rt.db, ticket_id, include_internal=who.is_worker)
    return TicketView(t, by, history, worker, photos, voices)


async def my_tickets(rt: Runtime, user_id: int) -> list[Row]:
    """/my: the tickets a resident filed or follows (column `mine`) and the ones filed for
    their household by its other residents (column `family`), newest first."""
    return await store.of_reporter(rt.db, user_id)


@dataclass(frozen=True)
class Worklist:
    count: int
    tickets: list[tuple[Row, Viewer]]  # each as this person sees it


async def worklist(rt: Runtime, user_id: int) -> Worklist | Refused:
    """/tasks: the tickets assigned to this person, then the new ones in the buildings they
    are grid worker of, each as this person sees it."""
    roles = await cstore.all_roles_of(rt.db, user_id)
    mine = await store.assigned_to(rt.db, user_id)
    waiting = await store.unaccepted_for_grid(rt.db, user_id)
    if not roles and not mine and not rt.is_admin(user_id):
        return refuse(N_("/tasks 是给志愿者、网格员和社区工作人员用的。"))
    found: list[tuple[Row, Viewer]] = []
    for row in [*mine, *waiting]:
        t = await store.get_ticket(rt.db, row["id"])
        if t is not None:
            found.append((t, await viewer(rt, user_id, t)))
    return Worklist(len(mine) + len(waiting), found)


async def staff_community(rt: Runtime, user_id: int) -> int | None:
    """The community whose tickets /tickets lists: the first this person is staff of."""
    mine = await staff_communities(rt, user_id)
    return mine[0]["id"] if mine else None


@dataclass(frozen=True)
class TicketPage:
    community_id: int
    filter: store.Filter
    page: int
    pages: int
    total: int
    tickets: list[Row]
    late: frozenset[int]  # ids of the tickets past their deadline


async def ticket_page(
    rt: Runtime, user_id: int, community_id: int, f: store.Filter, page: int, size: int
) -> TicketPage | Forged | Refused:
    """/tickets (staff): one page of the community's tickets under a filter."""
    if not await is_staff(rt, user_id, community_id):
        return refuse(STAFF_ONLY_LIST)
    known_status = f.status in (None, "open") or f.status in {s.value for s in rules.Status}
    if not known_status or (f.category is not None and f.category not in rules.BY_KEY):
        return Forged("bad ticket filter")
    if page < 0:
        return Forged("bad ticket page")
    now = rt.clock.now()
    total, rows = await store.search(rt.db, community_id, f, now.timestamp(), page * size, size)
    late = frozenset(
        t["id"]
        for t in rows
        if rules.is_overdue(
            t["status"], datetime.fromtimestamp(t["due_at"], UTC) if t["due_at"] else None, now
        )
    )
    pages = max(1, (total + size - 1) // size)
    return TicketPage(community_id, f, page, pages, total, rows, late)
