"""Concurrent update processing (bot/updates.py), Telegram's limits per chat (bot/ratelimit.py)
and the database under concurrency (storage/db.py).

Nothing here asserts a duration: "X did not wait for Y" is checked by what had happened when X
was answered (Y's message not sent yet, Y's update still in flight). The fake Bot API is slowed
(a round trip of 20 ms) so that updates really overlap.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot import quiz as quiz_rules
from bot.config import DEFAULT_CONCURRENCY, ConfigError, load_config
from bot.menu_chart import render_ranking_async
from bot.offline.simulator import Person, Simulator
from bot.ratelimit import YIELD_BACKGROUND, YIELD_GROUP, YIELD_PRIVATE, ChatRateLimiter, Pacer
from bot.updates import OrderedUpdateProcessor, step_aside
from storage.db import Database, holding_database
from tests.conftest import ADMIN, LIU, WANG, setup_community

RTT = 0.02
KIDS = [Person(500 + i, f"孩子{i}", f"kid{i}") for i in range(60)]


async def until(condition: Callable[[], bool], what: str = "condition") -> None:
    """Wait (generously) for something that must happen; a hang fails instead of blocking."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
async def slow_sim(db_path: str) -> AsyncIterator[Simulator]:
    sim = Simulator(db_path, admins=(ADMIN.id,), latency=RTT)
    await sim.start()
    try:
        yield sim
        assert not sim.api.in_transaction, "a Bot API call inside a database transaction"
    finally:
        await sim.stop()


# ---- the processor on its own -------------------------------------------------------------------
def update(chat_id: int, user_id: int, n: int) -> Update:
    kind = "private" if chat_id > 0 else "supergroup"
    return Update.de_json(
        {
            "update_id": n,
            "message": {
                "message_id": n,
                "date": 0,
                "chat": {"id": chat_id, "type": kind, "title": "t", "first_name": "f"},
                "from": {"id": user_id, "is_bot": False, "first_name": "u"},
                "text": str(n),
            },
        },
        None,
    )


class Log:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.gates: dict[str, asyncio.Event] = {}

    def started(self, name: str) -> bool:
        return ("start", name) in self.events

    def ended(self, name: str) -> bool:
        return ("end", name) in self.events

    def work(self, name: str, *, gated: bool = False, aside: bool = False) -> Awaitable[None]:
        gate = self.gates.setdefault(name, asyncio.Event())
        if not gated:
            gate.set()

        async def run() -> None:
            self.events.append(("start", name))
            if aside:
                async with step_aside():
                    await gate.wait()
            else:
                await gate.wait()
            self.events.append(("end", name))

        return run()


async def test_one_chat_and_one_person_in_order_other_chats_at_once() -> None:
    proc = OrderedUpdateProcessor(2)
    log = Log()
    group, alice, bob, carol, dave = -100, 1, 2, 3, 4
    proc.submit(update(group, alice, 1), log.work("g-alice", gated=True))
    proc.submit(update(group, bob, 2), log.work("g-bob"))  # same chat: after g-alice
    proc.submit(update(alice, alice, 3), log.work("p-alice"))  # same person: after g-alice
    proc.submit(update(carol, carol, 4), log.work("p-carol", gated=True))  # free to go
    proc.submit(update(dave, dave, 5), log.work("p-dave"))  # free, but both slots are taken
    await until(lambda: log.started("p-carol"))
    # The two that wait for their chat or person hold no slot: carol got the second one.
    assert not log.started("g-bob") and not log.started("p-alice")
    assert not log.started("p-dave") and proc.running == 2
    log.gates["g-alice"].set()
    await until(lambda: log.ended("p-dave") and log.ended("g-bob") and log.ended("p-alice"))
    assert log.events.index(("end", "g-alice")) < log.events.index(("start", "g-bob"))
    assert log.events.index(("end", "g-alice")) < log.events.index(("start", "p-alice"))
    log.gates["p-carol"].set()
    await proc.idle()
    assert proc.admitted == 0 and proc.tracked_keys == 0  # nothing kept once idle


async def test_an_update_that_only_waits_lends_its_slot() -> None:
    proc = OrderedUpdateProcessor(1)
    log = Log()
    proc.submit(update(-100, 1, 1), log.work("busy-group", gated=True, aside=True))
    proc.submit(update(2, 2, 2), log.work("private"))
    await until(lambda: log.ended("private"))  # ran in the slot the group lent
    assert not log.ended("busy-group")
    log.gates["busy-group"].set()
    await proc.idle()
    assert proc.running == 0


