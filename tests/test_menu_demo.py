"""The demo scene plays a whole round and publishes the chart."""

from __future__ import annotations

from bot.offline.demo_menu import scene
from bot.offline.simulator import Chat, Simulator
from bot.offline.transcript import Transcript
from tests.conftest import LIU, WANG, register, setup_community


async def test_demo_scene_publishes_chart(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, LIU, "5-2-101", "刘大爷")
    lines: list[str] = []
    Transcript(sim, lines.append)
    await scene(sim, lines)
    text = "\n".join(lines)
    assert "点单成功" in text and "改造点单结果" in text and "〔图片" in text
    assert sim.api.sent("sendPhoto")
    # The grid worker chases a household that has not ordered and enters its paper order;
    # the results then measure turnout against the real households staff set.
    assert "李网格: /menu_unordered" in text and "21号楼2单元101室 赵奶奶" in text
    assert "已录入 21号楼2单元101室 的纸质点单" in text
    assert "1-30号楼登记的住户都已经点单了" in text
    assert "按实际户数算" in text
