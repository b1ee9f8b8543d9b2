"""Announcements (/announce): privately to every registered resident of the community or of
chosen buildings, now or at a time, through the send ledger, with a delivery report and an
optional 已知晓 button."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Reply, Simulator
from tests.conftest import (
    ALICE,
    CHEN,
    LIU,
    STAFF,
    STRANGER,
    WANG,
    assert_no_personal_data_in_groups,
    register,
    setup_community,
)

ANNOUNCED = "📮 社区公告"


async def residents(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302")
    await register(sim, ALICE, "21-5-101")
    await register(sim, LIU, "22-1-101")
    await register(sim, CHEN, "23-2-202")


async def announce(
    sim: Simulator, text: str, where: list[str], when: str | None, ack: bool
) -> Reply:
    chat = sim.private(STAFF)
    reply = await sim.send(STAFF, chat, "/announce")
    assert "请输入公告内容" in reply.text
    reply = await sim.send(STAFF, chat, text)
    picker = reply.last_with_buttons()
    if not where:
        reply = await sim.press(STAFF, picker, "全部楼栋")
    else:
        for building in where:
            await sim.press(STAFF, sim.current(picker), building)
        reply = await sim.press(STAFF, sim.current(picker), "下一步")
    reply = (
        await sim.press(STAFF, reply, "现在发送")
        if when is None
        else await sim.send(STAFF, chat, when)
    )
    assert "请核对" in reply.text, reply.text
    check = reply.last_with_buttons()
    if ack:
        reply = await sim.press(STAFF, check, "已知晓")
        check = reply.last_with_buttons()
    return await sim.press(STAFF, check, "发送")


async def test_announce_now_to_everyone_with_report_and_acks(sim: Simulator, group: Chat) -> None:
    await residents(sim, group)
    sim.api.blocked.add(CHEN.id)
    sim.api.fail("sendMessage", chat_id=ALICE.id, timeout=True, times=10)  # may have arrived
    before = len(sim.api.sent("sendMessage", group.id))
    reply = await announce(sim, "本周六上午停水，请提前储水", [], None, ack=True)
    for person in (WANG, LIU):
        got = reply.to(person.id)
        assert len(got) == 1 and got[0].text.startswith(ANNOUNCED) and "停水" in got[0].text
    assert len(sim.api.sent("sendMessage", group.id)) == before  # never in the group
    report = [c for c in reply.to(STAFF.id) if "发送完毕" in c.text]
    assert len(report) == 1
    assert (
        "共 4 人" in report[0].text
        and "送达 2 人；屏蔽了机器人 1 人；失败或不确定是否送达 1 人" in report[0].text
    )
    statuses = await sim.rt.db.fetchall("SELECT target, status FROM sends WHERE send_key = 'an1'")
    assert {r["target"]: r["status"] for r in statuses} == {
        WANG.id: "sent",
        LIU.id: "sent",
        ALICE.id: "unknown",
        CHEN.id: "blocked",
    }
    # 已知晓: counted once per person, only from people it reached.
    wang_copy = reply.to(WANG.id)[0]
    assert "谢谢" in (await sim.press(WANG, wang_copy, "已知晓")).alerts()[0]
    await sim.press(WANG, wang_copy, "已知晓")
    assert (await sim.press(STRANGER, None, data="1|an|ack|1", chat=sim.private(STRANGER))).alerts()
    count = await sim.press(STAFF, report[0], "已知晓人数")
    assert "已知晓 1 人，送达 2 人" in count.alerts()[0]
    assert (await sim.press(WANG, None, data="1|an|cnt|1", chat=sim.private(WANG))).alerts()
    assert await sim.rt.db.fetchval("SELECT count(*) FROM announcement_acks") == 1
    await assert_no_personal_data_in_groups(sim)


async def test_announce_buildings_later_resumes_without_repeats(
    sim: Simulator, group: Chat
) -> None:
    await residents(sim, group)
    reply = await announce(sim, "21号楼电梯检修", ["21号楼"], "今晚8点", ack=False)
    assert "公告 #1 将在 5月15日 星期五 20:00 发出" in reply.text
    assert not reply.to(WANG.id) and not reply.to(ALICE.id)
    # As if a first run had reached 王阿姨 before the bot was killed: the ledger row exists.
    await sim.rt.db.execute(
        "INSERT INTO sends (send_key, target, status) VALUES ('an1', ?, 'sent')", (WANG.id,)
    )
    await sim.restart()
    reply = await sim.advance(timedelta(hours=10, minutes=59))
    assert not reply.to(ALICE.id)
    reply = await sim.advance(timedelta(minutes=1))
    assert [c.text.split("\n")[1] for c in reply.to(ALICE.id)] == ["21号楼电梯检修"]
    assert not reply.to(WANG.id) and not reply.to(LIU.id) and not reply.to(CHEN.id)
    report = [c for c in reply.to(STAFF.id) if "发送完毕" in c.text]
    assert len(report) == 1 and "共 2 人" in report[0].text and "送达 2 人" in report[0].text
    assert await sim.rt.db.fetchval("SELECT status FROM announcements") == "sent"
    reply = await sim.advance(timedelta(days=1))
    assert not reply.to(ALICE.id) and not reply.to(STAFF.id)


async def test_announce_refuses_a_passed_time_and_non_staff(sim: Simulator, group: Chat) -> None:
    await residents(sim, group)
    chat = sim.private(STAFF)
    await sim.send(STAFF, chat, "/announce")
    reply = await sim.send(STAFF, chat, "通知")
    reply = await sim.press(STAFF, reply.last_with_buttons(), "全部楼栋")
    reply = await sim.send(STAFF, chat, "今天 8:00")
    assert "5月15日 星期五 08:00" in reply.text and "已经过去了" in reply.text
    reply = await sim.send(STAFF, chat, "/cancel")
    assert "已取消" in reply.text
    for person in (WANG, STRANGER):
        reply = await sim.send(person, sim.private(person), "/announce")
        assert "只有社区工作人员" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM announcements") == 0


async def test_scheduled_announcement_can_be_taken_back(sim: Simulator, group: Chat) -> None:
    await residents(sim, group)
    reply = await announce(sim, "明天的活动取消", [], "明天 9:00", ack=False)
    saved = reply.last_with_buttons()
    assert (await sim.press(WANG, None, data="1|an|x|1", chat=sim.private(WANG))).alerts()
    assert await sim.rt.db.fetchval("SELECT status FROM announcements") == "scheduled"
    reply = await sim.press(STAFF, saved, "撤回")
    assert "已撤回" in reply.alerts()[0]
    reply = await sim.advance(timedelta(days=2))
    assert not any(ANNOUNCED in c.text for c in sim.api.sent("sendMessage"))
    assert await sim.rt.db.fetchval("SELECT status FROM announcements") == "cancelled"


async def test_announce_is_drafted_in_private_only(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    reply = await sim.send(STAFF, group, "/announce")
    assert "私聊" in reply.text and not reply.last_with_buttons()
    assert await sim.rt.db.fetchval("SELECT count(*) FROM announcements") == 0
