"""SQL for repair tickets: the tickets, photos, history, followers, ratings, volunteer offers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.db import Executor, Row

# LIMIT for "all of them" both databases accept (SQLite's LIMIT -1 is not PostgreSQL's).
ALL_ROWS = 2**62
OPEN_STATUSES = ("new", "assigned", "in_progress")


@dataclass(frozen=True)
class NewTicket:
    community_id: int
    reporter_id: int
    household_id: int | None
    category: str
    building: str
    unit: str
    place: str
    description: str
    show_identity: bool
    share_phone: bool


async def create_ticket(
    ex: Executor,
    t: NewTicket,
    photos: Iterable[str],
    now: float,
    due_at: float,
    voices: Iterable[str] = (),
) -> int:
    ticket_id = await ex.insert(
        "INSERT INTO repair_tickets (community_id, reporter_id, household_id, category, "
        "building, unit, place, description, show_identity, share_phone, status, created_at, "
        "updated_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
        (
            t.community_id,
            t.reporter_id,
            t.household_id,
            t.category,
            t.building,
            t.unit,
            t.place,
            t.description,
            int(t.show_identity),
            int(t.share_phone),
            now,
            now,
            due_at,
        ),
    )
    media = [(f, "photo") for f in photos] + [(f, "voice") for f in voices]
    for seq, (file_id, kind) in enumerate(media, start=1):
        await add_photo(ex, ticket_id, seq, file_id, t.reporter_id, now, kind)
    await add_history(ex, ticket_id, t.reporter_id, now, None, "new")
    return ticket_id


async def add_photo(
    ex: Executor,
    ticket_id: int,
    seq: int,
    file_id: str,
    user_id: int,
    now: float,
    kind: str = "photo",
) -> None:
    """A photo, or a voice note (`kind` "voice"), by its Telegram file_id."""
    await ex.execute(
        "INSERT INTO repair_photos (ticket_id, seq, file_id, added_by, at, kind) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (ticket_id, seq, file_id, user_id, now, kind),
    )


async def next_photo_seq(ex: Executor, ticket_id: int) -> int:
    return int(
        await ex.fetchval(
            "SELECT coalesce(max(seq), 0) + 1 FROM repair_photos WHERE ticket_id = ?", (ticket_id,)
        )
    )


async def photos(ex: Executor, ticket_id: int) -> list[Row]:
    return await ex.fetchall(
        "SELECT * FROM repair_photos WHERE ticket_id = ? ORDER BY seq", (ticket_id,)
    )


async def get_ticket(ex: Executor, ticket_id: int) -> Row | None:
    return await ex.fetchone(
        "SELECT t.*, r.display_name AS reporter_name, r.phone AS reporter_phone, "
        "h.room AS reporter_room, h.building AS home_building, h.unit AS home_unit, "
        "a.first_name AS assignee_name "
        "FROM repair_tickets t "
        "LEFT JOIN residents r ON r.user_id = t.reporter_id AND r.community_id = t.community_id "
        "LEFT JOIN households h ON h.id = t.household_id "
        "LEFT JOIN users a ON a.id = t.assignee_id WHERE t.id = ?",
        (ticket_id,),
    )


async def add_history(
    ex: Executor,
    ticket_id: int,
    actor_id: int | None,
    now: float,
    from_status: str | None,
    to_status: str | None,
    note: str = "",
    internal: bool = False,
) -> None:
    await ex.execute(
        "INSERT INTO repair_history (ticket_id, actor_id, at, from_status, to_status, note, "
        "internal) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (ticket_id, actor_id, now, from_status, to_status, note, int(internal)),
    )


async def history(ex: Executor, ticket_id: int, *, include_internal: bool) -> list[Row]:
    extra = "" if include_internal else " AND h.internal = 0"
    return await ex.fetchall(
        "SELECT h.*, u.first_name AS actor_name FROM repair_history h "
        "LEFT JOIN users u ON u.id = h.actor_id WHERE h.ticket_id = ?" + extra + " ORDER BY h.id",
        (ticket_id,),
    )


async def claim(ex: Executor, ticket_id: int, user_id: int, now: float, due_at: float) -> bool:
    """new → assigned to `user_id`; False when someone else was first. Run inside a tx."""
    n = await ex.execute(
        "UPDATE repair_tickets SET status = 'assigned', assignee_id = ?, accepted_at = ?, "
        "updated_at = ?, due_at = ? WHERE id = ? AND status = 'new'",
        (user_id, now, now, due_at, ticket_id),
    )
    return n == 1


async def move(
    ex: Executor,
    ticket_id: int,
    from_status: str,
    to_status: str,
    now: float,
    *,
    assignee_was: int | None = None,
    **fields: object,
) -> bool:
    """Compare-and-set the status and assignee (plus the given columns).

    False when the ticket moved on, or changed hands, since the caller read it.
    """
    allowed = {
        "assignee_id",
        "accepted_at",
        "resolved_at",
        "due_at",
        "close_reason",
        "merged_into",
        "rating",
    }
    if not set(fields) <= allowed:
        raise ValueError(f"unknown ticket fields {set(fields) - allowed}")
    sets = "".join(f", {name} = ?" for name in fields)
    n = await ex.execute(
        f"UPDATE repair_tickets SET status = ?, updated_at = ?{sets} "
        "WHERE id = ? AND status = ? AND assignee_id IS ?",
        (to_status, now, *fields.values(), ticket_id, from_status, assignee_was),
    )
    return n == 1


async def set_rating(ex: Executor, ticket_id: int, reporter_id: int, rating: int) -> bool:
    n = await ex.execute(
        "UPDATE repair_tickets SET rating = ? WHERE id = ? AND reporter_id = ? "
        "AND status = 'confirmed' AND rating IS NULL",
        (rating, ticket_id, reporter_id),
    )
    return n == 1


# ---- followers ("我也遇到了") -----------------------------------------------------------------
async def follow(ex: Executor, ticket_id: int, user_id: int, now: float) -> bool:
    n = await ex.execute(
        "INSERT INTO repair_followers (ticket_id, user_id, at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (ticket_id, user_id, now),
    )
    return n == 1


async def followers(ex: Executor, ticket_id: int) -> list[int]:
    rows = await ex.lookup_all(
        "SELECT user_id FROM repair_followers WHERE ticket_id = ? ORDER BY at", (ticket_id,)
    )
    return [r["user_id"] for r in rows]


async def count_followers(ex: Executor, ticket_id: int) -> int:
    return int(
        await ex.fetchval("SELECT count(*) FROM repair_followers WHERE ticket_id = ?", (ticket_id,))
    )


async def move_followers(
    ex: Executor, from_id: int, into_id: int, reporter_of_from: int, now: float
) -> None:
    """Merge: the duplicate's followers, and its reporter, now follow the kept ticket."""
    await ex.execute(
        "INSERT INTO repair_followers (ticket_id, user_id, at) "
        "SELECT ?, user_id, at FROM repair_followers WHERE ticket_id = ? "
        "ON CONFLICT DO NOTHING",
        (into_id, from_id),
    )
    await ex.execute("DELETE FROM repair_followers WHERE ticket_id = ?", (from_id,))
    await follow(ex, into_id, reporter_of_from, now)
    # The kept ticket's own reporter never needs to follow it.
    await ex.execute(
        "DELETE FROM repair_followers WHERE ticket_id = ? AND user_id = "
        "(SELECT reporter_id FROM repair_tickets WHERE id = ?)",
        (into_id, into_id),
    )


