"""Workflows of households: registering at an address, and the approval a newcomer needs to
join a household that already has members. No Telegram here (see handlers/community_households.py).

Trust: a person who types someone else's address must not see that family's names or orders,
nor order for them. So joining a household with members opens a request (`household_requests`)
and writes no `residents` row: every feature that reads households (menu, repairs, /me, /grid)
sees nothing until a member presses 同意. When no member answers within `JOIN_WAIT`, or every
member has left or cannot be reached, the grid worker of the building (else the community's
staff) is asked instead. One person, one household: joining moves the person's membership,
their old household keeps its other members, who are told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot import callbacks
from bot.community import Address, Role
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.outcome import Button, Refused, Tell, Text, refuse
from storage import community as store
from storage.db import Executor, Row

FEATURE = "hh"  # 1|hh|ok|<request> approve, 1|hh|no|<request> refuse
ESCALATE_JOB = "household_escalate"  # payload: request
JOIN_WAIT = timedelta(hours=24)
JOIN_COOLDOWN = timedelta(hours=24)  # after a refusal, the family is not asked again sooner

ASKS = N_(
    "🏠 {who} 申请加入您家（{building}号楼{unit}单元{room}室），称呼：{name}。\n"
    "是您的家人吗？同意后，对方能看到并修改您家的点单和报修。"
)
ASKS_ESCALATED = N_(
    "🏠 {who} 申请加入{community} {building}号楼{unit}单元{room}室，称呼：{name}。\n"
    "这户的家人没有回应（或已搬走）。请核实后确认。"
)
APPROVE = N_("同意")
REJECT = N_("不同意")
JOINED = N_("🏠 {name} 已加入您家（{building}号楼{unit}单元{room}室）。")
LEFT = N_("🏠 {name} 已搬离您家（{building}号楼{unit}单元{room}室）。")
YOU_JOINED = N_("✅ 您已加入{building}号楼{unit}单元{room}室。现在可以 /menu 点单、/repair 报修。")
YOU_REJECTED = N_(
    "您加入{building}号楼{unit}单元{room}室的申请没有通过。如有误会，请联系社区工作人员。"
)
DECIDED_YES = N_("已同意 {name} 加入。")
DECIDED_NO = N_("已拒绝 {name} 的申请。")
GONE = N_("这个申请已经处理过了。")
NOT_YOURS = N_("只有这户的家人可以确认；家人没有回应时，由网格员或社区工作人员确认。")
SELF = N_("不能确认自己的申请。")


def _where(row: Row) -> dict[str, str]:
    return {"building": row["building"], "unit": row["unit"], "room": row["room"]}


def _buttons(request_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(Text(APPROVE), callbacks.pack(FEATURE, "ok", request_id)),
            Button(Text(REJECT), callbacks.pack(FEATURE, "no", request_id)),
        ),
    )


def escalate_key(request_id: int) -> str:
    return f"hh_join:{request_id}"


@dataclass(frozen=True)
class Registered:
    household_id: int
    updated: bool  # the person was registered in this community before
    pending: bool = False  # waits for a member's approval; nothing of the household is shown
    repeated: bool = False  # asked again while the same request waits: nobody is asked twice
    cooling: bool = False  # the household refused this person lately: nobody is asked now
    tell: list[Tell] = field(default_factory=list)
    run_now: list[str] = field(default_factory=list)  # job keys to run right after the commit


def _reachable(members: list[Row], but: int | None = None) -> list[int]:
    """Members who can read a private message (started the bot, not blocked)."""
    return [
        m["user_id"] for m in members if m["started"] and not m["blocked"] and m["user_id"] != but
    ]


async def _move_in(
    rt: Runtime, tx: Executor, user_id: int, community_id: int, household_id: int, name: str
) -> tuple[list[Tell], list[str]]:
    """Make the person a resident here and nowhere else; the households they leave are told,
    and a household left empty hands its open requests to the grid worker or staff now."""
    tell: list[Tell] = []
    run_now: list[str] = []
    person = await store.get_user(tx, user_id)
    who = person["first_name"] if person is not None else ""
    for old in await store.residencies_of(tx, user_id):
        if old["household_id"] == household_id:
            continue
        await store.remove_resident(tx, user_id, old["community_id"])
        left = await store.household_members(tx, old["household_id"])
        for member in _reachable(left):
            tell.append(
                Tell(member, Text(LEFT, {"name": old["display_name"] or who, **_where(old)}))
            )
        if not left:
            for request in await store.open_requests_for(tx, old["household_id"]):
                key = escalate_key(request["id"])
                await rt.scheduler.schedule(
                    ESCALATE_JOB, rt.clock.now(), {"request": request["id"]}, key=key, tx=tx
                )
                run_now.append(key)
    await store.set_resident(tx, user_id, community_id, household_id, name)
    await store.withdraw_request(tx, user_id)
    return tell, run_now


async def register_household(
    rt: Runtime, user_id: int, community_id: int, address: Address, name: str
) -> Registered:
    """The confirmed draft: one household per address, one household per person. A household
    with members gets a request instead, which its members (then the grid worker or staff)
    approve."""
    async with rt.db.transaction() as tx:
        household_id = await store.get_or_create_household(
            tx, community_id, address.building, address.unit, address.room
        )
        before = await store.get_resident(tx, user_id, community_id)
        members = [
            m for m in await store.household_members(tx, household_id) if m["user_id"] != user_id
        ]
        at_home = before is not None and before["household_id"] == household_id
        if at_home or not members:
            tell, run_now = await _move_in(rt, tx, user_id, community_id, household_id, name)
            action = "register" if before is None else "re-register"
            await store.audit(tx, community_id, user_id, action, str(household_id))
            return Registered(household_id, before is not None, tell=tell, run_now=run_now)
        waiting = await store.open_request_of(tx, user_id)
        if waiting is not None and waiting["household_id"] == household_id:
            # The same ask again (impatience, or /register repeated): the family (or grid
            # worker, staff) already has the question; asking them again is only noise.
            return Registered(household_id, before is not None, pending=True, repeated=True)
        since = (rt.clock.now() - JOIN_COOLDOWN).timestamp()
        if await store.refused_since(tx, user_id, household_id, since):
            return Registered(household_id, before is not None, pending=True, cooling=True)
        request_id = await store.open_request(tx, user_id, community_id, household_id, name)
        await store.audit(tx, community_id, user_id, "join_request", str(household_id))
        reachable = _reachable(members)
        # Nobody who can read the question: the grid worker or staff are asked at once.
        when = rt.clock.now() + (JOIN_WAIT if reachable else timedelta(0))
        key = escalate_key(request_id)
        await rt.scheduler.schedule(ESCALATE_JOB, when, {"request": request_id}, key=key, tx=tx)
        request = await store.get_request(tx, request_id)
    assert request is not None
    args = {"who": request["first_name"], "name": name, **_where(request)}
    tell = [Tell(m, Text(ASKS, args), _buttons(request_id)) for m in reachable]
    return Registered(
        household_id,
        before is not None,
        pending=True,
        tell=tell,
        run_now=[] if reachable else [key],
    )


async def escalate(rt: Runtime, request_id: int) -> list[Tell]:
    """Nobody of the household answered (or can): ask the building's grid worker, else the
    community's staff, else the bot's admins. Nothing when the request was decided meanwhile."""
    async with rt.db.transaction() as tx:
        request = await store.get_request(tx, request_id)
        if request is None or request["status"] != "pending":
            return []
        await store.mark_escalated(tx, request_id)
        worker = await store.grid_worker_for(tx, request["community_id"], request["building"])
        deciders = (
            [worker["id"]]
            if worker is not None
            else [
                s["id"]
                for s in await store.members_with_role(tx, request["community_id"], Role.STAFF)
            ]
        )
    # A community without grid worker and staff: the bot's admins, so no request waits forever.
    deciders = deciders or sorted(rt.config.admins)
    args = {
        "who": request["first_name"],
        "name": request["display_name"],
        "community": request["community_name"],
        **_where(request),
    }
    return [
        Tell(d, Text(ASKS_ESCALATED, args), _buttons(request_id))
        for d in deciders
        if d != request["user_id"]
    ]


@dataclass(frozen=True)
class JoinDecided:
    refused: Refused | None = None
    said: Text | None = None  # for the person who pressed
    tell: list[Tell] = field(default_factory=list)
    run_now: list[str] = field(default_factory=list)


async def _may_decide(rt: Runtime, tx: Executor, request: Row, actor_id: int) -> bool:
    mine = await store.get_resident(tx, actor_id, request["community_id"])
    if mine is not None and mine["household_id"] == request["household_id"]:
        return True
    members = await store.household_members(tx, request["household_id"])
    if not request["escalated"] and members:
        return False
    if rt.is_admin(actor_id):
        return True
    roles = await store.roles_of(tx, actor_id, request["community_id"])
    if Role.STAFF in roles:
        return True
    worker = await store.grid_worker_for(tx, request["community_id"], request["building"])
    return worker is not None and worker["id"] == actor_id


async def decide_join(rt: Runtime, request_id: int, actor_id: int, *, approve: bool) -> JoinDecided:
    """同意 / 不同意 on a request: a member of the household, or after the wait the grid
    worker of the building or staff. The first answer decides."""
    async with rt.db.transaction() as tx:
        request = await store.get_request(tx, request_id)
        if request is None or request["status"] != "pending":
            return JoinDecided(refuse(GONE))
        if request["user_id"] == actor_id:
            return JoinDecided(refuse(SELF))
        if not await _may_decide(rt, tx, request, actor_id):
            return JoinDecided(refuse(NOT_YOURS))
        newcomer = request["user_id"]
        await store.decide_request(
            tx,
            request_id,
            "approved" if approve else "refused",
            actor_id,
            rt.clock.now().timestamp(),
        )
        await rt.scheduler.cancel(escalate_key(request_id), tx=tx)
        where = _where(request)
        name = request["display_name"] or request["first_name"]
        action = "join_approved" if approve else "join_refused"
        await store.audit(tx, request["community_id"], actor_id, action, str(newcomer))
        if not approve:
            return JoinDecided(
                said=Text(DECIDED_NO, {"name": name}),
                tell=[Tell(newcomer, Text(YOU_REJECTED, where))],
            )
        members = await store.household_members(tx, request["household_id"])
        tell, run_now = await _move_in(
            rt, tx, newcomer, request["community_id"], request["household_id"], name
        )
    tell.append(Tell(newcomer, Text(YOU_JOINED, where)))
    joined = Text(JOINED, {"name": name, **where})
    tell += [Tell(m, joined) for m in _reachable(members, but=actor_id)]
    return JoinDecided(said=Text(DECIDED_YES, {"name": name}), tell=tell, run_now=run_now)


async def pending_request(rt: Runtime, user_id: int) -> Address | None:
    """The address the person asked to join and waits for, if any."""
    request = await store.open_request_of(rt.db, user_id)
    if request is None:
        return None
    return Address(request["building"], request["unit"], request["room"])
