"""`python -m benchmarks [--quick | --smoke] [--only part,part] [--database-url URL]
[--no-postgres]`: run, print, save JSON.

Every part runs on SQLite. Then the parts that matter for a city on a database server (PG_PARTS:
the mixed load's saturation and latency, and failover, the real two-machine setup) run again on
PostgreSQL, side by side in the same results ("postgresql"): on the server of --database-url
(or BENCH_DATABASE_URL), else on a throw-away server started here as .ci/postgres.sh does
(benchmarks/pgserver.py); without the server binaries the run says so and goes on. The smoke
run (the test suite) leaves PostgreSQL out unless a URL is given."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import target
from benchmarks.report import table, targets, verdicts

# name: (full, quick, smoke) sizes
SIZES: dict[str, dict[str, tuple[Any, ...]]] = {
    "ceiling": {"full": (20_000,), "quick": (5_000,), "smoke": (500,)},
    "mixed": {
        "full": (20_000, 12_000, 200),
        "quick": (3_000, 2_000, 200),
        "smoke": (500, 400, 200),
    },
    "broadcast": {"full": (200, 2_000), "quick": (20, 100), "smoke": (5, 20)},
    "footprint": {
        "full": (100_000, 50_000, 10_000),
        "quick": (100_000, 50_000, 10_000),
        "smoke": (2_000, 1_000, 500),
    },
    "scale": {
        "full": (1_000, 1_000_000, 300),
        "quick": (1_000, 100_000, 100),
        "smoke": (200, 2_000, 20),
    },
    "lookup": {"full": (2_000,), "quick": (500,), "smoke": (50,)},
    # neighbours' updates, their rate/s, the flooder's rates/s
    "flood": {
        "full": (1_000, 50, (500, 2_000)),
        "quick": (300, 50, (500, 2_000)),
        "smoke": (40, 40, (200,)),
    },
    # round trips (ms), burst residents, busy groups K, children per group, private questions
    # during it, street updates and their rate/s at 50 ms, round trips with the busy groups
    "network": {
        "full": ((0, 50, 200), 300, 10, 30, 100, 600, 20.0, (0, 50, 200)),
        "quick": ((0, 50, 200), 120, 10, 30, 50, 200, 20.0, (50,)),
        "smoke": ((0, 50), 40, 2, 22, 10, 60, 20.0, (50,)),
    },
    # chat updates at the rate/s, the rate, browsers, communities, households each
    "dashboard": {
        "full": (4_000, 200.0, 4, 20, 2_000),
        "quick": (1_500, 200.0, 2, 10, 1_000),
        "smoke": (100, 50.0, 1, 3, 300),
    },
    # rounds: SIGKILL the active instance, time the standby's first answer (bot/leader.py)
    "failover": {"full": (3,), "quick": (2,), "smoke": (1,)},
}
PARTS = list(SIZES)
# Parts the smoke run (the test suite) leaves out: real processes waiting for leases.
NOT_IN_SMOKE = {"failover"}
# Run on PostgreSQL as well (the concurrent(32) comparison of `mixed` stays SQLite's).
PG_PARTS = ("mixed", "failover")
# Smaller than SQLite's where the full size costs minutes and adds nothing to the comparison.
PG_SIZES: dict[str, dict[str, tuple[Any, ...]]] = {"mixed": {"full": (10_000, 12_000, 200)}}
RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    import psutil

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "processor": platform.processor() or platform.machine(),
    }


def run_part(name: str, size: tuple[Any, ...], *, compare: bool = True) -> dict[str, Any]:
    """`compare` False: the part's own figures only (mixed without its concurrent(32) run)."""
    if name == "mixed" and not compare:
        from benchmarks import mixed

        return asyncio.run(mixed.run(*size))
    if name == "ceiling":
        from benchmarks import ceiling

        return asyncio.run(ceiling.run(*size))
    if name == "mixed":
        from benchmarks import mixed

        sat, lat, rate = size
        production = asyncio.run(mixed.run(sat, lat, rate))
        concurrent = asyncio.run(mixed.run(sat, lat, rate, concurrent=32))
        return {
            **production,
            "concurrent_32": {
                k: concurrent[k]
                for k in (
                    "saturation_updates_per_s",
                    "paired_ratio_to_echo",
                    "p50_ms",
                    "p95_ms",
                    "p99_ms",
                    "max_ms",
                )
            },
        }
    if name == "broadcast":
        from benchmarks import broadcast

        return asyncio.run(broadcast.run(*size))
    if name == "footprint":
        from benchmarks import footprint

        return footprint.run(*size)
    if name == "scale":
        from benchmarks import scale

        return scale.run(*size)
    if name == "lookup":
        from benchmarks import lookup

        return lookup.run(*size)
    if name == "flood":
        from benchmarks import flood

        return asyncio.run(flood.run(*size))
    if name == "network":
        from benchmarks import network

        *args, busy_rtts = size
        return asyncio.run(network.run(*args, busy_rtts_ms=busy_rtts))
    if name == "dashboard":
        from benchmarks import dashboard

        return asyncio.run(dashboard.run(*size))
    if name == "failover":
        from benchmarks import failover

        return failover.run(*size)
    raise KeyError(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    mode.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite)")
    parser.add_argument("--only", default="", help=f"comma-separated parts of {PARTS}")
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    parser.add_argument(
        "--database-url",
        default=os.environ.get(target.ENV, ""),
        help="postgresql://… for the PostgreSQL column (default: a throw-away server)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    os.environ.pop(target.ENV, None)  # the SQLite pass first
    size = "smoke" if args.smoke else "quick" if args.quick else "full"
    parts = [p for p in args.only.split(",") if p] or [
        p for p in PARTS if size != "smoke" or p not in NOT_IN_SMOKE
    ]
    pg_parts = [p for p in PG_PARTS if p in parts]
    if args.no_postgres or (size == "smoke" and not args.database_url):
        pg_parts = []
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    results: dict[str, Any] = {
        "mode": size,
        "database": target.kind(),
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    t0 = time.perf_counter()
    for name in parts:
        t = time.perf_counter()
        print(f"… {name}", file=sys.stderr, flush=True)
        results[name] = run_part(name, SIZES[name][size])
        results[name]["part_s"] = round(time.perf_counter() - t, 1)
    if pg_parts:
        results["postgresql"] = postgres_pass(pg_parts, size, args.database_url)
    results["total_s"] = round(time.perf_counter() - t0, 1)
    results["targets"] = targets(results)
    pg = results.get("postgresql")
    if pg and "skipped" not in pg:
        pg["targets"] = targets(pg)
    print(table(results))
    print("\n".join(verdicts(results)))
    text = json.dumps(results, ensure_ascii=False, default=str)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
    )
    return 0


def postgres_pass(parts: list[str], size: str, url: str) -> dict[str, Any]:
    """`parts` on PostgreSQL: on `url`'s server, else on a throw-away one (or why not)."""
    from benchmarks import pgserver

    def run_all(server: str) -> dict[str, Any]:
        os.environ[target.ENV] = server
        out: dict[str, Any] = {"server": "given" if url else "throw-away"}
        try:
            for name in parts:
                t = time.perf_counter()
                print(f"… {name} (PostgreSQL)", file=sys.stderr, flush=True)
                sizes = PG_SIZES.get(name, {}).get(size) or SIZES[name][size]
                out[name] = run_part(name, sizes, compare=False)
                out[name]["part_s"] = round(time.perf_counter() - t, 1)
        finally:
            target.drop_all()
            os.environ.pop(target.ENV, None)
        return out

    if url:
        return run_all(url)
    why = pgserver.available()
    if why is not None:
        print(f"PostgreSQL column skipped: {why}", file=sys.stderr)
        return {"skipped": why}
    with pgserver.throwaway() as server:
        return run_all(server)


if __name__ == "__main__":
    sys.exit(main())
