"""The game's group message budget (issue #13) and leaving the game (issue #16).

One board message per game, edited as the game goes; a turn posts Telegram's dice and
nothing else, except when the board has scrolled away and moves down.
"""

from __future__ import annotations

from datetime import timedelta

from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Person, Simulator
from tests.conftest import STAFF, WANG, setup_community
from tests.test_quiz_game import (
    KID_A,
    KID_B,
    KID_C,
    board_id,
    game_state,
    group_posts,
    last_prompt,
    open_game,
    play_turn,
    quoted,
    right_label,
)

KID_D = Person(204, "小丽", "xiaoli")


def group_calls(calls: list[ApiCall], chat: Chat) -> list[ApiCall]:
    """Every request about the group (PTB's rate limiter counts edits and reactions too)."""
    return [c for c in calls if c.chat_id == chat.id]


async def test_a_scripted_game_posts_at_most_one_and_a_half_messages_per_turn(
    sim: Simulator, group: Chat
) -> None:
    start = len(sim.api.calls)
    await open_game(sim, group, KID_A, KID_B, KID_C)
    await play_turn(sim, group, KID_A, 3, wrong=True)
    await sim.advance(timedelta(seconds=61))  # 小红 is away once: skipped
    turns, last = 2, None
    while last is None or "冠军" not in last.text:  # 小明 rolls sixes to the finish
        for kid, dice in ((KID_C, 1), (KID_A, 6), (KID_B, 2)):
            last = await play_turn(sim, group, kid, dice)
            turns += 1
            if "冠军" in last.text:
                break
    assert last is not None and "冠军是 🔴小明" in last.text, last
    calls = sim.api.calls[start:]
    posts = group_posts(calls, group)
    dice = [c for c in posts if c.method == "sendDice"]
    boards = [c for c in posts if c.method == "sendMessage"]
    assert len(dice) == turns - 1  # every turn but the skipped one rolled
    # The lobby, and the board moved down a few times because the dice pushed it up.
    assert 2 <= len(boards) <= 1 + turns // 3
    assert len(posts) / turns <= 1.5, (len(posts), turns)
    # Each move deleted the board it replaced; the game kept the newest one.
    deleted = [c for c in calls if c.method == "deleteMessage"]
    assert [int(c.params["message_id"]) for c in deleted] == [c.message_id for c in boards[:-1]]
    assert await board_id(sim, group) == boards[-1].message_id
    # The dice answer the board, so a tap on the quote leads to it.
    assert all(quoted(d) in {b.message_id for b in boards} for d in dice)


async def test_four_children_at_a_natural_pace_stay_within_twenty_messages_a_minute(
    sim: Simulator, group: Chat
) -> None:
    kids = (KID_A, KID_B, KID_C, KID_D)
    await open_game(sim, group, *kids)
    start = len(sim.api.calls)
    for turn in range(24):  # a roll every 10 s: 4 minutes
        kid = kids[turn % 4]
        sim.api.dice_values.append(1)
        await sim.press(kid, last_prompt(sim, group), "掷骰子")
        question = await sim.advance(timedelta(seconds=4))
        await sim.advance(timedelta(seconds=6))
        await sim.press(kid, question, await right_label(sim, group, wrong=turn % 3 == 0))
    calls = sim.api.calls[start:]
    posts = [c.at for c in group_posts(calls, group)]
    assert max(sum(1 for u in posts if t - 60 < u <= t) for t in posts) <= 20
    assert len(posts) / 24 <= 1.5
    # Edits and deletions count in PTB's rate limiter too (about 3 requests a turn): even
    # so the game stays within the group's 20 a minute, so its requests do not queue.
    assert len(group_calls(calls, group)) / 4 <= 20


async def test_an_idle_game_ends_with_one_notice_on_the_board(sim: Simulator, group: Chat) -> None:
    await open_game(sim, group, KID_A, KID_B, KID_C)
    board = await board_id(sim, group)
    start = len(sim.api.calls)
    for _ in range(3):  # nobody on turn acts: 小明, 小红, 小刚 are skipped in a row
        await sim.advance(timedelta(seconds=61))
    calls = group_calls(sim.api.calls[start:], group)
    assert not group_posts(calls, group)  # not one new message in the group
    assert {c.method for c in calls} == {"editMessageText"}
    assert {c.message_id for c in calls} == {board}
    ended = [c for c in calls if "好久没有人掷骰子" in c.text]
    assert len(ended) == 1 and ended[0] is calls[-1] and not ended[0].buttons
    state = await game_state(sim, group, "finished")
    assert state["end_reason"] == "idle"
    # Nothing more, however long the group stays quiet.
    assert (await sim.advance(timedelta(minutes=30))).calls == []


