"""The demo scene plays a whole round: the staff's private draft, orders, the chart, progress."""

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
    # #18: the draft is made in private (the group only gets a pointer), a pasted list of
    # items, a preview, then 发布到群; progress news reaches the group and the households.
    assert "菜单请在私聊里准备" in text and "居民还看不到" in text
    assert "已添加 2 项：加装电梯、充电桩" in text and "重复的没有再加：车棚改造" in text
    assert "请核对，居民群里会看到" in text and "按下 ⟦📣 发布到群⟧" in text
    assert "已发布到 1 个居民群" in text
    assert "说明：已报街道审批，预计下月开工" in text and "您家点过的改造项目" in text
    # The grid worker chases a household that has not ordered and enters its paper order;
    # the results then measure turnout against the real households staff set.
    assert "李网格: /menu_unordered" in text and "21号楼2单元101室 赵奶奶" in text
    assert "已录入 21号楼2单元101室 的纸质点单" in text
    assert "1-30号楼登记的住户都已经点单了" in text
    assert "按实际户数算" in text
