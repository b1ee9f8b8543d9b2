"""Migrations, refusal of newer or corrupt databases, transactions, backups, config."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.config import ConfigError, load_config
from bot.offline.simulator import Simulator
from storage import jobs as store_jobs
from storage.db import Database, DatabaseError, migrate, migration_files

GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


async def test_old_schema_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = await aiosqlite.connect(path, isolation_level=None)
    assert await migrate(conn, target=1) == 1
    await conn.execute("INSERT INTO communities (id, name) VALUES (1, '锡林社区')")
    await conn.execute("INSERT INTO users (id, first_name) VALUES (5, '王阿姨')")
    await conn.close()

    db = Database(path)
    await db.open()
    try:
        assert await db.fetchval("PRAGMA user_version") == len(migration_files())
        assert await db.fetchval("SELECT name FROM communities WHERE id = 1") == "锡林社区"
        assert await db.fetchval("SELECT count(*) FROM jobs") == 0  # a table from a later version
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()


async def test_newer_schema_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    db = Database(path)
    with pytest.raises(DatabaseError, match="newer than this bot knows"):
        await db.open()


async def test_corrupt_file_refuses_with_pointer_to_backup(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseError, match="backup"):
        await Database(path).open()


async def test_transaction_rolls_back_and_guards_self_deadlock(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    await db.open()
    try:
        with pytest.raises(RuntimeError, match="boom"):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO communities (name) VALUES ('甲')")
                raise RuntimeError("boom")
        assert await db.fetchval("SELECT count(*) FROM communities") == 0
        with pytest.raises(RuntimeError, match="inside its own transaction"):
            async with db.transaction():
                await db.fetchval("SELECT 1")
        assert await db.fetchval("SELECT 1") == 1  # the lock was released
    finally:
        await db.close()


async def test_online_backup_is_a_working_copy(tmp_path: Path) -> None:
    db = Database(tmp_path / "live.db")
    await db.open()
    await db.execute("INSERT INTO communities (name) VALUES ('锡林社区')")
    await db.backup_to(tmp_path / "copy.db")
    await db.close()
    copy = Database(tmp_path / "copy.db")
    await copy.open()
    try:
        assert await copy.fetchval("SELECT name FROM communities") == "锡林社区"
    finally:
        await copy.close()


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="BOT_TOKEN is not set"):
        load_config({})
    with pytest.raises(ConfigError, match="malformed"):
        load_config({"BOT_TOKEN": "hello"})
    with pytest.raises(ConfigError, match="BOT_ADMINS"):
        load_config({"BOT_TOKEN": GOOD_TOKEN, "BOT_ADMINS": "12,abc"})
    with pytest.raises(ConfigError, match="time zone"):
        load_config({"BOT_TOKEN": GOOD_TOKEN, "BOT_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="BOT_API_URL"):
        load_config({"BOT_TOKEN": GOOD_TOKEN, "BOT_API_URL": "ftp://x"})
    config = load_config(
        {"BOT_TOKEN": GOOD_TOKEN, "BOT_ADMINS": "1, 2", "BOT_API_URL": "http://127.0.0.1:8081/bot"}
    )
    assert config.admins == {1, 2}
    assert config.database_path == "community.db"
    assert config.timezone == "Asia/Shanghai"
    assert config.file_api_url == "http://127.0.0.1:8081/file/bot"
    assert config.digest_at.strftime("%H:%M") == "18:00"
    later = load_config({"BOT_TOKEN": GOOD_TOKEN, "DIGEST_TIME": "20:30"})
    assert later.digest_at.strftime("%H:%M") == "20:30"
    for bad in ("25:00", "8pm", "18:0"):
        with pytest.raises(ConfigError, match="DIGEST_TIME"):
            load_config({"BOT_TOKEN": GOOD_TOKEN, "DIGEST_TIME": bad})


async def test_the_job_queue_follows_only_committed_transactions(tmp_path: Path) -> None:
    """A job scheduled or cancelled in a transaction that rolls back leaves the JobQueue as
    the jobs table is: nothing queued that could run, nothing dropped that should."""
    sim = Simulator(str(tmp_path / "q.db"))
    await sim.start()
    try:
        rt = sim.rt
        ran: list[int] = []

        async def note(app: object, job: object) -> None:
            ran.append(job.payload["n"])  # type: ignore[attr-defined]

        rt.scheduler.register("probe", note)
        soon = rt.clock.now() + timedelta(minutes=1)
        kept = await rt.scheduler.schedule("probe", soon, {"n": 1}, key="probe:1")
        assert kept in rt.scheduler._queued
        with pytest.raises(RuntimeError):
            async with rt.db.transaction() as tx:
                ghost = await rt.scheduler.schedule("probe", soon, {"n": 2}, tx=tx)
                await rt.scheduler.cancel("probe:1", tx=tx)
                assert ghost not in rt.scheduler._queued  # not before the commit
                raise RuntimeError("rolled back")
        assert ghost not in rt.scheduler._queued and kept in rt.scheduler._queued
        async with rt.db.transaction() as tx:
            await rt.scheduler.cancel("probe:1", tx=tx)
        assert kept not in rt.scheduler._queued
        await sim.advance(timedelta(minutes=2))
        assert ran == []
    finally:
        await sim.stop()


async def test_a_refill_queues_a_batch_and_comes_back_for_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of jobs due within the window are not all held in the JobQueue: a refill
    queues a batch, and another refill is queued for when the batch's last one is due."""
    from bot import scheduler as sched

    monkeypatch.setattr(sched, "REFILL_BATCH", 3)
    sim = Simulator(str(tmp_path / "r.db"))
    await sim.start()
    try:
        rt = sim.rt
        rt.scheduler.register("probe", lambda app, job: asyncio.sleep(0))
        base = rt.clock.now() + timedelta(minutes=1)
        ids = []
        for n in range(7):
            async with rt.db.transaction() as tx:  # not queued on scheduling: only by refills
                ids.append(
                    await store_jobs.upsert(
                        tx, "probe", (base + timedelta(seconds=n)).timestamp(), {}, None
                    )
                )
        rt.scheduler._queued.clear()
        await rt.scheduler._refill()
        assert set(rt.scheduler._queued) == set(ids[:3])
        jq = sim.app.job_queue
        assert jq is not None
        [more] = [j for j in jq.jobs() if j.name == "sched:more"]
        run_date = more.job.trigger.run_date  # APScheduler's date trigger
        assert run_date.timestamp() == (base + timedelta(seconds=2)).timestamp()
        for job_id in ids[:3]:
            await rt.scheduler.run_job(job_id)
            rt.scheduler._dequeue(job_id)
        await rt.scheduler._refill()
        assert set(rt.scheduler._queued) == set(ids[3:6])
    finally:
        await sim.stop()
