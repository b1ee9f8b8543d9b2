"""Demo scene: one repair ticket from filing to the resident's rating, through the simulator.

Assumptions (as `tests/conftest.setup_community` and `register` leave things):
* a community whose staff member is user 10 (孙晓军), whose grid worker is user 20 (李网格)
  for buildings 1–30, and a volunteer, user 30 (张志愿), with the skill 维修;
* resident 王阿姨 (user 101) is registered at 21号楼4单元302室;
* no other open 屋顶漏水 ticket in building 21 (else the scene files a new one anyway).

`out` is where the narration goes: a callable taking one line (e.g. `print`) or a text
stream with `.write`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.offline.simulator import Person, Simulator

STAFF = Person(10, "孙晓军", "sun_staff")
WANG = Person(101, "王阿姨", "wang_ayi")
GRID = Person(20, "李网格", "li_grid")
VOLUNTEER = Person(30, "张志愿", "zhang_vol")


def _printer(out: Any) -> Callable[[str], None]:
    if hasattr(out, "write"):
        return lambda line: out.write(line + "\n")
    return out


async def scene(sim: Simulator, out: Any) -> None:
    say = _printer(out)
    chat = sim.private(WANG)
    say("\n=== 三天后 · 王阿姨报修：从提交到评分 ===")
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "屋顶漏水")
    reply = await sim.press(WANG, reply, "我家这个单元")
    if "我也遇到了" in reply.text:
        reply = await sim.press(WANG, reply, "继续报修")
    reply = await sim.send(WANG, chat, "21号楼4单元楼顶漏水，下雨天屋里滴水")
    reply = await sim.send_photo(WANG, chat)
    reply = await sim.press(WANG, reply, "好了")
    reply = await sim.press(WANG, reply, "不可以")
    reply = await sim.press(WANG, reply, "提交报修")
    offer = reply.to(VOLUNTEER.id)[0]

    say("\n=== 接着 · 志愿者接单、处理、写进展 ===")
    await sim.press(VOLUNTEER, offer, "接单")
    await sim.press(VOLUNTEER, sim.current(offer), "开始处理")
    await sim.press(VOLUNTEER, sim.current(offer), "写进展")
    await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "明天上午来补防水")
    reply = await sim.press(VOLUNTEER, sim.current(offer), "已解决")

    say("\n=== 最后 · 王阿姨确认解决并评分 ===")
    reply = await sim.press(WANG, reply.to(WANG.id)[0], "已解决")
    await sim.press(WANG, reply, "⭐⭐⭐⭐⭐")

    say("\n=== 随后 · 工作人员看本月的报修统计，导出表格 ===")
    await sim.send(STAFF, sim.private(STAFF), "/repair_stats 本月")
