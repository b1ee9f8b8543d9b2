"""Bulk rows for the big tables, straight into SQLite (setup, never measured).

The core tables (users, households, residents, jobs) are filled with known columns. Feature
tables (tickets, orders) belong to other modules whose schema may change: they are filled by
reading the schema (NOT NULL columns, foreign keys, `CHECK (x IN (…))` lists), so the
benchmark keeps working when a column is added.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

CHUNK = 50_000


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def find_table(conn: sqlite3.Connection, *candidates: str) -> str | None:
    have = tables(conn)
    return next((t for t in candidates if t in have), None)


def _chunks(n: int) -> Iterator[range]:
    for start in range(0, n, CHUNK):
        yield range(start, min(n, start + CHUNK))


def households(conn: sqlite3.Connection, n: int, communities: int = 20) -> None:
    """n households in `communities` communities, one registered resident (and user) each."""
    with conn:
        conn.executemany(
            "INSERT OR IGNORE INTO communities (id, name) VALUES (?, ?)",
            [(c, f"第{c}社区") for c in range(1, communities + 1)],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO groups (chat_id, community_id, title) VALUES (?, ?, ?)",
            [(-1_000_000_000 - c, c, f"第{c}社区居民群") for c in range(1, communities + 1)],
        )
    base = int(conn.execute("SELECT coalesce(max(id), 0) FROM households").fetchone()[0])
    for part in _chunks(n):
        rows = []
        for i in part:
            hid = base + i + 1
            c = i % communities + 1
            k = i // communities
            rows.append(
                (hid, c, str(k // 48 + 1), str(k // 12 % 4 + 1), f"{k // 2 % 6 + 1}0{k % 2 + 1}")
            )
        with conn:
            conn.executemany(
                "INSERT INTO households (id, community_id, building, unit, room) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "INSERT INTO users (id, first_name, tg_lang, started) VALUES (?, ?, 'zh-hans', 1)",
                [(5_000_000 + r[0], f"居民{r[0]}") for r in rows],
            )
            conn.executemany(
                "INSERT INTO residents (user_id, community_id, household_id, "
                "display_name) VALUES (?, ?, ?, ?)",
                [(5_000_000 + r[0], r[1], r[0], f"居民{r[0]}") for r in rows],
            )


def resident_ids(conn: sqlite3.Connection, k: int, seed: int = 1) -> list[tuple[int, int]]:
    """k random (user_id, community_id) of registered residents."""
    n = int(conn.execute("SELECT count(*) FROM residents").fetchone()[0])
    rng = random.Random(seed)
    out = []
    for _ in range(k):
        row = conn.execute(
            "SELECT user_id, community_id FROM residents LIMIT 1 OFFSET ?", (rng.randrange(n),)
        ).fetchone()
        out.append((int(row[0]), int(row[1])))
    return out


def jobs(conn: sqlite3.Connection, n: int, kind: str, spread_s: float) -> None:
    """n pending jobs, due evenly over the next `spread_s` seconds."""
    now = time.time()
    with conn:
        conn.executemany(
            "INSERT INTO jobs (kind, key, run_at, payload) VALUES (?, ?, ?, ?)",
            [
                (kind, f"bench:{i}", now + 60 + spread_s * i / n, json.dumps({"bench": i}))
                for i in range(n)
            ],
        )


_CHECK_IN = r"{col}\b[^,]*?CHECK\s*\(\s*{col}\s+IN\s*\(([^)]*)\)"


def _check_values(create_sql: str, column: str) -> list[str] | None:
    m = re.search(_CHECK_IN.format(col=re.escape(column)), create_sql, re.IGNORECASE | re.S)
    if not m:
        return None
    return re.findall(r"'([^']*)'", m.group(1)) or None


def generic(conn: sqlite3.Connection, table: str, n: int, seed: int = 3, depth: int = 0) -> int:
    """Insert n schema-valid rows into a table we do not know the columns of."""
    rng = random.Random(seed)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    fks = {r[3]: (r[2], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list({table})")}
    pks = [r for r in info if r[5]]
    pools: dict[str, list[object]] = {}
    for col, (ref, ref_col) in fks.items():
        ref_col = ref_col or "rowid"
        pool = [r[0] for r in conn.execute(f"SELECT {ref_col} FROM {ref} LIMIT 100000")]
        if not pool and depth < 3 and ref != table:
            generic(conn, ref, 20, seed + 1, depth + 1)
            pool = [r[0] for r in conn.execute(f"SELECT {ref_col} FROM {ref} LIMIT 100000")]
        pools[col] = pool
    columns: list[str] = []
    makers: list[tuple[str, Any]] = []
    for _cid, name, ctype, notnull, default, pk in info:
        if pk and len(pks) == 1 and "INT" in (ctype or "").upper():
            continue  # rowid alias
        if pools.get(name):
            columns.append(name)
            makers.append(("pool", pools[name]))
            continue
        choices = _check_values(sql, name)
        if choices:
            columns.append(name)
            makers.append(("pool", choices))
            continue
        if not notnull or default is not None:
            continue
        columns.append(name)
        upper = (ctype or "").upper()
        makers.append(("int" if "INT" in upper else "real" if "REAL" in upper else "text", name))
    marks = ",".join("?" * len(columns))
    statement = f"INSERT OR IGNORE INTO {table} ({','.join(columns)}) VALUES ({marks})"
    before = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    for part in _chunks(n):
        rows = []
        for i in part:
            row: list[object] = []
            for how, arg in makers:
                if how == "pool":
                    row.append(rng.choice(arg))
                elif how == "int":
                    row.append(i + 1)
                elif how == "real":
                    row.append(time.time() + i)
                else:
                    row.append(f"{arg}-{i}")
            rows.append(tuple(row))
        with conn:
            conn.executemany(statement, rows)
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) - before
