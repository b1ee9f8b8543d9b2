"""/care_add names the visitors by Telegram id: a reply to their message, a picker of the
community's volunteers and grid workers, or a username held by exactly one person now."""

from __future__ import annotations

from typing import Any

from bot.offline.simulator import Chat, Person, Simulator
from tests.conftest import GRID, STAFF, VOLUNTEER, WANG, register, setup_community

ADD = "/care_add 张奶奶 21-4-302 每周两次"


def forwarded_from(sim: Simulator, person: Person) -> dict[str, Any]:
    """A message of `person` that staff forwarded into their private chat with the bot."""
    return {
        "message_id": sim.api.new_message_id(),
        "date": sim._now(),
        "chat": sim.private(STAFF).as_dict(),
        "from": STAFF.as_dict(),
        "forward_origin": {"type": "user", "date": sim._now(), "sender_user": person.as_dict()},
        "text": "我可以帮忙走访",
    }


async def cares(sim: Simulator) -> int:
    return int(await sim.rt.db.fetchval("SELECT count(*) FROM care_people"))


async def test_picker_lists_volunteers_and_grid_workers(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302")
    reply = await sim.send(STAFF, sim.private(STAFF), ADD)
    assert "谁负责走访 张奶奶" in reply.text
    labels = [b["text"] for row in reply.calls[-1].buttons for b in row]
    assert VOLUNTEER.first_name in labels and GRID.first_name in labels
    assert WANG.first_name not in labels  # a plain resident is not offered
    picker = reply.calls[-1]
    reply = await sim.press(STAFF, picker, VOLUNTEER.first_name)
    assert "☑️ " + VOLUNTEER.first_name in [
        b["text"] for row in sim.current(picker).buttons for b in row
    ]
    reply = await sim.press(STAFF, sim.current(picker), "登记")
    assert "已登记关爱对象" in reply.text and VOLUNTEER.first_name in reply.text
    told = reply.to(VOLUNTEER.id)
    assert told and "您被安排负责关爱走访：张奶奶（21号楼4单元302室）" in told[0].text
    volunteers = await sim.rt.db.fetchall("SELECT user_id FROM care_volunteers")
    assert [r["user_id"] for r in volunteers] == [VOLUNTEER.id]


async def test_picker_refuses_forged_and_empty_choices(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302")
    reply = await sim.send(STAFF, sim.private(STAFF), ADD)
    picker = reply.calls[-1]
    reply = await sim.press(STAFF, picker, "登记")
    assert "至少选一位" in reply.alerts()[0]
    reply = await sim.press(STAFF, picker, data=f"1|cv|pk|{WANG.id}")  # a resident, forged
    assert reply.alerts() and await cares(sim) == 0
    reply = await sim.press(WANG, picker, data="1|cv|pkok", chat=sim.private(WANG))
    assert reply.alerts() and await cares(sim) == 0
    reply = await sim.press(STAFF, picker, "取消")
    assert "已取消" in reply.text and await cares(sim) == 0


async def test_reply_to_a_forwarded_message_names_the_visitor(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    reply = await sim.send(
        STAFF, sim.private(STAFF), ADD, reply_to_message=forwarded_from(sim, GRID)
    )
    assert "已登记关爱对象" in reply.text and GRID.first_name in reply.text
    assert reply.to(GRID.id) and "您被安排负责关爱走访" in reply.to(GRID.id)[0].text


async def test_plain_resident_is_refused_as_visitor(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302")
    reply = await sim.send(
        STAFF, sim.private(STAFF), ADD, reply_to_message=forwarded_from(sim, WANG)
    )
    assert "王阿姨 不是本社区的志愿者或网格员，不能负责关爱走访" in reply.text
    assert await cares(sim) == 0
    reply = await sim.send(STAFF, sim.private(STAFF), f"{ADD} @{WANG.username}")
    assert "不是本社区的志愿者或网格员" in reply.text and await cares(sim) == 0
    assert not reply.to(WANG.id)


async def test_username_goes_to_its_current_holder_only(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    db = sim.rt.db
    # An old holder of the volunteer's username, seen long ago (it is now VOLUNTEER's).
    await db.execute(
        "INSERT INTO users (id, first_name, username, updated_at) "
        "VALUES (555, '旧主人', ?, '2020-01-01T00:00:00Z')",
        (VOLUNTEER.username,),
    )
    await db.execute(
        "UPDATE users SET updated_at = '2026-01-01T00:00:00Z' WHERE id = ?", (VOLUNTEER.id,)
    )
    reply = await sim.send(STAFF, sim.private(STAFF), f"{ADD} @{VOLUNTEER.username}")
    assert "已登记关爱对象" in reply.text
    rows = await db.fetchall("SELECT user_id FROM care_volunteers")
    assert [r["user_id"] for r in rows] == [VOLUNTEER.id]
    # Seen at the same moment: nobody can tell who holds it now, so nobody is chosen.
    await db.execute("UPDATE users SET updated_at = '2026-01-01T00:00:00Z' WHERE id = 555", ())
    reply = await sim.send(
        STAFF, sim.private(STAFF), f"/care_add 李爷爷 21-5-101 每周一次 @{VOLUNTEER.username}"
    )
    assert "分不清是谁" in reply.text
    assert await cares(sim) == 1
    reply = await sim.send(STAFF, sim.private(STAFF), f"{ADD} @nobody_here")
    assert "找不到 @nobody_here" in reply.text
