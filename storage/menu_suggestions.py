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
