"""The leader lease of a standby pair (bot/leader.py): one row per name, portable SQL."""

from __future__ import annotations

from storage.db import Executor, Row


async def acquire(ex: Executor, name: str, holder: str, now: float, until: float) -> str | None:
    """Take or renew the lease: it is ours when free, already ours, or expired. One statement,
    so two processes can never both succeed. Returns the holder after the attempt when it
    is us, None when someone else holds a lease that has not ended."""
    await ex.execute(
        "INSERT INTO leader_lease (name, holder, expires_at, since) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO NOTHING",
        (name, "", 0.0, now),
    )
    rows = await ex.fetchall(
        "UPDATE leader_lease SET "
        "since = CASE WHEN holder = ? THEN since ELSE ? END, holder = ?, expires_at = ? "
        "WHERE name = ? AND (holder = ? OR expires_at < ?) RETURNING holder",
        (holder, now, holder, until, name, holder, now),
    )
    return str(rows[0]["holder"]) if rows else None


async def steal(ex: Executor, name: str, holder: str, dead: str, now: float, until: float) -> bool:
    """Take over from a holder known to be dead (same machine, process gone)."""
    rows = await ex.fetchall(
        "UPDATE leader_lease SET holder = ?, expires_at = ?, since = ? "
        "WHERE name = ? AND holder = ? RETURNING holder",
        (holder, until, now, name, dead),
    )
    return bool(rows)


async def release(ex: Executor, name: str, holder: str) -> None:
    """Give the lease up at a clean stop, so the standby need not wait for it to end."""
    await ex.execute(
        "UPDATE leader_lease SET expires_at = 0 WHERE name = ? AND holder = ?", (name, holder)
    )


async def current(ex: Executor, name: str) -> Row | None:
    return await ex.fetchone("SELECT * FROM leader_lease WHERE name = ?", (name,))


async def ready(ex: Executor) -> bool:
    """The lease table exists (a lease-aware version has migrated this database). Only a
    missing table says no: any other error (a dropped connection) is raised, or a standby
    would migrate the schema under the active instance."""
    try:
        await ex.fetchone("SELECT name FROM leader_lease WHERE name = ?", ("",))
    except Exception as exc:
        if _missing_table(exc):
            return False
        raise
    return True


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    # SQLite: "no such table: leader_lease"; PostgreSQL: UndefinedTable (SQLSTATE 42P01).
    return "no such table" in text or getattr(exc, "sqlstate", None) == "42P01"
