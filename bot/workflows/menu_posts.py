"""What follows a group post of the menu or the results: marked posted, retried, or staff told.

The handlers send (handlers/menu_delivery.py) and report, per group, whether everything went,
whether the next message provably did not leave Telegram's door (a refused connection, 429),
or whether it failed otherwise: refused for good (the group removed the bot) or with an
unknown outcome (a timeout, a 5xx: it may have arrived, so it is never repeated blindly).
Only the provable case is retried, by a durable job with back-off that resumes at the message
that did not leave; everything else is told privately to the staff, with what to do. The
results count as posted (`results_posted` 1) only once every group has them; 2 means a group
did not get them and staff were told, so nothing posts them again by itself.
See docs/flows/menu.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.menu import POST_JOB, Post, post_key
from bot.workflows.outcome import Tell, Text
from storage import community as cstore
from storage import menu as store

# Waits before each retry of a post that provably did not leave; after the last, staff are told.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
POSTED = 1  # results_posted: every group has the results
REPORTED = 2  # results_posted: a group did not get them and staff were told what to do


class Failure(StrEnum):
    NOT_SENT = "not_sent"  # refused for good, or retried until we gave up: surely not there
    UNKNOWN = "unknown"  # a timeout or a 5xx: it may be there


@dataclass(frozen=True)
class Left:
    """A group still owed its messages from `step` on (text parts, then the chart)."""

    chat_id: int
    step: int


@dataclass(frozen=True)
class Failed:
    chat_id: int
    why: Failure


@dataclass(frozen=True)
class PostReport:
    delivered: bool  # every group has everything
    retrying: bool  # a job will try the rest again
    tell: list[Tell] = field(default_factory=list)  # staff: what failed and what to do


_TEXTS = {
    (Post.RESULTS, "retry"): N_(
        "改造点单结果暂时没能发到居民群“{group}”（连不上 Telegram）。我会自动再发，发出后私聊告诉您。"
    ),
    (Post.MENU, "retry"): N_(
        "改造菜单暂时没能发到居民群“{group}”（连不上 Telegram）。我会自动再发，发出后私聊告诉您。"
    ),
    (Post.RESULTS, "done"): N_("改造点单结果已经发到居民群“{group}”了。"),
    (Post.MENU, "done"): N_("改造菜单已经发到居民群“{group}”了。"),
    (Post.RESULTS, Failure.NOT_SENT): N_(
        "改造点单结果没能发到居民群“{group}”。请在群里发送 /menu_results 把结果发出来；"
        "如果我已经被移出了群，请先把我加回群。"
    ),
    (Post.MENU, Failure.NOT_SENT): N_(
        "改造菜单没能发到居民群“{group}”。请在群里发送 /menu 把菜单和点单按钮发出来；"
        "如果我已经被移出了群，请先把我加回群。"
    ),
    (Post.RESULTS, Failure.UNKNOWN): N_(
        "改造点单结果可能没能发到居民群“{group}”（Telegram 没有回音）。请到群里看一看："
        "没有看到完整的结果，就在群里发送 /menu_results。"
    ),
    (Post.MENU, Failure.UNKNOWN): N_(
        "改造菜单可能没能发到居民群“{group}”（Telegram 没有回音）。请到群里看一看："
        "没有看到完整的菜单，就在群里发送 /menu。"
    ),
}


def payload(
    what: Post,
    round_id: int,
    left: list[Left],
    *,
    attempt: int,
    by: int | None,
    failed: list[Failed],
) -> dict[str, Any]:
    return {
        "round": round_id,
        "what": what.value,
        "left": [[x.chat_id, x.step] for x in left],
        "try": attempt,
        "by": by,
        "failed": [[f.chat_id, f.why.value] for f in failed],
    }


async def _staff(rt: Runtime, community_id: int, by: int | None) -> list[int]:
    """Who hears about a post: the staff member who acted, else every staff member."""
    if by is not None:
        return [by]
    return [int(r["id"]) for r in await cstore.members_with_role(rt.db, community_id, "staff")]


async def _group_name(rt: Runtime, chat_id: int) -> str:
    group = await cstore.get_group(rt.db, chat_id)
    if group is None:
        return str(chat_id)
    return str(group["title"] or group["community_name"])


async def after_post(
    rt: Runtime,
    what: Post,
    round_id: int,
    *,
    left: list[Left],
    failed: list[Failed],
    failed_before: list[Failed] | None = None,
    attempt: int = 0,
    by: int | None = None,
    delivered_late: list[int] | None = None,
) -> PostReport:
    """A post's outcome: `left` (provably not sent) is retried while the back-off lasts;
    `failed` are the groups that failed this time (staff are told), `failed_before` those of
    earlier tries; `delivered_late` the groups a retry just reached (`by` is told). The
    results are marked posted, or reported, once nothing is left to retry."""
    rnd = await store.get_round(rt.db, round_id)
    if rnd is None:
        return PostReport(delivered=False, retrying=False)
    staff = await _staff(rt, rnd["community_id"], by)
    tell: list[Tell] = []

    async def say(msgid: str, chat_id: int, to: list[int]) -> None:
        text = Text(msgid, {"group": await _group_name(rt, chat_id)})
        tell.extend(Tell(user_id, text) for user_id in to)

    for chat_id in delivered_late or []:
        await say(_TEXTS[(what, "done")], chat_id, [by] if by is not None else [])
    before = failed_before or []
    if left and attempt < len(BACKOFF):
        async with rt.db.transaction() as tx:
            await rt.scheduler.schedule(
                POST_JOB,
                rt.clock.now() + BACKOFF[attempt],
                payload(
                    what, round_id, left, attempt=attempt + 1, by=by, failed=[*before, *failed]
                ),
                key=post_key(what, round_id),
                tx=tx,
            )
        if attempt == 0 and by is not None:
            for x in left:
                await say(_TEXTS[(what, "retry")], x.chat_id, [by])
        for f in failed:
            await say(_TEXTS[(what, f.why)], f.chat_id, staff)
        return PostReport(delivered=False, retrying=True, tell=tell)
    gave_up = [Failed(x.chat_id, Failure.NOT_SENT) for x in left]
    for f in [*failed, *gave_up]:
        await say(_TEXTS[(what, f.why)], f.chat_id, staff)
    everything = [*before, *failed, *gave_up]
    if what is Post.RESULTS:
        await store.mark_posted(rt.db, round_id, REPORTED if everything else POSTED)
    return PostReport(delivered=not everything, retrying=False, tell=tell)


@dataclass(frozen=True)
class Retry:
    """A retry job's payload, read back (it was written by `after_post`)."""

    what: Post
    round_id: int
    left: list[Left]
    attempt: int
    by: int | None
    failed: list[Failed]


def read_payload(data: dict[str, Any]) -> Retry:
    by = data.get("by")
    return Retry(
        Post(data["what"]),
        int(data["round"]),
        [Left(int(c), int(n)) for c, n in data["left"]],
        int(data["try"]),
        int(by) if by is not None else None,
        [Failed(int(c), Failure(w)) for c, w in data["failed"]],
    )
