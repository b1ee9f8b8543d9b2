"""垃圾分类飞行棋 through the real Application and the fake Bot API."""

from __future__ import annotations

import json
from datetime import timedelta

from bot import quiz as rules
from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Person, Reply, Simulator
from bot.sorting import Category, KnowledgeBase
from tests.conftest import OTHER_GROUP_ID, STAFF, VOLUNTEER, WANG, setup_community

KID_A = Person(201, "小明", "xiaoming")
KID_B = Person(202, "小红", "xiaohong")
KID_C = Person(203, "小刚", "xiaogang")
LABEL = {
    Category.RECYCLABLE: "可回收物",
    Category.HAZARDOUS: "有害垃圾",
    Category.KITCHEN: "厨余垃圾",
    Category.OTHER: "其他垃圾",
}


async def game_state(sim: Simulator, chat: Chat, status: str = "active") -> dict:
    row = await sim.rt.db.fetchone(
        "SELECT state FROM quiz_games WHERE chat_id = ? AND status = ? ORDER BY id DESC",
        (chat.id, status),
    )
    assert row is not None
    return json.loads(row["state"])


async def board_id(sim: Simulator, chat: Chat) -> int:
    """The message id of the group's game's board, as the database keeps it."""
    value = await sim.rt.db.fetchval(
        "SELECT lobby_message_id FROM quiz_games WHERE chat_id = ? ORDER BY id DESC", (chat.id,)
    )
    assert value is not None
    return int(value)


def quoted(call: ApiCall) -> int | None:
    """The message a sent message replies to (quotes)."""
    raw = call.params.get("reply_parameters")
    if raw is None:
        return None
    params = json.loads(raw) if isinstance(raw, str) else raw
    return int(params["message_id"])


def group_posts(calls: list[ApiCall], chat: Chat) -> list[ApiCall]:
    """New messages in the group (edits, reactions and deletions are not messages)."""
    posts = ("sendMessage", "sendDice", "sendPhoto")
    return [c for c in calls if c.method in posts and c.chat_id == chat.id]


def last_prompt(sim: Simulator, chat: Chat, label: str = "掷骰子") -> ApiCall:
    for call in reversed(sim.api.calls):
        if call.chat_id == chat.id and any(
            label in b.get("text", "") for row in call.buttons for b in row
        ):
            return call
    raise AssertionError(f"no message with {label!r} in {chat.id}")


async def right_label(sim: Simulator, chat: Chat, wrong: bool = False) -> str:
    game = rules.Game.from_dict(await game_state(sim, chat))
    player = game.current_player
    assert player is not None
    item = game.item_at(player.position)
    assert item is not None
    if wrong:
        return next(v for c, v in LABEL.items() if c != item.category)
    return LABEL[item.category]


async def open_game(sim: Simulator, chat: Chat, *kids: Person) -> Reply:
    lobby = await sim.send(kids[0], chat, "/quiz")
    assert "报名" in lobby.text
    for kid in kids:
        joined = await sim.press(kid, lobby, "加入")
        assert joined.alerts() and "加入成功" in joined.alerts()[0]
    return await sim.press(kids[0], lobby, "开始")


async def play_turn(
    sim: Simulator, chat: Chat, kid: Person, dice: int, wrong: bool = False
) -> Reply:
    sim.api.dice_values.append(dice)
    rolled = await sim.press(kid, last_prompt(sim, chat), "掷骰子")
    assert rolled.to(chat.id) and sim.api.sent("sendDice")
    revealed = await sim.advance(timedelta(seconds=4))
    assert "它属于什么垃圾" in revealed.text, revealed.text
    label = await right_label(sim, chat, wrong)
    return await sim.press(kid, revealed, label)


async def test_whole_game_three_players_to_a_winner(sim: Simulator, group: Chat) -> None:
    start = await open_game(sim, group, KID_A, KID_B, KID_C)
    assert "轮到 🔴小明" in start.text and "🏠" in start.text
    # Someone else presses the dice: a private, friendly alert; nothing changes.
    other = await sim.press(KID_B, last_prompt(sim, group), "掷骰子")
    assert other.alerts() == ["还没轮到你哦，等一等～"]
    assert not other.to(group.id)
    # A wrong answer: the right one, the reason, and back to the start.
    result = await play_turn(sim, group, KID_A, 3, wrong=True)
    assert "❌" in result.text and "原因" in result.text and "退回第 0 格" in result.text
    result = await play_turn(sim, group, KID_B, 2)
    assert "✅" in result.text and "轮到 🟢小刚" in result.text
    # A press on the answer buttons by someone else.
    await play_turn(sim, group, KID_C, 1)
    sim.api.dice_values.append(6)
    await sim.press(KID_A, last_prompt(sim, group), "掷骰子")
    question = await sim.advance(timedelta(seconds=4))
    nosy = await sim.press(KID_B, question, "其他垃圾")
    assert nosy.alerts() == ["还没轮到你哦，等一等～"]
    await sim.press(KID_A, question, await right_label(sim, group))
    # 小明 rolls sixes and answers right; the others crawl.
    for _ in range(4):
        await play_turn(sim, group, KID_B, 1)
        await play_turn(sim, group, KID_C, 1)
        last = await play_turn(sim, group, KID_A, 6)
    assert "冠军是 🔴小明" in last.text, last.text
    assert "✅5 ❌1" in last.text and "容易分错" in last.text
    state = await game_state(sim, group, "finished")
    assert state["winner_id"] == KID_A.id
    top = await sim.send(KID_B, group, "/quiz_top")
    assert "🥇 小明：赢 1 局" in top.text
    # The finished game's buttons are stale now.
    stale = await sim.press(KID_A, last_prompt(sim, group, "其他垃圾"), "其他垃圾")
    assert stale.alerts() and "失效" in stale.alerts()[0]


