"""Fixtures: a started Simulator on a temp SQLite file, and a cast of residents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.simulator import Chat, Person, Simulator

ADMIN = Person(1, "街道管理员", "street_admin")
STAFF = Person(10, "孙晓军", "sun_staff")
GRID = Person(20, "李网格", "li_grid")
VOLUNTEER = Person(30, "张志愿", "zhang_vol")
WANG = Person(101, "王阿姨", "wang_ayi")
LIU = Person(102, "刘大爷", "liu_dy")
WANG_SON = Person(103, "王小明", "wang_xm")
CHEN = Person(104, "陳先生", "chen_hk", language_code="zh-hant")
ALICE = Person(105, "Alice", "alice", language_code="en")
STRANGER = Person(999, "路人", "passerby")
GROUP_ID = -1001
OTHER_GROUP_ID = -1002


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "community.db")


@pytest.fixture
async def sim(db_path: str) -> AsyncIterator[Simulator]:
    simulator = Simulator(db_path, admins=(ADMIN.id,))
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
def group(sim: Simulator) -> Chat:
    return sim.group(GROUP_ID, "锡林社区居民群")


async def say_hello(sim: Simulator, *people: Person) -> None:
    """People talk in private once, so the bot knows them (as in real life)."""
    for person in people:
        await sim.send(person, sim.private(person), "/help")


async def setup_community(sim: Simulator, group: Chat, name: str = "锡林社区") -> int:
    """Admin links the group, staff/grid/volunteer get their roles; returns community id."""
    await say_hello(sim, STAFF, GRID, VOLUNTEER)
    reply = await sim.send(ADMIN, group, f"/setup {name}")
    assert name in reply.text
    cid = int(await sim.rt.db.fetchval("SELECT id FROM communities WHERE name = ?", (name,)))
    await sim.send(ADMIN, group, f"/grant @{STAFF.username} 工作人员")
    await sim.send(STAFF, group, f"/grant @{GRID.username} 网格员")
    await sim.send(STAFF, group, f"/grid_assign @{GRID.username} 1-30")
    await sim.send(STAFF, group, f"/grant @{VOLUNTEER.username} 志愿者 维修,医疗服务")
    return cid


async def register(sim: Simulator, person: Person, address: str, name: str | None = None,
                   community_id: int | None = None) -> None:
    """Full registration through the private conversation."""
    chat = sim.private(person)
    start = f"/start reg-{community_id}" if community_id else "/register"
    await sim.send(person, chat, start)
    reply = await sim.send(person, chat, address)
    if name:
        reply = await sim.send(person, chat, name)
    else:
        reply = await sim.press(person, reply, None, data="1|reg|samename")
    reply = await sim.press(person, reply, "✅")  # the confirm button, in any language
    assert "登记" in reply.text or "Regist" in reply.text or "登記" in reply.text, reply.text
