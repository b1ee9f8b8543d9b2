"""A locked database or a full disk: the user hears "try again later", nothing is half saved,
and the same action works once the database is back."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from bot.offline.simulator import Chat, Person, Simulator
from tests.conftest import (
    ADMIN,
    LIU,
    ON_POSTGRES,
    WANG,
    errors_logged,
    register,
    setup_community,
    sqlite_only,
)
from tests.test_menu import open_round, order
from tests.test_repairs import file_repair

TRY_AGAIN = "系统正忙，您刚才的操作没有保存"
PEOPLE = (WANG, LIU, *(Person(400 + n, f"邻居{n}", f"nb{n}") for n in range(6)))


@contextmanager
def write_lock_held(db_path: str) -> Iterator[None]:
    """Another process (a backup script, an sqlite3 shell) holds the write lock."""
    if ON_POSTGRES:  # another instance in the middle of a transaction
        import psycopg

        from storage.pg import WRITER_LOCK

        # Its transaction holds the writer lock, and its writes lock the tables: a
        # single-statement write (autocommit) waits for that, up to the lock timeout.
        with psycopg.connect(db_path) as pg:
            pg.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
            tables = pg.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ).fetchall()
            pg.execute(f"LOCK TABLE {', '.join(t for (t,) in tables)} IN EXCLUSIVE MODE")
            yield
            pg.rollback()
        return
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


LOCKED = "lock timeout" if ON_POSTGRES else "database is locked"


async def short_wait(sim: Simulator) -> None:
    if ON_POSTGRES:
        sim.rt.db.busy_timeout_ms = 100
    else:
        await sim.rt.db.execute("PRAGMA busy_timeout = 100")


async def test_locked_database_order_is_refused_politely_then_works(
    sim: Simulator, group: Chat, db_path: str
) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    rid = await open_round(sim, group)
    await short_wait(sim)  # don't wait 5 s in a test
    chat = sim.private(WANG)
    screen = (await sim.send(WANG, chat, f"/start menu-{rid}")).last_with_buttons()
    await sim.press(WANG, screen, "整修围墙和大门")
    with write_lock_held(db_path), errors_logged() as errors:
        refused = await sim.press(WANG, sim.current(screen), "确认点单")
    assert any(TRY_AGAIN in a for a in refused.alerts()), refused.calls
    assert LOCKED in "\n".join(errors)  # logged with its context
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders") == 0
    # The lock is gone: the same button, the same picks (the draft was kept), now saved.
    again = await sim.press(WANG, sim.current(screen), "确认点单")
    assert "点单成功：整修围墙和大门" in again.text


async def test_locked_database_for_a_text_message_gets_a_message(
    sim: Simulator, db_path: str
) -> None:
    await short_wait(sim)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/help")
    # An item the bot does not know is written down for the volunteers: a write.
    with write_lock_held(db_path), errors_logged():
        reply = await sim.send(WANG, chat, "火星陨石碎片")
    assert [c.text for c in reply.calls] == [TRY_AGAIN + "。请过几分钟再试一次。"]
    assert await sim.rt.db.fetchval("SELECT count(*) FROM sorting_unknown_by_community") == 0
    reply = await sim.send(WANG, chat, "火星陨石碎片")
    assert TRY_AGAIN not in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM sorting_unknown_by_community") == 1


@sqlite_only
async def test_full_disk_repair_is_not_half_filed_and_goes_through_later(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    db = sim.rt.db
    long = "楼道灯不亮，晚上看不见台阶" * 76  # ~3 KB: two of them never share a page
    await file_repair(sim, WANG, category="水管", text=long)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "电路")
    reply = await sim.press(WANG, reply, "我家这个单元")
    reply = await sim.send(WANG, chat, long)
    reply = await sim.press(WANG, reply, "跳过")
    reply = await sim.press(WANG, reply, "不可以")
    confirm = reply.last_with_buttons()
    # The disk is full: pack the file, then let it grow by no page at all.
    await db.execute("VACUUM")
    pages = await db.fetchval("PRAGMA page_count")
    await db.fetchval(f"PRAGMA max_page_count = {int(pages)}")
    with errors_logged() as errors:
        refused = await sim.press(WANG, confirm, "提交报修")
    assert any(TRY_AGAIN in a for a in refused.alerts()), refused.calls
    assert "full" in "\n".join(errors)
    assert await db.fetchval("SELECT count(*) FROM repair_tickets") == 1  # the first only
    assert await db.fetchval("SELECT count(*) FROM jobs WHERE key LIKE 'repair_%:2'") == 0
    assert await db.fetchval("PRAGMA integrity_check") == "ok"
    # Space again: the same confirmation button files it, once, and it is routed.
    await db.fetchval("PRAGMA max_page_count = 1073741823")
    filed = await sim.press(WANG, confirm, "提交报修")
    assert "已提交" in filed.text
    assert await db.fetchval("SELECT count(*) FROM repair_tickets") == 2
    assert filed.to(20) or filed.to(30)  # the grid worker / volunteer got the offer


@sqlite_only
async def test_backup_while_the_bot_runs_restores_to_a_working_bot(
    sim: Simulator, group: Chat, db_path: str, tmp_path: Path
) -> None:
    """`community-bot backup` in another process while the bot keeps taking orders; the copy
    starts as a bot with every order made before the backup and its deadline job."""
    await setup_community(sim, group)
    for n, person in enumerate(PEOPLE):
        await register(sim, person, f"{n + 1}-1-101", person.first_name)
    rid = await open_round(sim, group, deadline="3天后")
    await order(sim, PEOPLE[0], rid, "车棚改造")
    copy = tmp_path / "backup.db"
    env = {**os.environ, "DATABASE_PATH": db_path}
    env.pop("BOT_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "backup",
        str(copy),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    for person in PEOPLE[1:]:  # the bot is not paused meanwhile
        await order(sim, person, rid, "楼梯维修")
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert str(copy) in out.decode()
    restored = Simulator(str(copy), admins=(ADMIN.id,))
    await restored.start()
    try:
        db = restored.rt.db
        assert await db.fetchval("PRAGMA integrity_check") == "ok"
        orders = await db.fetchval("SELECT count(*) FROM menu_orders WHERE round_id = ?", (rid,))
        assert 1 <= orders <= len(PEOPLE)  # a consistent moment between the two
        assert (
            await db.fetchval(
                "SELECT count(*) FROM jobs WHERE kind = 'menu_close' AND status = 'pending'"
            )
            == 1
        )
        late = PEOPLE[-1]
        reply = await order(restored, late, rid, "小区环境优化")
        assert "点单" in reply.text  # the restored bot takes orders
        closed = await restored.advance(timedelta(days=3, minutes=1))
        assert "车棚改造" in closed.text  # and its deadline job runs
    finally:
        await restored.stop()
