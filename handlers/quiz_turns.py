"""垃圾分类飞行棋, the turns: 🎲, the reveal, the answer, the turn timer, and leaving the game
(the board's 离开游戏, "我不玩了" typed in the group, /leave).

Telegram glue around `bot/workflows/quiz.py`: each press or job holds the group's
`serialized` lock, calls one workflow and shows what happened on the board
(`handlers/quiz_board.py`). Jobs send with the Application (no CallbackContext).
"""

from __future__ import annotations

import logging
import random
import re

from telegram import Message, ReplyParameters, Update
from telegram.error import TelegramError

from bot import callbacks
from bot import quiz as rules
from bot.context import App
from bot.i18n import N_, Translate
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.sorting import Category
from bot.text import normalize
from bot.workflows import quiz as flow
from bot.workflows.quiz import Left, Refusal
from handlers.quiz_board import (
    board_view,
    group_tr,
    lobby_keyboard,
    lobby_text,
    show_board,
    show_moved,
)
from handlers.shared import (
    Context,
    answer_callback,
    is_group,
    refuse_callback,
    reply,
    tr_chat,
    tr_user,
)
from handlers.sorting import category_label, kb_text

log = logging.getLogger(__name__)

# Answers to a press that changed nothing (format args: sec, n); QUIET ones are no alert.
REFUSALS: dict[Refusal, str] = {
    Refusal.ALREADY_JOINED: N_("你已经加入啦，等开始吧！"),
    Refusal.FULL: N_("人满啦，下一局再来吧！"),
    Refusal.JOIN_TOO_LATE: N_("游戏已经开始了，下一局再来吧！"),
    Refusal.STARTED: N_("游戏已经开始了。"),
    Refusal.OPENER_FIRST: N_("请等开局的人点开始，或者 {sec} 秒后再点。"),
    Refusal.TOO_FEW: N_("至少要 {n} 个人才能开始哦，快叫小伙伴加入！"),
    Refusal.PAST: N_("这一步已经过去啦。"),
    Refusal.NOT_YOUR_TURN: N_("还没轮到你哦，等一等～"),
    Refusal.ROLLED: N_("已经掷过骰子啦，题目马上就来～"),
    Refusal.ROLLING: N_("先等骰子停下来哦。"),
    Refusal.NOT_A_PLAYER: N_("你不在这局游戏里哦。"),
}
QUIET = frozenset({Refusal.ALREADY_JOINED, Refusal.STARTED})
# Typed in the group by a player: leave the game (after bot.text.normalize).
LEAVE_WORDS = re.compile(r"(我)?(不玩了|不玩啦|退出(游戏)?|要退出)[!！。.~～ ]*")
LEFT = "👌"  # the reaction on a player's "不玩了": seen, without a message


async def refuse(
    update: Update, context: Context, refused: Refusal, game_id: int, *, wait: int = 0
) -> None:
    """A press that changed nothing: a private, friendly answer to the presser."""
    if refused is Refusal.NO_GAME:
        await refuse_callback(update, context, f"no active game {game_id} here")
        return
    user = update.effective_user
    assert user is not None
    _t = await tr_user(context, user)
    text = _t(REFUSALS[refused]).format(sec=wait, n=rules.MIN_PLAYERS)
    await answer_callback(update, text, alert=refused not in QUIET)


def answer_news(_: Translate, lang: str, result: rules.AnswerOutcome) -> list[str]:
    item = kb_text(lang, result.item.name)
    right = category_label(_, result.correct_category)
    if result.correct:
        lines = [
            f"✅ {kb_text(lang, result.cheer)}",
            _("{item} → {category}").format(item=item, category=right),
        ]
    else:
        lines = [_("❌ 差一点！{item} 是 {category}").format(item=item, category=right)]
    lines.append(_("💡 原因：{reason}").format(reason=kb_text(lang, result.reason)))
    if result.moved_back_to is not None:
        lines.append(
            _("↩️ {marker}{name} 退回第 {square} 格，下次加油！").format(
                marker=result.player.marker, name=result.player.name, square=result.moved_back_to
            )
        )
    return lines


# ---- presses ------------------------------------------------------------------------------
async def roll_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """🎲: `1|qz|r|<game>|<turn>`. The board stays as it is until the reveal edits it."""
    user = update.effective_user
    assert user is not None
    rt, game_id, turn_no = context.rt, cb.int_arg(0), cb.int_arg(1)
    check = await flow.may_roll(rt, game_id, chat_id, user.id, turn_no)
    if check.refused is not None:
        await refuse(update, context, check.refused, game_id)
        return
    await answer_callback(update)
    # Telegram's own dice, the turn's one message: the value it returns is the roll everyone
    # sees. It answers the board, so a tap on its quote leads there.
    board = (
        ReplyParameters(check.board_id, allow_sending_without_reply=True)
        if check.board_id is not None
        else None
    )
    dice = await context.bot.send_dice(chat_id, reply_parameters=board)
    value = dice.dice.value if dice.dice else random.randint(1, 6)
    await flow.roll(rt, game_id, chat_id, user.id, turn_no, value, dice.message_id)


