"""Demo scene: one repair request from filing to the resident's rating, through the simulator.

Assumptions (as `tests/conftest.setup_community` and `register` leave things):
* a community whose staff member is user 10 (孙晓军), whose grid worker is user 20 (李网格)
  for buildings 1–30, and a volunteer, user 30 (张志愿), with the skill 维修;
* resident 王阿姨 (user 101) is registered at 21号楼4单元302室;
* no other open 屋顶漏水 request in building 21 (else the scene files a new one anyway).

`out` is where the narration goes: a callable taking one line (e.g. `print`) or a text
stream with `.write`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.simulator import Person, Reply, Simulator

WANG = Person(101, "王阿姨", "wang_ayi")
GRID = Person(20, "李网格", "li_grid")
VOLUNTEER = Person(30, "张志愿", "zhang_vol")


def _printer(out: Any) -> Callable[[str], None]:
    if hasattr(out, "write"):
        return lambda line: out.write(line + "\n")
    return out  # type: ignore[no-any-return]


async def scene(sim: Simulator, out: Any) -> None:
    say = _printer(out)

    def show(who: str, reply: Reply) -> None:
        for call in reply.calls:
            if call.text and call.method in ("sendMessage", "editMessageText"):
                target = "→ " + str(call.chat_id)
                say(f"  [bot {target}] " + call.text.replace("\n", "\n      "))

    chat = sim.private(WANG)
    say("== 报修：从提交到评分 ==")
    say("王阿姨: /repair")
    reply = await sim.send(WANG, chat, "/repair")
    show("王阿姨", reply)
    say("王阿姨 选择「屋顶漏水」，地点选「我家这个单元」")
    reply = await sim.press(WANG, reply, "屋顶漏水")
    reply = await sim.press(WANG, reply, "我家这个单元")
    if "我也遇到了" in reply.text:
        reply = await sim.press(WANG, reply, "继续报修")
    show("王阿姨", reply)
    say("王阿姨: 21号楼4单元楼顶漏水，下雨天屋里滴水")
    reply = await sim.send(WANG, chat, "21号楼4单元楼顶漏水，下雨天屋里滴水")
    say("王阿姨 发了一张照片，点「好了」，不公开称呼和门牌，提交")
    reply = await sim.send_photo(WANG, chat)
    reply = await sim.press(WANG, reply, "好了")
    reply = await sim.press(WANG, reply, "不可以")
    show("王阿姨", reply)
    reply = await sim.press(WANG, reply, "提交报修")
    show("王阿姨", reply)
    offer = reply.to(VOLUNTEER.id)[0]

    say("张志愿 点「接单」")
    reply = await sim.press(VOLUNTEER, offer, "接单")
    show("张志愿", reply)
    say("张志愿 点「开始处理」")
    reply = await sim.press(VOLUNTEER, sim.current(offer), "开始处理")
    show("张志愿", reply)
    say("张志愿 写进展：明天上午来补防水")
    await sim.press(VOLUNTEER, sim.current(offer), "写进展")
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "明天上午来补防水")
    show("张志愿", reply)
    say("张志愿 点「已解决」")
    reply = await sim.press(VOLUNTEER, sim.current(offer), "已解决")
    show("张志愿", reply)

    say("王阿姨 点「已解决」，再打五星")
    reply = await sim.press(WANG, reply.to(WANG.id)[0], "已解决")
    show("王阿姨", reply)
    reply = await sim.press(WANG, reply, "⭐⭐⭐⭐⭐")
    show("王阿姨", reply)
    say("== 完 ==")
