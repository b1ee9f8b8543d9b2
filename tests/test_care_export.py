"""/care_export: the staff's visit log as a workbook, private only, staff only."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl

from bot.offline.simulator import Chat, Simulator
from tests.conftest import GRID, STAFF, VOLUNTEER, WANG, assert_no_personal_data_in_groups
from tests.test_care_manage import help_alert


async def test_visit_log_with_the_alert_and_who_took_it(sim: Simulator, group: Chat) -> None:
    reply = await help_alert(sim, group)
    await sim.press(GRID, reply.to(GRID.id)[0], "我来处理")
    await sim.advance(timedelta(hours=1))

    reply = await sim.send(STAFF, sim.private(STAFF), "/care_export 最近30天")
    assert "走访记录共 1 条" in reply.text, reply.text
    docs = sim.api.sent("sendDocument", STAFF.id)
    book = openpyxl.load_workbook(io.BytesIO(next(iter(docs[-1].files.values()))))
    rows = [[c.value for c in r] for r in book["走访记录"].iter_rows()]
    assert "关爱走访记录" in rows[0][0]
    header, visit = rows[1], rows[2]
    row = dict(zip(header, visit, strict=True))
    assert row["关爱对象"] == "张奶奶" and row["走访人"] == VOLUNTEER.first_name
    assert row["结果"] == "需要帮助" and row["记录人"] == VOLUNTEER.first_name
    assert row["求助"] == "是" and row["接手处理"] == GRID.first_name
    assert row["已再次提醒工作人员"] in ("", None)

    reply = await sim.send(STAFF, sim.private(STAFF), "/care_export 上周")
    assert "没有走访记录" in reply.text
    reply = await sim.send(STAFF, group, "/care_export")
    assert "私聊" in reply.text
    reply = await sim.send(WANG, sim.private(WANG), "/care_export")
    assert "只有社区工作人员" in reply.text and not sim.api.sent("sendDocument", WANG.id)
    await assert_no_personal_data_in_groups(sim)


async def test_visit_log_marks_an_escalated_alert(sim: Simulator, group: Chat) -> None:
    await help_alert(sim, group)
    await sim.advance(timedelta(minutes=31))
    await sim.send(STAFF, sim.private(STAFF), "/care_export")
    docs = sim.api.sent("sendDocument", STAFF.id)
    book = openpyxl.load_workbook(io.BytesIO(next(iter(docs[-1].files.values()))))
    rows = [[c.value for c in r] for r in book.active.iter_rows()]
    row = dict(zip(rows[1], rows[2], strict=True))
    assert row["接手处理"] == "无人接手" and row["已再次提醒工作人员"] == "是"
