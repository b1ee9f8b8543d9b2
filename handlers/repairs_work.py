"""Working a ticket (grid workers, volunteers, staff): the offer and its 接单, start, solve,
hand back, notes with photos, /tasks — and the two job callbacks that route a new ticket
and remind about one that waits."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CommandHandler,
)

from bot.context import App
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import repairs as wf
from bot.workflows import repairs_access as access
from bot.workflows import repairs_jobs as jobs
from bot.workflows.outcome import Refused
from handlers.outbox import render
from handlers.repairs_common import (
    FEATURE,
    announce,
    button,
    close_offers,
    details,
    edit,
    headline,
    markup,
    on_button,
    pressed,
    refuse,
    send,
    tell_worker,
    worker_buttons,
)
from handlers.shared import (
    Context,
    answer_callback,
    is_private,
    reply,
    tr_chat,
    tr_user,
)

log = logging.getLogger(__name__)

Change = Callable[[Runtime, int, int], Awaitable[wf.Changed | Refused]]
WORK: dict[str, Change] = {
    "acc": wf.accept,
    "go": wf.start_work,
    "done": wf.resolve,
}


async def work_button(update: Update, context: Context) -> None:
    """接单, 开始处理, 已解决: the status changes a worker makes with one press (退回 asks
    for a reason first: `repairs_talk`)."""
    press = await pressed(update, context)
    if press is None:
        return
    changed = await WORK[press.cb.action](context.rt, press.user_id, press.ticket_id)
    if isinstance(changed, Refused):
        await refuse(update, context, changed)
        return
    t = changed.ticket
    await close_offers(context, t, changed.taken)
    _ = await tr_user(context, press.user)
    await answer_callback(update, _("好的"))
    text = details(context.rt, _, t, personal=changed.by.personal)
    await edit(update, text, markup(worker_buttons(_, t, changed.by.actor)))
    await announce(context, changed)


# ---- /tasks ----------------------------------------------------------------------------------
async def tasks_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(update, _("任务只在私聊里显示，请私聊我发送 /tasks。"))
        return
    found = await access.worklist(context.rt, user.id)
    if isinstance(found, Refused):
        await reply(update, render(_, found.reason))
        return
    if not found.count:
        await reply(update, _("目前没有待办任务，谢谢您！"))
        return
    await reply(update, _("您的待办任务：{n} 件").format(n=found.count))
    for t, who in found.tickets:
        await tell_worker(context, t, who)


# ---- jobs: sent with the Application, no update -----------------------------------------------
async def route_job(app: App, job: ScheduledJob) -> None:
    """Offer a new or handed-back ticket (see repairs_jobs.plan_route); nothing once taken."""
    rt = get_runtime(app)
    offers = await jobs.offers_to_make(rt, int(job.payload.get("ticket", 0)))
    t = offers.ticket
    for who in offers.to:
        assert t is not None
        _ = await tr_user(app, who.user_id)
        text = _("🔔 新报修，请帮忙处理：") + "\n" + details(rt, _, t, personal=who.personal)
        buttons = InlineKeyboardMarkup(
            [[button(_("✋ 接单"), "acc", t["id"])], [button(_("📄 查看详情和照片"), "v", t["id"])]]
        )
        message = await send(app, who.user_id, text, buttons)
        if message is not None:
            await jobs.record_offer(rt, t["id"], who.user_id, message.chat_id, message.message_id)


async def escalate_job(app: App, job: ScheduledJob) -> None:
    """A ticket waits too long for someone to accept or solve it (see repairs_jobs.escalate)."""
    stage = str(job.payload.get("stage", ""))
    escalation = await jobs.escalate(get_runtime(app), int(job.payload.get("ticket", 0)), stage)
    if escalation is None:
        return
    t = escalation.ticket
    for who in escalation.to:
        _ = await tr_user(app, who.user_id)
        await send(
            app,
            who.user_id,
            _(escalation.text).format(id=t["id"]) + "\n" + headline(_, t),
            markup(worker_buttons(_, t, who.actor)),
        )


def register(app: App) -> None:
    app.add_handler(on_button(work_button, FEATURE, *WORK))
    app.add_handler(CommandHandler("tasks", tasks_command))
