"""Demo scene: children play 垃圾分类飞行棋 in the group, then a few look-ups.

Assumes a started Simulator with a linked group chat (as after `community_scene`). The dice
are fixed and the board is made short-lived by steering the rolls: 小明 walks straight to
the finish while 小红 makes one mistake on the way, so the game ends in a few turns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot import quiz as rules
from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Person, Simulator
from bot.sorting import Category
from bot.workflows import quiz as quiz_flow
from storage import community as cstore

KID_A = Person(201, "小明", "xiaoming")
KID_B = Person(202, "小红", "xiaohong")
LABEL = {
    Category.RECYCLABLE: "可回收物",
    Category.HAZARDOUS: "有害垃圾",
    Category.KITCHEN: "厨余垃圾",
    Category.OTHER: "其他垃圾",
}


def _dice_prompt(sim: Simulator, chat: Chat) -> ApiCall:
    for call in reversed(sim.api.calls):
        if call.chat_id == chat.id and any(
            "掷骰子" in b.get("text", "") for row in call.buttons for b in row
        ):
            return call
    raise RuntimeError("no dice button in the group")


async def _game(sim: Simulator, chat: Chat) -> rules.Game:
    running = await quiz_flow.current_game(sim.rt, chat.id)
    assert running is not None, "no game in the group"
    return running.game


async def _turn(sim: Simulator, chat: Chat, kid: Person, dice: int, right: bool) -> None:
    sim.api.dice_values.append(dice)
    await sim.press(kid, _dice_prompt(sim, chat), "掷骰子")
    question = await sim.advance(timedelta(seconds=4))  # the dice animation
    game = await _game(sim, chat)
    player = game.current_player
    assert player is not None
    item = game.item_at(player.position)
    assert item is not None
    label = (
        LABEL[item.category] if right else next(v for c, v in LABEL.items() if c != item.category)
    )
    await sim.press(kid, question, label)


async def scene(sim: Simulator, out: Callable[[str], None]) -> None:
    groups = await cstore.list_groups(sim.rt.db)
    assert groups, "the demo needs a linked group (run /setup first)"
    row = groups[0]
    group = sim.group(row["chat_id"], row["title"] or "居民群")

    out("\n=== 16:00 · 孩子们在群里玩垃圾分类飞行棋 ===")
    lobby = await sim.send(KID_A, group, "/quiz")
    await sim.press(KID_A, lobby, "加入")
    await sim.press(KID_B, lobby, "加入")
    await sim.press(KID_A, lobby, "开始")
    await sim.press(KID_B, _dice_prompt(sim, group), "掷骰子")  # not her turn yet
    # 小明 rolls sixes and sorts everything right; 小红 slips once.
    plan = [
        (KID_A, 6, True),
        (KID_B, 4, False),
        (KID_A, 6, True),
        (KID_B, 4, True),
        (KID_A, 6, True),
        (KID_B, 5, True),
        (KID_A, 6, True),
        (KID_B, 3, True),
        (KID_A, 6, True),
    ]
    for kid, dice, right in plan:
        await _turn(sim, group, kid, dice, right)
    await sim.send(KID_B, group, "/quiz_top")

    out("\n=== 17:00 · 大人们查一查垃圾怎么分 ===")
    await sim.send(KID_A, group, "/sort 电池")
    residents = await cstore.residents_of(sim.rt.db, row["community_id"])
    wang = next((r for r in residents if r["id"] not in (KID_A.id, KID_B.id)), None)
    adult = Person(wang["id"], wang["first_name"], wang["username"]) if wang else KID_B
    chat = sim.private(adult)
    await sim.send(adult, chat, "奶茶杯是什么垃圾")
    await sim.send(adult, chat, "沙发")
    reply = await sim.send(adult, chat, "香焦皮")  # a typo: candidates, not a guess
    if reply.last_with_buttons() is not None:
        await sim.press(adult, reply, None)
