"""Workflows of 垃圾分类飞行棋: one function per thing that happens to a game. No Telegram here.

The rules are in `bot/quiz.py`; a game's whole state is JSON in `quiz_games` (storage/quiz.py).
Each function loads the game, applies one action and saves it; a change that moves the game
on later is saved in the same transaction as the job that does so:
  quiz_reveal — a few seconds after the dice, show the square's item and the four buttons;
  quiz_turn   — the turn timer, keyed by game and turn_no (a late timer is stale, ignored);
  quiz_lobby  — an abandoned lobby is put away after a while.
A crash between two steps can cost a message, never leave a game nobody can move.

Callers (handlers/quiz*.py, the quiz jobs) hold `serialized(rt, chat_id)` around a workflow
and the messages it leads to: button presses and timers of one group take turns, and the
dice message goes out between the turn check and the roll. States: docs/flows/quiz.md.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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


def serialized(rt: Runtime, chat_id: int) -> asyncio.Lock:
    """One action at a time per group: presses and timers all load, change and save."""
    locks: dict[int, asyncio.Lock] = rt.cache.setdefault("quiz_locks", {})
    return locks.setdefault(chat_id, asyncio.Lock())


def _now(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


def _game_of(row: Row) -> Game:
    return Game.from_dict(json.loads(row["state"]))


async def turn_seconds(rt: Runtime, chat_id: int) -> int:
    return await store.turn_seconds(rt.db, chat_id, DEFAULT_TURN_SECONDS)


async def set_turn_seconds(rt: Runtime, chat_id: int, seconds: int) -> bool:
    """/quiz_timeout; False (nothing changed) outside MIN_TURN_SECONDS..MAX_TURN_SECONDS."""
    if not MIN_TURN_SECONDS <= seconds <= MAX_TURN_SECONDS:
        return False
    await store.set_turn_seconds(rt.db, chat_id, seconds)
    return True


async def _load(rt: Runtime, game_id: int, chat_id: int) -> tuple[Row, Game] | None:
    """The game if it is still running in this group (a button may be old, or forged)."""
    row = await store.get_game(rt.db, game_id)
    if row is None or row["chat_id"] != chat_id or row["status"] != "active":
        return None
    return row, _game_of(row)


async def _opener_name(rt: Runtime, row: Row, game: Game) -> str:
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


async def _commit_turn(
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
            _now(rt),
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


# ---- the lobby ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Lobby:
    """A game to show: a new or reopened lobby, or (`busy`) the game already going on."""

    game_id: int
    game: Game | None
    opener: str = ""
    busy: bool = False  # the group has a game that is past its lobby


async def open_game(rt: Runtime, chat_id: int, user_id: int, user_name: str) -> Lobby:
    """/quiz: a new lobby (it expires after LOBBY_EXPIRE), or the group's open one again."""
    game = Game.new(random.Random(), opener_id=user_id)
    async with rt.db.transaction() as tx:
        game_id = await store.create_game(tx, chat_id, user_id, _now(rt), game.to_dict())
        if game_id is not None:
            await rt.scheduler.schedule(
                LOBBY_JOB,
                rt.clock.now() + LOBBY_EXPIRE,
                {"game": game_id, "chat": chat_id},
                key=f"{LOBBY_JOB}:{game_id}",
                tx=tx,
            )
    if game_id is not None:
        return Lobby(game_id, game, user_name)
    row = await store.active_game(rt.db, chat_id)
    current = _game_of(row) if row is not None else None
    if row is None or current is None or current.phase != rules.LOBBY:
        return Lobby(row["id"] if row is not None else 0, current, busy=True)
    # A lobby is open (its message may have scrolled away): show it again.
    return Lobby(row["id"], current, await _opener_name(rt, row, current))


async def lobby_shown(rt: Runtime, game_id: int, message_id: int) -> None:
    """Remember the lobby's message (the one people press 加入 on)."""
    await store.set_lobby_message(rt.db, game_id, message_id)


