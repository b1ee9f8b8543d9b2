"""The dashboard after a user test in a real browser (issue #20): what the server returns for
households not yet ordered, the meeting handout, ticket statuses, exports (headers, coded
values, numbers, dates, in every language), notes, charts, empty sections, the care table and
refusals of downloads without a session."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import AsyncIterator
from datetime import date, datetime

import openpyxl
import pytest
from aiohttp.test_utils import TestServer

from bot import dashboard as rules
from bot.dashboard_text import TEXT
from bot.dashboard_web import make_app
from bot.offline import dashboard_seed as seedmod
from bot.offline.simulator import Simulator
from bot.repairs import STATUS_NAMES
from tests.conftest import ADMIN
from tests.test_dashboard import _close_clients, client_for, get  # noqa: F401 - a fixture


@pytest.fixture
async def seeded(sim: Simulator) -> seedmod.Seeded:
    sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url="http://127.0.0.1:9")
    return await seedmod.seed(sim.rt)


@pytest.fixture
async def server(sim: Simulator, seeded: seedmod.Seeded) -> AsyncIterator[TestServer]:
    srv = TestServer(make_app(sim.rt))
    await srv.start_server()
    yield srv
    await srv.close()


# Seeded community A: building 1 has 12 real households (3 registered, 2 ordered), building 2
# 8 real (2 registered, 1 ordered), building 3 no real figure (2 registered, 1 ordered).
NOT_ORDERED = {"1": 10, "2": 7, "3": 1}
NAMES = ("刘大爷", "孙阿婆", "吴奶奶")
INTERNAL = {"unit", "room", "names", "status", "kind", "text", "created", "accepted", "resolved"}
CODES = {"help", "overdue", "pending", "notice", "meeting", "announcement", "new", "closed"}


async def set_lang(sim: Simulator, user_id: int, lang: str) -> None:
    await sim.rt.db.execute("UPDATE users SET lang = ? WHERE id = ?", (lang, user_id))


def turnout_cells(html: str) -> dict[str, str]:
    return dict(
        re.findall(r'<tr data-building="(\w+)">.*?<td class="missing-count">(\d+)</td>', html)
    )


def book_of(body: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(body))


def header_rows(book: openpyxl.Workbook) -> list[tuple[str, list[object]]]:
    """Each sheet's header row (the row after the caption, if any)."""
    found = []
    for ws in book.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = rows[1] if len(rows) > 1 and len([c for c in rows[0] if c]) == 1 else rows[0]
        found.append((ws.title, list(header)))
    return found


# ---- 1. not ordered: the real total minus the ordered, everywhere -----------------------------
def test_not_ordered_is_real_total_minus_ordered() -> None:
    rows = rules.turnout({"1": 2, "3": 1}, {"1": 3, "3": 2}, {"1": 12}, {"1": 1, "3": 1})
    by = {r.building: r for r in rows}
    assert by["1"].missing == 10 and by["1"].listed == 1
    assert by["3"].missing == 1 and not by["3"].real
    total = rules.turnout_total(rows)
    assert (total.ordered, total.households, total.missing) == (3, 14, 11)


async def test_not_ordered_same_on_board_export_print_and_chart(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, seedmod.STAFF_A)
    expected = {b: str(n) for b, n in NOT_ORDERED.items()}
    _, html = await get(client, f"/c/{seeded.a}/menu")
    assert turnout_cells(html) == expected
    assert "2/12" in html and "1/8" in html  # the chart's figures: of the real number
    assert "未点单 10 户，其中已登记的 1 户" in html
    _, printed = await get(client, f"/c/{seeded.a}/print")
    assert turnout_cells(printed) == expected
    r = await client.get(f"/c/{seeded.a}/export/round{seeded.round_a}_1.csv")
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    assert rows[0] == ["楼栋", "已点单", "总户数", "占比", "未点单", "总户数依据"]
    assert rows[-1][0] == "合计"
    assert {row[0]: row[4] for row in rows[1:-1]} == {f"{b}号楼": n for b, n in expected.items()}


# ---- 2. the meeting handout: counts only ---------------------------------------------------------
async def test_print_page_shows_counts_never_names_or_rooms(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, seedmod.STAFF_A)
    status, html = await get(client, f"/c/{seeded.a}/print")
    assert status == 200 and "会议材料只列户数" in html
    for name in NAMES:
        assert name not in html
    assert 'class="home"' not in html and "1-1-102" not in html and "2-1-302" not in html
    # Residents' own words may name a room or a phone: staff read them on screen only.
    assert "希望晚上施工不要太吵" not in html and "不挡南面阳光" not in html
    _, screen = await get(client, f"/c/{seeded.a}/menu")  # the screen still lists them
    assert "刘大爷" in screen and "1-1-102" in screen
    assert "希望晚上施工不要太吵" in screen


