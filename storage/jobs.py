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
    await ex.execute(
        """INSERT INTO jobs (kind, key, run_at, payload) VALUES (?, ?, ?, ?)
           ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, run_at = excluded.run_at,
               payload = excluded.payload, status = 'pending', attempts = 0,
               last_error = NULL, finished_at = NULL""",
        (kind, key, run_at, data),
    )
    return int(await ex.fetchval("SELECT id FROM jobs WHERE key = ?", (key,)))


async def get(ex: Executor, job_id: int) -> Row | None:
    return await ex.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))


async def get_by_key(ex: Executor, key: str) -> Row | None:
    return await ex.fetchone("SELECT * FROM jobs WHERE key = ?", (key,))


async def claim(ex: Executor, job_id: int) -> bool:
    """pending → running, atomically: only one runner ever gets a job."""
    n = await ex.execute(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1 "
        "WHERE id = ? AND status = 'pending'",
        (job_id,),
    )
    return n == 1


async def finish(ex: Executor, job_id: int, status: str, error: str | None = None) -> None:
    await ex.execute(
        "UPDATE jobs SET status = ?, last_error = ?, finished_at = ? WHERE id = ?",
        (status, error, utc_stamp(), job_id),
    )


async def retry_later(ex: Executor, job_id: int, run_at: float, error: str) -> None:
    await ex.execute(
        "UPDATE jobs SET status = 'pending', run_at = ?, last_error = ? WHERE id = ?",
        (run_at, error, job_id),
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


async def interrupted(ex: Executor) -> list[Row]:
    """Jobs left 'running' by a crash."""
    return await ex.fetchall("SELECT id, kind FROM jobs WHERE status = 'running'")


async def set_status(ex: Executor, job_id: int, status: str) -> None:
    await ex.execute("UPDATE jobs SET status = ? WHERE id = ?", (status, job_id))


async def count_pending(ex: Executor) -> int:
    return int(await ex.fetchval("SELECT count(*) FROM jobs WHERE status = 'pending'"))
