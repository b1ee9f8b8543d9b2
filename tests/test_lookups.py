"""Fewer trips per update (issue #21): look-ups on the event loop, BEGIN sent with the first
statement, one statement per job upsert, and no write for a person the database already knows.

No timings: the trips are counted (statements traced, `Database.lookups`)."""

from __future__ import annotations

import asyncio

import pytest

from bot.offline.simulator import Person, Simulator
from storage import community as cstore
from storage import jobs as store_jobs
from storage.db import Database, connect
from tests.conftest import sqlite_only


async def test_a_lookup_sees_what_is_committed_never_a_transaction_half_done(
    db_path: str,
) -> None:
    db = connect(db_path)
    await db.open()
    try:
        inside = asyncio.Event()
        release = asyncio.Event()

        async def writer() -> None:
            async with db.transaction() as tx:
                await cstore.upsert_user(tx, 7, "王阿姨", None, None)
                inside.set()
                await release.wait()

        task = asyncio.create_task(writer())
        await inside.wait()
        assert await cstore.get_user(db, 7) is None  # not committed yet: invisible
        release.set()
        await task
        row = await cstore.get_user(db, 7)
        assert row is not None and row["first_name"] == "王阿姨"
        assert await cstore.all_roles_of(db, 7) == set()
    finally:
        await db.close()


async def test_a_lookup_on_the_database_inside_its_own_transaction_is_refused(
    db_path: str,
) -> None:
    db = connect(db_path)
    await db.open()
    try:
        with pytest.raises(RuntimeError, match="inside its own transaction"):
            async with db.transaction() as tx:
                await cstore.upsert_user(tx, 8, "李师傅", None, None)
                await cstore.get_user(db, 8)  # must be `tx`: it would not see the write
        assert await cstore.get_user(db, 8) is None  # rolled back
    finally:
        await db.close()


@sqlite_only
async def test_lookups_take_no_trip_and_a_transaction_sends_begin_with_its_first_statement(
    db_path: str,
) -> None:
    db = Database(db_path)
    await db.open()
    trips: list[str] = []
    try:
        await db.execute("INSERT INTO users (id, first_name) VALUES (1, '甲')")
        await db._conn.set_trace_callback(trips.append)
        before = db.lookups
        assert (await cstore.get_user(db, 1))["first_name"] == "甲"  # type: ignore[index]
        assert db.lookups == before + 1 and trips == []  # read here, not on the thread

        async with db.transaction() as tx:
            await tx.execute("UPDATE users SET first_name = '乙' WHERE id = 1")
            assert (await cstore.get_user(tx, 1))["first_name"] == "乙"  # type: ignore[index]
        assert trips[0] == "BEGIN IMMEDIATE" and trips[-1] == "COMMIT"
        assert (await cstore.get_user(db, 1))["first_name"] == "乙"  # type: ignore[index]

        # A failing first statement: BEGIN ran with it, the transaction is rolled back.
        with pytest.raises(Exception, match=r"UNIQUE|constraint"):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO users (id, first_name) VALUES (1, '丙')")
        assert not db._conn.in_transaction
        async with db.transaction():  # an empty block still takes and releases the lock
            pass
        assert not db._conn.in_transaction
    finally:
        await db._conn.set_trace_callback(None)  # type: ignore[arg-type]
        await db.close()


async def test_a_job_upsert_returns_the_same_id_when_it_replaces(db_path: str) -> None:
    db = connect(db_path)
    await db.open()
    try:
        first = await store_jobs.upsert(db, "k", 10.0, {"a": 1}, "key:1")
        async with db.transaction() as tx:
            again = await store_jobs.upsert(tx, "k", 20.0, {"a": 2}, "key:1")
        other = await store_jobs.upsert(db, "k", 30.0, {}, "key:2")
        assert first == again != other
        row = await store_jobs.get_by_key(db, "key:1")
        assert row is not None and row["id"] == first and row["run_at"] == 20.0
    finally:
        await db.close()


@sqlite_only
async def test_a_known_person_after_a_restart_costs_no_write(sim: Simulator) -> None:
    wang = Person(4242, "王阿姨")
    await sim.send(wang, sim.private(wang), "/help")
    await sim.restart()  # a new process: nothing cached about her
    statements: list[str] = []
    await sim.rt.db._conn.set_trace_callback(statements.append)
    try:
        reply = await sim.send(wang, sim.private(wang), "/help")
    finally:
        await sim.rt.db._conn.set_trace_callback(None)  # type: ignore[arg-type]
    assert reply.calls
    assert not [s for s in statements if "INSERT INTO users" in s or "UPDATE users" in s]

    # A changed name is still written at once.
    await sim.send(Person(4242, "王奶奶"), sim.private(wang), "/help")
    row = await cstore.get_user(sim.rt.db, 4242)
    assert row is not None and row["first_name"] == "王奶奶"


async def test_a_person_who_blocked_the_bot_and_came_back_is_started_again(
    sim: Simulator,
) -> None:
    wang = Person(4343, "王阿姨")
    await sim.send(wang, sim.private(wang), "/help")
    await cstore.mark_blocked(sim.rt.db, 4343)
    await sim.restart()
    await sim.send(wang, sim.private(wang), "/help")
    row = await cstore.get_user(sim.rt.db, 4343)
    assert row is not None and row["started"] == 1 and row["blocked"] == 0


async def test_a_write_batch_commits_all_or_nothing(db_path: str) -> None:
    db = connect(db_path)
    await db.open()
    try:
        insert = "INSERT INTO users (id, first_name) VALUES (?, ?)"
        await db.write_batch([(insert, [(1, "甲"), (2, "乙")])])
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            await db.write_batch([(insert, [(3, "丙")]), (insert, [(1, "again")])])
        assert await cstore.get_user(db, 3) is None  # the whole batch rolled back
        assert await db.fetchval("SELECT count(*) FROM users") == 2
        async with db.transaction() as tx:  # and the database is usable as before
            await tx.execute("DELETE FROM users WHERE id = 2")
        assert await db.fetchval("SELECT count(*) FROM users") == 1
    finally:
        await db.close()


async def test_staff_grid_walks_only_until_it_has_found_enough_gaps(db_path: str) -> None:
    db = connect(db_path)
    await db.open()
    try:
        cid = await cstore.get_or_create_community(db, "锡林社区")
        await cstore.upsert_user(db, 9, "李网格", "li", None)
        async with db.transaction() as tx:
            for b in range(1, 41):
                await cstore.get_or_create_household(tx, cid, str(b), "1", "101")
            await cstore.assign_buildings(tx, cid, 9, ["1", "10", "11", "2"])
        # Index order is text order: 1, 10, 11, 12, …, 19, 2, 20, …; the gaps start at 12.
        # The walk stops one building after the third gap (it counts gaps before a row).
        walked = await cstore.buildings_until_unassigned(db, cid, 3)
        assert walked == ["1", "10", "11", "12", "13", "14", "15"]
        everything = await cstore.buildings_until_unassigned(db, cid, 1000)
        assert len(everything) == 40  # the walk also ends with the buildings
    finally:
        await db.close()