# ---- 3. one status name on the board, the print page and the export -------------------------------
async def test_board_and_export_name_each_status_alike(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, seedmod.STAFF_A)
    _, html = await get(client, f"/c/{seeded.a}/repairs")
    on_board: dict[str, str] = {}
    for label, body in re.findall(
        r'<section class="column"><h2>(\S+) <small>.*?</h2>(.*?)</section>', html, re.S
    ):
        for tid, status in re.findall(r'<b>#(\d+)</b> <span class="status">(\S+)</span>', body):
            assert status == label  # the card says the column's name
            on_board[tid] = label
    r = await client.get(f"/c/{seeded.a}/export/tickets.csv")
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    status_col = rows[0].index("状态")
    in_export = {row[0]: row[status_col] for row in rows[1:]}
    assert on_board == in_export and len(in_export) == 6
    assert "已关闭" in in_export.values() and "已确认" in in_export.values()


# ---- 4. exports: headers and coded values through the catalogue, numbers, dates ------------------
@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
async def test_export_headers_values_numbers_and_dates(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded, lang: str
) -> None:
    await set_lang(sim, seedmod.STAFF_A, lang)
    client = await client_for(server, sim, seedmod.STAFF_A)
    r = await client.get(f"/c/{seeded.a}/export/all.xlsx")
    assert r.status == 200
    book = book_of(await r.read())
    for title, header in header_rows(book):
        for cell in header:
            assert isinstance(cell, str) and cell == cell.strip() and cell, (title, header)
            assert cell not in INTERNAL, (title, cell)
            if lang == "en":
                assert not re.search(r"[\u4e00-\u9fff]", cell), (title, cell)
            elif cell != "#":
                assert re.search(r"[\u4e00-\u9fff]", cell), (title, cell)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not {c.value for c in cells if isinstance(c.value, str)} & CODES
    assert not any(isinstance(c.value, str) and c.value.endswith("%") for c in cells)
    shares = [c for c in cells if c.number_format == "0%"]
    assert shares and all(isinstance(c.value, int | float) for c in shares)
    tickets = book.worksheets[-4]
    times = [c.value for c in next(tickets.iter_cols(min_col=10, max_col=10, min_row=2))]
    assert times and all(isinstance(t, datetime) for t in times)
    weeks = book.worksheets[-3]
    assert all(isinstance(row[0], date) for row in weeks.iter_rows(min_row=2, values_only=True))
    if lang == "en":
        values = {c.value for c in cells if isinstance(c.value, str)}
        assert {"Needs help", "Announcement", "Yes"} & values, values


async def test_street_export_percent_is_a_number_and_names_the_round(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, ADMIN.id)
    r = await client.get("/street/export.xlsx")
    ws = book_of(await r.read()).worksheets[0]
    rows = list(ws.iter_rows(min_row=2))
    a = next(row for row in rows if row[0].value == "锡林社区")
    assert a[1].value == f"第 {seeded.round_a} 轮点单"
    assert isinstance(a[2].value, float) and a[2].number_format == "0%"
    assert abs(a[2].value - 4 / 22) < 0.001  # 4 ordered of 12 + 8 + 2 households
    assert a[3].value == 22 and a[4].value == 7  # the rate's households, then registered


# ---- 5. notes say what is shown ------------------------------------------------------------------
async def test_counts_only_note_names_the_hidden_buildings_only(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    staff = await client_for(server, sim, seedmod.STAFF_A)
    _, html = await get(staff, f"/c/{seeded.a}/menu")
    assert "只显示未点单户数" not in html and "只显示户数" not in html  # staff see every list
    grid = await client_for(server, sim, seedmod.GRID_A)
    _, html = await get(grid, f"/c/{seeded.a}/menu")
    note = re.search(r'<p class="note" id="names-hidden">(.*?)</p>', html)
    assert note and note.group(1).startswith("2号楼、3号楼只显示未点单户数")
    assert "刘大爷" in html and "孙阿婆" not in html
    r = await staff.get(f"/c/{seeded.a}/export/round{seeded.round_a}_2.csv")
    body = (await r.read()).decode("utf-8-sig")
    assert "只显示" not in body and "刘大爷" in body


# ---- 6. charts: fixed type in CSS pixels, labels whole, the round named ------------------------
def test_chart_type_does_not_scale_and_labels_fit() -> None:
    svg = rules.BarChart("t", [rules.Bar("锡林社区", 0.5, "第 1 轮 · 50%")], 1.0).svg()
    assert "viewBox" not in svg and f'font-size="{rules.FONT_PX}px"' in svg
    assert 'width="100%"' in svg and ">锡林社区<" in svg and "…" not in svg
    assert 'width="50.0%"' in svg


async def test_street_chart_names_the_round(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, ADMIN.id)
    _, html = await get(client, "/street")
    charts = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(charts) == 2 and all("viewBox" not in c for c in charts)
    assert f"第 {seeded.round_a} 轮 · 18%" in charts[0]
    assert ">锡林社区<" in charts[0] and ">和平社区<" in charts[0] and "…" not in charts[0]


# ---- 7. no empty sections -----------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_community_without_rounds_has_no_dangling_export(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded, lang: str
) -> None:
    await set_lang(sim, seedmod.STAFF_B, lang)
    client = await client_for(server, sim, seedmod.STAFF_B)
    _, html = await get(client, f"/c/{seeded.b}/menu")
    assert 'class="exports"' not in html and 'id="no-rounds"' in html
    assert "Export" not in html.split("<main>")[1].split("</main>")[0].replace("Excel", "")
    _, html = await get(client, f"/c/{seeded.b}/care")
    assert "export/care.csv" not in html
    _, html = await get(client, f"/c/{seeded.b}/notices")
    assert "export/notices.csv" not in html


