"""Telegram failing for a moment: repeated with back-off where that is safe, never twice
where a message may already have arrived."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from bot.request import RetryingRequest
from tests.conftest import WANG, errors_logged, setup_community
from tests.test_reminders import group_texts, make_notice

NOTICE = "📢 社区通知\n明早停电检修"


def retries(sim: Simulator) -> int:
    request = sim.app.bot.request  # type: ignore[union-attr]
    assert isinstance(request, RetryingRequest)
    return request.retries


async def ledger(sim: Simulator) -> list[str]:
    """The ledger rows of sends to groups (the notes to staff about them are left out)."""
    rows = await sim.rt.db.fetchall("SELECT status FROM sends WHERE target < 0")
    return [r["status"] for r in rows]


async def test_a_send_answered_with_a_5xx_is_not_repeated(sim: Simulator, group: Chat) -> None:
    """A 502/504 comes from Telegram's front proxy: the message may still have gone out."""
    await setup_community(sim, group)
    await make_notice(sim, "明早停电检修", "1小时后")
    sim.api.fail("sendMessage", 502, "Bad Gateway", chat_id=group.id)
    await sim.advance(timedelta(hours=1))
    assert retries(sim) == 0
    assert await ledger(sim) == ["unknown"]  # may have arrived: staff are told to look
    await sim.advance(timedelta(days=1))
    assert group_texts(sim, group.id).count(NOTICE) == 0  # not by the job's retry either


async def test_an_edit_answered_with_a_5xx_is_repeated(sim: Simulator) -> None:
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/lang")
    sim.api.fail("editMessageText", 502, "Bad Gateway", times=2)
    await sim.press(WANG, reply, "English")
    assert retries(sim) == 2
    assert "English" in sim.current(reply.last_with_buttons()).text  # type: ignore[arg-type]


async def test_a_refused_connection_is_repeated_too(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await make_notice(sim, "明早停电检修", "1小时后")
    sim.api.fail("sendMessage", chat_id=group.id, refuse_connection=True)
    await sim.advance(timedelta(hours=1))
    assert group_texts(sim, group.id).count(NOTICE) == 1
    assert await ledger(sim) == ["sent"]


async def test_a_send_that_timed_out_is_not_repeated_and_never_comes_twice(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    await make_notice(sim, "明早停电检修", "1小时后")
    failure_count = len(sim.api.failures)
    sim.api.fail("sendMessage", chat_id=group.id, timeout=True, times=5)
    await sim.advance(timedelta(hours=1))
    # One attempt only: it may have arrived, so it is recorded as unknown, not repeated...
    assert sim.api.failures[failure_count].times == 4
    assert retries(sim) == 0
    assert await ledger(sim) == ["unknown"]
    # ...not by the job's own retry either, nor after a restart.
    sim.api.failures.clear()
    await sim.restart()
    await sim.advance(timedelta(days=1))
    assert group_texts(sim, group.id).count(NOTICE) == 0


async def test_an_edit_or_an_answer_that_timed_out_is_repeated(sim: Simulator) -> None:
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/lang")
    sim.api.fail("answerCallbackQuery", timeout=True)
    sim.api.fail("editMessageText", timeout=True)
    done = await sim.press(WANG, reply, "English")
    assert [c.method for c in done.calls] == ["answerCallbackQuery", "editMessageText"]
    assert retries(sim) == 2
    assert "English" in sim.current(reply.last_with_buttons()).text  # type: ignore[arg-type]


async def test_an_edit_that_arrived_but_timed_out_is_not_an_error(sim: Simulator) -> None:
    """The repeat of an edit that did arrive hears "message is not modified": that is done."""
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/lang")
    sim.api.fail("editMessageText", timeout=True, done_anyway=True)
    with errors_logged() as errors:
        done = await sim.press(WANG, reply, "English")
    assert retries(sim) == 1 and not errors
    assert not any("something went wrong" in a.lower() or "出了点问题" in a for a in done.alerts())
    assert "English" in sim.current(reply.last_with_buttons()).text  # type: ignore[arg-type]


async def test_giving_up_keeps_the_state_and_tells_nobody_twice(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    await make_notice(sim, "明早停电检修", "1小时后")
    # Telegram unreachable for longer than the back-off lasts.
    sim.api.fail("sendMessage", chat_id=group.id, refuse_connection=True, times=4)
    await sim.advance(timedelta(hours=1))
    assert group_texts(sim, group.id).count(NOTICE) == 0
    assert retries(sim) == 3
    # Provably not sent: the ledger's durable job sends it later, once.
    assert await ledger(sim) == ["retry"]
    assert await sim.rt.db.fetchval("SELECT status FROM notices") == "done"
    await sim.advance(timedelta(seconds=30))
    assert await ledger(sim) == ["sent"]
    await sim.advance(timedelta(days=1))
    assert group_texts(sim, group.id).count(NOTICE) == 1