# ---- lists ---------------------------------------------------------------------------------
async def open_similar(
    ex: Executor, community_id: int, building: str, category: str, limit: int = 3
) -> list[Row]:
    return await ex.fetchall(
        "SELECT * FROM repair_tickets WHERE community_id = ? AND category = ? AND building = ? "
        "AND status IN ('new', 'assigned', 'in_progress') ORDER BY id DESC LIMIT ?",
        (community_id, category, building, limit),
    )


async def of_reporter(ex: Executor, user_id: int, limit: int = 20) -> list[Row]:
    """The user's own tickets, the ones they follow and the ones their household's other
    residents filed (`family`: that resident's name; never their phone), newest first."""
    return await ex.fetchall(
        # A UNION of indexed look-ups: an OR here would scan every ticket.
        "SELECT t.*, (t.reporter_id = ?) AS mine, "
        "CASE WHEN t.reporter_id <> ? AND t.household_id IN "
        " (SELECT household_id FROM residents WHERE user_id = ?) "
        " THEN coalesce(nullif(r.display_name, ''), u.first_name) END AS family "
        "FROM repair_tickets t "
        "LEFT JOIN residents r ON r.user_id = t.reporter_id AND r.community_id = t.community_id "
        "LEFT JOIN users u ON u.id = t.reporter_id WHERE t.id IN ("
        " SELECT id FROM repair_tickets WHERE reporter_id = ?"
        " UNION SELECT ticket_id FROM repair_followers WHERE user_id = ?"
        " UNION SELECT id FROM repair_tickets WHERE household_id IN "
        "  (SELECT household_id FROM residents WHERE user_id = ?)) "
        "ORDER BY t.id DESC LIMIT ?",
        (user_id, user_id, user_id, user_id, user_id, user_id, limit),
    )


async def same_household(ex: Executor, user_id: int, ticket_id: int) -> bool:
    """Whether the person lives in the household the ticket was filed for."""
    return bool(
        await ex.fetchval(
            "SELECT 1 FROM repair_tickets t JOIN residents r ON r.household_id = t.household_id "
            "WHERE t.id = ? AND r.user_id = ?",
            (ticket_id, user_id),
        )
    )