async def test_admission_waits_when_the_backlog_is_full() -> None:
    proc = OrderedUpdateProcessor(1, backlog=3)
    log = Log()
    names = [f"u{i}" for i in range(8)]

    async def fetcher() -> None:  # what PTB's fetcher does: one update after the other
        for i, name in enumerate(names):
            await proc.process_update(update(-100, i, i), log.work(name, gated=i == 0))

    feeding = asyncio.create_task(fetcher())
    await until(lambda: proc.admitted == 3)
    for _ in range(20):
        await asyncio.sleep(0)
    assert proc.admitted == 3 and not feeding.done()  # the rest stays with the fetcher
    log.gates["u0"].set()
    await feeding
    await proc.idle()
    assert proc.peak_admitted == 3
    assert [n for kind, n in log.events if kind == "start"] == names  # one chat: in order


async def test_a_cancelled_waiter_does_not_break_its_chat() -> None:
    proc = OrderedUpdateProcessor(4)
    log = Log()
    proc.submit(update(-100, 1, 1), log.work("first", gated=True))
    second = proc.submit(update(-100, 2, 2), log.work("second"))
    proc.submit(update(-100, 3, 3), log.work("third"))
    await until(lambda: log.started("first"))
    second.cancel()
    log.gates["first"].set()
    await proc.idle()
    assert log.ended("first") and log.ended("third") and not log.started("second")


# ---- the bot: order within a chat ---------------------------------------------------------------
async def test_conversation_steps_sent_back_to_back_stay_in_order(slow_sim: Simulator) -> None:
    sim = slow_sim
    await setup_community(sim, sim.group(-1001, "锡林社区居民群"))
    tasks = []
    for person, address in ((WANG, "21-4-302"), (LIU, "3-1-402")):
        chat = sim.private(person)
        for raw in (
            sim.message_update(person, chat, "/register"),
            sim.message_update(person, chat, address),
            sim.press_update(person, None, data="1|reg|samename", chat=chat),
            sim.press_update(person, None, data="1|reg|ok", chat=chat),
        ):
            tasks.append(sim.submit(raw))  # nobody waits for the bot's answer
    await sim.idle()
    assert all(t.done() for t in tasks)
    rows = await sim.rt.db.fetchall(
        "SELECT r.user_id, h.building, h.unit, h.room FROM residents r "
        "JOIN households h ON h.id = r.household_id ORDER BY r.user_id"
    )
    assert [tuple(r) for r in rows] == [(WANG.id, "21", "4", "302"), (LIU.id, "3", "1", "402")]
    for person in (WANG, LIU):  # each step answered in turn
        said = [c.text for c in sim.api.sent(chat_id=person.id)]
        steps = ["楼号", "怎么称呼您", "请核对", "登记成功"]
        assert [next(i for i, t in enumerate(said) if s in t) for s in steps] == [0, 1, 2, 3]


async def test_game_moves_back_to_back_are_applied_once_in_order(slow_sim: Simulator) -> None:
    sim = slow_sim
    group = sim.group(-1003, "小小分类员")
    a, b = KIDS[0], KIDS[1]
    for raw in (
        sim.message_update(a, group, "/quiz"),
        sim.press_update(a, None, data="1|qz|j|1", chat=group),
        sim.press_update(b, None, data="1|qz|j|1", chat=group),
        sim.press_update(a, None, data="1|qz|s|1", chat=group),
    ):
        sim.submit(raw)
    await sim.idle()
    row = await sim.rt.db.fetchone("SELECT state FROM quiz_games WHERE id = 1")
    game = quiz_rules.Game.from_dict(json.loads(row["state"]))
    assert game.phase == quiz_rules.AWAIT_ROLL and [p.user_id for p in game.players] == [a.id, b.id]
    # A double tap on the dice, then the other child's impatient tap.
    sim.api.dice_values.extend([3, 5])
    roll = f"1|qz|r|1|{game.turn_no}"
    presses = [sim.submit(sim.press_update(kid, None, data=roll, chat=group)) for kid in (a, a, b)]
    await sim.idle()
    assert all(p.done() for p in presses)
    assert len(sim.api.sent("sendDice")) == 1  # rolled once
    row = await sim.rt.db.fetchone("SELECT state FROM quiz_games WHERE id = 1")
    after = quiz_rules.Game.from_dict(json.loads(row["state"]))
    assert after.turn_no == game.turn_no and after.phase != quiz_rules.AWAIT_ROLL


