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


# ---- /grid_assign: removing buildings, impossible ones ------------------------------------------
async def test_grid_assign_removes_and_says_what_changed(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    reply = await sim.send(STAFF, group, f"/grid_assign @{GRID.username} -21,22")
    assert "不再负责：21-22号楼" not in reply.text  # two buildings read as 21、22
    assert "不再负责：21、22号楼" in reply.text, reply.text
    assert "现在负责：1-20、23-30号楼" in reply.text
    reply = await sim.send(STAFF, group, f"/grid_assign @{GRID.username} 删除 21 23")
    assert "不再负责：23号楼" in reply.text and "21号楼本来就不归" in reply.text
    rows = await sim.rt.db.fetchall("SELECT building FROM grid_buildings ORDER BY building")
    assert {r["building"] for r in rows} == {str(n) for n in range(1, 31)} - {"21", "22", "23"}
    reply = await sim.send(STAFF, group, f"/grid_assign @{GRID.username} 21,5")
    assert "新增负责：21号楼" in reply.text and "5号楼本来就归" in reply.text


async def test_grid_assign_takes_from_previous_worker(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await sim.send(STAFF, group, f"/grant @{VOLUNTEER.username} 网格员")
    reply = await sim.send(STAFF, group, f"/grid_assign @{VOLUNTEER.username} 30-31")
    assert "新增负责：30、31号楼" in reply.text
    assert f"30号楼原来由 {GRID.first_name} 负责" in reply.text


async def test_grid_assign_rejects_impossible_buildings(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    before = await sim.rt.db.fetchall("SELECT * FROM grid_buildings ORDER BY building")
    cases = {
        "0号楼": "楼号从 1 开始",
        "21,-3": "楼号不能是负数",
        "1000": "楼号最大是 999",
        "5-1200": "楼号最大是 999",
        "13812345678": "这像是电话号码",
        "零号楼": "楼号从 1 开始",
    }
    for words, expected in cases.items():
        reply = await sim.send(STAFF, group, f"/grid_assign @{GRID.username} {words}")
        assert expected in reply.text, (words, reply.text)
        assert "用法" in reply.text
    assert "13812345678" not in "".join(c.text for c in sim.api.sent(chat_id=group.id))
    after = await sim.rt.db.fetchall("SELECT * FROM grid_buildings ORDER BY building")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
