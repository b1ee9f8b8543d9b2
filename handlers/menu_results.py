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

from bot import callbacks
from bot.context import App
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import menu as wf
from handlers.menu_common import F, btn, item_name, order_link, results_text, when_text
from handlers.menu_delivery import publish, results_chart
from handlers.menu_extend import extend_buttons
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    is_group,
    is_private,
    is_staff,
    refuse_callback,
    reply,
    reply_long,
    send_private,
    tr_chat,
    tr_group,
    tr_user,
)
from storage import menu as store
from storage.db import Row

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
    """/menu_close: before the deadline (or with none) it asks first, with how many households
    ordered so far; after the deadline (the job has not run yet) it closes at once."""
    _ = await tr_chat(update, context)
    rt = context.rt
    community = await acting_community(update, context, _)
    if community is None:
        return
    active = await store.active_round(rt.db, community["id"])
    if active is None or active["status"] != "open":
        await reply(update, _("现在没有进行中的改造点单。"))
        return
    deadline = active["deadline"]
    if deadline is not None and float(deadline) <= rt.clock.now().timestamp():
        await _close(update, context, active["id"])
        return
    n = await store.households_ordered(rt.db, active["id"])
    rid = active["id"]
    await reply(
        update,
        _("截止时间：{when}。现在提前结束吗？目前已有 {n} 户点单，结束后结果会发到居民群。").format(
            when=when_text(rt, _, deadline), n=n
        ),
        reply_markup=InlineKeyboardMarkup(
            [[btn(_("✅ 现在结束"), F, "cx", rid), btn(_("先不结束"), F, "cq", rid)]]
        ),
    )


async def _staff_only(update: Update, context: Context, rnd: Row) -> bool:
    user = update.effective_user
    if user is None or not await is_staff(context.rt, user.id, rnd["community_id"]):
        await refuse_callback(update, context, "menu close: not staff")
        return False
    return True


async def close_press(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """✅ 现在结束 under /menu_close's question."""
    if not await _staff_only(update, context, rnd):
        return
    _ = await tr_chat(update, context)
    query = update.callback_query
    assert query is not None
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮已经结束了。"), alert=True)
        return
    await answer_callback(update)
    await query.edit_message_text(_("好的，现在结束本轮点单。"))
    await _close(update, context, rnd["id"])


async def keep_press(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """先不结束."""
    if not await _staff_only(update, context, rnd):
        return
    _ = await tr_chat(update, context)
    query = update.callback_query
    assert query is not None
    await answer_callback(update)
    await query.edit_message_text(_("好的，本轮点单继续进行。"))


async def _close(update: Update, context: Context, round_id: int) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    closed = await wf.close_round(context.rt, round_id, by=user.id)
    report = await publish(context, closed.publish, by=user.id) if closed.publish else None
    if is_group(update):
        return  # the results are the answer; anything that failed was told privately
    if report is not None and report.delivered:
        await reply(update, _("本轮点单已结束，结果已发到居民群。"))
    else:  # the private messages of `publish` say what failed and what to do
        await reply(update, _("本轮点单已结束。"))


async def menu_results(update: Update, context: Context) -> None:
    """/menu_results: in a group only what the round lets the group see (with 截止后公布,
    nothing before the close, staff included); privately to staff everything, marked 未公布
    while the group cannot see it yet."""
    _ = await tr_chat(update, context)
    rt = context.rt
    community = await acting_community(update, context, _)
    if community is None:
        return
    rnd = await store.current_round(rt.db, community["id"])
    if rnd is None:
        await reply(update, _("还没有点单结果。"))
        return
    final = rnd["status"] == "closed"
    hidden = not final and not rnd["live"]
    if hidden and not is_private(update):
        await reply(
            update,
            _(
                "本轮设置为截止后公布统计，截止前群里不显示。工作人员可以私聊我发送 /menu_results 查看。"
            ),
        )
        return
    if final or is_private(update):
        res = await store.results(rt.db, rnd["id"], community["id"])
    else:  # a group's live tally: in whole batches of households
        res = await store.live_results(rt.db, rnd["id"], community["id"])
    text = results_text(_, community["name"], res, final=final, public=not is_private(update))
    if hidden:
        text = _("（未公布：居民在截止前看不到这些统计）") + "\n" + text
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
    markup = None
    if is_private(update):
        last = await store.last_closed(rt.db, community["id"])
        latest = last is not None and last["id"] == rnd["id"]
        rows = extend_buttons(_, rnd, latest=latest)
        markup = InlineKeyboardMarkup(rows) if rows else None
    await reply_long(update, text, reply_markup=markup)
    if is_private(update) and res.participants:  # the chart too, for staff to pass on
        chart = await asyncio.to_thread(results_chart, _, community["name"], res)
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_photo(chat.id, chart.png, caption=_("点单结果图"))
