"""Workflows of 垃圾分类飞行棋: one function per thing that happens to a game. No Telegram here.

The rules are in `bot/quiz.py`; a game's whole state is JSON in `quiz_games` (storage/quiz.py).
Each function loads the game, applies one action and saves it; a change that moves the game
on later is saved in the same transaction as the job that does so:
  quiz_reveal — a few seconds after the dice, show the square's item and the four buttons;
  quiz_turn   — the turn timer, keyed by game and turn_no (a late timer is stale, ignored);
  quiz_lobby  — an abandoned lobby is put away after a while.
A crash between two steps can cost a message, never leave a game nobody can move.

The group sees one message per game, the board (first the lobby), which the handlers edit;
its message id is kept with the game (`board_id` in the outcomes) and `board_posted` records
a new one. The only other messages of a turn are Telegram's dice.

The lobby's workflows are in `bot/workflows/quiz_lobby.py`.
Callers (handlers/quiz*.py, the quiz jobs) hold `serialized(rt, chat_id)` around a workflow
and the messages it leads to: button presses and timers of one group take turns, and the
dice message goes out between the turn check and the roll. States: docs/flows/quiz.md.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from bot import quiz as rules
from bot.quiz import Game, Player
from bot.runtime import Runtime
from bot.sorting import Category, Item, KnowledgeBase
from storage import community as cstore
from storage import quiz as store
from storage.db import Executor, Row

REVEAL_JOB, TURN_JOB, LOBBY_JOB = "quiz_reveal", "quiz_turn", "quiz_lobby"
REVEAL_AFTER = timedelta(seconds=4)  # Telegram's dice animation takes about 3 seconds
LOBBY_WAIT = timedelta(seconds=60)  # after this anyone may press 开始
LOBBY_EXPIRE = timedelta(minutes=30)
DEFAULT_TURN_SECONDS = 60
MIN_TURN_SECONDS, MAX_TURN_SECONDS = 20, 600
POINTER_GAP = timedelta(seconds=60)  # /quiz again: at most one pointer to the board a minute


def serialized(rt: Runtime, chat_id: int) -> asyncio.Lock:
    """One action at a time per group: presses and timers all load, change and save."""
    locks: dict[int, asyncio.Lock] = rt.cache.setdefault("quiz_locks", {})
    return locks.setdefault(chat_id, asyncio.Lock())


def timestamp(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


def game_of(row: Row) -> Game:
    return Game.from_dict(json.loads(row["state"]))


async def turn_seconds(rt: Runtime, chat_id: int) -> int:
    return await store.turn_seconds(rt.db, chat_id, DEFAULT_TURN_SECONDS)


async def set_turn_seconds(rt: Runtime, chat_id: int, seconds: int) -> bool:
    """/quiz_timeout; False (nothing changed) outside MIN_TURN_SECONDS..MAX_TURN_SECONDS."""
    if not MIN_TURN_SECONDS <= seconds <= MAX_TURN_SECONDS:
        return False
    await store.set_turn_seconds(rt.db, chat_id, seconds)
    return True


async def load(rt: Runtime, game_id: int, chat_id: int) -> tuple[Row, Game] | None:
    """The game if it is still running in this group (a button may be old, or forged)."""
    row = await store.get_game(rt.db, game_id)
    if row is None or row["chat_id"] != chat_id or row["status"] != "active":
        return None
    return row, game_of(row)


def board_of(row: Row) -> int | None:
    return store.board_message_id(row)


async def board_posted(rt: Runtime, game_id: int, message_id: int) -> None:
    """The board was posted anew (it had scrolled away, or its message was gone): remember
    it, and when it was moved (`Game.board_turn`), in one write with the game's state."""
    async with rt.db.transaction() as tx:
        row = await store.get_game(tx, game_id)
        if row is None:
            return
        if row["status"] != "active":
            await store.set_board_message(tx, game_id, message_id)
            return
        game = game_of(row)
        game.board_turn = game.turn_no
        await store.set_board_message(tx, game_id, message_id, game.to_dict())


async def opener_name(rt: Runtime, row: Row, game: Game) -> str:
    opener = game.player(game.opener_id) if game.opener_id is not None else None
    if opener is not None:
        return opener.name
    opener_row = await cstore.get_user(rt.db, row["opened_by"])
    return str(opener_row["first_name"]) if opener_row else ""


