"""Demo scene: residents talk naturally (issue #16). 王阿姨 reports a leak by typing one
sentence, then another by sending a voice note; the grid worker hears the voice note.

Assumptions as in `bot/offline/demo_repairs.py` (王阿姨 registered at 21号楼4单元302室, 李网格
the grid worker of buildings 1-30)."""

from __future__ import annotations

from typing import Any

from bot.offline.demo_repairs import GRID, WANG, _printer
from bot.offline.simulator import Simulator


async def scene(sim: Simulator, out: Any) -> None:
    say = _printer(out)
    chat = sim.private(WANG)
    say("\n=== 王阿姨直接打一句话报修 ===")
    reply = await sim.send(WANG, chat, "厨房水管漏水了，地上都是水")
    reply = await sim.press(WANG, reply, "报修：水管")
    reply = await sim.send(WANG, chat, "我家")
    if "我也遇到了" in reply.text:
        reply = await sim.send(WANG, chat, "不是")
    reply = await sim.send(WANG, chat, "没有照片")
    reply = await sim.send(WANG, chat, "可以")
    reply = await sim.send(WANG, chat, "提交")

    say("\n=== 王阿姨不方便打字，发了一段语音 ===")
    reply = await sim.send_voice(WANG, chat, seconds=12)
    reply = await sim.press(WANG, reply, "楼道与楼梯")
    reply = await sim.send(WANG, chat, "我家")
    if "我也遇到了" in reply.text:
        reply = await sim.send(WANG, chat, "不是")
    reply = await sim.send(WANG, chat, "跳过")
    reply = await sim.send(WANG, chat, "可以")
    reply = await sim.send(WANG, chat, "提交")
    offers = reply.to(GRID.id)
    if offers:
        say("\n=== 网格员打开详情，听到语音 ===")
        await sim.press(GRID, offers[0], "查看详情")
