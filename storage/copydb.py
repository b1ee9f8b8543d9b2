"""`community-bot migrate-db`: copy an SQLite database into an empty PostgreSQL database.

Both are first migrated to the same (latest) schema version, so every table has the same
columns on both sides. The copy is one PostgreSQL transaction: rows go in foreign-key order,
the identity sequences are moved past the copied ids, and the row count of every table is
compared before COMMIT; on any difference nothing is kept. The source is read inside one
SQLite transaction (a consistent snapshot); stop the bot while copying.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storage.db import Database, DatabaseError
from storage.pg import PgDatabase

BATCH = 2000


async def _tables(src: Database) -> list[str]:
    """Every table of the schema, each after the tables it refers to."""
    names = [
        str(r["name"])
        for r in await src.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    refs: dict[str, set[str]] = {}
    for name in names:
        rows = await src.fetchall(f"PRAGMA foreign_key_list({name})")
        refs[name] = {str(r["table"]) for r in rows if r["table"] != name}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and refs[n] <= set(ordered)]
        if not ready:  # a cycle: keep the rest in name order (PostgreSQL will say if it fails)
            ready = [n for n in names if n not in ordered]
        ordered.extend(ready)
    return ordered


async def copy_sqlite_to_postgres(
    sqlite_path: str | Path, url: str, *, report: Callable[[str], None] = print
) -> dict[str, int]:
    """Copy every row; returns the row count per table. Refuses a non-empty target."""
    if not await asyncio.to_thread(Path(sqlite_path).is_file):
        raise DatabaseError(f"{sqlite_path} does not exist: nothing to copy")
    src = Database(sqlite_path)
    dst = PgDatabase(url)
    await src.open()
    try:
        await dst.open()
        try:
            return await _copy(src, dst, report)
        finally:
            await dst.close()
    finally:
        await src.close()


async def _copy(src: Database, dst: PgDatabase, report: Callable[[str], None]) -> dict[str, int]:
    tables = await _tables(src)
    counts: dict[str, int] = {}
    async with src.transaction() as stx, dst.transaction() as dtx:
        for table in tables:
            if await dtx.fetchval(f"SELECT count(*) FROM {table}"):
                raise DatabaseError(
                    f"the PostgreSQL database already has rows in {table}: "
                    "migrate-db only copies into an empty database"
                )
        for table in tables:
            columns = [str(r["name"]) for r in await stx.fetchall(f"PRAGMA table_info({table})")]
            rows = await stx.fetchall(f"SELECT {', '.join(columns)} FROM {table}")
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
            for start in range(0, len(rows), BATCH):
                await dtx.executemany(insert, [tuple(r) for r in rows[start : start + BATCH]])
            copied = int(await dtx.fetchval(f"SELECT count(*) FROM {table}"))
            if copied != len(rows):
                raise DatabaseError(f"{table}: {len(rows)} rows in SQLite but {copied} copied")
            counts[table] = copied
            if "id" in columns:
                await _move_sequence(stx, dtx, table)
            report(f"{table}: {copied} rows")
    return counts


async def _move_sequence(stx: Any, dtx: Any, table: str) -> None:
    """Next id after the highest copied (or, for AUTOINCREMENT tables, ever used) one."""
    seq = await dtx.fetchval("SELECT pg_get_serial_sequence(?, 'id')", (table,))
    if seq is None:  # a Telegram id, not generated here
        return
    top = int(await stx.fetchval(f"SELECT coalesce(max(id), 0) FROM {table}"))
    has_seq = await stx.fetchval(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    )
    if has_seq:
        used = await stx.fetchval("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,))
        top = max(top, int(used or 0))
    if top > 0:
        await dtx.fetchval("SELECT setval(?, ?, true)", (seq, top))
