"""垃圾分类飞行棋: the game's one group message, the board, and what it says.

The lobby message becomes the board; every change of the game edits it (the dice result
and the item question, the answer and the next player, a time-out, a leaver, the results).
So a turn posts one message, Telegram's dice. The board is posted anew only when it has
scrolled away (the reveal's `move`, see `Game.board_is_far`) or when its message is gone;
its new id is recorded with the game (`flow.board_posted`). Budget: docs/flows/quiz.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

from bot import callbacks
from bot import quiz as rules
from bot.context import App
from bot.i18n import Translate, translator
from bot.quiz import Game
from bot.runtime import get_runtime
from bot.workflows import quiz as flow
from bot.workflows.quiz import Moved
from handlers.shared import Context, clip, group_lang
from handlers.sorting import category_keyboard, category_label, kb_text

log = logging.getLogger(__name__)

# 1|qz|j|<game> join, s|<game> start, l|<game> leave, r|<game>|<turn> roll,
# a|<game>|<turn>|<category> answer
F = "qz"


def button(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(F, action, *args))


async def group_tr(source: Context | App, chat_id: int) -> tuple[Translate, str]:
    """The group's translator and language code (knowledge-base text needs the code)."""
    lang = await group_lang(get_runtime(source), chat_id)
    return translator(lang), lang


def names(game: Game) -> str:
    return "  ".join(f"{p.marker}{p.name}" for p in game.players)


# ---- texts --------------------------------------------------------------------------------
def lobby_text(_: Translate, game: Game, opener: str) -> str:
    joined = names(game) or _("（还没有人）")
    return "\n".join(
        [
            _("🎲 垃圾分类飞行棋 报名啦！"),
            _(
                "掷骰子走格子，说出格子上的垃圾属于哪一类：答对留下，答错退回。先到第 {n} 格的赢！"
            ).format(n=game.finish),
            _("已加入（{k}/{max}）：{names}").format(
                k=len(game.players), max=rules.MAX_PLAYERS, names=joined
            ),
            _("{min}–{max} 人。{opener} 点【开始】，或者等 {sec} 秒后谁都可以开始。").format(
                min=rules.MIN_PLAYERS,
                max=rules.MAX_PLAYERS,
                opener=opener,
                sec=int(flow.LOBBY_WAIT.total_seconds()),
            ),
        ]
    )


def lobby_keyboard(_: Translate, game_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button(_("🙋 加入"), "j", game_id), button(_("▶️ 开始"), "s", game_id)],
            [button(_("🚪 离开游戏"), "l", game_id)],
        ]
    )


def _prompt(_: Translate, game: Game, seconds: int) -> str:
    player = game.current_player
    assert player is not None
    return _("👉 轮到 {marker}{name} 啦！点下面的 🎲 掷骰子（{sec} 秒内）").format(
        marker=player.marker, name=player.name, sec=seconds
    )


def _question(_: Translate, lang: str, game: Game) -> str:
    player = game.current_player
    assert player is not None
    item = game.item_at(player.position)
    assert item is not None
    text = _(
        "{marker}{name} 掷出 {roll} 点，走到第 {square} 格！\n这一格是：{item}\n它属于什么垃圾？"
    ).format(
        marker=player.marker,
        name=player.name,
        roll=player.position - (game.pending_from or 0),
        square=player.position,
        item=kb_text(lang, item.name),
    )
    if player.position == game.finish:
        text = _("🏁 终点格！答对就赢啦！") + "\n" + text
    return text


