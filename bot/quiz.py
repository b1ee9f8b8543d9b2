"""Rules of 垃圾分类飞行棋, the garbage-sorting board game (pure domain: no Telegram, no SQL).

The board has squares 0..30: square 0 is the start (no item), squares 1..30 each hold one
item from the knowledge base (`board[square - 1]`), square 30 is the finish.

A turn, for the player whose turn it is:
1. `roll(user_id, value)` — the dice value (1..6, from Telegram's 🎲) moves the player
   tentatively. Overshooting stops on the finish: from 27 a roll of 5 lands on 30.
2. `answer(user_id, category)` — right: the player stays on the new square (on square
   30 that wins the game); wrong: the player goes back to where they were before the
   roll. Either way the turn passes to the next player still in the game.
So a child always has to sort the finish square's item correctly to win.

Time-outs (the timer is a durable job; `turn_no` tells stale timers apart):
`timeout()` skips the current player (a tentative move is undone). Three skips in a row
and the player leaves the game. Acting (roll or answer) resets the count. When every
player still in the game has been skipped in a row, nobody is there: the game ends
("idle") at once instead of going round and round.

Players leaving (`remove_player`: the 离开游戏 button, "不玩了", /leave, or three skips):
the game goes on while two or more play. When one player is left, the game ends ("last"):
that child is praised for staying to the end, but it is not a win; a win always means
sorting the finish square's item correctly, and the leaderboard counts only those.
`ranking()` puts the winner first, then players still in the game by position, then those
who left by position.

The board message (one per game, edited as the game goes; see docs/flows/quiz.md) is
posted anew below the chat only when it has scrolled away: `board_is_far`.

The whole state is a JSON-able dict (`to_dict` / `from_dict`), so a game survives a restart.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass, field, fields

from bot.sorting import Category, Item, KnowledgeBase

MIN_PLAYERS = 2
MAX_PLAYERS = 6
BOARD_SIZE = 30
MAX_SKIPS = 3
DICE = range(1, 7)
MARKERS = ("🔴", "🔵", "🟢", "🟡", "🟣", "🟠")
# The board moves down when more than BOARD_REACH messages are below it (the dice are the
# game's own), at most once every BOARD_MIN_TURNS turns: with one dice per turn that is at
# most 1 + 1/BOARD_MIN_TURNS group messages per turn even when the group chats a lot.
BOARD_REACH = 3
BOARD_MIN_TURNS = 2
CHEERS = ("答对了！真棒！", "太厉害了！", "完全正确！", "好样的！", "分类小能手！")

LOBBY = "lobby"
AWAIT_ROLL = "await_roll"
AWAIT_ANSWER = "await_answer"
FINISHED = "finished"
PLAYING = frozenset({AWAIT_ROLL, AWAIT_ANSWER})
STATE_VERSION = 1


class QuizError(Exception):
    """Base of the game's refusals; handlers answer them politely."""


class NotYourTurn(QuizError):
    pass


class WrongPhase(QuizError):
    pass


class NotAPlayer(QuizError):
    pass


class AlreadyJoined(QuizError):
    pass


class GameFull(QuizError):
    pass


class NotEnoughPlayers(QuizError):
    pass


class InvalidMove(QuizError, ValueError):
    """A dice value outside 1..6 or an unknown category code."""


@dataclass
class Player:
    user_id: int
    name: str
    seat: int  # index into MARKERS, kept when others leave
    position: int = 0
    right: int = 0
    wrong: int = 0
    skips: int = 0  # consecutive time-outs
    active: bool = True  # False once the player left the game

    @property
    def marker(self) -> str:
        return MARKERS[self.seat % len(MARKERS)]


@dataclass(frozen=True)
class RollOutcome:
    player: Player
    roll: int
    from_square: int
    square: int  # where the player stands now (tentatively, until answered)
    item: Item  # the item to sort; ask the player, don't show item.category
    at_finish: bool  # landed on (or overshot to) the last square