async def _arm_timer(
    rt: Runtime, chat_id: int, game_id: int, turn_no: int, seconds: int, tx: Executor | None
) -> None:
    await rt.scheduler.schedule(
        TURN_JOB,
        rt.clock.now() + timedelta(seconds=seconds),
        {"game": game_id, "chat": chat_id, "turn": turn_no},
        key=f"{TURN_JOB}:{game_id}:{turn_no}",
        tx=tx,
    )


async def commit_turn(
    rt: Runtime, chat_id: int, game_id: int, game: Game, *, lobby_done: bool = False
) -> int:
    """Save the game and arm the timer of its current turn together; returns its seconds."""
    seconds = await turn_seconds(rt, chat_id)
    async with rt.db.transaction() as tx:
        await store.save_state(tx, game_id, game.to_dict())
        await rt.scheduler.cancel_prefix(f"{TURN_JOB}:{game_id}:", tx=tx)
        await _arm_timer(rt, chat_id, game_id, game.turn_no, seconds, tx)
        if lobby_done:
            await rt.scheduler.cancel(f"{LOBBY_JOB}:{game_id}", tx=tx)
    return seconds


async def _commit_finish(rt: Runtime, chat_id: int, game_id: int, game: Game) -> bool:
    """Keep the results and drop the game's timers; False if it was finished already."""
    players = [
        {
            "user_id": p.user_id,
            "name": p.name,
            "position": p.position,
            "right": p.right,
            "wrong": p.wrong,
        }
        for p in game.players
    ]
    async with rt.db.transaction() as tx:
        done = await store.finish(
            tx,
            game_id,
            chat_id,
            timestamp(rt),
            game.to_dict(),
            players,
            dict(Counter(game.missed)),
            game.winner_id,
        )
        await rt.scheduler.cancel_prefix(f"{TURN_JOB}:{game_id}:", tx=tx)
        await rt.scheduler.cancel_prefix(f"{REVEAL_JOB}:{game_id}:", tx=tx)
    return done


class Refusal(StrEnum):
    """Why a press changed nothing; the handler answers the presser privately."""

    NO_GAME = "no_game"  # not a running game of this group: an old or forged button
    ALREADY_JOINED = "already_joined"
    FULL = "full"
    JOIN_TOO_LATE = "join_too_late"  # the game has started
    STARTED = "started"  # 开始 pressed again
    OPENER_FIRST = "opener_first"  # only the opener may start before LOBBY_WAIT
    TOO_FEW = "too_few"  # fewer than MIN_PLAYERS
    PAST = "past"  # a button of an earlier turn
    NOT_YOUR_TURN = "not_your_turn"
    ROLLED = "rolled"  # rolled already: answer now
    ROLLING = "rolling"  # the dice is still rolling: the question comes
    NOT_A_PLAYER = "not_a_player"  # 离开 by someone who is not in the game


# ---- the lobby (its workflows: bot/workflows/quiz_lobby.py) ------------------------------
@dataclass(frozen=True)
class Lobby:
    """A game to show: a new or reopened lobby, or (`busy`) the game already going on."""

    game_id: int
    game: Game | None
    opener: str = ""
    busy: bool = False  # the group has a game that is past its lobby
    again: bool = False  # /quiz again: the group's open game, not a new one
    board_id: int | None = None  # the message of the open game (lobby or board)


# ---- a turn -------------------------------------------------------------------------------
def _check_turn(game: Game, user_id: int, turn_no: int, phase: str) -> Refusal | None:
    """Only the current player, on the current turn and step."""
    current = game.current_player
    if turn_no != game.turn_no or game.phase not in rules.PLAYING:
        return Refusal.PAST
    if current is None or current.user_id != user_id:
        return Refusal.NOT_YOUR_TURN
    if game.phase != phase:
        return Refusal.ROLLED if phase == rules.AWAIT_ROLL else Refusal.ROLLING
    return None


@dataclass(frozen=True)
class MayRoll:
    refused: Refusal | None = None
    board_id: int | None = None  # the dice answers the board, so a tap on it leads there


