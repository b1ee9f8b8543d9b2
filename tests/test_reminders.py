"""Notices and meetings through the real Application and the fake Bot API."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.offline.fakeapi import FakeBotAPI
from bot.offline.simulator import Chat, Simulator
from bot.reminders import Schedule
from bot.workflows import reminders as wf
from storage import community as cstore
from storage import reminders as store
from tests.conftest import (
    LIU,
    OTHER_GROUP_ID,
    STAFF,
    WANG,
    say_hello,
    setup_community,
)

TZ = ZoneInfo("Asia/Shanghai")


def group_texts(sim: Simulator, chat_id: int) -> list[str]:
    return [c.text for c in sim.api.sent("sendMessage", chat_id)]


async def make_notice(
    sim: Simulator, text: str, when: str, *, meeting: bool = False, target: str = "锡林社区居民群"
) -> int:
    chat = sim.private(STAFF)
    reply = await sim.send(STAFF, chat, "/remind")
    reply = await sim.press(STAFF, reply, target)
    reply = await sim.press(STAFF, reply, "会议通知" if meeting else "普通通知")
    reply = await sim.send(STAFF, chat, text)
    reply = await sim.send(STAFF, chat, when)
    assert "请核对" in reply.text, reply.text
    reply = await sim.press(STAFF, reply, "确认")
    assert "已保存通知" in reply.text
    return int(await sim.rt.db.fetchval("SELECT max(id) FROM notices"))


async def card(sim: Simulator, notice_id: int):
    reply = await sim.send(STAFF, sim.private(STAFF), "/reminders")
    for call in reply.calls:
        if call.text.startswith(f"#{notice_id} "):
            return call
    raise AssertionError(reply.text)


async def test_one_off_notice_fires_once(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await make_notice(sim, "明天停水，请提前储水", "明天 8:00")
    reply = await sim.advance(timedelta(hours=22, minutes=59))
    assert not reply.to(group.id)
    reply = await sim.advance(timedelta(minutes=1))
    assert [c.text for c in reply.to(group.id)] == ["📢 社区通知\n明天停水，请提前储水"]
    reply = await sim.advance(timedelta(days=3))
    assert not reply.to(group.id)
    assert await sim.rt.db.fetchval("SELECT status FROM notices") == "done"


async def test_fortnightly_rule_is_stored_and_exact(sim: Simulator, group: Chat) -> None:
    """ "每两周周二" is kept as an RRULE with its first run, so the weeks never drift, and it
    is said back in words (and after a restart the same weeks still hold)."""
    await setup_community(sim, group)
    chat = sim.private(STAFF)
    reply = await sim.send(STAFF, chat, "/remind")
    reply = await sim.press(STAFF, reply, "锡林社区居民群")
    reply = await sim.press(STAFF, reply, "普通通知")
    reply = await sim.send(STAFF, chat, "楼道大扫除")
    reply = await sim.send(STAFF, chat, "每两周周二 19:00")
    assert "每两周的周二 19:00（下次：5月19日 星期二 19:00）" in reply.text
    await sim.press(STAFF, reply, "确认")
    raw = json.loads(await sim.rt.db.fetchval("SELECT schedule FROM notices"))
    assert raw["kind"] == "rule" and "INTERVAL=2" in raw["rule"] and raw["start"]
    sends: list[str] = []
    await sim.advance(timedelta(hours=9, minutes=59))  # Friday 18:59
    for day in range(36):
        if day == 10:
            await sim.restart()
        for step in (timedelta(minutes=1), timedelta(hours=23, minutes=59)):
            reply = await sim.advance(step)
            when = sim.clock.now().astimezone(TZ).strftime("%m-%d %H:%M")
            sends += [when for _ in reply.to(group.id)]
    assert sends == ["05-19 19:00", "06-02 19:00", "06-16 19:00"]


async def test_weekly_fires_on_tuesday_in_shanghai(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await make_notice(sim, "周二晚上居民代表议事", "每周二 19:00")
    sends: list[datetime] = []
    for _hour in range(24 * 15):
        reply = await sim.advance(timedelta(hours=1))
        sends += [sim.clock.now() for _c in reply.to(group.id)]
    local = [s.astimezone(sim.config.tz) for s in sends]
    assert len(local) == 2
    assert all(t.weekday() == 1 and t.hour == 19 for t in local)  # Tuesday 19:00 local


async def test_pause_resume_edit_delete(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    notice_id = await make_notice(sim, "每天倒垃圾", "每天 20:00")
    assert "下次" in (await card(sim, notice_id)).text
    reply = await sim.press(STAFF, await card(sim, notice_id), "暂停")
    assert "已暂停" in reply.text
    # A paused notice's card names no next time: nothing goes out until it is resumed.
    paused = (await card(sim, notice_id)).text
    assert "已暂停" in paused and "每天 20:00" in paused and "下次" not in paused
    assert not (await sim.advance(timedelta(days=1))).to(group.id)
    reply = await sim.press(STAFF, await card(sim, notice_id), "恢复")
    assert "已恢复" in reply.text
    assert "下次" in (await card(sim, notice_id)).text
    reply = await sim.press(STAFF, await card(sim, notice_id), "改内容")
    await sim.send(STAFF, sim.private(STAFF), "每天晚上8点倒垃圾，谢谢配合")
    reply = await sim.press(STAFF, await card(sim, notice_id), "改时间")
    reply = await sim.send(STAFF, sim.private(STAFF), "每天 21:00")
    assert "每天 21:00" in reply.text
    reply = await sim.advance(timedelta(hours=11, minutes=59))  # Sat 20:59 local
    assert not reply.to(group.id)
    reply = await sim.advance(timedelta(minutes=1))
    assert [c.text for c in reply.to(group.id)] == ["📢 社区通知\n每天晚上8点倒垃圾，谢谢配合"]
    reply = await sim.press(STAFF, await card(sim, notice_id), "删除")
    reply = await sim.press(STAFF, reply.calls[-1] if reply.calls else None, "确定删除")
    assert "已删除" in reply.text
    assert not (await sim.advance(timedelta(days=3))).to(group.id)
    pending = await sim.rt.db.fetchval(
        "SELECT count(*) FROM jobs WHERE status = 'pending' AND key LIKE 'notice:%'"
    )
    assert pending == 0


async def test_restart_recreates_pending_jobs(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await make_notice(sim, "A", "2小时后")
    await make_notice(sim, "B", "每天 10:00")
    await make_notice(sim, "C", "5月30日 9:00")
    await sim.restart()
    pending = await sim.rt.db.fetchall("SELECT id, run_at FROM jobs WHERE status = 'pending'")
    assert len(pending) == 3
    horizon = (sim.clock.now() + timedelta(hours=6)).timestamp()
    soon = {r["id"] for r in pending if r["run_at"] <= horizon}
    queued = {
        j.data
        for j in sim.app.job_queue.jobs()
        if j.name.startswith("sched:") and j.name != "sched:refill"
    }
    assert soon and soon <= queued
    texts = []
    for _minute in range(120):
        texts += [c.text for c in (await sim.advance(timedelta(minutes=1))).to(group.id)]
    assert texts == ["📢 社区通知\nB", "📢 社区通知\nA"]


async def test_missed_during_short_and_long_downtime(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await make_notice(sim, "短停机", "1小时后")
    await make_notice(sim, "每周例会提醒", "每周五 12:00")  # today 12:00 local
    await sim.stop()
    sim.clock.advance(timedelta(hours=1, minutes=30))  # 30 min late for the first
    await sim.start()
    reply = await sim.advance(timedelta(0))
    texts = [c.text for c in reply.to(group.id)]
    assert texts == ["📢 社区通知\n短停机\n（系统原因，晚了30分钟送达）"]
    await sim.stop()
    sim.clock.advance(timedelta(hours=3))  # the 12:00 one is now 2.5 hours late
    await sim.start()
    reply = await sim.advance(timedelta(0))
    assert not reply.to(group.id)
    told = reply.to(STAFF.id)
    assert told and "错过" in told[0].text and "每周例会提醒" in told[0].text
    reply = await sim.advance(timedelta(days=6, hours=22, minutes=30))  # resumes next Friday
    assert [c.text for c in reply.to(group.id)] == ["📢 社区通知\n每周例会提醒"]


class Crash(BaseException):
    """The process dies: nothing after this line runs (not even the scheduler's bookkeeping)."""


async def test_no_duplicate_after_crash_between_send_and_record(
    sim: Simulator, group: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await setup_community(sim, group)
    other = sim.group(OTHER_GROUP_ID, "锡林社区二群")
    await sim.send(STAFF, other, "/setup 锡林社区")
    await make_notice(sim, "全体通知", "1小时后", target="全部居民群")
    real = store.finish_send

    async def crash_once(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(store, "finish_send", real)
        raise Crash

    monkeypatch.setattr(store, "finish_send", crash_once)
    with pytest.raises(Crash):
        await sim.advance(timedelta(hours=1))
    assert group_texts(sim, OTHER_GROUP_ID).count("📢 社区通知\n全体通知") == 1  # not recorded
    await sim.restart()
    await sim.advance(timedelta(minutes=1))
    await sim.advance(timedelta(days=1))
    assert group_texts(sim, group.id).count("📢 社区通知\n全体通知") == 1
    assert group_texts(sim, OTHER_GROUP_ID).count("📢 社区通知\n全体通知") == 1


async def test_retry_after_still_delivers(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await make_notice(sim, "限流也要送到", "1小时后")
    sim.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    reply = await sim.advance(timedelta(hours=1))
    assert [c.text for c in reply.to(group.id)] == ["📢 社区通知\n限流也要送到"]
    assert await sim.rt.db.fetchval("SELECT status FROM sends") == "sent"


async def test_broadcast_to_35_groups_respects_limits(db_path: str) -> None:
    api = FakeBotAPI(now=time.monotonic)  # the rate limiter paces in real time
    sim = Simulator(db_path, api=api, rate_limited=True)
    await sim.start()
    try:
        db = sim.rt.db
        cid = await cstore.get_or_create_community(db, "锡林社区")
        await cstore.upsert_user(db, STAFF.id, STAFF.first_name, STAFF.username, None)
        await cstore.grant_role(db, cid, STAFF.id, "staff", 0)
        for i in range(35):
            await cstore.link_group(db, -2000 - i, cid, f"群{i}", STAFF.id)
        schedule = Schedule("once", at=(sim.clock.now() + timedelta(hours=1)).timestamp())
        async with db.transaction() as tx:
            nid = await store.create_notice(
                tx, cid, None, "全社区通知", schedule.to_json(), False, STAFF.id
            )
            await wf.plan_notice(sim.rt, tx, nid, schedule, False)
        started = time.monotonic()
        await sim.advance(timedelta(hours=1))
        assert time.monotonic() - started < 5
        sends = api.sent("sendMessage")
        assert len({c.chat_id for c in sends}) == 35
        times = sorted(c.at for c in sends)
        assert max(sum(1 for u in times if t <= u < t + 1) for t in times) <= 30
        per_group: dict[int | None, int] = {}
        for call in sends:
            per_group[call.chat_id] = per_group.get(call.chat_id, 0) + 1
        assert max(per_group.values()) <= 20
    finally:
        await sim.stop()


async def test_meeting_rsvp_and_reminder(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    notice_id = await make_notice(sim, "居民代表会议，议改造菜单", "明天 19:00", meeting=True)
    reply = await sim.advance(timedelta(seconds=1))
    announce = reply.to(group.id)
    assert announce and "会议通知" in announce[0].text and "5月16日" in announce[0].text
    reply = await sim.press(WANG, announce[0], "参加")
    assert "已记录：参加" in reply.alerts()[0]
    await sim.press(LIU, announce[0], "参加")
    reply = await sim.press(LIU, announce[0], "不参加")  # changes, never counts twice
    assert "不参加" in reply.alerts()[0]
    staff_card = await card(sim, notice_id)
    assert "参加 1 人，不参加 1 人" in staff_card.text
    reply = await sim.press(STAFF, staff_card, "看名单")
    private = reply.to(STAFF.id)
    assert private and "王阿姨" in private[0].text and "刘大爷" in private[0].text
    assert not any("王阿姨" in c.text for c in sim.api.sent("sendMessage", group.id))
    # The reminder: an hour before the meeting (tomorrow 18:00 local = 10:00 UTC).
    reply = await sim.advance(timedelta(hours=32, minutes=59))
    assert not reply.to(group.id)
    reply = await sim.advance(timedelta(minutes=1))
    texts = [c.text for c in reply.to(group.id)]
    assert len(texts) == 1 and texts[0].startswith("⏰ 会议提醒")
    assert not (await sim.advance(timedelta(days=2))).to(group.id)


async def test_rsvp_refused_from_another_chat(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    notice_id = await make_notice(sim, "开会", "明天 19:00", meeting=True)
    stranger_group = sim.group(-5555, "别的群")
    reply = await sim.press(WANG, None, data=f"1|rm|y|{notice_id}", chat=stranger_group)
    assert reply.alerts()
    assert await sim.rt.db.fetchval("SELECT count(*) FROM rsvps") == 0


async def test_residents_refused(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    notice_id = await make_notice(sim, "通知", "明天 9:00")
    await say_hello(sim, WANG)
    for text in ("/remind", "/reminders"):
        reply = await sim.send(WANG, sim.private(WANG), text)
        assert "只有社区工作人员" in reply.text
        reply = await sim.send(WANG, group, text)
        assert "只有社区工作人员" in reply.text
    reply = await sim.send(WANG, sim.private(WANG), "/care_add 张奶奶 21-4-302 每周两次 @zhang_vol")
    assert "只有社区工作人员" in reply.text
    for action in ("p", "dd", "et", "who"):
        reply = await sim.press(
            WANG, None, data=f"1|rm|{action}|{notice_id}", chat=sim.private(WANG)
        )
        assert reply.alerts(), action
    assert await sim.rt.db.fetchval("SELECT status FROM notices") == "active"
    assert await sim.rt.db.fetchval("SELECT count(*) FROM care_people") == 0
    reply = await sim.send(WANG, sim.private(WANG), "/care")
    assert "只有社区工作人员和负责的志愿者" in reply.text


async def test_bad_input_is_reasked(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    chat = sim.private(STAFF)
    reply = await sim.send(STAFF, chat, "/remind")
    reply = await sim.press(STAFF, reply, "锡林社区居民群")
    reply = await sim.press(STAFF, reply, "普通通知")
    reply = await sim.send(
        STAFF,
        chat,
        None,
        sticker={
            "file_id": "S1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert "请用文字" in reply.text
    reply = await sim.send(STAFF, chat, "长" * 1200)
    assert "太长了" in reply.text
    reply = await sim.send(STAFF, chat, "明天开会")
    assert "什么时候发" in reply.text
    reply = await sim.send(STAFF, chat, "过几天吧")
    assert "没看懂这个时间" in reply.text
    reply = await sim.send(STAFF, chat, "2020-01-01 9:00")
    assert "已经过去" in reply.text and "2020年1月1日 星期三 09:00" in reply.text
    reply = await sim.send(STAFF, chat, "明天")
    assert "几点" in reply.text
    reply = await sim.send(STAFF, chat, "/cancel")
    assert "已取消" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM notices") == 0


async def test_remind_survives_restart_mid_conversation(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    chat = sim.private(STAFF)
    reply = await sim.send(STAFF, chat, "/remind")
    reply = await sim.press(STAFF, reply, "锡林社区居民群")
    reply = await sim.press(STAFF, reply, "普通通知")
    await sim.send(STAFF, chat, "重启也不丢")
    await sim.restart()
    reply = await sim.send(STAFF, chat, "每周二 19:00")
    assert "每周二 19:00（下次：5月19日 星期二 19:00）" in reply.text


async def test_rows_from_before_the_rules_keep_working(sim: Simulator, group: Chat) -> None:
    """A weekly notice saved in the old JSON (kind 'weekly') is read as an RRULE: listed in
    words and sent on its days."""
    cid = await setup_community(sim, group)
    legacy = '{"kind": "weekly", "hour": 19, "minute": 0, "at": null, "weekdays": [1], "day": 0}'
    async with sim.rt.db.transaction() as tx:
        nid = await store.create_notice(tx, cid, None, "老格式的通知", legacy, False, STAFF.id)
        await wf.plan_notice(sim.rt, tx, nid, Schedule.from_json(legacy), False)
    assert "每周二 19:00（下次：5月19日 星期二 19:00）" in (await card(sim, nid)).text
    await sim.advance(timedelta(days=4, hours=9, minutes=59))  # Tuesday 18:59
    reply = await sim.advance(timedelta(minutes=1))
    assert [c.text for c in reply.to(group.id)] == ["📢 社区通知\n老格式的通知"]


async def test_a_notice_cut_short_by_a_crash_is_finished_not_skipped(
    sim: Simulator, group: Chat
) -> None:
    """Some groups had it when the bot died; it came back past the grace time: the rest get it
    (marked late) instead of staff hearing it was skipped."""
    from bot.workflows.reminders import notice_due
    from storage import reminders as store

    await setup_community(sim, group)
    notice_id = await make_notice(sim, "停水通知", "2小时后")
    due = (sim.clock.now() + timedelta(hours=2)).timestamp()
    key = f"n{notice_id}:main:{int(due)}"
    assert await store.claim_send(sim.rt.db, key, -9999)  # one group was reached
    sim.clock.advance(timedelta(hours=2 + 3))  # back three hours late: past any grace
    run = await notice_due(sim.rt, {"notice": notice_id, "due": due})
    assert run is not None and run.broadcast.key == key  # not the ":skip" note to staff