async def answer_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """A category button: `1|qz|a|<game>|<turn>|<category>`."""
    user = update.effective_user
    assert user is not None
    game_id, turn_no = cb.int_arg(0), cb.int_arg(1)
    try:
        chosen = Category(cb.str_arg(2))
    except ValueError as exc:
        raise callbacks.BadCallback(str(exc)) from exc
    out = await flow.answer(context.rt, game_id, chat_id, user.id, turn_no, chosen)
    if out.refused is not None:
        await refuse(update, context, out.refused, game_id)
        return
    assert out.result is not None and out.moved is not None
    await answer_callback(update)
    _, lang = await group_tr(context, chat_id)
    await show_moved(context, chat_id, game_id, out.moved, answer_news(_, lang, out.result))


async def show_left(source: Context | App, chat_id: int, out: Left) -> None:
    """The board after someone left: the lobby's list, or the game going on (or its end)."""
    assert out.player is not None
    _, _lang = await group_tr(source, chat_id)
    lobby = out.lobby
    if lobby is not None and lobby.game is not None:
        text = lobby_text(_, lobby.game, lobby.opener)
        markup = lobby_keyboard(_, lobby.game_id)
        await show_board(source, chat_id, lobby.game_id, lobby.board_id, text, markup)
    elif out.moved is not None:
        news = _("🚪 {marker}{name} 离开了这局。").format(
            marker=out.player.marker, name=out.player.name
        )
        await show_moved(source, chat_id, out.game_id, out.moved, [news])


async def leave_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """离开游戏: `1|qz|l|<game>`."""
    user = update.effective_user
    assert user is not None
    game_id = cb.int_arg(0)
    out = await flow.leave(context.rt, chat_id, user.id, game_id)
    if out.refused is not None:
        await refuse(update, context, out.refused, game_id)
        return
    _t = await tr_user(context, user)
    await answer_callback(update, _t("好的，你离开了这局。下次再来玩！"))
    await show_left(context, chat_id, out)


async def leave_typed(update: Update, context: Context) -> None:
    """A player types "我不玩了", "不玩了" or "退出" in the group; anyone else is not answered
    (the words may be about something else)."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or not message.text:
        return
    if not LEAVE_WORDS.fullmatch(normalize(message.text).strip()):
        return
    async with flow.serialized(context.rt, chat.id):
        out = await flow.leave(context.rt, chat.id, user.id)
        if out.refused is None:
            await _seen(message)
            await show_left(context, chat.id, out)


async def leave_command(update: Update, context: Context) -> None:
    """/leave in the group: leave its game."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    _ = await tr_chat(update, context)
    if not is_group(update):
        await reply(update, _("请在群里发送这个命令。"))
        return
    async with flow.serialized(context.rt, chat.id):
        out = await flow.leave(context.rt, chat.id, user.id)
        if out.refused is None:
            await _seen(message)
            await show_left(context, chat.id, out)
        elif out.refused is Refusal.NOT_A_PLAYER:
            await reply(update, _(REFUSALS[Refusal.NOT_A_PLAYER]))
        else:
            await reply(update, _("本群现在没有进行中的飞行棋。"))


async def _seen(message: Message) -> None:
    """A reaction on the leaver's message: acknowledged, and no message in the group."""
    try:
        await message.set_reaction(LEFT)
    except TelegramError as exc:  # reactions may be turned off in the group
        log.debug("no reaction: %s", exc)


# ---- jobs ---------------------------------------------------------------------------------
async def reveal_job(app: App, job: ScheduledJob) -> None:
    """After the dice animation: the item on the square and the four category buttons, on
    the board (posted anew below the dice when it has scrolled away)."""
    rt = get_runtime(app)
    chat_id, game_id, turn_no = job.payload["chat"], job.payload["game"], job.payload["turn"]
    async with flow.serialized(rt, chat_id):
        q = await flow.reveal(rt, game_id, chat_id, turn_no, job.payload.get("below", 0))
        if q is None:
            return  # the turn moved on (timeout, stop, leave): nothing to reveal
        _, lang = await group_tr(app, chat_id)
        text, markup = board_view(_, lang, game_id, q.game, q.seconds)
        await show_board(app, chat_id, game_id, q.board_id, text, markup, move=q.move)


async def turn_job(app: App, job: ScheduledJob) -> None:
    """The turn timer: skip the player who did not act (three skips in a row and they leave;
    everyone skipped in a row and the game ends). Only the board changes: no message."""
    rt = get_runtime(app)
    chat_id, game_id, turn_no = job.payload["chat"], job.payload["game"], job.payload["turn"]
    async with flow.serialized(rt, chat_id):
        out = await flow.turn_timeout(rt, game_id, chat_id, turn_no)
        if out is None:
            return  # stale: that turn is over
        _, _lang = await group_tr(app, chat_id)
        skipped = out.result
        if skipped.idle:
            news = []  # the results say why it ended
        elif skipped.left:
            news = [
                _("🚪 {marker}{name} 连续 {n} 次没有动，先离开这局啦。").format(
                    marker=skipped.player.marker, name=skipped.player.name, n=rules.MAX_SKIPS
                )
            ]
        else:
            news = [
                _("⏰ {marker}{name} 超时了，这回合跳过（{n}/{max}）。").format(
                    marker=skipped.player.marker,
                    name=skipped.player.name,
                    n=skipped.skips,
                    max=rules.MAX_SKIPS,
                )
            ]
        await show_moved(app, chat_id, game_id, out.moved, news)