# ---- 8. the care table --------------------------------------------------------------------------
async def test_care_table_headed_explained_and_taken_filled(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, seedmod.STAFF_A)
    _, html = await get(client, f"/c/{seeded.a}/care")
    table = re.search(r'<table class="grid care">(.*?)</table>', html, re.S)
    assert table
    headers = re.findall(r"<th>(.*?)</th>", table.group(1))
    assert headers == ["状态", "关爱对象", "地址", "应走访时间", "备注", "接手处理"]
    assert 'id="care-help"' in html and "我来处理" in html
    rows = re.findall(r"<tr class=\"(\w+)\">(.*?)</tr>", table.group(1), re.S)
    assert rows and all(re.findall(r"<td>(.*?)</td>", r)[-1].strip() for _, r in rows)
    help_row = next(r for status, r in rows if status == "help")
    assert "无人接手" in help_row and "3号楼1单元201室" in help_row
    _, notices = await get(client, f"/c/{seeded.a}/notices")
    assert "<th></th>" not in notices and "<th></th>" not in html


# ---- 9. downloads refused without a page --------------------------------------------------------
async def test_downloads_without_session_answer_401_with_no_page(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    anon = await client_for(server, sim, None)
    for path in (
        f"/c/{seeded.a}/export/all.xlsx",
        f"/c/{seeded.a}/export/tickets.csv",
        f"/c/{seeded.a}/export/round{seeded.round_a}_2.csv",
        "/street/export.csv",
        "/street/export.xlsx",
    ):
        r = await anon.get(path, allow_redirects=False)
        body = await r.text()
        assert r.status == 401, path
        assert "<html" not in body and "刘大爷" not in body and len(body) < 10
    grid = await client_for(server, sim, seedmod.GRID_A)
    for path in (f"/c/{seeded.a}/export/all.xlsx", "/street/export.csv"):
        r = await grid.get(path, allow_redirects=False)
        body = await r.text()
        assert r.status == 403 and "<html" not in body, path
    r = await anon.post("/auth/webapp", data={"initData": ""})
    assert r.status == 403 and "<html" not in await r.text()
    # A page still sends a stranger to sign in.
    r = await anon.get(f"/c/{seeded.a}/menu", allow_redirects=False)
    assert r.status == 303


# ---- the catalogue: no Simplified word of the dashboard left on a Traditional or English page --
@pytest.mark.parametrize("lang", ["zh_Hant", "en"])
async def test_pages_fully_translated(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded, lang: str
) -> None:
    from bot import i18n

    _ = i18n.translator(lang)
    words = [
        w
        for w in [*TEXT.values(), *STATUS_NAMES.values()]
        if "{" not in w and len(w) >= 2 and _(w) != w
    ]
    await set_lang(sim, seedmod.STAFF_A, lang)
    await set_lang(sim, ADMIN.id, lang)
    staff = await client_for(server, sim, seedmod.STAFF_A)
    admin = await client_for(server, sim, ADMIN.id)
    pages = [
        (staff, f"/c/{seeded.a}/{s}") for s in ("menu", "repairs", "care", "notices", "print")
    ] + [(admin, "/street"), (admin, "/")]
    for client, path in pages:
        status, html = await get(client, path)
        assert status == 200, path
        for data in ("锡林社区", "和平社区", "一单元楼道水管漏水"):  # data, not the page's words
            html = html.replace(data, "")
        left = [w for w in words if w in html]
        assert not left, (path, left)
        if lang == "en":
            assert "Week of  " not in html and "起" not in html
