"""A Bot API outage across a notice's time: exactly one copy arrives, or staff are told.

`Outage` is the fake Bot API with a window of (fake-clock) time in which every request fails
the same way: the connection is refused, it times out (after Telegram carried it out, or
before), or the answer is a 5xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.offline.fakeapi import ApiCall, Failure, FakeBotAPI
from bot.offline.simulator import Simulator
from tests.conftest import ADMIN, GROUP_ID, STAFF, VOLUNTEER, setup_community
from tests.test_reminders import make_notice

TEXT = "📢 社区通知\n明早停水"


class Outage(FakeBotAPI):
    """Every request within [start, end) of the fake clock fails as `failure` says."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(now=lambda: clock.now().timestamp())
        self.window: tuple[float, float] | None = None
        self.failure = Failure(None, None, 500, "Internal error", times=10**9)
        self.tries: list[ApiCall] = []

    def down(self, clock: FakeClock, start: timedelta, length: timedelta, **how: object) -> None:
        at = clock.now().timestamp()
        self.window = (at + start.total_seconds(), at + (start + length).total_seconds())
        self.failure = Failure(None, None, 500, "Internal error", times=10**9)
        for name, value in how.items():
            setattr(self.failure, name, value)

    def _take_failure(self, call: ApiCall) -> Failure | None:
        if call.method == "sendMessage":
            self.tries.append(call)
        if self.window and self.window[0] <= call.at < self.window[1]:
            return self.failure
        return super()._take_failure(call)


@pytest.fixture
async def osim(db_path: str) -> AsyncIterator[Simulator]:
    clock = FakeClock()
    simulator = Simulator(db_path, admins=(ADMIN.id,), clock=clock, api=Outage(clock))
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


def outage(sim: Simulator) -> Outage:
    assert isinstance(sim.api, Outage)
    return sim.api


def copies(sim: Simulator, text: str = TEXT) -> int:
    return sum(1 for c in sim.api.sent("sendMessage", GROUP_ID) if c.text == text)


def staff_notes(sim: Simulator, word: str) -> list[str]:
    return [c.text for c in sim.api.sent("sendMessage", STAFF.id) if word in c.text]


async def notice_in_an_hour(sim: Simulator) -> int:
    await setup_community(sim, sim.group(GROUP_ID, "锡林社区居民群"))
    return await make_notice(sim, "明早停水", "1小时后")


async def ledger(sim: Simulator, notice_id: int) -> list[str]:
    rows = await sim.rt.db.fetchall(
        "SELECT status FROM sends WHERE send_key LIKE ? AND target < 0", (f"n{notice_id}:%",)
    )
    return [r["status"] for r in rows]


async def run_for(sim: Simulator, total: timedelta, step: timedelta) -> None:
    passed = timedelta(0)
    while passed < total:
        await sim.advance(step)
        passed += step


async def test_refused_connections_are_retried_by_a_job(osim: Simulator) -> None:
    nid = await notice_in_an_hour(osim)
    # 35 seconds without a connection, from 10 s before the notice's time.
    outage(osim).down(
        osim.clock, timedelta(minutes=59, seconds=50), timedelta(seconds=35), refuse_connection=True
    )
    await osim.advance(timedelta(hours=1))
    assert copies(osim) == 0
    assert await ledger(osim, nid) == ["retry"]
    retry = await osim.rt.db.fetchone(
        "SELECT * FROM jobs WHERE kind = 'broadcast_send' AND status = 'pending'"
    )
    assert retry is not None  # durable: a row in jobs, not a loop waiting in memory
    await osim.advance(timedelta(seconds=26))  # the outage is over; the retry is not due
    assert copies(osim) == 0
    await osim.restart()  # and it survives a restart
    await run_for(osim, timedelta(minutes=5), timedelta(seconds=10))
    assert copies(osim) == 1
    assert await ledger(osim, nid) == ["sent"]
    assert not staff_notes(osim, "送达")
    await run_for(osim, timedelta(hours=2), timedelta(minutes=10))
    assert copies(osim) == 1


