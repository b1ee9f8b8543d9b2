"""SQL for /suggestions: a round's suggestions and 议一议 comments with the writer's building."""

from __future__ import annotations

from storage.db import Executor, Row


async def newest(ex: Executor, round_id: int, community_id: int, limit: int) -> list[Row]:
    """Newest first; the building of the writer's household here (never the unit or room)."""
    return await ex.fetchall(
        "SELECT c.id, c.item_id, c.text, c.at, i.name AS item_name, h.building "
        "FROM menu_comments c LEFT JOIN menu_items i ON i.id = c.item_id "
        "LEFT JOIN residents r ON r.user_id = c.user_id AND r.community_id = ? "
        "LEFT JOIN households h ON h.id = r.household_id "
        "WHERE c.round_id = ? ORDER BY c.at DESC, c.id DESC LIMIT ?",
        (community_id, round_id, limit),
    )


# ---- the daily digest to staff -----------------------------------------------------------------
async def since(ex: Executor, community_id: int, after: int) -> list[Row]:
    """The community's comments after the one with id `after`, oldest first, with the
    building."""
    return await ex.fetchall(
        "SELECT c.id, c.item_id, c.text, c.at, i.name AS item_name, h.building "
        "FROM menu_comments c JOIN menu_rounds m ON m.id = c.round_id "
        "LEFT JOIN menu_items i ON i.id = c.item_id "
        "LEFT JOIN residents r ON r.user_id = c.user_id AND r.community_id = m.community_id "
        "LEFT JOIN households h ON h.id = r.household_id "
        "WHERE m.community_id = ? AND c.id > ? ORDER BY c.id",
        (community_id, after),
    )


async def last_sent(ex: Executor, community_id: int) -> int:
    value = await ex.fetchval(
        "SELECT last_comment FROM suggestion_digests WHERE community_id = ?", (community_id,)
    )
    return 0 if value is None else int(value)


async def mark_sent(ex: Executor, community_id: int, last_comment: int) -> None:
    await ex.execute(
        "INSERT INTO suggestion_digests (community_id, last_comment) VALUES (?, ?) "
        "ON CONFLICT (community_id) DO UPDATE SET last_comment = excluded.last_comment",
        (community_id, last_comment),
    )


async def digest_off(ex: Executor, community_id: int) -> set[int]:
    rows = await ex.fetchall(
        "SELECT user_id FROM suggestion_digest_off WHERE community_id = ?", (community_id,)
    )
    return {int(r["user_id"]) for r in rows}


async def set_digest(ex: Executor, community_id: int, user_id: int, on: bool) -> None:
    if on:
        await ex.execute(
            "DELETE FROM suggestion_digest_off WHERE community_id = ? AND user_id = ?",
            (community_id, user_id),
        )
    else:
        await ex.execute(
            "INSERT INTO suggestion_digest_off (community_id, user_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            (community_id, user_id),
        )
