"""All SQL of the renovation menu. Functions take an Executor so they compose in a transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot import menu as rules
from storage import community as cstore
from storage.db import Executor, Row


# ---- rounds -----------------------------------------------------------------------------------
async def create_draft(
    ex: Executor,
    community_id: int,
    created_by: int,
    now: float,
    items: Iterable[str],
    origins: Mapping[str, int] | None = None,
) -> int | None:
    """A new draft with these items; None when the community already has one active. An item
    named in `origins` continues that item of an earlier round (its progress goes on)."""
    # ON CONFLICT, not a caught error: on PostgreSQL a failed statement spoils the transaction.
    rid = await ex.insert(
        "INSERT INTO menu_rounds (community_id, created_by, created_at, max_picks) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (community_id, created_by, now, rules.DEFAULT_K),
    )
    if not rid:
        return None
    origins = origins or {}
    await ex.executemany(
        "INSERT INTO menu_items (round_id, position, name, origin_id) VALUES (?, ?, ?, ?)",
        [(rid, pos, name, origins.get(name)) for pos, name in enumerate(items, start=1)],
    )
    await _own_origin(ex, rid)
    return rid


async def _own_origin(ex: Executor, round_id: int) -> None:
    """A new item (not carried over) starts a history of its own."""
    await ex.execute(
        "UPDATE menu_items SET origin_id = id WHERE round_id = ? AND origin_id IS NULL",
        (round_id,),
    )


async def get_round(ex: Executor, round_id: int) -> Row | None:
    return await ex.fetchone("SELECT * FROM menu_rounds WHERE id = ?", (round_id,))


async def active_round(ex: Executor, community_id: int) -> Row | None:
    """The draft or open round of a community (at most one, by a unique index)."""
    return await ex.fetchone(
        "SELECT * FROM menu_rounds WHERE community_id = ? AND status IN ('draft', 'open')",
        (community_id,),
    )


async def current_round(ex: Executor, community_id: int) -> Row | None:
    """The open round, else the last closed one."""
    return await ex.fetchone(
        "SELECT * FROM menu_rounds WHERE community_id = ? AND status IN ('open', 'closed') "
        "ORDER BY status = 'open' DESC, id DESC LIMIT 1",
        (community_id,),
    )


async def last_closed(ex: Executor, community_id: int) -> Row | None:
    return await ex.fetchone(
        "SELECT * FROM menu_rounds WHERE community_id = ? AND status = 'closed' "
        "ORDER BY id DESC LIMIT 1",
        (community_id,),
    )


async def settle(
    ex: Executor,
    round_id: int,
    *,
    max_picks: int,
    per_person: bool,
    live: bool,
    deadline: float | None,
) -> bool:
    n = await ex.execute(
        "UPDATE menu_rounds SET max_picks = ?, per_person = ?, live = ?, deadline = ? "
        "WHERE id = ? AND status = 'draft'",
        (max_picks, int(per_person), int(live), deadline, round_id),
    )
    return n == 1


async def open_round(ex: Executor, round_id: int, now: float) -> bool:
    n = await ex.execute(
        "UPDATE menu_rounds SET status = 'open', opened_at = ? WHERE id = ? AND status = 'draft'",
        (now, round_id),
    )
    return n == 1


async def close_round(ex: Executor, round_id: int, now: float) -> bool:
    """open → closed; False if it was not open (already closed: idempotent)."""
    n = await ex.execute(
        "UPDATE menu_rounds SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
        (now, round_id),
    )
    return n == 1


async def reopen_round(ex: Executor, round_id: int, deadline: float | None) -> bool:
    """closed → open again with a new deadline; False when it was not closed or the
    community has another round in preparation or open (one active round per community)."""
    # The active-round check is in the statement, not a caught IntegrityError: on
    # PostgreSQL a failed statement spoils the whole transaction.
    n = await ex.execute(
        "UPDATE menu_rounds SET status = 'open', closed_at = NULL, results_posted = 0, "
        "deadline = ? WHERE id = ? AND status = 'closed' AND NOT EXISTS ("
        "SELECT 1 FROM menu_rounds o WHERE o.community_id = menu_rounds.community_id "
        "AND o.status IN ('draft', 'open') AND o.id <> menu_rounds.id)",
        (deadline, round_id),
    )
    return n == 1


async def set_deadline(ex: Executor, round_id: int, deadline: float | None) -> bool:
    n = await ex.execute(
        "UPDATE menu_rounds SET deadline = ? WHERE id = ? AND status = 'open'",
        (deadline, round_id),
    )
    return n == 1


async def discard_draft(ex: Executor, round_id: int) -> bool:
    n = await ex.execute("DELETE FROM menu_rounds WHERE id = ? AND status = 'draft'", (round_id,))
    return n == 1


async def mark_posted(ex: Executor, round_id: int, value: int = 1) -> None:
    """1: every group has the results; 2: a group did not, and staff were told."""
    await ex.execute("UPDATE menu_rounds SET results_posted = ? WHERE id = ?", (value, round_id))


# ---- items ------------------------------------------------------------------------------------
# An item's progress is the latest note (menu_progress_notes, which knows 暂不实施) on any row
# of the same item (origin_id: a round carries over what is not done yet, and an item set 施工中
# in round 1 is still being built while round 2 runs), else the older column; the note and its
# date come along for the views. The index on origin_id keeps it to that item's few rows.
def _latest(column: str) -> str:
    return (
        f"(SELECT n.{column} FROM menu_items s "
        "JOIN menu_progress_notes n ON n.item_id = s.id "
        "WHERE s.origin_id = i.origin_id ORDER BY n.id DESC LIMIT 1)"
    )


_ITEM = (
    "SELECT i.id, i.round_id, i.position, i.name, i.description, i.removed, i.origin_id, "
    f"coalesce({_latest('state')}, i.progress) AS progress, "
    f"coalesce({_latest('note')}, '') AS progress_note, {_latest('at')} AS progress_at "
    "FROM menu_items i "
)


async def items(ex: Executor, round_id: int) -> list[Row]:
    return await ex.fetchall(
        _ITEM + "WHERE i.round_id = ? AND i.removed = 0 ORDER BY i.position, i.id",
        (round_id,),
    )


async def progress_items(ex: Executor, community_id: int) -> list[Row]:
    """Every item a closed round of the community offered, once (its latest round's row, with
    the progress of all its rows): the newest round's first, in menu order."""
    return await ex.fetchall(
        _ITEM + "JOIN menu_rounds r ON r.id = i.round_id "
        "WHERE r.community_id = ? AND r.status = 'closed' AND i.removed = 0 "
        "AND NOT EXISTS (SELECT 1 FROM menu_items j JOIN menu_rounds rj ON rj.id = j.round_id "
        "WHERE j.origin_id = i.origin_id AND j.round_id > i.round_id AND j.removed = 0 "
        "AND rj.status = 'closed') "
        "ORDER BY i.round_id DESC, i.position, i.id",
        (community_id,),
    )


