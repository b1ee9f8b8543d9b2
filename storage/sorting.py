"""SQL of the garbage-sorting look-up: the questions nobody could answer yet, per community."""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Executor, Row


async def log_unknown(ex: Executor, community_id: int, query: str, now: float) -> None:
    """Count one more ask of an unanswered (normalised, masked) query in a community."""
    await ex.execute(
        "INSERT INTO sorting_unknown_by_community (community_id, query, first_asked, last_asked) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(community_id, query) DO UPDATE "
        "SET asked = sorting_unknown_by_community.asked + 1, last_asked = excluded.last_asked",
        (community_id, query, now, now),
    )


async def top_unknown(
    ex: Executor, community_ids: Sequence[int] | None, limit: int = 20
) -> list[Row]:
    """The most asked unknown queries of these communities (None: of all), summed over them."""
    where = ""
    params: list[object] = []
    if community_ids is not None:
        where = f"WHERE community_id IN ({','.join('?' * len(community_ids))}) "
        params = list(community_ids)
    return await ex.fetchall(
        "SELECT query, sum(asked) AS asked, max(last_asked) AS last_asked "
        f"FROM sorting_unknown_by_community {where}"
        "GROUP BY query ORDER BY asked DESC, last_asked DESC LIMIT ?",
        (*params, limit),
    )


async def city_of(ex: Executor, community_id: int) -> str | None:
    """The city code whose sorting rules the community follows (None: national)."""
    row = await ex.lookup("SELECT city FROM sorting_city WHERE community_id = ?", (community_id,))
    return None if row is None or row[0] is None else str(row[0])


async def set_city(ex: Executor, community_id: int, city: str, now: float) -> None:
    await ex.execute(
        "INSERT INTO sorting_city (community_id, city, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(community_id) DO UPDATE SET city = excluded.city, "
        "updated_at = excluded.updated_at",
        (community_id, city, now),
    )
