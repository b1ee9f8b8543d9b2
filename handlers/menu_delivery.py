"""Posting a round's menu or results in its community's groups, whatever their length.

A post is a list of messages per group: the text cut into parts Telegram accepts (the order
button under the last part of the menu), then, for results, the chart. Each group's messages
go one by one; where one fails, what happens next depends on whether it provably did not
leave (retried later from that message by the `menu_post` job) or not (staff are told what to
do); bot/workflows/menu_posts.py decides and marks the results posted. See docs/flows/menu.md.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot import menu as rules
from bot.context import App
from bot.i18n import Translate, data_text
from bot.menu_chart import Chart, render_ranking
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import menu as wf
from bot.workflows import menu_posts as pwf
from handlers import outbox
from handlers.menu_common import menu_post, order_link, results_text, turnout_summary
from handlers.shared import Context, split_text, tr_group

log = logging.getLogger(__name__)

# As bot/request.py knows them: errors of a request that never reached Telegram.
_NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def never_left(exc: TelegramError) -> bool:
    """True only when Telegram surely did not post it: the connection was never made, or
    Telegram answered 429 (flood control) — both after bot/request.py and the rate limiter
    tried again. A timeout or a 5xx may have posted it: never repeated blindly."""
    if isinstance(exc, RetryAfter):
        return True
    return isinstance(exc, NetworkError) and isinstance(exc.__cause__, _NOTHING_SENT)


def _failure(exc: TelegramError) -> pwf.Failure:
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
        return pwf.Failure.UNKNOWN  # a timeout, a 5xx
    return pwf.Failure.NOT_SENT  # Telegram said no: removed from the group, chat gone, …


@dataclass(frozen=True)
class Piece:
    text: str = ""
    markup: InlineKeyboardMarkup | None = None
    chart: bool = False  # the results chart (drawn once per language, when first needed)


def results_chart(_: Translate, community_name: str, res: rules.Results) -> Chart:
    """Blocks for the drawing: call it with asyncio.to_thread."""
    return render_ranking(
        _("{community}改造点单结果").format(community=community_name),
        [data_text(_, i.name) for i in res.items],
        [i.households for i in res.items],
        [rules.percent(i.share) for i in res.items],
        _("点单户数（{turnout}）").format(turnout=turnout_summary(_, res)),
    )


def _texts(text: str, markup: InlineKeyboardMarkup | None) -> list[Piece]:
    parts = split_text(text)
    return [Piece(p, markup if n == len(parts) - 1 else None) for n, p in enumerate(parts)]


async def pieces(
    source: Context | App, rt: Runtime, _: Translate, post: wf.MenuPost | wf.Publication
) -> list[Piece]:
    """Every message of the post, in the group's language, in order."""
    rnd = post.round
    if isinstance(post, wf.MenuPost):
        text = menu_post(rt, _, rnd, post.community_name, post.items)
        return _texts(text, order_link(_, source, rnd["id"]))
    res = post.results
    out = _texts(results_text(_, post.community_name, res, final=True), None)
    # The chart carries the item counts: only where the group may see them.
    return [*out, Piece(chart=True)] if res.participants and rules.public_totals(res) else out


async def publish(
    source: Context | App,
    post: wf.MenuPost | wf.Publication,
    *,
    left: list[pwf.Left] | None = None,
    failed_before: list[pwf.Failed] | None = None,
    attempt: int = 0,
    by: int | None = None,
) -> pwf.PostReport:
    """Post in every group (or, on a retry, the groups `left`, from their step on), then let
    the workflow settle what follows and tell the staff."""
    rt = get_runtime(source)
    what = wf.Post.MENU if isinstance(post, wf.MenuPost) else wf.Post.RESULTS
    rid = post.round["id"]
    linked = set(post.groups)  # a group unlinked meanwhile is skipped
    todo = [x for x in left if x.chat_id in linked] if left is not None else None
    charts: dict[int, Chart] = {}
    retry: list[pwf.Left] = []
    failed: list[pwf.Failed] = []
    reached: list[int] = []
    for target in todo if todo is not None else [pwf.Left(c, 0) for c in post.groups]:
        _ = await tr_group(source, target.chat_id)
        messages = await pieces(source, rt, _, post)
        step = target.step
        try:
            for step in range(target.step, len(messages)):
                piece = messages[step]
                if piece.chart and isinstance(post, wf.Publication):
                    if id(_) not in charts:
                        charts[id(_)] = await asyncio.to_thread(
                            results_chart, _, post.community_name, post.results
                        )
                    photo = charts[id(_)].png
                    await source.bot.send_photo(target.chat_id, photo, caption=_("点单结果图"))
                else:
                    await source.bot.send_message(
                        target.chat_id, piece.text, reply_markup=piece.markup
                    )
        except TelegramError as exc:
            log.warning("menu %s %s: message %s in %s failed: %s", what, rid, step, target, exc)
            if never_left(exc):
                retry.append(pwf.Left(target.chat_id, step))
            else:
                failed.append(pwf.Failed(target.chat_id, _failure(exc)))
            continue
        reached.append(target.chat_id)
    report = await pwf.after_post(
        rt,
        what,
        rid,
        left=retry,
        failed=failed,
        failed_before=failed_before,
        attempt=attempt,
        by=by,
        delivered_late=reached if attempt else None,
    )
    for tell in report.tell:  # a staff member out of reach must not undo what was settled
        try:
            await outbox.deliver(source, [tell])
        except TelegramError as exc:
            log.warning("menu %s %s: could not tell %s: %s", what, rid, tell.to, exc)
    return report


async def post_job(app: App, job: ScheduledJob) -> None:
    """A post that provably did not leave, tried again from the message that failed."""
    retry = pwf.read_payload(job.payload)
    rt = get_runtime(app)
    post: wf.MenuPost | wf.Publication | None = (
        await wf.menu_post(rt, retry.round_id)
        if retry.what is wf.Post.MENU
        else await wf.publication(rt, retry.round_id)
    )
    if post is None:  # the round closed (a menu is not posted any more) or is gone
        return
    await publish(
        app,
        post,
        left=retry.left,
        failed_before=retry.failed,
        attempt=retry.attempt,
        by=retry.by,
    )
