"""Sending a broadcast (notices, care pings and alerts) and the notice job.

The workflow claims each target in the send ledger and yields it only once the claim is
committed (`bot.workflows.reminders.claim_each`); this module renders the message in the
target's language, sends it with the Application and reports how it went (`record_send`).
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import aclosing
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram.error import Forbidden, TelegramError

from bot import reminders as rules
from bot.community import Address
from bot.context import App, BotContext
from bot.i18n import Translate, translator
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import reminders as wf
from bot.workflows.outcome import Text
from handlers import outbox
from handlers.shared import clip, group_lang, send_private, user_lang

log = logging.getLogger(__name__)


def render(_: Translate, text: Text, tz: ZoneInfo) -> str:
    """Translate a message; moments and addresses among its arguments are worded in the same
    language (a workflow hands them over as values, not as Chinese text)."""
    message = _(text.msgid)
    if not text.args:
        return message
    return message.format(**{name: _word(_, v, tz) for name, v in text.args.items()})


def _word(_: Translate, value: Any, tz: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return rules.format_moment(value, tz, _)
    if isinstance(value, Address):
        return value.label(_)
    if isinstance(value, Text):
        return render(_, value, tz)
    return value


async def _translator(rt: Runtime, chat_id: int) -> Translate:
    if chat_id < 0:
        return translator(await group_lang(rt, chat_id))
    return translator(await user_lang(rt, chat_id))


async def _send(
    source: BotContext | App, claimed: wf.Claimed, pacer: rules.Pacer
) -> tuple[wf.SendStatus, int | None]:
    """Groups get `bot.send_message`; people go through `send_private`, which marks those who
    blocked the bot."""
    rt = get_runtime(source)
    _ = await _translator(rt, claimed.to)
    text = "\n".join(render(_, line, rt.config.tz) for line in claimed.message.lines)
    markup = outbox.markup(_, claimed.message.buttons)
    await pacer.wait()
    try:
        if claimed.to > 0:
            ok = await send_private(source, claimed.to, text, reply_markup=markup)
            return (wf.SendStatus.SENT if ok else wf.SendStatus.BLOCKED), None
        message = await source.bot.send_message(claimed.to, clip(text), reply_markup=markup)
        return wf.SendStatus.SENT, message.message_id
    except Forbidden as exc:  # the bot was removed from the group
        log.warning("cannot send %s to %s: %s", claimed.key, claimed.to, exc)
    except TelegramError as exc:  # after the rate limiter's own retries
        log.warning("send %s to %s failed: %s", claimed.key, claimed.to, exc)
    return wf.SendStatus.FAILED, None


async def deliver(source: BotContext | App, broadcast: wf.Broadcast | None) -> Counter[str]:
    """Send a broadcast, each target at most once; returns how many ended how. Takes the
    Application too, so jobs send without a CallbackContext."""
    counts: Counter[str] = Counter()
    if broadcast is None:
        return counts
    rt = get_runtime(source)
    pacer = rules.Pacer()
    async with aclosing(wf.claim_each(rt, broadcast)) as claims:
        async for claimed in claims:
            status, message_id = await _send(source, claimed, pacer)
            await wf.record_send(rt, claimed, status, message_id)
            counts[status.value] += 1
    return counts


async def notice_job(app: App, job: ScheduledJob) -> None:
    """A notice's run is due: broadcast it (or tell staff it was skipped), then plan the next."""
    rt = get_runtime(app)
    run = await wf.notice_due(rt, job.payload)
    if run is None:
        return
    await deliver(app, run.broadcast)
    await wf.notice_sent(rt, run)
