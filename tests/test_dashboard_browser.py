"""The dashboard in a real browser: Playwright drives the distribution's Chromium
(/usr/bin/chromium, installed by .ci/browser.sh) against the dashboard served on a real port.
Signs in through the Mini App signature (a Telegram.WebApp stub carrying signed initData) and
through a /dashboard link, checks what each role sees and may not see, and saves the
screenshots the README shows (docs/screenshots/)."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web

from bot import dashboard_auth as auth
from bot.dashboard_web import make_app
from bot.offline import dashboard_seed as seedmod
from bot.offline.simulator import FAKE_TOKEN, Simulator
from bot.workflows import dashboard as flow

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"no browser: {CHROMIUM} is missing (install Debian's chromium, see .ci/browser.sh)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(sim: Simulator) -> AsyncIterator[tuple[str, seedmod.Seeded]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url=base)
    seeded = await seedmod.seed(sim.rt)
    runner = web.AppRunner(make_app(sim.rt), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield base, seeded
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


async def new_page(browser: Any, *, phone: bool = True) -> Any:
    size = {"width": 412, "height": 915} if phone else {"width": 1280, "height": 900}
    context = await browser.new_context(viewport=size, locale="zh-CN", device_scale_factor=1)
    # Nothing leaves the machine: telegram.org is answered by the test (a stub, or nothing).
    await context.route(
        TELEGRAM_JS, lambda route: route.fulfill(body="", content_type="text/javascript")
    )
    return await context.new_page()


async def open_link(page: Any, url: str) -> None:
    """Open a /dashboard link: its page's form signs in (POST) at once; wait until it has."""
    await page.goto(url)
    await page.wait_for_selector("#redeem", state="detached")
    await page.wait_for_load_state()


async def link_page(sim: Simulator, browser: Any, user_id: int, *, phone: bool = True) -> Any:
    issued = await flow.issue_link(sim.rt, user_id)
    page = await new_page(browser, phone=phone)
    await open_link(page, issued.url)
    return page


def signed_init_data(user_id: int, now: float, token: str = FAKE_TOKEN) -> str:
    fields = {
        "auth_date": str(int(now)),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "孙晓军", "language_code": "zh-hans"}),
    }
    fields["hash"] = auth.sign_init_data(fields, token)
    return urlencode(fields)


async def mini_app_page(browser: Any, base: str, init_data: str) -> Any:
    page = await new_page(browser)
    stub = (
        "window.Telegram = {WebApp: {initData: "
        + json.dumps(init_data)
        + ", ready: function () {}, expand: function () {}}};"
    )
    await page.context.route(
        TELEGRAM_JS, lambda route: route.fulfill(body=stub, content_type="text/javascript")
    )
    await page.goto(base + "/")
    return page


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / name), full_page=True)


async def test_mini_app_sign_in_shows_own_community(
    sim: Simulator, served: tuple[str, seedmod.Seeded], browser: Any
) -> None:
    base, seeded = served
    page = await mini_app_page(
        browser, base, signed_init_data(seedmod.STAFF_A, sim.clock.seconds())
    )
    await page.wait_for_url(f"**/c/{seeded.a}/menu")
    body = await page.inner_text("body")
    assert "加装电梯" in body and "各楼参与率" in body and "刘大爷" in body
    assert await page.locator("svg.chart").count() >= 2
    await shot(page, "menu-mini-app.png")
    # Nothing kept in the browser that a shared phone would leak.
    assert await page.evaluate("window.localStorage.length") == 0
    cookies = await page.context.cookies()
    assert [c["httpOnly"] for c in cookies] == [True]
    assert all(c["sameSite"] == "Strict" for c in cookies)
    # Another community's id in the URL: refused, nothing shown.
    await page.goto(f"{base}/c/{seeded.b}/repairs")
    body = await page.inner_text("body")
    assert "您没有查看这一页的权限" in body and "路面坑洼" not in body and "和平社区" not in body


CHART_TEXT = """() => Array.from(document.querySelectorAll('svg.chart text')).map(t => {
  const box = t.getBoundingClientRect();
  const svg = t.ownerSVGElement.getBoundingClientRect();
  return {size: parseFloat(getComputedStyle(t).fontSize), height: box.height,
          left: box.left - svg.left, right: svg.right - box.right};
})"""


async def test_chart_type_keeps_its_size_on_phone_and_desktop(
    sim: Simulator, served: tuple[str, seedmod.Seeded], browser: Any
) -> None:
    """The charts' type is the page's large type on every screen, and no label leaves the
    drawing (the 540-wide drawing scaled to 35px on a desktop and 11px on a phone)."""
    base, _seeded = served
    for phone in (True, False):
        page = await link_page(sim, browser, seedmod.ADMIN_ID, phone=phone)
        for path in ("/street", f"/c/{_seeded.a}/menu", f"/c/{_seeded.a}/repairs"):
            await page.goto(base + path)
            texts = await page.evaluate(CHART_TEXT)
            assert texts, path
            for t in texts:
                assert t["size"] == 18, (phone, path, t)
                assert 14 <= t["height"] <= 30, (phone, path, t)
                assert t["left"] >= -0.5 and t["right"] >= -0.5, (phone, path, t)