async def get_item(ex: Executor, round_id: int, item_id: int) -> Row | None:
    return await ex.fetchone(
        _ITEM + "WHERE i.id = ? AND i.round_id = ? AND i.removed = 0",
        (item_id, round_id),
    )


async def editable(ex: Executor, round_id: int) -> bool:
    """Items change only while the round is a draft and nobody has ordered."""
    row = await ex.fetchone(
        "SELECT status, EXISTS (SELECT 1 FROM menu_orders WHERE round_id = r.id) AS ordered "
        "FROM menu_rounds r WHERE id = ?",
        (round_id,),
    )
    return row is not None and row["status"] == "draft" and not row["ordered"]


async def add_item(ex: Executor, round_id: int, name: str) -> int:
    pos = await ex.fetchval(
        "SELECT coalesce(max(position), 0) + 1 FROM menu_items WHERE round_id = ?", (round_id,)
    )
    item_id = await ex.insert(
        "INSERT INTO menu_items (round_id, position, name) VALUES (?, ?, ?)", (round_id, pos, name)
    )
    await _own_origin(ex, round_id)
    return item_id


async def rename_item(ex: Executor, round_id: int, item_id: int, name: str) -> bool:
    return (
        await ex.execute(
            "UPDATE menu_items SET name = ? WHERE id = ? AND round_id = ? AND removed = 0",
            (name, item_id, round_id),
        )
        == 1
    )


