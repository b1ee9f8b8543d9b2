"""Part 5: the same commands on a small and a big database; the ratio should stay near 1.

Both bots run side by side and take each sample in turn (see `measure`).

Every statement the commands run is captured (sqlite3 trace) and its `EXPLAIN QUERY PLAN`
read on the big database: a `SCAN` of a big table is reported with the statement.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import bulk
from benchmarks import updates as U
from benchmarks.footprint import migrate
from bot.offline.simulator import Simulator

BIG_TABLES = ("households", "residents", "users")
FEATURE_TABLES = {
    "tickets": ("tickets", "repair_tickets"),
    "orders": ("orders", "menu_orders", "menu_picks", "menu_votes"),
}
STAFF_BASE = 10_000
GRID_ID = 20_000
FEATURE_COMMANDS = {
    "handlers.repairs": ["/my", "/repair"],
    "handlers.menu": ["/menu"],
    "handlers.sorting": ["/sort 电池"],
    "handlers.quiz": ["/quiz_top"],
}


def prepare(path: str, households: int) -> dict[str, int]:
    asyncio.run(migrate(path))
    conn = bulk.connect(path)
    made: dict[str, int] = {}
    try:
        bulk.households(conn, households)
        with conn:
            conn.executemany(
                "INSERT INTO users (id, first_name, username, started) VALUES (?, ?, ?, 1)",
                [(STAFF_BASE + c, f"工作人员{c}", f"staff{c}") for c in range(1, 21)]
                + [(GRID_ID, "李网格", "li_grid")],
            )
            conn.executemany(
                "INSERT INTO roles (community_id, user_id, role, granted_by) VALUES (?, ?, ?, 1)",
                [(c, STAFF_BASE + c, "staff") for c in range(1, 21)]
                + [(c, GRID_ID, "grid_worker") for c in range(1, 21)],
            )
            conn.executemany(
                "INSERT INTO grid_buildings (community_id, building, user_id) VALUES (?, ?, ?)",
                [(c, str(b), GRID_ID) for c in range(1, 21) for b in range(1, 31)],
            )
        for name, candidates in FEATURE_TABLES.items():
            table = bulk.find_table(conn, *candidates)
            if table is not None:
                made[name] = bulk.generic(conn, table, households)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return made


def _commands(sim: Simulator, people: list[tuple[int, int]]) -> dict[str, list[dict[str, Any]]]:
    from bot import app as wiring

    out: dict[str, list[dict[str, Any]]] = {
        "help": [],
        "grid_private": [],
        "grid_group": [],
        "me": [],
        "register_lookup": [],
        "staff_grid": [],
    }
    for uid, community in people:
        u, chat = U.user(uid), U.private_chat(uid)
        group = U.group_chat(-1_000_000_000 - community)
        out["help"].append(U.message(u, chat, "/help"))
        out["grid_private"].append(U.message(u, chat, "/grid"))
        out["grid_group"].append(U.message(u, group, "/grid"))
        out["me"].append(U.message(u, chat, "/me"))
        out["register_lookup"].append(U.message(u, chat, f"/start reg-{community}"))
        staff = U.user(STAFF_BASE + community, "工作人员", f"staff{community}")
        out["staff_grid"].append(U.message(staff, U.private_chat(STAFF_BASE + community), "/grid"))
        for module, commands in FEATURE_COMMANDS.items():
            if module in wiring.FEATURES:
                for command in commands:
                    out.setdefault("feature" + command.split()[0].replace("/", ":"), []).append(
                        U.message(u, chat, command)
                    )
    return out


async def measure(
    small_path: str, big_path: str, samples: int
) -> tuple[dict[str, float], dict[str, float], set[str]]:
    """Both databases side by side: each sample goes to the small and the big bot in turn
    (alternating which goes first), so the machine's drift over a minute cannot pass for an
    effect of size. Statements are traced on the big one, for their query plans."""
    sims: dict[str, Simulator] = {}
    commands: dict[str, dict[str, list[dict[str, Any]]]] = {}
    statements: set[str] = set()
    try:
        for size, path in (("small", small_path), ("big", big_path)):
            conn = sqlite3.connect(path)
            people = bulk.resident_ids(conn, samples)
            conn.close()
            sim = sims[size] = Simulator(path, admins=(1,), freeze_gc=True)
            await sim.start()
            assert sim.app is not None
            commands[size] = _commands(sim, people)
        big = sims["big"].rt.db
        await big._conn.set_trace_callback(statements.add)
        big.set_trace(statements.add)  # look-ups read on the event loop
        result: dict[str, dict[str, float]] = {"small": {}, "big": {}}
        for name in commands["small"]:
            times: dict[str, list[float]] = {"small": [], "big": []}
            pairs = zip(commands["small"][name], commands["big"][name], strict=True)
            for i, (raw_small, raw_big) in enumerate(pairs):
                turn = [("small", raw_small), ("big", raw_big)]
                for size, raw in turn if i % 2 else reversed(turn):
                    raw.pop("_kind", None)
                    t0 = time.perf_counter()
                    await sims[size].feed(raw)
                    times[size].append((time.perf_counter() - t0) * 1000)
                    if name == "register_lookup" or name.startswith("feature"):
                        user = raw["message"]["from"]
                        await sims[size].feed(
                            U.message(user, U.private_chat(user["id"]), "/cancel")
                        )
            for size, measured in times.items():
                result[size][name] = round(statistics.median(measured[len(measured) // 10 :]), 3)
        await big._conn.set_trace_callback(None)  # type: ignore[arg-type]
        big.set_trace(None)
    finally:
        for sim in sims.values():
            await sim.stop()
    return result["small"], result["big"], statements


_NUM = re.compile(r"-?\b\d+(\.\d+)?\b")
_STR = re.compile(r"'(?:[^']|'')*'")


def full_scans(path: str, statements: set[str]) -> list[dict[str, str]]:
    conn = sqlite3.connect(path)
    seen: set[str] = set()
    found = []
    try:
        for sql in sorted(statements):
            head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
            if head not in ("SELECT", "UPDATE", "DELETE", "WITH"):
                continue
            shape = _STR.sub("?", _NUM.sub("?", sql))
            if shape in seen:
                continue
            seen.add(shape)
            try:
                plan = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            except sqlite3.Error:
                continue
            for row in plan:
                detail = row[-1]
                if detail.startswith("SCAN") and any(
                    re.search(rf"\b{t}\b", detail)
                    for t in (*BIG_TABLES, "jobs", "tickets", "orders")
                ):
                    found.append({"sql": " ".join(shape.split())[:300], "plan": detail})
    finally:
        conn.close()
    return found


def run(small: int, big: int, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        small_path, big_path = str(Path(tmp) / "small.db"), str(Path(tmp) / "big.db")
        t0 = time.perf_counter()
        made_small = prepare(small_path, small)
        made_big = prepare(big_path, big)
        seeded = time.perf_counter() - t0
        small_ms, big_ms, statements = asyncio.run(measure(small_path, big_path, samples))
        scans = full_scans(big_path, statements)
        traced = len(statements)
    ratios = {k: round(big_ms[k] / small_ms[k], 2) for k in small_ms if small_ms[k] > 0}
    return {
        "small_rows": small,
        "big_rows": big,
        "feature_rows_big": made_big,
        "feature_rows_small": made_small,
        "seed_s": round(seeded, 1),
        "small_ms": small_ms,
        "big_ms": big_ms,
        "ratio": ratios,
        "worst_ratio": max(ratios.values()) if ratios else float("nan"),
        "statements_traced": traced,
        "full_scans": scans,
    }
