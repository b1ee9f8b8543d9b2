"""Care visits through the real Application and the fake Bot API."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import GRID, STAFF, VOLUNTEER, WANG, setup_community


async def add_care(sim: Simulator) -> int:
    reply = await sim.send(
        STAFF, sim.private(STAFF), f"/care_add 张奶奶 21-4-302 每周两次 @{VOLUNTEER.username}"
    )
    assert "已登记关爱对象" in reply.text and "每周一、周四 09:00" in reply.text, reply.text
    return int(await sim.rt.db.fetchval("SELECT max(id) FROM care_people"))


async def test_care_visit_ping_then_needs_help(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    reply = await sim.send(STAFF, group, "/care_add 张奶奶 21-4-302 每周两次 @zhang_vol")
    assert (
        "私聊" in reply.text and await sim.rt.db.fetchval("SELECT count(*) FROM care_people") == 0
    )
    await add_care(sim)
    reply = await sim.advance(timedelta(days=3))  # Monday 09:00 local
    ping = reply.to(VOLUNTEER.id)
    assert ping and "张奶奶" in ping[0].text and "21号楼4单元302室" in ping[0].text
    assert not reply.to(group.id)  # never in the group
    reply = await sim.press(WANG, ping[0], "需要帮助")  # not assigned: refused
    assert reply.alerts()
    reply = await sim.press(VOLUNTEER, ping[0], "需要帮助")
    assert reply.to(GRID.id) and "需要帮助" in reply.to(GRID.id)[0].text
    assert reply.to(STAFF.id) and "张奶奶" in reply.to(STAFF.id)[0].text
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "老人摔了一跤，腿疼")
    assert "已转给" in reply.text
    assert "腿疼" in reply.to(GRID.id)[0].text and "腿疼" in reply.to(STAFF.id)[0].text
    visit = await sim.rt.db.fetchone("SELECT * FROM care_visits")
    assert (visit["status"], visit["note"]) == ("help", "老人摔了一跤，腿疼")
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "/care")
    assert "需要帮助：老人摔了一跤" in reply.text
    reply = await sim.send(WANG, sim.private(WANG), "/care")
    assert "张奶奶" not in reply.text
    # Recorded: no overdue alert the next day.
    reply = await sim.advance(timedelta(days=1, minutes=1))
    assert not any("还没有记录" in c.text for c in reply.to(STAFF.id))


async def test_care_visit_overdue_alert_and_ok(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await add_care(sim)
    reply = await sim.advance(timedelta(days=3))  # Monday ping
    ping = reply.to(VOLUNTEER.id)[0]
    reply = await sim.press(VOLUNTEER, ping, "一切正常")
    assert "一切正常" in reply.text
    reply = await sim.advance(timedelta(days=3))  # Thursday ping, not recorded
    assert reply.to(VOLUNTEER.id)
    reply = await sim.advance(timedelta(hours=23, minutes=59))
    assert not reply.to(STAFF.id)
    reply = await sim.advance(timedelta(minutes=1))
    alert = reply.to(STAFF.id)
    assert alert and "还没有记录" in alert[0].text and "张志愿" in alert[0].text
    statuses = [
        r["status"]
        for r in await sim.rt.db.fetchall("SELECT status FROM care_visits ORDER BY due_at")
    ]
    assert statuses == ["ok", "overdue"]


async def test_blocked_volunteer_is_marked_and_skipped(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await add_care(sim)
    sim.api.blocked.add(VOLUNTEER.id)
    await sim.advance(timedelta(days=3))
    assert await sim.rt.db.fetchval("SELECT blocked FROM users WHERE id = ?", (VOLUNTEER.id,)) == 1
    tries = len(sim.api.calls)
    await sim.advance(timedelta(days=3))  # next ping: skipped without even trying
    assert not [c for c in sim.api.calls[tries:] if c.chat_id == VOLUNTEER.id]
    statuses = [
        r["status"]
        for r in await sim.rt.db.fetchall("SELECT status FROM sends WHERE send_key LIKE 'cv%:ping'")
    ]
    assert statuses == ["blocked", "blocked"]
