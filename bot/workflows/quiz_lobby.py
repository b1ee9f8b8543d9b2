"""Workflows of 垃圾分类飞行棋 before the first turn: /quiz opens a lobby (or points to the
group's open game), 加入, 开始, and the lobby job that puts an unstarted lobby away.
The turns, leaving and stopping are in `bot/workflows/quiz.py`. No Telegram here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from bot import quiz as rules
from bot.quiz import Game, Player
from bot.runtime import Runtime
from bot.workflows.quiz import (
    LOBBY_EXPIRE,
    LOBBY_JOB,
    LOBBY_WAIT,
    POINTER_GAP,
    Lobby,
    Refusal,
    board_of,
    commit_turn,
    game_of,
    load,
    opener_name,
    timestamp,
)
from storage import quiz as store


async def open_game(rt: Runtime, chat_id: int, user_id: int, user_name: str) -> Lobby:
    """/quiz: a new lobby (it expires after LOBBY_EXPIRE), or the group's open game (`again`)."""
    game = Game.new(random.Random(), opener_id=user_id)
    async with rt.db.transaction() as tx:
        game_id = await store.create_game(tx, chat_id, user_id, timestamp(rt), game.to_dict())
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
    if row is None:  # it ended between the two statements
        return Lobby(0, None, busy=True, again=True)
    current = game_of(row)
    opener = await opener_name(rt, row, current)
    busy = current.phase != rules.LOBBY
    return Lobby(row["id"], current, opener, busy, again=True, board_id=board_of(row))


def may_point(rt: Runtime, chat_id: int) -> bool:
    """/quiz again: point to the open game at most once per POINTER_GAP per group, so
    children typing /quiz over and over do not fill the group (in memory: a restart only
    allows one pointer more)."""
    pointed: dict[int, datetime] = rt.cache.setdefault("quiz_pointed", {})
    now = rt.clock.now()
    last = pointed.get(chat_id)
    if last is not None and now - last < POINTER_GAP:
        return False
    pointed[chat_id] = now
    return True


async def lobby_shown(rt: Runtime, game_id: int, message_id: int) -> None:
    """Remember the lobby's message: people press 加入 on it, and it becomes the board."""
    await store.set_board_message(rt.db, game_id, message_id)


@dataclass(frozen=True)
class Joined:
    refused: Refusal | None = None
    player: Player | None = None
    lobby: Lobby | None = None  # the lobby as it is now


async def join(rt: Runtime, game_id: int, chat_id: int, user_id: int, name: str) -> Joined:
    loaded = await load(rt, game_id, chat_id)
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
    opener = await opener_name(rt, row, game)
    return Joined(None, player, Lobby(game_id, game, opener, board_id=board_of(row)))


@dataclass(frozen=True)
class Started:
    refused: Refusal | None = None
    wait_seconds: int = 0  # OPENER_FIRST: when anyone may start
    game: Game | None = None
    seconds: int = 0  # the first turn's timer
    board_id: int | None = None


async def start_game(rt: Runtime, game_id: int, chat_id: int, user_id: int) -> Started:
    """开始: the opener at once, anyone else after LOBBY_WAIT; the first turn's timer starts."""
    loaded = await load(rt, game_id, chat_id)
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
    seconds = await commit_turn(rt, chat_id, game_id, game, lobby_done=True)
    return Started(game=game, seconds=seconds, board_id=board_of(row))


@dataclass(frozen=True)
class Expired:
    board_id: int | None  # the lobby's message, to say it was put away


async def expire_lobby(rt: Runtime, game_id: int, chat_id: int) -> Expired | None:
    """The lobby job: nobody started the game; None unless it was put away now."""
    loaded = await load(rt, game_id, chat_id)
    if loaded is None or loaded[1].phase != rules.LOBBY:
        return None
    if not await store.discard(rt.db, game_id, timestamp(rt)):
        return None
    return Expired(board_of(loaded[0]))
