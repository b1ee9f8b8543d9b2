"""Workflows of real turnout: staff set each building's real number of households
(`/households`), and grid workers see which registered households of their buildings have not
ordered in the open round (`/menu_unordered`), to visit them and enter a paper order.

Who may see what is decided here: staff (and bot admins) set the figures and see every
building, as counts, or one building's households when they name it; a grid worker sees the
households of their own buildings only. Rendered by handlers/menu_turnout.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.community import building_sort_key
from bot.runtime import Runtime
from storage import community as cstore
from storage import menu as store
from storage.db import Executor, Row


@dataclass(frozen=True)
class BuildingFigures:
    building: str
    households: int | None  # staff's real count, if set
    registered: int  # households with a registered resident


async def _figures(ex: Executor, community_id: int) -> list[BuildingFigures]:
    real = await cstore.building_households(ex, community_id)
    registered = await cstore.registered_by_building(ex, community_id)
    return [
        BuildingFigures(b, real.get(b), registered.get(b, 0))
        for b in sorted(set(real) | set(registered), key=building_sort_key)
    ]


async def households_table(rt: Runtime, community_id: int) -> list[BuildingFigures]:
    """Each building's real count (if set) beside its registered households."""
    return await _figures(rt.db, community_id)


async def set_households(
    rt: Runtime, community_id: int, user_id: int, entries: dict[str, int | None]
) -> list[BuildingFigures] | None:
    """Write staff's figures (None takes one away), audited, all or nothing. Returns the
    table as it is now, or None when the person is not staff here (nothing written)."""
    now = rt.clock.now().timestamp()
    async with rt.db.transaction() as tx:
        roles = await cstore.roles_of(tx, user_id, community_id)
        if "staff" not in roles and not rt.is_admin(user_id):
            return None
        for building, households in entries.items():
            await cstore.set_building_households(
                tx, community_id, building, households or 0, user_id, now
            )
            await cstore.audit(
                tx, community_id, user_id, "building_households", f"{building}={households or 0}"
            )
        return await _figures(tx, community_id)


class UnorderedRefusal(StrEnum):
    NO_ROUND = "no_round"  # no open round
    NOT_YOURS = "not_yours"  # not staff, or a grid worker asking about another's building
    NO_BUILDINGS = "no_buildings"  # a grid worker with no buildings assigned


@dataclass(frozen=True)
class BuildingTurnout:
    building: str
    waiting: int  # registered households without an order
    registered: int
    households: int | None  # staff's real count


@dataclass(frozen=True)
class Unordered:
    """Either `households` (a grid worker's, or one building for staff) or, for staff who
    named no building, `counts` per building."""

    refused: UnorderedRefusal | None = None
    round: Row | None = None
    buildings: list[str] = field(default_factory=list)  # what the list covers
    households: list[dict[str, Any]] = field(default_factory=list)
    counts: list[BuildingTurnout] = field(default_factory=list)
    staff: bool = False


async def unordered(
    rt: Runtime, community_id: int, user_id: int, building: str | None = None
) -> Unordered:
    rnd = await store.active_round(rt.db, community_id)
    if rnd is None or rnd["status"] != "open":
        return Unordered(UnorderedRefusal.NO_ROUND)
    roles = await cstore.roles_of(rt.db, user_id, community_id)
    staff = "staff" in roles or rt.is_admin(user_id)
    mine = await cstore.buildings_of(rt.db, community_id, user_id)
    if staff:
        if building is None:
            return Unordered(None, rnd, counts=await _counts(rt.db, rnd, community_id), staff=True)
        wanted = [building]
    elif "grid_worker" not in roles:
        return Unordered(UnorderedRefusal.NOT_YOURS)
    elif building is not None:
        if building not in mine:
            return Unordered(UnorderedRefusal.NOT_YOURS)
        wanted = [building]
    elif not mine:
        return Unordered(UnorderedRefusal.NO_BUILDINGS)
    else:
        wanted = sorted(mine, key=building_sort_key)
    rows = await store.households_without_order(rt.db, rnd["id"], community_id, wanted)
    rows.sort(key=lambda h: (building_sort_key(h["building"]), h["unit"], h["room"]))
    return Unordered(None, rnd, wanted, rows, staff=staff)


async def _counts(ex: Executor, rnd: Row, community_id: int) -> list[BuildingTurnout]:
    figures = await _figures(ex, community_id)
    names = [f.building for f in figures]
    waiting: dict[str, int] = {}
    for h in await store.households_without_order(ex, rnd["id"], community_id, names):
        waiting[h["building"]] = waiting.get(h["building"], 0) + 1
    return [
        BuildingTurnout(f.building, waiting.get(f.building, 0), f.registered, f.households)
        for f in figures
    ]
