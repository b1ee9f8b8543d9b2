"""Roles (issue #18): /team, removing buildings with /grid_assign, the command menu per role
and language, and /suggestions for staff. Driven through the real Application."""

from __future__ import annotations

from bot.offline.simulator import Chat, Simulator
from tests.conftest import GRID, STAFF, VOLUNTEER, WANG, register, setup_community


async def test_team_lists_roles_without_personal_data(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await sim.send(STAFF, group, f"/grant @{VOLUNTEER.username} 志愿者 维修 医疗服务")
    await register(sim, WANG, "21-4-302", "王阿姨")
    reply = await sim.send(STAFF, group, "/team")
    text = reply.text
    assert "锡林社区角色名单" in text
    assert f"{STAFF.first_name} @{STAFF.username}" in text
    assert f"{GRID.first_name} @{GRID.username} — 1-30号楼" in text
    assert f"{VOLUNTEER.first_name} @{VOLUNTEER.username} — " in text
    assert "维修" in text and "医疗服务" in text
    assert WANG.first_name not in text and "302" not in text
    private = await sim.send(STAFF, sim.private(STAFF), "/team")
    assert f"@{GRID.username}" in private.text


async def test_team_refused_to_residents_and_volunteers(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    for person in (WANG, VOLUNTEER, GRID):
        reply = await sim.send(person, group, "/team")
        assert "只有社区工作人员可以查看角色名单" in reply.text
        assert STAFF.username not in reply.text


async def test_team_split_to_fit(sim: Simulator, group: Chat) -> None:
    cid = await setup_community(sim, group)
    db = sim.rt.db
    for n in range(300):
        uid = 5000 + n
        await db.execute(
            "INSERT INTO users (id, first_name, username) VALUES (?, ?, ?)",
            (uid, f"志愿者{n:03d}号" + "长" * 20, f"volunteer_{n:03d}_long_name"),
        )
        await db.execute(
            "INSERT INTO roles (community_id, user_id, role, granted_by) VALUES (?, ?, ?, ?)",
            (cid, uid, "volunteer", STAFF.id),
        )
    reply = await sim.send(STAFF, sim.private(STAFF), "/team")
    sent = reply.to(STAFF.id)
    assert len(sent) >= 3
    assert all(len(c.text) <= 4096 for c in sent)
    assert "volunteer_000_long_name" in reply.text and "volunteer_299_long_name" in reply.text
