"""Workflows of communities and people: linking a group, registering a household, roles, the
grid, languages. One function per thing that happens; no Telegram here.

Each takes the Runtime and plain values, owns its transaction and returns an outcome the
handlers (`handlers/community*.py`, `handlers/common.py`) render. What only Telegram can say
(is this person an admin of the group?) is asked by the handler and passed in as a bool; what
the database says (roles, existing communities) is checked here. See docs/flows/community.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot import community as rules
from bot.community import Address, Role
from bot.i18n import N_
from bot.numbers import parse_id
from bot.runtime import Runtime
from bot.workflows.outcome import Tell, Text
from storage import community as store
from storage.db import Row


# ---- who is who ---------------------------------------------------------------------------
async def is_staff(rt: Runtime, user_id: int, community_id: int) -> bool:
    if rt.is_admin(user_id):
        return True
    return Role.STAFF in await store.roles_of(rt.db, user_id, community_id)


async def staff_communities(rt: Runtime, user_id: int) -> list[Row]:
    if rt.is_admin(user_id):
        return await store.list_communities(rt.db)
    return await store.communities_with_role(rt.db, user_id, Role.STAFF)


async def roles_anywhere(rt: Runtime, user_id: int) -> set[str]:
    """Every role the person holds in any community (for /help)."""
    return await store.all_roles_of(rt.db, user_id)


async def find_person(
    rt: Runtime, *, reply_to: int | None, word: str | None
) -> Row | RoleRefusal | None:
    """The person a staff command names: the author of the message it replies to, else
    `@username` or a numeric id. Only people who have talked to the bot are known. A username
    counts for its current holder only: AMBIGUOUS when several people were seen with it and
    none is the unique most recent one (Telegram lets usernames pass to someone else)."""
    if reply_to is not None:
        return await store.get_user(rt.db, reply_to)
    if not word:
        return None
    if word.startswith("@"):
        rows = await store.users_with_username(rt.db, word)
        if len(rows) > 1 and rows[0]["updated_at"] == rows[1]["updated_at"]:
            return RoleRefusal.AMBIGUOUS
        return rows[0] if rows else None
    user_id = parse_id(word)
    if user_id is not None:
        return await store.get_user(rt.db, user_id)
    return None


# ---- /setup: link a group to a community --------------------------------------------------------
class SetupRefusal(StrEnum):
    NOT_ALLOWED = "not_allowed"  # neither a group admin nor staff
    TAKEN = "taken"  # the community exists: only its staff may link groups to it
    CONFUSABLE = "confusable"  # too like an existing community's name (`similar`)
    LINKED = "linked"  # the group belongs to a community: only its staff or a bot admin move it


@dataclass(frozen=True)
class GroupLinked:
    refused: SetupRefusal | None = None
    needs_name: bool = False  # allowed, but no usable community name was given
    community_id: int = 0
    name: str = ""
    current_name: str = ""  # the community the group belongs to now
    similar: str = ""  # the existing name a new one is too like
    confirm: bool = False  # a move to another community: ask the person to confirm first
    tell: list[Tell] = field(default_factory=list)


MOVED = N_("群“{title}”已由 {who} 从“{old}”改为关联到“{new}”。")


async def _similar(rt: Runtime, name: str) -> Row | None:
    """An existing community whose name a resident would take for `name` (not equal to it)."""
    key = rules.community_key(name)
    for community in await store.list_communities(rt.db):
        if community["name"] != name and rules.community_key(community["name"]) == key:
            return community
    return None


async def link_group(
    rt: Runtime,
    chat_id: int,
    title: str,
    user_id: int,
    name: str | None,
    *,
    trusted_here: bool,
    confirmed: bool = False,
) -> GroupLinked:
    """Link this group to the community called `name` (created when new).

    `trusted_here`: the person is a bot admin or a Telegram admin of this group. Joining an
    existing community needs that community's staff. A group that is linked already changes
    community only through the staff of its current community (or a bot admin), after they
    confirm (`confirmed`), and that community's staff are told: a group admin could otherwise
    hand a community's residents' group to someone else.
    """
    if name is None:
        allowed = trusted_here or bool(await store.communities_with_role(rt.db, user_id, "staff"))
        return GroupLinked(None if allowed else SetupRefusal.NOT_ALLOWED, needs_name=allowed)
    existing = await store.find_community(rt.db, name)
    if existing is None and (similar := await _similar(rt, name)) is not None:
        return GroupLinked(SetupRefusal.CONFUSABLE, name=name, similar=similar["name"])
    current = await store.get_group(rt.db, chat_id)
    moving = current is not None and (existing is None or current["community_id"] != existing["id"])
    if current is not None and moving and not await is_staff(rt, user_id, current["community_id"]):
        return GroupLinked(SetupRefusal.LINKED, name=name, current_name=current["community_name"])
    if existing is not None and not await is_staff(rt, user_id, existing["id"]):
        return GroupLinked(SetupRefusal.TAKEN, name=name)
    if existing is None and not (trusted_here or moving):
        return GroupLinked(SetupRefusal.NOT_ALLOWED, name=name)
    if current is not None and moving and not confirmed:
        return GroupLinked(name=name, current_name=current["community_name"], confirm=True)
    async with rt.db.transaction() as tx:
        community_id = await store.get_or_create_community(tx, name)
        await store.link_group(tx, chat_id, community_id, title, user_id)
        await store.audit(tx, community_id, user_id, "link_group", str(chat_id))
        tell: list[Tell] = []
        if current is not None and moving:
            actor = await store.get_user(tx, user_id)
            text = Text(
                MOVED,
                {
                    "title": title,
                    "who": actor["first_name"] if actor is not None else str(user_id),
                    "old": current["community_name"],
                    "new": name,
                },
            )
            staff = await store.members_with_role(tx, current["community_id"], Role.STAFF)
            tell = [Tell(s["id"], text) for s in staff if s["id"] != user_id]
            await store.audit(
                tx, current["community_id"], user_id, "group_moved", f"{chat_id} {community_id}"
            )
    return GroupLinked(
        community_id=community_id,
        name=name,
        current_name=current["community_name"] if current is not None else "",
        tell=tell,
    )


async def migrate_group(rt: Runtime, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: its community link (and notices) follow the new id."""
    async with rt.db.transaction() as tx:
        await store.migrate_group(tx, old_chat_id, new_chat_id)


