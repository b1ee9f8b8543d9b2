"""Sending a broadcast (notices, care pings and alerts), the notice job and the ledger's job
(retries and notes to staff).

The workflow claims each target in the send ledger and yields it only once the claim is
committed (`bot.workflows.reminders_send.claim_each`); this module renders the message in the
target's language, sends it with the Application and reports how it went (`record_send`):
whether it provably did not leave (then it is tried again later), may have arrived (never
repeated; staff told), or was refused.
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import aclosing
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import reminders as rules
from bot.community import Address
from bot.context import App, BotContext
from bot.i18n import Translate, data_text, translator
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import reminders as wf
from bot.workflows import reminders_send as ledger
from bot.workflows.outcome import Text
from handlers import outbox
from handlers.shared import clip, group_lang, send_private, user_lang

log = logging.getLogger(__name__)


def render(_: Translate, text: Text, tz: ZoneInfo, now: datetime) -> str:
    """Translate a message; moments and addresses among its arguments are worded in the same
    language (a workflow hands them over as values, not as Chinese text)."""
    message = _(text.msgid)
    if not text.args:
        return message
    return message.format(**{name: _word(_, v, tz, now) for name, v in text.args.items()})


def _word(_: Translate, value: Any, tz: ZoneInfo, now: datetime) -> Any:
    if isinstance(value, datetime):
        return rules.format_moment(value, tz, _, now)
    if isinstance(value, Address):
        return value.label(_)
    if isinstance(value, Text):
        if not value.args:  # a name that is data (an item staff typed): Traditional for 繁體
            return data_text(_, value.msgid)
        return render(_, value, tz, now)
    return value


async def _translator(rt: Runtime, chat_id: int) -> Translate:
    if chat_id < 0:
        return translator(await group_lang(rt, chat_id))
    return translator(await user_lang(rt, chat_id))


# Errors raised before a connection was made: the request never reached Telegram.
_NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# One wait for a 429 inside the rate limiter, then the ledger's durable retry takes over.
_RATE_LIMIT_RETRIES = 1


async def _send(
    source: BotContext | App, claimed: ledger.Claimed, pacer: rules.Pacer
) -> tuple[ledger.SendStatus, int | None]:
    """Groups get `bot.send_message`; people go through `send_private`, which marks those who
    blocked the bot. The error says whether the message may have arrived."""
    rt = get_runtime(source)
    _ = await _translator(rt, claimed.to)
    text = "\n".join(
        render(_, line, rt.config.tz, rt.clock.now()) for line in claimed.message.lines
    )
    markup = outbox.markup(_, claimed.message.buttons)
    await pacer.wait()
    limit: Any = _RATE_LIMIT_RETRIES  # App's ExtBot is typed without rate-limiter arguments
    try:
        if claimed.to > 0:
            ok = await send_private(
                source, claimed.to, text, reply_markup=markup, rate_limit_args=limit
            )
            return (ledger.SendStatus.SENT if ok else ledger.SendStatus.BLOCKED), None
        message = await source.bot.send_message(
            claimed.to, clip(text), reply_markup=markup, rate_limit_args=limit
        )
        return ledger.SendStatus.SENT, message.message_id
    except RetryAfter as exc:  # flood control: Telegram did not take it
        log.warning("send %s to %s: %s; retried later", claimed.key, claimed.to, exc)
        return ledger.SendStatus.RETRY, None
    except (Forbidden, BadRequest) as exc:  # the bot was removed from the group …
        log.warning("cannot send %s to %s: %s", claimed.key, claimed.to, exc)
        return ledger.SendStatus.FAILED, None
    except NetworkError as exc:  # timeouts and 5xx too; after bot.request's own retries
        if isinstance(exc.__cause__, _NOTHING_SENT):
            log.warning("send %s to %s: no connection; retried later", claimed.key, claimed.to)
            return ledger.SendStatus.RETRY, None
        log.warning("send %s to %s may not have arrived: %s", claimed.key, claimed.to, exc)
        return ledger.SendStatus.UNKNOWN, None
    except TelegramError as exc:
        log.warning("send %s to %s failed: %s", claimed.key, claimed.to, exc)
        return ledger.SendStatus.FAILED, None


async def deliver(source: BotContext | App, broadcast: ledger.Broadcast | None) -> Counter[str]:
    """Send a broadcast, each target at most once; returns how many ended how. Takes the
    Application too, so jobs send without a CallbackContext. Notes to staff about sends that
    failed or may not have arrived go out right after (they are durable jobs)."""
    counts: Counter[str] = Counter()
    if broadcast is None:
        return counts
    rt = get_runtime(source)
    pacer = rules.Pacer()
    notes: list[str] = []
    async with aclosing(ledger.claim_each(rt, broadcast)) as claims:
        async for claimed in claims:
            status, message_id = await _send(source, claimed, pacer)
            note = await ledger.record_send(rt, claimed, status, message_id)
            if note is not None:
                notes.append(note)
            counts[status.value] += 1
    for key in notes:
        await rt.scheduler.run_key(key)
    return counts


async def broadcast_job(app: App, job: ScheduledJob) -> None:
    """A retry of a send that provably did not leave, or a note to staff."""
    await deliver(app, ledger.broadcast_from_json(job.payload["b"]))


async def notice_job(app: App, job: ScheduledJob) -> None:
    """A notice's run is due: broadcast it (or tell staff it was skipped), then plan the next."""
    rt = get_runtime(app)
    run = await wf.notice_due(rt, job.payload)
    if run is None:
        return
    await deliver(app, run.broadcast)
    await wf.notice_sent(rt, run)
