"""Working a ticket (grid workers, volunteers, staff): the offer and its 接单, start, solve,
hand back, notes with photos, /tasks — and the two job callbacks that route a new ticket
and remind about one that waits."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot import repairs as rules
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
    NOTE_FEATURE,
    announce,
    button,
    close_offers,
    details,
    edit,
    headline,
    id_arg,
    markup,
    on_button,
    pressed,
    refuse,
    send,
    tell_residents,
    tell_worker,
    worker_buttons,
)
from handlers.shared import (
    Context,
    answer_callback,
    is_private,
    refuse_callback,
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
    "back": wf.hand_back,
}


async def work_button(update: Update, context: Context) -> None:
    """接单, 开始处理, 已解决, 退回: the status changes a worker makes with one press."""
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


# ---- notes (a small conversation: the text comes in the next message) ------------------------
NOTE = 0
NOTE_DRAFT = "repair_note"


async def note_entry(update: Update, context: Context) -> int:
    user = update.effective_user
    query = update.callback_query
    if user is None or query is None:
        return ConversationHandler.END
    try:
        cb = callbacks.unpack(query.data, NOTE_FEATURE)
        tid, internal = id_arg(cb, 0), cb.int_arg(1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, str(exc))
        return ConversationHandler.END
    checked = await access.may(context.rt, user.id, tid, rules.Action.NOTE)
    if isinstance(checked, Refused):
        await refuse(update, context, checked)
        return ConversationHandler.END
    await answer_callback(update)
    context.state[NOTE_DRAFT] = {"ticket": tid, "internal": bool(internal)}
    _ = await tr_user(context, user)
    text = (
        _("请写内部备注（居民看不到），也可以发一张照片。/cancel 取消")
        if internal
        else _("请写给居民看的进展，也可以发一张照片。/cancel 取消")
    )
    await reply(update, text)
    return NOTE


async def note_got(update: Update, context: Context) -> int | None:
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return None
    _ = await tr_chat(update, context)
    draft = context.state.get(NOTE_DRAFT) or {}
    photo = message.photo[-1].file_id if message.photo else None
    noted = await wf.add_note(
        context.rt,
        user.id,
        draft.get("ticket", 0),
        message.text or message.caption,
        photo,
        internal=bool(draft.get("internal")),
    )
    if isinstance(noted, Refused):
        context.state.pop(NOTE_DRAFT, None)
        await reply(update, render(_, noted.reason))
        return ConversationHandler.END
    if noted is None:
        await reply(update, _("请写一句话（500字以内）或发一张照片，或发送 /cancel 取消。"))
        return None
    t = noted.ticket
    context.state.pop(NOTE_DRAFT, None)
    await reply(update, _("已记录到 #{id}。").format(id=t["id"]))
    if noted.residents:
        note = noted.text or "📷"
        await tell_residents(
            context,
            t,
            noted.residents,
            lambda _r: _r("#{id} 有新进展：{note}").format(id=t["id"], note=note),
        )
        if photo:
            for uid in noted.residents:
                try:
                    await context.bot.send_photo(uid, photo)
                except TelegramError as exc:
                    log.debug("photo not sent: %s", exc)
    return ConversationHandler.END


async def note_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(NOTE_DRAFT, None)
    await reply(update, _("已取消。"))
    return ConversationHandler.END


async def note_other(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    await reply(update, _("请写一句话或发一张照片，或发送 /cancel 取消。"))


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
    private = filters.ChatType.PRIVATE
    notes = ConversationHandler(
        entry_points=[on_button(note_entry, NOTE_FEATURE, "n")],
        states={
            NOTE: [
                MessageHandler(
                    (filters.TEXT | filters.PHOTO) & ~filters.COMMAND & private, note_got
                )
            ]
        },
        fallbacks=[
            CommandHandler("cancel", note_cancel),
            MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL & private, note_other),
        ],
        name="repair_note",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(notes)
    app.add_handler(on_button(work_button, FEATURE, *WORK))
    app.add_handler(CommandHandler("tasks", tasks_command))
