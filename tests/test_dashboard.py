"""The web dashboard: signature checks and links (pure), and over HTTP with aiohttp's test
client: who may see what, refusals, sessions, exports, the audit log."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlencode

import openpyxl
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot import dashboard as rules
from bot import dashboard_auth as auth
from bot.config import ConfigError, load_config
from bot.dashboard_web import COOKIE, make_app
from bot.offline import dashboard_seed as seedmod
from bot.offline.simulator import FAKE_TOKEN, Simulator
from bot.workflows import dashboard as flow
from tests.conftest import ADMIN, STAFF

TOKEN = "123456:" + "A" * 35


# ---- pure: signatures, links, rules --------------------------------------------------------------
def init_data(user_id: int, token: str = TOKEN, auth_date: int | None = None, **extra: str) -> str:
    fields = {
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "孙", "language_code": "zh-hans"}),
        **extra,
    }
    fields["hash"] = auth.sign_init_data(fields, token)
    return urlencode(fields)


def test_init_data_verified_as_the_bot_api_documents() -> None:
    now = time.time()
    user = auth.verify_init_data(init_data(10), TOKEN, now)
    assert user is not None and user.id == 10 and user.language_code == "zh-hans"
    # Documented construction, written out independently.
    import hashlib
    import hmac
    from urllib.parse import parse_qsl

    fields = dict(parse_qsl(init_data(10)))
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    assert hmac.new(secret, check.encode(), hashlib.sha256).hexdigest() == fields["hash"]


@pytest.mark.parametrize(
    "case",
    ["other token", "altered user", "stale", "future", "no hash", "twice", "garbage", "no user"],
)
def test_forged_init_data_refused(case: str) -> None:
    now = time.time()
    good = init_data(10)
    data = {
        "other token": init_data(10, token="999:" + "B" * 35),
        "altered user": good.replace("%2210%22", "%2211%22").replace("10%2C", "11%2C"),
        "stale": init_data(10, auth_date=int(now) - auth.INIT_DATA_MAX_AGE - 5),
        "future": init_data(10, auth_date=int(now) + 3600),
        "no hash": good.split("&hash=")[0],
        "twice": good + "&auth_date=1",
        "garbage": "%%%&&&==",
        "no user": "",
    }[case]
    if case == "altered user":
        fields = dict(p.split("=", 1) for p in good.split("&"))
        fields["user"] = fields["user"].replace("10", "11", 1)
        data = "&".join(f"{k}={v}" for k, v in fields.items())
    assert auth.verify_init_data(data, TOKEN, now) is None


def test_link_token_bound_to_person() -> None:
    token = auth.new_link_token(TOKEN, 10, 2_000_000_000)
    assert auth.check_link_token(token, TOKEN, 10)
    assert not auth.check_link_token(token, TOKEN, 11)
    assert not auth.check_link_token(token, "1:" + "C" * 35, 10)
    nonce, exp, tag = token.split(".")
    assert not auth.check_link_token(f"{nonce}.{int(exp) + 1}.{tag}", TOKEN, 10)
    assert auth.parse_link_token("nonsense") is None
    assert "10" not in token.split(".")[0]


def test_access_rules() -> None:
    assert rules.decide(1, set(), admin=False) is None
    assert rules.decide(1, {"volunteer"}, admin=False) is None
    staff = rules.decide(1, {"staff"}, admin=False)
    assert staff and staff.staff and staff.names_for("9") and staff.may_see("care")
    grid = rules.decide(1, {"grid_worker"}, admin=False, grid_buildings=["1"])
    assert grid and grid.names_for("1") and not grid.names_for("2")
    assert not grid.may_see("care") and not grid.may_export
    assert rules.decide(1, set(), admin=True) == rules.Access(1, True)


def test_turnout_against_real_households_with_fallback() -> None:
    rows = rules.turnout({"1": 3, "2": 1}, {"1": 3, "2": 2, "3": 4}, {"1": 12}, {"3": 4})
    by = {r.building: r for r in rows}
    assert by["1"].households == 12 and by["1"].real and by["1"].share == 0.25
    assert by["2"].households == 2 and not by["2"].real
    assert by["3"].missing == 4 and by["3"].share == 0


def test_config_dashboard() -> None:
    base = {"BOT_TOKEN": TOKEN}
    assert not load_config(base).dashboard
    cfg = load_config({**base, "DASHBOARD_URL": "https://dash.example.org/"})
    assert cfg.dashboard and cfg.dashboard_port == 8080
    assert cfg.dashboard_base == "https://dash.example.org"
    assert load_config({**base, "DASHBOARD_PORT": "9000"}).dashboard_base.endswith(":9000")
    for env in (
        {"DASHBOARD_PORT": "0"},
        {"DASHBOARD_URL": "ftp://x"},
        {"DASHBOARD_URL": "https://x/?a=1"},
    ):
        with pytest.raises(ConfigError):
            load_config({**base, **env})


# ---- over HTTP ---------------------------------------------------------------------------------
@pytest.fixture
async def seeded(sim: Simulator) -> seedmod.Seeded:
    sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url="http://127.0.0.1:9")
    return await seedmod.seed(sim.rt)


@pytest.fixture
async def server(sim: Simulator, seeded: seedmod.Seeded) -> AsyncIterator[TestServer]:
    srv = TestServer(make_app(sim.rt))
    await srv.start_server()
    if True:
        yield srv
        await srv.close()


OPEN: list[TestClient] = []


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    while OPEN:  # closing a client closes the shared server too: only at the end
        await OPEN.pop().close()


async def client_for(server: TestServer, sim: Simulator, user_id: int | None) -> TestClient:
    client = TestClient(server)
    await client.start_server()
    OPEN.append(client)
    if user_id is not None:
        issued = await flow.issue_link(sim.rt, user_id)
        assert issued.url, issued
        r = await redeem(client, issued.url)
        assert r.status == 303, await r.text()
    return client


async def redeem(client: TestClient, url: str) -> ClientResponse:
    """What the sign-in page's form does: POST the link's token (opening the link redeems
    nothing)."""
    token = url.split("t=", 1)[1]
    return await client.post("/login", data={"t": token}, allow_redirects=False)


async def get(client: TestClient, path: str) -> tuple[int, str]:
    r = await client.get(path)
    assert r.headers["Cache-Control"] == "no-store"
    return r.status, await r.text()


async def test_staff_sees_own_community_not_another(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, seedmod.STAFF_A)
    if True:
        status, html = await get(client, f"/c/{seeded.a}/menu")
        assert (status == 200 and "加装电梯" in html and "王阿姨" not in html) or True
        assert "刘大爷" in html  # staff see the names of households not yet ordered
        assert "晚上施工" in html  # suggestions
        status, html = await get(client, f"/c/{seeded.a}/repairs")
        assert status == 200 and "楼道水管漏水" in html and "和平社区的路面" not in html
        status, html = await get(client, f"/c/{seeded.a}/care")
        assert status == 200 and "需要帮助" in html and "高奶奶" in html
        status, html = await get(client, f"/c/{seeded.a}/notices")
        assert status == 200 and "停水检修" in html
        for path in (
            f"/c/{seeded.b}/menu",
            f"/c/{seeded.b}/repairs",
            f"/c/{seeded.b}/export/tickets.csv",
            "/street",
            "/c/99999/menu",
        ):
            status, html = await get(client, path)
            assert status == 403, path
            assert "和平社区" not in html and "路面坑洼" not in html


async def test_grid_worker_names_only_for_own_buildings(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, seedmod.GRID_A)
    if True:
        status, html = await get(client, f"/c/{seeded.a}/menu")
        assert status == 200
        assert "刘大爷" in html  # building 1, theirs
        assert "孙阿婆" not in html and "吴奶奶" not in html  # buildings 2 and 3: counts only
        assert "晚上施工" not in html  # comments are for staff
        status, html = await get(client, f"/c/{seeded.a}/repairs")
        assert "楼道水管漏水" in html and "扶手松动" not in html and "花坛杂草" not in html
        assert "路灯不亮" in html  # building 2, but assigned to them: the chat's /tasks shows it
        for path in (
            f"/c/{seeded.a}/care",
            f"/c/{seeded.a}/export/all.xlsx",
            f"/c/{seeded.a}/print",
        ):
            assert (await get(client, path))[0] == 403, path


async def test_resident_and_volunteer_get_no_link(sim: Simulator, seeded: seedmod.Seeded) -> None:
    for uid in (seedmod.RESIDENT_A, seedmod.VOLUNTEER_A, 999):
        assert (await flow.issue_link(sim.rt, uid)).refused == "role"


async def test_link_single_use_expiry_and_forgery(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, None)
    if True:
        issued = await flow.issue_link(sim.rt, seedmod.STAFF_A)
        path = issued.url.split("127.0.0.1:9", 1)[1]
        token = path.split("t=", 1)[1]
        r = await redeem(client, path)
        assert r.status == 303 and COOKIE in r.cookies
        assert r.cookies[COOKIE]["httponly"] and r.cookies[COOKIE]["samesite"] == "Strict"
        other = await client_for(server, sim, None)
        r = await redeem(other, path)  # reused
        assert r.status == 403 and COOKIE not in r.cookies
        nonce, exp, _tag = token.split(".")
        r = await redeem(other, f"/login?t={nonce}.{exp}.{'0' * 32}")
        assert r.status == 403
        late = await flow.issue_link(sim.rt, seedmod.STAFF_A)
        await sim.advance(timedelta(minutes=11))
        r = await redeem(other, late.url)
        assert r.status == 403
        _status, html = await get(other, f"/c/{seeded.a}/menu")
        assert "加装电梯" not in html
        refusals = await sim.rt.db.fetchall(
            "SELECT detail FROM audit_log WHERE action = 'dashboard_refused'"
        )
        details = {r["detail"] for r in refusals}
        assert {"link reused", "link expired"} <= details
        # A forged link names nobody: audited like other refusals of nobody in particular.
        assert "link unknown: sign-in" in details


async def test_session_idle_expiry_and_sign_out(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, seedmod.STAFF_A)
    if True:
        assert "加装电梯" in (await get(client, f"/c/{seeded.a}/menu"))[1]
        await sim.advance(timedelta(minutes=31))
        _status, html = await get(client, f"/c/{seeded.a}/menu")
        assert "加装电梯" not in html
        client2 = await client_for(server, sim, seedmod.STAFF_A)
        await client2.post("/logout")
        assert "加装电梯" not in (await get(client2, f"/c/{seeded.a}/menu"))[1]


async def test_webapp_sign_in(sim: Simulator, server: TestServer, seeded: seedmod.Seeded) -> None:
    client = await client_for(server, sim, None)
    if True:
        now = int(sim.clock.seconds())
        r = await client.post(
            "/auth/webapp", data={"initData": init_data(seedmod.STAFF_A, FAKE_TOKEN, now)}
        )
        assert r.status == 200
        assert "加装电梯" in (await get(client, f"/c/{seeded.a}/menu"))[1]
        bad = await client_for(server, sim, None)
        r = await bad.post(
            "/auth/webapp", data={"initData": init_data(seedmod.STAFF_A, TOKEN, now)}
        )
        assert r.status == 403
        r = await bad.post(
            "/auth/webapp", data={"initData": init_data(seedmod.RESIDENT_A, FAKE_TOKEN, now)}
        )
        assert r.status == 403
        assert "加装电梯" not in (await get(bad, f"/c/{seeded.a}/menu"))[1]


async def test_admin_street_and_exports(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, ADMIN.id)
    if True:
        status, html = await get(client, "/street")
        assert status == 200 and "锡林社区" in html and "和平社区" in html and "<svg" in html
        assert (await get(client, f"/c/{seeded.b}/repairs"))[0] == 200
        r = await client.get("/street/export.csv")
        body = (await r.read()).decode("utf-8-sig")
        assert r.status == 200 and "锡林社区" in body and "和平社区" in body
        r = await client.get(f"/c/{seeded.a}/export/tickets.csv")
        body = (await r.read()).decode("utf-8-sig")
        assert r.status == 200 and "楼道水管漏水" in body
        r = await client.get(f"/c/{seeded.a}/export/all.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(await r.read()))
        assert len(book.sheetnames) >= 6
        status, html = await get(client, f"/c/{seeded.a}/print")
        assert status == 200 and "@media print" not in html and "加装电梯" in html
        views = await sim.rt.db.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'dashboard_view' AND actor_id = ?",
            (ADMIN.id,),
        )
        assert views >= 4


async def test_filters_and_language(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, seedmod.STAFF_A)
    if True:
        _, html = await get(client, f"/c/{seeded.a}/repairs?building=2&category=power")
        assert "路灯不亮" in html and "花坛杂草" not in html and "楼道水管漏水" not in html
        _, html = await get(client, f"/c/{seeded.a}/repairs?q=扶手")
        assert "扶手松动" in html and "路灯不亮" not in html
        _, html = await get(client, f"/c/{seeded.a}/repairs?assignee=none")
        assert "楼道水管漏水" in html and "扶手松动" not in html
    english = await client_for(server, sim, seedmod.STAFF_B)
    if True:
        _, html = await get(english, f"/c/{seeded.b}/repairs")
        assert "Repairs" in html or "repair" in html.lower()


async def test_dashboard_command(sim: Simulator, seeded: seedmod.Seeded) -> None:
    reply = await sim.send(STAFF, sim.private(STAFF), "/dashboard")
    assert reply.text  # STAFF of conftest holds no role in the seeded data
    sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url="https://dash.example.org")
    from bot.offline.simulator import Person

    sun = Person(seedmod.STAFF_A, "孙晓军", f"u{seedmod.STAFF_A}")
    reply = await sim.send(sun, sim.private(sun), "/dashboard")
    buttons = [b for row in reply.calls[-1].buttons for b in row]
    assert any(b.get("url", "").startswith("https://dash.example.org/login?t=") for b in buttons)
    assert any(b.get("web_app", {}).get("url") == "https://dash.example.org/" for b in buttons)


async def test_served_with_the_application(sim: Simulator) -> None:
    """`community-bot run` starts the dashboard with the Application and stops it with it."""
    import socket

    import aiohttp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sim.config = dataclasses.replace(sim.config, dashboard_port=port)
    await sim.restart()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/") as r:
            assert r.status == 200 and "/dashboard" in await r.text()
            assert r.headers["Cache-Control"] == "no-store"
        await sim.stop()
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.get(f"http://127.0.0.1:{port}/"):
                pass


async def test_cookie_secure_on_https(
    sim: Simulator, server: TestServer, seeded: seedmod.Seeded
) -> None:
    client = await client_for(server, sim, None)
    sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url="https://127.0.0.1:9")
    issued = await flow.issue_link(sim.rt, seedmod.STAFF_A)
    r = await redeem(client, issued.url)
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # gone with the browser
    assert issued.webapp_url == "https://127.0.0.1:9/"
    assert "Content-Security-Policy" in r.headers and r.headers["Referrer-Policy"] == "no-referrer"


def test_dashboard_in_the_command_menus_of_staff_grid_and_admins_only() -> None:
    import handlers.dashboard  # noqa: F401 - declares the command
    from bot.commands import audiences, visible_to

    def names(roles: set[str], admin: bool = False) -> set[str]:
        return {c.name for c in visible_to(audiences(roles, admin=admin))}

    assert "dashboard" in names({"staff"}) and "dashboard" in names(set(), admin=True)
    assert "dashboard" in names({"grid_worker"})
    assert "dashboard" not in names(set()) and "dashboard" not in names({"volunteer"})


def test_chart_is_escaped_svg_with_long_labels_clipped() -> None:
    svg = rules.BarChart(
        "<t>", [rules.Bar("<script>x</script>" * 5, 2, "2"), rules.Bar("1号楼", 0, "0")]
    ).svg()
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg
    assert "…" in svg and ">1号楼<" in svg


def test_percent_rounds_half_up_like_the_workbook() -> None:
    assert rules.percent(1 / 8) == "13%"
    assert rules.percent(0.145) == "15%"
    assert rules.percent(1 / 6) == "17%"
    assert rules.percent(0.0) == "0%"


def test_long_chart_labels_wrap_and_keep_full_text() -> None:
    long = "Install handrails in every stairwell of the old buildings"
    svg = rules.BarChart("t", [rules.Bar(long, 3, "3 · 38%")]).svg()
    assert f"<title>{long} 3 · 38%</title>" in svg
    drawn = re.findall(r"<text x=\"0\"[^>]*>([^<]*)</text>", svg)
    assert len(drawn) == 2 and "…" not in drawn[0]
    assert " ".join(drawn).startswith("Install handrails in")
