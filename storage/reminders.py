"""SQL for notices, meeting answers, care visits and the at-most-once send ledger."""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Executor, Row


# ---- notices -------------------------------------------------------------------------------
async def create_notice(
    ex: Executor,
    community_id: int,
    target_chat: int | None,
    text: str,
    schedule: str,
    is_meeting: bool,
    created_by: int,
) -> int:
    return await ex.insert(
        "INSERT INTO notices (community_id, target_chat, text, schedule, is_meeting, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (community_id, target_chat, text, schedule, int(is_meeting), created_by),
    )


async def get_notice(ex: Executor, notice_id: int) -> Row | None:
    return await ex.fetchone("SELECT * FROM notices WHERE id = ?", (notice_id,))


async def list_notices(ex: Executor, community_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT * FROM notices WHERE community_id = ? AND status IN ('active', 'paused') "
        "ORDER BY coalesce(next_run, 1e18), id LIMIT 30",
        (community_id,),
    )


async def update_notice(ex: Executor, notice_id: int, **fields: object) -> None:
    allowed = {"text", "schedule", "status", "next_run"}
    if not fields or set(fields) - allowed:
        raise ValueError(f"cannot update {set(fields) - allowed}")
    sets = ", ".join(f"{name} = ?" for name in fields)
    await ex.execute(f"UPDATE notices SET {sets} WHERE id = ?", (*fields.values(), notice_id))


async def set_rsvp(ex: Executor, notice_id: int, user_id: int, name: str, answer: str) -> None:
    await ex.execute(
        "INSERT INTO rsvps (notice_id, user_id, name, answer) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(notice_id, user_id) DO UPDATE SET answer = excluded.answer, "
        "name = excluded.name, at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        (notice_id, user_id, name, answer),
    )


async def rsvps(ex: Executor, notice_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT * FROM rsvps WHERE notice_id = ? ORDER BY at, user_id", (notice_id,)
    )


# ---- the send ledger -----------------------------------------------------------------------
async def claim_send(ex: Executor, send_key: str, target: int) -> bool:
    """Record the intent to send before sending; False when this target was already claimed
    (sent, or interrupted mid-send by a crash: then it is not sent again)."""
    n = await ex.execute(
        "INSERT INTO sends (send_key, target) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (send_key, target),
    )
    return n == 1


async def finish_send(
    ex: Executor, send_key: str, target: int, status: str, message_id: int | None = None
) -> None:
    await ex.execute(
        "UPDATE sends SET status = ?, message_id = ? WHERE send_key = ? AND target = ?",
        (status, message_id, send_key, target),
    )


async def send_status(ex: Executor, send_key: str) -> dict[int, str]:
    rows = await ex.fetchall("SELECT target, status FROM sends WHERE send_key = ?", (send_key,))
    return {r["target"]: r["status"] for r in rows}


async def is_blocked(ex: Executor, user_id: int) -> bool:
    return bool(await ex.fetchval("SELECT blocked FROM users WHERE id = ?", (user_id,)))


# ---- care visits ---------------------------------------------------------------------------
async def create_care(
    ex: Executor,
    community_id: int,
    name: str,
    building: str,
    unit: str,
    room: str,
    rhythm: str,
    created_by: int,
    volunteers: Iterable[int],
) -> int:
    care_id = await ex.insert(
        "INSERT INTO care_people (community_id, name, building, unit, room, rhythm, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (community_id, name, building, unit, room, rhythm, created_by),
    )
    for user_id in volunteers:
        await ex.execute(
            "INSERT OR IGNORE INTO care_volunteers (care_id, user_id) VALUES (?, ?)",
            (care_id, user_id),
        )
    return care_id


async def get_care(ex: Executor, care_id: int) -> Row | None:
    return await ex.fetchone("SELECT * FROM care_people WHERE id = ?", (care_id,))


async def care_volunteers(ex: Executor, care_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT u.* FROM care_volunteers v JOIN users u ON u.id = v.user_id "
        "WHERE v.care_id = ? ORDER BY u.id",
        (care_id,),
    )


async def cares_of_community(ex: Executor, community_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT * FROM care_people WHERE community_id = ? AND active = 1 ORDER BY id",
        (community_id,),
    )


async def cares_of_volunteer(ex: Executor, user_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT p.* FROM care_people p JOIN care_volunteers v ON v.care_id = p.id "
        "WHERE v.user_id = ? AND p.active = 1 ORDER BY p.id",
        (user_id,),
    )


async def set_care_active(ex: Executor, care_id: int, active: bool) -> None:
    await ex.execute("UPDATE care_people SET active = ? WHERE id = ?", (int(active), care_id))


async def open_visit(ex: Executor, care_id: int, due_at: float) -> int:
    await ex.execute(
        "INSERT OR IGNORE INTO care_visits (care_id, due_at) VALUES (?, ?)", (care_id, due_at)
    )
    return int(
        await ex.fetchval(
            "SELECT id FROM care_visits WHERE care_id = ? AND due_at = ?", (care_id, due_at)
        )
    )


async def get_visit(ex: Executor, visit_id: int) -> Row | None:
    return await ex.fetchone(
        "SELECT v.*, p.community_id, p.name, p.building, p.unit, p.room, p.active "
        "FROM care_visits v JOIN care_people p ON p.id = v.care_id WHERE v.id = ?",
        (visit_id,),
    )


async def record_visit(
    ex: Executor, visit_id: int, status: str, user_id: int, note: str | None = None
) -> None:
    await ex.execute(
        "UPDATE care_visits SET status = ?, note = coalesce(?, note), recorded_by = ?, "
        "recorded_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
        (status, note, user_id, visit_id),
    )


async def mark_overdue(ex: Executor, visit_id: int) -> bool:
    n = await ex.execute(
        "UPDATE care_visits SET status = 'overdue' WHERE id = ? AND status = 'pending'", (visit_id,)
    )
    return n == 1


async def last_visits(ex: Executor, care_id: int, limit: int = 3) -> list[Row]:
    return await ex.fetchall(
        "SELECT * FROM care_visits WHERE care_id = ? ORDER BY due_at DESC LIMIT ?", (care_id, limit)
    )
