"""Edges of the hand-over between a fenced instance and the next active one (bot/serve.py,
storage/handover.py): a take that is cancelled, updates taken then fenced again, order."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

import bot.serve
from bot.app import build_application
from bot.context import App
from bot.leader import Leadership
from bot.offline.simulator import Person, Simulator
from bot.serve import fence, hand_over, serve, take_handed_over
from storage import handover
from storage.db import Database, connect

GUARD = 60.0  # a hang, never a measure
FAST = {"lease": 0.8, "renew_every": 0.1, "give_up": 0.5}
PERSON = Person(900, "居民", "r1")


async def _opened(db_path: str, *, migrate: bool = True) -> Database:
    db = connect(db_path, migrate=migrate)
    await db.open()
    return db


def _app(sim: Simulator) -> App:
    return build_application(sim.config, request=sim.api, clock=sim.clock, retry_delays=(0.0,))


def _payload(sim: Simulator, update_id: int, text: str = "/help") -> str:
    message = sim.message_payload(PERSON, sim.private(PERSON), text)
    return json.dumps({"update_id": update_id, "message": message})


def _queued(app: App) -> list[int]:
    ids = []
    while not app.update_queue.empty():
        ids.append(app.update_queue.get_nowait().update_id)  # type: ignore[attr-defined]
    return ids


async def test_a_cancelled_take_still_queues_what_it_deleted(db_path: str) -> None:
    if db_path.startswith("postgresql"):
        pytest.skip("SQLite's write lock held by another connection")
    sim = Simulator(db_path)
    app = _app(sim)
    db = await _opened(db_path)
    lease_db = await _opened(db_path, migrate=False)
    await handover.put(db, [(10, _payload(sim, 10)), (11, _payload(sim, 11))], 0.0)
    locked, release = threading.Event(), threading.Event()

    def other_writer() -> None:  # another process holds the write lock: the DELETE waits
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait()
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        await asyncio.to_thread(locked.wait)
        taking = asyncio.create_task(take_handed_over(app, lease_db))
        await asyncio.sleep(0.3)  # the DELETE is waiting for the lock
        taking.cancel()  # as a renewal's time limit did
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await taking
    finally:
        release.set()
        await asyncio.to_thread(thread.join)
    await lease_db.fetchone("SELECT 1")  # queued behind the DELETE on its connection's thread
    left = [r["update_id"] for r in await db.fetchall("SELECT update_id FROM update_handover")]
    assert sorted(left + _queued(app)) == [10, 11]  # each still somewhere, none lost
    await lease_db.close()
    await db.close()


async def test_updates_taken_over_go_back_when_fenced_before_any_poll(db_path: str) -> None:
    # Taken over in a quiet moment: no getUpdates with an offset yet (confirmed_below = 0).
    sim = Simulator(db_path)
    app = _app(sim)
    db = await _opened(db_path)
    await handover.put(db, [(7, _payload(sim, 7)), (8, _payload(sim, 8))], 0.0)
    taken: set[int] = set()
    assert await take_handed_over(app, db, taken) == 2
    assert taken == {7, 8}
    assert await hand_over(app, db, fence(app), polling=True, taken=taken) == 2
    rows = await db.fetchall("SELECT update_id FROM update_handover ORDER BY update_id")
    assert [r["update_id"] for r in rows] == [7, 8]
    await db.close()


async def test_handed_over_updates_are_queued_before_polling_starts(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An older handed-over update of a chat must be queued before a newer polled one.
    sim = Simulator(db_path)
    app = _app(sim)
    db = await _opened(db_path)
    await handover.put(db, [(3, _payload(sim, 3))], 0.0)
    events: list[str] = []
    real_take = bot.serve.take_handed_over

    async def take(*args: object, **kwargs: object) -> int:
        got = await real_take(*args, **kwargs)  # type: ignore[arg-type]
        events.append(f"take {got}")
        return got

    monkeypatch.setattr(bot.serve, "take_handed_over", take)
    assert app.updater is not None
    real_poll = app.updater.start_polling

    async def start_polling(*args: object, **kwargs: object) -> object:
        events.append("poll")
        return await real_poll(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app.updater, "start_polling", start_polling)
    stop = asyncio.Event()
    leadership = Leadership(await _opened(db_path), same_machine=False, **FAST)
    running = asyncio.create_task(serve(app, leadership=leadership, stop=stop))
    try:
        for _ in range(int(GUARD * 20)):
            if sim.api.sent("sendMessage", PERSON.id):
                break
            await asyncio.sleep(0.05)
        assert sim.api.sent("sendMessage", PERSON.id)
    finally:
        stop.set()
        assert await asyncio.wait_for(running, GUARD) == 0
    assert events[:2] == ["take 1", "poll"]
    await db.close()


async def test_a_fenced_instance_sends_nothing_and_commits_nothing(db_path: str) -> None:
    from bot.polling import Fenced
    from bot.runtime import get_runtime
    from storage.db import DatabaseError

    sim = Simulator(db_path)
    app = _app(sim)
    await app.initialize()
    db = await _opened(db_path)
    rt = get_runtime(app)
    original, rt.db = rt.db, db  # type: ignore[misc]
    job_started, never = asyncio.Event(), asyncio.Event()

    async def long_job() -> bool:
        job_started.set()
        await never.wait()
        return True

    background = asyncio.create_task(long_job())
    rt.scheduler.background.add(background)  # type: ignore[arg-type]
    await job_started.wait()
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM update_handover")
    with pytest.raises(DatabaseError):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO update_handover (update_id, payload, created) VALUES (?, ?, ?)",
                (1, "{}", 0.0),
            )
            fence(app)  # the lease is lost while this transaction is open
    with pytest.raises(Fenced):
        await app.bot.send_message(PERSON.id, "late")
    assert not sim.api.sent("sendMessage")
    with pytest.raises(asyncio.CancelledError):
        await background  # a running job is cut short
    other = await _opened(db_path)
    assert await other.fetchall("SELECT update_id FROM update_handover") == []
    await other.close()
    await app.shutdown()
    # Both connections closed: an open one keeps its thread, and the test process, alive.
    await db.close()
    await original.close()
