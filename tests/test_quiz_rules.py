"""Rules of 垃圾分类飞行棋: turns, answers, time-outs, leaving, persistence, board."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from bot.quiz import (
    AWAIT_ANSWER,
    AWAIT_ROLL,
    FINISHED,
    LOBBY,
    MARKERS,
    AlreadyJoined,
    Game,
    GameFull,
    InvalidMove,
    NotAPlayer,
    NotEnoughPlayers,
    NotYourTurn,
    WrongPhase,
    new_board,
    practice_questions,
    render_track,
)
from bot.sorting import Category, KnowledgeBase


def wrong_for(category: Category) -> Category:
    return next(c for c in Category if c != category)


def three_player_game(seed: int = 7) -> Game:
    game = Game.new(random.Random(seed), opener_id=1)
    game.add_player(1, "小明")
    game.add_player(2, "小红")
    game.add_player(3, "小刚")
    game.start()
    return game


def play_right(game: Game, user_id: int, dice: int):
    rolled = game.roll(user_id, dice)
    return rolled, game.answer(user_id, rolled.item.category)


def test_board_is_balanced_distinct_and_for_children() -> None:
    kb = KnowledgeBase.get()
    board = new_board(random.Random(1))
    assert len(board) == 30 and len(set(board)) == 30
    items = [kb.item(name) for name in board]
    assert all(item.kid and item.note is None for item in items)
    counts = Counter(item.category for item in items)
    assert set(counts) == set(Category)
    assert all(count in (7, 8) for count in counts.values())
    assert new_board(random.Random(2)) != board


def test_whole_game_to_a_winner_with_fixed_dice() -> None:
    game = three_player_game()
    assert game.phase == AWAIT_ROLL and game.current_player.user_id == 1
    # everyone rolls 6 and answers right: player 1 reaches 30 on the fifth round
    for round_no in range(1, 6):
        for user_id in (1, 2, 3):
            rolled, answered = play_right(game, user_id, 6)
            assert rolled.square == 6 * round_no
            assert answered.correct and answered.cheer and answered.reason
            if answered.won:
                break
    assert game.phase == FINISHED and game.end_reason == "won"
    assert game.winner is not None and game.winner.user_id == 1
    assert answered.won and answered.next_player is None
    ranking = game.ranking()
    assert [p.user_id for p in ranking] == [1, 2, 3]
    assert [p.position for p in ranking] == [30, 24, 24]
    assert ranking[0].right == 5 and ranking[0].wrong == 0
    with pytest.raises(WrongPhase):
        game.roll(2, 3)


def test_wrong_answer_goes_back_and_is_recorded() -> None:
    game = three_player_game()
    play_right(game, 1, 3)
    play_right(game, 2, 2)
    play_right(game, 3, 1)
    rolled = game.roll(1, 4)
    assert (rolled.from_square, rolled.square) == (3, 7)
    answered = game.answer(1, wrong_for(rolled.item.category))
    assert not answered.correct and answered.cheer == ""
    assert answered.correct_category == rolled.item.category
    assert answered.moved_back_to == 3 and answered.square == 3
    assert game.player(1).position == 3 and game.player(1).wrong == 1
    assert game.missed == [rolled.item.name]
    assert game.most_missed()[0] == (rolled.item, 1)
    assert answered.next_player.user_id == 2


def test_overshoot_stops_at_finish_and_finish_item_must_be_right() -> None:
    game = three_player_game()
    game.player(1).position = 27
    rolled = game.roll(1, 6)
    assert rolled.square == 30 and rolled.at_finish
    assert rolled.item == game.item_at(30)
    answered = game.answer(1, wrong_for(rolled.item.category))
    assert not answered.won and game.player(1).position == 27 and game.phase == AWAIT_ROLL


def test_only_the_current_player_may_act() -> None:
    game = three_player_game()
    with pytest.raises(NotYourTurn):
        game.roll(2, 3)
    with pytest.raises(NotAPlayer):
        game.roll(99, 3)
    with pytest.raises(WrongPhase):
        game.answer(1, "kitchen")  # must roll first
    with pytest.raises(InvalidMove):
        game.roll(1, 7)
    rolled = game.roll(1, 2)
    with pytest.raises(WrongPhase):
        game.roll(1, 2)
    with pytest.raises(NotYourTurn):
        game.answer(2, rolled.item.category)
    with pytest.raises(InvalidMove):
        game.answer(1, "bulky")
    assert game.answer(1, rolled.item.category.value).correct  # a plain code works too


def test_lobby_rules() -> None:
    game = Game.new(random.Random(3), opener_id=1)
    assert game.phase == LOBBY and game.current_player is None
    game.add_player(1, "a")
    with pytest.raises(AlreadyJoined):
        game.add_player(1, "a")
    with pytest.raises(NotEnoughPlayers):
        game.start()
    for user_id in range(2, 7):
        game.add_player(user_id, str(user_id))
    with pytest.raises(GameFull):
        game.add_player(7, "7")
    game.remove_player(3)
    player = game.add_player(7, "7")
    assert player.seat == 2  # the freed seat (and colour) is reused
    game.start()
    with pytest.raises(WrongPhase):
        game.add_player(8, "8")
    with pytest.raises(WrongPhase):
        game.start()


def test_timeout_skips_and_three_skips_leave() -> None:
    game = three_player_game()
    turn = game.turn_no
    game.roll(1, 5)  # tentative move is undone by the time-out
    out = game.timeout(turn)
    assert out.player.user_id == 1 and out.skips == 1 and not out.left
    assert game.player(1).position == 0 and game.current_player.user_id == 2
    assert game.timeout(turn) is None  # a late timer for an old turn does nothing
    play_right(game, 2, 1)
    play_right(game, 3, 1)
    assert game.timeout().skips == 2
    play_right(game, 2, 1)
    play_right(game, 3, 1)
    out = game.timeout()
    assert out.left and not game.player(1).active and not out.finished
    assert out.next_player.user_id == 2
    # the rest play on; player 1 is never asked again
    play_right(game, 2, 1)
    assert game.current_player.user_id == 3
    play_right(game, 3, 1)
    assert game.current_player.user_id == 2
    assert [p.user_id for p in game.ranking()][-1] == 1


def test_acting_resets_the_skip_count() -> None:
    game = three_player_game()
    game.timeout()
    game.timeout()  # 1 and 2 skipped once each
    play_right(game, 3, 1)
    game.timeout()  # 1 again: two in a row for them, but 3 acted in between
    assert game.phase == AWAIT_ROLL and game.player(1).skips == 2
    play_right(game, 2, 2)
    play_right(game, 3, 1)
    play_right(game, 1, 2)
    assert game.player(1).skips == 0 and game.idle_skips == 0


def test_idle_game_ends_when_everyone_was_skipped_in_a_row() -> None:
    game = three_player_game()
    play_right(game, 1, 2)
    first = game.timeout()  # 2
    assert not first.finished and not first.idle
    game.roll(3, 4)  # rolling is acting: the count starts again
    game.timeout()  # 3
    game.timeout()  # 1
    out = game.timeout()  # 2: everyone in a row
    assert out.idle and out.finished and not out.left and out.next_player is None
    assert game.phase == FINISHED and game.end_reason == "idle" and game.winner is None
    assert game.timeout() is None


def test_the_last_player_left_ends_the_game_without_a_win() -> None:
    game = three_player_game()
    game.remove_player(1)  # leaves during their own turn: the next one plays
    assert game.phase == AWAIT_ROLL and game.current_player.user_id == 2
    play_right(game, 2, 3)
    rolled = game.roll(3, 2)
    game.remove_player(3)  # leaves with a question open: the move is undone
    assert game.phase == FINISHED and game.end_reason == "last" and game.winner is None
    assert game.player(3).position == 0 and rolled.square == 2
    assert game.last_player is game.player(2)
    assert [p.user_id for p in game.ranking()] == [2, 1, 3]
    assert "🌟" + MARKERS[1] in render_track(game) and "👉" not in render_track(game)
    with pytest.raises(WrongPhase):
        game.remove_player(2)


def test_three_skips_leave_and_the_last_one_ends_the_game() -> None:
    game = Game.new(random.Random(5))
    game.add_player(1, "a")
    game.add_player(2, "b")
    game.start()
    for _ in range(2):
        game.timeout()  # 1
        play_right(game, 2, 1)
    out = game.timeout()  # 1, the third in a row
    assert out.left and out.finished and not out.idle and out.next_player is None
    assert game.end_reason == "last" and game.last_player.user_id == 2


def test_the_board_moves_when_it_has_scrolled_away() -> None:
    game = three_player_game()
    assert game.board_is_far(None, 10)  # no board message at all
    assert not game.board_is_far(100, 103)  # three messages below: still in sight
    game.turn_no = game.board_turn + 1
    assert not game.board_is_far(100, 110)  # moved a turn ago: not again so soon
    game.turn_no = game.board_turn + 2
    assert game.board_is_far(100, 104)


def test_stop() -> None:
    game = three_player_game()
    game.roll(1, 3)
    game.stop()
    assert game.phase == FINISHED and game.end_reason == "stopped" and game.winner is None
    with pytest.raises(WrongPhase):
        game.answer(1, "other")


def test_serialisation_round_trip_mid_game() -> None:
    game = three_player_game()
    play_right(game, 1, 4)
    rolled = game.roll(2, 3)
    game.answer(2, wrong_for(rolled.item.category))
    rolled = game.roll(3, 5)  # waiting for player 3's answer
    state = json.loads(json.dumps(game.to_dict()))
    restored = Game.from_dict(state)
    assert restored.to_dict() == game.to_dict()
    assert restored.phase == AWAIT_ANSWER and restored.current_player.user_id == 3
    answered = restored.answer(3, rolled.item.category)
    assert answered.correct and restored.player(3).position == 5
    assert restored.current_player.user_id == 1
    with pytest.raises(ValueError):
        Game.from_dict({**state, "v": 99})


def test_render_track_shows_everyone() -> None:
    game = three_player_game()
    play_right(game, 1, 4)
    text = render_track(game)
    lines = text.splitlines()
    assert len(lines) == 1 + 3 + 3
    assert lines[0] == "🏠" + MARKERS[1] + MARKERS[2]
    assert lines[1][3] == MARKERS[0] and lines[3].endswith("🏁")
    assert "👉" + MARKERS[1] + " 小红 0/30" in text
    play_right(game, 2, 4)
    assert "👥" in render_track(game)


def test_practice_questions() -> None:
    questions = practice_questions(random.Random(4))
    assert len(questions) == 10 and len({q.name for q in questions}) == 10
    assert all(q.kid for q in questions)
    counts = Counter(q.category for q in questions)
    assert all(count in (2, 3) for count in counts.values()) and len(counts) == 4