async def describe_item(ex: Executor, round_id: int, item_id: int, text: str) -> bool:
    return (
        await ex.execute(
            "UPDATE menu_items SET description = ? WHERE id = ? AND round_id = ? AND removed = 0",
            (text, item_id, round_id),
        )
        == 1
    )


async def remove_item(ex: Executor, round_id: int, item_id: int) -> bool:
    return (
        await ex.execute(
            "UPDATE menu_items SET removed = 1 WHERE id = ? AND round_id = ? AND removed = 0",
            (item_id, round_id),
        )
        == 1
    )


async def set_progress(
    ex: Executor, round_id: int, item_id: int, progress: str, *, note: str, at: float, by: int
) -> int | None:
    """A new progress note (the item's progress from now on); None for an unknown item."""
    if await get_item(ex, round_id, item_id) is None:
        return None
    if progress != rules.Progress.PAUSED:  # the column's CHECK predates 暂不实施
        await ex.execute(
            "UPDATE menu_items SET progress = ? WHERE id = ? AND round_id = ?",
            (progress, item_id, round_id),
        )
    return await ex.insert(
        "INSERT INTO menu_progress_notes (round_id, item_id, state, note, at, set_by) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (round_id, item_id, progress, note, at, by),
    )


async def progress_note(ex: Executor, note_id: int) -> Row | None:
    return await ex.fetchone(
        "SELECT n.*, i.name AS item_name FROM menu_progress_notes n "
        "JOIN menu_items i ON i.id = n.item_id WHERE n.id = ?",
        (note_id,),
    )


async def residents_who_ordered(ex: Executor, round_id: int, item_id: int) -> list[int]:
    """The registered residents of every household that ordered the item (online or on
    paper), in any round that offered it (a round carries over what is not done yet): they
    are told privately when its progress changes."""
    rows = await ex.fetchall(
        "SELECT DISTINCT r.user_id FROM menu_items item "
        "JOIN menu_items same ON same.origin_id = item.origin_id "
        "JOIN menu_picks p ON p.item_id = same.id "
        "JOIN menu_orders o ON o.id = p.order_id AND o.round_id = same.round_id "
        "JOIN residents r ON r.household_id = o.household_id "
        "WHERE item.id = ? AND item.round_id = ? ORDER BY r.user_id",
        (item_id, round_id),
    )
    return [r["user_id"] for r in rows]


async def households_ordered(ex: Executor, round_id: int) -> int:
    return int(
        await ex.fetchval(
            "SELECT count(DISTINCT household_id) FROM menu_orders WHERE round_id = ?", (round_id,)
        )
        or 0
    )


# ---- orders -----------------------------------------------------------------------------------
def voter_key(*, household_id: int, user_id: int | None, per_person: bool, paper: bool) -> str:
    if not per_person:
        return f"h{household_id}"
    return f"p{household_id}" if paper or user_id is None else f"u{user_id}"


@dataclass(frozen=True)
class Placed:
    ok: bool
    reason: str = ""  # closed | too_many | unknown_item
    replaced: bool = False  # an earlier order of this voter was replaced
    version: int = 0


async def place_order(
    tx: Executor,
    round_id: int,
    *,
    household_id: int,
    user_id: int | None,
    picks: list[int],
    now: float,
    paper: bool = False,
    entered_by: int | None = None,
) -> Placed:
    """Check and write in one transaction: round open, before deadline, items valid, ≤ K."""
    rnd = await get_round(tx, round_id)
    if (
        rnd is None
        or rnd["status"] != "open"
        or (rnd["deadline"] is not None and now >= rnd["deadline"])
    ):
        return Placed(False, "closed")
    valid = [r["id"] for r in await items(tx, round_id)]
    problem = rules.check_order(picks, rnd["max_picks"], valid)
    if problem is not None:
        return Placed(False, str(problem))
    voter = voter_key(
        household_id=household_id, user_id=user_id, per_person=bool(rnd["per_person"]), paper=paper
    )
    before = await tx.fetchone(
        "SELECT id, version FROM menu_orders WHERE round_id = ? AND voter = ?", (round_id, voter)
    )
    if before is None:
        order_id = await tx.insert(
            "INSERT INTO menu_orders (round_id, voter, household_id, user_id, entered_by, paper, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (round_id, voter, household_id, user_id, entered_by, int(paper), now),
        )
        version = 1
    else:
        order_id, version = before["id"], before["version"] + 1
        await tx.execute(
            "UPDATE menu_orders SET user_id = ?, entered_by = ?, paper = ?, version = ?, "
            "updated_at = ? WHERE id = ?",
            (user_id, entered_by, int(paper), version, now, order_id),
        )
        await tx.execute("DELETE FROM menu_picks WHERE order_id = ?", (order_id,))
    await tx.executemany(
        "INSERT INTO menu_picks (order_id, item_id) VALUES (?, ?)", [(order_id, i) for i in picks]
    )
    return Placed(True, replaced=before is not None, version=version)