@dataclass(frozen=True)
class AnswerOutcome:
    player: Player
    item: Item
    chosen: Category
    correct: bool
    correct_category: Category
    reason: str
    note: str | None
    square: int  # the player's position after the answer
    moved_back_to: int | None  # set when a wrong answer sent the player back
    won: bool
    next_player: Player | None  # None when the game is over
    cheer: str  # a short cheer (zh) when correct, "" otherwise


@dataclass(frozen=True)
class TimeoutOutcome:
    player: Player
    skips: int
    left: bool  # True when this was the third skip in a row
    next_player: Player | None
    finished: bool  # the game ended: idle, or one player (or none) left
    idle: bool = False  # ended because everyone in the game was skipped in a row


def _balanced(rng: random.Random, n: int, kb: KnowledgeBase) -> list[Item]:
    """n distinct children's items, spread as evenly as possible over the four categories."""
    categories = list(Category)
    base, extra = divmod(n, len(categories))
    lucky = set(rng.sample(categories, extra))
    chosen: list[Item] = []
    for category in categories:
        pool = kb.kid_items(category)
        want = base + (category in lucky)
        if len(pool) < want:
            raise ValueError(f"not enough children's items in {category}")
        chosen.extend(rng.sample(pool, want))
    rng.shuffle(chosen)
    return chosen


def new_board(rng: random.Random, size: int = BOARD_SIZE) -> list[str]:
    """Item names for squares 1..size (`board[square - 1]`), balanced, no repeats."""
    return [item.name for item in _balanced(rng, size, KnowledgeBase.get())]


def practice_questions(rng: random.Random, n: int = 10) -> list[Item]:
    """n distinct children's items for the solo practice, balanced across categories."""
    return _balanced(rng, n, KnowledgeBase.get())


