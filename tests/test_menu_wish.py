"""A wish typed as a sentence ("我要加装电梯") is answered with where it stands: no round yet,
on this round's menu, not on it, or ordering over with the item's progress."""

from __future__ import annotations

from bot.offline.simulator import Chat, Simulator
from tests.conftest import CHEN, WANG, register
from tests.test_menu import close_now, open_round, order, ready

__all__ = ["ready"]  # the fixture, used by name


async def test_a_wish_is_answered_with_where_it_stands(
    sim: Simulator, group: Chat, ready: int
) -> None:
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "我要加装电梯")
    assert "没有进行中的改造点单" in reply.text and "下一轮点单开始时" in reply.text

    rid = await open_round(sim, group)
    reply = await sim.send(WANG, chat, "希望建个新车棚")
    assert "“车棚改造”在这次的菜单上" in reply.text
    assert "确认点单" in str(reply.last_with_buttons().buttons)  # the ordering keyboard
    reply = await sim.send(WANG, chat, "我要加装电梯")
    assert "菜单上没有您说的这一项" in reply.text and "提建议" in str(
        reply.last_with_buttons().buttons
    )

    await order(sim, WANG, rid, "车棚改造")
    await close_now(sim, group)
    reply = await sim.send(WANG, chat, "想建个车棚")
    assert "这一轮点单已经结束了" in reply.text and "“车棚改造”现在的进度：⚪ 未安排" in reply.text
    assert "第1名" not in reply.text  # not the whole results table
    reply = await sim.send(WANG, chat, "我们楼想装电梯")
    assert "下一轮点单开始时" in reply.text and "/progress" in reply.text


async def test_a_wish_in_traditional_chinese(sim: Simulator, group: Chat, ready: int) -> None:
    await register(sim, CHEN, "3-1-101", "陳先生")
    await open_round(sim, group)
    reply = await sim.send(CHEN, sim.private(CHEN), "希望建個新車棚")
    assert "在這次的菜單上" in reply.text
