"""Real turnout (#18): staff set each building's households, results and the chart measure
turnout against them, grid workers chase the households that have not ordered, and the export
is one workbook with captioned sheets. Everything through the real Application."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from bot import menu as rules
from bot import menu_turnout as trules
from bot.menu_chart import render_ranking
from bot.offline.simulator import Chat, Person, Simulator
from tests.conftest import (
    GRID,
    LIU,
    STAFF,
    WANG,
    WANG_SON,
    assert_no_personal_data_in_groups,
    register,
    say_hello,
    setup_community,
)
from tests.test_menu import open_round, order

ZHAO = Person(50, "赵网格", "zhao_grid")  # grid worker of buildings 31-40
SUN = Person(51, "孙奶奶", "sun_nn")
QIAN = Person(52, "钱大爷", "qian_dy")


@pytest.fixture
async def home(sim: Simulator, group: Chat) -> int:
    cid = await setup_community(sim, group)
    await say_hello(sim, ZHAO)
    await sim.send(STAFF, group, f"/grant @{ZHAO.username} 网格员")
    await sim.send(STAFF, group, f"/grid_assign @{ZHAO.username} 31-40")
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, WANG_SON, "21-4-302", "小明")
    await register(sim, LIU, "5-2-101", "刘大爷")
    await register(sim, SUN, "5-3-201", "孙奶奶")
    await register(sim, QIAN, "33-1-101", "钱大爷")
    return cid


def _workbook(data: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}


# ---- 1. /households --------------------------------------------------------------------------
def test_households_parsing() -> None:
    ok = trules.parse_households("1号楼 36, 2号楼 48，3栋：24\n官西4号楼 30户")
    assert ok.entries == {"1": 36, "2": 48, "3": 24, "官西4": 30}
    assert trules.parse_households("3号楼48户").entries == {"3": 48}
    assert trules.parse_households("3号楼 删除").entries == {"3": None}
    bad = {
        "3号楼 0": trules.HouseholdsProblem.NUMBER,
        "3号楼 -5": trules.HouseholdsProblem.NUMBER,
        "3号楼 2001": trules.HouseholdsProblem.NUMBER,
        "3号楼 4.5": trules.HouseholdsProblem.NUMBER,
        "0号楼 30": trules.HouseholdsProblem.BUILDING,
        "1000号楼 30": trules.HouseholdsProblem.BUILDING,
        "13812345678号楼 5": trules.HouseholdsProblem.BUILDING,
        "348": trules.HouseholdsProblem.UNCLEAR,
        "3号楼 12, 3号楼 13": trules.HouseholdsProblem.TWICE,
        "": trules.HouseholdsProblem.EMPTY,
    }
    for text, problem in bad.items():
        assert trules.parse_households(text).problem is problem, text
    assert trules.parse_households("13812345678号楼 5").word == ""  # a phone is never echoed


async def test_staff_set_households_and_see_the_table(
    sim: Simulator, group: Chat, home: int
) -> None:
    chat = sim.private(STAFF)
    reply = await sim.send(STAFF, chat, "/households 21号楼 48, 5号楼 36")
    assert "已保存" in reply.text
    assert "21号楼：实际 48 户（登记 1 户）" in reply.text
    assert "5号楼：实际 36 户（登记 2 户）" in reply.text
    assert "33号楼：没有填实际户数（登记 1 户）" in reply.text
    assert (
        await sim.rt.db.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'building_households'"
        )
        == 2
    )
    # Nonsense is refused whole: nothing changes.
    for text in (
        "/households 21号楼 0",
        "/households 21号楼 -3",
        "/households 21号楼 5000",
        "/households 0号楼 30",
        "/households 5号楼 40, 21号楼 abc",
    ):
        reply = await sim.send(STAFF, chat, text)
        assert "这次什么也没有改" in reply.text, text
    table = await sim.send(STAFF, chat, "/households")
    assert "21号楼：实际 48 户" in table.text and "5号楼：实际 36 户" in table.text
    reply = await sim.send(STAFF, chat, "/households 5号楼 删除")
    assert "5号楼：没有填实际户数" in reply.text
    # In the group it works too (counts are not personal), for staff only.
    reply = await sim.send(STAFF, group, "/households 5号楼 40")
    assert "5号楼：实际 40 户" in reply.text
    for person in (WANG, GRID, ZHAO):
        reply = await sim.send(person, sim.private(person), "/households 5号楼 10")
        assert "只有社区工作人员" in reply.text
    assert (
        await sim.rt.db.fetchval("SELECT households FROM building_households WHERE building = '5'")
        == 40
    )


# ---- 2. turnout against the real count --------------------------------------------------------
def test_tally_with_real_households() -> None:
    items = [rules.Item(1, "A", 1)]
    orders = [
        rules.OrderRecord(10, "21", frozenset({1})),
        rules.OrderRecord(12, "5", frozenset({1})),
    ]
    known = {10: "21", 11: "21", 12: "5"}
    res = rules.tally(items, rules.aggregate(orders, known), {"21": 8, "9": 10})
    by = {b.building: b for b in res.buildings}
    assert (by["21"].base, by["21"].turnout) == (8, 1 / 8)
    assert (by["5"].households, by["5"].base, by["5"].turnout) == (None, 1, 1.0)
    assert (by["9"].participants, by["9"].base) == (0, 10)  # set, nobody registered yet
    assert res.real and res.real_base == 19 and res.fallback_buildings == 1
    assert res.real_turnout == pytest.approx(2 / 19)


async def test_results_measure_turnout_against_real_households(
    sim: Simulator, group: Chat, home: int
) -> None:
    await sim.send(STAFF, sim.private(STAFF), "/households 21号楼 48, 5号楼 4")
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    await order(sim, LIU, rid, "车棚改造")
    await order(sim, SUN, rid, "楼梯维修")
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_results")
    text = reply.text
    assert "按实际户数算：参与 3/53 户，参与率 6%（1 栋楼没有填实际户数，按登记户数算）" in text
    assert "21号楼：参与1/48户（2%，按实际户数）；车棚改造1" in text
    assert "5号楼：参与2/4户（50%，按实际户数）" in text
    assert "33号楼：参与0/1户（0%，按登记户数）" in text
    # The chart goes to staff privately too, with a whole-household axis and the turnout.
    photos = sim.api.sent("sendPhoto", STAFF.id)
    assert photos and next(iter(photos[-1].files.values())).startswith(b"\x89PNG")
    await sim.send(STAFF, group, "/menu_close")
    posted = "\n".join(c.text for c in sim.api.sent("sendMessage", group.id)[-3:])
    assert "按实际户数算：参与 3/53 户" in posted
    assert "21号楼：参与1/48户（2%，按实际户数）（户数少，不公布明细）" in posted
    assert sim.api.sent("sendPhoto", group.id)
    await assert_no_personal_data_in_groups(sim)


def test_chart_axis_counts_whole_households() -> None:
    from handlers.menu_common import turnout_summary

    res = rules.tally(
        [rules.Item(1, "A", 1), rules.Item(2, "B", 2)],
        rules.aggregate([rules.OrderRecord(10, "21", frozenset({1}))], {10: "21", 11: "21"}),
        {"21": 48},
    )
    label = turnout_summary(lambda s: s, res)
    assert label == "参与率 2%，1/48 户，按实际户数"
    chart = render_ranking("t", ["A", "B"], [1, 0], ["100%", "0%"], label)
    assert chart.xticks and all(t == int(t) for t in chart.xticks)
    assert chart.xlabel == label


# ---- 3. the households that have not ordered ----------------------------------------------------
async def test_grid_worker_chases_households_and_enters_a_paper_order(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    await order(sim, LIU, rid, "车棚改造")
    chat = sim.private(GRID)
    reply = await sim.send(GRID, chat, "/menu_unordered")
    # GRID has 1-30: 21-4-302 (two residents) and 5-3-201 have not ordered; 33 is ZHAO's.
    assert "共 2 户" in reply.text
    assert "21号楼4单元302室 王阿姨、小明" in reply.text
    assert "5号楼3单元201室 孙奶奶" in reply.text
    assert "101" not in reply.text and "钱大爷" not in reply.text
    reply = await sim.press(GRID, reply, "代录 5号楼3单元201室")
    screen = reply.last_with_buttons()
    assert screen is not None and "纸质点单：5号楼3单元201室" in screen.text
    await sim.press(GRID, screen, "楼梯维修")
    done = await sim.press(GRID, sim.current(screen), "确认录入")
    assert "已录入 5号楼3单元201室" in done.text
    assert "替您家录入" in done.to(SUN.id)[0].text
    # One order per household: the list no longer has it, and the paper order is the one.
    reply = await sim.send(GRID, chat, "/menu_unordered")
    assert "共 1 户" in reply.text and "孙奶奶" not in reply.text
    assert (
        await sim.rt.db.fetchval(
            "SELECT count(*) FROM menu_orders WHERE round_id = ? AND paper = 1", (rid,)
        )
        == 1
    )
    # Another building's grid worker sees only theirs; asking for GRID's building is refused.
    reply = await sim.send(ZHAO, sim.private(ZHAO), "/menu_unordered")
    assert "33号楼1单元101室 钱大爷" in reply.text and "王阿姨" not in reply.text
    reply = await sim.send(ZHAO, sim.private(ZHAO), "/menu_unordered 21号楼")
    assert "只能看自己网格" in reply.text and "王阿姨" not in reply.text
    # ZHAO pressing GRID's household button is refused, nothing entered.
    before = await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders")
    hid = await sim.rt.db.fetchval("SELECT id FROM households WHERE building = '21'")
    forged = await sim.press(ZHAO, None, data=f"1|mn|pf|{rid}|{hid}", chat=sim.private(ZHAO))
    assert forged.alerts() and not forged.to(ZHAO.id)
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders") == before


async def test_staff_see_counts_and_one_buildings_names(
    sim: Simulator, group: Chat, home: int
) -> None:
    await sim.send(STAFF, sim.private(STAFF), "/households 21号楼 48")
    rid = await open_round(sim, group)
    await order(sim, LIU, rid, "车棚改造")
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_unordered")
    assert "21号楼：1 户没点单（登记 1 户，实际 48 户）" in reply.text
    assert "5号楼：1 户没点单（登记 2 户，没有填实际户数）" in reply.text
    assert "王阿姨" not in reply.text and "302" not in reply.text
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_unordered 5号楼")
    assert "5号楼3单元201室 孙奶奶" in reply.text


async def test_list_is_paged_and_never_in_a_group(sim: Simulator, group: Chat, home: int) -> None:
    people = [Person(200 + n, f"住户{n}", f"r{n}") for n in range(10)]
    for n, person in enumerate(people):
        await register(sim, person, f"7-1-{101 + n}", f"住户{n}")
    await open_round(sim, group)
    reply = await sim.send(GRID, sim.private(GRID), "/menu_unordered 7号楼")
    assert "共 10 户（第 1/2 页）" in reply.text and "7号楼1单元101室" in reply.text
    reply = await sim.press(GRID, reply, "下一页")
    page = sim.current(reply.last_with_buttons() or reply.calls[-1])
    assert "第 2/2 页" in page.text and "7号楼1单元110室" in page.text
    assert "7号楼1单元101室" not in page.text
    # Typed in the group: where to ask, no rooms, no names.
    for person in (GRID, STAFF, WANG):
        reply = await sim.send(person, group, "/menu_unordered")
        assert "私聊" in reply.text and "302" not in reply.text
    await assert_no_personal_data_in_groups(sim)


async def test_residents_and_strangers_are_refused(sim: Simulator, group: Chat, home: int) -> None:
    await open_round(sim, group)
    reply = await sim.send(WANG, sim.private(WANG), "/menu_unordered")
    assert "只有社区工作人员" in reply.text and "孙奶奶" not in reply.text


# ---- 4. the export --------------------------------------------------------------------------------
async def test_export_is_one_captioned_workbook_and_the_chart(
    sim: Simulator, group: Chat, home: int
) -> None:
    await sim.send(STAFF, sim.private(STAFF), "/households 21号楼 48")
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    await order(sim, LIU, rid, "车棚改造", "楼梯维修")
    chat = sim.private(LIU)
    reply = await sim.send(LIU, chat, "/menu")
    reply = await sim.press(LIU, reply, "提建议")
    await sim.send(LIU, chat, "=健身器材少")
    reply = await sim.send(STAFF, group, "/menu_export")
    assert "私聊" in reply.text
    docs = sim.api.sent("sendDocument", STAFF.id)
    assert len(docs) == 1 and docs[0].params.get("caption")
    data = next(iter(docs[0].files.values()))
    sheets = _workbook(data)
    assert list(sheets) == ["点单结果", "汇总", "各楼参与率", "点单明细", "意见和建议"]
    results = sheets["点单结果"]
    assert "锡林社区" in str(results[0][0])  # the caption
    assert results[1][:5] == ["排名", "项目", "点单户数", "占参与户比例（%）", "进度"]
    assert results[2][:4] == [1, "车棚改造", 2, 100]
    assert all(isinstance(r[0], int) for r in results[2:])  # no summary row inside
    totals = dict(r for r in sheets["汇总"][2:])
    assert totals["参与户数"] == 2 and totals["登记户数"] == 4
    assert totals["参与率（按实际户数，%）"] == pytest.approx(round(2 / 51 * 100, 1))
    turnout = {r[0]: r for r in sheets["各楼参与率"][2:]}
    assert turnout["21"][1:] == [48, 1, 1, round(100 / 48, 1), "实际户数"]
    assert turnout["5"][1:] == [None, 2, 1, 50, "登记户数"]
    notes = sheets["意见和建议"]
    assert notes[1] == ["类型", "项目", "楼号", "内容", "时间"]
    assert notes[2][:4] == ["建议", None, "5", "'=健身器材少"]  # formula-safe, with building
    orders = sheets["点单明细"]
    assert sorted(r[2] for r in orders[2:]) == ["101", "302"]
    assert sim.api.sent("sendPhoto", STAFF.id)  # the chart, privately
    await assert_no_personal_data_in_groups(sim)
