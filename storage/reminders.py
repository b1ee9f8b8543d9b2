"""SQL for notices, meeting answers and the at-most-once send ledger (used by care visits too)."""

from __future__ import annotations

from storage.db import Executor, Row
from storage.dialect import utc_stamp


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


async def set_rsvp(
    ex: Executor, notice_id: int, occ: float, user_id: int, name: str, answer: str
) -> None:
    """One answer per person and occurrence; a second one replaces the first."""
    await ex.execute(
        "INSERT INTO rsvps (notice_id, occ, user_id, name, answer, at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(notice_id, occ, user_id) DO UPDATE SET answer = excluded.answer, "
        "name = excluded.name, at = excluded.at",
        (notice_id, occ, user_id, name, answer, utc_stamp()),
    )


async def rsvps_from(ex: Executor, notice_id: int, occ: float) -> list[Row]:
    """The answers for this occurrence of a meeting and every later one, by occurrence."""
    return await ex.fetchall(
        "SELECT * FROM rsvps WHERE notice_id = ? AND occ >= ? ORDER BY occ, at, user_id",
        (notice_id, occ),
    )


async def rsvps(ex: Executor, notice_id: int, occ: float) -> list[Row]:
    """The answers for one occurrence of a meeting."""
    return await ex.fetchall(
        "SELECT * FROM rsvps WHERE notice_id = ? AND occ = ? ORDER BY at, user_id",
        (notice_id, occ),
    )


# ---- the send ledger -----------------------------------------------------------------------
async def claim_send(ex: Executor, send_key: str, target: int) -> bool:
    """Record the intent to send before sending; False when this target was already claimed
    (sent, or interrupted mid-send by a crash: then it is not sent again). A row waiting for a
    retry (provably not sent) is claimed again."""
    n = await ex.execute(
        "INSERT INTO sends (send_key, target) VALUES (?, ?) "
        "ON CONFLICT (send_key, target) DO UPDATE SET status = 'claimed', "
        "attempts = sends.attempts + 1 WHERE sends.status = 'retry'",
        (send_key, target),
    )
    return n == 1


async def retry_send(ex: Executor, send_key: str, target: int) -> int:
    """Mark a claimed send as provably not sent; returns how many times it was tried."""
    return int(
        await ex.fetchval(
            "UPDATE sends SET status = 'retry' WHERE send_key = ? AND target = ? "
            "RETURNING attempts",
            (send_key, target),
        )
    )


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


async def send_keys_from(ex: Executor, prefix: str) -> list[str]:
    """The ledger keys starting with `prefix` (the announcements of one meeting). A range, not
    LIKE: LIKE ignores case on SQLite and collation on PostgreSQL, and then reads every row."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = await ex.fetchall(
        "SELECT DISTINCT send_key FROM sends WHERE send_key >= ? AND send_key < ? "
        "ORDER BY send_key",
        (prefix, end),
    )
    return [r["send_key"] for r in rows]


async def is_blocked(ex: Executor, user_id: int) -> bool:
    return bool(await ex.fetchval("SELECT blocked FROM users WHERE id = ?", (user_id,)))


# ---- announcements -------------------------------------------------------------------------
async def create_announcement(
    ex: Executor,
    community_id: int,
    text: str,
    buildings: str | None,
    ack: bool,
    send_at: float,
    created_by: int,
) -> int:
    return await ex.insert(
        "INSERT INTO announcements (community_id, text, buildings, ack, send_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (community_id, text, buildings, int(ack), send_at, created_by),
    )


async def get_announcement(ex: Executor, announcement_id: int) -> Row | None:
    return await ex.fetchone("SELECT * FROM announcements WHERE id = ?", (announcement_id,))


async def set_announcement_status(ex: Executor, announcement_id: int, status: str) -> None:
    await ex.execute("UPDATE announcements SET status = ? WHERE id = ?", (status, announcement_id))


async def cancel_scheduled_announcement(ex: Executor, announcement_id: int) -> bool:
    """Compare-and-set: only an announcement still waiting can be taken back."""
    n = await ex.execute(
        "UPDATE announcements SET status = 'cancelled' WHERE id = ? AND status = 'scheduled'",
        (announcement_id,),
    )
    return n > 0


async def residents_in(ex: Executor, community_id: int, buildings: list[str] | None) -> list[int]:
    """Every registered resident of the community, or of these buildings (one id per person)."""
    if buildings is None:
        rows = await ex.fetchall(
            "SELECT DISTINCT user_id FROM residents WHERE community_id = ? ORDER BY user_id",
            (community_id,),
        )
    else:
        marks = ", ".join("?" for _ in buildings)
        rows = await ex.fetchall(
            "SELECT DISTINCT r.user_id FROM residents r JOIN households h ON h.id = r.household_id"
            f" WHERE r.community_id = ? AND h.building IN ({marks}) ORDER BY r.user_id",
            (community_id, *buildings),
        )
    return [r["user_id"] for r in rows]


async def was_sent(ex: Executor, send_key: str, target: int) -> bool:
    return bool(
        await ex.fetchval(
            "SELECT 1 FROM sends WHERE send_key = ? AND target = ? AND status = 'sent'",
            (send_key, target),
        )
    )


async def add_ack(ex: Executor, announcement_id: int, user_id: int) -> bool:
    """已知晓 pressed; False when this person had pressed it before."""
    n = await ex.execute(
        "INSERT INTO announcement_acks (announcement_id, user_id) VALUES (?, ?) "
        "ON CONFLICT DO NOTHING",
        (announcement_id, user_id),
    )
    return n == 1


async def count_acks(ex: Executor, announcement_id: int) -> int:
    return int(
        await ex.fetchval(
            "SELECT count(*) FROM announcement_acks WHERE announcement_id = ?", (announcement_id,)
        )
    )