# ---- the bot: waiting for one chat holds up nobody else -----------------------------------------
async def test_busy_groups_over_their_limit_do_not_delay_a_private_chat(db_path: str) -> None:
    # Two slots and two groups over Telegram's 20 a minute: without lending the slot while a
    # group waits for its limit (or with one update at a time) the private question would
    # wait for those groups' minutes.
    sim = Simulator(db_path, latency=RTT, limits=True, rate_limited=True, concurrency=2)
    await sim.start()
    try:
        groups = [sim.group(-2001, "一号群"), sim.group(-2002, "二号群")]
        for n, group in enumerate(groups):
            for kid in KIDS[21 * n : 21 * (n + 1)]:  # other children in each group
                sim.submit(sim.message_update(kid, group, "/sort 电池"))
        # The limiter lets 97% of Telegram's 20 through at once (19), then paces: each
        # group's 20th answer waits for its minute (holding a slot, were it not lent).
        limiter = sim.app.bot.rate_limiter  # type: ignore[union-attr]
        assert isinstance(limiter, ChatRateLimiter)
        await until(
            lambda: all(limiter.waiting_for_group(g.id) == 1 for g in groups),
            "groups waiting for their limit",
        )
        assert [sim.api.delivered[g.id] for g in groups] == [19, 19]
        reply = await sim.send(WANG, sim.private(WANG), "/help")
        assert reply.to(WANG.id)
        # Answered while both groups' next answers still wait for their minute.
        assert [sim.api.delivered[g.id] for g in groups] == [19, 19]
        assert sim.processor.admitted >= 2
        assert sim.api.too_many == 0  # paced below the limits: Telegram never refused
        sim.processor.cancel()
        await sim.idle()
    finally:
        await sim.stop()


async def test_a_429_pauses_only_the_chat_it_was_for(slow_sim: Simulator) -> None:
    sim = slow_sim
    group = sim.group(-3001, "限流的群")
    sim.api.fail(
        "sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=group.id
    )
    answer = sim.submit(sim.message_update(KIDS[0], group, "/sort 电池"))
    await until(lambda: not sim.api.failures, "the 429")
    reply = await sim.send(WANG, sim.private(WANG), "/help")
    assert reply.to(WANG.id)
    assert sim.api.delivered[group.id] == 0 and not answer.done()  # still waiting its second
    await answer
    assert sim.api.delivered[group.id] == 1  # delivered once, after the pause


async def test_replies_go_before_group_replies_before_background_sends() -> None:
    now = [0.0]
    pacer = Pacer(rate=100.0, burst=1, clock=lambda: now[0])  # time moves only when told
    await pacer.take()  # the bucket is empty now
    served: list[str] = []

    async def take(name: str, behind: float) -> None:
        await pacer.take(behind=behind)
        served.append(name)

    kinds = [
        ("notice", YIELD_BACKGROUND),
        ("group", YIELD_GROUP),
        ("private", YIELD_PRIVATE),
        ("private 2", YIELD_PRIVATE),
    ]
    waiting = [asyncio.create_task(take(name, behind)) for name, behind in kinds]
    await until(lambda: pacer.waiting == 4, "all queued")
    for n in range(1, 5):
        now[0] += 1.0  # one more token (the bucket holds one)
        await until(lambda n=n: len(served) == n, f"token {n}")
    await asyncio.gather(*waiting)
    assert served == ["private", "private 2", "group", "notice"]


async def test_memory_stays_bounded_under_a_burst_through_ptbs_fetcher(db_path: str) -> None:
    sim = Simulator(db_path, latency=RTT, concurrency=2)
    await sim.start()
    app = sim.app
    assert app is not None
    processor = sim.processor
    processor.backlog = 6  # small, to see it hold
    await app.start()
    try:
        people = [Person(700 + i, f"居民{i}") for i in range(20)]
        for person in people:
            chat = sim.private(person)
            for text in ("/sort 电池", "/help"):
                raw = sim.message_update(person, chat, text)
                app.update_queue.put_nowait(Update.de_json(raw, app.bot))
        await app.update_queue.join()
        await sim.idle()
    finally:
        await app.stop()
        await sim.stop()
    assert processor.peak_admitted <= 6 and processor.tracked_keys == 0
    for person in people:
        said = [c.text for c in sim.api.sent("sendMessage", person.id)]
        assert len(said) == 2 and "电池" in said[0] and "/help" not in said[0]  # in order