async def test_quiz_again_points_to_the_open_game_and_never_reposts_it(
    sim: Simulator, group: Chat
) -> None:
    lobby = await sim.send(KID_A, group, "/quiz")
    again = await sim.send(KID_B, group, "/quiz")
    assert len(again.calls) == 1 and quoted(again.calls[0]) == lobby.calls[0].message_id
    # Children type it over and over: one pointer a minute, then silence.
    for kid in (KID_B, KID_C, KID_A):
        assert (await sim.send(kid, group, "/quiz")).calls == []
    await sim.press(KID_A, lobby, "加入")
    await sim.press(KID_B, lobby, "加入")
    started = await sim.press(KID_A, lobby, "开始")
    assert started.to(group.id)[0].method == "editMessageText"  # the lobby became the board
    sim.clock.advance(timedelta(seconds=61))
    busy = await sim.send(KID_C, group, "/quiz")
    assert "正在进行" in busy.text and busy.last_with_buttons() is None
    assert quoted(busy.calls[0]) == await board_id(sim, group) == lobby.calls[0].message_id
    assert await sim.rt.db.fetchval("SELECT count(*) FROM quiz_games") == 1


async def test_a_board_that_is_gone_is_posted_anew_and_remembered(
    sim: Simulator, group: Chat
) -> None:
    await open_game(sim, group, KID_A, KID_B)
    old = await board_id(sim, group)
    sim.api.fail("editMessageText", 400, "Bad Request: message to edit not found", chat_id=group.id)
    result = await play_turn(sim, group, KID_A, 2)  # the reveal finds the board gone
    new = await board_id(sim, group)
    assert new != old
    posted = [c for c in sim.api.sent("sendMessage", group.id) if c.message_id == new]
    assert posted and "它属于什么垃圾" in posted[0].text and posted[0].buttons
    # The answer then edits the new board.
    assert result.calls[-1].method == "editMessageText" and result.calls[-1].message_id == new
    assert "轮到 🔵小红" in result.text
    await sim.restart()
    revealed = await play_turn(sim, group, KID_B, 1)
    assert revealed.calls[-1].message_id == new


async def test_leaving_by_button_by_words_and_by_command(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    # In the lobby: 离开游戏 takes the child off the list.
    lobby = await sim.send(KID_A, group, "/quiz")
    for kid in (KID_A, KID_B, KID_C, KID_D):
        await sim.press(kid, lobby, "加入")
    left = await sim.press(KID_D, lobby, "离开游戏")
    assert "离开了这局" in left.alerts()[0] and "小丽" not in left.text and "3/6" in left.text
    await sim.press(KID_A, lobby, "开始")
    # 小红 says she stops, in her own words: a 👌 on her message, the board says so.
    said = await sim.send(KID_B, group, "我不玩了！")
    assert [c.method for c in said.calls] == ["setMessageReaction", "editMessageText"]
    assert "🚪 🔵小红 离开了这局" in said.text and "轮到 🔴小明" in said.text
    assert not group_posts(said.calls, group)
    # Someone not playing says the same words about something else: not answered.
    assert (await sim.send(WANG, group, "退出")).calls == []
    assert "不在这局" in (await sim.send(WANG, group, "/leave")).text
    nosy = await sim.press(WANG, last_prompt(sim, group), "离开游戏")
    assert nosy.alerts() == ["你不在这局游戏里哦。"] and not nosy.to(group.id)
    # 小明 leaves on his own turn with the board's button: only 小刚 is left, and he
    # stayed to the end. Kind, but not a win.
    button = await sim.press(KID_A, last_prompt(sim, group), "离开游戏")
    assert "离开了这局" in button.alerts()[0]
    assert "🚪 🔴小明 离开了这局" in button.text and "🌟 🟢小刚 坚持到了最后" in button.text
    state = await game_state(sim, group, "finished")
    assert state["end_reason"] == "last" and state["winner_id"] is None
    late = await sim.press(KID_B, last_prompt(sim, group), "离开游戏")
    assert late.alerts() and "失效" in late.alerts()[0]


async def test_the_last_player_after_leave_command_and_no_medal_for_no_win(
    sim: Simulator, group: Chat
) -> None:
    await open_game(sim, group, KID_A, KID_B)
    await play_turn(sim, group, KID_A, 2)
    stayed = await sim.send(KID_B, group, "/leave")  # on her own turn
    assert "🌟 🔴小明 坚持到了最后" in stayed.text and "游戏结束" in stayed.text
    assert not group_posts(stayed.calls, group) and not stayed.last_with_buttons()
    state = await game_state(sim, group, "finished")
    assert state["end_reason"] == "last" and state["winner_id"] is None
    assert (await sim.advance(timedelta(minutes=5))).calls == []  # its timers are gone
    # A game with a winner, then the leaderboard: medals only for wins.
    await open_game(sim, group, KID_A, KID_B)
    game_over = None
    for _ in range(5):
        game_over = await play_turn(sim, group, KID_A, 6)
        if "冠军" in game_over.text:
            break
        await play_turn(sim, group, KID_B, 1)
    assert game_over is not None and "冠军是 🔴小明" in game_over.text
    top = await sim.send(STAFF, group, "/quiz_top")
    assert "🥇 小明：赢 1 局" in top.text
    assert "2. 小红：赢 0 局" in top.text and "🥈" not in top.text


async def test_nobody_gets_a_medal_when_nobody_won(sim: Simulator, group: Chat) -> None:
    await open_game(sim, group, KID_A, KID_B)
    await play_turn(sim, group, KID_A, 2)
    await sim.send(KID_A, group, "/quiz_stop")
    top = await sim.send(KID_B, group, "/quiz_top")
    assert "1. 小明：赢 0 局" in top.text and "2. 小红" in top.text
    assert not any(medal in top.text for medal in "🥇🥈🥉")
