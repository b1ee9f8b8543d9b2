"""/menu_export: one workbook (bot/export.py) with captioned sheets, sent privately to staff,
with the results chart.

Sheets: the results (one tidy row per item, a column per building, no summary row inside),
the totals, the turnout of each building (against the real number of households where staff
set one, else the registered ones, and which is which), the orders (with rooms: this is why
the file only ever goes to a private chat), and the suggestions and 议一议 comments with the
writer's building. Building the workbook and drawing the chart run on worker threads.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot import export
from bot import menu as rules
from bot.i18n import Translate, data_text
from bot.runtime import Runtime
from handlers.menu_common import item_name
from handlers.menu_delivery import results_chart
from handlers.shared import Context, acting_community, is_group, reply, tr_chat
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)


def _local(rt: Runtime, epoch: float) -> datetime:
    """A naive local time: spreadsheets have no time zones."""
    return datetime.fromtimestamp(epoch, UTC).astimezone(rt.config.tz).replace(tzinfo=None)


def _pct(value: float) -> float:
    return round(value * 100, 1)


async def export_sheets(
    rt: Runtime, _: Translate, rnd: Row, community_name: str
) -> list[export.Sheet]:
    """Everything staff download about a round, as sheets (read here, built elsewhere)."""
    rid, cid = rnd["id"], rnd["community_id"]
    res = await store.results(rt.db, rid, cid)
    progress = {r["id"]: rules.Progress(r["progress"]) for r in await store.items(rt.db, rid)}
    stamp = _local(rt, rt.clock.now().timestamp()).strftime("%Y-%m-%d %H:%M")
    state = _("已结束") if rnd["status"] == "closed" else _("进行中")
    about = _("{community}第 {n} 轮改造点单（{state}），导出于 {at}。").format(
        community=community_name, n=rid, state=state, at=stamp
    )
    buildings = res.buildings
    results = export.Sheet(
        _("点单结果"),
        [
            _("排名"),
            _("项目"),
            _("点单户数"),
            _("占参与户比例（%）"),
            _("进度"),
            *[_("{building}号楼").format(building=b.building) for b in buildings],
        ],
        [
            [
                item.rank,
                data_text(_, item.name),
                item.households,
                _pct(item.share),
                _(rules.PROGRESS_NAMES[progress[item.item_id]]),
                *[b.counts.get(item.item_id, 0) for b in buildings],
            ]
            for item in res.items
        ],
        about + _("每个项目一行：点单的户数，以及各楼点单的户数。合计见“汇总”。"),
    )
    totals_rows: list[list[export.Cell]] = [
        [_("参与户数"), res.participants],
        [_("其中纸质点单户数"), res.paper],
        [_("其中没有登记的户数"), res.unregistered],
        [_("登记户数"), res.registered],
        [_("参与率（按登记户数，%）"), _pct(res.turnout)],
    ]
    if res.real:
        totals_rows += [
            [_("参与率的分母（实际户数，没填的楼按登记户数）"), res.real_base],
            [_("参与率（按实际户数，%）"), _pct(res.real_turnout)],
            [_("没有填实际户数的楼"), res.fallback_buildings],
        ]
    totals = export.Sheet(
        _("汇总"),
        [_("指标"), _("数值")],
        totals_rows,
        about + _("全社区的合计。"),
    )
    turnout = export.Sheet(
        _("各楼参与率"),
        [_("楼号"), _("实际户数"), _("登记户数"), _("参与户数"), _("参与率（%）"), _("按")],
        [
            [
                b.building,
                b.households,
                b.registered,
                b.participants,
                _pct(b.turnout),
                _("实际户数") if b.households is not None else _("登记户数"),
            ]
            for b in buildings
        ],
        about
        + _(
            "实际户数由社区工作人员用 /households 填写；没有填的楼，参与率按登记户数"
            "（登记过或交过点单的户）计算。"
        ),
    )
    orders = export.Sheet(
        _("点单明细"),
        [_("楼号"), _("单元"), _("门牌"), _("点单项目"), _("纸质录入"), _("时间")],
        [
            [
                row["building"],
                row["unit"],
                row["room"],
                "、".join(data_text(_, n) for n in row["items"]),
                _("是") if row["paper"] else "",
                _local(rt, row["updated_at"]),
            ]
            for row in await store.orders_for_export(rt.db, rid)
        ],
        about + _("每份点单一行（含门牌，只发给工作人员，请勿转发到群里）。"),
    )
    notes = export.Sheet(
        _("意见和建议"),
        [_("类型"), _("项目"), _("楼号"), _("内容"), _("时间")],
        [
            [
                _("议一议") if n["item_id"] else _("建议"),
                item_name(_, n, "item_name") if n["item_name"] else "",
                n["building"] or "",
                n["text"],
                _local(rt, n["at"]),
            ]
            for n in await store.comments_with_building(rt.db, rid, cid)
        ],
        about + _("居民提的建议和对各项目的议一议，附写的人所在的楼（不含门牌和姓名）。"),
    )
    return [results, totals, turnout, orders, notes]


async def menu_export(update: Update, context: Context) -> None:
    """The workbook and the chart, always sent privately (the orders have rooms)."""
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    community = await acting_community(update, context, _)
    if community is None:
        return
    rnd = await store.current_round(rt.db, community["id"])
    if rnd is None:
        await reply(update, _("还没有点单结果。"))
        return
    sheets = await export_sheets(rt, _, rnd, community["name"])
    data = await asyncio.to_thread(export.workbook, sheets)
    res = await store.results(rt.db, rnd["id"], community["id"])
    try:
        await context.bot.send_document(
            user.id,
            data,
            filename=f"menu_{rnd['id']}.xlsx",
            caption=_("改造点单第 {n} 轮：结果、汇总、各楼参与率、点单明细、意见和建议").format(
                n=rnd["id"]
            ),
        )
        if res.participants:
            chart = await asyncio.to_thread(results_chart, _, community["name"], res)
            await context.bot.send_photo(user.id, chart.png, caption=_("点单结果图"))
    except (Forbidden, TelegramError) as exc:
        log.info("export to %s failed: %s", user.id, exc)
        await reply(update, _("请先私聊我一次（点我的头像，发送 /start），我才能把文件发给您。"))
        return
    if is_group(update):
        await reply(update, _("导出文件已私聊发给您。"))
