"""Meetings: a pause is announced like a cancellation; answers per occurrence survive a
restart (the buttons carry the occurrence, the answers are rows)."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import LIU, STAFF, WANG, say_hello, setup_community
from tests.test_reminders import card, make_notice


async def test_paused_meeting_is_announced_once(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await say_hello(sim, WANG, LIU)
    notice_id = await make_notice(sim, "居民代表会议", "明天 19:00", meeting=True)
    announce = (await sim.advance(timedelta(seconds=1))).to(group.id)[0]
    await sim.press(WANG, announce, "参加")
    await sim.press(LIU, announce, "不参加")
    # Pausing is announced, so it is asked first; 不暂停 leaves everything as it was.
    reply = await sim.press(STAFF, await card(sim, notice_id), "暂停")
    assert "确定暂停会议" in reply.text and "说要参加的 1 人" in reply.text
    assert not reply.to(group.id) and not reply.to(WANG.id)
    reply = await sim.press(STAFF, reply, "不暂停")
    assert "▶️ 进行中" in reply.text and not reply.to(group.id)
    reply = await sim.press(STAFF, await card(sim, notice_id), "暂停")
    reply = await sim.press(STAFF, reply, "确定暂停")
    assert "通知会议暂停" in reply.text or "通知会议暂停" in str(reply.alerts())
    paused = reply.to(group.id)
    assert len(paused) == 1 and "会议暂停了" in paused[0].text and "王阿姨" not in paused[0].text
    assert [c.text.split("\n")[0] for c in reply.to(WANG.id)] == [
        "⏸ 您说要参加的会议暂停了，恢复时会再通知"
    ]
    assert not reply.to(LIU.id)
    await sim.restart()
    reply = await sim.advance(timedelta(days=2))  # paused: no reminder, no repeat of the news
    assert not reply.to(group.id)


async def test_weekly_answers_per_occurrence_survive_a_restart(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    notice_id = await make_notice(sim, "周六居民议事会", "每周六 19:00", meeting=True)
    announce = (await sim.advance(timedelta(seconds=1))).to(group.id)[0]
    await sim.press(WANG, announce, "参加")
    await sim.restart()
    reply = await sim.press(LIU, announce, "不参加")  # the same occurrence, after a restart
    assert "已记录：不参加" in reply.alerts()[0]
    assert "参加 1 人，不参加 1 人" in (await card(sim, notice_id)).text
    await sim.advance(timedelta(days=2))  # into next week's occurrence
    await sim.restart()
    assert "5月23日 星期六 19:00：参加 0 人，不参加 0 人" in (await card(sim, notice_id)).text
    assert "已经结束" in (await sim.press(WANG, announce, "参加")).alerts()[0]


async def test_resumed_meeting_is_announced_as_the_pause_promised(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    await say_hello(sim, WANG, LIU)
    notice_id = await make_notice(sim, "居民代表会议", "明天 19:00", meeting=True)
    announce = (await sim.advance(timedelta(seconds=1))).to(group.id)[0]
    await sim.press(WANG, announce, "参加")
    await sim.press(STAFF, await sim.press(STAFF, await card(sim, notice_id), "暂停"), "确定暂停")
    await sim.restart()
    reply = await sim.press(STAFF, await card(sim, notice_id), "恢复")  # announced: asked first
    assert "确定恢复会议" in reply.text and not reply.to(group.id)
    reply = await sim.press(STAFF, reply, "确定恢复")
    assert "通知会议恢复" in reply.text or "通知会议恢复" in str(reply.alerts())
    resumed = reply.to(group.id)
    assert len(resumed) == 1 and "会议恢复了" in resumed[0].text
    assert "王阿姨" not in resumed[0].text
    # Fresh answer buttons in the group, and the one who said 参加 hears it privately.
    assert "参加" in str(resumed[0].buttons)
    assert [c.text.split("\n")[0] for c in reply.to(WANG.id)] == ["▶️ 您说要参加的会议恢复了"]
    assert not reply.to(LIU.id)
    reply = await sim.press(LIU, resumed[0], "参加")
    assert "已记录：参加" in reply.alerts()[0]