async def test_lobby_rules(sim: Simulator, group: Chat) -> None:
    lobby = await sim.send(KID_A, group, "/quiz")
    # One game per group: /quiz again points to the lobby (a short reply quoting it), it
    # does not post the lobby again.
    again = await sim.send(KID_B, group, "/quiz")
    assert "已经开好一局" in again.text and again.last_with_buttons() is None
    assert quoted(again.calls[0]) == lobby.calls[0].message_id
    assert await sim.rt.db.fetchval("SELECT count(*) FROM quiz_games") == 1
    await sim.press(KID_A, lobby, "加入")
    twice = await sim.press(KID_A, lobby, "加入")
    assert "已经加入" in twice.alerts()[0]
    alone = await sim.press(KID_A, lobby, "开始")
    assert "至少要 2 个人" in alone.alerts()[0]
    await sim.press(KID_B, lobby, "加入")
    early = await sim.press(KID_B, lobby, "开始")  # not the opener, too early
    assert "等开局的人" in early.alerts()[0]
    sim.clock.advance(timedelta(seconds=61))
    started = await sim.press(KID_B, lobby, "开始")
    assert "轮到 🔴小明" in started.text
    private = await sim.send(KID_A, sim.private(KID_A), "/quiz")
    assert "群里" in private.text


async def test_timeout_skips_and_three_skips_leave(sim: Simulator, group: Chat) -> None:
    await open_game(sim, group, KID_A, KID_B, KID_C)
    skipped = await sim.advance(timedelta(seconds=61))
    assert "小明 超时了" in skipped.text and "(1/3)" not in skipped.text
    assert "（1/3）" in skipped.text and "轮到 🔵小红" in skipped.text
    assert not group_posts(skipped.calls, group)  # a time-out only changes the board
    await play_turn(sim, group, KID_B, 2)
    await play_turn(sim, group, KID_C, 1)
    # A timer that fires late for an old turn is ignored (Game.timeout(turn_no)).
    assert (await sim.advance(timedelta(seconds=1))).texts == []
    # A roll without an answer also times out; the tentative move is undone. Rolling was
    # acting, so the count of skips in a row starts again.
    sim.api.dice_values.append(5)
    await sim.press(KID_A, last_prompt(sim, group), "掷骰子")
    await sim.advance(timedelta(seconds=4))
    skipped = await sim.advance(timedelta(seconds=61))
    assert "（1/3）" in skipped.text
    assert (await game_state(sim, group))["players"][0]["position"] == 0
    await play_turn(sim, group, KID_B, 2)
    await play_turn(sim, group, KID_C, 1)
    assert "（2/3）" in (await sim.advance(timedelta(seconds=61))).text
    await play_turn(sim, group, KID_B, 2)
    await play_turn(sim, group, KID_C, 1)
    left = await sim.advance(timedelta(seconds=61))
    assert "小明 连续 3 次没有动" in left.text and "轮到 🔵小红" in left.text
    state = await game_state(sim, group)
    assert [p["active"] for p in state["players"]] == [False, True, True]
    # The two others play on; 小明 is never asked again.
    result = await play_turn(sim, group, KID_B, 1)
    assert "轮到 🟢小刚" in result.text
    result = await play_turn(sim, group, KID_C, 1)
    assert "轮到 🔵小红" in result.text