# ---- registering a household --------------------------------------------------------------------
@dataclass(frozen=True)
class RegistrationStart:
    """Where a registration begins: a community, or the communities to choose from."""

    community: Row | None = None
    choices: list[Row] = field(default_factory=list)  # empty with no community: none exists yet
    current: Address | None = None  # the person is registered there already
    waiting: Address | None = None  # the person asked to join this household, not yet approved


async def _at(rt: Runtime, user_id: int, community: Row) -> RegistrationStart:
    row = await store.get_resident(rt.db, user_id, community["id"])
    current = Address(row["building"], row["unit"], row["room"]) if row is not None else None
    request = await store.open_request_of(rt.db, user_id)
    waiting = (
        Address(request["building"], request["unit"], request["room"])
        if request is not None and request["community_id"] == community["id"]
        else None
    )
    return RegistrationStart(community, current=current, waiting=waiting)


async def start_registration(
    rt: Runtime, user_id: int, community_id: int | None = None
) -> RegistrationStart:
    """The community of a `reg-<id>` link, else the person's only one, else the only one."""
    community = await store.get_community(rt.db, community_id) if community_id else None
    if community is None:
        mine = await store.communities_of(rt.db, user_id)
        if len(mine) == 1:
            community = mine[0]
    if community is None:
        everything = await store.list_communities(rt.db)
        if len(everything) != 1:
            return RegistrationStart(choices=everything)
        community = everything[0]
    return await _at(rt, user_id, community)


async def choose_community(rt: Runtime, user_id: int, community_id: int) -> RegistrationStart:
    """The person picked a community from the list; `community` is None if it is gone."""
    community = await store.get_community(rt.db, community_id)
    if community is None:
        return RegistrationStart()
    return await _at(rt, user_id, community)


@dataclass(frozen=True)
class Residency:
    community_name: str
    address: Address
    display_name: str


@dataclass(frozen=True)
class RolesHeld:
    community_name: str
    roles: list[Role]
    skills: list[str]  # a volunteer's skills (msgids)


@dataclass(frozen=True)
class Profile:
    residencies: list[Residency]
    roles: list[RolesHeld]
    waiting: Residency | None = None  # a request to join a household, not yet approved


async def profile(rt: Runtime, user_id: int) -> Profile:
    """/me: where the person is registered and which roles they hold."""
    residencies = [
        Residency(
            row["community_name"],
            Address(row["building"], row["unit"], row["room"]),
            row["display_name"],
        )
        for row in await store.residencies_of(rt.db, user_id)
    ]
    held: list[RolesHeld] = []
    for community in await store.communities_of(rt.db, user_id):
        roles = await store.roles_of(rt.db, user_id, community["id"])
        if not roles:
            continue
        skills = (
            await store.skills_of(rt.db, community["id"], user_id)
            if Role.VOLUNTEER in roles
            else []
        )
        held.append(RolesHeld(community["name"], [Role(r) for r in sorted(roles)], skills))
    request = await store.open_request_of(rt.db, user_id)
    waiting = (
        Residency(
            request["community_name"],
            Address(request["building"], request["unit"], request["room"]),
            request["display_name"],
        )
        if request is not None
        else None
    )
    return Profile(residencies, held, waiting)


