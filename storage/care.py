"""SQL for care visits (关爱走访): the people visited, their volunteers, each visit's record.

Tables from migration 0005 (shared with the notices): care_people, care_volunteers,
care_visits. Personal data (the address) is read only for staff and assigned volunteers.
"""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Executor, Row


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
            "INSERT INTO care_volunteers (care_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
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


async def remove_volunteer(ex: Executor, care_id: int, user_id: int) -> None:
    await ex.execute(
        "DELETE FROM care_volunteers WHERE care_id = ? AND user_id = ?", (care_id, user_id)
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


async def set_care_paused(ex: Executor, care_id: int, paused: bool) -> None:
    await ex.execute("UPDATE care_people SET paused = ? WHERE id = ?", (int(paused), care_id))


async def set_rhythm(ex: Executor, care_id: int, rhythm: str) -> None:
    await ex.execute("UPDATE care_people SET rhythm = ? WHERE id = ?", (rhythm, care_id))


async def find_care(
    ex: Executor, community_id: int, name: str, building: str, unit: str, room: str
) -> Row | None:
    """The person already registered under this name at this address (a duplicate)."""
    return await ex.fetchone(
        "SELECT * FROM care_people WHERE community_id = ? AND active = 1 AND name = ? "
        "AND building = ? AND unit = ? AND room = ? ORDER BY id LIMIT 1",
        (community_id, name, building, unit, room),
    )


async def take_help(ex: Executor, visit_id: int, user_id: int, name: str) -> bool:
    """我来处理: the first presser takes the visit's help alert; False when someone has."""
    n = await ex.execute(
        "UPDATE care_visits SET taken_by = ?, taken_name = ? "
        "WHERE id = ? AND status = 'help' AND taken_by IS NULL",
        (user_id, name, visit_id),
    )
    return n == 1


async def open_visit(ex: Executor, care_id: int, due_at: float) -> int:
    await ex.execute(
        "INSERT INTO care_visits (care_id, due_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (care_id, due_at),
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


async def record_all_well(ex: Executor, visit_id: int, user_id: int) -> bool:
    """一切正常, unless someone already asked for help on this visit (a stale button or a
    second volunteer must never erase a 需要帮助)."""
    n = await ex.execute(
        "UPDATE care_visits SET status = 'ok', recorded_by = ?, "
        "recorded_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ? AND status <> 'help'",
        (user_id, visit_id),
    )
    return n > 0


async def mark_overdue(ex: Executor, visit_id: int) -> bool:
    n = await ex.execute(
        "UPDATE care_visits SET status = 'overdue' WHERE id = ? AND status = 'pending'", (visit_id,)
    )
    return n == 1


async def last_visits(ex: Executor, care_id: int, limit: int = 3) -> list[Row]:
    return await ex.fetchall(
        "SELECT * FROM care_visits WHERE care_id = ? ORDER BY due_at DESC LIMIT ?", (care_id, limit)
    )


# ---- who may visit ---------------------------------------------------------------------------
VISITOR_ROLES = ("volunteer", "grid_worker")


async def users_with_username(ex: Executor, username: str) -> list[Row]:
    """Everyone our users table says holds this username, the most recently seen first (an old
    holder keeps it in the table until we see them again)."""
    return await ex.fetchall(
        "SELECT * FROM users WHERE username = ? COLLATE NOCASE ORDER BY updated_at DESC, id",
        (username.lstrip("@"),),
    )


async def visitors_of_community(ex: Executor, community_id: int) -> list[Row]:
    """The community's volunteers and grid workers (the people who may make care visits)."""
    return await ex.fetchall(
        "SELECT DISTINCT u.* FROM roles r JOIN users u ON u.id = r.user_id "
        "WHERE r.community_id = ? AND r.role IN (?, ?) ORDER BY u.first_name, u.id",
        (community_id, *VISITOR_ROLES),
    )


async def is_visitor(ex: Executor, community_id: int, user_id: int) -> bool:
    return bool(
        await ex.fetchval(
            "SELECT 1 FROM roles WHERE community_id = ? AND user_id = ? AND role IN (?, ?)",
            (community_id, user_id, *VISITOR_ROLES),
        )
    )


async def visits_between(ex: Executor, community_id: int, since: float, until: float) -> list[Row]:
    """Every visit due in a period, for the staff's visit log: the person, who recorded it,
    who took a help alert, and whether the alert went to the staff again (its send key)."""
    return await ex.fetchall(
        "SELECT v.id, v.care_id, v.due_at, v.status, v.note, v.recorded_at, v.taken_name, "
        "p.name, p.building, p.unit, p.room, p.active, p.paused, "
        "r.first_name AS recorded_name, "
        "EXISTS (SELECT 1 FROM sends s WHERE s.send_key = 'cv' || v.id || ':untaken') "
        "AS escalated "
        "FROM care_visits v JOIN care_people p ON p.id = v.care_id "
        "LEFT JOIN users r ON r.id = v.recorded_by "
        "WHERE p.community_id = ? AND v.due_at >= ? AND v.due_at < ? ORDER BY v.due_at, v.id",
        (community_id, since, until),
    )


async def volunteer_names(ex: Executor, community_id: int) -> dict[int, list[str]]:
    """care id -> the names of its visitors, for every person of a community."""
    rows = await ex.fetchall(
        "SELECT v.care_id, u.first_name FROM care_volunteers v "
        "JOIN care_people p ON p.id = v.care_id JOIN users u ON u.id = v.user_id "
        "WHERE p.community_id = ? ORDER BY v.care_id, u.id",
        (community_id,),
    )
    out: dict[int, list[str]] = {}
    for r in rows:
        out.setdefault(r["care_id"], []).append(r["first_name"])
    return out
