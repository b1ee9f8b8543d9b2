"""SQL of the web dashboard: sign-in links, sessions, and the reads its pages need that the
chat's storage functions do not already give (those are reused: storage.menu.results,
storage.menu.comments, storage.reminders.list_notices, storage.community.building_households).

Portable SQL (SQLite and PostgreSQL); times are REAL epoch seconds written by Python.
"""

from __future__ import annotations

from storage.db import Executor, Row


# ---- sign-in links -----------------------------------------------------------------------------
async def add_link(
    ex: Executor, token_hash: str, user_id: int, now: float, expires_at: float
) -> None:
    await ex.execute(
        "INSERT INTO dashboard_links (token_hash, user_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?)",
        (token_hash, user_id, now, expires_at),
    )


async def get_link(ex: Executor, token_hash: str) -> Row | None:
    return await ex.fetchone("SELECT * FROM dashboard_links WHERE token_hash = ?", (token_hash,))


async def use_link(ex: Executor, token_hash: str, now: float) -> bool:
    """Mark the link used; False when it was used already or has expired (single use even
    when two browsers race: only one UPDATE finds used_at NULL)."""
    n = await ex.execute(
        "UPDATE dashboard_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
        " AND expires_at > ?",
        (now, token_hash, now),
    )
    return n == 1


async def forget_old_links(ex: Executor, before: float) -> None:
    await ex.execute("DELETE FROM dashboard_links WHERE expires_at < ?", (before,))


# ---- sessions --------------------------------------------------------------------------------
async def add_session(ex: Executor, id_hash: str, user_id: int, via: str, now: float) -> None:
    await ex.execute(
        "INSERT INTO dashboard_sessions (id_hash, user_id, via, created_at, seen_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (id_hash, user_id, via, now, now),
    )


async def get_session(ex: Executor, id_hash: str) -> Row | None:
    return await ex.fetchone(
        "SELECT * FROM dashboard_sessions WHERE id_hash = ? AND ended_at IS NULL", (id_hash,)
    )


async def touch_session(ex: Executor, id_hash: str, now: float) -> None:
    await ex.execute("UPDATE dashboard_sessions SET seen_at = ? WHERE id_hash = ?", (now, id_hash))


async def end_session(ex: Executor, id_hash: str, now: float) -> None:
    await ex.execute(
        "UPDATE dashboard_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL",
        (now, id_hash),
    )


async def forget_old_sessions(ex: Executor, before: float) -> None:
    await ex.execute("DELETE FROM dashboard_sessions WHERE seen_at < ?", (before,))


# ---- menu rounds -------------------------------------------------------------------------------
async def rounds(ex: Executor, community_id: int, limit: int = 10) -> list[Row]:
    """The community's rounds, newest first (drafts too: staff see what is being prepared)."""
    return await ex.fetchall(
        "SELECT id, status, max_picks, per_person, deadline, created_at, opened_at, closed_at"
        " FROM menu_rounds WHERE community_id = ? ORDER BY id DESC LIMIT ?",
        (community_id, limit),
    )


async def households_without_order(ex: Executor, round_id: int, community_id: int) -> list[Row]:
    """Registered households of the community with no order (online or paper) in the round,
    each with its residents' names joined in Python (no group_concat: it is SQLite's)."""
    rows = await ex.fetchall(
        "SELECT h.id, h.building, h.unit, h.room, r.display_name, u.first_name"
        " FROM households h JOIN residents r ON r.household_id = h.id"
        " JOIN users u ON u.id = r.user_id"
        " WHERE h.community_id = ? AND r.community_id = ? AND NOT EXISTS ("
        "  SELECT 1 FROM menu_orders o WHERE o.round_id = ? AND o.household_id = h.id)"
        " ORDER BY h.building, h.unit, h.room, r.user_id",
        (community_id, community_id, round_id),
    )
    return rows


# ---- repair tickets ----------------------------------------------------------------------------
async def tickets(ex: Executor, community_id: int, limit: int = 5000) -> list[Row]:
    """The community's tickets (merged ones left out: they live on in the one they joined),
    with the assignee's name and the reporter's own building (whose grid worker answers for a
    common area); the board filters them in Python (bot/dashboard.py)."""
    return await ex.fetchall(
        "SELECT t.id, t.category, t.building, t.unit, t.place, t.description, t.status,"
        " t.assignee_id, a.first_name AS assignee_name, t.rating, t.created_at, t.updated_at,"
        " t.accepted_at, t.resolved_at, t.due_at, h.building AS home_building"
        " FROM repair_tickets t LEFT JOIN users a ON a.id = t.assignee_id"
        " LEFT JOIN households h ON h.id = t.household_id"
        " WHERE t.community_id = ? AND t.merged_into IS NULL ORDER BY t.id DESC LIMIT ?",
        (community_id, limit),
    )


# ---- care visits -------------------------------------------------------------------------------
async def care_alerts(ex: Executor, community_id: int, now: float, limit: int = 200) -> list[Row]:
    """Visits that need someone: 需要帮助 answers, overdue ones, pending ones past due."""
    return await ex.fetchall(
        "SELECT v.id, v.due_at, v.status, v.note, v.taken_name, p.name, p.building, p.unit,"
        " p.room FROM care_visits v JOIN care_people p ON p.id = v.care_id"
        " WHERE p.community_id = ? AND p.active = 1 AND (v.status IN ('help', 'overdue')"
        "  OR (v.status = 'pending' AND v.due_at < ?))"
        " ORDER BY v.status = 'help' DESC, v.due_at DESC LIMIT ?",
        (community_id, now, limit),
    )


async def care_counts(ex: Executor, community_id: int) -> Row | None:
    return await ex.fetchone(
        "SELECT count(*) AS people, sum(CASE WHEN paused = 1 THEN 1 ELSE 0 END) AS paused"
        " FROM care_people WHERE community_id = ? AND active = 1",
        (community_id,),
    )


# ---- notices and announcements -----------------------------------------------------------------
async def send_counts(ex: Executor, prefix: str) -> list[Row]:
    """Ledger rows per send key and status for keys starting with `prefix`."""
    return await ex.fetchall(
        "SELECT send_key, status, count(*) AS n FROM sends WHERE send_key LIKE ?"
        " GROUP BY send_key, status",
        (prefix + "%",),
    )


async def announcements(ex: Executor, community_id: int, limit: int = 50) -> list[Row]:
    return await ex.fetchall(
        "SELECT a.id, a.text, a.buildings, a.ack, a.send_at, a.status,"
        " (SELECT count(*) FROM announcement_acks k WHERE k.announcement_id = a.id) AS acks"
        " FROM announcements a WHERE a.community_id = ? ORDER BY a.id DESC LIMIT ?",
        (community_id, limit),
    )


async def notices(ex: Executor, community_id: int, limit: int = 50) -> list[Row]:
    return await ex.fetchall(
        "SELECT id, text, is_meeting, status, next_run, target_chat FROM notices"
        " WHERE community_id = ? AND status <> 'deleted' ORDER BY id DESC LIMIT ?",
        (community_id, limit),
    )


async def rsvp_counts(ex: Executor, notice_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT answer, count(*) AS n FROM rsvps WHERE notice_id = ? GROUP BY answer",
        (notice_id,),
    )
