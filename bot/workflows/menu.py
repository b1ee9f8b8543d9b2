"""Workflows of the renovation menu (菜单服务): one function per thing that happens.

Each takes the Runtime and plain values, owns its transaction (and the jobs that follow the
change, scheduled in that transaction) and returns an outcome saying what happened. Nothing
here sends or knows Telegram: `handlers/menu_*.py` and the menu jobs render the outcomes.
Who may act (staff, grid worker, this chat's community) is checked by the handlers before they
call; what the database must agree to (still a draft, still open, items still on the menu) is
checked here, inside the transaction. See docs/flows/menu.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot import menu as rules
from bot.i18n import N_
from bot.runtime import Runtime
from bot.text import normalize
from bot.workflows import menu_suggestions as suggestions
from bot.workflows.outcome import Tell, Text
from storage import community as cstore
from storage import jobs
from storage import menu as store
from storage.db import Executor, Row

CLOSE_JOB = "menu_close"  # at the deadline: close the round and publish the results
REMIND_JOB = "menu_remind"  # a day before: remind households that have not ordered
REMIND_BEFORE = timedelta(hours=24)
REMIND_CUTOFF = timedelta(minutes=30)  # a reminder later than this before the deadline misleads
POST_JOB = "menu_post"  # a group post (the menu, the results) that provably did not leave


class Post(StrEnum):
    """What is posted in a community's groups."""

    MENU = "menu"
    RESULTS = "results"


def close_key(round_id: int) -> str:
    return f"{CLOSE_JOB}:{round_id}"


def remind_key(round_id: int) -> str:
    return f"{REMIND_JOB}:{round_id}"


def post_key(what: Post, round_id: int) -> str:
    return f"{POST_JOB}:{what.value}:{round_id}"


