"""Renovation menu (菜单服务): staff open a round, households order privately, results posted.

This module only wires the feature: the commands, the two conversations, the `mn` buttons and
the jobs. The flows are in handlers/menu_order.py (residents order, 议一议/提建议),
menu_open.py (staff open a round), menu_results.py (close, results, export, the jobs),
menu_paper.py (paper orders) and menu_progress.py; what they do to the database is in
bot/workflows/menu.py. Diagrams: docs/flows/menu.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import callbacks
from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_
from bot.runtime import get_runtime
from bot.workflows import menu as wf
from handlers import (
    menu_delivery,
    menu_export,
    menu_open,
    menu_order,
    menu_paper,
    menu_progress,
    menu_results,
    menu_turnout,
)
from handlers.community import AFTER_REGISTER
from handlers.menu_common import FO, F, Place, right_place
from handlers.shared import Context, refuse_callback
from storage import menu as store
from storage.db import Row

declare("menu", N_("看改造菜单、点单"), Audience.RESIDENT, order=20)
declare("progress", N_("看改造项目的进度"), Audience.EVERYONE, order=21)
declare("menu_open", N_("开一轮改造点单"), Audience.STAFF, order=20)
declare("menu_close", N_("结束本轮点单并公布结果"), Audience.STAFF, order=21)
declare("menu_results", N_("查看点单结果"), Audience.STAFF, order=22)
declare("menu_export", N_("导出点单结果（表格）"), Audience.STAFF, order=23)
declare("households", N_("各楼实际户数：/households 3号楼 48"), Audience.STAFF, order=25)
declare("menu_progress", N_("更新改造项目进度"), Audience.STAFF, order=24)
declare("menu_paper", N_("代录纸质点单：/menu_paper 21-4-302"), Audience.GRID_WORKER, order=20)
declare("menu_unordered", N_("本轮还没点单的住户（上门代录）"), Audience.GRID_WORKER, order=21)

Button = Callable[[Update, Context, callbacks.Callback, Row], Awaitable[None]]

# `mn` buttons: 1|mn|<action>|<round>|…  ("c" and "s" open the 议一议/提建议 conversation),
# each with the place its message must be in: the presser's own private chat for every
# per-person screen (ordering, paper orders), the community's group or private for progress.
BUTTONS: dict[str, tuple[Button, Place]] = {
    "t": (menu_order.toggle, Place.OWN_CHAT),
    "ok": (menu_order.confirm, Place.OWN_CHAT),
    "re": (menu_order.reopen, Place.OWN_CHAT),
    "cl": (menu_order.comment_list, Place.OWN_CHAT),
    "pt": (menu_paper.paper_toggle, Place.OWN_CHAT),
    "pok": (menu_paper.paper_confirm, Place.OWN_CHAT),
    "pnew": (menu_paper.paper_create, Place.OWN_CHAT),
    "pv": (menu_paper.paper_view, Place.OWN_CHAT),
    "pf": (menu_paper.paper_from_list, Place.OWN_CHAT),
    "uo": (menu_turnout.unordered_page, Place.OWN_CHAT),
    "pi": (menu_progress.progress_item, Place.COMMUNITY),
    "pg": (menu_progress.progress_set, Place.COMMUNITY),
}


async def menu_button(update: Update, context: Context) -> None:
    """Every `mn` button outside the conversations; each is re-checked against the database:
    the round, where the message is, then (in the handler) who pressed."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    try:
        cb = callbacks.unpack(query.data, F)
        round_id = cb.int_arg(0, lo=1)
        handler, place = BUTTONS[cb.action]
    except (callbacks.BadCallback, KeyError) as exc:
        await refuse_callback(update, context, f"menu: {exc}")
        return
    rnd = await store.get_round(context.rt.db, round_id)
    if rnd is None:
        await refuse_callback(update, context, f"menu: no round {round_id}")
        return
    if not await right_place(update, context, rnd["community_id"], place):
        return
    try:
        await handler(update, context, cb, rnd)
    except callbacks.BadCallback as exc:  # a later argument missing, malformed or out of range
        await refuse_callback(update, context, f"menu: {exc}")


def register(app: App) -> None:
    rt = get_runtime(app)
    rt.scheduler.register(wf.CLOSE_JOB, menu_results.close_job, at_least_once=True)
    rt.scheduler.register(wf.REMIND_JOB, menu_results.remind_job, at_least_once=False)
    rt.scheduler.register(wf.POST_JOB, menu_delivery.post_job, at_least_once=True)
    AFTER_REGISTER["menu"] = menu_order.after_register
    app.add_handler(menu_open.conversation())
    app.add_handler(CallbackQueryHandler(menu_open.open_elsewhere, pattern=callbacks.pattern(FO)))
    app.add_handler(menu_order.talk_conversation())
    app.add_handler(
        CommandHandler(
            "start",
            menu_order.start_menu_link,
            # The ordering screen is personal: typed in a group, plain /start answers instead.
            filters.Regex(r"^/start menu-\d{1,12}$") & filters.ChatType.PRIVATE,
        )
    )
    app.add_handler(CommandHandler("menu", menu_order.menu_command))
    app.add_handler(CommandHandler("menu_close", menu_results.menu_close))
    app.add_handler(CommandHandler("menu_results", menu_results.menu_results))
    app.add_handler(CommandHandler("menu_export", menu_export.menu_export))
    app.add_handler(CommandHandler("menu_paper", menu_paper.menu_paper))
    app.add_handler(CommandHandler("menu_unordered", menu_turnout.unordered_command))
    app.add_handler(CommandHandler("households", menu_turnout.households_command))
    app.add_handler(CommandHandler("menu_progress", menu_progress.menu_progress))
    app.add_handler(CommandHandler("progress", menu_progress.progress_command))
    app.add_handler(CallbackQueryHandler(menu_button, pattern=callbacks.pattern(F)))