@dataclass(frozen=True)
class Joined:
    refused: Refusal | None = None
    player: Player | None = None
    lobby: Lobby | None = None  # the lobby as it is now


async def join(rt: Runtime, game_id: int, chat_id: int, user_id: int, name: str) -> Joined:
    loaded = await _load(rt, game_id, chat_id)
    if loaded is None:
        return Joined(Refusal.NO_GAME)
    row, game = loaded
    try:
        player = game.add_player(user_id, name)
    except rules.AlreadyJoined:
        return Joined(Refusal.ALREADY_JOINED)
    except rules.GameFull:
        return Joined(Refusal.FULL)
    except rules.WrongPhase:
        return Joined(Refusal.JOIN_TOO_LATE)
    await store.save_state(rt.db, game_id, game.to_dict())
    return Joined(None, player, Lobby(game_id, game, await _opener_name(rt, row, game)))


@dataclass(frozen=True)
class Started:
    refused: Refusal | None = None
    wait_seconds: int = 0  # OPENER_FIRST: when anyone may start
    game: Game | None = None
    seconds: int = 0  # the first turn's timer


async def start_game(rt: Runtime, game_id: int, chat_id: int, user_id: int) -> Started:
    """开始: the opener at once, anyone else after LOBBY_WAIT; the first turn's timer starts."""
    loaded = await _load(rt, game_id, chat_id)
    if loaded is None:
        return Started(Refusal.NO_GAME)
    row, game = loaded
    if game.phase != rules.LOBBY:
        return Started(Refusal.STARTED)
    now = rt.clock.now()
    waited = now - datetime.fromtimestamp(row["opened_at"], now.tzinfo)
    if user_id != game.opener_id and waited < LOBBY_WAIT:
        left = int((LOBBY_WAIT - waited).total_seconds()) + 1
        return Started(Refusal.OPENER_FIRST, wait_seconds=left)
    try:
        game.start()
    except rules.NotEnoughPlayers:
        return Started(Refusal.TOO_FEW)
    seconds = await _commit_turn(rt, chat_id, game_id, game, lobby_done=True)
    return Started(game=game, seconds=seconds)


async def expire_lobby(rt: Runtime, game_id: int, chat_id: int) -> bool:
    """The lobby job: nobody started the game; True when it was put away now."""
    loaded = await _load(rt, game_id, chat_id)
    if loaded is None or loaded[1].phase != rules.LOBBY:
        return False
    return await store.discard(rt.db, game_id, _now(rt))


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


async def may_roll(
    rt: Runtime, game_id: int, chat_id: int, user_id: int, turn_no: int
) -> Refusal | None:
    """Before the dice is thrown (Telegram throws it): is it this person's turn to roll?"""
    loaded = await _load(rt, game_id, chat_id)
    if loaded is None:
        return Refusal.NO_GAME
    return _check_turn(loaded[1], user_id, turn_no, rules.AWAIT_ROLL)


async def roll(
    rt: Runtime, game_id: int, chat_id: int, user_id: int, turn_no: int, value: int
) -> Refusal | None:
    """The dice showed `value`: move, and reveal the square after the animation."""
    loaded = await _load(rt, game_id, chat_id)
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
            {"game": game_id, "chat": chat_id, "turn": game.turn_no},
            key=f"{REVEAL_JOB}:{game_id}:{game.turn_no}",
            tx=tx,
        )
    return None


@dataclass(frozen=True)
class Question:
    """The reveal: the player's square, its item, the four buttons to show."""

    game_id: int
    turn_no: int
    player: Player
    roll: int
    square: int
    item: Item
    at_finish: bool
    seconds: int  # the answer's timer (already armed)