def _now(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


# ---- staff prepare and open a round -----------------------------------------------------------
@dataclass(frozen=True)
class DraftStarted:
    """`round_id` is the draft to edit (new or resumed); None when a round is already open.
    A new draft after an earlier round (`carried_from`) starts with that round's items not
    being done; `left_out` names the ones already underway."""

    round_id: int | None
    created: bool = False
    carried_from: int | None = None
    left_out: tuple[str, ...] = ()
    paused: tuple[str, ...] = ()  # carried over although 暂不实施: staff may take them out


async def start_draft(rt: Runtime, community_id: int, user_id: int) -> DraftStarted:
    """/menu_open: resume the community's draft, or create one with the items of the last
    round not yet being done (the default items for a first round)."""
    active = await store.active_round(rt.db, community_id)
    if active is not None:
        return DraftStarted(None if active["status"] == "open" else active["id"])
    async with rt.db.transaction() as tx:
        last = await store.last_closed(tx, community_id)
        rows = await store.items(tx, last["id"]) if last else []
        previous = [(i["name"], i["progress"]) for i in rows]
        names, underway = rules.next_menu(previous)
        origins = {i["name"]: int(i["origin_id"]) for i in rows}
        rid = await store.create_draft(tx, community_id, user_id, _now(rt), names, origins)
        if rid is not None:
            await cstore.audit(tx, community_id, user_id, "menu_draft", str(rid))
    if rid is None:
        return DraftStarted(None)
    carried = last["id"] if last is not None and previous else None
    paused = tuple(n for n, p in previous if p == rules.Progress.PAUSED and n in names)
    return DraftStarted(
        rid, created=True, carried_from=carried, left_out=tuple(underway), paused=paused
    )


class ItemEdit(StrEnum):
    """The edits of a draft menu; the values are also the callback actions of their buttons."""

    ADD = "add"
    RENAME = "ren"
    DESCRIBE = "desc"
    REMOVE = "del"


async def edit_item(
    rt: Runtime, round_id: int, edit: ItemEdit, *, item_id: int | None = None, value: str = ""
) -> bool:
    """Add, rename, describe or remove an item; False when the menu cannot change any more
    (the round opened meanwhile) or the item is gone."""
    async with rt.db.transaction() as tx:
        if not await store.editable(tx, round_id):
            return False
        if edit is ItemEdit.ADD:
            if len(await store.items(tx, round_id)) >= rules.MAX_ITEMS:
                return False  # the handler says so before asking for a name
            await store.add_item(tx, round_id, value)
            return True
        if item_id is None:
            return False
        if edit is ItemEdit.RENAME:
            return await store.rename_item(tx, round_id, item_id, value)
        if edit is ItemEdit.DESCRIBE:
            return await store.describe_item(tx, round_id, item_id, value)
        return await store.remove_item(tx, round_id, item_id)


async def cancel_draft(rt: Runtime, round_id: int) -> bool:
    """取消本轮: the draft is deleted; False when it was not a draft any more."""
    async with rt.db.transaction() as tx:
        return await store.discard_draft(tx, round_id)


@dataclass(frozen=True)
class RoundSettings:
    max_picks: int = rules.DEFAULT_K
    per_person: bool = False
    live: bool = False
    deadline: float | None = None  # epoch seconds; None: staff close it by hand


def settings_of(rnd: Row) -> RoundSettings:
    """The settings kept on a round's row (a draft keeps each choice as it is made)."""
    deadline = rnd["deadline"]
    return RoundSettings(
        max_picks=int(rnd["max_picks"]),
        per_person=bool(rnd["per_person"]),
        live=bool(rnd["live"]),
        deadline=float(deadline) if deadline is not None else None,
    )


@dataclass(frozen=True)
class MenuPost:
    """What the community's groups are shown when a round opens."""

    round: Row
    community_name: str
    items: list[Row]
    groups: list[int]


class OpenRefusal(StrEnum):
    DEADLINE_PASSED = "deadline_passed"  # the settings stay; staff pick another deadline
    NO_ITEMS = "no_items"  # a round with nothing to order cannot start
    TOO_MANY_PICKS = "too_many_picks"  # K above the number of items
    NOT_DRAFT = "not_draft"  # opened or cancelled meanwhile


@dataclass(frozen=True)
class RoundOpened:
    refused: OpenRefusal | None = None
    post: MenuPost | None = None


async def open_round(
    rt: Runtime, round_id: int, user_id: int, settings: RoundSettings
) -> RoundOpened:
    """开始点单: settle the settings, open the round, and schedule its closing (and the
    reminder a day before) in the same transaction, so an open round never lacks them."""
    deadline = settings.deadline
    if deadline is not None and deadline <= _now(rt):
        return RoundOpened(OpenRefusal.DEADLINE_PASSED)
    async with rt.db.transaction() as tx:
        n_items = len(await store.items(tx, round_id))
        if n_items == 0:
            return RoundOpened(OpenRefusal.NO_ITEMS)
        if settings.max_picks > n_items:
            return RoundOpened(OpenRefusal.TOO_MANY_PICKS)
        ok = await store.settle(
            tx,
            round_id,
            max_picks=settings.max_picks,
            per_person=settings.per_person,
            live=settings.live,
            deadline=deadline,
        ) and await store.open_round(tx, round_id, _now(rt))
        if not ok:
            return RoundOpened(OpenRefusal.NOT_DRAFT)
        if deadline is not None:
            at = datetime.fromtimestamp(deadline, UTC)
            payload = {"round": round_id}
            await rt.scheduler.schedule(CLOSE_JOB, at, payload, key=close_key(round_id), tx=tx)
            remind = rules.reminder_time(at, rt.clock.now(), REMIND_BEFORE)
            if remind is not None:
                await rt.scheduler.schedule(
                    REMIND_JOB, remind, payload, key=remind_key(round_id), tx=tx
                )
        rnd = await store.get_round(tx, round_id)
        assert rnd is not None
        await cstore.audit(tx, rnd["community_id"], user_id, "menu_open", str(round_id))
    return RoundOpened(post=await menu_post(rt, round_id))


async def menu_post(rt: Runtime, round_id: int) -> MenuPost | None:
    """The menu of an open round, to post (again) in its community's groups."""
    rnd = await store.get_round(rt.db, round_id)
    if rnd is None or rnd["status"] != "open":
        return None
    community = await cstore.get_community(rt.db, rnd["community_id"])
    assert community is not None
    return MenuPost(
        rnd,
        community["name"],
        await store.items(rt.db, round_id),
        [g["chat_id"] for g in await cstore.groups_of(rt.db, rnd["community_id"])],
    )


# ---- households order -------------------------------------------------------------------------
class OrderRefusal(StrEnum):
    NOT_REGISTERED = "not_registered"  # the person has no household here yet
    NOTHING_PICKED = "nothing_picked"
    CLOSED = "closed"  # closed or past its deadline
    TOO_MANY = "too_many"
    CHANGED = "changed"  # an item left the menu, or the household is not of this community
    OTHER_HOUSEHOLD = "other_household"  # this person already ordered for another household


@dataclass(frozen=True)
class OrderConfirmed:
    refused: OrderRefusal | None = None
    replaced: bool = False  # an earlier order of this household (or person) was replaced
    chosen: list[str] = field(default_factory=list)  # item names (msgids), in the order picked
    tell: list[Tell] = field(default_factory=list)  # the household's other members


_PLACE_REFUSALS = {"closed": OrderRefusal.CLOSED, "too_many": OrderRefusal.TOO_MANY}
ORDER_CHANGED = N_("{name}修改了您家的改造点单。发送 /menu 可以查看，截止前还可以再改。")
ORDER_PLACED = N_("{name}已经为您家点了改造点单。发送 /menu 可以查看，截止前还可以再改。")


async def confirm_order(
    rt: Runtime, round_id: int, user_id: int, picks: list[int]
) -> OrderConfirmed:
    """确认点单: a resident's picks become their household's order (or their own, in a
    one-person-one-order round), replacing the earlier one; all checks run in the write.

    One person counts once per round: whoever confirmed for one household cannot confirm
    for another (after re-registering elsewhere, say), whatever the residents table says
    now. The household's other members are told when its order changes."""
    rnd = await store.get_round(rt.db, round_id)
    if rnd is None:
        return OrderConfirmed(OrderRefusal.CLOSED)
    resident = await cstore.get_resident(rt.db, user_id, rnd["community_id"])
    if resident is None:
        return OrderConfirmed(OrderRefusal.NOT_REGISTERED)
    if not picks:
        return OrderConfirmed(OrderRefusal.NOTHING_PICKED)
    hid = int(resident["household_id"])
    per_person = bool(rnd["per_person"])
    async with rt.db.transaction() as tx:
        first = await store.confirmed_household(tx, round_id, user_id)
        if first is not None and first != hid:
            return OrderConfirmed(OrderRefusal.OTHER_HOUSEHOLD)
        voter = store.voter_key(
            household_id=hid, user_id=user_id, per_person=per_person, paper=False
        )
        before, old = await store.order_of(tx, round_id, voter)
        placed = await store.place_order(
            tx, round_id, household_id=hid, user_id=user_id, picks=picks, now=_now(rt)
        )
        if not placed.ok:
            return OrderConfirmed(_PLACE_REFUSALS.get(placed.reason, OrderRefusal.CHANGED))
        await store.claim_household(tx, round_id, user_id, hid, _now(rt))
        names = {i["id"]: i["name"] for i in await store.items(tx, round_id)}
        tell: list[Tell] = []
        if not per_person and (before is None or set(old) != set(picks)):
            name = resident["display_name"] or await _first_name(tx, user_id)
            text = Text(ORDER_CHANGED if placed.replaced else ORDER_PLACED, {"name": name})
            tell = [
                Tell(m["user_id"], text) for m in await store.members_to_tell(tx, hid, but=user_id)
            ]
    return OrderConfirmed(
        replaced=placed.replaced, chosen=[names[i] for i in picks if i in names], tell=tell
    )


async def _first_name(ex: Executor, user_id: int) -> str:
    user = await cstore.get_user(ex, user_id)
    return str(user["first_name"]) if user is not None else ""


async def add_comment(
    rt: Runtime, round_id: int, item_id: int | None, user_id: int, text: str
) -> bool:
    """议一议 (about an item) or 提建议 (`item_id` None): kept for the staff while the round is
    open; False when it closed meanwhile."""
    async with rt.db.transaction() as tx:
        rnd = await store.get_round(tx, round_id)
        if rnd is None or rnd["status"] != "open":
            return False
        await store.add_comment(tx, round_id, item_id, user_id, text, _now(rt))
        await suggestions.schedule_digest(rt, tx, rnd["community_id"])  # staff hear of it
    return True


# ---- closing, reminding --------------------------------------------------------------------
@dataclass(frozen=True)
class Publication:
    """Results still to be posted in the community's groups."""

    round: Row
    community_name: str
    results: rules.Results
    groups: list[int]


@dataclass(frozen=True)
class RoundClosed:
    closed: bool  # this call moved the round from open to closed
    publish: Publication | None = None  # None: nothing to post (not closed, or posted already)


async def close_round(rt: Runtime, round_id: int, *, by: int | None = None) -> RoundClosed:
    """Close an open round (staff's /menu_close, or the deadline job) and hand back the results
    to post. Idempotent: a round closed earlier whose results were never marked posted (a
    crash mid-way) is handed back again, so the results go out at least once; not while a
    retry of their post is pending. The caller posts them, then calls
    `menu_posts.after_post`, which marks them posted."""
    async with rt.db.transaction() as tx:
        closed = await store.close_round(tx, round_id, _now(rt))
        rnd = await store.get_round(tx, round_id)
        if closed and by is not None and rnd is not None:
            await cstore.audit(tx, rnd["community_id"], by, "menu_close", str(round_id))
    if rnd is None or rnd["status"] != "closed" or rnd["results_posted"]:
        return RoundClosed(closed)
    await rt.scheduler.cancel(close_key(round_id))
    await rt.scheduler.cancel(remind_key(round_id))
    retry = await jobs.get_by_key(rt.db, post_key(Post.RESULTS, round_id))
    if retry is not None and retry["status"] in ("pending", "running"):
        return RoundClosed(closed)  # a failed post is being retried: that job finishes it
    return RoundClosed(closed, await publication(rt, round_id))


async def publication(rt: Runtime, round_id: int) -> Publication | None:
    """The final results of a closed round, to post (again) in its community's groups."""
    rnd = await store.get_round(rt.db, round_id)
    if rnd is None or rnd["status"] != "closed":
        return None
    community = await cstore.get_community(rt.db, rnd["community_id"])
    assert community is not None
    return Publication(
        rnd,
        community["name"],
        await store.results(rt.db, round_id, community["id"]),
        [g["chat_id"] for g in await cstore.groups_of(rt.db, community["id"])],
    )


@dataclass(frozen=True)
class Reminder:
    round: Row
    community_name: str
    residents: list[int]  # people whose household (or who, per person) has not ordered
    groups: list[int]


async def remind_round(rt: Runtime, round_id: int, now: datetime) -> Reminder | None:
    """The reminder job, a day before the deadline: who still has to order. None when the
    round is not open, or the bot was down until (nearly) the deadline."""
    rnd = await store.get_round(rt.db, round_id)
    if rnd is None or rnd["status"] != "open":
        return None
    if (
        rnd["deadline"] is not None
        and now.timestamp() >= float(rnd["deadline"]) - REMIND_CUTOFF.total_seconds()
    ):
        return None
    community = await cstore.get_community(rt.db, rnd["community_id"])
    assert community is not None
    missing = await store.members_without_order(
        rt.db, round_id, rnd["community_id"], bool(rnd["per_person"])
    )
    return Reminder(
        rnd,
        community["name"],
        [r["user_id"] for r in missing],
        [g["chat_id"] for g in await cstore.groups_of(rt.db, rnd["community_id"])],
    )


# ---- a wish typed as a sentence ("我要加装电梯") ------------------------------------------------
@dataclass(frozen=True)
class Wish:
    round: Row | None  # the open round, else the last closed one, else none at all
    item: Row | None  # the item of that round the wish names, if it is on the menu


async def wish(rt: Runtime, community_id: int, word: str) -> Wish:
    """Where a wish for `word` (Simplified, e.g. "电梯") stands: on the open round's menu, on
    the last closed one (with its progress), or nowhere yet."""
    rnd = await store.current_round(rt.db, community_id)
    if rnd is None:
        return Wish(None, None)
    if rnd["status"] == "open":
        items = await store.items(rt.db, rnd["id"])
    else:  # ordering is over: any earlier round's item, with the progress of its name
        items = await store.progress_items(rt.db, community_id)
    return Wish(rnd, next((i for i in items if word in normalize(i["name"])), None))