def summary_text(_: Translate, lang: str, game: Game) -> str:
    lines = [_("🏁 游戏结束！")]
    winner, stayed = game.winner, game.last_player
    if winner is not None:
        lines.append(
            _("🏆 冠军是 {marker}{name}！太棒啦！🎉").format(marker=winner.marker, name=winner.name)
        )
    elif stayed is not None:
        lines.append(
            _("🌟 {marker}{name} 坚持到了最后，真棒！小伙伴们都离开了，这局就到这里。").format(
                marker=stayed.marker, name=stayed.name
            )
        )
    elif game.end_reason == "idle":
        lines.append(_("😴 好久没有人掷骰子，这局先结束啦。"))
    elif game.end_reason == "empty":
        lines.append(_("大家都离开了，这局先到这里。"))
    else:
        lines.append(_("这局提前结束了。"))
    lines.append(rules.render_track(game))
    lines.append(_("📋 成绩："))
    for rank, p in enumerate(game.ranking(), start=1):
        lines.append(
            _("{rank}. {marker}{name} 第{square}格 ✅{right} ❌{wrong}").format(
                rank=rank,
                marker=p.marker,
                name=p.name,
                square=p.position,
                right=p.right,
                wrong=p.wrong,
            )
        )
    missed = game.most_missed(3)
    if missed:
        lines.append(_("🧠 这局容易分错的："))
        for item, _count in missed:
            lines.append(
                _("• {item} → {category}：{reason}").format(
                    item=kb_text(lang, item.name),
                    category=category_label(_, item.category),
                    reason=kb_text(lang, item.reason),
                )
            )
    lines.append(_("再来一局请发送 /quiz"))
    return "\n".join(lines)


def board_view(
    _: Translate, lang: str, game_id: int, game: Game, seconds: int, news: Iterable[str] = ()
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The board as the game stands: `news` (what just happened) on top, then the track and
    the roll prompt, the question, or the results."""
    lines = list(news)
    leave = [button(_("🚪 离开游戏"), "l", game_id)]
    if game.phase == rules.AWAIT_ROLL:
        lines += [rules.render_track(game), _prompt(_, game, seconds)]
        roll = [button(_("🎲 掷骰子"), "r", game_id, game.turn_no)]
        return "\n".join(lines), InlineKeyboardMarkup([roll, leave])
    if game.phase == rules.AWAIT_ANSWER:
        lines += [rules.render_track(game), _question(_, lang, game)]
        rows = category_keyboard(_, F, game_id, game.turn_no).inline_keyboard
        return "\n".join(lines), InlineKeyboardMarkup([*rows, leave])
    return "\n".join([*lines, summary_text(_, lang, game)]), None


# ---- showing it ---------------------------------------------------------------------------
async def show_board(
    source: Context | App,
    chat_id: int,
    game_id: int,
    board_id: int | None,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    move: bool = False,
) -> None:
    """Edit the board; post it anew when it is to move down or its message is gone (then the
    old one is deleted and the new id kept with the game)."""
    bot = source.bot
    if board_id is not None and not move:
        try:
            await bot.edit_message_text(clip(text), chat_id, board_id, reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return  # a job run again after a crash: the board already says this
            log.info("board %s of game %s not editable (%s): posted anew", board_id, game_id, exc)
        except TelegramError as exc:
            # Unclear (timeout, flood wait): posting could show two boards; the next
            # change of the game edits it again.
            log.warning("board %s of game %s not edited: %s", board_id, game_id, exc)
            return
    message = await bot.send_message(chat_id, clip(text), reply_markup=markup)
    await flow.board_posted(get_runtime(source), game_id, message.message_id)
    if move and board_id is not None:
        try:
            await bot.delete_message(chat_id, board_id)
        except TelegramError as exc:  # too old to delete, or gone: it only clutters
            log.debug("old board %s not deleted: %s", board_id, exc)


async def show_moved(
    source: Context | App, chat_id: int, game_id: int, moved: Moved, news: Iterable[str] = ()
) -> None:
    """After a change of the game: the board with the next turn, or the results (once)."""
    if moved.finished and not moved.summary:
        return  # it had ended already: whoever ended it showed the results
    _, lang = await group_tr(source, chat_id)
    text, markup = board_view(_, lang, game_id, moved.game, moved.seconds, news)
    await show_board(source, chat_id, game_id, moved.board_id, text, markup)
