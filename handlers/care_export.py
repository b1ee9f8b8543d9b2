"""/care_export [本月|上周|最近30天…]: the staff's log of care visits as a workbook — each
visit's person, visitors, due time, when it was recorded, the outcome and note, and for a
需要帮助 alert who took it (and whether it went to the staff again). Private only: the log
carries addresses, as /care_list does."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import CommandHandler

from bot.commands import Audience, declare
from bot.context import App
from bot.export import Sheet, workbook
from bot.i18n import N_, Translate
from bot.runtime import Runtime
from bot.workflows import care as care_wf
from bot.workflows import care_export as wf
from bot.workflows.outcome import Refused
from handlers.care import STATUS_NAMES
from handlers.outbox import render
from handlers.shared import Context, is_private, reply, tr_chat

log = logging.getLogger(__name__)

declare(
    "care_export",
    N_("导出关爱走访记录：/care_export [本月|上月|最近30天]"),
    Audience.STAFF,
    order=24,
)


def _local(rt: Runtime, at: float | None) -> datetime | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).astimezone(rt.config.tz).replace(tzinfo=None)


def _recorded(rt: Runtime, text: str | None) -> datetime | None:
    """recorded_at is an ISO text in UTC (written by the database)."""
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(rt.config.tz).replace(tzinfo=None)


def sheet(rt: Runtime, _: Translate, found: wf.VisitLog) -> Sheet:
    period = _(found.period.label).format(days=found.period.days)
    rows = []
    for v in found.visits:
        alert = v["status"] == "help"
        rows.append(
            [
                v["name"],
                care_wf.address_of(v).label(_),
                "、".join(found.visitors.get(v["care_id"], [])),
                _local(rt, v["due_at"]),
                _(STATUS_NAMES.get(v["status"], v["status"])),
                v["recorded_name"] or "",
                _recorded(rt, v["recorded_at"]),
                v["note"] or "",
                _("是") if alert else "",
                v["taken_name"] or (_("无人接手") if alert else ""),
                _("是") if v["escalated"] else "",
            ]
        )
    return Sheet(
        _("走访记录"),
        [
            _("关爱对象"),
            _("地址"),
            _("走访人"),
            _("应走访时间"),
            _("结果"),
            _("记录人"),
            _("记录时间"),
            _("备注"),
            _("求助"),
            _("接手处理"),
            _("已再次提醒工作人员"),
        ],
        rows,
        _("{community} · {period} · 关爱走访记录（含地址，请妥善保管）").format(
            community=found.community_name, period=period
        ),
    )


async def care_export_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(update, _("关爱走访记录只在私聊里查看。"))
        return
    rt = context.rt
    found = await wf.visit_log(rt, user.id, " ".join(context.args or []))
    if isinstance(found, Refused):
        await reply(update, render(_, found.reason))
        return
    if isinstance(found, wf.BadPeriod):
        await reply(
            update,
            _("看不懂这个时间段。可以写：本月、上月、本周、上周、今年、最近30天、全部。"),
        )
        return
    if not found.visits:
        await reply(
            update, _("{community}这段时间没有走访记录。").format(community=found.community_name)
        )
        return
    data = await asyncio.to_thread(workbook, [sheet(rt, _, found)])
    stamp = rt.clock.now().astimezone(rt.config.tz).strftime("%Y%m%d")
    try:
        await context.bot.send_document(user.id, data, filename=f"care_visits_{stamp}.xlsx")
    except (Forbidden, TelegramError) as exc:
        log.info("care export to %s failed: %s", user.id, exc)
        return
    await reply(update, _("走访记录共 {n} 条，表格已发给您。").format(n=len(found.visits)))


def register(app: App) -> None:
    app.add_handler(CommandHandler("care_export", care_export_command))
