"""SQL of the garbage-sorting look-up: the questions nobody could answer yet."""

from __future__ import annotations

from storage.db import Executor, Row


async def log_unknown(ex: Executor, query: str, now: float) -> None:
    """Count one more ask of an unanswered (normalised) query."""
    await ex.execute(
        "INSERT INTO sorting_unknown (query, first_asked, last_asked) VALUES (?, ?, ?) "
        "ON CONFLICT(query) DO UPDATE SET asked = asked + 1, last_asked = excluded.last_asked",
        (query, now, now),
    )


async def top_unknown(ex: Executor, limit: int = 20) -> list[Row]:
    return await ex.fetchall(
        "SELECT query, asked, last_asked FROM sorting_unknown "
        "ORDER BY asked DESC, last_asked DESC LIMIT ?",
        (limit,),
    )


async def city_of(ex: Executor, community_id: int) -> str | None:
    """The city code whose sorting rules the community follows (None: national)."""
    value = await ex.fetchval(
        "SELECT city FROM sorting_city WHERE community_id = ?", (community_id,)
    )
    return None if value is None else str(value)


async def set_city(ex: Executor, community_id: int, city: str, now: float) -> None:
    await ex.execute(
        "INSERT INTO sorting_city (community_id, city, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(community_id) DO UPDATE SET city = excluded.city, "
        "updated_at = excluded.updated_at",
        (community_id, city, now),
    )