@dataclass
class Game:
    board: list[str]
    players: list[Player] = field(default_factory=list)
    phase: str = LOBBY
    turn: int = 0  # index into players of the current player
    turn_no: int = 0  # increases at every new turn; lets a late timer see it is stale
    pending_from: int | None = None  # square before the tentative move
    winner_id: int | None = None
    missed: list[str] = field(default_factory=list)  # item names answered wrongly
    opener_id: int | None = None
    end_reason: str | None = None  # "won" | "last" | "idle" | "stopped" | "empty"
    idle_skips: int = 0  # time-outs in a row with nobody acting in between
    board_turn: int = 0  # turn_no when the board message was last posted anew

    @classmethod
    def new(cls, rng: random.Random, opener_id: int | None = None, size: int = BOARD_SIZE) -> Game:
        return cls(board=new_board(rng, size), opener_id=opener_id)

    # -- queries ----------------------------------------------------------------------

    @property
    def finish(self) -> int:
        return len(self.board)

    @property
    def active_players(self) -> list[Player]:
        return [p for p in self.players if p.active]

    @property
    def current_player(self) -> Player | None:
        if self.phase not in PLAYING:
            return None
        return self.players[self.turn]

    @property
    def winner(self) -> Player | None:
        return self.player(self.winner_id) if self.winner_id is not None else None

    def player(self, user_id: int) -> Player | None:
        return next((p for p in self.players if p.user_id == user_id), None)

    def item_at(self, square: int) -> Item | None:
        """The item on a square (None on the start square)."""
        if square <= 0:
            return None
        return KnowledgeBase.get().item(self.board[square - 1])

    def ranking(self) -> list[Player]:
        """Winner first, then players still in the game by position, then those who left."""
        return sorted(
            self.players,
            key=lambda p: (p.user_id != self.winner_id, not p.active, -p.position, p.seat),
        )

    @property
    def last_player(self) -> Player | None:
        """The one who stayed to the end of a game that ended with one player left."""
        if self.end_reason != "last":
            return None
        return next(iter(self.active_players), None)

    def board_is_far(self, board_message_id: int | None, latest_message_id: int) -> bool:
        """Should the board be posted anew below `latest_message_id` (message ids of a chat
        count up, so their difference is how many messages are below the board)?"""
        if board_message_id is None:
            return True
        return (
            latest_message_id - board_message_id > BOARD_REACH
            and self.turn_no - self.board_turn >= BOARD_MIN_TURNS
        )

    def most_missed(self, n: int = 5) -> list[tuple[Item, int]]:
        """The items answered wrongly most often in this game, with counts."""
        kb = KnowledgeBase.get()
        return [(kb.item(name), count) for name, count in Counter(self.missed).most_common(n)]

    # -- lobby ------------------------------------------------------------------------

    def add_player(self, user_id: int, name: str) -> Player:
        if self.phase != LOBBY:
            raise WrongPhase("the game has already started")
        if self.player(user_id):
            raise AlreadyJoined(name)
        if len(self.players) >= MAX_PLAYERS:
            raise GameFull(name)
        used = {p.seat for p in self.players}
        seat = next(s for s in range(MAX_PLAYERS) if s not in used)
        player = Player(user_id=user_id, name=name, seat=seat)
        self.players.append(player)
        return player

    def remove_player(self, user_id: int) -> Player:
        """Leave the lobby, or leave a running game: it goes on while two or more play,
        and ends ("last") when one is left."""
        player = self.player(user_id)
        if player is None or not player.active:
            raise NotAPlayer(str(user_id))
        if self.phase == LOBBY:
            self.players.remove(player)
            return player
        if self.phase == FINISHED:
            raise WrongPhase("the game is over")
        was_current = self.current_player is player
        if was_current:
            self._undo_tentative_move()
        player.active = False
        if not self._ended_by_leaving() and was_current:
            self._next_turn()
        return player

    def _ended_by_leaving(self) -> bool:
        """After a player left: end the game when fewer than two are left."""
        left = len(self.active_players)
        if left == 0:
            self._end("empty")
        elif left == 1:
            self._end("last")
        return self.phase == FINISHED

    def start(self) -> Player:
        """Start the game; returns the first player. Who may start is the handler's call."""
        if self.phase != LOBBY:
            raise WrongPhase("the game has already started")
        if len(self.players) < MIN_PLAYERS:
            raise NotEnoughPlayers(str(len(self.players)))
        self.phase = AWAIT_ROLL
        self.turn = 0
        self.turn_no += 1
        return self.players[0]

    def stop(self) -> None:
        """End the game now (/quiz_stop); there is no winner."""
        if self.phase != FINISHED:
            self._end("stopped")

    # -- a turn -----------------------------------------------------------------------

    def _check_turn(self, user_id: int, phase: str) -> Player:
        player = self.player(user_id)
        if player is None or not player.active:
            raise NotAPlayer(str(user_id))
        if self.phase not in PLAYING:
            raise WrongPhase(self.phase)
        if self.current_player is not player:
            raise NotYourTurn(str(user_id))
        if self.phase != phase:
            raise WrongPhase(self.phase)
        return player

    def roll(self, user_id: int, value: int) -> RollOutcome:
        if value not in DICE:
            raise InvalidMove(f"dice value {value}")
        player = self._check_turn(user_id, AWAIT_ROLL)
        player.skips = 0
        self.idle_skips = 0
        self.pending_from = player.position
        player.position = min(player.position + value, self.finish)
        self.phase = AWAIT_ANSWER
        item = self.item_at(player.position)
        assert item is not None
        return RollOutcome(
            player=player,
            roll=value,
            from_square=self.pending_from,
            square=player.position,
            item=item,
            at_finish=player.position == self.finish,
        )

    def answer(self, user_id: int, category: Category | str) -> AnswerOutcome:
        try:
            chosen = Category(category)
        except ValueError:
            raise InvalidMove(f"category {category!r}") from None
        player = self._check_turn(user_id, AWAIT_ANSWER)
        player.skips = 0
        self.idle_skips = 0
        item = self.item_at(player.position)
        assert item is not None and self.pending_from is not None
        correct = chosen == item.category
        moved_back_to = None
        if correct:
            player.right += 1
        else:
            player.wrong += 1
            self.missed.append(item.name)
            player.position = moved_back_to = self.pending_from
        self.pending_from = None
        won = correct and player.position == self.finish
        if won:
            self.winner_id = player.user_id
            self._end("won")
        else:
            self._next_turn()
        return AnswerOutcome(
            player=player,
            item=item,
            chosen=chosen,
            correct=correct,
            correct_category=item.category,
            reason=item.reason,
            note=item.note,
            square=player.position,
            moved_back_to=moved_back_to,
            won=won,
            next_player=self.current_player,
            cheer=CHEERS[(player.right - 1) % len(CHEERS)] if correct else "",
        )

    def timeout(self, turn_no: int | None = None) -> TimeoutOutcome | None:
        """Skip the current player. None when the game is not running or the timer is stale
        (`turn_no` given and no longer the current turn)."""
        if self.phase not in PLAYING or (turn_no is not None and turn_no != self.turn_no):
            return None
        player = self.players[self.turn]
        self._undo_tentative_move()
        player.skips += 1
        self.idle_skips += 1
        idle = self.idle_skips >= len(self.active_players)
        left = not idle and player.skips >= MAX_SKIPS
        if idle:
            self._end("idle")
        elif left:
            player.active = False
            if not self._ended_by_leaving():
                self._next_turn()
        else:
            self._next_turn()
        return TimeoutOutcome(
            player=player,
            skips=player.skips,
            left=left,
            next_player=self.current_player,
            finished=self.phase == FINISHED,
            idle=idle,
        )

    def _undo_tentative_move(self) -> None:
        if self.phase == AWAIT_ANSWER and self.pending_from is not None:
            self.players[self.turn].position = self.pending_from
        self.pending_from = None

    def _next_turn(self) -> None:
        """Pass the turn to the next player still in the game (maybe the same one)."""
        count = len(self.players)
        for step in range(1, count + 1):
            index = (self.turn + step) % count
            if self.players[index].active:
                self.turn = index
                break
        self.phase = AWAIT_ROLL
        self.turn_no += 1

    def _end(self, reason: str) -> None:
        self.phase = FINISHED
        self.end_reason = reason
        self.pending_from = None
        self.turn_no += 1

    # -- persistence ------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"v": STATE_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Game:
        if data.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported game state version {data.get('v')!r}")
        if data["phase"] not in (LOBBY, AWAIT_ROLL, AWAIT_ANSWER, FINISHED):
            raise ValueError(f"bad phase {data['phase']!r}")
        known = {f.name for f in fields(cls)}  # fields added later take their defaults
        values = {k: v for k, v in data.items() if k in known}
        values["players"] = [Player(**p) for p in data["players"]]
        return cls(**values)


