"""SQL of the flying-chess game: game state per group, settings and kept results."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Executor, Row


async def create_game(
    ex: Executor, chat_id: int, opened_by: int, now: float, state: dict[str, Any]
) -> int | None:
    """A new active game; None when the group already has one (unique index).

    ON CONFLICT, not a caught error: on PostgreSQL a failed statement spoils its transaction."""
    game_id = await ex.insert(
        "INSERT INTO quiz_games (chat_id, state, opened_by, opened_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (chat_id, json.dumps(state, ensure_ascii=False), opened_by, now),
    )
    return game_id or None


async def get_game(ex: Executor, game_id: int) -> Row | None:
    return await ex.lookup("SELECT * FROM quiz_games WHERE id = ?", (game_id,))


async def active_game(ex: Executor, chat_id: int) -> Row | None:
    return await ex.fetchone(
        "SELECT * FROM quiz_games WHERE chat_id = ? AND status = 'active'", (chat_id,)
    )


async def save_state(ex: Executor, game_id: int, state: dict[str, Any]) -> None:
    await ex.execute(
        "UPDATE quiz_games SET state = ? WHERE id = ? AND status = 'active'",
        (json.dumps(state, ensure_ascii=False), game_id),
    )


# The game's one group message, the lobby and then the board, is kept in the column
# `lobby_message_id` (its name is from before the lobby became the board).
def board_message_id(row: Row) -> int | None:
    value = row["lobby_message_id"]
    return int(value) if value is not None else None


async def set_board_message(
    ex: Executor, game_id: int, message_id: int, state: dict[str, Any] | None = None
) -> None:
    """Remember the board's message, with the game's state in the same statement."""
    if state is None:
        await ex.execute(
            "UPDATE quiz_games SET lobby_message_id = ? WHERE id = ?", (message_id, game_id)
        )
        return
    await ex.execute(
        "UPDATE quiz_games SET lobby_message_id = ?, state = ? WHERE id = ? AND status = 'active'",
        (message_id, json.dumps(state, ensure_ascii=False), game_id),
    )


async def finish(
    ex: Executor,
    game_id: int,
    chat_id: int,
    now: float,
    state: dict[str, Any],
    players: list[dict[str, Any]],
    missed: dict[str, int],
    winner_id: int | None,
) -> bool:
    """Close the game and keep its results; False if it was already finished."""
    n = await ex.execute(
        "UPDATE quiz_games SET status = 'finished', state = ?, finished_at = ? "
        "WHERE id = ? AND status = 'active'",
        (json.dumps(state, ensure_ascii=False), now, game_id),
    )
    if n != 1:
        return False
    await ex.executemany(
        "INSERT INTO quiz_scores (game_id, chat_id, user_id, name, position, n_right, n_wrong, won) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                game_id,
                chat_id,
                p["user_id"],
                p["name"],
                p["position"],
                p["right"],
                p["wrong"],
                int(p["user_id"] == winner_id),
            )
            for p in players
        ],
    )
    await ex.executemany(
        "INSERT INTO quiz_missed (game_id, chat_id, item, n) VALUES (?, ?, ?, ?)",
        [(game_id, chat_id, item, n) for item, n in missed.items()],
    )
    return True


async def discard(ex: Executor, game_id: int, now: float) -> bool:
    """End a game that never started (lobby): nothing to keep."""
    n = await ex.execute(
        "UPDATE quiz_games SET status = 'finished', finished_at = ? "
        "WHERE id = ? AND status = 'active'",
        (now, game_id),
    )
    return n == 1


async def turn_seconds(ex: Executor, chat_id: int, default: int) -> int:
    value = await ex.fetchval(
        "SELECT turn_seconds FROM quiz_settings WHERE chat_id = ?", (chat_id,)
    )
    return int(value) if value is not None else default


async def set_turn_seconds(ex: Executor, chat_id: int, seconds: int) -> None:
    await ex.execute(
        "INSERT INTO quiz_settings (chat_id, turn_seconds) VALUES (?, ?) "
        "ON CONFLICT(chat_id) DO UPDATE SET turn_seconds = excluded.turn_seconds",
        (chat_id, seconds),
    )


async def leaderboard(ex: Executor, chat_id: int, limit: int = 10) -> list[Row]:
    return await ex.fetchall(
        "SELECT user_id, MAX(name) AS name, COUNT(*) AS games, SUM(won) AS wins, "
        "SUM(n_right) AS n_right, SUM(n_wrong) AS n_wrong FROM quiz_scores WHERE chat_id = ? "
        "GROUP BY user_id ORDER BY wins DESC, n_right DESC, n_wrong ASC, user_id LIMIT ?",
        (chat_id, limit),
    )


async def most_missed(ex: Executor, chat_id: int, limit: int = 10) -> list[Row]:
    return await ex.fetchall(
        "SELECT item, SUM(n) AS n FROM quiz_missed WHERE chat_id = ? "
        "GROUP BY item ORDER BY n DESC, item LIMIT ?",
        (chat_id, limit),
    )


async def games_played(ex: Executor, chat_id: int) -> int:
    return int(
        await ex.fetchval(
            "SELECT COUNT(DISTINCT game_id) FROM quiz_scores WHERE chat_id = ?", (chat_id,)
        )
        or 0
    )
