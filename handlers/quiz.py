"""垃圾分类飞行棋 in a group chat: wiring, the buttons' dispatch and the group's settings and
results (/quiz_timeout, /quiz_top, /quiz_stats).

The lobby is in `handlers/quiz_lobby.py`, the turns and the results in
`handlers/quiz_turns.py`; what happens to a game is `bot/workflows/quiz.py`, its rules
`bot/quiz.py`, its states docs/flows/quiz.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_
from bot.runtime import get_runtime
from bot.workflows import quiz as flow
from handlers.quiz_board import F
from handlers.quiz_lobby import join_pressed, lobby_job, quiz_command, quiz_stop, start_pressed
from handlers.quiz_turns import (
    answer_pressed,
    leave_command,
    leave_pressed,
    leave_typed,
    reveal_job,
    roll_pressed,
    turn_job,
)
from handlers.shared import (
    Context,
    can_manage_group,
    group_community,
    group_lang,
    has_any_role,
    is_group,
    refuse_callback,
    reply,
    tr_chat,
)
from handlers.sorting import category_label, kb_text

declare("quiz", N_("开一局垃圾分类飞行棋（群里）"), Audience.EVERYONE, order=42)
declare("quiz_top", N_("飞行棋排行榜"), Audience.EVERYONE, order=43)
declare("quiz_stop", N_("停止本群的飞行棋"), Audience.EVERYONE, order=44)
declare("leave", N_("离开本群的飞行棋"), Audience.EVERYONE, order=45)
declare("quiz_stats", N_("孩子们最容易分错的垃圾"), Audience.VOLUNTEER, order=40)
declare("quiz_timeout", N_("设置飞行棋每回合的秒数：/quiz_timeout 90"), Audience.STAFF, order=41)

Press = Callable[[Update, Context, callbacks.Callback, int], Awaitable[None]]
PRESSES: dict[str, Press] = {
    "j": join_pressed,
    "s": start_pressed,
    "r": roll_pressed,
    "a": answer_pressed,
    "l": leave_pressed,
}


async def quiz_button(update: Update, context: Context) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    try:
        cb = callbacks.unpack(query.data, F)
        press = PRESSES.get(cb.action)
        if press is None:
            raise callbacks.BadCallback(f"unknown action {cb.action!r}")
        async with flow.serialized(context.rt, chat.id):
            await press(update, context, cb, chat.id)
    except callbacks.BadCallback as exc:  # raised by a press before it changes anything
        await refuse_callback(update, context, exc)


# ---- settings and results -----------------------------------------------------------------
async def quiz_timeout(update: Update, context: Context) -> None:
    rt = context.rt
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    _ = await tr_chat(update, context)
    if not is_group(update):
        await reply(update, _("请在群里发送这个命令。"))
        return
    if not await can_manage_group(rt, context.bot, chat.id, user.id):
        await reply(update, _("只有群管理员或社区工作人员可以设置。"))
        return
    args = context.args or []
    seconds = int(args[0]) if len(args) == 1 and args[0].isdecimal() else 0
    if not await flow.set_turn_seconds(rt, chat.id, seconds):
        current = await flow.turn_seconds(rt, chat.id)
        await reply(
            update,
            _("现在每回合 {sec} 秒。用法：/quiz_timeout 90（{lo}–{hi} 秒）").format(
                sec=current, lo=flow.MIN_TURN_SECONDS, hi=flow.MAX_TURN_SECONDS
            ),
        )
        return
    await reply(update, _("好的，从下一回合起每回合 {sec} 秒。").format(sec=seconds))


async def quiz_top(update: Update, context: Context) -> None:
    chat = update.effective_chat
    _ = await tr_chat(update, context)
    if chat is None or not is_group(update):
        await reply(update, _("请在群里发送这个命令。"))
        return
    rows = await flow.leaderboard(context.rt, chat.id)
    if not rows:
        await reply(update, _("还没有人玩过飞行棋，发送 /quiz 开第一局吧！"))
        return
    medals = ("🥇", "🥈", "🥉")
    lines = [_("🏆 本群飞行棋排行榜")]
    for n, r in enumerate(rows):
        # A medal is for winning: nobody gets 🥇 for 0 wins (rows come best first).
        won = n < len(medals) and (r["wins"] or 0) > 0
        lines.append(
            _("{medal} {name}：赢 {wins} 局，答对 {right} 题（玩了 {games} 局）").format(
                medal=medals[n] if won else f"{n + 1}.",
                name=r["name"],
                wins=r["wins"],
                right=r["n_right"],
                games=r["games"],
            )
        )
    await reply(update, "\n".join(lines))


async def quiz_stats(update: Update, context: Context) -> None:
    rt = context.rt
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    _ = await tr_chat(update, context)
    group = await group_community(update, context)
    if group is None:
        await reply(update, _("请在已关联社区的居民群里发送这个命令。"))
        return
    if not await has_any_role(
        rt, user.id, group["community_id"], "staff", "volunteer", "grid_worker"
    ):
        await reply(update, _("只有志愿者和社区工作人员可以查看。"))
        return
    lang = await group_lang(rt, chat.id)
    stats = await flow.stats(rt, chat.id)
    lines = [_("📊 本群共玩了 {n} 局飞行棋。").format(n=stats.games)]
    if not stats.missed:
        lines.append(_("还没有分错的记录。"))
    else:
        lines.append(_("孩子们最容易分错的："))
        for item, n in stats.missed:
            lines.append(
                _("• {item} → {category}（错 {n} 次）：{reason}").format(
                    item=kb_text(lang, item.name),
                    category=category_label(_, item.category),
                    n=n,
                    reason=kb_text(lang, item.reason),
                )
            )
    await reply(update, "\n".join(lines))


def register(app: App) -> None:
    scheduler = get_runtime(app).scheduler
    # at_least_once: a timer or reveal interrupted by a crash runs again after the restart;
    # both re-check turn_no and phase, so running twice changes nothing.
    scheduler.register(flow.REVEAL_JOB, reveal_job, at_least_once=True)
    scheduler.register(flow.TURN_JOB, turn_job, at_least_once=True)
    scheduler.register(flow.LOBBY_JOB, lobby_job, at_least_once=True)
    app.add_handler(CommandHandler("quiz", quiz_command))
    app.add_handler(CommandHandler("quiz_stop", quiz_stop))
    app.add_handler(CommandHandler("quiz_timeout", quiz_timeout))
    app.add_handler(CommandHandler("quiz_top", quiz_top))
    app.add_handler(CommandHandler("quiz_stats", quiz_stats))
    app.add_handler(CommandHandler("leave", leave_command))
    app.add_handler(CallbackQueryHandler(quiz_button, pattern=callbacks.pattern(F)))
    # After every conversation (FEATURES order): a player's "不玩了" in the group.
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND & filters.Regex("玩|退出"),
            leave_typed,
        )
    )
