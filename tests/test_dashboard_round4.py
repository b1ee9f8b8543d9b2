"""The dashboard after the fourth user test (issue #20): the street's households, care wording
and statuses, a grid worker's own tickets, sign-in links that previewers cannot use up, the
board's summary under filters, exports, titles and the audit of refusals."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from aiohttp.test_utils import TestServer

from bot.offline import dashboard_seed as seedmod
from bot.offline.simulator import Simulator
from tests.conftest import ADMIN
from tests.test_dashboard import _close_clients, client_for, get  # noqa: F401 - a fixture
from tests.test_dashboard_review import seeded, server, set_lang  # noqa: F401 - fixtures


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_street_shows_the_households_the_rate_is_of(
    sim: Simulator,
    server: TestServer,  # noqa: F811
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    client = await client_for(server, sim, ADMIN.id)
    _, html = await get(client, "/street")
    row = re.search(r"锡林社区</a></td>(.*?)</tr>", html, re.S)
    assert row is not None
    assert '<td class="rate-base">22</td>' in row.group(1)
    assert '<td class="registered">7</td>' in row.group(1)
    assert "18%" in row.group(1)
    assert "总户数（参与率按此计算）" in html and "登记户数是在机器人里登记过的住户" in html
    r = await client.get("/street/export.csv")
    rows = csv_rows(await r.read())
    assert rows[0][:5] == ["社区", "轮次", "最近一轮参与率", "总户数（参与率按此计算）", "登记户数"]
    a = next(r for r in rows if r[0] == "锡林社区")
    assert a[3] == "22" and a[4] == "7"


async def test_every_csv_starts_with_its_header_and_turnout_has_the_total(
    sim: Simulator,
    server: TestServer,  # noqa: F811
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    client = await client_for(server, sim, ADMIN.id)
    _, html = await get(client, f"/c/{seeded.a}/menu")
    links = re.findall(r'href="(/c/\d+/export/[^"]+\.csv)"', html)
    n = seeded.round_a
    for i in range(4):
        assert f"/c/{seeded.a}/export/round{n}_{i}.csv" in links
    for path in [*links, f"/c/{seeded.a}/export/tickets.csv", f"/c/{seeded.a}/export/care.csv"]:
        r = await client.get(path)
        assert r.status == 200, path
        rows = csv_rows(await r.read())
        assert not rows[0][0].startswith("# "), (path, rows[0])
    r = await client.get(f"/c/{seeded.a}/export/round{n}_1.csv")
    rows = csv_rows(await r.read())
    assert rows[0] == ["楼栋", "已点单", "总户数", "占比", "未点单", "总户数依据"]
    assert rows[1][0] == "1号楼" and rows[1][5] == "实际户数"
    assert rows[-1][:3] == ["合计", "4", "22"]


async def test_english_sheet_names_are_whole_words(
    sim: Simulator,
    server: TestServer,  # noqa: F811
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    import openpyxl

    await set_lang(sim, ADMIN.id, "en")
    client = await client_for(server, sim, ADMIN.id)
    r = await client.get(f"/c/{seeded.a}/export/all.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(await r.read()))
    for ws in book.worksheets:
        assert len(ws.title) < 31, ws.title
    assert f"Round {seeded.round_a} Rank" in book.sheetnames
    first = book[f"Round {seeded.round_a} Rank"]
    assert str(first.cell(row=1, column=1).value).startswith(f"Menu round {seeded.round_a}")


async def test_care_past_due_is_overdue_alike_and_english_reads_as_labels(
    sim: Simulator,
    server: TestServer,  # noqa: F811
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    from bot import dashboard as rules

    day = 86400.0
    assert rules.care_status("pending", 0, 9 * day) == "overdue"
    assert rules.care_status("pending", 0, day / 2) == "pending"  # the chat's day of grace
    assert rules.care_status("help", 0, 9 * day) == "help"
    client = await client_for(server, sim, seedmod.STAFF_A)
    _, html = await get(client, f"/c/{seeded.a}/care")
    rows = re.findall(r'<tr class="(\w+)">', html)
    assert rows.count("overdue") == 2 and "pending" not in rows, rows
    assert "待走访" not in re.sub(r'<p class="note" id="care-help">.*?</p>', "", html, flags=re.S)
    r = await client.get(f"/c/{seeded.a}/export/care.csv")
    statuses = [row[0] for row in csv_rows(await r.read())[1:]]
    assert statuses.count("逾期未记录") == 2
    await set_lang(sim, seedmod.STAFF_A, "en")
    _, html = await get(client, f"/c/{seeded.a}/care")
    assert "On the care list: 2 people (0 paused)" in html
    assert "people visited" not in html
    assert "Needs help" in html and "Overdue, not recorded" in html
    assert "overdue, not recorded" not in html and "needs help" not in html.replace("Needs", "")


async def test_grid_worker_sees_tickets_assigned_to_them_anywhere(
    sim: Simulator,
    server: TestServer,  # noqa: F811
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    client = await client_for(server, sim, seedmod.GRID_A)
    _, html = await get(client, f"/c/{seeded.a}/repairs")
    assert "2号楼路灯不亮已三天" in html  # building 2 is not theirs, the ticket is
    assert "小区东门门禁坏了" in html  # no building at all
    # Not theirs and not assigned to them: still hidden.
    for t in await sim.rt.db.fetchall(
        "SELECT description, assignee_id, building FROM repair_tickets WHERE community_id = ?",
        (seeded.a,),
    ):
        if t["building"] not in ("1", "") and t["assignee_id"] != seedmod.GRID_A:
            assert t["description"] not in html, t["description"]


async def test_opening_or_previewing_the_link_does_not_use_it_up(
    sim: Simulator,
    server: TestServer,  # noqa: F811
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    from bot.dashboard_web import COOKIE
    from bot.workflows import dashboard as flow
    from tests.test_dashboard import redeem

    issued = await flow.issue_link(sim.rt, seedmod.STAFF_A)
    path = issued.url.split("127.0.0.1:9", 1)[1]
    previewer = await client_for(server, sim, None)
    r = await previewer.head(path, allow_redirects=False)
    assert r.status == 200 and COOKIE not in r.cookies
    r = await previewer.get(path, allow_redirects=False)
    page = await r.text()
    assert r.status == 200 and COOKIE not in r.cookies
    assert 'method="post" action="/login"' in page and "加装电梯" not in page
    # Another site's page posting the link (login CSRF) is refused and uses nothing up.
    token = path.split("t=", 1)[1]
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        r = await previewer.post("/login", data={"t": token}, headers=headers)
        assert r.status == 403 and COOKIE not in r.cookies
    person = await client_for(server, sim, None)
    r = await redeem(person, issued.url)
    assert r.status == 303 and COOKIE in r.cookies
    r = await previewer.post("/login", data={"t": path.split("t=", 1)[1]})
    assert r.status == 403  # once only


async def test_dashboard_message_has_no_link_preview(
    sim: Simulator,
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    from bot.offline.simulator import Person

    sun = Person(seedmod.STAFF_A, "孙晓军", f"u{seedmod.STAFF_A}")
    reply = await sim.send(sun, sim.private(sun), "/dashboard")
    sent = reply.calls[-1].params
    assert sent.get("link_preview_options", {}).get("is_disabled") is True, sent


async def test_board_figures_follow_the_filter(
    sim: Simulator,
    server: TestServer,  # noqa: F811
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    client = await client_for(server, sim, seedmod.STAFF_A)
    _, whole = await get(client, f"/c/{seeded.a}/repairs")
    assert re.search(r'<b id="open-count">3</b>', whole) and "filtered-figures" not in whole
    _, html = await get(client, f"/c/{seeded.a}/repairs?building=2")
    assert re.search(r'<b id="open-count">1</b>', html)  # 2号楼路灯; 花坛杂草 is confirmed
    assert "符合筛选条件的 2 单报修" in html


async def test_tab_titles_print_button_and_anonymous_refusals_audited(
    sim: Simulator,
    server: TestServer,  # noqa: F811
    seeded: seedmod.Seeded,  # noqa: F811
) -> None:
    client = await client_for(server, sim, ADMIN.id)
    _, html = await get(client, f"/c/{seeded.a}/menu")
    assert "<title>点单 · 锡林社区 · 社区看板</title>" in html
    _, html = await get(client, f"/c/{seeded.a}/repairs")
    assert "<title>报修 · 锡林社区 · 社区看板</title>" in html
    _, html = await get(client, "/street")
    assert "<title>街道总览 · 社区看板</title>" in html
    _, html = await get(client, f"/c/{seeded.a}/print")
    assert "<title>打印会议材料 · 锡林社区 · 社区看板</title>" in html
    assert '<p class="exports"><button type="button" id="print-now"' in html
    assert "/static/dashboard.js" in html
    css = await (await client.get("/static/dashboard.css")).text()
    assert ".exports" in css.split("@media print", 1)[1].split("}", 1)[0]  # hidden on paper

    anon = await client_for(server, sim, None)
    for _ in range(50):
        assert (await anon.get(f"/c/{seeded.a}/export/all.xlsx")).status == 401
    await anon.get(f"/c/{seeded.a}/menu", allow_redirects=False)
    rows = await sim.rt.db.fetchall(
        "SELECT detail FROM audit_log WHERE action = 'dashboard_refused' AND actor_id IS NULL"
    )
    assert len(rows) == 1 and "no session" in rows[0]["detail"]  # one a minute: no flood
    await sim.advance(timedelta(minutes=2))
    await anon.get("/street/export.csv")
    rows = await sim.rt.db.fetchall(
        "SELECT detail FROM audit_log WHERE action = 'dashboard_refused' AND actor_id IS NULL"
        " ORDER BY id"
    )
    assert len(rows) == 2 and "+50 more" in rows[1]["detail"] and "/street" in rows[1]["detail"]
