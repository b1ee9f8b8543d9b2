"""SQL for communities, groups, users, households, roles and the grid."""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Executor, Row
from storage.dialect import utc_stamp


# ---- users -------------------------------------------------------------------------------
async def upsert_user(
    ex: Executor,
    user_id: int,
    first_name: str,
    username: str | None,
    tg_lang: str | None,
    *,
    started: bool = False,
) -> None:
    """Keep the users row current; `started` also does `mark_started` in the same statement.

    A row that would not change is not rewritten (no page written, no WAL frame).
    """
    await ex.execute(
        """INSERT INTO users (id, first_name, username, tg_lang, started, updated_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET first_name = excluded.first_name,
               username = excluded.username, tg_lang = excluded.tg_lang,
               started = CASE WHEN excluded.started = 1 THEN 1 ELSE users.started END,
               blocked = CASE WHEN excluded.started = 1 THEN 0 ELSE users.blocked END,
               updated_at = excluded.updated_at
           WHERE users.first_name IS NOT excluded.first_name
              OR users.username IS NOT excluded.username
              OR users.tg_lang IS NOT excluded.tg_lang
              OR (excluded.started = 1 AND (users.started = 0 OR users.blocked = 1))""",
        (user_id, first_name, username, tg_lang, int(started), utc_stamp()),
    )


async def get_user(ex: Executor, user_id: int) -> Row | None:
    return await ex.lookup("SELECT * FROM users WHERE id = ?", (user_id,))


async def users_with_username(ex: Executor, username: str) -> list[Row]:
    """Every users row carrying this username, most recently changed first: Telegram lets a
    username pass to another person, and a row keeps the old one until we see its owner."""
    return await ex.fetchall(
        "SELECT * FROM users WHERE lower(username) = lower(?) ORDER BY updated_at DESC, id",
        (username.lstrip("@"),),
    )


async def find_user_by_username(ex: Executor, username: str) -> Row | None:
    """The person who holds the username now: the unique most recently changed row carrying
    it; None when nobody does or two rows tie (see `users_with_username`)."""
    rows = await users_with_username(ex, username)
    if not rows or (len(rows) > 1 and rows[1]["updated_at"] == rows[0]["updated_at"]):
        return None
    return rows[0]


async def set_user_lang(ex: Executor, user_id: int, lang: str) -> None:
    await ex.execute("UPDATE users SET lang = ? WHERE id = ?", (lang, user_id))


async def mark_started(ex: Executor, user_id: int) -> None:
    await ex.execute("UPDATE users SET started = 1, blocked = 0 WHERE id = ?", (user_id,))


async def mark_blocked(ex: Executor, user_id: int) -> None:
    await ex.execute("UPDATE users SET blocked = 1 WHERE id = ?", (user_id,))


# ---- communities and groups ----------------------------------------------------------------
async def get_or_create_community(ex: Executor, name: str) -> int:
    await ex.execute(
        "INSERT INTO communities (name) VALUES (?) ON CONFLICT(name) DO NOTHING", (name,)
    )
    return int(await ex.fetchval("SELECT id FROM communities WHERE name = ?", (name,)))


async def find_community(ex: Executor, name: str) -> Row | None:
    return await ex.fetchone("SELECT * FROM communities WHERE name = ?", (name,))


async def get_community(ex: Executor, community_id: int) -> Row | None:
    return await ex.lookup("SELECT * FROM communities WHERE id = ?", (community_id,))


async def list_communities(ex: Executor) -> list[Row]:
    return await ex.fetchall("SELECT * FROM communities ORDER BY id")


async def link_group(
    ex: Executor, chat_id: int, community_id: int, title: str, linked_by: int
) -> None:
    await ex.execute(
        """INSERT INTO groups (chat_id, community_id, title, linked_by, linked_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(chat_id) DO UPDATE SET community_id = excluded.community_id,
               title = excluded.title, linked_by = excluded.linked_by,
               linked_at = excluded.linked_at""",
        (chat_id, community_id, title, linked_by, utc_stamp()),
    )


async def get_group(ex: Executor, chat_id: int) -> Row | None:
    return await ex.lookup(
        "SELECT g.*, c.name AS community_name FROM groups g "
        "JOIN communities c ON c.id = g.community_id WHERE g.chat_id = ?",
        (chat_id,),
    )


