"""垃圾分类飞行棋, before and around the turns: /quiz opens a lobby, 加入, 开始, /quiz_stop, and
the job that puts an abandoned lobby away. Telegram glue around `bot/workflows/quiz.py`."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import callbacks
from bot import quiz as rules
from bot.context import App
from bot.i18n import Translate
from bot.quiz import Game
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import quiz as flow
from handlers.quiz_turns import button, group_tr, prompt_turn, refuse, show_moved
from handlers.shared import (
    Context,
    answer_callback,
    can_manage_group,
    is_group,
    reply,
    tr_chat,
    tr_user,
)

log = logging.getLogger(__name__)


def lobby_text(_: Translate, game: Game, opener: str) -> str:
    joined = "  ".join(f"{p.marker}{p.name}" for p in game.players) or _("（还没有人）")
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
        [[button(_("🙋 加入"), "j", game_id), button(_("▶️ 开始"), "s", game_id)]]
    )


async def quiz_command(update: Update, context: Context) -> None:
    rt = context.rt
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    _ = await tr_chat(update, context)
    if not is_group(update):
        await reply(update, _("飞行棋要在群里和小伙伴一起玩哦！自己练习请发送 /practice"))
        return
    async with flow.serialized(rt, chat.id):
        lobby = await flow.open_game(rt, chat.id, user.id, user.first_name)
        if lobby.busy or lobby.game is None:
            text = _("本群已经有一局飞行棋了，玩完再开新的吧！")
            if lobby.game is not None and lobby.game.phase in rules.PLAYING:
                text += "\n" + rules.render_track(lobby.game)
            await reply(update, text)
            return
        message = await chat.send_message(
            lobby_text(_, lobby.game, lobby.opener),
            reply_markup=lobby_keyboard(_, lobby.game_id),
        )
        await flow.lobby_shown(rt, lobby.game_id, message.message_id)


async def join_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """加入: `1|qz|j|<game>`."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    game_id = cb.int_arg(0)
    out = await flow.join(context.rt, game_id, chat_id, user.id, user.first_name)
    if out.refused is not None:
        await refuse(update, context, out.refused, game_id)
        return
    assert out.player is not None and out.lobby is not None and out.lobby.game is not None
    _t = await tr_user(context, user)
    await answer_callback(
        update, _t("加入成功！你的棋子是 {marker}").format(marker=out.player.marker)
    )
    _, _lang = await group_tr(context, chat_id)
    try:
        await query.edit_message_text(
            lobby_text(_, out.lobby.game, out.lobby.opener),
            reply_markup=lobby_keyboard(_, game_id),
        )
    except TelegramError as exc:  # the lobby message is gone or unchanged: the join counts
        log.debug("lobby not edited: %s", exc)


async def start_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """开始: `1|qz|s|<game>`."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    game_id = cb.int_arg(0)
    out = await flow.start_game(context.rt, game_id, chat_id, user.id)
    if out.refused is not None:
        await refuse(update, context, out.refused, game_id, wait=out.wait_seconds)
        return
    assert out.game is not None
    await answer_callback(update)
    _, _lang = await group_tr(context, chat_id)
    names = "  ".join(f"{p.marker}{p.name}" for p in out.game.players)
    try:
        await query.edit_message_text(
            _("🎲 垃圾分类飞行棋开始啦！选手：{names}").format(names=names)
        )
    except TelegramError as exc:
        log.debug("lobby not edited: %s", exc)
    await prompt_turn(context, chat_id, game_id, out.game, out.seconds)


async def quiz_stop(update: Update, context: Context) -> None:
    rt = context.rt
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not is_group(update):
        return
    _ = await tr_chat(update, context)
    async with flow.serialized(rt, chat.id):
        running = await flow.current_game(rt, chat.id)
        if running is None:
            await reply(update, _("本群现在没有进行中的飞行棋。"))
            return
        if user.id != running.game.opener_id and not await can_manage_group(
            rt, context.bot, chat.id, user.id
        ):
            await reply(update, _("只有开局的人、群管理员或社区工作人员可以停止游戏。"))
            return
        out = await flow.stop_game(rt, running.game_id, chat.id)
        if out is not None and out.discarded:
            await reply(update, _("好的，这局飞行棋取消了。"))
        elif out is not None and out.moved is not None:
            await show_moved(context, chat.id, running.game_id, out.moved)


async def lobby_job(app: App, job: ScheduledJob) -> None:
    """Nobody started the lobby: put the board away so the group can open a new one."""
    rt = get_runtime(app)
    chat_id, game_id = job.payload["chat"], job.payload["game"]
    async with flow.serialized(rt, chat_id):
        if not await flow.expire_lobby(rt, game_id, chat_id):
            return
        _, _lang = await group_tr(app, chat_id)
        await app.bot.send_message(chat_id, _("这局飞行棋没有开始，先收起来啦。想玩再发送 /quiz"))
