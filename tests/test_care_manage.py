"""Staff manage care visits (/care_list: change the rhythm, pause, resume, remove), the
duplicate warning of /care_add, and the 我来处理 button of a help alert with its escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.offline.simulator import Chat, Simulator
from tests.conftest import (
    GRID,
    STAFF,
    VOLUNTEER,
    WANG,
    assert_no_personal_data_in_groups,
    say_hello,
    setup_community,
)
from tests.test_care import add_care

TZ = ZoneInfo("Asia/Shanghai")


async def care_card(sim: Simulator, care_id: int):
    reply = await sim.send(STAFF, sim.private(STAFF), "/care_list")
    for call in reply.calls:
        if call.text.startswith(f"#{care_id} "):
            return call
    raise AssertionError(reply.text)


async def test_duplicate_person_is_warned(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await add_care(sim)
    staff = sim.private(STAFF)
    again = f"/care_add 张奶奶 21-4-302 每周一次 @{VOLUNTEER.username}"
    reply = await sim.send(STAFF, staff, again)
    assert "张奶奶（21号楼4单元302室）已经登记过了（#1）" in reply.text
    reply = await sim.press(STAFF, reply, "取消")
    assert await sim.rt.db.fetchval("SELECT count(*) FROM care_people") == 1
    reply = await sim.send(STAFF, staff, again)
    reply = await sim.press(STAFF, reply, "仍然登记")
    assert "已登记关爱对象 #2" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM care_people") == 2
    # Another room is another person: no warning.
    reply = await sim.send(
        STAFF, staff, f"/care_add 张奶奶 21-4-402 每周一次 @{VOLUNTEER.username}"
    )
    assert "已登记关爱对象 #3" in reply.text


async def test_pause_resume_edit_remove(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    care_id = await add_care(sim)  # Mon/Thu 09:00; today is Friday
    reply = await sim.send(STAFF, sim.private(STAFF), "/care")
    assert "/care_list" in reply.text
    card = await care_card(sim, care_id)
    assert "张奶奶（21号楼4单元302室）" in card.text and "每周一、周四 09:00" in card.text
    reply = await sim.press(STAFF, card, "暂停")
    assert "已暂停" in reply.alerts()[0]
    reply = await sim.advance(timedelta(days=7))
    assert not reply.to(VOLUNTEER.id)
    assert await sim.rt.db.fetchval("SELECT paused FROM care_people") == 1
    reply = await sim.press(STAFF, await care_card(sim, care_id), "恢复")  # Friday again
    assert "下次走访：5月25日 星期一 09:00" in reply.alerts()[0]
    # A new rhythm: every other week from today (Friday, 10:00 is still to come).
    reply = await sim.press(STAFF, await care_card(sim, care_id), "改节奏")
    reply = await sim.send(STAFF, sim.private(STAFF), "乱写")
    assert "没看懂这个时间" in reply.text
    reply = await sim.send(STAFF, sim.private(STAFF), "每两周一次 10:00")
    assert "每两周的周五 10:00（下次：5月22日 星期五 10:00）" in reply.text
    pinged = 0
    for _step in range(30):
        reply = await sim.advance(timedelta(hours=12))
        pinged += len(reply.to(VOLUNTEER.id))
    due = await sim.rt.db.fetchall("SELECT due_at FROM care_visits ORDER BY due_at")
    local = [datetime.fromtimestamp(r["due_at"], UTC).astimezone(TZ) for r in due]
    assert [d.strftime("%m-%d %H:%M") for d in local] == ["05-22 10:00", "06-05 10:00"]
    assert pinged == 2
    reply = await sim.press(STAFF, await care_card(sim, care_id), "移除")
    reply = await sim.press(STAFF, reply, "确定移除")
    assert "已移除" in reply.text
    reply = await sim.advance(timedelta(days=30))
    assert not reply.to(VOLUNTEER.id)
    reply = await sim.send(STAFF, sim.private(STAFF), "/care_list")
    assert "还没有登记关爱对象" in reply.text


async def test_staff_only_and_private_only(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    care_id = await add_care(sim)
    await say_hello(sim, WANG)
    reply = await sim.send(STAFF, group, "/care_list")
    assert "私聊" in reply.text and "张奶奶" not in reply.text
    for person in (WANG, VOLUNTEER, GRID):
        reply = await sim.send(person, sim.private(person), "/care_list")
        assert "只有社区工作人员" in reply.text
        for action in ("p", "dd", "e"):
            reply = await sim.press(person, None, data=f"1|cm|{action}|{care_id}")
            assert reply.alerts(), action
    row = await sim.rt.db.fetchone("SELECT active, paused FROM care_people")
    assert (row["active"], row["paused"]) == (1, 0)


async def help_alert(sim: Simulator, group: Chat):
    await setup_community(sim, group)
    await add_care(sim)
    ping = (await sim.advance(timedelta(days=3))).to(VOLUNTEER.id)[0]  # Monday 09:00
    return await sim.press(VOLUNTEER, ping, "需要帮助")


async def test_first_presser_takes_the_help_alert(sim: Simulator, group: Chat) -> None:
    reply = await help_alert(sim, group)
    grid_alert, staff_alert = reply.to(GRID.id)[0], reply.to(STAFF.id)[0]
    reply = await sim.press(WANG, grid_alert, "我来处理")  # a resident may not
    assert reply.alerts()
    reply = await sim.press(GRID, grid_alert, "我来处理")
    assert "由您处理" in reply.alerts()[0]
    assert "李网格 已接手处理 张奶奶" in reply.to(STAFF.id)[0].text
    assert "李网格 已接手处理" in reply.to(VOLUNTEER.id)[0].text
    reply = await sim.press(STAFF, staff_alert, "我来处理")
    assert "李网格 已经在处理了" in reply.alerts()[0]
    visit = await sim.rt.db.fetchone("SELECT taken_by, taken_name FROM care_visits")
    assert (visit["taken_by"], visit["taken_name"]) == (GRID.id, "李网格")
    reply = await sim.advance(timedelta(hours=2))  # taken: no escalation
    assert not reply.to(STAFF.id)
    await assert_no_personal_data_in_groups(sim)


async def test_monthly_rhythms_through_care_add(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    staff = sim.private(STAFF)
    reply = await sim.send(
        STAFF, staff, f"/care_add 李爷爷 21-5-101 每月最后一个周五 @{VOLUNTEER.username}"
    )
    assert "每月最后一个星期五 09:00（下次：5月29日 星期五 09:00）" in reply.text
    reply = await sim.send(
        STAFF, staff, f"/care_add 赵奶奶 22-1-101 每月一次 @{VOLUNTEER.username}"
    )
    assert "每月16日 09:00（下次：5月16日 星期六 09:00）" in reply.text  # from tomorrow


async def test_untaken_help_alert_escalates_once(sim: Simulator, group: Chat) -> None:
    await help_alert(sim, group)
    reply = await sim.advance(timedelta(minutes=29))
    assert not reply.to(STAFF.id)
    await sim.restart()  # the escalation is a durable job
    reply = await sim.advance(timedelta(minutes=1))
    escalated = reply.to(STAFF.id)
    assert len(escalated) == 1 and "30分钟了还没有人接手" in escalated[0].text
    assert not reply.to(group.id)
    reply = await sim.press(STAFF, escalated[0], "我来处理")
    assert "由您处理" in reply.alerts()[0]
    reply = await sim.advance(timedelta(days=1))
    assert not any("没有人接手" in c.text for c in reply.to(STAFF.id))


async def test_all_well_never_erases_a_help_request(sim: Simulator, group: Chat) -> None:
    """A stale 一切正常 button (or a second volunteer) cannot turn 需要帮助 into all well."""
    from bot.workflows import care as wf
    from storage import care as store

    cid = await setup_community(sim, group)
    care_id = await store.create_care(
        sim.rt.db, cid, "张奶奶", "21", "4", "302", "每周两次", STAFF.id, [VOLUNTEER.id]
    )
    visit = await store.open_visit(sim.rt.db, care_id, sim.clock.now().timestamp())
    await store.record_visit(sim.rt.db, visit, "help", STAFF.id, "腿疼")
    assert not await wf.record_all_well(sim.rt, visit, STAFF.id)
    assert (
        await sim.rt.db.fetchval("SELECT status FROM care_visits WHERE id = ?", (visit,)) == "help"
    )


async def test_overdue_alert_survives_a_crash_after_marking(sim: Simulator, group: Chat) -> None:
    """Marked overdue, then killed before staff were alerted: the re-run still alerts (the
    send ledger keeps it to once per person)."""
    from bot.workflows import care as wf
    from storage import care as store

    cid = await setup_community(sim, group)
    care_id = await store.create_care(
        sim.rt.db, cid, "张奶奶", "21", "4", "302", "每周两次", STAFF.id, [VOLUNTEER.id]
    )
    visit = await store.open_visit(sim.rt.db, care_id, sim.clock.now().timestamp())
    assert await store.mark_overdue(sim.rt.db, visit)  # the first run got this far
    again = await wf.visit_overdue(sim.rt, visit)
    assert again is not None and again.key == f"cv{visit}:overdue"
