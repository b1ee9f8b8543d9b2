"""Meetings: answers belong to one occurrence; a moved or cancelled meeting is announced in
the group and privately to everyone who said 参加 (never with names in the group)."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import LIU, STAFF, WANG, say_hello, setup_community
from tests.test_reminders import card, make_notice


async def test_weekly_answers_do_not_carry_over(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    notice_id = await make_notice(sim, "周六居民议事会", "每周六 19:00", meeting=True)
    announce = (await sim.advance(timedelta(seconds=1))).to(group.id)[0]
    reply = await sim.press(WANG, announce, "参加")
    assert "已记录：参加" in reply.alerts()[0]
    assert "5月16日 星期六 19:00：参加 1 人" in (await card(sim, notice_id)).text
    # Saturday 18:00: the reminder carries buttons for this Saturday only.
    reminder = (await sim.advance(timedelta(hours=33))).to(group.id)[0]
    assert reminder.text.startswith("⏰ 会议提醒")
    # Next week: nobody has answered yet, and last week's buttons are closed.
    await sim.advance(timedelta(days=1))
    assert "5月23日 星期六 19:00：参加 0 人，不参加 0 人" in (await card(sim, notice_id)).text
    reply = await sim.press(LIU, announce, "参加")
    assert "已经结束" in reply.alerts()[0]
    next_week = (await sim.advance(timedelta(days=6))).to(group.id)[0]
    assert next_week.text.startswith("⏰ 会议提醒")
    await sim.press(LIU, next_week, "参加")
    rows = await sim.rt.db.fetchall("SELECT occ, user_id, answer FROM rsvps ORDER BY occ")
    assert [(r["user_id"], r["answer"]) for r in rows] == [(WANG.id, "yes"), (LIU.id, "yes")]
    assert rows[1]["occ"] - rows[0]["occ"] == 7 * 24 * 3600


async def test_moved_and_cancelled_meeting_is_announced(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await say_hello(sim, WANG, LIU)
    notice_id = await make_notice(sim, "居民代表会议", "明天 19:00", meeting=True)
    announce = (await sim.advance(timedelta(seconds=1))).to(group.id)[0]
    await sim.press(WANG, announce, "参加")
    await sim.press(LIU, announce, "不参加")
    staff = sim.private(STAFF)
    reply = await sim.press(STAFF, await card(sim, notice_id), "改时间")
    reply = await sim.send(STAFF, staff, "后天 19:30")
    assert "时间已改为" in reply.text
    moved = reply.to(group.id)
    assert len(moved) == 1 and "会议改时间了" in moved[0].text
    assert "5月16日 星期六 19:00" in moved[0].text and "5月17日 星期日 19:30" in moved[0].text
    assert "王阿姨" not in moved[0].text
    told = reply.to(WANG.id)
    assert len(told) == 1 and "您说要参加的会议改时间了" in told[0].text
    assert not reply.to(LIU.id)  # said 不参加: not told
    # The old buttons no longer count; the new ones do.
    assert "已经结束或改了时间" in (await sim.press(LIU, announce, "参加")).alerts()[0]
    await sim.press(LIU, moved[0], "参加")
    # Cancelled: the group and (privately) who said 参加 to the new time.
    reply = await sim.press(STAFF, await card(sim, notice_id), "删除")
    reply = await sim.press(STAFF, reply, "确定删除")
    cancelled = reply.to(group.id)
    assert len(cancelled) == 1 and "会议取消了" in cancelled[0].text
    assert "5月17日 星期日 19:30" in cancelled[0].text
    assert [c.text.split("\n")[0] for c in reply.to(LIU.id)] == ["❌ 您说要参加的会议取消了"]
    assert not reply.to(WANG.id)  # answered only the old time (and was told then)
    # At most once: a restart does not announce it again; the meeting never fires.
    await sim.restart()
    reply = await sim.advance(timedelta(days=3))
    assert not reply.to(group.id)
    statuses = await sim.rt.db.fetchall("SELECT status FROM sends WHERE send_key LIKE '%cancel%'")
    assert [r["status"] for r in statuses] == ["sent", "sent"]
