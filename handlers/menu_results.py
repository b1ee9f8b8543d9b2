"""Closing a round and its results: /menu_close, the deadline and reminder jobs, /menu_results
and the chart (the export is handlers/menu_export.py).

The jobs get the Application (no CallbackContext): they call the workflow with its Runtime and
send with the Application.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.context import App
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import menu as wf
from handlers.menu_common import F, btn, item_name, order_link, results_text, when_text
from handlers.menu_delivery import publish, results_chart
from handlers.shared import (
    Context,
    acting_community,
    is_group,
    is_private,
    reply,
    reply_long,
    send_private,
    tr_chat,
    tr_group,
    tr_user,
)
from storage import menu as store

log = logging.getLogger(__name__)


async def close_job(app: App, job: ScheduledJob) -> None:
    """At the deadline (at least once: a crash before the results were marked re-posts)."""
    round_id = int(job.payload["round"])
    closed = await wf.close_round(get_runtime(app), round_id)
    if closed.publish is not None:
        await publish(app, closed.publish)


async def remind_job(app: App, job: ScheduledJob) -> None:
    """A day before the deadline: privately to households without an order, once per group."""
    rt = get_runtime(app)
    due = await wf.remind_round(rt, int(job.payload["round"]), job.now)
    if due is None:
        return
    rnd = due.round
    for user_id in due.residents:
        _ = await tr_user(app, user_id)
        await send_private(
            app,
            user_id,
            _("【{community}】改造点单 {when} 截止，您家还没有点单。点下面的按钮就能点单。").format(
                community=due.community_name, when=when_text(rt, _, rnd["deadline"])
            ),
            reply_markup=InlineKeyboardMarkup([[btn(_("🛒 现在点单"), F, "re", rnd["id"])]]),
        )
    for chat_id in due.groups:
        _ = await tr_group(app, chat_id)
        try:
            await app.bot.send_message(
                chat_id,
                _("提醒：改造点单 {when} 截止，还没点单的居民请抓紧。").format(
                    when=when_text(rt, _, rnd["deadline"])
                ),
                reply_markup=order_link(_, app, rnd["id"]),
            )
        except TelegramError as exc:
            log.warning("could not remind group %s: %s", chat_id, exc)


async def menu_close(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    community = await acting_community(update, context, _)
    if community is None:
        return
    active = await store.active_round(rt.db, community["id"])
    if active is None or active["status"] != "open":
        await reply(update, _("现在没有进行中的改造点单。"))
        return
    closed = await wf.close_round(rt, active["id"], by=user.id)
    report = await publish(context, closed.publish, by=user.id) if closed.publish else None
    if is_group(update):
        return  # the results are the answer; anything that failed was told privately
    if report is not None and report.delivered:
        await reply(update, _("本轮点单已结束，结果已发到居民群。"))
    else:  # the private messages of `publish` say what failed and what to do
        await reply(update, _("本轮点单已结束。"))


async def menu_results(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    rt = context.rt
    community = await acting_community(update, context, _)
    if community is None:
        return
    rnd = await store.current_round(rt.db, community["id"])
    if rnd is None:
        await reply(update, _("还没有点单结果。"))
        return
    res = await store.results(rt.db, rnd["id"], community["id"])
    final = rnd["status"] == "closed"
    text = results_text(_, community["name"], res, final=final, public=not is_private(update))
    if is_private(update):  # comments stay out of the group
        notes = await store.comments(rt.db, rnd["id"])
        if notes:
            text += (
                "\n\n"
                + _("居民意见和建议：")
                + "\n"
                + "\n".join(
                    f"· {item_name(_, n, 'item_name') if n['item_name'] else _('建议')}：{n['text']}"
                    for n in notes
                )
            )
    await reply_long(update, text)
    if is_private(update) and res.participants:  # the chart too, for staff to pass on
        chart = await asyncio.to_thread(results_chart, _, community["name"], res)
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_photo(chat.id, chart.png, caption=_("点单结果图"))
