"""Flood control: one person sending hundreds of updates is slowed down alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.offline.simulator import Simulator
from bot.throttle import Throttle, Verdict
from tests.conftest import ADMIN, LIU, WANG, setup_community

SLOW_DOWN = "消息发得太快了"


@pytest.fixture
async def flood_sim(db_path: str) -> AsyncIterator[Simulator]:
    simulator = Simulator(db_path, admins=(ADMIN.id,), throttle=Throttle())
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


def test_bucket_rules() -> None:
    t = Throttle(rate=2.0, burst=5, warn_every=60)
    assert [t.check(1, 0.0) for _ in range(5)] == [Verdict.PASS] * 5
    assert t.check(1, 0.0) is Verdict.WARN  # the first drop tells the person
    assert t.check(1, 0.1) is Verdict.DROP  # later ones are silent (0.2 of a token)
    assert t.check(2, 0.1) is Verdict.PASS  # somebody else is not affected
    assert t.check(1, 1.0) is Verdict.PASS  # 0.2 + 0.9 s × 2/s = 2 tokens
    assert t.check(1, 1.0) is Verdict.PASS
    assert t.check(1, 1.0) is Verdict.DROP
    assert t.check(1, 30.0) is Verdict.PASS  # a quiet while: the bucket is full again
    assert t.dropped == 3
    t.check(1, 30.0), t.check(1, 30.0), t.check(1, 30.0), t.check(1, 30.0)
    assert t.check(1, 30.0) is Verdict.DROP  # not a minute since the last warning
    assert t.check(1, 60.0) is Verdict.PASS
    assert [t.check(1, 60.0) for _ in range(5)][-1] is Verdict.WARN  # a minute later: again


def test_memory_is_bounded_and_idle_people_are_forgotten_first() -> None:
    t = Throttle(rate=1.0, burst=3, max_users=100)
    for uid in range(100):
        t.check(uid, 0.0)
    t.check(1000, 100.0)  # everyone else has refilled by now: forgotten
    assert len(t) == 1
    busy = Throttle(rate=0.001, burst=1, max_users=10)
    for uid in range(50):  # nobody refills: the oldest half goes
        busy.check(uid, float(uid))
        assert len(busy) <= 10


async def test_private_flood_is_dropped_with_one_warning_and_others_are_answered(
    flood_sim: Simulator,
) -> None:
    sim = flood_sim
    chat = sim.private(WANG)
    answered = warned = 0
    for _ in range(200):  # 200 messages in the same second
        reply = await sim.send(WANG, chat, "电池")
        if SLOW_DOWN in reply.text:
            warned += 1
        elif reply.calls:
            answered += 1
    assert answered == 20 and warned == 1
    # Somebody else at the same moment: answered as usual.
    other = await sim.send(LIU, sim.private(LIU), "电池")
    assert "有害垃圾" in other.text
    # A few seconds later the flooder is answered again, two a second.
    sim.clock.advance(timedelta(seconds=5))
    again = await sim.send(WANG, chat, "电池")
    assert "有害垃圾" in again.text
    assert sim.rt.throttle.dropped == 180


async def test_button_flood_gets_one_alert_and_no_answer_per_press(flood_sim: Simulator) -> None:
    sim = flood_sim
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/lang")
    presses = [await sim.press(WANG, reply, "English") for _ in range(60)]
    # The first press switched the language: the warning comes in English.
    alerts = [a for p in presses for a in p.alerts() if "too fast" in a]
    assert len(alerts) == 1
    silent = [p for p in presses if not p.calls]
    assert len(silent) == 60 - 19 - 1  # one update (/lang) of the 20 went before


async def test_group_flood_warns_once_and_the_group_goes_on(flood_sim: Simulator) -> None:
    sim = flood_sim
    group = sim.group(-1001, "锡林社区居民群")
    await setup_community(sim, group)
    texts = []
    for _ in range(100):
        texts += (await sim.send(WANG, group, "/sort 电池")).texts
    assert sum(SLOW_DOWN in t for t in texts) == 1
    assert sum("有害垃圾" in t for t in texts) == 20
    reply = await sim.send(LIU, group, "/sort 电池")
    assert "有害垃圾" in reply.text