async def test_turn_timeout_is_settable_by_staff(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    refused = await sim.send(KID_A, group, "/quiz_timeout 90")
    assert "只有群管理员或社区工作人员" in refused.text
    assert "90 秒" in (await sim.send(STAFF, group, "/quiz_timeout 90")).text
    sim.make_group_admin(group, WANG)
    assert "30 秒" in (await sim.send(WANG, group, "/quiz_timeout 30")).text
    assert "用法" in (await sim.send(WANG, group, "/quiz_timeout 5")).text
    start = await open_game(sim, group, KID_A, KID_B)
    assert "30 秒内" in start.text
    assert not (await sim.advance(timedelta(seconds=29))).texts
    assert "超时" in (await sim.advance(timedelta(seconds=2))).text


async def test_restart_in_the_middle_keeps_board_turn_and_timer(
    sim: Simulator, group: Chat
) -> None:
    await open_game(sim, group, KID_A, KID_B, KID_C)
    await play_turn(sim, group, KID_A, 4)
    sim.api.dice_values.append(3)
    await sim.press(KID_B, last_prompt(sim, group), "掷骰子")
    before = await game_state(sim, group)
    board = await board_id(sim, group)
    await sim.restart()  # between the dice and the reveal
    assert await game_state(sim, group) == before
    revealed = await sim.advance(timedelta(seconds=4))
    assert "🔵小红 掷出 3 点，走到第 3 格" in revealed.text
    # The same board message is edited after the restart.
    assert [c.method for c in revealed.calls] == ["editMessageText"]
    assert revealed.calls[0].message_id == board == await board_id(sim, group)
    result = await sim.press(KID_B, revealed, await right_label(sim, group))
    assert "✅" in result.text and "轮到 🟢小刚" in result.text
    await sim.restart()  # the turn timer survives too
    skipped = await sim.advance(timedelta(seconds=61))
    assert "小刚 超时了" in skipped.text and "轮到 🔴小明" in skipped.text
    state = await game_state(sim, group)
    assert [p["position"] for p in state["players"]] == [4, 3, 0]


async def test_two_groups_play_at_once(sim: Simulator, group: Chat) -> None:
    other = sim.group(OTHER_GROUP_ID, "光明社区居民群")
    await open_game(sim, group, KID_A, KID_B)
    await open_game(sim, other, KID_C, KID_A)  # 小明 plays in both
    await play_turn(sim, group, KID_A, 2)
    await play_turn(sim, other, KID_C, 5)
    await play_turn(sim, other, KID_A, 1, wrong=True)
    here, there = await game_state(sim, group), await game_state(sim, other)
    assert [p["position"] for p in here["players"]] == [2, 0]
    assert [p["position"] for p in there["players"]] == [5, 0]
    assert here["board"] != there["board"]
    # A button of one group's game pressed in the other group is refused.
    data = sim.find_button(last_prompt(sim, group), "掷骰子")["callback_data"]
    forged = await sim.press(KID_B, None, data=data, chat=other)
    assert forged.alerts() and "失效" in forged.alerts()[0]


async def test_quiz_stop_by_opener_or_staff_not_by_a_resident(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await open_game(sim, group, KID_A, KID_B)
    await play_turn(sim, group, KID_A, 2)
    refused = await sim.send(WANG, group, "/quiz_stop")
    assert "只有开局的人" in refused.text
    await game_state(sim, group)  # still active
    stopped = await sim.send(STAFF, group, "/quiz_stop")
    assert "游戏结束" in stopped.text and "提前结束" in stopped.text
    assert (await sim.advance(timedelta(seconds=120))).texts == []  # timers cancelled
    # The opener may stop their own game (here: still in the lobby).
    await sim.send(KID_B, group, "/quiz")
    assert "取消" in (await sim.send(KID_B, group, "/quiz_stop")).text
    assert "没有进行中" in (await sim.send(KID_B, group, "/quiz_stop")).text


async def test_stats_for_volunteers(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await open_game(sim, group, KID_A, KID_B)
    await play_turn(sim, group, KID_A, 2, wrong=True)
    missed = KnowledgeBase.get().item((await game_state(sim, group))["board"][1])
    await sim.send(KID_A, group, "/quiz_stop")
    assert "只有志愿者" in (await sim.send(WANG, group, "/quiz_stats")).text
    stats = await sim.send(VOLUNTEER, group, "/quiz_stats")
    assert "共玩了 1 局" in stats.text and missed.name in stats.text and "错 1 次" in stats.text


async def test_forged_callback_data_is_refused(sim: Simulator, group: Chat) -> None:
    await open_game(sim, group, KID_A, KID_B)
    state = await game_state(sim, group)
    row = await sim.rt.db.fetchone("SELECT id FROM quiz_games WHERE status = 'active'")
    gid = row["id"]
    for data in (
        f"1|qz|a|{gid}|{state['turn_no']}|plutonium",
        f"1|qz|zz|{gid}",
        "1|qz|r|99999|1",
        "1|qz|r|x|1",
        f"1|qz|r|{gid}|{state['turn_no'] + 5}",
        "1|qz|l|99999",
        "1|qz|l",
    ):
        reply = await sim.press(KID_A, None, data=data, chat=group)
        assert reply.alerts(), data
        assert not reply.to(group.id)
    assert await game_state(sim, group) == state
