"""The dashboard beside the chat: its reads on a connection of their own, its requests after
the chat's updates (bot/dashboard_gate.py), the Mini App's cookie inside Telegram Web's frame,
and buildings named as the chat names them. No timings: events and loop turns only."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import dashboard as rules
from bot import dashboard_auth as auth
from bot import dashboard_gate as gate
from bot.dashboard_web import APP_COOKIE, COOKIE, GATE, make_app
from bot.offline import dashboard_seed as seedmod
from bot.offline.simulator import FAKE_TOKEN, Simulator
from bot.workflows import dashboard as flow
from storage.db import DatabaseError
from tests.conftest import ADMIN, STAFF
from tests.test_dashboard import init_data, redeem

NO_WAIT = 1000.0  # patience no test reaches: a request proceeds only when the chat is quiet


@pytest.fixture
async def seeded(sim: Simulator) -> seedmod.Seeded:
    sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url="http://127.0.0.1:9")
    return await seedmod.seed(sim.rt)


@pytest.fixture
async def client(sim: Simulator, seeded: seedmod.Seeded) -> AsyncIterator[TestClient]:
    c = TestClient(TestServer(make_app(sim.rt, sim.app)))
    await c.start_server()
    yield c
    await c.close()


async def sign_in(sim: Simulator, client: TestClient, user_id: int) -> None:
    issued = await flow.issue_link(sim.rt, user_id)
    r = await redeem(client, issued.url)
    assert r.status == 303


# ---- its own connection --------------------------------------------------------------------------
async def test_dashboard_reads_use_their_own_read_only_connection(
    sim: Simulator, seeded: seedmod.Seeded
) -> None:
    reader = await sim.rt.db.reader()
    assert reader is not sim.rt.db
    with pytest.raises(DatabaseError):
        await reader.execute("DELETE FROM audit_log")
    seen = await flow.access(sim.rt, seedmod.STAFF_A, seeded.a)
    assert seen is not None
    # While a chat's transaction holds the writer's connection, every page's reads go on.
    async with sim.rt.db.transaction():
        view = await flow.repairs_page(sim.rt, seen, rules.TicketFilter())
        rounds = await flow.menu_page(sim.rt, seen, None)
        await flow.care_page(sim.rt, seen)
        await flow.notices_page(sim.rt, seen)
        lines = await flow.street_page(sim.rt, ADMIN.id)
    assert view.tickets and rounds and lines
    assert await flow.session_user(sim.rt, "no such session") is None


async def test_reader_sees_what_the_chat_committed(sim: Simulator, seeded: seedmod.Seeded) -> None:
    reader = await sim.rt.db.reader()
    before = await reader.fetchval("SELECT count(*) FROM audit_log")
    await sim.rt.db.execute(
        "INSERT INTO audit_log (community_id, actor_id, action, detail, at)"
        " VALUES (NULL, 1, 'test', '', 0)"
    )
    assert await reader.fetchval("SELECT count(*) FROM audit_log") == before + 1


# ---- the chat first --------------------------------------------------------------------------------
async def test_request_waits_while_chat_updates_wait() -> None:
    busy = True
    g = gate.ChatFirst(lambda: busy, patience=NO_WAIT, poll=0)
    entered = asyncio.Event()

    async def request() -> None:
        async with g.turn():
            entered.set()

    task = asyncio.create_task(request())
    for _ in range(50):
        await asyncio.sleep(0)
    assert not entered.is_set() and g.waits > 0
    busy = False
    await task
    assert entered.is_set()


async def test_one_request_at_a_time_and_waits_bounded() -> None:
    g = gate.ChatFirst(lambda: True, patience=0)  # a chat that is never quiet
    inside = 0
    most = 0

    async def request() -> None:
        nonlocal inside, most
        async with g.turn():
            inside += 1
            most = max(most, inside)
            await gate.checkpoint()  # a read: also passes once the request's patience is spent
            await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(request() for _ in range(5)))  # slow, never stuck
    assert most == gate.SLOTS == 1


async def test_slot_rests_after_a_request_in_proportion_to_its_work() -> None:
    assert gate.ChatFirst(share=0.25).rest(0.01) == pytest.approx(0.03)
    assert gate.ChatFirst(share=1.0).rest(0.01) == 0
    g = gate.ChatFirst(patience=0, share=1e-12)  # a rest far longer than any test
    order: list[str] = []

    async def request(name: str) -> None:
        async with g.turn():
            order.append(name)

    await request("first")  # answered at once: the rest comes after the response
    second = asyncio.create_task(request("second"))
    for _ in range(50):
        await asyncio.sleep(0)
    assert order == ["first"] and not second.done()
    second.cancel()


async def test_chat_answered_while_a_dashboard_request_is_stuck(
    sim: Simulator, seeded: seedmod.Seeded, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_in(sim, client, seedmod.STAFF_A)
    release = asyncio.Event()
    started = asyncio.Event()
    slow_page = flow.care_page

    async def stuck(rt: object, seen: rules.Access) -> flow.CareView:
        started.set()
        await release.wait()
        return await slow_page(sim.rt, seen)

    monkeypatch.setattr(flow, "care_page", stuck)
    page = asyncio.create_task(client.get(f"/c/{seeded.a}/care"))
    await started.wait()
    reply = await sim.send(STAFF, sim.private(STAFF), "/help")
    assert reply.text and not page.done()
    release.set()
    assert (await page).status == 200


async def test_dashboard_waits_for_queued_chat_updates(
    sim: Simulator, seeded: seedmod.Seeded, client: TestClient
) -> None:
    g = client.app[GATE] if client.app is not None else None
    assert g is not None
    g.share = 1.0  # no rest between requests: this test is about the chat
    await sign_in(sim, client, seedmod.STAFF_A)
    queued: asyncio.Queue[object] = asyncio.Queue()
    queued.put_nowait(object())  # an update PTB has not taken up yet
    g.chat_waiting = lambda: not queued.empty()
    g.patience, g.poll = NO_WAIT, 0
    page = asyncio.create_task(client.get(f"/c/{seeded.a}/repairs"))
    for _ in range(200):
        await asyncio.sleep(0)
    assert not page.done() and g.waits > 0
    queued.get_nowait()
    assert (await page).status == 200


def test_chat_waiting_reads_the_application() -> None:
    class Processor:
        admitted = 0

    class App:
        update_queue: asyncio.Queue[object] = asyncio.Queue()
        update_processor = Processor()

    app = App()
    waiting = gate.chat_waiting(app)
    assert not waiting()
    app.update_processor.admitted = 2
    assert waiting()
    app.update_processor.admitted = 0
    app.update_queue.put_nowait(object())
    assert waiting()


# ---- the Mini App's cookie -----------------------------------------------------------------------
async def test_webapp_cookie_works_in_a_cross_site_frame_on_https(
    sim: Simulator, seeded: seedmod.Seeded, client: TestClient
) -> None:
    sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url="https://127.0.0.1:9")
    now = int(sim.clock.seconds())
    r = await client.post(
        "/auth/webapp", data={"initData": init_data(seedmod.STAFF_A, FAKE_TOKEN, now)}
    )
    assert r.status == 200
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(APP_COOKIE + "=")
    for attribute in ("SameSite=None", "Secure", "Partitioned", "HttpOnly", "Path=/"):
        assert attribute in cookie, cookie
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # gone with the browser
    session = r.cookies[APP_COOKIE].value
    # The browser sends it back inside the frame (an https client would; this one is http).
    plain = TestClient(client.server)
    await plain.start_server()
    try:
        r = await plain.get(f"/c/{seeded.a}/menu", headers={"Cookie": f"{APP_COOKIE}={session}"})
        assert r.status == 200 and "加装电梯" in await r.text()
        # Short-lived: in use all along, it still ends after WEBAPP_SESSION_MAX (the Mini App
        # signs in again when reopened).
        step = auth.SESSION_IDLE // 2
        for _ in range(auth.WEBAPP_SESSION_MAX // step - 1):
            await sim.advance(timedelta(seconds=step))
            r = await plain.get(f"/c/{seeded.a}", headers={"Cookie": f"{APP_COOKIE}={session}"})
            assert "加装电梯" in await r.text()
        await sim.advance(timedelta(seconds=step + 60))
        r = await plain.get(f"/c/{seeded.a}/menu", headers={"Cookie": f"{APP_COOKIE}={session}"})
        assert "加装电梯" not in await r.text()
        r = await plain.post(
            "/logout", headers={"Cookie": f"{APP_COOKIE}={session}"}, allow_redirects=False
        )
        cleared = r.headers.getall("Set-Cookie")
        assert any(c.startswith(APP_COOKIE + '=""') and "Partitioned" in c for c in cleared)
    finally:
        await plain.close()


async def test_link_cookie_stays_strict_and_webapp_on_http_too(
    sim: Simulator, seeded: seedmod.Seeded, client: TestClient
) -> None:
    issued = await flow.issue_link(sim.rt, seedmod.STAFF_A)
    r = await redeem(client, issued.url)
    assert r.cookies[COOKIE]["samesite"] == "Strict"
    now = int(sim.clock.seconds())
    r = await client.post(
        "/auth/webapp", data={"initData": init_data(seedmod.STAFF_A, FAKE_TOKEN, now)}
    )
    # No https: SameSite=None would need Secure; a plain-http test setup keeps Strict.
    assert r.cookies[APP_COOKIE]["samesite"] == "Strict" and not r.cookies[APP_COOKIE]["secure"]


# ---- buildings as the chat names them ------------------------------------------------------------
async def test_buildings_named_as_in_the_chat(
    sim: Simulator, seeded: seedmod.Seeded, client: TestClient
) -> None:
    await sign_in(sim, client, seedmod.STAFF_A)
    html = await (await client.get(f"/c/{seeded.a}/menu")).text()
    assert ">1号楼<" in html and ">2号楼<" in html  # turnout table and chart
    assert "<summary>1号楼：未点单 10 户" in html
    html = await (await client.get(f"/c/{seeded.a}/repairs")).text()
    assert '<option value="2">2号楼</option>' in html and "· 2号楼" in html
    english = TestClient(client.server)
    await english.start_server()
    try:
        issued = await flow.issue_link(sim.rt, seedmod.STAFF_B)
        await redeem(english, issued.url)
        html = await (await english.get(f"/c/{seeded.b}/repairs")).text()
    finally:
        await english.close()
    assert '<option value="9">Building 9</option>' in html and "· Building 9" in html


def test_building_label_in_each_language() -> None:
    from bot import i18n
    from bot.dashboard_text import Labels

    assert Labels(i18n.translator("zh_Hans")).building_name("1") == "1号楼"
    assert Labels(i18n.translator("zh_Hant")).building_name("1") == "1號樓"
    assert Labels(i18n.translator("en")).building_name("1") == "Building 1"
    assert Labels(i18n.translator("en")).building_name("") == ""


async def test_street_overview_kept_briefly_rights_checked_every_time(
    sim: Simulator, seeded: seedmod.Seeded
) -> None:
    first = await flow.street_page(sim.rt, ADMIN.id)
    assert first is not None
    await sim.rt.db.execute("UPDATE communities SET name = '改了名' WHERE id = ?", (seeded.a,))
    kept = await flow.street_page(sim.rt, ADMIN.id)
    assert kept is not None and [c.name for c in kept] == [c.name for c in first]
    assert await flow.street_page(sim.rt, seedmod.STAFF_A) is None  # warm, and still refused
    await sim.advance(timedelta(seconds=flow.STREET_TTL + 1))
    fresh = await flow.street_page(sim.rt, ADMIN.id)
    assert fresh is not None and "改了名" in [c.name for c in fresh]
