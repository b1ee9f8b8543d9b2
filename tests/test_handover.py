"""Fencing loses no fetched update and doubles none (bot/serve.py, bot/polling.py,
bot/updates.py, storage/handover.py), and a standby leaves the schema alone.

PTB's Updater confirms a polled batch to Telegram with its next getUpdates, so updates still
waiting in the instance when it loses the lease are confirmed but not handled. The fake Bot
API here keeps Telegram's rule (an update is sent again until an offset passes it), so the
test sees exactly what a real takeover would: what the fenced instance hands over, what
Telegram sends the next one, and who answered whom.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest

from bot.app import build_application
from bot.context import App
from bot.leader import Leadership
from bot.offline.simulator import Person, Simulator
from bot.serve import serve
from bot.updates import OrderedUpdateProcessor
from storage import handover
from storage.db import Database, connect, migration_files

GUARD = 60.0  # a hang, never a measure
FAST = {"lease": 0.8, "renew_every": 0.1, "give_up": 0.5}
PEOPLE = tuple(Person(500 + n, f"居民{n}", f"r{n}") for n in range(8))


async def _opened(db_path: str, *, migrate: bool = True) -> Database:
    db = connect(db_path, migrate=migrate)
    await db.open()
    return db


async def _until(condition: object, what: str) -> None:
    for _ in range(int(GUARD * 20)):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


def _help(sim: Simulator, person: Person) -> None:
    sim.api.push_update(
        {
            "update_id": sim.api.next_update_id(),
            "message": sim.message_payload(person, sim.private(person), "/help"),
        }
    )


def _app(sim: Simulator) -> App:
    return build_application(sim.config, request=sim.api, clock=sim.clock, retry_delays=(0.0,))


async def test_fenced_updates_go_to_the_next_instance_once(db_path: str) -> None:
    # One update at a time, and Telegram slow to answer: the first /help is being handled
    # (its reply on the way) while the others wait in the instance, fetched and confirmed.
    sim = Simulator(db_path, concurrency=1)  # its config and fake Telegram; not started
    first, second = _app(sim), _app(sim)
    db = await _opened(db_path)
    lost: list[int] = []
    a = Leadership(await _opened(db_path), same_machine=False, **FAST)
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    running_a = asyncio.create_task(
        serve(first, leadership=a, stop=stop_a, on_lost=lambda: lost.append(1))
    )
    running_b: asyncio.Task[int] | None = None
    try:
        await _until(lambda: sim.api.sent("deleteWebhook"), "the first instance polls")
        sim.api.latency = 2.0
        for person in PEOPLE[:5]:
            _help(sim, person)
        processor = first.update_processor
        assert isinstance(processor, OrderedUpdateProcessor)
        await _until(
            lambda: not sim.api.pending_updates and processor.admitted == 5,
            "all five fetched (so confirmed) and admitted",
        )
        assert processor.running == 1
        # The lease passes to someone else (a stall, a partition): the first one fences.
        await db.execute("UPDATE leader_lease SET holder = 'elsewhere:1:x', expires_at = 1e12")
        assert await asyncio.wait_for(running_a, GUARD) == 75 and lost == [1]
        sim.api.latency = 0.0
        handed = await db.fetchall("SELECT update_id FROM update_handover ORDER BY update_id")
        assert [r["update_id"] for r in handed] == [2, 3, 4, 5]  # the started one is not
        # Telegram got no getUpdates after the fence: these two wait for the next instance.
        for person in PEOPLE[5:7]:
            _help(sim, person)
        await asyncio.sleep(0.3)
        assert len(sim.api.pending_updates) == 2
        await db.execute("UPDATE leader_lease SET expires_at = 0")  # 'elsewhere' stops
        running_b = asyncio.create_task(
            serve(
                second,
                leadership=Leadership(await _opened(db_path), same_machine=False, **FAST),
                stop=stop_b,
            )
        )
        await _until(
            lambda: all(sim.api.sent("sendMessage", p.id) for p in PEOPLE[1:7]),
            "the next instance answers everyone whose update was not started",
        )
        await asyncio.sleep(0.3)  # anything doubled would show now
        answers = Counter(c.chat_id for c in sim.api.sent("sendMessage"))
        assert all(answers[p.id] == 1 for p in PEOPLE[1:7]), answers
        assert answers[PEOPLE[0].id] <= 1  # cut short by the fence, as by a crash
        assert not await db.fetchall("SELECT update_id FROM update_handover")
    finally:
        stop_a.set()
        stop_b.set()
        if running_b is not None:
            assert await asyncio.wait_for(running_b, GUARD) == 0
        if not running_a.done():
            running_a.cancel()
        await db.close()


async def test_a_handed_over_update_telegram_also_sends_is_handled_once(db_path: str) -> None:
    sim = Simulator(db_path)
    app = _app(sim)
    db = await _opened(db_path)
    _help(sim, PEOPLE[0])  # update 1: Telegram still holds it...
    [update] = sim.api.pending_updates
    payload = sim.message_payload(PEOPLE[0], sim.private(PEOPLE[0]), "/help")
    update = {**update, "message": payload}
    await handover.put(db, [(1, json.dumps(update))], 0.0)  # ...and it was handed over
    stop = asyncio.Event()
    running = asyncio.create_task(
        serve(
            app,
            leadership=Leadership(await _opened(db_path), same_machine=False, **FAST),
            stop=stop,
        )
    )
    try:
        await _until(lambda: sim.api.sent("sendMessage", PEOPLE[0].id), "an answer")
        await _until(lambda: not sim.api.pending_updates, "Telegram's copy confirmed")
        await asyncio.sleep(0.3)
        assert len(sim.api.sent("sendMessage", PEOPLE[0].id)) == 1
        processor = app.update_processor
        assert isinstance(processor, OrderedUpdateProcessor) and processor.duplicates == 1
    finally:
        stop.set()
        assert await asyncio.wait_for(running, GUARD) == 0
        await db.close()


async def test_a_standby_does_not_migrate_until_it_holds_the_lease(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.db
    import storage.pg

    sim = Simulator(db_path)
    db = await _opened(db_path)
    version_sql = (
        "SELECT max(version) AS v FROM schema_version"
        if db.kind == "postgresql"
        else "PRAGMA user_version"
    )
    other = Leadership(db, same_machine=False, lease=3600, renew_every=1, give_up=1800)
    assert await other.wait()
    # An older schema under the running (older) active instance: from just before the
    # hand-over table, which is then this release's last migration.
    handover = next(v for v, name, _sql in migration_files() if "handover" in name)
    files = migration_files()[:handover]
    monkeypatch.setattr(storage.db, "migration_files", lambda: files)
    monkeypatch.setattr(storage.pg, "migration_files", lambda: files)
    await db.execute("DROP TABLE update_handover")
    if db.kind == "postgresql":
        await db.execute("UPDATE schema_version SET version = ?", (handover - 1,))
    else:
        await db.execute(f"PRAGMA user_version = {handover - 1}")
    before = await db.fetchval(version_sql)
    assert before == handover - 1
    stop = asyncio.Event()
    running = asyncio.create_task(
        serve(
            _app(sim),
            leadership=Leadership(
                await _opened(db_path, migrate=False), same_machine=False, **FAST
            ),
            stop=stop,
        )
    )
    try:
        await asyncio.sleep(0.5)  # several attempts at the lease
        assert await db.fetchval(version_sql) == before
        await other.release()
        await _until(lambda: sim.api.sent("deleteWebhook"), "it starts once it holds the lease")
        assert await db.fetchval(version_sql) == len(files)
    finally:
        stop.set()
        assert await asyncio.wait_for(running, GUARD) == 0
        await db.close()


async def test_a_clean_stop_keeps_the_lease_until_the_application_stopped(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.serve

    sim = Simulator(db_path)
    app = _app(sim)
    db = await _opened(db_path)
    leadership = Leadership(await _opened(db_path), same_machine=False, **FAST)
    seen: list[tuple[str, bool]] = []
    real = bot.serve.shutdown_runtime

    async def slow_shutdown(application: App) -> None:
        # Jobs finishing for longer than a lease lasts: the lease must still be ours.
        await asyncio.sleep(2 * FAST["lease"])
        row = await db.fetchone("SELECT holder, expires_at FROM leader_lease WHERE name = 'bot'")
        assert row is not None
        seen.append((str(row["holder"]), float(row["expires_at"]) > time.time()))
        await real(application)

    monkeypatch.setattr(bot.serve, "shutdown_runtime", slow_shutdown)
    stop = asyncio.Event()
    running = asyncio.create_task(serve(app, leadership=leadership, stop=stop))
    try:
        await _until(lambda: sim.api.sent("deleteWebhook"), "it starts")
    finally:
        stop.set()
        assert await asyncio.wait_for(running, GUARD) == 0
    assert seen == [(leadership.holder, True)]
    row = await db.fetchone("SELECT expires_at FROM leader_lease WHERE name = 'bot'")
    assert row is not None and float(row["expires_at"]) == 0  # released after the stop
    await db.close()