async def order_of(ex: Executor, round_id: int, voter: str) -> tuple[Row | None, list[int]]:
    row = await ex.fetchone(
        "SELECT o.*, u.first_name FROM menu_orders o LEFT JOIN users u ON u.id = o.user_id "
        "WHERE o.round_id = ? AND o.voter = ?",
        (round_id, voter),
    )
    if row is None:
        return None, []
    picks = await ex.fetchall(
        "SELECT p.item_id FROM menu_picks p JOIN menu_items i ON i.id = p.item_id "
        "WHERE p.order_id = ? ORDER BY i.position",
        (row["id"],),
    )
    return row, [p["item_id"] for p in picks]


async def confirmed_household(ex: Executor, round_id: int, user_id: int) -> int | None:
    """The household this person confirmed an order for in this round, if any."""
    value = await ex.fetchval(
        "SELECT household_id FROM menu_confirmers WHERE round_id = ? AND user_id = ?",
        (round_id, user_id),
    )
    return None if value is None else int(value)


async def claim_household(
    ex: Executor, round_id: int, user_id: int, household_id: int, now: float
) -> None:
    """Remember the first household a person confirmed for (later calls change nothing)."""
    await ex.execute(
        "INSERT INTO menu_confirmers (round_id, user_id, household_id, at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (round_id, user_id) DO NOTHING",
        (round_id, user_id, household_id, now),
    )


@dataclass(frozen=True)
class Online:
    """A household's orders confirmed online in a round. `token` grows with every change (a
    new order, or a new version of one), so a confirmation can name the state it saw."""

    token: int
    item_ids: list[int]


async def online_orders(ex: Executor, round_id: int, household_id: int) -> Online:
    token = await ex.fetchval(
        "SELECT coalesce(sum(version), 0) FROM menu_orders "
        "WHERE round_id = ? AND household_id = ? AND paper = 0",
        (round_id, household_id),
    )
    picks = await ex.fetchall(
        "SELECT DISTINCT p.item_id, i.position FROM menu_orders o "
        "JOIN menu_picks p ON p.order_id = o.id JOIN menu_items i ON i.id = p.item_id "
        "WHERE o.round_id = ? AND o.household_id = ? AND o.paper = 0 ORDER BY i.position",
        (round_id, household_id),
    )
    return Online(int(token), [r["item_id"] for r in picks])


async def household_at(
    ex: Executor, community_id: int, round_id: int, building: str, unit: str, room: str
) -> Row | None:
    """The household at an address, whether anyone is registered there (`registered`) and
    whether it already ordered in this round (`ordered`); None when the bot never saw it."""
    return await ex.fetchone(
        "SELECT h.*, EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id) "
        "AS registered, EXISTS (SELECT 1 FROM menu_orders o WHERE o.household_id = h.id "
        "AND o.round_id = ?) AS ordered FROM households h "
        "WHERE h.community_id = ? AND h.building = ? AND h.unit = ? AND h.room = ?",
        (round_id, community_id, building, unit, room),
    )


async def members_to_tell(ex: Executor, household_id: int, *, but: int | None = None) -> list[Row]:
    """A household's residents who can be messaged privately, except `but`."""
    return await ex.fetchall(
        "SELECT r.user_id FROM residents r JOIN users u ON u.id = r.user_id "
        "WHERE r.household_id = ? AND u.started = 1 AND u.blocked = 0 AND r.user_id != ? "
        "ORDER BY r.user_id",
        (household_id, 0 if but is None else but),
    )


