"""Workflows of paper orders (纸质点单): a grid worker or staff member enters the order a
household handed in on paper. Rendered by handlers/menu_paper.py; see docs/flows/menu.md.

Who may enter is decided here, against the database: staff (and bot admins) for any building
of their community, a grid worker only for the buildings of their grid. An address nobody
registered is entered only when the person explicitly asks to create a paper-only household,
and an order a household confirmed online is replaced only when the person saw it first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot import menu as rules
from bot.community import Address
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.outcome import Tell, Text
from storage import community as cstore
from storage import menu as store
from storage.db import Executor, Row


class PaperRefusal(StrEnum):
    NO_ROUND = "no_round"  # no open round in the community
    NOT_YOURS = "not_yours"  # not staff, or a grid worker outside their buildings
    UNKNOWN_ADDRESS = "unknown_address"  # nobody registered there: ask before creating it
    GONE = "gone"  # the household or round is not this community's (a forged button)
    NOTHING_PICKED = "nothing_picked"
    CLOSED = "closed"
    TOO_MANY = "too_many"
    CHANGED = "changed"  # an item left the menu


@dataclass(frozen=True)
class PaperOrder:
    """A paper order being entered: the open round, the household, its orders so far."""

    refused: PaperRefusal | None = None
    round: Row | None = None
    household_id: int = 0
    address: Address | None = None
    saved: list[int] = field(default_factory=list)  # what its paper order holds so far
    online: store.Online = field(default_factory=lambda: store.Online(0, []))  # confirmed online


PAPER_REPLACED = N_(
    "{name}替您家录入了一份纸质点单，替换了您家之前在网上的点单。"
    "发送 /menu 可以查看，截止前还可以再改。"
)
PAPER_ENTERED = N_("{name}替您家录入了一份纸质点单。发送 /menu 可以查看，截止前还可以再改。")


async def may_enter(
    ex: Executor, rt: Runtime, user_id: int, community_id: int, building: str
) -> bool:
    roles = await cstore.roles_of(ex, user_id, community_id)
    worker = await cstore.grid_worker_for(ex, community_id, building)
    mine = [building] if worker is not None and worker["id"] == user_id else []
    return rules.may_enter_paper(roles, building, mine, admin=rt.is_admin(user_id))


async def start_paper_order(
    rt: Runtime, community_id: int, address: Address, user_id: int, *, create: bool = False
) -> PaperOrder:
    """/menu_paper 21-4-302: the household and its current orders. A home nobody registered
    (and that has not ordered in this round) is refused with UNKNOWN_ADDRESS unless `create`
    says the person confirmed making it a paper-only household."""
    rnd = await store.active_round(rt.db, community_id)
    if rnd is None or rnd["status"] != "open":
        return PaperOrder(PaperRefusal.NO_ROUND)
    if not await may_enter(rt.db, rt, user_id, community_id, address.building):
        return PaperOrder(PaperRefusal.NOT_YOURS)
    b, u, r = address.building, address.unit, address.room
    row = await store.household_at(rt.db, community_id, rnd["id"], b, u, r)
    if row is None or not (row["registered"] or row["ordered"]):
        if not create:
            return PaperOrder(PaperRefusal.UNKNOWN_ADDRESS, rnd, address=address)
        async with rt.db.transaction() as tx:
            hid = await cstore.get_or_create_household(tx, community_id, b, u, r)
            await cstore.audit(tx, community_id, user_id, "menu_paper_household", str(hid))
    else:
        hid = int(row["id"])
    return await _household_order(rt.db, rnd, hid, address)


async def _household_order(ex: Executor, rnd: Row, hid: int, address: Address) -> PaperOrder:
    voter = store.voter_key(
        household_id=hid, user_id=None, per_person=bool(rnd["per_person"]), paper=True
    )
    row, saved = await store.order_of(ex, rnd["id"], voter)
    online = await store.online_orders(ex, rnd["id"], hid)
    if row is not None and not row["paper"]:
        saved = []  # the household's own online order: the paper form starts empty
    return PaperOrder(None, rnd, hid, address, saved, online)


async def paper_household(
    rt: Runtime, round_id: int, household_id: int, user_id: int
) -> PaperOrder:
    """For the buttons of the paper keyboard: the same checks as /menu_paper, from ids."""
    rnd = await store.get_round(rt.db, round_id)
    row = await cstore.get_household(rt.db, household_id)
    if rnd is None or row is None or row["community_id"] != rnd["community_id"]:
        return PaperOrder(PaperRefusal.GONE)
    if not await may_enter(rt.db, rt, user_id, rnd["community_id"], row["building"]):
        return PaperOrder(PaperRefusal.NOT_YOURS)
    if rnd["status"] != "open":
        return PaperOrder(PaperRefusal.CLOSED)
    address = Address(row["building"], row["unit"], row["room"])
    return await _household_order(rt.db, rnd, household_id, address)


@dataclass(frozen=True)
class PaperRecorded:
    refused: PaperRefusal | None = None
    ask: store.Online | None = None  # not saved: confirm first, this online order is there
    replaced: bool = False  # the household's online order was replaced
    tell: list[Tell] = field(default_factory=list)  # the household's members


_REFUSALS = {"closed": PaperRefusal.CLOSED, "too_many": PaperRefusal.TOO_MANY}


async def record_paper_order(
    rt: Runtime,
    round_id: int,
    household_id: int,
    picks: list[int],
    entered_by: int,
    *,
    seen: int | None = None,
) -> PaperRecorded:
    """确认录入: write the household's paper order (audited) and tell its members. When the
    household has orders confirmed online, nothing is written until the person confirms
    with `seen` = the `Online.token` they were shown (a newer online order asks again)."""
    if not picks:
        return PaperRecorded(PaperRefusal.NOTHING_PICKED)
    async with rt.db.transaction() as tx:
        rnd = await store.get_round(tx, round_id)
        household = await cstore.get_household(tx, household_id)
        if rnd is None or household is None or household["community_id"] != rnd["community_id"]:
            return PaperRecorded(PaperRefusal.GONE)
        cid = rnd["community_id"]
        if not await may_enter(tx, rt, entered_by, cid, household["building"]):
            return PaperRecorded(PaperRefusal.NOT_YOURS)
        online = await store.online_orders(tx, round_id, household_id)
        if online.token and seen != online.token:
            return PaperRecorded(ask=online)
        placed = await store.place_order(
            tx,
            round_id,
            household_id=household_id,
            user_id=None,
            picks=picks,
            now=rt.clock.now().timestamp(),
            paper=True,
            entered_by=entered_by,
        )
        if not placed.ok:
            return PaperRecorded(_REFUSALS.get(placed.reason, PaperRefusal.CHANGED))
        await cstore.audit(tx, cid, entered_by, "menu_paper", str(household_id))
        replaced = bool(online.token) and not rnd["per_person"]
        enterer = await cstore.get_user(tx, entered_by)
        name = enterer["first_name"] if enterer is not None else ""
        text = Text(PAPER_REPLACED if replaced else PAPER_ENTERED, {"name": name})
        tell = [Tell(m["user_id"], text) for m in await store.members_to_tell(tx, household_id)]
    return PaperRecorded(replaced=replaced, tell=tell)