def render_track(game: Game, per_row: int = 10) -> str:
    """A compact emoji picture of the board with every player's position.

    🏠 start (players not yet moved), rows of squares (⬜ empty, 🏁 finish, a player's
    marker, 👥 when several share a square), then one line per player:
    marker, name, square; 👉 current player, 🏆 winner, 🌟 stayed to the end, 🚪 left.
    """
    at: dict[int, list[Player]] = {}
    for p in game.players:
        if p.active or p.user_id == game.winner_id:
            at.setdefault(p.position, []).append(p)
    lines = ["🏠" + "".join(p.marker for p in at.get(0, []))]
    for start in range(1, game.finish + 1, per_row):
        row = []
        for square in range(start, min(start + per_row, game.finish + 1)):
            here = at.get(square, [])
            if len(here) > 1:
                row.append("👥")
            elif here:
                row.append(here[0].marker)
            else:
                row.append("🏁" if square == game.finish else "⬜")
        lines.append("".join(row))
    current, stayed = game.current_player, game.last_player
    for p in game.players:
        badge = (
            "🏆"
            if p.user_id == game.winner_id
            else "🌟"
            if p is stayed
            else "👉"
            if p is current
            else "🚪"
            if not p.active
            else ""
        )
        lines.append(f"{badge}{p.marker} {p.name} {p.position}/{game.finish}")
    return "\n".join(lines)