# ---- storage under concurrency ------------------------------------------------------------------
@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "c.db")
    await database.open()
    await database.execute("CREATE TABLE t (n INTEGER NOT NULL)")
    try:
        yield database
    finally:
        await database.close()


async def test_a_read_never_sees_another_chats_transaction_half_done(db: Database) -> None:
    for commit in (False, True):
        inside, finish = asyncio.Event(), asyncio.Event()

        async def writer(
            commit: bool = commit, inside: asyncio.Event = inside, finish: asyncio.Event = finish
        ) -> None:
            with pytest.raises(ZeroDivisionError) if not commit else _nothing():
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO t (n) VALUES (1)")
                    inside.set()
                    await finish.wait()
                    if not commit:
                        raise ZeroDivisionError  # rolled back

        writing = asyncio.create_task(writer())
        await inside.wait()
        reading = asyncio.create_task(db.fetchval("SELECT count(*) FROM t"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not reading.done()  # a plain read waits for the open transaction
        finish.set()
        await writing
        assert await reading == (1 if commit else 0)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


async def test_concurrent_transactions_interleave_correctly(db: Database) -> None:
    await db.execute("INSERT INTO t (n) VALUES (0)")
    seen: list[int] = []

    async def bump() -> None:
        async with db.transaction() as tx:
            n = await tx.fetchval("SELECT n FROM t")
            await asyncio.sleep(0)  # others run meanwhile, but not inside this transaction
            await tx.execute("UPDATE t SET n = ?", (n + 1,))

    async def look() -> None:
        seen.append(await db.fetchval("SELECT n FROM t"))

    await asyncio.gather(*(bump() for _ in range(40)), *(look() for _ in range(40)))
    assert await db.fetchval("SELECT n FROM t") == 40
    assert seen == sorted(seen)  # reads only ever see whole transactions, in order


async def test_self_deadlock_guard_follows_the_transaction_not_the_context(db: Database) -> None:
    later = asyncio.Event()

    async def after_commit() -> Any:
        await later.wait()
        return await db.fetchval("SELECT count(*) FROM t")

    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t (n) VALUES (7)")
        assert holding_database()
        with pytest.raises(RuntimeError, match="inside its own transaction"):
            await db.fetchval("SELECT 1")  # would wait for itself forever
        with pytest.raises(RuntimeError, match="inside its own transaction"):
            await asyncio.create_task(db.fetchval("SELECT 1"))  # awaited by the holder
        # Started here (it inherits the context) but runs after the commit: fine.
        child = asyncio.create_task(after_commit())
    assert not holding_database()
    later.set()
    assert await child == 1


async def test_a_send_inside_a_transaction_is_noticed(sim: Simulator) -> None:
    async with sim.rt.db.transaction():
        await sim.app.bot.send_message(WANG.id, "不该在事务里发")  # type: ignore[union-attr]
    assert [c.text for c in sim.api.in_transaction] == ["不该在事务里发"]
    sim.api.in_transaction.clear()


# ---- configuration and CPU work -----------------------------------------------------------------
def test_bot_concurrency_setting() -> None:
    assert load_config({}, require_token=False).concurrency == DEFAULT_CONCURRENCY
    assert load_config({"BOT_CONCURRENCY": "4"}, require_token=False).concurrency == 4
    for bad in ("0", "-1", "lots", "100000"):
        with pytest.raises(ConfigError, match="BOT_CONCURRENCY"):
            load_config({"BOT_CONCURRENCY": bad}, require_token=False)


async def test_the_app_processes_concurrently_in_order(sim: Simulator) -> None:
    assert isinstance(sim.app.update_processor, OrderedUpdateProcessor)  # type: ignore[union-attr]
    assert sim.processor.concurrency == DEFAULT_CONCURRENCY


async def test_chart_drawing_runs_off_the_event_loop() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    running = asyncio.create_task(ticker())
    try:
        chart = await render_ranking_async("结果", ["车棚改造", "楼道照明"], [3, 1])
    finally:
        running.cancel()
    assert chart.png.startswith(b"\x89PNG")
    assert ticks > 1  # the loop went on while the chart was drawn