@pytest.mark.parametrize("done_anyway", [True, False])
async def test_timeout_is_not_repeated_and_staff_are_told(
    osim: Simulator, done_anyway: bool
) -> None:
    nid = await notice_in_an_hour(osim)
    outage(osim).down(
        osim.clock,
        timedelta(minutes=59, seconds=50),
        timedelta(seconds=35),
        raise_timeout=True,
        done_anyway=done_anyway,
    )
    await osim.advance(timedelta(hours=1))
    await run_for(osim, timedelta(minutes=10), timedelta(seconds=10))
    assert copies(osim) == (1 if done_anyway else 0)
    tries = [c for c in outage(osim).tries if c.chat_id == GROUP_ID and c.text == TEXT]
    assert len(tries) == 1  # never repeated: it may have arrived
    assert await ledger(osim, nid) == ["unknown"]
    notes = staff_notes(osim, "可能没有送达")
    # The note to staff is itself tried again after a timeout (twice beats never).
    assert notes and set(notes) == {
        f"⚠️ 通知 #{nid} 可能没有送达 锡林社区居民群，请到群里看一下，如没有请重新发送。"
    }
    await run_for(osim, timedelta(hours=2), timedelta(minutes=10))
    assert copies(osim) == (1 if done_anyway else 0)
    assert len(staff_notes(osim, "可能没有送达")) == len(notes)


async def test_bad_gateway_is_unknown(osim: Simulator) -> None:
    nid = await notice_in_an_hour(osim)
    outage(osim).down(
        osim.clock, timedelta(minutes=59, seconds=50), timedelta(seconds=35), status=502
    )
    await osim.advance(timedelta(hours=1))
    await run_for(osim, timedelta(minutes=5), timedelta(seconds=10))
    assert await ledger(osim, nid) == ["unknown"]
    assert len(staff_notes(osim, f"通知 #{nid} 可能没有送达")) == 1


async def test_refused_by_telegram_is_reported(osim: Simulator) -> None:
    nid = await notice_in_an_hour(osim)
    osim.api.fail("sendMessage", 403, "Forbidden: bot was kicked from the group", chat_id=GROUP_ID)
    await osim.advance(timedelta(hours=1))
    assert await ledger(osim, nid) == ["failed"]
    assert staff_notes(osim, "没有送达") == [
        f"❌ 通知 #{nid} 没有送达 锡林社区居民群（Telegram 拒绝了这条消息）。"
        "请检查机器人是否还在群里，然后重新发送。"
    ]


async def test_rate_limited_send_is_retried_later(osim: Simulator) -> None:
    nid = await notice_in_an_hour(osim)
    # The rate limiter waits once, then the ledger's job takes over.
    osim.api.fail("sendMessage", 429, "Too Many Requests", retry_after=1, times=2)
    await osim.advance(timedelta(hours=1))
    assert copies(osim) == 0 and await ledger(osim, nid) == ["retry"]
    await osim.advance(timedelta(seconds=30))
    assert copies(osim) == 1 and await ledger(osim, nid) == ["sent"]


async def test_long_outage_gives_up_and_tells_staff(osim: Simulator) -> None:
    nid = await notice_in_an_hour(osim)
    outage(osim).down(
        osim.clock, timedelta(minutes=59), timedelta(minutes=40), refuse_connection=True
    )
    await run_for(osim, timedelta(hours=2), timedelta(minutes=1))
    assert copies(osim) == 0
    assert await ledger(osim, nid) == ["failed"]
    notes = staff_notes(osim, "没有送达")
    assert len(notes) == 1 and "多次重试" in notes[0]


async def test_care_ping_outage_is_retried(osim: Simulator) -> None:
    group = osim.group(GROUP_ID, "锡林社区居民群")
    await setup_community(osim, group)
    reply = await osim.send(
        STAFF, osim.private(STAFF), f"/care_add 张奶奶 21-4-302 每周两次 @{VOLUNTEER.username}"
    )
    assert "已登记" in reply.text
    outage(osim).down(
        osim.clock,
        timedelta(days=3) - timedelta(seconds=5),
        timedelta(seconds=35),
        refuse_connection=True,
    )
    await run_for(osim, timedelta(days=3, minutes=3), timedelta(minutes=1))
    pings = [c for c in osim.api.sent("sendMessage", VOLUNTEER.id) if "关爱走访提醒" in c.text]
    assert len(pings) == 1