async def counts(
    ex: Executor, round_id: int, community_id: int, *, first: int | None = None
) -> rules.Counts:
    """Aggregates for bot.menu.tally, computed in SQL so a big round stays cheap. Everything
    counts households: several members, or a member and a paper order, count once. `first`:
    only the households that ordered first, that many (a group's live tally, see
    rules.public_batch)."""
    only = ""
    more: tuple[int, ...] = ()
    if first is not None:
        only = (
            " AND household_id IN (SELECT household_id FROM menu_orders WHERE round_id = ?"
            " GROUP BY household_id ORDER BY min(id) LIMIT ?)"
        )
        more = (round_id, first)
    cells = await ex.fetchall(
        "SELECT p.item_id, h.building, count(DISTINCT o.household_id) AS n "
        "FROM menu_orders o JOIN menu_picks p ON p.order_id = o.id "
        "JOIN households h ON h.id = o.household_id WHERE o.round_id = ?"
        + only.replace("household_id IN", "o.household_id IN", 1)
        + " GROUP BY 1, 2",
        (round_id, *more),
    )
    participants = await ex.fetchall(
        "SELECT h.building, count(DISTINCT o.household_id) AS n FROM menu_orders o "
        "JOIN households h ON h.id = o.household_id WHERE o.round_id = ?"
        + only.replace("household_id IN", "o.household_id IN", 1)
        + " GROUP BY 1",
        (round_id, *more),
    )
    # Per building: registered households, plus households known only from an order.
    known = await ex.fetchall(
        "SELECT h.building, count(*) AS n FROM households h WHERE h.id IN ("
        " SELECT household_id FROM residents WHERE community_id = ?"
        " UNION SELECT household_id FROM menu_orders WHERE round_id = ?" + only + ") GROUP BY 1",
        (community_id, round_id, *more),
    )
    # 登记户数 counts homes with a registered resident only; a paper-only household took
    # part but is not registered.
    totals = await ex.fetchone(
        "WITH registered AS (SELECT DISTINCT household_id AS id FROM residents "
        " WHERE community_id = ?), "
        "took_part AS (SELECT household_id AS id, min(paper) AS paper FROM menu_orders "
        " WHERE round_id = ?" + only + " GROUP BY household_id) "
        "SELECT (SELECT count(*) FROM registered) AS registered, "
        "(SELECT count(*) FROM took_part WHERE id IN (SELECT id FROM registered)) AS reg_part, "
        "(SELECT count(*) FROM took_part WHERE paper = 1) AS paper",
        (community_id, round_id, *more),
    )
    assert totals is not None
    return rules.Counts(
        {(r["item_id"], r["building"]): r["n"] for r in cells},
        {r["building"]: r["n"] for r in participants},
        {r["building"]: r["n"] for r in known},
        registered=int(totals["registered"]),
        registered_participants=int(totals["reg_part"]),
        paper=int(totals["paper"]),
    )


async def results(
    ex: Executor, round_id: int, community_id: int, *, first: int | None = None
) -> rules.Results:
    menu = [rules.Item(r["id"], r["name"], r["position"]) for r in await items(ex, round_id)]
    real = await cstore.building_households(ex, community_id)
    return rules.tally(menu, await counts(ex, round_id, community_id, first=first), real)


async def live_results(ex: Executor, round_id: int, community_id: int) -> rules.Results:
    """A live tally for a group: the households that ordered first, in whole batches
    (rules.public_batch), so two tallies a moment apart never differ by one household's order.
    `waiting` says how many are not in it yet."""
    full = await results(ex, round_id, community_id)
    shown = rules.public_batch(full.participants)
    if shown == full.participants:
        return full
    return replace(
        await results(ex, round_id, community_id, first=shown), waiting=full.participants - shown
    )


