"""/repair_stats [本月|上周|最近30天…]: the staff's numbers on tickets (by category, by
building, time to accept and to resolve, ratings, open and overdue) as a short text and a
workbook sent privately. The numbers are `bot/workflows/repairs_stats.py`'s."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import CommandHandler

from bot import periods
from bot import repairs as repair_rules
from bot import repairs_stats as rules
from bot.commands import Audience, declare
from bot.context import App
from bot.export import Sheet, workbook
from bot.i18n import N_, Translate
from bot.runtime import Runtime
from bot.workflows import repairs_stats as wf
from bot.workflows.outcome import Refused
from handlers.outbox import render
from handlers.repairs_common import category_name
from handlers.shared import Context, is_private, reply, tr_chat

log = logging.getLogger(__name__)

declare(
    "repair_stats",
    N_("报修统计和导出：/repair_stats [本月|上周|最近30天]"),
    Audience.STAFF,
    order=32,
)


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _stamp(rt: Runtime, at: float | None) -> datetime | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).astimezone(rt.config.tz).replace(tzinfo=None)


def period_name(_: Translate, period: periods.Period) -> str:
    return _(period.label).format(days=period.days)


def summary(_: Translate, report: wf.Report) -> str:
    s = report.stats
    t = s.total
    lines = [
        _("{community} 报修统计（{period}）").format(
            community=report.community_name, period=period_name(_, report.period)
        ),
        _("新报修 {filed} 条，已解决 {done} 条，未完成 {open} 条，其中超期 {overdue} 条").format(
            filed=t.filed, done=t.done, open=t.open, overdue=t.overdue
        ),
        _("接单用时：中位 {median} 小时，90% 在 {p90} 小时内").format(
            median=_hours(rules.median(t.accept_hours)), p90=_hours(rules.p90(t.accept_hours))
        ),
        _("解决用时：中位 {median} 小时，90% 在 {p90} 小时内").format(
            median=_hours(rules.median(t.resolve_hours)), p90=_hours(rules.p90(t.resolve_hours))
        ),
        _("评价：{n} 条，平均 {avg} 星").format(
            n=len(t.ratings), avg="—" if t.rating is None else t.rating
        ),
    ]
    top = sorted(s.by_category.items(), key=lambda kv: -kv[1].filed)[:5]
    if top:
        lines.append(
            _("最多的类别：{list}").format(
                list="、".join(f"{category_name(_, k)} {g.filed}" for k, g in top)
            )
        )
    lines.append(
        _("现在全部未完成 {open} 条，其中超期 {overdue} 条（不论何时报修）").format(
            open=report.open_now, overdue=report.overdue_now
        )
    )
    lines.append(_("明细表格已私聊发给您。") if t.filed else _("这段时间没有新报修。"))
    return "\n".join(lines)


def _group_row(name: str, g: rules.Group) -> list[Any]:
    return [
        name,
        g.filed,
        g.done,
        g.open,
        g.overdue,
        rules.median(g.accept_hours),
        rules.p90(g.accept_hours),
        rules.median(g.resolve_hours),
        rules.p90(g.resolve_hours),
        len(g.ratings),
        g.rating,
    ]


def sheets(rt: Runtime, _: Translate, report: wf.Report) -> list[Sheet]:
    period = period_name(_, report.period)
    caption = _("{community} · {period} · 按报修时间统计，合并的重复报修只算一次").format(
        community=report.community_name, period=period
    )
    header = [
        "",
        _("报修数"),
        _("已解决"),
        _("未完成"),
        _("超期"),
        _("接单中位(小时)"),
        _("接单P90(小时)"),
        _("解决中位(小时)"),
        _("解决P90(小时)"),
        _("评价数"),
        _("平均星级"),
    ]
    s = report.stats
    cats = [_group_row(category_name(_, k), g) for k, g in s.by_category.items()]
    common = _("公共区域")
    buildings = [
        _group_row(_("{building}号楼").format(building=b) if b else common, g)
        for b, g in s.by_building.items()
    ]
    tickets = [
        [
            t["id"],
            category_name(_, t["category"]),
            t["building"],
            t["unit"],
            t["place"],
            t["description"],
            _(repair_rules.status_name(t["status"])),
            t["assignee_name"] or "",
            _stamp(rt, t["created_at"]),
            _stamp(rt, t["accepted_at"]),
            _stamp(rt, t["resolved_at"]),
            t["rating"],
            f"#{t['merged_into']}" if t["merged_into"] else "",
        ]
        for t in report.tickets
    ]
    return [
        Sheet(_("总计"), [_("范围"), *header[1:]], [_group_row(_("全部"), s.total)], caption),
        Sheet(_("按类别"), [_("类别"), *header[1:]], cats, caption),
        Sheet(_("按楼"), [_("楼号"), *header[1:]], buildings, caption),
        Sheet(
            _("报修明细"),
            [
                _("编号"),
                _("类别"),
                _("楼号"),
                _("单元"),
                _("位置"),
                _("描述"),
                _("状态"),
                _("处理人"),
                _("报修时间"),
                _("接单时间"),
                _("解决时间"),
                _("评价"),
                _("合并到"),
            ],
            tickets,
            caption,
        ),
    ]


async def repair_stats_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(update, _("报修统计请私聊我发送 /repair_stats。"))
        return
    rt = context.rt
    report = await wf.repair_stats(rt, user.id, " ".join(context.args or []))
    if isinstance(report, Refused):
        await reply(update, render(_, report.reason))
        return
    if isinstance(report, wf.BadPeriod):
        await reply(
            update,
            _("看不懂这个时间段。可以写：本月、上月、本周、上周、今年、最近30天、全部。"),
        )
        return
    await reply(update, summary(_, report))
    if not report.stats.total.filed:
        return
    data = await asyncio.to_thread(workbook, sheets(rt, _, report))
    stamp = rt.clock.now().astimezone(rt.config.tz).strftime("%Y%m%d")
    try:
        await context.bot.send_document(user.id, data, filename=f"repair_stats_{stamp}.xlsx")
    except (Forbidden, TelegramError) as exc:
        log.info("repair stats export to %s failed: %s", user.id, exc)


def register(app: App) -> None:
    app.add_handler(CommandHandler("repair_stats", repair_stats_command))