async def may_roll(rt: Runtime, game_id: int, chat_id: int, user_id: int, turn_no: int) -> MayRoll:
    """Before the dice is thrown (Telegram throws it): is it this person's turn to roll?"""
    loaded = await load(rt, game_id, chat_id)
    if loaded is None:
        return MayRoll(Refusal.NO_GAME)
    refused = _check_turn(loaded[1], user_id, turn_no, rules.AWAIT_ROLL)
    return MayRoll(refused, board_of(loaded[0]))


async def roll(
    rt: Runtime,
    game_id: int,
    chat_id: int,
    user_id: int,
    turn_no: int,
    value: int,
    dice_message_id: int = 0,
) -> Refusal | None:
    """The dice showed `value`: move, and reveal the square after the animation (the reveal
    learns the dice's message id: how far the board has scrolled up)."""
    loaded = await load(rt, game_id, chat_id)
    if loaded is None:
        return Refusal.NO_GAME
    game = loaded[1]
    refused = _check_turn(game, user_id, turn_no, rules.AWAIT_ROLL)
    if refused is not None:
        return refused
    game.roll(user_id, value)
    async with rt.db.transaction() as tx:
        await store.save_state(tx, game_id, game.to_dict())
        await rt.scheduler.schedule(
            REVEAL_JOB,
            rt.clock.now() + REVEAL_AFTER,
            {"game": game_id, "chat": chat_id, "turn": game.turn_no, "below": dice_message_id},
            key=f"{REVEAL_JOB}:{game_id}:{game.turn_no}",
            tx=tx,
        )
    return None


@dataclass(frozen=True)
class Question:
    """The reveal: the game waiting for the current player's answer to its square's item."""

    game: Game
    seconds: int  # the answer's timer (already armed)
    board_id: int | None
    move: bool  # post the board anew below the dice (`Game.board_is_far`)


async def reveal(
    rt: Runtime, game_id: int, chat_id: int, turn_no: int, below: int = 0
) -> Question | None:
    """The reveal job; None when the turn moved on meanwhile (timeout, stop, leave)."""
    loaded = await load(rt, game_id, chat_id)
    if loaded is None:
        return None
    row, game = loaded
    if game.turn_no != turn_no or game.phase != rules.AWAIT_ANSWER:
        return None
    seconds = await turn_seconds(rt, chat_id)
    # A fresh full turn for reading and answering (same key: replaces the roll timer).
    await _arm_timer(rt, chat_id, game_id, turn_no, seconds, None)
    board_id = board_of(row)
    return Question(game, seconds, board_id, game.board_is_far(board_id, below))


@dataclass(frozen=True)
class Moved:
    """The game after a turn ended: the next turn (its timer armed) or the end."""

    game: Game
    seconds: int = 0  # the next turn's timer, when the game goes on
    summary: bool = False  # the game ended just now: show the results
    board_id: int | None = None

    @property
    def finished(self) -> bool:
        return self.game.phase == rules.FINISHED


async def _move_on(rt: Runtime, chat_id: int, row: Row, game: Game) -> Moved:
    game_id, board_id = row["id"], board_of(row)
    if game.phase == rules.FINISHED:
        done = await _commit_finish(rt, chat_id, game_id, game)
        return Moved(game, summary=done, board_id=board_id)
    seconds = await commit_turn(rt, chat_id, game_id, game)
    return Moved(game, seconds=seconds, board_id=board_id)


@dataclass(frozen=True)
class Answered:
    refused: Refusal | None = None
    result: rules.AnswerOutcome | None = None
    moved: Moved | None = None


async def answer(
    rt: Runtime, game_id: int, chat_id: int, user_id: int, turn_no: int, chosen: Category
) -> Answered:
    loaded = await load(rt, game_id, chat_id)
    if loaded is None:
        return Answered(Refusal.NO_GAME)
    row, game = loaded
    refused = _check_turn(game, user_id, turn_no, rules.AWAIT_ANSWER)
    if refused is not None:
        return Answered(refused)
    result = game.answer(user_id, chosen)
    return Answered(None, result, await _move_on(rt, chat_id, row, game))


@dataclass(frozen=True)
class Skipped:
    result: rules.TimeoutOutcome
    moved: Moved


