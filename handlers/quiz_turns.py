"""垃圾分类飞行棋, the turns: 🎲, the reveal, the answer, the turn timer and the results.

Telegram glue around `bot/workflows/quiz.py`: each press or job holds the group's
`serialized` lock, calls one workflow and renders what happened. Jobs send with the
Application (no CallbackContext).
"""

from __future__ import annotations

import logging
import random

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import callbacks
from bot import quiz as rules
from bot.context import App
from bot.i18n import N_, Translate, translator
from bot.quiz import Game
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.sorting import Category
from bot.workflows import quiz as flow
from bot.workflows.quiz import Moved, Refusal
from handlers.shared import (
    Context,
    answer_callback,
    group_lang,
    refuse_callback,
    tr_user,
)
from handlers.sorting import category_keyboard, category_label, kb_text

log = logging.getLogger(__name__)

F = "qz"  # 1|qz|j|<game> join, s|<game> start, r|<game>|<turn> roll, a|<game>|<turn>|<category>


def button(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(F, action, *args))


async def group_tr(source: Context | App, chat_id: int) -> tuple[Translate, str]:
    """The group's translator and language code (knowledge-base text needs the code)."""
    lang = await group_lang(get_runtime(source), chat_id)
    return translator(lang), lang


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
    Refusal.ROLLED: N_("已经掷过骰子啦，请选垃圾桶。"),
    Refusal.ROLLING: N_("先等骰子停下来哦。"),
}
QUIET = frozenset({Refusal.ALREADY_JOINED, Refusal.STARTED})


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


# ---- what the group sees ------------------------------------------------------------------
def summary_text(_: Translate, lang: str, game: Game) -> str:
    lines = [_("🏁 游戏结束！")]
    winner = game.winner
    if winner is not None:
        lines.append(
            _("🏆 冠军是 {marker}{name}！太棒啦！🎉").format(marker=winner.marker, name=winner.name)
        )
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


async def prompt_turn(
    source: Context | App, chat_id: int, game_id: int, game: Game, seconds: int
) -> None:
    """Show the board and the 🎲 button for the current player (its timer is already set)."""
    _, _lang = await group_tr(source, chat_id)
    player = game.current_player
    assert player is not None
    text = (
        rules.render_track(game)
        + "\n"
        + _("👉 轮到 {marker}{name} 啦！点下面的 🎲 掷骰子（{sec} 秒内）").format(
            marker=player.marker, name=player.name, sec=seconds
        )
    )
    await source.bot.send_message(
        chat_id,
        text,
        reply_markup=InlineKeyboardMarkup([[button(_("🎲 掷骰子"), "r", game_id, game.turn_no)]]),
    )


async def show_moved(source: Context | App, chat_id: int, game_id: int, moved: Moved) -> None:
    """After a turn ended: the next player's prompt, or the results (once)."""
    if not moved.finished:
        await prompt_turn(source, chat_id, game_id, moved.game, moved.seconds)
    elif moved.summary:
        _, lang = await group_tr(source, chat_id)
        await source.bot.send_message(chat_id, summary_text(_, lang, moved.game))


# ---- presses ------------------------------------------------------------------------------
async def roll_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """🎲: `1|qz|r|<game>|<turn>`."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    rt, game_id, turn_no = context.rt, cb.int_arg(0), cb.int_arg(1)
    refused = await flow.may_roll(rt, game_id, chat_id, user.id, turn_no)
    if refused is not None:
        await refuse(update, context, refused, game_id)
        return
    await answer_callback(update)
    try:  # the 🎲 button is used up; a failed edit (too old) changes nothing
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:
        log.debug("could not remove the dice button: %s", exc)
    # Telegram's own dice: the value it returns is the roll everyone sees.
    dice = await context.bot.send_dice(chat_id)
    value = dice.dice.value if dice.dice else random.randint(1, 6)
    await flow.roll(rt, game_id, chat_id, user.id, turn_no, value)


async def answer_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """A category button: `1|qz|a|<game>|<turn>|<category>`."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
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
    result = out.result
    await answer_callback(update)
    _, lang = await group_tr(context, chat_id)
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
    asked = getattr(query.message, "text", None) or ""
    try:
        await query.edit_message_text(
            asked
            + "\n"
            + _("{name} 选了 {category}").format(
                name=result.player.name, category=category_label(_, chosen)
            )
        )
    except TelegramError as exc:
        log.debug("could not close the question: %s", exc)
    await context.bot.send_message(chat_id, "\n".join(lines))
    await show_moved(context, chat_id, game_id, out.moved)


# ---- jobs ---------------------------------------------------------------------------------
async def reveal_job(app: App, job: ScheduledJob) -> None:
    """After the dice animation: the item on the square and the four category buttons."""
    rt = get_runtime(app)
    chat_id, game_id, turn_no = job.payload["chat"], job.payload["game"], job.payload["turn"]
    async with flow.serialized(rt, chat_id):
        q = await flow.reveal(rt, game_id, chat_id, turn_no)
        if q is None:
            return  # the turn moved on (timeout, stop): nothing to reveal
        _, lang = await group_tr(app, chat_id)
        text = _(
            "{marker}{name} 掷出 {roll} 点，走到第 {square} 格！\n"
            "这一格是：{item}\n它属于什么垃圾？"
        ).format(
            marker=q.player.marker,
            name=q.player.name,
            roll=q.roll,
            square=q.square,
            item=kb_text(lang, q.item.name),
        )
        if q.at_finish:
            text = _("🏁 终点格！答对就赢啦！") + "\n" + text
        await app.bot.send_message(
            chat_id, text, reply_markup=category_keyboard(_, F, game_id, turn_no)
        )


async def turn_job(app: App, job: ScheduledJob) -> None:
    """The turn timer: skip the player who did not act; three skips in a row and they leave."""
    rt = get_runtime(app)
    chat_id, game_id, turn_no = job.payload["chat"], job.payload["game"], job.payload["turn"]
    async with flow.serialized(rt, chat_id):
        out = await flow.turn_timeout(rt, game_id, chat_id, turn_no)
        if out is None:
            return  # stale: that turn is over
        _, _lang = await group_tr(app, chat_id)
        skipped = out.result
        if skipped.left:
            text = _("🚪 {marker}{name} 连续 {n} 次没有动，先离开这局啦。").format(
                marker=skipped.player.marker, name=skipped.player.name, n=rules.MAX_SKIPS
            )
        else:
            text = _("⏰ {marker}{name} 超时了，这回合跳过（{n}/{max}）。").format(
                marker=skipped.player.marker,
                name=skipped.player.name,
                n=skipped.skips,
                max=rules.MAX_SKIPS,
            )
        await app.bot.send_message(chat_id, text)
        await show_moved(app, chat_id, game_id, out.moved)
