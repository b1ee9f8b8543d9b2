"""Joining a household: the 同意 / 不同意 buttons a member (or, after the wait, the grid
worker or staff) presses, and the job that asks them when nobody of the household answers.
What happens is decided by `bot/workflows/community_households.py`.
"""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.context import App
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import community_households as flow
from bot.workflows.outcome import Tell
from handlers import outbox
from handlers.shared import Context, answer_callback, refuse_callback, tr_user


async def deliver_and_run(source: Context | App, tell: Iterable[Tell], keys: Iterable[str]) -> None:
    """Send what a workflow said, then run the jobs it scheduled to run at once (durable: a
    crash before this runs them at start-up)."""
    await outbox.deliver(source, tell)
    for key in keys:
        await get_runtime(source).scheduler.run_key(key)


async def decide_button(update: Update, context: Context) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    try:
        cb = callbacks.unpack(query.data, flow.FEATURE)
        request_id = cb.int_arg(0)
        if cb.action not in ("ok", "no"):
            raise callbacks.BadCallback(f"unknown action {cb.action!r}")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    out = await flow.decide_join(context.rt, request_id, user.id, approve=cb.action == "ok")
    _ = await tr_user(context, user)
    if out.refused is not None:
        await answer_callback(update, outbox.render(_, out.refused.reason), alert=True)
        return
    await answer_callback(update)
    if out.said is not None and query.message is not None:
        await query.edit_message_text(outbox.render(_, out.said))
    await deliver_and_run(context, out.tell, out.run_now)


async def escalate_job(app: App, job: ScheduledJob) -> None:
    await outbox.deliver(app, await flow.escalate(get_runtime(app), int(job.payload["request"])))


def register(app: App) -> None:
    # At least once: asking the grid worker twice after a crash is better than never.
    get_runtime(app).scheduler.register(flow.ESCALATE_JOB, escalate_job, at_least_once=True)
    app.add_handler(CallbackQueryHandler(decide_button, pattern=callbacks.pattern(flow.FEATURE)))
