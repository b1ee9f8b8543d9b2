"""Repair tickets (报修): the feature's commands and wiring.

The handlers are split by who uses them: `repairs_filing` (the resident's filing
conversation), `repairs_resident` (/my, details, +1, confirm and rate), `repairs_work`
(grid workers and volunteers: accept, work, notes, /tasks, and the routing and escalation
jobs) and `repairs_staff` (/tickets, reassign, close, /merge); `repairs_common` renders.
What happens to a ticket is decided in `bot/workflows/repairs*.py`.
"""

from __future__ import annotations

from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_
from bot.runtime import get_runtime
from bot.workflows import repairs_jobs as jobs
from handlers import (
    repairs_form,
    repairs_resident,
    repairs_staff,
    repairs_stats,
    repairs_talk,
    repairs_work,
)

declare("repair", N_("报修：楼顶漏水、水管、路面……"), Audience.RESIDENT, order=30)
declare("my", N_("我的报修和进度"), Audience.RESIDENT, order=31)
declare("tasks", N_("我的报修任务（志愿者、网格员）"), Audience.VOLUNTEER, order=30)
declare(
    "tickets",
    N_("全部报修：/tickets [待受理] [21号楼] [水管] [超期] [关键词] [@处理人]"),
    Audience.STAFF,
    order=30,
)
declare("merge", N_("合并重复报修：/merge 重复编号 保留编号"), Audience.STAFF, order=31)


def register(app: App) -> None:
    scheduler = get_runtime(app).scheduler
    scheduler.register(jobs.ESCALATE_JOB, repairs_work.escalate_job, at_least_once=True)
    scheduler.register(jobs.ROUTE_JOB, repairs_work.route_job, at_least_once=True)
    # The filing conversation first: while it runs, its own fallbacks see the input first.
    repairs_form.register(app)
    repairs_talk.register(app)
    repairs_work.register(app)
    repairs_resident.register(app)
    repairs_staff.register(app)
    repairs_stats.register(app)