async def groups_of(ex: Executor, community_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT * FROM groups WHERE community_id = ? ORDER BY chat_id", (community_id,)
    )


async def list_groups(ex: Executor) -> list[Row]:
    """Every linked group, oldest chat id first."""
    return await ex.fetchall("SELECT * FROM groups ORDER BY chat_id")


async def set_group_lang(ex: Executor, chat_id: int, lang: str) -> None:
    await ex.execute("UPDATE groups SET lang = ? WHERE chat_id = ?", (lang, chat_id))


async def migrate_group(ex: Executor, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: the community link follows the new chat id."""
    # A row the new chat id already has (seen before the move) gives way, as UPDATE OR
    # REPLACE did on SQLite: in both databases' SQL.
    await ex.execute(
        "DELETE FROM groups WHERE chat_id = ? AND EXISTS (SELECT 1 FROM groups WHERE chat_id = ?)",
        (new_chat_id, old_chat_id),
    )
    await ex.execute("UPDATE groups SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id))
    # Notices aimed at this one group follow it too (else they go to a chat that is gone).
    await ex.execute(
        "UPDATE notices SET target_chat = ? WHERE target_chat = ?", (new_chat_id, old_chat_id)
    )


# ---- households and residents ------------------------------------------------------------
async def get_or_create_household(
    ex: Executor, community_id: int, building: str, unit: str, room: str
) -> int:
    # Look first: an INSERT that meets the conflict still uses up an id on PostgreSQL
    # (sequences do not roll back), and most calls find the household there.
    sql = (
        "SELECT id FROM households WHERE community_id = ? AND building = ? AND unit = ? "
        "AND room = ?"
    )
    key = (community_id, building, unit, room)
    found = await ex.fetchval(sql, key)
    if found is None:
        await ex.execute(
            "INSERT INTO households (community_id, building, unit, room) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(community_id, building, unit, room) DO NOTHING",
            key,
        )
        found = await ex.fetchval(sql, key)
    return int(found)


async def set_resident(
    ex: Executor, user_id: int, community_id: int, household_id: int, display_name: str
) -> None:
    """Register or move a person; one household per person and community, never duplicated."""
    await ex.execute(
        """INSERT INTO residents (user_id, community_id, household_id, display_name,
               registered_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(user_id, community_id) DO UPDATE SET household_id = excluded.household_id,
               display_name = excluded.display_name,
               registered_at = excluded.registered_at""",
        (user_id, community_id, household_id, display_name, utc_stamp()),
    )


async def set_resident_phone(
    ex: Executor, user_id: int, community_id: int, phone: str | None
) -> None:
    await ex.execute(
        "UPDATE residents SET phone = ? WHERE user_id = ? AND community_id = ?",
        (phone, user_id, community_id),
    )


async def get_resident(ex: Executor, user_id: int, community_id: int) -> Row | None:
    return await ex.lookup(
        "SELECT r.*, h.building, h.unit, h.room FROM residents r "
        "JOIN households h ON h.id = r.household_id "
        "WHERE r.user_id = ? AND r.community_id = ?",
        (user_id, community_id),
    )


async def residencies_of(ex: Executor, user_id: int) -> list[Row]:
    return await ex.lookup_all(
        "SELECT r.*, h.building, h.unit, h.room, c.name AS community_name FROM residents r "
        "JOIN households h ON h.id = r.household_id "
        "JOIN communities c ON c.id = r.community_id WHERE r.user_id = ? "
        "ORDER BY r.community_id",
        (user_id,),
    )


async def resident_names(ex: Executor, community_id: int) -> list[str]:
    """The names residents of a community go by (the one they gave us, their Telegram one)."""
    rows = await ex.fetchall(
        "SELECT r.display_name AS a, u.first_name AS b FROM residents r "
        "JOIN users u ON u.id = r.user_id WHERE r.community_id = ?",
        (community_id,),
    )
    return sorted({n for row in rows for n in (row["a"], row["b"]) if n}, key=len, reverse=True)


async def residents_of(ex: Executor, community_id: int) -> list[Row]:
    """The users registered in a community's households (one row per person)."""
    return await ex.fetchall(
        "SELECT u.* FROM residents r JOIN users u ON u.id = r.user_id "
        "WHERE r.community_id = ? ORDER BY u.id",
        (community_id,),
    )


async def get_household(ex: Executor, household_id: int) -> Row | None:
    return await ex.fetchone("SELECT * FROM households WHERE id = ?", (household_id,))


async def occupied_buildings(
    ex: Executor, community_id: int, limit: int | None = None
) -> list[str]:
    """Buildings with at least one known household (the first `limit` in index order).

    A skip-scan over the (community_id, building, …) unique index: one index seek per
    building, so a community of 100 000 households costs what one of 100 does; with a
    `limit`, at most that many seeks (the counter stops the recursion: portable, unlike a
    LIMIT inside a recursive CTE).
    """
    rows = await ex.fetchall(
        """WITH RECURSIVE b(building, n) AS (
               SELECT min(building), 1 FROM households WHERE community_id = :c
               UNION ALL
               SELECT (SELECT min(building) FROM households
                       WHERE community_id = :c AND building > b.building), b.n + 1
               FROM b WHERE b.building IS NOT NULL AND b.n < :cap)
           SELECT building FROM b WHERE building IS NOT NULL""",
        {"c": community_id, "cap": limit if limit is not None else 2**31 - 1},
    )
    return [r["building"] for r in rows]


async def buildings_until_unassigned(ex: Executor, community_id: int, want: int) -> list[str]:
    """Buildings with a known household, in index order, until `want` of them have no grid
    worker (or all of them): the same skip-scan as `occupied_buildings`, which stops as soon
    as it has found enough gaps instead of first walking past every assigned building."""
    rows = await ex.fetchall(
        """WITH RECURSIVE b(building, gaps) AS (
               SELECT min(building), 0 FROM households WHERE community_id = :c
               UNION ALL
               SELECT (SELECT min(building) FROM households
                       WHERE community_id = :c AND building > b.building),
                      b.gaps + CASE WHEN EXISTS (
                          SELECT 1 FROM grid_buildings g
                          WHERE g.community_id = :c AND g.building = b.building)
                      THEN 0 ELSE 1 END
               FROM b WHERE b.building IS NOT NULL AND b.gaps < :want)
           SELECT building FROM b WHERE building IS NOT NULL""",
        {"c": community_id, "want": want},
    )
    return [r["building"] for r in rows]


async def household_members(ex: Executor, household_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT r.user_id, r.display_name, u.started, u.blocked FROM residents r "
        "JOIN users u ON u.id = r.user_id WHERE r.household_id = ? ORDER BY r.user_id",
        (household_id,),
    )


async def count_households(ex: Executor, community_id: int) -> int:
    """Households with at least one registered member."""
    return int(
        await ex.fetchval(
            "SELECT count(DISTINCT household_id) FROM residents WHERE community_id = ?",
            (community_id,),
        )
    )


async def remove_resident(ex: Executor, user_id: int, community_id: int) -> None:
    await ex.execute(
        "DELETE FROM residents WHERE user_id = ? AND community_id = ?", (user_id, community_id)
    )


# ---- requests to join a household (household_requests, 0010) -------------------------------
async def open_request(
    ex: Executor, user_id: int, community_id: int, household_id: int, display_name: str
) -> int:
    """A new request to join; the person's earlier open request is withdrawn."""
    await withdraw_request(ex, user_id)
    return int(
        await ex.fetchval(
            "INSERT INTO household_requests (user_id, community_id, household_id, display_name) "
            "VALUES (?, ?, ?, ?) RETURNING id",
            (user_id, community_id, household_id, display_name),
        )
    )


async def withdraw_request(ex: Executor, user_id: int) -> None:
    await ex.execute(
        "UPDATE household_requests SET status = 'withdrawn', "
        "decided_at = ? WHERE user_id = ? AND status = 'pending'",
        (utc_stamp(), user_id),
    )


_REQUEST = (
    "SELECT q.*, h.building, h.unit, h.room, u.first_name, c.name AS community_name "
    "FROM household_requests q JOIN households h ON h.id = q.household_id "
    "JOIN users u ON u.id = q.user_id JOIN communities c ON c.id = q.community_id "
)


async def get_request(ex: Executor, request_id: int) -> Row | None:
    return await ex.lookup(_REQUEST + "WHERE q.id = ?", (request_id,))


async def open_request_of(ex: Executor, user_id: int) -> Row | None:
    return await ex.lookup(_REQUEST + "WHERE q.user_id = ? AND q.status = 'pending'", (user_id,))


async def open_requests_for(ex: Executor, household_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT id FROM household_requests WHERE household_id = ? AND status = 'pending' "
        "ORDER BY id",
        (household_id,),
    )


async def decide_request(
    ex: Executor, request_id: int, status: str, decided_by: int, now: float | None = None
) -> bool:
    """Close an open request; False when it was decided (or withdrawn) already."""
    n = await ex.execute(
        "UPDATE household_requests SET status = ?, decided_by = ?, decided_ts = ?, "
        "decided_at = ? WHERE id = ? AND status = 'pending'",
        (status, decided_by, now, utc_stamp(), request_id),
    )
    return n == 1


async def refused_since(ex: Executor, user_id: int, household_id: int, since: float) -> bool:
    """Whether this household refused this person's request after `since` (bot's clock)."""
    return bool(
        await ex.fetchval(
            "SELECT 1 FROM household_requests WHERE user_id = ? AND household_id = ? "
            "AND status = 'refused' AND decided_ts >= ?",
            (user_id, household_id, since),
        )
    )


async def mark_escalated(ex: Executor, request_id: int) -> None:
    await ex.execute("UPDATE household_requests SET escalated = 1 WHERE id = ?", (request_id,))


# ---- roles, skills and grid ----------------------------------------------------------------
async def all_roles_of(ex: Executor, user_id: int) -> set[str]:
    """Every role the user holds in any community."""
    rows = await ex.lookup_all("SELECT DISTINCT role FROM roles WHERE user_id = ?", (user_id,))
    return {r["role"] for r in rows}


async def roles_of(ex: Executor, user_id: int, community_id: int) -> set[str]:
    rows = await ex.lookup_all(
        "SELECT role FROM roles WHERE user_id = ? AND community_id = ?", (user_id, community_id)
    )
    return {r["role"] for r in rows}


async def communities_with_role(ex: Executor, user_id: int, role: str) -> list[Row]:
    return await ex.lookup_all(
        "SELECT c.* FROM roles r JOIN communities c ON c.id = r.community_id "
        "WHERE r.user_id = ? AND r.role = ? ORDER BY c.id",
        (user_id, role),
    )


async def communities_of(ex: Executor, user_id: int) -> list[Row]:
    """Every community the user belongs to, as resident or with a role."""
    return await ex.lookup_all(
        "SELECT c.* FROM communities c WHERE c.id IN ("
        " SELECT community_id FROM residents WHERE user_id = ?"
        " UNION SELECT community_id FROM roles WHERE user_id = ?) ORDER BY c.id",
        (user_id, user_id),
    )


async def grant_role(
    ex: Executor, community_id: int, user_id: int, role: str, granted_by: int
) -> bool:
    n = await ex.execute(
        "INSERT INTO roles (community_id, user_id, role, granted_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (community_id, user_id, role, granted_by),
    )
    return n == 1


async def revoke_role(ex: Executor, community_id: int, user_id: int, role: str) -> bool:
    n = await ex.execute(
        "DELETE FROM roles WHERE community_id = ? AND user_id = ? AND role = ?",
        (community_id, user_id, role),
    )
    if role == "volunteer":
        await ex.execute(
            "DELETE FROM volunteer_skills WHERE community_id = ? AND user_id = ?",
            (community_id, user_id),
        )
    if role == "grid_worker":
        await ex.execute(
            "DELETE FROM grid_buildings WHERE community_id = ? AND user_id = ?",
            (community_id, user_id),
        )
    return n == 1


async def add_skills(ex: Executor, community_id: int, user_id: int, skills: Iterable[str]) -> None:
    await ex.executemany(
        "INSERT INTO volunteer_skills (community_id, user_id, skill) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [(community_id, user_id, s) for s in skills],
    )


async def skills_of(ex: Executor, community_id: int, user_id: int) -> list[str]:
    rows = await ex.fetchall(
        "SELECT skill FROM volunteer_skills WHERE community_id = ? AND user_id = ? ORDER BY skill",
        (community_id, user_id),
    )
    return [r["skill"] for r in rows]


async def volunteers_with_skills(
    ex: Executor, community_id: int, skills: Iterable[str]
) -> list[Row]:
    wanted = list(skills)
    if not wanted:
        return []
    marks = ",".join("?" * len(wanted))
    return await ex.fetchall(
        f"SELECT DISTINCT u.* FROM volunteer_skills s JOIN users u ON u.id = s.user_id "
        f"JOIN roles r ON r.community_id = s.community_id AND r.user_id = s.user_id "
        f"AND r.role = 'volunteer' "
        f"WHERE s.community_id = ? AND s.skill IN ({marks}) ORDER BY u.id",
        (community_id, *wanted),
    )


async def members_with_role(ex: Executor, community_id: int, role: str) -> list[Row]:
    return await ex.fetchall(
        "SELECT u.* FROM roles r JOIN users u ON u.id = r.user_id "
        "WHERE r.community_id = ? AND r.role = ? ORDER BY u.id",
        (community_id, role),
    )


async def assign_buildings(
    ex: Executor, community_id: int, user_id: int, buildings: Iterable[str]
) -> None:
    await ex.executemany(
        "INSERT INTO grid_buildings (community_id, building, user_id) VALUES (?, ?, ?) "
        "ON CONFLICT(community_id, building) DO UPDATE SET user_id = excluded.user_id",
        [(community_id, b, user_id) for b in buildings],
    )


async def grid_worker_for(ex: Executor, community_id: int, building: str) -> Row | None:
    return await ex.lookup(
        "SELECT u.* FROM grid_buildings g JOIN users u ON u.id = g.user_id "
        "WHERE g.community_id = ? AND g.building = ?",
        (community_id, building),
    )


async def grid_chart(ex: Executor, community_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT g.building, u.id AS user_id, u.first_name, u.username FROM grid_buildings g "
        "JOIN users u ON u.id = g.user_id WHERE g.community_id = ?",
        (community_id,),
    )


async def team(ex: Executor, community_id: int) -> list[Row]:
    """Everyone holding a role here (role, user id, name, @username), by role then name."""
    return await ex.fetchall(
        "SELECT r.role, u.id AS user_id, u.first_name, u.username FROM roles r "
        "JOIN users u ON u.id = r.user_id WHERE r.community_id = ? "
        "ORDER BY r.role, u.first_name, u.id",
        (community_id,),
    )


async def all_skills(ex: Executor, community_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT user_id, skill FROM volunteer_skills WHERE community_id = ? ORDER BY skill",
        (community_id,),
    )


async def buildings_of(ex: Executor, community_id: int, user_id: int) -> list[str]:
    rows = await ex.fetchall(
        "SELECT building FROM grid_buildings WHERE community_id = ? AND user_id = ?",
        (community_id, user_id),
    )
    return [r["building"] for r in rows]


async def unassign_buildings(
    ex: Executor, community_id: int, user_id: int, buildings: Iterable[str]
) -> None:
    await ex.executemany(
        "DELETE FROM grid_buildings WHERE community_id = ? AND user_id = ? AND building = ?",
        [(community_id, user_id, b) for b in buildings],
    )


async def audit(
    ex: Executor, community_id: int | None, actor_id: int | None, action: str, detail: str = ""
) -> None:
    await ex.execute(
        "INSERT INTO audit_log (community_id, actor_id, action, detail) VALUES (?, ?, ?, ?)",
        (community_id, actor_id, action, detail),
    )


async def set_building_households(
    ex: Executor, community_id: int, building: str, households: int, set_by: int, at: float
) -> None:
    """Staff's real household count for one building; 0 removes the figure."""
    if households <= 0:
        await ex.execute(
            "DELETE FROM building_households WHERE community_id = ? AND building = ?",
            (community_id, building),
        )
        return
    await ex.execute(
        "INSERT INTO building_households (community_id, building, households, set_by, set_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (community_id, building) DO UPDATE SET"
        " households = excluded.households, set_by = excluded.set_by, set_at = excluded.set_at",
        (community_id, building, households, set_by, at),
    )


async def building_households(ex: Executor, community_id: int) -> dict[str, int]:
    """building -> real number of households, for the buildings staff have set."""
    rows = await ex.fetchall(
        "SELECT building, households FROM building_households WHERE community_id = ?"
        " ORDER BY building",
        (community_id,),
    )
    return {row["building"]: int(row["households"]) for row in rows}


async def registered_by_building(ex: Executor, community_id: int) -> dict[str, int]:
    """building -> households with a registered resident (what the bot knows of)."""
    rows = await ex.fetchall(
        "SELECT h.building, count(DISTINCT h.id) AS n FROM households h "
        "JOIN residents r ON r.household_id = h.id WHERE h.community_id = ? GROUP BY h.building",
        (community_id,),
    )
    return {row["building"]: int(row["n"]) for row in rows}