async def reveal(rt: Runtime, game_id: int, chat_id: int, turn_no: int) -> Question | None:
    """The reveal job; None when the turn moved on meanwhile (timeout, stop)."""
    loaded = await _load(rt, game_id, chat_id)
    if loaded is None:
        return None
    game = loaded[1]
    player = game.current_player
    if game.turn_no != turn_no or game.phase != rules.AWAIT_ANSWER or player is None:
        return None
    item = game.item_at(player.position)
    assert item is not None and game.pending_from is not None
    seconds = await turn_seconds(rt, chat_id)
    # A fresh full turn for reading and answering (same key: replaces the roll timer).
    await _arm_timer(rt, chat_id, game_id, turn_no, seconds, None)
    return Question(
        game_id,
        turn_no,
        player,
        player.position - game.pending_from,
        player.position,
        item,
        player.position == game.finish,
        seconds,
    )


@dataclass(frozen=True)
class Moved:
    """The game after a turn ended: the next turn (its timer armed) or the end."""

    game: Game
    seconds: int = 0  # the next turn's timer, when the game goes on
    summary: bool = False  # the game ended just now: show the results

    @property
    def finished(self) -> bool:
        return self.game.phase == rules.FINISHED


async def _move_on(rt: Runtime, chat_id: int, game_id: int, game: Game) -> Moved:
    if game.phase == rules.FINISHED:
        return Moved(game, summary=await _commit_finish(rt, chat_id, game_id, game))
    return Moved(game, seconds=await _commit_turn(rt, chat_id, game_id, game))


@dataclass(frozen=True)
class Answered:
    refused: Refusal | None = None
    result: rules.AnswerOutcome | None = None
    moved: Moved | None = None


async def answer(
    rt: Runtime, game_id: int, chat_id: int, user_id: int, turn_no: int, chosen: Category
) -> Answered:
    loaded = await _load(rt, game_id, chat_id)
    if loaded is None:
        return Answered(Refusal.NO_GAME)
    game = loaded[1]
    refused = _check_turn(game, user_id, turn_no, rules.AWAIT_ANSWER)
    if refused is not None:
        return Answered(refused)
    result = game.answer(user_id, chosen)
    return Answered(None, result, await _move_on(rt, chat_id, game_id, game))


@dataclass(frozen=True)
class Skipped:
    result: rules.TimeoutOutcome
    moved: Moved


async def turn_timeout(rt: Runtime, game_id: int, chat_id: int, turn_no: int) -> Skipped | None:
    """The turn timer: skip the player who did not act (MAX_SKIPS in a row and they leave);
    None when the timer is stale."""
    loaded = await _load(rt, game_id, chat_id)
    if loaded is None:
        return None
    game = loaded[1]
    result = game.timeout(turn_no)
    if result is None:
        return None
    return Skipped(result, await _move_on(rt, chat_id, game_id, game))


# ---- stopping -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Running:
    game_id: int
    game: Game


async def current_game(rt: Runtime, chat_id: int) -> Running | None:
    """The group's game, in its lobby or being played."""
    row = await store.active_game(rt.db, chat_id)
    return Running(row["id"], _game_of(row)) if row is not None else None


@dataclass(frozen=True)
class Stopped:
    discarded: bool = False  # it was a lobby: put away, nothing to keep
    moved: Moved | None = None  # it was being played: ended, results kept


async def stop_game(rt: Runtime, game_id: int, chat_id: int) -> Stopped | None:
    """/quiz_stop (who may stop is the handler's call); None when it ended meanwhile."""
    loaded = await _load(rt, game_id, chat_id)
    if loaded is None:
        return None
    game = loaded[1]
    if game.phase == rules.LOBBY:
        async with rt.db.transaction() as tx:
            await store.discard(tx, game_id, _now(rt))
            await rt.scheduler.cancel(f"{LOBBY_JOB}:{game_id}", tx=tx)
        return Stopped(discarded=True)
    game.stop()
    return Stopped(moved=await _move_on(rt, chat_id, game_id, game))


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
