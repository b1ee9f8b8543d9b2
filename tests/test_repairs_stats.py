"""/repair_stats: numbers by category and building, times to accept and resolve, the workbook."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl

from bot import periods
from bot import repairs_stats as rules
from bot.offline.simulator import Chat, Simulator
from tests.conftest import LIU, STAFF, VOLUNTEER, WANG, assert_no_personal_data_in_groups
from tests.test_repairs import community, file_repair

TZ = ZoneInfo("Asia/Shanghai")


def test_periods() -> None:
    now = datetime(2026, 3, 18, 10, 0, tzinfo=TZ)  # a Wednesday
    month = periods.parse_period("本月", now, TZ)
    assert month and month.start == datetime(2026, 3, 1, tzinfo=TZ)
    week = periods.parse_period("上周", now, TZ)
    assert week and (week.start, week.end) == (
        datetime(2026, 3, 9, tzinfo=TZ),
        datetime(2026, 3, 16, tzinfo=TZ),
    )
    last = periods.parse_period("上个月", now, TZ)
    assert last and (last.start.month, last.end.month) == (2, 3)
    recent = periods.parse_period("最近 7 天", now, TZ)
    assert recent and recent.days == 7 and recent.end > now
    assert periods.parse_period("", now, TZ) is not None
    assert periods.parse_period("去年夏天", now, TZ) is None
    assert periods.parse_period("最近99999天", now, TZ) is None


def test_median_and_p90() -> None:
    values = [float(v) for v in range(1, 11)]
    assert rules.median(values) == 5.5
    assert rules.p90(values) == 9.0
    assert rules.median([]) is None and rules.p90([]) is None


async def test_repair_stats_summary_and_workbook(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    roof, reply = await file_repair(sim, WANG)
    await sim.advance(timedelta(hours=2))
    offer = reply.to(VOLUNTEER.id)[0]
    await sim.press(VOLUNTEER, offer, "接单")
    await sim.advance(timedelta(hours=3))
    await sim.press(VOLUNTEER, sim.current(offer), "已解决")
    await file_repair(sim, LIU, category="水管", text="水管爆了")

    reply = await sim.send(STAFF, sim.private(STAFF), "/repair_stats 最近30天")
    text = reply.text
    assert "最近30天" in text and "新报修 2 条" in text, text
    assert "已解决 1 条" in text and "未完成 1 条" in text
    assert "接单用时：中位 2 小时" in text and "解决用时：中位 5 小时" in text
    assert "现在全部未完成 1 条，其中超期 0 条" in text
    docs = [c for c in sim.api.sent("sendDocument", STAFF.id)]
    assert docs and docs[-1].files
    book = openpyxl.load_workbook(io.BytesIO(next(iter(docs[-1].files.values()))))
    assert book.sheetnames == ["总计", "按类别", "按楼", "报修明细"]
    rows = [[c.value for c in r] for r in book["报修明细"].iter_rows()]
    assert rows[1][0] == "编号" and {r[0] for r in rows[2:]} == {roof, roof + 1}
    flat = str(rows) + str([[c.value for c in r] for r in book["按楼"].iter_rows()])
    assert "21号楼" in flat
    for personal in ("王阿姨", "刘大爷", "302"):  # the reporter's name and room stay out
        assert personal not in flat

    # A period with nothing, a period the bot does not know, the group, a resident.
    reply = await sim.send(STAFF, sim.private(STAFF), "/repair_stats 上周")
    assert "没有新报修" in reply.text
    reply = await sim.send(STAFF, sim.private(STAFF), "/repair_stats 去年夏天")
    assert "本月、上月" in reply.text
    reply = await sim.send(STAFF, group, "/repair_stats")
    assert "私聊" in reply.text and not reply.to(group.id)[0].text.startswith("锡林")
    reply = await sim.send(WANG, sim.private(WANG), "/repair_stats")
    assert "只有社区工作人员" in reply.text
    assert not sim.api.sent("sendDocument", WANG.id)
    await assert_no_personal_data_in_groups(sim)
