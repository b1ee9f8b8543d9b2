"""Rows of the durable scheduler (see bot/scheduler.py)."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Executor, Row
from storage.dialect import utc_stamp


async def upsert(
    ex: Executor, kind: str, run_at: float, payload: dict[str, Any], key: str | None
) -> int:
    data = json.dumps(payload, ensure_ascii=False)
    if key is None:
        return await ex.insert(
            "INSERT INTO jobs (kind, run_at, payload) VALUES (?, ?, ?)", (kind, run_at, data)
        )
    # The row's id by RETURNING, inserted or updated alike: one statement, not two.
    rows = await ex.fetchall(
        """INSERT INTO jobs (kind, key, run_at, payload) VALUES (?, ?, ?, ?)
           ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, run_at = excluded.run_at,
               payload = excluded.payload, status = 'pending', attempts = 0,
               last_error = NULL, finished_at = NULL, claimed_by = NULL,
               lease_until = NULL
           RETURNING id""",
        (kind, key, run_at, data),
    )
    return int(rows[0][0])


async def get(ex: Executor, job_id: int) -> Row | None:
    return await ex.lookup("SELECT * FROM jobs WHERE id = ?", (job_id,))


async def get_by_key(ex: Executor, key: str) -> Row | None:
    return await ex.lookup("SELECT * FROM jobs WHERE key = ?", (key,))


async def claim(ex: Executor, job_id: int, holder: str, now: float, until: float) -> str | None:
    """pending → running under a lease held by `holder` until `until`, atomically: only one
    runner ever gets a job. Returns "pending" for a fresh claim, "expired" when the job was
    left running by a holder whose lease ended (it crashed), None when not ours to run."""
    rows = await ex.fetchall(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, claimed_by = ?, "
        "lease_until = ? WHERE id = ? AND status = 'pending' RETURNING id",
        (holder, until, job_id),
    )
    if rows:
        return "pending"
    rows = await ex.fetchall(
        "UPDATE jobs SET attempts = attempts + 1, claimed_by = ?, lease_until = ? "
        "WHERE id = ? AND status = 'running' AND (lease_until IS NULL OR lease_until <= ?) "
        "RETURNING id",
        (holder, until, job_id, now),
    )
    return "expired" if rows else None


def _mine(holder: str | None) -> tuple[str, tuple[str, ...]]:
    """A claim's holder may only change its own job (fencing: a lease that ended was taken
    over, and the old holder's late word must not undo the new one's)."""
    return (" AND claimed_by = ?", (holder,)) if holder is not None else ("", ())


async def renew(ex: Executor, holder: str, until: float) -> int:
    """Extend every job lease `holder` has while it is still running them."""
    return await ex.execute(
        "UPDATE jobs SET lease_until = ? WHERE claimed_by = ? AND status = 'running'",
        (until, holder),
    )


async def finish(
    ex: Executor, job_id: int, status: str, error: str | None = None, holder: str | None = None
) -> None:
    mine, who = _mine(holder)
    await ex.execute(
        "UPDATE jobs SET status = ?, last_error = ?, finished_at = ? WHERE id = ?" + mine,
        (status, error, utc_stamp(), job_id, *who),
    )


async def retry_later(
    ex: Executor, job_id: int, run_at: float, error: str, holder: str | None = None
) -> None:
    mine, who = _mine(holder)
    await ex.execute(
        "UPDATE jobs SET status = 'pending', run_at = ?, last_error = ?, claimed_by = NULL, "
        "lease_until = NULL WHERE id = ?" + mine,
        (run_at, error, job_id, *who),
    )


async def cancel_key(ex: Executor, key: str) -> int:
    return await ex.execute(
        "UPDATE jobs SET status = 'cancelled' WHERE key = ? AND status = 'pending'", (key,)
    )


async def cancel_prefix(ex: Executor, prefix: str) -> list[int]:
    rows = await ex.fetchall(
        "SELECT id FROM jobs WHERE key >= ? AND key < ? AND status = 'pending'",
        (prefix, prefix + "\uffff"),
    )
    ids = [r["id"] for r in rows]
    await ex.execute(
        "UPDATE jobs SET status = 'cancelled' WHERE key >= ? AND key < ? AND status = 'pending'",
        (prefix, prefix + "\uffff"),
    )
    return ids


async def pending_before(ex: Executor, until: float, limit: int = 100_000) -> list[Row]:
    return await ex.fetchall(
        "SELECT id, kind, run_at FROM jobs WHERE status = 'pending' AND run_at <= ? "
        "ORDER BY run_at, id LIMIT ?",
        (until, limit),
    )


async def expired_before(ex: Executor, until: float, limit: int = 100_000) -> list[Row]:
    """Jobs left 'running' by a holder whose lease ends by `until` (it crashed, or stopped
    being the active instance); `run_at` is when they may be taken over."""
    return await ex.fetchall(
        "SELECT id, kind, coalesce(lease_until, 0) AS run_at FROM jobs "
        "WHERE status = 'running' AND (lease_until IS NULL OR lease_until <= ?) "
        "ORDER BY id LIMIT ?",
        (until, limit),
    )


async def count_pending(ex: Executor) -> int:
    return int(await ex.fetchval("SELECT count(*) FROM jobs WHERE status = 'pending'"))
