"""垃圾分类飞行棋 in a group chat: lobby, dice turns, answers, timers, results.

The rules live in bot/quiz.py; here we only load the game (JSON in SQLite), apply one action,
save it and render. Everything that happens later is a durable job, so a restart mid-game
keeps the board, positions, whose turn it is and the turn timer:
  quiz_reveal  — a few seconds after the dice, show the square's item and the four buttons;
  quiz_turn    — the turn timer, keyed by game and turn_no (a late timer is stale and ignored);
  quiz_lobby   — an abandoned lobby is closed after a while.
Each change of a game is saved in the same transaction as the job that moves it on later,
and messages go out after the commit: a crash between two steps can cost a message, never
leave a game that nobody can move (a group has one game at a time).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import Counter
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot import quiz as rules
from bot.commands import Audience, declare
from bot.i18n import N_, Translate, translator
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.sorting import Category, KnowledgeBase
from handlers.shared import (
    Context,
    answer_callback,
    can_manage_group,
    group_community,
    group_lang,
    has_any_role,
    is_group,
    refuse_callback,
    reply,
    tr_chat,
    tr_user,
)
from handlers.sorting import category_keyboard, category_label, kb_text
from storage import community as cstore
from storage import quiz as store
from storage.db import Executor, Row

log = logging.getLogger(__name__)

declare("quiz", N_("开一局垃圾分类飞行棋（群里）"), Audience.EVERYONE, order=42)
declare("quiz_top", N_("飞行棋排行榜"), Audience.EVERYONE, order=43)
declare("quiz_stop", N_("停止本群的飞行棋"), Audience.EVERYONE, order=44)
declare("quiz_stats", N_("孩子们最容易分错的垃圾"), Audience.VOLUNTEER, order=40)
declare("quiz_timeout", N_("设置飞行棋每回合的秒数：/quiz_timeout 90"), Audience.STAFF, order=41)

F = "qz"  # 1|qz|j|<game> join, s start, r|<game>|<turn> roll, a|<game>|<turn>|<category>
REVEAL_AFTER = timedelta(seconds=4)  # Telegram's dice animation takes about 3 seconds
LOBBY_WAIT = timedelta(seconds=60)  # after this anyone may press 开始
LOBBY_EXPIRE = timedelta(minutes=30)
DEFAULT_TURN_SECONDS = 60
MIN_TURN_SECONDS, MAX_TURN_SECONDS = 20, 600


# ---- loading and saving ---------------------------------------------------------------------
def _lock(rt: Runtime, chat_id: int) -> asyncio.Lock:
    """One action at a time per group: button presses and timers both load-change-save."""
    locks: dict[int, asyncio.Lock] = rt.cache.setdefault("quiz_locks", {})
    return locks.setdefault(chat_id, asyncio.Lock())


def _game_of(row: Row) -> rules.Game:
    return rules.Game.from_dict(json.loads(row["state"]))


async def _save(rt: Runtime, game_id: int, game: rules.Game) -> None:
    await store.save_state(rt.db, game_id, game.to_dict())


async def _commit_turn(
    rt: Runtime, chat_id: int, game_id: int, game: rules.Game, *, lobby_done: bool = False
) -> int:
    """Save the game and arm the timer of its current turn together; returns its seconds."""
    seconds = await _turn_seconds(rt, chat_id)
    async with rt.db.transaction() as tx:
        await store.save_state(tx, game_id, game.to_dict())
        await rt.scheduler.cancel_prefix(f"quiz_turn:{game_id}:", tx=tx)
        await _start_timer(rt, chat_id, game_id, game.turn_no, seconds, tx=tx)
        if lobby_done:
            await rt.scheduler.cancel(f"quiz_lobby:{game_id}", tx=tx)
    return seconds


async def _tr(rt: Runtime, chat_id: int) -> tuple[Translate, str]:
    lang = await group_lang(rt, chat_id)
    return translator(lang), lang


def _btn(text: str, *parts: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(F, *map(str, parts)))


async def _turn_seconds(rt: Runtime, chat_id: int) -> int:
    return await store.turn_seconds(rt.db, chat_id, DEFAULT_TURN_SECONDS)


async def _can_manage(app: Application, chat_id: int, user_id: int) -> bool:  # type: ignore[type-arg]
    """Bot admins, the group's admins and staff of the group's community."""
    return await can_manage_group(get_runtime(app), app.bot, chat_id, user_id)


# ---- texts -----------------------------------------------------------------------------------
def _lobby_text(_: Translate, game: rules.Game, opener: str) -> str:
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
                sec=int(LOBBY_WAIT.total_seconds()),
            ),
        ]
    )


def _lobby_keyboard(_: Translate, game_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_btn(_("🙋 加入"), "j", game_id), _btn(_("▶️ 开始"), "s", game_id)]]
    )


def _summary(_: Translate, lang: str, game: rules.Game) -> str:
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


# ---- turns -----------------------------------------------------------------------------------
async def _prompt_turn(
    app: Application,
    chat_id: int,
    game_id: int,  # type: ignore[type-arg]
    game: rules.Game,
    seconds: int,
) -> None:
    """Show the board and the 🎲 button for the current player (its timer is already set)."""
    rt = get_runtime(app)
    _, _lang = await _tr(rt, chat_id)
    player = game.current_player
    assert player is not None
    text = (
        rules.render_track(game)
        + "\n"
        + _("👉 轮到 {marker}{name} 啦！点下面的 🎲 掷骰子（{sec} 秒内）").format(
            marker=player.marker, name=player.name, sec=seconds
        )
    )
    await app.bot.send_message(
        chat_id,
        text,
        reply_markup=InlineKeyboardMarkup([[_btn(_("🎲 掷骰子"), "r", game_id, game.turn_no)]]),
    )


async def _start_timer(
    rt: Runtime,
    chat_id: int,
    game_id: int,
    turn_no: int,
    seconds: int,
    *,
    tx: Executor | None = None,
) -> None:
    await rt.scheduler.schedule(
        "quiz_turn",
        rt.clock.now() + timedelta(seconds=seconds),
        {"game": game_id, "chat": chat_id, "turn": turn_no},
        key=f"quiz_turn:{game_id}:{turn_no}",
        tx=tx,
    )


async def _finish(
    app: Application,
    chat_id: int,
    game_id: int,  # type: ignore[type-arg]
    game: rules.Game,
) -> None:
    if await _commit_finish(get_runtime(app), chat_id, game_id, game):
        await _send_summary(app, chat_id, game)


async def _send_summary(
    app: Application,
    chat_id: int,  # type: ignore[type-arg]
    game: rules.Game,
) -> None:
    _, lang = await _tr(get_runtime(app), chat_id)
    await app.bot.send_message(chat_id, _summary(_, lang, game))


async def _commit_finish(rt: Runtime, chat_id: int, game_id: int, game: rules.Game) -> bool:
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
            rt.clock.now().timestamp(),
            game.to_dict(),
            players,
            dict(Counter(game.missed)),
            game.winner_id,
        )
        await rt.scheduler.cancel_prefix(f"quiz_turn:{game_id}:", tx=tx)
        await rt.scheduler.cancel_prefix(f"quiz_reveal:{game_id}:", tx=tx)
    return done


async def _load_for_button(
    update: Update, context: Context, game_id: int
) -> tuple[Row, rules.Game] | None:
    """The active game this button belongs to, or a polite refusal."""
    rt = context.rt
    chat = update.effective_chat
    row = await store.get_game(rt.db, game_id)
    if row is None or chat is None or row["chat_id"] != chat.id or row["status"] != "active":
        await refuse_callback(update, context, f"no active game {game_id} here")
        return None
    return row, _game_of(row)


# ---- commands --------------------------------------------------------------------------------
async def quiz_command(update: Update, context: Context) -> None:
    rt = context.rt
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    _ = await tr_chat(update, context)
    if not is_group(update):
        await reply(update, _("飞行棋要在群里和小伙伴一起玩哦！自己练习请发送 /practice"))
        return
    async with _lock(rt, chat.id):
        game = rules.Game.new(random.Random(), opener_id=user.id)
        async with rt.db.transaction() as tx:
            game_id = await store.create_game(
                tx, chat.id, user.id, rt.clock.now().timestamp(), game.to_dict()
            )
            if game_id is not None:
                await rt.scheduler.schedule(
                    "quiz_lobby",
                    rt.clock.now() + LOBBY_EXPIRE,
                    {"game": game_id, "chat": chat.id},
                    key=f"quiz_lobby:{game_id}",
                    tx=tx,
                )
        opener = user.first_name
        if game_id is None:
            row = await store.active_game(rt.db, chat.id)
            current = _game_of(row) if row is not None else None
            if row is None or current is None or current.phase != rules.LOBBY:
                text = _("本群已经有一局飞行棋了，玩完再开新的吧！")
                if current is not None and current.phase in rules.PLAYING:
                    text += "\n" + rules.render_track(current)
                await reply(update, text)
                return
            # A lobby is open (its message may have scrolled away): show it again.
            game_id, game = row["id"], current
            opener = await _opener_name(rt, row, game)
        message = await chat.send_message(
            _lobby_text(_, game, opener), reply_markup=_lobby_keyboard(_, game_id)
        )
        await store.set_lobby_message(rt.db, game_id, message.message_id)


async def quiz_stop(update: Update, context: Context) -> None:
    rt = context.rt
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not is_group(update):
        return
    _ = await tr_chat(update, context)
    async with _lock(rt, chat.id):
        row = await store.active_game(rt.db, chat.id)
        if row is None:
            await reply(update, _("本群现在没有进行中的飞行棋。"))
            return
        game = _game_of(row)
        if user.id != game.opener_id and not await _can_manage(
            context.application, chat.id, user.id
        ):
            await reply(update, _("只有开局的人、群管理员或社区工作人员可以停止游戏。"))
            return
        if game.phase == rules.LOBBY:
            async with rt.db.transaction() as tx:
                await store.discard(tx, row["id"], rt.clock.now().timestamp())
                await rt.scheduler.cancel(f"quiz_lobby:{row['id']}", tx=tx)
            await reply(update, _("好的，这局飞行棋取消了。"))
            return
        game.stop()
        await _finish(context.application, chat.id, row["id"], game)


async def quiz_timeout(update: Update, context: Context) -> None:
    rt = context.rt
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    _ = await tr_chat(update, context)
    if not is_group(update):
        await reply(update, _("请在群里发送这个命令。"))
        return
    if not await _can_manage(context.application, chat.id, user.id):
        await reply(update, _("只有群管理员或社区工作人员可以设置。"))
        return
    args = context.args or []
    if (
        len(args) != 1
        or not args[0].isdigit()
        or not (MIN_TURN_SECONDS <= int(args[0]) <= MAX_TURN_SECONDS)
    ):
        current = await _turn_seconds(rt, chat.id)
        await reply(
            update,
            _("现在每回合 {sec} 秒。用法：/quiz_timeout 90（{lo}–{hi} 秒）").format(
                sec=current, lo=MIN_TURN_SECONDS, hi=MAX_TURN_SECONDS
            ),
        )
        return
    await store.set_turn_seconds(rt.db, chat.id, int(args[0]))
    await reply(update, _("好的，从下一回合起每回合 {sec} 秒。").format(sec=int(args[0])))


async def quiz_top(update: Update, context: Context) -> None:
    rt = context.rt
    chat = update.effective_chat
    _ = await tr_chat(update, context)
    if chat is None or not is_group(update):
        await reply(update, _("请在群里发送这个命令。"))
        return
    rows = await store.leaderboard(rt.db, chat.id)
    if not rows:
        await reply(update, _("还没有人玩过飞行棋，发送 /quiz 开第一局吧！"))
        return
    medals = ("🥇", "🥈", "🥉")
    lines = [_("🏆 本群飞行棋排行榜")]
    for n, r in enumerate(rows):
        lines.append(
            _("{medal} {name}：赢 {wins} 局，答对 {right} 题（玩了 {games} 局）").format(
                medal=medals[n] if n < len(medals) else f"{n + 1}.",
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
    games = await store.games_played(rt.db, chat.id)
    rows = await store.most_missed(rt.db, chat.id)
    lines = [_("📊 本群共玩了 {n} 局飞行棋。").format(n=games)]
    if not rows:
        lines.append(_("还没有分错的记录。"))
    else:
        lines.append(_("孩子们最容易分错的："))
        kb = KnowledgeBase.get()
        for r in rows:
            try:
                item = kb.item(r["item"])
            except KeyError:  # an item dropped from a later knowledge base
                continue
            lines.append(
                _("• {item} → {category}（错 {n} 次）：{reason}").format(
                    item=kb_text(lang, item.name),
                    category=category_label(_, item.category),
                    n=r["n"],
                    reason=kb_text(lang, item.reason),
                )
            )
    await reply(update, "\n".join(lines))


# ---- buttons ---------------------------------------------------------------------------------
async def quiz_button(update: Update, context: Context) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    try:
        cb = callbacks.unpack(query.data, F)
        game_id = cb.int_arg(0)
        action = {"j": _join, "s": _start, "r": _roll, "a": _answer}.get(cb.action)
        if action is None:
            raise callbacks.BadCallback(f"unknown action {cb.action!r}")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    async with _lock(context.rt, chat.id):
        loaded = await _load_for_button(update, context, game_id)
        if loaded is None:
            return
        await action(update, context, cb, *loaded)


async def _join(
    update: Update, context: Context, cb: callbacks.Callback, row: Row, game: rules.Game
) -> None:
    rt, user, query = context.rt, update.effective_user, update.callback_query
    assert user is not None and query is not None
    _t = await tr_user(context, user)
    try:
        player = game.add_player(user.id, user.first_name)
    except rules.AlreadyJoined:
        await answer_callback(update, _t("你已经加入啦，等开始吧！"))
        return
    except rules.GameFull:
        await answer_callback(update, _t("人满啦，下一局再来吧！"), alert=True)
        return
    except rules.WrongPhase:
        await answer_callback(update, _t("游戏已经开始了，下一局再来吧！"), alert=True)
        return
    await _save(rt, row["id"], game)
    await answer_callback(update, _t("加入成功！你的棋子是 {marker}").format(marker=player.marker))
    _, _lang = await _tr(rt, row["chat_id"])
    try:
        await query.edit_message_text(
            _lobby_text(_, game, await _opener_name(rt, row, game)),
            reply_markup=_lobby_keyboard(_, row["id"]),
        )
    except TelegramError as exc:  # the lobby message is gone or unchanged: the join counts
        log.debug("lobby not edited: %s", exc)


async def _opener_name(rt: Runtime, row: Row, game: rules.Game) -> str:
    opener = game.player(game.opener_id) if game.opener_id is not None else None
    if opener is not None:
        return opener.name
    opener_row = await cstore.get_user(rt.db, row["opened_by"])
    return str(opener_row["first_name"]) if opener_row else ""


async def _start(
    update: Update, context: Context, cb: callbacks.Callback, row: Row, game: rules.Game
) -> None:
    rt, user, query = context.rt, update.effective_user, update.callback_query
    assert user is not None and query is not None
    _t = await tr_user(context, user)
    if game.phase != rules.LOBBY:
        await answer_callback(update, _t("游戏已经开始了。"))
        return
    waited = rt.clock.now() - datetime.fromtimestamp(row["opened_at"], rt.clock.now().tzinfo)
    if user.id != game.opener_id and waited < LOBBY_WAIT:
        left = int((LOBBY_WAIT - waited).total_seconds()) + 1
        await answer_callback(
            update, _t("请等开局的人点开始，或者 {sec} 秒后再点。").format(sec=left), alert=True
        )
        return
    try:
        game.start()
    except rules.NotEnoughPlayers:
        await answer_callback(
            update,
            _t("至少要 {n} 个人才能开始哦，快叫小伙伴加入！").format(n=rules.MIN_PLAYERS),
            alert=True,
        )
        return
    seconds = await _commit_turn(rt, row["chat_id"], row["id"], game, lobby_done=True)
    await answer_callback(update)
    _, _lang = await _tr(rt, row["chat_id"])
    names = "  ".join(f"{p.marker}{p.name}" for p in game.players)
    try:
        await query.edit_message_text(
            _("🎲 垃圾分类飞行棋开始啦！选手：{names}").format(names=names)
        )
    except TelegramError as exc:
        log.debug("lobby not edited: %s", exc)
    await _prompt_turn(context.application, row["chat_id"], row["id"], game, seconds)


async def _check_turn(
    update: Update, context: Context, cb: callbacks.Callback, game: rules.Game, phase: str
) -> bool:
    """Only the current player, on the current turn and step; others get a friendly alert."""
    user = update.effective_user
    assert user is not None
    _t = await tr_user(context, user)
    turn_no = cb.int_arg(1)
    current = game.current_player
    if turn_no != game.turn_no or game.phase not in rules.PLAYING:
        await answer_callback(update, _t("这一步已经过去啦。"), alert=True)
        return False
    if current is None or current.user_id != user.id:
        await answer_callback(update, _t("还没轮到你哦，等一等～"), alert=True)
        return False
    if game.phase != phase:
        await answer_callback(
            update,
            _t("已经掷过骰子啦，请选垃圾桶。")
            if phase == rules.AWAIT_ROLL
            else _t("先等骰子停下来哦。"),
            alert=True,
        )
        return False
    return True


async def _roll(
    update: Update, context: Context, cb: callbacks.Callback, row: Row, game: rules.Game
) -> None:
    rt, user, query = context.rt, update.effective_user, update.callback_query
    assert user is not None and query is not None
    if not await _check_turn(update, context, cb, game, rules.AWAIT_ROLL):
        return
    await answer_callback(update)
    try:  # the 🎲 button is used up; a failed edit (too old) changes nothing
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:
        log.debug("could not remove the dice button: %s", exc)
    # Telegram's own dice: the value it returns is the roll everyone sees.
    dice = await context.bot.send_dice(row["chat_id"])
    value = dice.dice.value if dice.dice else random.randint(1, 6)
    game.roll(user.id, value)
    async with rt.db.transaction() as tx:
        await store.save_state(tx, row["id"], game.to_dict())
        await rt.scheduler.schedule(
            "quiz_reveal",
            rt.clock.now() + REVEAL_AFTER,
            {"game": row["id"], "chat": row["chat_id"], "turn": game.turn_no},
            key=f"quiz_reveal:{row['id']}:{game.turn_no}",
            tx=tx,
        )


async def _answer(
    update: Update, context: Context, cb: callbacks.Callback, row: Row, game: rules.Game
) -> None:
    rt, user, query = context.rt, update.effective_user, update.callback_query
    assert user is not None and query is not None
    try:
        chosen = Category(cb.str_arg(2))
    except (callbacks.BadCallback, ValueError) as exc:
        await refuse_callback(update, context, str(exc))
        return
    if not await _check_turn(update, context, cb, game, rules.AWAIT_ANSWER):
        return
    out = game.answer(user.id, chosen)
    finished = game.phase == rules.FINISHED
    if finished:
        summary = await _commit_finish(rt, row["chat_id"], row["id"], game)
    else:
        seconds = await _commit_turn(rt, row["chat_id"], row["id"], game)
    await answer_callback(update)
    _, lang = await _tr(rt, row["chat_id"])
    item = kb_text(lang, out.item.name)
    right = category_label(_, out.correct_category)
    if out.correct:
        lines = [
            f"✅ {kb_text(lang, out.cheer)}",
            _("{item} → {category}").format(item=item, category=right),
        ]
    else:
        lines = [_("❌ 差一点！{item} 是 {category}").format(item=item, category=right)]
    lines.append(_("💡 原因：{reason}").format(reason=kb_text(lang, out.reason)))
    if out.moved_back_to is not None:
        lines.append(
            _("↩️ {marker}{name} 退回第 {square} 格，下次加油！").format(
                marker=out.player.marker, name=out.player.name, square=out.moved_back_to
            )
        )
    try:
        await query.edit_message_text(
            (
                query.message.text
                if query.message and hasattr(query.message, "text") and query.message.text
                else ""
            )
            + "\n"
            + _("{name} 选了 {category}").format(
                name=out.player.name, category=category_label(_, chosen)
            )
        )
    except TelegramError as exc:
        log.debug("could not close the question: %s", exc)
    await context.bot.send_message(row["chat_id"], "\n".join(lines))
    if not finished:
        await _prompt_turn(context.application, row["chat_id"], row["id"], game, seconds)
    elif summary:
        await _send_summary(context.application, row["chat_id"], game)


# ---- jobs ------------------------------------------------------------------------------------
async def reveal_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    """After the dice animation: the item on the square and the four category buttons."""
    rt = get_runtime(app)
    chat_id, game_id, turn_no = job.payload["chat"], job.payload["game"], job.payload["turn"]
    async with _lock(rt, chat_id):
        row = await store.get_game(rt.db, game_id)
        if row is None or row["status"] != "active":
            return
        game = _game_of(row)
        player = game.current_player
        if game.turn_no != turn_no or game.phase != rules.AWAIT_ANSWER or player is None:
            return  # the turn moved on (timeout, stop): nothing to reveal
        item = game.item_at(player.position)
        assert item is not None and game.pending_from is not None
        _, lang = await _tr(rt, chat_id)
        seconds = await _turn_seconds(rt, chat_id)
        text = _(
            "{marker}{name} 掷出 {roll} 点，走到第 {square} 格！\n"
            "这一格是：{item}\n它属于什么垃圾？"
        ).format(
            marker=player.marker,
            name=player.name,
            roll=player.position - game.pending_from,
            square=player.position,
            item=kb_text(lang, item.name),
        )
        if player.position == game.finish:
            text = _("🏁 终点格！答对就赢啦！") + "\n" + text
        await app.bot.send_message(
            chat_id, text, reply_markup=category_keyboard(_, F, game_id, turn_no)
        )
        # A fresh full turn for reading and answering (same key: replaces the roll timer).
        await _start_timer(rt, chat_id, game_id, turn_no, seconds)


async def turn_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    """The turn timer: skip the player who did not act; three skips in a row and they leave."""
    rt = get_runtime(app)
    chat_id, game_id, turn_no = job.payload["chat"], job.payload["game"], job.payload["turn"]
    async with _lock(rt, chat_id):
        row = await store.get_game(rt.db, game_id)
        if row is None or row["status"] != "active":
            return
        game = _game_of(row)
        out = game.timeout(turn_no)
        if out is None:
            return  # stale: that turn is over
        if out.finished:
            summary = await _commit_finish(rt, chat_id, game_id, game)
        else:
            seconds = await _commit_turn(rt, chat_id, game_id, game)
        _, _lang = await _tr(rt, chat_id)
        if out.left:
            text = _("🚪 {marker}{name} 连续 {n} 次没有动，先离开这局啦。").format(
                marker=out.player.marker, name=out.player.name, n=rules.MAX_SKIPS
            )
        else:
            text = _("⏰ {marker}{name} 超时了，这回合跳过（{n}/{max}）。").format(
                marker=out.player.marker, name=out.player.name, n=out.skips, max=rules.MAX_SKIPS
            )
        await app.bot.send_message(chat_id, text)
        if not out.finished:
            await _prompt_turn(app, chat_id, game_id, game, seconds)
        elif summary:
            await _send_summary(app, chat_id, game)


async def lobby_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    """Nobody started the lobby: put the board away so the group can open a new one."""
    rt = get_runtime(app)
    chat_id, game_id = job.payload["chat"], job.payload["game"]
    async with _lock(rt, chat_id):
        row = await store.get_game(rt.db, game_id)
        if row is None or row["status"] != "active" or _game_of(row).phase != rules.LOBBY:
            return
        await store.discard(rt.db, game_id, rt.clock.now().timestamp())
        _, _lang = await _tr(rt, chat_id)
        await app.bot.send_message(chat_id, _("这局飞行棋没有开始，先收起来啦。想玩再发送 /quiz"))


def register(app: Application) -> None:  # type: ignore[type-arg]
    rt = get_runtime(app)
    # at_least_once: a timer or reveal interrupted by a crash runs again after the restart;
    # both re-check turn_no and phase, so running twice changes nothing.
    rt.scheduler.register("quiz_reveal", reveal_job, at_least_once=True)
    rt.scheduler.register("quiz_turn", turn_job, at_least_once=True)
    rt.scheduler.register("quiz_lobby", lobby_job, at_least_once=True)
    app.add_handler(CommandHandler("quiz", quiz_command))
    app.add_handler(CommandHandler("quiz_stop", quiz_stop))
    app.add_handler(CommandHandler("quiz_timeout", quiz_timeout))
    app.add_handler(CommandHandler("quiz_top", quiz_top))
    app.add_handler(CommandHandler("quiz_stats", quiz_stats))
    app.add_handler(CallbackQueryHandler(quiz_button, pattern=callbacks.pattern(F)))
