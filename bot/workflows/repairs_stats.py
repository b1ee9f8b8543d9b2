"""/repair_stats: the numbers of a community's tickets over a period, for its staff.

Reads only; the handler renders the summary and builds the workbook (`bot/export.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import periods
from bot import repairs_stats as rules
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.community import staff_communities
from bot.workflows.outcome import Refused, refuse
from storage import repairs as store
from storage.db import Row

STAFF_ONLY = N_("只有社区工作人员可以查看报修统计。")


@dataclass(frozen=True)
class Report:
    community_name: str
    period: periods.Period
    stats: rules.Stats
    tickets: list[Row]  # each ticket of the period, without the reporter's personal data
    open_now: int = 0  # open tickets now, whenever filed
    overdue_now: int = 0


@dataclass(frozen=True)
class BadPeriod:
    """The words were not a period: the handler shows the ones that work."""


async def repair_stats(rt: Runtime, user_id: int, words: str) -> Report | BadPeriod | Refused:
    communities = await staff_communities(rt, user_id)
    if not communities:
        return refuse(STAFF_ONLY)
    now = rt.clock.now()
    period = periods.parse_period(words, now, rt.config.tz)
    if period is None:
        return BadPeriod()
    community = communities[0]  # the same one /tickets lists
    cid, at = community["id"], now.timestamp()
    tickets = await store.filed_between(
        rt.db, cid, period.start.timestamp(), period.end.timestamp()
    )
    open_now, _ = await store.search(rt.db, cid, store.Filter(status="open"), at, 0, 0)
    overdue_now, _ = await store.search(rt.db, cid, store.Filter(overdue=True), at, 0, 0)
    stats = rules.compute(tickets, at)
    return Report(community["name"], period, stats, tickets, open_now, overdue_now)
