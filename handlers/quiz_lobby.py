"""垃圾分类飞行棋, before and around the turns: /quiz opens a lobby (or points to the group's
open game), 加入, 开始, /quiz_stop, and the job that puts an abandoned lobby away.
Telegram glue around `bot/workflows/quiz_lobby.py`; the lobby message becomes the board.
"""

from __future__ import annotations

from telegram import ReplyParameters, Update

from bot import callbacks
from bot.context import App
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import quiz as flow
from bot.workflows import quiz_lobby as lobby_flow
from handlers.quiz_board import (
    board_view,
    group_tr,
    lobby_keyboard,
    lobby_text,
    names,
    show_board,
    show_moved,
)
from handlers.quiz_turns import refuse
from handlers.shared import (
    Context,
    answer_callback,
    can_manage_group,
    is_group,
    reply,
    tr_chat,
    tr_user,
)


def _to_board(board_id: int | None) -> ReplyParameters | None:
    """A short answer quoting the board: a tap on the quote leads to it."""
    if board_id is None:
        return None
    return ReplyParameters(board_id, allow_sending_without_reply=True)


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
        lobby = await lobby_flow.open_game(rt, chat.id, user.id, user.first_name)
        if lobby.again:
            # The group's game is open: point to its board, never post it again, and only
            # once a minute however often /quiz is sent.
            if not lobby_flow.may_point(rt, chat.id):
                return
            text = (
                _("本群的飞行棋正在进行，棋盘在上面 👆 玩完再开新的吧！")
                if lobby.busy
                else _("本群已经开好一局飞行棋了，在上面点【加入】吧 👆")
            )
            await chat.send_message(text, reply_parameters=_to_board(lobby.board_id))
            return
        assert lobby.game is not None
        message = await chat.send_message(
            lobby_text(_, lobby.game, lobby.opener),
            reply_markup=lobby_keyboard(_, lobby.game_id),
        )
        await lobby_flow.lobby_shown(rt, lobby.game_id, message.message_id)


async def join_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """加入: `1|qz|j|<game>`."""
    user = update.effective_user
    assert user is not None
    game_id = cb.int_arg(0)
    out = await lobby_flow.join(context.rt, game_id, chat_id, user.id, user.first_name)
    if out.refused is not None:
        await refuse(update, context, out.refused, game_id)
        return
    assert out.player is not None and out.lobby is not None and out.lobby.game is not None
    _t = await tr_user(context, user)
    await answer_callback(
        update, _t("加入成功！你的棋子是 {marker}").format(marker=out.player.marker)
    )
    _, _lang = await group_tr(context, chat_id)
    text = lobby_text(_, out.lobby.game, out.lobby.opener)
    await show_board(
        context, chat_id, game_id, out.lobby.board_id, text, lobby_keyboard(_, game_id)
    )


async def start_pressed(
    update: Update, context: Context, cb: callbacks.Callback, chat_id: int
) -> None:
    """开始: `1|qz|s|<game>`. The lobby message becomes the board."""
    user = update.effective_user
    assert user is not None
    game_id = cb.int_arg(0)
    out = await lobby_flow.start_game(context.rt, game_id, chat_id, user.id)
    if out.refused is not None:
        await refuse(update, context, out.refused, game_id, wait=out.wait_seconds)
        return
    assert out.game is not None
    await answer_callback(update)
    _, lang = await group_tr(context, chat_id)
    news = [_("🎲 垃圾分类飞行棋开始啦！选手：{names}").format(names=names(out.game))]
    text, markup = board_view(_, lang, game_id, out.game, out.seconds, news)
    await show_board(context, chat_id, game_id, out.board_id, text, markup)


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
        if out is None:
            return
        if out.moved is not None:
            await show_moved(context, chat.id, running.game_id, out.moved)
            done = _("好的，这局飞行棋停止了，成绩在棋盘上 👆")
        else:
            if out.board_id is not None:  # the lobby's buttons go
                text = _("这局飞行棋取消了。想玩再发送 /quiz")
                await show_board(context, chat.id, running.game_id, out.board_id, text, None)
            done = _("好的，这局飞行棋取消了。")
        await chat.send_message(done, reply_parameters=_to_board(out.board_id))


async def lobby_job(app: App, job: ScheduledJob) -> None:
    """Nobody started the lobby: put it away (the lobby message says so) so the group can
    open a new one."""
    rt = get_runtime(app)
    chat_id, game_id = job.payload["chat"], job.payload["game"]
    async with flow.serialized(rt, chat_id):
        expired = await lobby_flow.expire_lobby(rt, game_id, chat_id)
        if expired is None or expired.board_id is None:
            return
        _, _lang = await group_tr(app, chat_id)
        text = _("这局飞行棋没有开始，先收起来啦。想玩再发送 /quiz")
        await show_board(app, chat_id, game_id, expired.board_id, text, None)
