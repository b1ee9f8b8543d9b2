"""Part 4: peak RSS, start-up time and database size of the bot with a big database.

The database is prepared here; the bot is started in a child process
(`python -m benchmarks.footprint_child DB`), so its RSS is its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import bulk
from storage.db import Database

TICKET_TABLES = ("tickets", "repair_tickets", "repairs")


async def migrate(path: str) -> None:
    db = Database(path)
    await db.open()
    await db.close()


def prepare(path: str, households: int, tickets: int, jobs: int) -> dict[str, Any]:
    asyncio.run(migrate(path))
    conn = bulk.connect(path)
    notes: list[str] = []
    try:
        bulk.households(conn, households)
        table = bulk.find_table(conn, *TICKET_TABLES)
        made = 0
        if table is None:
            notes.append("no tickets table on this tree (repairs not merged): tickets skipped")
        else:
            made = bulk.generic(conn, table, tickets)
        # Worst case: all due within the scheduler's 6-hour window, so every one of them is
        # handed to the JobQueue (APScheduler) at start-up.
        bulk.jobs(conn, jobs, "bench_noop", 5.5 * 3600)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return {"tickets": made, "notes": notes}


def run(households: int, tickets: int, jobs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "big.db")
        prep = prepare(path, households, tickets, jobs)
        size = os.path.getsize(path)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]
            ),
        }
        launched = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.footprint_child", path],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        ready_line = proc.stdout.readline()
        launch_to_ready = time.perf_counter() - launched
        out, _ = proc.communicate(timeout=300)
        if proc.returncode != 0 or not ready_line.startswith("ready"):
            raise RuntimeError(f"footprint child failed ({proc.returncode}): {ready_line}{out}")
        child = json.loads(out.strip().splitlines()[-1])
    return {
        "households": households,
        "tickets": prep["tickets"],
        "pending_jobs": jobs,
        "db_size_mb": round(size / 2**20, 1),
        "launch_to_ready_s": round(launch_to_ready, 3),
        **child,
        "notes": prep["notes"],
    }