async def test_forged_mini_app_shows_nothing(
    sim: Simulator, served: tuple[str, seedmod.Seeded], browser: Any
) -> None:
    base, seeded = served
    forged = signed_init_data(seedmod.STAFF_A, sim.clock.seconds(), token="1:" + "X" * 35)
    page = await mini_app_page(browser, base, forged)
    await page.wait_for_selector("#failed", state="visible")
    await page.goto(f"{base}/c/{seeded.a}/menu")
    assert "加装电梯" not in await page.inner_text("body")


async def test_link_sign_in_staff_repairs_board_and_filters(
    sim: Simulator, served: tuple[str, seedmod.Seeded], browser: Any
) -> None:
    base, seeded = served
    page = await link_page(sim, browser, seedmod.STAFF_A, phone=False)
    assert "/login" not in page.url  # the token left the address bar
    await page.goto(f"{base}/c/{seeded.a}/repairs")
    body = await page.inner_text("body")
    assert "楼道水管漏水" in body and "每周趋势" in body
    await shot(page, "repairs-board.png")
    await page.select_option("select[name=building]", "2")
    await page.click("form.filters button[type=submit]")
    body = await page.inner_text(".board")
    assert "路灯不亮" in body and "楼道水管漏水" not in body
    await page.goto(f"{base}/c/{seeded.a}/care")
    assert "需要帮助" in await page.inner_text("body")
    await shot(page, "care.png")
    await page.goto(f"{base}/c/{seeded.a}/print")
    await page.emulate_media(media="print")
    assert not await page.locator("nav.tabs").is_visible()
    await shot(page, "print.png")


async def test_link_reused_is_refused(
    sim: Simulator, served: tuple[str, seedmod.Seeded], browser: Any
) -> None:
    base, seeded = served
    issued = await flow.issue_link(sim.rt, seedmod.STAFF_A)
    first = await new_page(browser)
    await open_link(first, issued.url)
    assert "加装电梯" in await first.inner_text("body")
    second = await new_page(browser)
    await open_link(second, issued.url)
    assert "已过期或已用过" in await second.inner_text("body")
    await second.goto(f"{base}/c/{seeded.a}/menu")
    assert "加装电梯" not in await second.inner_text("body")


async def test_grid_worker_sees_names_of_own_building_only(
    sim: Simulator, served: tuple[str, seedmod.Seeded], browser: Any
) -> None:
    base, seeded = served
    page = await link_page(sim, browser, seedmod.GRID_A)
    body = await page.inner_text("body")
    assert "刘大爷" in body  # building 1 is theirs
    assert "孙阿婆" not in body and "吴奶奶" not in body and "晚上施工" not in body
    assert "名单只给本楼网格员" in body
    links = await page.locator("nav.tabs a").all_inner_texts()
    assert "关爱走访" not in links and "打印会议材料" not in links
    await shot(page, "menu-grid-worker.png")
    await page.goto(f"{base}/c/{seeded.a}/care")
    assert "高奶奶" not in await page.inner_text("body")


async def test_admin_sees_communities_side_by_side(
    sim: Simulator, served: tuple[str, seedmod.Seeded], browser: Any
) -> None:
    base, _seeded = served
    page = await link_page(sim, browser, seedmod.ADMIN_ID, phone=False)
    await page.click("text=街道总览")
    body = await page.inner_text("body")
    assert "锡林社区" in body and "和平社区" in body
    await shot(page, "street.png")
    await page.click("text=退出")
    await page.goto(f"{base}/street")
    assert "和平社区" not in await page.inner_text("body")


NARROW = """() => {
  const heads = Array.from(document.querySelectorAll('table.grid th')).map(th => ({
    text: th.innerText, width: th.getBoundingClientRect().width,
    size: parseFloat(getComputedStyle(th).fontSize)}));
  return {scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth,
          view: window.innerWidth, heads: heads};
}"""


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_phone_pages_never_wider_than_the_screen(
    sim: Simulator, served: tuple[str, seedmod.Seeded], browser: Any, lang: str
) -> None:
    """At 390 px every page fits the screen (wide tables scroll in their own box) and no
    header cell is squeezed below two characters (锡/林/社/区 read downwards)."""
    from storage import community as cstore

    base, seeded = served
    async with sim.rt.db.transaction() as tx:
        await cstore.set_user_lang(tx, seedmod.ADMIN_ID, lang)
    issued = await flow.issue_link(sim.rt, seedmod.ADMIN_ID)
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=1
    )
    await context.route(
        TELEGRAM_JS, lambda route: route.fulfill(body="", content_type="text/javascript")
    )
    page = await context.new_page()
    await open_link(page, issued.url)
    paths = ["/street"] + [
        f"/c/{seeded.a}/{s}" for s in ("menu", "repairs", "care", "notices", "print")
    ]
    for path in paths:
        await page.goto(base + path)
        got = await page.evaluate(NARROW)
        assert got["view"] == 390
        assert got["scroll"] <= got["view"] and got["body"] <= got["view"], (lang, path, got)
        for th in got["heads"]:
            assert th["width"] >= 2 * th["size"], (lang, path, th)