# ---- roles and the grid -------------------------------------------------------------------------
class RoleRefusal(StrEnum):
    NO_SUCH_PERSON = "no_such_person"  # not named, or never talked to the bot
    SELF = "self"  # nobody grants or revokes their own roles
    UNKNOWN_SKILLS = "unknown_skills"
    NOT_GRID_WORKER = "not_grid_worker"  # buildings go to grid workers only
    AMBIGUOUS = "ambiguous"  # several people carried that @username: reply to their message


@dataclass(frozen=True)
class RoleChanged:
    refused: RoleRefusal | None = None
    target_id: int = 0
    target_name: str = ""
    changed: bool = False  # newly granted / actually revoked
    skills: list[str] = field(default_factory=list)  # skills newly added by this /grant
    all_skills: list[str] = field(default_factory=list)  # the volunteer's skills now
    unknown: list[str] = field(default_factory=list)  # words that are not skills


async def _target(
    rt: Runtime, actor_id: int, reply_to: int | None, word: str | None
) -> Row | RoleChanged:
    target = await find_person(rt, reply_to=reply_to, word=word)
    if isinstance(target, RoleRefusal):
        return RoleChanged(target)
    if target is None:
        return RoleChanged(RoleRefusal.NO_SUCH_PERSON)
    if target["id"] == actor_id:
        return RoleChanged(RoleRefusal.SELF, target["id"], target["first_name"])
    return target


async def grant_role(
    rt: Runtime,
    community_id: int,
    actor_id: int,
    role: Role,
    *,
    reply_to: int | None,
    word: str | None,
    skills_text: str = "",
) -> RoleChanged:
    """/grant: give the person a role (a volunteer also their skills); granting twice is
    harmless and says what changed (`changed` False, `skills` the newly added ones)."""
    target = await _target(rt, actor_id, reply_to, word)
    if isinstance(target, RoleChanged):
        return target
    skills, unknown = rules.parse_skills(skills_text)
    if unknown:
        return RoleChanged(RoleRefusal.UNKNOWN_SKILLS, unknown=unknown)
    async with rt.db.transaction() as tx:
        new = await store.grant_role(tx, community_id, target["id"], role, actor_id)
        had = await store.skills_of(tx, community_id, target["id"])
        added = [s for s in skills if s not in had] if role is Role.VOLUNTEER else []
        if added:
            await store.add_skills(tx, community_id, target["id"], added)
        if new or added:
            await store.audit(
                tx, community_id, actor_id, f"grant:{role}", f"{target['id']} {','.join(added)}"
            )
    now = had + added if role is Role.VOLUNTEER else []
    return RoleChanged(None, target["id"], target["first_name"], new, added, now)


async def revoke_role(
    rt: Runtime,
    community_id: int,
    actor_id: int,
    role: Role,
    *,
    reply_to: int | None,
    word: str | None,
) -> RoleChanged:
    """/revoke: take the role away (with a volunteer's skills, a grid worker's buildings)."""
    target = await _target(rt, actor_id, reply_to, word)
    if isinstance(target, RoleChanged):
        return target
    async with rt.db.transaction() as tx:
        removed = await store.revoke_role(tx, community_id, target["id"], role)
        await store.audit(tx, community_id, actor_id, f"revoke:{role}", str(target["id"]))
    return RoleChanged(None, target["id"], target["first_name"], removed)


@dataclass(frozen=True)
class GridChanged:
    """What /grid_assign changed, for the reply."""

    refused: RoleRefusal | None = None
    target_id: int = 0
    target_name: str = ""
    remove: bool = False  # buildings were taken away (else given)
    added: list[str] = field(default_factory=list)  # buildings newly theirs
    taken: list[tuple[str, list[str]]] = field(default_factory=list)  # (previous worker, those)
    removed: list[str] = field(default_factory=list)  # buildings no longer theirs
    unchanged: list[str] = field(default_factory=list)  # theirs already / not theirs to remove
    now: list[str] = field(default_factory=list)  # all their buildings afterwards