async def assigned_to(ex: Executor, user_id: int, limit: int | None = 10) -> list[Row]:
    """The tickets this person accepted (or was given) and has not solved, soonest due first
    (all of them with `limit=None`)."""
    return await ex.fetchall(
        "SELECT * FROM repair_tickets WHERE assignee_id = ? "
        # Tickets without a due time first, as SQLite sorts NULL (PostgreSQL puts it last).
        "AND status IN ('assigned', 'in_progress') "
        "ORDER BY due_at IS NOT NULL, due_at, id LIMIT ?",
        (user_id, ALL_ROWS if limit is None else limit),
    )


async def handed_back_by(ex: Executor, ticket_id: int) -> set[int]:
    """Who gave this ticket back (退回) before: offered it again only when nobody else is."""
    rows = await ex.fetchall(
        "SELECT DISTINCT actor_id FROM repair_history WHERE ticket_id = ? AND to_status = 'new' "
        "AND from_status IN ('assigned', 'in_progress') AND actor_id IS NOT NULL",
        (ticket_id,),
    )
    return {r["actor_id"] for r in rows}


async def unaccepted_for_grid(ex: Executor, user_id: int, limit: int = 10) -> list[Row]:
    """New tickets in the buildings this grid worker answers for."""
    return await ex.fetchall(
        "SELECT t.* FROM repair_tickets t JOIN grid_buildings g "
        "ON g.community_id = t.community_id AND g.building = t.building "
        "WHERE g.user_id = ? AND t.status = 'new' ORDER BY t.id LIMIT ?",
        (user_id, limit),
    )


@dataclass(frozen=True)
class Filter:
    status: str | None = None  # a status, or 'open'
    building: str | None = None
    category: str | None = None
    overdue: bool = False
    words: tuple[str, ...] = ()  # each in the description, the place or the assignee's name


async def search(
    ex: Executor, community_id: int, f: Filter, now: float, offset: int, limit: int
) -> tuple[int, list[Row]]:
    where = ["community_id = ?"]
    params: list[object] = [community_id]
    if f.status == "open" or (f.overdue and not f.status):
        where.append("status IN ('new', 'assigned', 'in_progress')")
    elif f.status:
        where.append("status = ?")
        params.append(f.status)
    if f.building:
        where.append("building = ?")
        params.append(f.building)
    if f.category:
        where.append("category = ?")
        params.append(f.category)
    if f.overdue:
        where.append("due_at < ?")
        params.append(now)
    for word in f.words:
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            "(lower(description) LIKE lower(?) ESCAPE '\\' OR lower(place) LIKE lower(?) "
            "ESCAPE '\\' OR assignee_id IN (SELECT id FROM users WHERE "
            "lower(first_name) LIKE lower(?) ESCAPE '\\' OR lower(username) LIKE lower(?) "
            "ESCAPE '\\'))"
        )
        params.extend([like, like, like, like])
    clause = " AND ".join(where)
    total = int(await ex.fetchval(f"SELECT count(*) FROM repair_tickets WHERE {clause}", params))
    rows = await ex.fetchall(
        f"SELECT * FROM repair_tickets WHERE {clause} ORDER BY id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return total, rows


# ---- offers to volunteers and the grid worker ---------------------------------------------------
async def add_offer(
    ex: Executor, ticket_id: int, user_id: int, chat_id: int, message_id: int
) -> None:
    await ex.execute(
        "INSERT INTO repair_offers (ticket_id, user_id, chat_id, message_id) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (ticket_id, user_id, chat_id, message_id),
    )


async def offers(ex: Executor, ticket_id: int) -> list[Row]:
    return await ex.fetchall("SELECT * FROM repair_offers WHERE ticket_id = ?", (ticket_id,))


async def was_offered(ex: Executor, ticket_id: int, user_id: int) -> bool:
    return (
        await ex.lookup(
            "SELECT 1 FROM repair_offers WHERE ticket_id = ? AND user_id = ? LIMIT 1",
            (ticket_id, user_id),
        )
        is not None
    )


async def clear_offers(ex: Executor, ticket_id: int) -> None:
    await ex.execute("DELETE FROM repair_offers WHERE ticket_id = ?", (ticket_id,))


async def filed_between(ex: Executor, community_id: int, since: float, until: float) -> list[Row]:
    """The tickets filed in a period, for statistics and the staff export (no reporter's
    name, room or phone: the export carries the ticket, not the person)."""
    return await ex.fetchall(
        "SELECT t.id, t.category, t.building, t.unit, t.place, t.description, t.status, "
        "t.close_reason, t.merged_into, t.rating, t.created_at, t.accepted_at, t.resolved_at, "
        "t.due_at, a.first_name AS assignee_name "
        "FROM repair_tickets t LEFT JOIN users a ON a.id = t.assignee_id "
        "WHERE t.community_id = ? AND t.created_at >= ? AND t.created_at < ? ORDER BY t.id",
        (community_id, since, until),
    )
