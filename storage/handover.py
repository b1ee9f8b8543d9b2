"""Updates a fenced instance hands to the next active one (bot/serve.py): portable SQL."""

from __future__ import annotations

from storage.db import Executor


async def put(ex: Executor, rows: list[tuple[int, str]], now: float) -> None:
    """Store (update_id, payload) rows; one already there stays (a retried hand-over)."""
    await ex.executemany(
        "INSERT INTO update_handover (update_id, payload, created) VALUES (?, ?, ?) "
        "ON CONFLICT (update_id) DO NOTHING",
        [(update_id, payload, now) for update_id, payload in rows],
    )


async def take(ex: Executor) -> list[tuple[int, str]]:
    """Remove and return every handed-over update, oldest first. One statement: an update is
    taken by one instance once (and lost, never doubled, if that one dies handling it).
    A read first: the DELETE takes SQLite's write lock, which an empty table does not need."""
    if await ex.fetchone("SELECT update_id FROM update_handover LIMIT 1") is None:
        return []
    rows = await ex.fetchall("DELETE FROM update_handover RETURNING update_id, payload")
    return sorted((int(r["update_id"]), str(r["payload"])) for r in rows)
