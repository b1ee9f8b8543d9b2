"""Demo step inside the menu scene (bot/offline/demo_menu.py), while the round is open: staff
set each building's real number of households, and the grid worker chases the households that
have not ordered from the list and enters a paper order for one of them.

Needs a staff member and a grid worker of the round's community (as after
tests/conftest.setup_community); registers, quietly, one resident who has not ordered.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.offline.simulator import Person, Simulator
from storage import community as cstore

ZHAO = Person(301, "赵奶奶", "zhao_nn")  # registered by her son; never ordered herself


async def chase(sim: Simulator, say: Callable[[str], None], community_id: int) -> None:
    db = sim.rt.db
    staff_row = (await cstore.members_with_role(db, community_id, "staff"))[0]
    grid_row = (await cstore.members_with_role(db, community_id, "grid_worker"))[0]
    staff = Person(staff_row["id"], staff_row["first_name"], staff_row["username"])
    grid = Person(grid_row["id"], grid_row["first_name"], grid_row["username"])
    with sim.quiet():  # a household that has not ordered, in the grid worker's building 21
        chat = sim.private(ZHAO)
        await sim.send(ZHAO, chat, f"/start reg-{community_id}")
        await sim.send(ZHAO, chat, "21号楼2单元101")
        reply = await sim.send(ZHAO, chat, "赵奶奶")
        await sim.press(ZHAO, reply, "确认")

    say("\n=== 第二天 · 工作人员填上各楼的实际户数，参与率按它算 ===")
    await sim.send(staff, sim.private(staff), "/households 21号楼 48, 5号楼 36")

    say("\n=== 接着 · 网格员看自己楼里谁还没点单，上门代录纸质点单 ===")
    chat = sim.private(grid)
    reply = await sim.send(grid, chat, "/menu_unordered")
    reply = await sim.press(grid, reply, "代录 21号楼2单元101室")
    screen = reply.last_with_buttons()
    assert screen is not None, "no paper keyboard"
    await sim.press(grid, screen, "小区楼顶防水")
    await sim.press(grid, sim.current(screen), "确认录入")
    await sim.send(grid, chat, "/menu_unordered")