async def assign_buildings(
    rt: Runtime,
    community_id: int,
    actor_id: int,
    buildings: list[str],
    *,
    reply_to: int | None,
    word: str | None,
    remove: bool = False,
) -> GridChanged:
    """/grid_assign: these buildings now belong to this grid worker (taken from another), or
    with `remove` no longer do (they are left without a grid worker)."""
    target = await find_person(rt, reply_to=reply_to, word=word)
    if isinstance(target, RoleRefusal):
        return GridChanged(target)
    if target is None:
        return GridChanged(RoleRefusal.NO_SUCH_PERSON)
    person = target["id"]
    if not remove and Role.GRID_WORKER not in await store.roles_of(rt.db, person, community_id):
        return GridChanged(RoleRefusal.NOT_GRID_WORKER, person, target["first_name"])
    async with rt.db.transaction() as tx:
        had = set(await store.buildings_of(tx, community_id, person))
        owners = {r["building"]: r for r in await store.grid_chart(tx, community_id)}
        taken: dict[int, tuple[str, list[str]]] = {}
        if remove:
            changed = [b for b in buildings if b in had]
            await store.unassign_buildings(tx, community_id, person, changed)
        else:
            changed = [b for b in buildings if b not in had]
            for b in changed:
                if (owner := owners.get(b)) is not None:
                    taken.setdefault(owner["user_id"], (owner["first_name"], []))[1].append(b)
            await store.assign_buildings(tx, community_id, person, changed)
        if changed:
            action = "grid_unassign" if remove else "grid_assign"
            await store.audit(tx, community_id, actor_id, action, f"{person} {','.join(changed)}")
        now = sorted(
            await store.buildings_of(tx, community_id, person), key=rules.building_sort_key
        )
    unchanged = [b for b in buildings if b not in changed]
    return GridChanged(
        None,
        person,
        target["first_name"],
        remove,
        added=[] if remove else changed,
        taken=list(taken.values()),
        removed=changed if remove else [],
        unchanged=unchanged,
        now=now,
    )


@dataclass(frozen=True)
class GridChart:
    """Who is responsible for which buildings of one community."""

    community_name: str
    workers: list[tuple[str, list[str]]]  # (grid worker's name, buildings), by first building
    missing: list[str] = field(default_factory=list)  # occupied buildings nobody looks after
    more_missing: bool = False  # `missing` lists only the first MISSING_SHOWN of them


def _by_worker(rows: list[Row]) -> list[tuple[str, list[str]]]:
    by_worker: dict[int, tuple[str, list[str]]] = {}
    for row in rows:
        by_worker.setdefault(row["user_id"], (row["first_name"], []))[1].append(row["building"])
    return sorted(
        by_worker.values(),
        key=lambda e: rules.building_sort_key(min(e[1], key=rules.building_sort_key)),
    )


async def grid_chart(rt: Runtime, community_id: int, community_name: str) -> GridChart:
    """The public chart for the group (no gaps: those are for staff)."""
    return GridChart(community_name, _by_worker(await store.grid_chart(rt.db, community_id)))


# Staff /grid names at most this many buildings without a grid worker: a community of a
# thousand buildings is summarised, and the query stops after as many seeks (issue #21).
MISSING_SHOWN = 20


@dataclass(frozen=True)
class MyBuilding:
    community_name: str
    building: str
    worker: Row | None  # the users row of its grid worker


@dataclass(frozen=True)
class MyGrid:
    buildings: list[MyBuilding]  # where the person lives
    charts: list[GridChart]  # whole charts with gaps, for the communities they are staff of


async def my_grid(rt: Runtime, user_id: int) -> MyGrid:
    """/grid in private: the person's grid workers, and the full charts for staff."""
    buildings = [
        MyBuilding(
            row["community_name"],
            row["building"],
            await store.grid_worker_for(rt.db, row["community_id"], row["building"]),
        )
        for row in await store.residencies_of(rt.db, user_id)
    ]
    charts: list[GridChart] = []
    for community in await staff_communities(rt, user_id):
        rows = await store.grid_chart(rt.db, community["id"])
        assigned = {r["building"] for r in rows}
        # The walk stops at MISSING_SHOWN + 1 buildings without a grid worker: enough to know
        # whether there are more than MISSING_SHOWN, whatever the size of the community.
        occupied = await store.buildings_until_unassigned(rt.db, community["id"], MISSING_SHOWN + 1)
        missing = sorted(set(occupied) - assigned, key=rules.building_sort_key)
        more = len(missing) > MISSING_SHOWN
        charts.append(GridChart(community["name"], _by_worker(rows), missing[:MISSING_SHOWN], more))
    return MyGrid(buildings, charts)


# ---- languages ----------------------------------------------------------------------------------
async def set_user_language(rt: Runtime, user_id: int, lang: str) -> None:
    await store.set_user_lang(rt.db, user_id, lang)


async def set_group_language(rt: Runtime, chat_id: int, lang: str) -> None:
    await store.set_group_lang(rt.db, chat_id, lang)
