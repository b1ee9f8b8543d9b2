"""The bot process of the footprint part: start on DB, serve some traffic, report itself."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime

import psutil


def status_mb(field: str) -> float:
    """A line of /proc/self/status in MB. VmHWM is this process's own peak: exec resets it,
    unlike ru_maxrss, which carries the parent's peak across fork and exec on Linux (a
    figure that depended on the benchmark parts that ran before)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:  # not Linux: the current RSS is the best we have
        pass
    return round(psutil.Process().memory_info().rss / 2**20, 1)


async def main(path: str) -> None:
    t0 = time.perf_counter()
    from benchmarks import updates as U
    from benchmarks.feeder import Feeder
    from bot.clock import FakeClock
    from bot.offline.simulator import Simulator

    imported = time.perf_counter()
    rss_imported = status_mb("VmRSS")
    # Wall-clock time: the pending jobs were written relative to it.
    sim = Simulator(path, admins=(1,), clock=FakeClock(datetime.now(UTC)), freeze_gc=True)
    # build_application + initialize + start_runtime (re-schedules every pending job)
    await sim.start()
    assert sim.app is not None
    started = time.perf_counter()
    peak_at_ready = status_mb("VmHWM")
    queued = len(sim.app.job_queue.jobs()) if sim.app.job_queue else 0
    pending = await sim.rt.db.fetchval("SELECT count(*) FROM jobs WHERE status = 'pending'")
    print("ready", flush=True)
    await sim.app.start()
    feeder = Feeder(sim.app, sim.api)
    rows = await sim.rt.db.fetchall(
        "SELECT user_id, community_id FROM residents ORDER BY user_id LIMIT 2000"
    )
    raws = []
    for i, row in enumerate(rows):
        u = U.user(row["user_id"])
        text = ("/me", "/grid", "/help", "/start")[i % 4]
        raws.append(U.message(u, U.private_chat(row["user_id"]), text, text))
    await feeder.saturate(raws)
    await sim.app.stop()
    await sim.stop()
    print(
        json.dumps(
            {
                "import_s": round(imported - t0, 3),
                "rss_after_import_mb": rss_imported,
                "startup_s": round(started - imported, 3),
                "jobs_in_jobqueue": queued,
                "jobs_pending_rows": pending,
                "rss_now_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
                "peak_rss_mb": status_mb("VmHWM"),
                "peak_rss_at_ready_mb": peak_at_ready,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