async def turn_timeout(rt: Runtime, game_id: int, chat_id: int, turn_no: int) -> Skipped | None:
    """The turn timer: skip the player who did not act (MAX_SKIPS in a row and they leave;
    everyone skipped in a row and the game ends); None when the timer is stale."""
    loaded = await load(rt, game_id, chat_id)
    if loaded is None:
        return None
    row, game = loaded
    result = game.timeout(turn_no)
    if result is None:
        return None
    return Skipped(result, await _move_on(rt, chat_id, row, game))


# ---- leaving ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Left:
    refused: Refusal | None = None
    game_id: int = 0
    player: Player | None = None
    lobby: Lobby | None = None  # left a lobby: the lobby as it is now
    moved: Moved | None = None  # left a game: it goes on (a fresh timer) or it ended


async def leave(rt: Runtime, chat_id: int, user_id: int, game_id: int | None = None) -> Left:
    """离开游戏 (the board's button names its game), "不玩了" or /leave (the group's game)."""
    if game_id is None:
        row = await store.active_game(rt.db, chat_id)
        loaded = (row, game_of(row)) if row is not None else None
    else:
        loaded = await load(rt, game_id, chat_id)
    if loaded is None:
        return Left(Refusal.NO_GAME)
    row, game = loaded
    try:
        player = game.remove_player(user_id)
    except rules.NotAPlayer:
        return Left(Refusal.NOT_A_PLAYER)
    except rules.WrongPhase:
        return Left(Refusal.NO_GAME)
    if game.phase == rules.LOBBY:
        await store.save_state(rt.db, row["id"], game.to_dict())
        opener = await opener_name(rt, row, game)
        lobby = Lobby(row["id"], game, opener, board_id=board_of(row))
        return Left(game_id=row["id"], player=player, lobby=lobby)
    # The one on turn gets a fresh timer too: the board shows it again.
    moved = await _move_on(rt, chat_id, row, game)
    return Left(game_id=row["id"], player=player, moved=moved)


# ---- stopping -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Running:
    game_id: int
    game: Game


async def current_game(rt: Runtime, chat_id: int) -> Running | None:
    """The group's game, in its lobby or being played."""
    row = await store.active_game(rt.db, chat_id)
    return Running(row["id"], game_of(row)) if row is not None else None


@dataclass(frozen=True)
class Stopped:
    discarded: bool = False  # it was a lobby: put away, nothing to keep
    moved: Moved | None = None  # it was being played: ended, results kept
    board_id: int | None = None


async def stop_game(rt: Runtime, game_id: int, chat_id: int) -> Stopped | None:
    """/quiz_stop (who may stop is the handler's call); None when it ended meanwhile."""
    loaded = await load(rt, game_id, chat_id)
    if loaded is None:
        return None
    row, game = loaded
    if game.phase == rules.LOBBY:
        async with rt.db.transaction() as tx:
            await store.discard(tx, game_id, timestamp(rt))
            await rt.scheduler.cancel(f"{LOBBY_JOB}:{game_id}", tx=tx)
        return Stopped(discarded=True, board_id=board_of(row))
    game.stop()
    moved = await _move_on(rt, chat_id, row, game)
    return Stopped(moved=moved, board_id=moved.board_id)


# ---- results ------------------------------------------------------------------------------
async def leaderboard(rt: Runtime, chat_id: int) -> list[Row]:
    """/quiz_top: `name`, `wins`, `n_right`, `games` per player, best first."""
    return await store.leaderboard(rt.db, chat_id)


@dataclass(frozen=True)
class Stats:
    games: int
    missed: list[tuple[Item, int]] = field(default_factory=list)  # most often sorted wrongly


async def stats(rt: Runtime, chat_id: int) -> Stats:
    """/quiz_stats: what the group's children sort wrongly most often."""
    kb = KnowledgeBase.get()
    missed: list[tuple[Item, int]] = []
    for r in await store.most_missed(rt.db, chat_id):
        try:
            missed.append((kb.item(r["item"]), r["n"]))
        except KeyError:  # an item dropped from a later knowledge base
            continue
    return Stats(await store.games_played(rt.db, chat_id), missed)
