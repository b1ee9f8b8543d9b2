"""A weekly meeting after its first date: the card, the names, the answers, pause and resume
all move on to the next date to come, and each person hears only what was really sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import LIU, STAFF, WANG, say_hello, setup_community
from tests.test_reminders import card, make_notice

FIRST = datetime(2026, 5, 19, 11, 0, tzinfo=UTC)  # 5月19日 星期二 19:00 in Shanghai


async def weekly_meeting_after_its_first_date(sim: Simulator, group: Chat) -> int:
    """会议通知 每周二 19:00; 王阿姨 and 刘大爷 say 参加 to 5月19日, which then passes."""
    await setup_community(sim, group)
    await say_hello(sim, WANG, LIU)
    notice_id = await make_notice(sim, "居民代表会议", "每周二 19:00", meeting=True)
    announce = (await sim.advance(timedelta(seconds=1))).to(group.id)[0]
    assert "5月19日 星期二 19:00" in announce.text
    await sim.press(WANG, announce, "参加")
    await sim.press(LIU, announce, "参加")
    await sim.advance(FIRST + timedelta(minutes=30) - sim.rt.clock.now())
    return notice_id


async def test_the_card_and_the_names_move_on_to_the_next_date(sim: Simulator, group: Chat) -> None:
    notice_id = await weekly_meeting_after_its_first_date(sim, group)
    text = (await card(sim, notice_id)).text
    assert "下次：5月26日 星期二 19:00" in text
    assert "5月26日 星期二 19:00：参加 0 人，不参加 0 人" in text and "5月19日" not in text
    # An answer for a later date (from a post about it) is kept and shown under that date.
    later = int((FIRST + timedelta(days=14)).timestamp())
    reply = await sim.press(WANG, None, data=f"1|rm|y|{notice_id}|{later}", chat=group)
    assert "已记录：参加" in reply.alerts()[0]
    text = (await card(sim, notice_id)).text
    assert "6月2日 星期二 19:00：参加 1 人，不参加 0 人" in text
    reply = await sim.press(STAFF, await card(sim, notice_id), "看名单")
    names = reply.to(STAFF.id)[-1].text
    assert "5月26日 星期二 19:00" in names and "6月2日 星期二 19:00" in names
    assert names.index("6月2日") < names.index("王阿姨")


async def test_pause_and_resume_after_the_first_date(sim: Simulator, group: Chat) -> None:
    notice_id = await weekly_meeting_after_its_first_date(sim, group)
    # The first pause names the next date; no one said 参加 to it yet, only the group hears.
    reply = await sim.press(STAFF, await card(sim, notice_id), "暂停")
    assert "确定暂停会议 #1（5月26日 星期二 19:00）吗？" in reply.text
    assert "私聊" not in reply.text
    reply = await sim.press(STAFF, reply, "确定暂停")
    assert [c.text.split("\n")[0] for c in reply.to(group.id)] == [
        "⏸ 会议暂停了，恢复时会再通知大家"
    ]
    assert "原定：5月26日 星期二 19:00" in reply.to(group.id)[0].text
    assert not reply.to(WANG.id) and not reply.to(LIU.id)
    shown = reply.to(STAFF.id)[-1]
    assert shown.text.startswith("#1 已暂停，不会再发。已在群里通知会议暂停。\n")
    assert "⏸ 已暂停" in shown.text and "私聊" not in shown.text
    assert "恢复" in str(shown.buttons)
    # Resuming is announced too: asked first, then the group gets fresh buttons.
    reply = await sim.press(STAFF, shown, "恢复")
    assert "确定恢复会议 #1（5月26日 星期二 19:00）吗？" in reply.text
    assert not reply.to(group.id)
    reply = await sim.press(STAFF, reply, "确定恢复")
    resumed = reply.to(group.id)
    assert len(resumed) == 1 and "▶️ 会议恢复了" in resumed[0].text
    assert "时间：5月26日 星期二 19:00" in resumed[0].text
    assert not reply.to(WANG.id) and not reply.to(LIU.id)
    shown = reply.to(STAFF.id)[-1]
    assert shown.text.startswith(
        "#1 已恢复。每周二 19:00（下次：5月26日 星期二 19:00）。已在群里通知会议恢复。\n"
    )
    assert "私聊" not in shown.text.split("\n")[0] and "暂停" in str(shown.buttons)
    # 刘大爷 says 参加 on the resumption post: it counts for 5月26日, on the card and the list.
    reply = await sim.press(LIU, resumed[0], "参加")
    assert "已记录：参加" in reply.alerts()[0]
    assert "5月26日 星期二 19:00：参加 1 人" in (await card(sim, notice_id)).text
    reply = await sim.press(STAFF, await card(sim, notice_id), "看名单")
    assert "参加（1人）：刘大爷" in reply.to(STAFF.id)[-1].text
    await sim.advance(timedelta(minutes=10))
    # Paused again: the group and 刘大爷 (who said 参加 to 5月26日) hear it, 王阿姨 does not.
    reply = await sim.press(STAFF, await card(sim, notice_id), "暂停")
    assert "说要参加的 1 人会私聊收到" in reply.text
    reply = await sim.press(STAFF, reply, "确定暂停")
    assert len(reply.to(group.id)) == 1 and "会议暂停了" in reply.to(group.id)[0].text
    assert [c.text.split("\n")[0] for c in reply.to(LIU.id)] == [
        "⏸ 您说要参加的会议暂停了，恢复时会再通知"
    ]
    assert not reply.to(WANG.id)
    assert "已在群里通知会议暂停，也私聊告诉了 1 人。" in reply.to(STAFF.id)[-1].text
    await sim.advance(timedelta(minutes=10))
    stale = reply.to(STAFF.id)[-1]
    await sim.press(STAFF, None, data=f"1|rm|p|{notice_id}", chat=sim.private(STAFF))  # again
    reply = await sim.press(STAFF, await sim.press(STAFF, stale, "恢复"), "确定恢复")
    assert [c.text.split("\n")[0] for c in reply.to(LIU.id)] == ["▶️ 您说要参加的会议恢复了"]
    assert "已在群里通知会议恢复，也私聊告诉了 1 人。" in reply.to(STAFF.id)[-1].text
    # Back on: the reminder an hour before the 5月26日 meeting goes out as usual.
    reply = await sim.advance(FIRST + timedelta(days=7, hours=-1) - sim.rt.clock.now())
    assert [c.text.split("\n")[0] for c in reply.to(group.id)] == ["⏰ 会议提醒：1小时后开会"]


async def test_a_pause_never_announced_is_resumed_quietly(sim: Simulator, group: Chat) -> None:
    """A meeting paused by an earlier release, which announced nothing (no record of it)."""
    notice_id = await weekly_meeting_after_its_first_date(sim, group)
    await sim.rt.db.execute("UPDATE notices SET status = 'paused' WHERE id = ?", (notice_id,))
    reply = await sim.press(STAFF, await card(sim, notice_id), "恢复")  # not asked: no news
    assert not reply.to(group.id) and not reply.to(WANG.id) and not reply.to(LIU.id)
    shown = reply.to(STAFF.id)[-1]
    assert shown.text.startswith("#1 已恢复。每周二 19:00（下次：5月26日 星期二 19:00）。\n")
    assert "通知" not in shown.text.split("\n")[0]


async def test_a_paused_meeting_given_a_new_time_is_announced_as_resumed(
    sim: Simulator, group: Chat
) -> None:
    notice_id = await weekly_meeting_after_its_first_date(sim, group)
    # 刘大爷 says 参加 to 5月26日 on the card's date; then the meeting is paused (announced).
    occ = int((FIRST + timedelta(days=7)).timestamp())
    await sim.press(LIU, None, data=f"1|rm|y|{notice_id}|{occ}", chat=group)
    await sim.press(STAFF, await sim.press(STAFF, await card(sim, notice_id), "暂停"), "确定暂停")
    await sim.advance(timedelta(minutes=10))
    # A new time instead of 恢复: on again, so told as the pause promised, at the new time.
    reply = await sim.press(STAFF, await card(sim, notice_id), "改时间")
    reply = await sim.send(STAFF, sim.private(STAFF), "每周三 19:30")
    resumed = reply.to(group.id)
    assert len(resumed) == 1 and "▶️ 会议恢复了" in resumed[0].text
    assert "时间：5月20日 星期三 19:30" in resumed[0].text and "参加" in str(resumed[0].buttons)
    assert [c.text.split("\n")[0] for c in reply.to(LIU.id)] == ["▶️ 您说要参加的会议恢复了"]
    assert not reply.to(WANG.id)
    assert reply.to(STAFF.id)[-1].text == (
        "通知 #1 的时间已改为：每周三 19:30（下次：5月20日 星期三 19:30）。"
        "已在群里通知会议恢复，也私聊告诉了 1 人。"
    )