async def orders_for_export(ex: Executor, round_id: int) -> list[dict[str, Any]]:
    """Each order with its household and `items` (the picked names, in menu order). Two plain
    queries joined here: group_concat is SQLite's, PostgreSQL spells it string_agg."""
    orders = await ex.fetchall(
        "SELECT o.id, h.building, h.unit, h.room, o.paper, o.updated_at, o.voter "
        "FROM menu_orders o JOIN households h ON h.id = o.household_id "
        "WHERE o.round_id = ? ORDER BY h.building, h.unit, h.room, o.id",
        (round_id,),
    )
    picked: dict[int, list[str]] = {}
    for pick in await ex.fetchall(
        "SELECT p.order_id, i.name FROM menu_picks p JOIN menu_orders o ON o.id = p.order_id "
        "JOIN menu_items i ON i.id = p.item_id WHERE o.round_id = ? ORDER BY i.position, i.id",
        (round_id,),
    ):
        picked.setdefault(pick["order_id"], []).append(pick["name"])
    return [{**dict(o), "items": picked.get(o["id"], [])} for o in orders]


async def members_without_order(
    ex: Executor, round_id: int, community_id: int, per_person: bool
) -> list[Row]:
    """Residents to remind: started the bot, not blocked, household (or self) not ordered."""
    mine = (
        "o.user_id = r.user_id OR (o.paper = 1 AND o.household_id = r.household_id)"
        if per_person
        else "o.household_id = r.household_id"
    )
    return await ex.fetchall(
        "SELECT r.user_id, r.household_id FROM residents r JOIN users u ON u.id = r.user_id "
        "WHERE r.community_id = ? AND u.started = 1 AND u.blocked = 0 AND NOT EXISTS ("
        f" SELECT 1 FROM menu_orders o WHERE o.round_id = ? AND ({mine})) ORDER BY r.user_id",
        (community_id, round_id),
    )


async def households_without_order(
    ex: Executor, round_id: int, community_id: int, buildings: Iterable[str]
) -> list[dict[str, Any]]:
    """Registered households of `buildings` with no order in the round (online or paper),
    each with `names`: its residents' display names, for a grid worker to go and ask."""
    wanted = sorted(set(buildings))
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    rows = await ex.fetchall(
        "SELECT h.id, h.building, h.unit, h.room, r.display_name, u.first_name "
        "FROM households h JOIN residents r ON r.household_id = h.id "
        "JOIN users u ON u.id = r.user_id "
        f"WHERE h.community_id = ? AND h.building IN ({marks}) AND NOT EXISTS ("
        " SELECT 1 FROM menu_orders o WHERE o.round_id = ? AND o.household_id = h.id) "
        "ORDER BY h.building, h.unit, h.room, r.user_id",
        (community_id, *wanted, round_id),
    )
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(
            row["id"],
            {k: row[k] for k in ("id", "building", "unit", "room")} | {"names": []},
        )
        name = row["display_name"] or row["first_name"]
        if name and name not in entry["names"]:
            entry["names"].append(name)
    return list(out.values())


# ---- comments and suggestions -----------------------------------------------------------------
async def add_comment(
    ex: Executor, round_id: int, item_id: int | None, user_id: int, text: str, now: float
) -> int:
    return await ex.insert(
        "INSERT INTO menu_comments (round_id, item_id, user_id, text, at) VALUES (?, ?, ?, ?, ?)",
        (round_id, item_id, user_id, text, now),
    )


async def comments_with_building(ex: Executor, round_id: int, community_id: int) -> list[Row]:
    """For the export: each comment with the writer's building (never the unit or room)."""
    return await ex.fetchall(
        "SELECT c.id, c.item_id, c.text, c.at, i.name AS item_name, h.building "
        "FROM menu_comments c LEFT JOIN menu_items i ON i.id = c.item_id "
        "LEFT JOIN residents r ON r.user_id = c.user_id AND r.community_id = ? "
        "LEFT JOIN households h ON h.id = r.household_id "
        "WHERE c.round_id = ? ORDER BY c.at, c.id",
        (community_id, round_id),
    )


async def comments(ex: Executor, round_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT c.*, i.name AS item_name FROM menu_comments c "
        "LEFT JOIN menu_items i ON i.id = c.item_id WHERE c.round_id = ? "
        "ORDER BY c.item_id IS NOT NULL, i.position, c.id",
        (round_id,),
    )
