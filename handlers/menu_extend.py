"""/menu_extend: staff give the open round a later deadline, or reopen the last closed one
("/menu_extend 延长到周五晚上8点", "/menu_extend 再延长三天", or the 延长 N 天 buttons under
the staff's private /menu_results); the groups are told.

The time is read by the one time parser (bot/timeparse.py); "再延长三天" counts from the
current deadline. The workflow (bot/workflows/menu_staff.py) moves the durable close job.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, Update
from telegram.error import TelegramError

from bot import callbacks, timeparse
from bot import menu as rules
from bot import reminders as schedules
from bot.i18n import Translate
from bot.workflows import menu_staff as sw
from handlers.menu_common import F, btn, order_link, when_text
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    is_staff,
    refuse_callback,
    reply,
    tr_chat,
    tr_group,
)
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)


async def menu_extend(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    community = await acting_community(update, context, _)
    if community is None:
        return
    rid = await sw.extendable(rt, community["id"])
    rnd = await store.get_round(rt.db, rid) if rid is not None else None
    if rnd is None:
        await reply(update, _("还没有可以延长的改造点单。"))
        return
    text = " ".join(context.args or [])
    example = _("例如：/menu_extend 延长到周五晚上8点，或 /menu_extend 再延长三天")
    if not text:
        state = (
            _("现在截止时间：{when}").format(when=when_text(rt, _, rnd["deadline"]))
            if rnd["status"] == "open"
            else _("上一轮点单已经结束，可以重新开放。")
        )
        await reply(update, state + "\n" + example)
        return
    phrase, from_deadline = rules.extension(text)
    now = rt.clock.now()
    base = now
    # A round closed early keeps its planned deadline: "再延长三天" counts from it too,
    # so reopening never gives residents less time than they were first promised.
    if from_deadline and rnd["deadline"] is not None:
        base = max(now, datetime.fromtimestamp(float(rnd["deadline"]), UTC))
    try:
        when = timeparse.parse_moment(phrase, base, rt.config.tz)
    except timeparse.TimeParseError as exc:
        await reply(update, schedules.time_refusal(exc, rt.config.tz, _, now) + "\n" + example)
        return
    done = await sw.extend_round(rt, rnd["id"], when.timestamp(), user.id)
    if done.refused is sw.ExtendRefusal.PASSED:
        await reply(update, _("截止时间已经过去了，请重新设置。"))
        return
    if done.refused is sw.ExtendRefusal.NOT_LATER:
        await reply(
            update,
            _("新的截止时间要晚于现在的截止时间（{when}）。").format(
                when=when_text(rt, _, rnd["deadline"])
            ),
        )
        return
    if done.refused is sw.ExtendRefusal.OTHER_ACTIVE:
        await reply(update, _("社区已经有一轮正在准备或进行的点单，不能重新开放上一轮。"))
        return
    if done.refused is not None:
        await reply(update, _("还没有可以延长的改造点单。"))
        return
    await _announce(context, done)
    await _told(update, context, done)


EXTEND_DAYS = (1, 3, 7)  # the buttons under the staff's private /menu_results


def extend_buttons(_: Translate, rnd: Row, *, latest: bool) -> list[list[InlineKeyboardButton]]:
    """延长 N 天 under an open round, 重新开放 3 天 under the last closed one."""
    if rnd["status"] == "open":
        return [[btn(_("延长{n}天").format(n=n), F, "ext", rnd["id"], n) for n in EXTEND_DAYS]]
    if rnd["status"] == "closed" and latest:
        return [[btn(_("重新开放{n}天").format(n=3), F, "ext", rnd["id"], 3)]]
    return []


async def extend_press(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """延长 N 天 / 重新开放: N days after the current deadline (or from now)."""
    user = update.effective_user
    if user is None or not await is_staff(context.rt, user.id, rnd["community_id"]):
        await refuse_callback(update, context, "menu extend: not staff")
        return
    days = cb.int_arg(1, lo=1, hi=30)
    rt = context.rt
    now = rt.clock.now().timestamp()
    base = now
    if rnd["deadline"] is not None:
        base = max(now, float(rnd["deadline"]))
    done = await sw.extend_round(rt, rnd["id"], base + days * 86400, user.id)
    _ = await tr_chat(update, context)
    if done.refused is not None:
        await answer_callback(update, _("这一轮现在不能延长或重新开放。"), alert=True)
        return
    await answer_callback(update)
    await _announce(context, done)
    await _told(update, context, done)


async def _told(update: Update, context: Context, done: sw.Extended) -> None:
    _ = await tr_chat(update, context)
    text = (
        _("已重新开放，{when} 截止，已通知居民群。")
        if done.reopened
        else _("截止时间已延长到 {when}，已通知居民群。")
    )
    await reply(update, text.format(when=when_text(context.rt, _, done.deadline)))


async def _announce(context: Context, done: sw.Extended) -> None:
    rt = context.rt
    for chat_id in done.groups:
        _ = await tr_group(context, chat_id)
        text = (
            _("【{community}】改造点单重新开放，{when} 截止。还没点单的居民可以点单了。")
            if done.reopened
            else _("【{community}】改造点单延长到 {when} 截止，还没点单的居民请抓紧。")
        ).format(community=done.community_name, when=when_text(rt, _, done.deadline))
        try:
            await context.bot.send_message(
                chat_id, text, reply_markup=order_link(_, context, done.round_id)
            )
        except TelegramError as exc:
            log.warning("could not announce the extension in %s: %s", chat_id, exc)
