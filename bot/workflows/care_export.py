"""/care_export: the visit log of a community's care visits over a period, for its staff.

Reads only; the handler renders the workbook (`bot/export.py`). Addresses are personal data:
the log goes to staff in private, as /care_list shows them."""

from __future__ import annotations

from dataclasses import dataclass

from bot import periods
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.community import staff_communities
from bot.workflows.outcome import Refused, refuse
from storage import care as store
from storage.db import Row

STAFF_ONLY = N_("只有社区工作人员可以导出关爱走访记录。")


@dataclass(frozen=True)
class VisitLog:
    community_name: str
    period: periods.Period
    visits: list[Row]
    visitors: dict[int, list[str]]  # care id -> the assigned visitors' names


@dataclass(frozen=True)
class BadPeriod:
    """The words were not a period."""


async def visit_log(rt: Runtime, user_id: int, words: str) -> VisitLog | BadPeriod | Refused:
    communities = await staff_communities(rt, user_id)
    if not communities:
        return refuse(STAFF_ONLY)
    period = periods.parse_period(words, rt.clock.now(), rt.config.tz)
    if period is None:
        return BadPeriod()
    community = communities[0]
    # Visits due up to the end of the period, but not ones still in the future.
    until = min(period.end, rt.clock.now()).timestamp() + 1
    visits = await store.visits_between(rt.db, community["id"], period.start.timestamp(), until)
    return VisitLog(
        community["name"], period, visits, await store.volunteer_names(rt.db, community["id"])
    )
