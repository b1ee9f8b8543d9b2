"""A transaction cancelled while its BEGIN waits for another connection's write lock leaves
the shared SQLite connection outside any transaction (storage/db.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from storage.db import Database


async def test_a_transaction_cancelled_at_begin_leaves_no_transaction_open(tmp_path: Path) -> None:
    path = str(tmp_path / "x.db")
    db = Database(path)
    await db.open()
    await db.execute("CREATE TABLE t (x INTEGER)")
    locked, release = threading.Event(), threading.Event()

    def other_writer() -> None:  # another process (a standby's lease) holds the write lock
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait()
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=other_writer)
    thread.start()

    async def work() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (1)")

    try:
        await asyncio.to_thread(locked.wait)
        running = asyncio.create_task(work())
        await asyncio.sleep(0.2)  # BEGIN IMMEDIATE waits for the lock
        running.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await running
    finally:
        release.set()
        await asyncio.to_thread(thread.join)
    await db.execute("INSERT INTO t VALUES (2)")  # an autocommit write of another chat
    assert not db._conn.in_transaction
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (3)")
    await db.close()
    with sqlite3.connect(path) as check:
        assert sorted(r[0] for r in check.execute("SELECT x FROM t")) == [2, 3]


async def test_a_migration_already_applied_by_another_process_is_not_run_again(
    tmp_path: Path,
) -> None:
    from storage.db import _apply_migration, migration_files

    path = str(tmp_path / "x.db")
    db = Database(path)
    await db.open()  # migrated to the latest version: as another process just did
    await db.close()
    version, _, sql = migration_files()[0]
    with sqlite3.connect(path, isolation_level=None) as conn:
        # This process read user_version before the other one migrated: it must look again.
        assert _apply_migration(conn, version, sql) is False
        assert not conn.in_transaction


async def test_the_lease_table_is_only_missing_when_it_does_not_exist(tmp_path: Path) -> None:
    from storage import leader
    from storage.db import DatabaseError

    db = Database(str(tmp_path / "x.db"))
    db.migrate_on_open = False
    await db.open()
    assert await leader.ready(db) is False  # a fresh file: no such table
    await db.close()
    with pytest.raises(DatabaseError):
        await leader.ready(db)  # any other error is not "not migrated"


async def test_close_closes_the_writer_even_when_the_lookup_connection_is_elsewhere(
    tmp_path: Path,
) -> None:
    db = Database(str(tmp_path / "x.db"))
    await db.open()
    await asyncio.to_thread(db._lookup_conn_here)  # made on a worker thread
    await db.close()
    assert db._conn_ is None
