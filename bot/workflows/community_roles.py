"""Workflows of roles: /revoke with its consequences (the role goes, and so does the work that
came with it) and /team (who holds which role). No Telegram here (see
handlers/community_roles.py).

A person who is no longer a grid worker or volunteer of a community must not keep its repair
tickets: each open ticket they hold is handed back through the repairs workflow (new again,
offered again to the grid worker and volunteers; the reporter is told by the repairs
renderer). Care visits they make are listed for staff, who choose another volunteer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import community as rules
from bot.community import Role
from bot.runtime import Runtime
from bot.workflows import community as flow
from bot.workflows import repairs as repairs_flow
from bot.workflows.community import RoleChanged
from storage import care as care_store
from storage import community as store
from storage import repairs as repairs_store

WORKING_ROLES = {Role.GRID_WORKER, Role.VOLUNTEER}
MAX_HANDED_BACK = 200


@dataclass(frozen=True)
class Revoked:
    change: RoleChanged
    actor_name: str = ""
    staff: list[int] = field(default_factory=list)  # the community's staff, to be told
    handed_back: list[repairs_flow.Changed] = field(default_factory=list)
    cares: list[str] = field(default_factory=list)  # care visits that need another volunteer


async def revoke(
    rt: Runtime,
    community_id: int,
    actor_id: int,
    role: Role,
    *,
    reply_to: int | None,
    word: str | None,
) -> Revoked:
    """/revoke: take the role away; when the person keeps no working role here, hand their
    open tickets back and list their care visits. Who must be told: the person and staff."""
    change = await flow.revoke_role(rt, community_id, actor_id, role, reply_to=reply_to, word=word)
    if change.refused is not None or not change.changed:
        return Revoked(change)
    person = change.target_id
    remaining = await store.roles_of(rt.db, person, community_id)
    handed: list[repairs_flow.Changed] = []
    cares: list[str] = []
    if not WORKING_ROLES & remaining:
        for ticket in await repairs_store.assigned_to(rt.db, person, MAX_HANDED_BACK):
            if ticket["community_id"] != community_id:
                continue
            # As the assignee (the only one who may hand a ticket back): the ticket is new
            # again, its routing job offers it to the grid worker and volunteers.
            result = await repairs_flow.hand_back(rt, person, ticket["id"])
            if isinstance(result, repairs_flow.Changed):
                handed.append(result)
    if not WORKING_ROLES & remaining:
        # Visits need a volunteer or grid worker: the person stops being pinged (and their
        # old buttons refuse); staff get the list to choose another visitor.
        theirs = [
            c
            for c in await care_store.cares_of_volunteer(rt.db, person)
            if c["community_id"] == community_id
        ]
        if theirs:
            async with rt.db.transaction() as tx:
                for care in theirs:
                    await care_store.remove_volunteer(tx, care["id"], person)
        cares = [c["name"] for c in theirs]
    actor = await store.get_user(rt.db, actor_id)
    staff = [
        s["id"]
        for s in await store.members_with_role(rt.db, community_id, Role.STAFF)
        if s["id"] not in (actor_id, person)
    ]
    return Revoked(
        change,
        actor["first_name"] if actor is not None else "",
        staff,
        handed,
        cares,
    )


# ---- /team ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    """One role holder as /team shows them: no rooms, no phones."""

    name: str
    username: str | None
    buildings: list[str] = field(default_factory=list)  # a grid worker's, in building order
    skills: list[str] = field(default_factory=list)  # a volunteer's (msgids)


@dataclass(frozen=True)
class Team:
    staff: list[Member]
    grid_workers: list[Member]
    volunteers: list[Member]


async def team(rt: Runtime, community_id: int) -> Team:
    """/team: who holds which role in the community (the caller checked it is staff)."""
    rows = await store.team(rt.db, community_id)
    buildings: dict[int, list[str]] = {}
    for row in await store.grid_chart(rt.db, community_id):
        buildings.setdefault(row["user_id"], []).append(row["building"])
    skills: dict[int, list[str]] = {}
    for row in await store.all_skills(rt.db, community_id):
        skills.setdefault(row["user_id"], []).append(row["skill"])
    by_role: dict[str, list[Member]] = {r: [] for r in Role}
    for row in rows:
        person = row["user_id"]
        by_role[row["role"]].append(
            Member(
                row["first_name"],
                row["username"],
                sorted(buildings.get(person, []), key=rules.building_sort_key)
                if row["role"] == Role.GRID_WORKER
                else [],
                skills.get(person, []) if row["role"] == Role.VOLUNTEER else [],
            )
        )
    return Team(by_role[Role.STAFF], by_role[Role.GRID_WORKER], by_role[Role.VOLUNTEER])
