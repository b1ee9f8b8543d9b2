"""The leader lease, job leases and webhook mode (bot/leader.py, bot/scheduler.py,
bot/serve.py). The two-process failover under load is tests/test_failover.py."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from pathlib import Path

import httpx

from bot.app import build_application
from bot.leader import Leadership
from bot.offline.simulator import Simulator
from bot.serve import Webhook, serve
from storage import jobs as jobstore
from storage import leader as store
from storage.db import Database, connect

GUARD = 60.0  # a hang, never a measure
# Short leases so the tests wait fractions of a second, not the production 8 s.
FAST = {"lease": 0.8, "renew_every": 0.1, "give_up": 0.5}


async def _opened(path: Path | str) -> Database:
    # connect(): a PostgreSQL URL must stay a URL (Path() would fold its // into a file name).
    db = connect(str(path))
    await db.open()
    return db


async def test_one_holder_at_a_time_and_the_standby_takes_over(tmp_path: Path) -> None:
    db_a, db_b = await _opened(tmp_path / "x.db"), await _opened(tmp_path / "x.db")
    a = Leadership(db_a, same_machine=False, **FAST)
    b = Leadership(db_b, same_machine=False, **FAST)
    try:
        assert await a.try_acquire()
        assert not await b.try_acquire()  # held, not ended
        assert await a.try_acquire()  # renewing is taking it again
        # A dies (renews no more): B gets it once the lease ends, and then A cannot renew.
        assert await asyncio.wait_for(b.wait(), GUARD)
        assert not await a.try_acquire()
        row = await store.current(db_b, "bot")
        assert row is not None and row["holder"] == b.holder
    finally:
        await db_a.close()
        await db_b.close()


async def test_a_clean_stop_hands_over_at_once(tmp_path: Path) -> None:
    db = await _opened(tmp_path / "x.db")
    a = Leadership(db, same_machine=False, lease=3600, renew_every=1, give_up=1800)
    b = Leadership(db, same_machine=False, lease=3600, renew_every=1, give_up=1800)
    try:
        assert await a.wait()
        assert not await b.try_acquire()
        await a.release()
        assert await b.try_acquire()
    finally:
        await db.close()


async def test_a_dead_holder_on_this_machine_is_not_waited_for(tmp_path: Path) -> None:
    db = await _opened(tmp_path / "x.db")
    host = socket.gethostname()
    try:
        # A pid that is not running (beyond pid_max) held a lease that has not ended.
        await store.acquire(db, "bot", f"{host}:99999999:dead", 1.0, 1e12)
        assert await Leadership(db, lease=3600, renew_every=1, give_up=1800).try_acquire()
        # Another machine's holder is always waited for.
        await store.acquire(db, "other", "elsewhere:1:x", 1.0, 1e12)
        assert not await Leadership(
            db, name="other", lease=3600, renew_every=1, give_up=1800
        ).try_acquire()
    finally:
        await db.close()


async def test_an_active_one_that_cannot_renew_fences_itself(tmp_path: Path) -> None:
    db = await _opened(tmp_path / "x.db")
    a = Leadership(db, same_machine=False, **FAST)
    try:
        assert await a.wait()

        async def unreachable() -> bool:
            raise OSError("connection to the database lost")

        a.try_acquire = unreachable  # type: ignore[method-assign]
        why = await asyncio.wait_for(a.hold(), GUARD)
        assert "could not renew" in why and not a.active
    finally:
        await db.close()


async def test_an_active_one_whose_lease_was_taken_stops(tmp_path: Path) -> None:
    db = await _opened(tmp_path / "x.db")
    a = Leadership(db, same_machine=False, **FAST)
    b = Leadership(db, same_machine=False, **FAST)
    try:
        assert await a.wait()
        # A stalled past its lease (a frozen VM); B took over meanwhile.
        await db.execute("UPDATE leader_lease SET expires_at = 0")
        assert await b.try_acquire()
        why = await asyncio.wait_for(a.hold(), GUARD)
        assert b.holder in why
    finally:
        await db.close()


async def _claimed_elsewhere(sim: Simulator, key: str, kind: str) -> int:
    """A job another process claimed, whose lease ends in a minute (of the bot's clock)."""
    now = sim.clock.now()
    job_id = await sim.rt.scheduler.schedule(kind, now, {}, key=key)
    claimed = await jobstore.claim(
        sim.rt.db, job_id, "elsewhere:1:x", now.timestamp(), now.timestamp() + 60
    )
    assert claimed == "pending"
    return job_id


async def test_a_job_claimed_by_another_process_waits_for_its_lease(db_path: str) -> None:
    ran: list[int] = []

    async def work(app: object, job: object) -> None:
        ran.append(1)

    sim = Simulator(db_path)
    await sim.start()
    try:
        sim.rt.scheduler.register("t_again", work, at_least_once=True)
        sim.rt.scheduler.register("t_once", work, at_least_once=False)
        again = await _claimed_elsewhere(sim, "k:again", "t_again")
        once = await _claimed_elsewhere(sim, "k:once", "t_once")
        await sim.restart()  # start-up no longer resets other processes' running jobs
        sim.rt.scheduler.register("t_again", work, at_least_once=True)
        sim.rt.scheduler.register("t_once", work, at_least_once=False)
        await sim.rt.scheduler.run_due()
        assert ran == []
        assert (await jobstore.get(sim.rt.db, again))["status"] == "running"  # type: ignore[index]
        await sim.advance(timedelta(minutes=2))  # the holder's lease has ended: it crashed
        assert ran == [1]  # the at-least-once job ran again, once
        row = await jobstore.get(sim.rt.db, again)
        assert row is not None and row["status"] == "done"
        assert row["claimed_by"] == sim.rt.scheduler.holder
        row = await jobstore.get(sim.rt.db, once)
        # An at-most-once job cut short is never repeated.
        assert row is not None and row["status"] == "failed"
    finally:
        await sim.stop()


async def test_a_fenced_scheduler_runs_nothing(db_path: str) -> None:
    ran: list[int] = []

    async def work(app: object, job: object) -> None:
        ran.append(1)

    sim = Simulator(db_path)
    await sim.start()
    try:
        sim.rt.scheduler.register("t_work", work)
        await sim.rt.scheduler.schedule("t_work", sim.clock.now(), {}, key="k:w")
        sim.rt.scheduler.fence()
        await sim.advance(timedelta(minutes=1))
        assert ran == []
        row = await jobstore.get_by_key(sim.rt.db, "k:w")
        assert row is not None and row["status"] == "pending"  # for the new active one
    finally:
        await sim.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_checks_the_secret_token_and_answers(db_path: str) -> None:
    sim = Simulator(db_path)  # only for its config and fake Telegram; not started
    app = build_application(sim.config, request=sim.api, clock=sim.clock, retry_delays=(0.0,))
    port = _free_port()
    hook = Webhook(
        url="https://bot.example.org/telegram/hook",
        listen="127.0.0.1",
        port=port,
        secret_token="s3cret_Token-1",
    )
    leadership = Leadership(await _opened(db_path), same_machine=False, **FAST)
    stop = asyncio.Event()
    lost: list[bool] = []
    running = asyncio.create_task(
        serve(app, webhook=hook, leadership=leadership, stop=stop, on_lost=lambda: lost.append(1))
    )
    update = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": int(sim.clock.now().timestamp()),
            "chat": {"id": 101, "type": "private", "first_name": "王阿姨"},
            "from": {"id": 101, "is_bot": False, "first_name": "王阿姨"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    url = f"http://127.0.0.1:{port}/telegram/hook"
    try:
        async with httpx.AsyncClient(timeout=GUARD) as client:
            for _ in range(int(GUARD * 10)):  # until the server listens
                if sim.api.sent("setWebhook"):
                    break
                await asyncio.sleep(0.1)
            [set_webhook] = sim.api.sent("setWebhook")
            assert set_webhook.params["url"] == hook.url
            assert set_webhook.params["secret_token"] == hook.secret_token
            assert "callback_query" in set_webhook.params["allowed_updates"]
            wrong = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            missing = await client.post(url, json=update)
            assert wrong.status_code == 403 and missing.status_code == 403
            await asyncio.sleep(0.3)
            assert not sim.api.sent("sendMessage", 101)  # refused updates are not handled
            right = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_Token-1"}
            )
            assert right.status_code == 200
            for _ in range(int(GUARD * 10)):
                if sim.api.sent("sendMessage", 101):
                    break
                await asyncio.sleep(0.1)
            [answer] = sim.api.sent("sendMessage", 101)
            assert "/register" in answer.text
    finally:
        stop.set()
        code = await asyncio.wait_for(running, GUARD)
    assert code == 0 and not lost


async def test_a_standby_leaves_telegram_alone_until_it_takes_over(db_path: str) -> None:
    sim = Simulator(db_path)  # only for its config and fake Telegram; not started
    app = build_application(sim.config, request=sim.api, clock=sim.clock, retry_delays=(0.0,))
    db = await _opened(db_path)
    other = Leadership(db, same_machine=False, lease=3600, renew_every=1, give_up=1800)
    assert await other.wait()  # another instance is active
    stop = asyncio.Event()
    running = asyncio.create_task(
        serve(
            app,
            leadership=Leadership(await _opened(db_path), same_machine=False, **FAST),
            stop=stop,
        )
    )
    try:
        await asyncio.sleep(0.5)  # several of its attempts to take the lease
        assert not sim.api.calls  # no getMe, no getUpdates, no setWebhook, no command menus
        await other.release()  # the active one stops cleanly
        sim.api.push_update(
            {
                "update_id": sim.api.next_update_id(),
                "message": {
                    "message_id": sim.api.new_message_id(),
                    "date": int(sim.clock.now().timestamp()),
                    "chat": {"id": 102, "type": "private", "first_name": "李"},
                    "from": {"id": 102, "is_bot": False, "first_name": "李"},
                    "text": "/help",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            }
        )
        for _ in range(int(GUARD * 10)):
            if sim.api.sent("sendMessage", 102):
                break
            await asyncio.sleep(0.1)
        assert sim.api.sent("getUpdates") and sim.api.sent("sendMessage", 102)  # it polls now
    finally:
        stop.set()
        assert await asyncio.wait_for(running, GUARD) == 0
        await db.close()


def test_status_names_the_active_instance(
    tmp_path: Path, monkeypatch: object, capsys: object
) -> None:
    import pytest

    from bot.cli import main

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "s.db"))
    assert main(["status"]) == 1

    async def hold() -> str:
        db = await _opened(tmp_path / "s.db")
        leader = Leadership(db, lease=3600, renew_every=1, give_up=1800)
        await leader.wait()
        await db.close()
        return leader.holder

    holder = asyncio.run(hold())
    assert main(["status"]) == 0
    assert holder in capsys.readouterr().out  # type: ignore[attr-defined]
