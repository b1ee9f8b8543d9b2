"""The web dashboard's HTTP side (aiohttp), served by `community-bot run` on the bot's own
event loop: started after the runtime (bot/app.py start_runtime), stopped before the database
closes. Off unless DASHBOARD_PORT or DASHBOARD_URL is set.

Glue only, like handlers/: read the request, call one workflow (bot/workflows/dashboard.py),
which checks the person's rights and writes the audit log, render its result with Jinja
(autoescape on). Every response says `Cache-Control: no-store`; the session lives on the
server and in an HttpOnly browser-session cookie, never in the URL or in localStorage:
SameSite=Strict for the /dashboard link (a tab of its own); for the Mini App, which Telegram
Web shows in a frame of another site, SameSite=None; Secure; Partitioned on https (a cookie
kept only under that top-level site, so no other site can send it: CHIPS).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from aiohttp import web

from bot import dashboard as rules
from bot import dashboard_export as exporting
from bot import dashboard_gate as gate
from bot import export, i18n
from bot.community import Address
from bot.dashboard_auth import SESSION_IDLE
from bot.dashboard_text import Labels
from bot.numbers import parse_id
from bot.repairs import CATEGORIES
from bot.runtime import Runtime, get_runtime
from bot.workflows import dashboard as flow
from storage import community as cstore

log = logging.getLogger(__name__)

COOKIE = "cbd_session"  # signed in by a /dashboard link
APP_COOKIE = "cbd_app"  # signed in as a Mini App (maybe inside Telegram Web's frame)
PARTITIONED = "HttpOnly; Path=/; SameSite=None; Secure; Partitioned"
KEY = "dashboard_runner"
RT: web.AppKey[Runtime] = web.AppKey("rt", Runtime)
GATE: web.AppKey[gate.ChatFirst] = web.AppKey("gate", gate.ChatFirst)
SECTIONS = ("menu", "repairs", "care", "notices")
CSP = (
    "default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'self' https://web.telegram.org"
)

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("bot", "dashboard_templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_env.globals.update(
    percent=rules.percent,
    ranking_chart=rules.ranking_chart,
    turnout_chart=rules.turnout_chart,
    street_charts=rules.street_charts,
    turnout_total=rules.turnout_total,
    visit_status_name=exporting.visit_status_name,
    address=lambda _, a: Address(a["building"], a["unit"], a["room"]).label(_),
    OPEN=rules.OPEN,
)


def _static(name: str) -> bytes:
    return (resources.files("bot") / "dashboard_templates" / name).read_bytes()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def chat_first(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request except the static files takes its turn after the chat (bot/dashboard_gate.py):
    under load a page waits, the chat does not."""
    if request.path.startswith("/static/"):
        return await handler(request)
    async with request.app[GATE].turn():
        return await handler(request)


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    except Exception:  # logged here; the browser learns nothing about the inside
        log.exception("dashboard: %s %s failed", request.method, request.path)
        response = web.HTTPInternalServerError(text="500")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = CSP
    if isinstance(response, web.HTTPException):
        raise response
    return response


# ---- helpers -----------------------------------------------------------------------------------
async def language(rt: Runtime, user_id: int | None) -> str:
    if user_id is None:
        return i18n.DEFAULT_LANG
    row = await cstore.get_user(await gate.reader(rt.db), user_id)
    if row is not None and row["lang"] in i18n.LANGS:
        return str(row["lang"])
    return i18n.lang_from_telegram(row["tg_lang"] if row else None)


async def page(
    rt: Runtime, template: str, user_id: int | None, status: int = 200, **data: Any
) -> web.Response:
    lang = await language(rt, user_id)
    _ = i18n.translator(lang)
    html = _env.get_template(template).render(
        _=_,
        L=Labels(_),
        lang=lang.replace("_", "-"),
        signed_in=user_id is not None,
        idle_minutes=SESSION_IDLE // 60,
        **data,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def secure(rt: Runtime) -> bool:
    return rt.config.dashboard_base.startswith("https://")


def set_session(
    rt: Runtime, response: web.StreamResponse, session: str, *, webapp: bool = False
) -> None:
    # A browser-session cookie: closing the browser forgets it; the server ends it when idle.
    if webapp and secure(rt):
        # Inside Telegram Web the Mini App is a cross-site frame: a Strict (or Lax) cookie is
        # never sent there. None needs Secure; Partitioned keeps it to that embedding site.
        # Written by hand: Python's http.cookies knows "Partitioned" only from 3.14.
        response.headers.add("Set-Cookie", f"{APP_COOKIE}={session}; {PARTITIONED}")
        return
    name = APP_COOKIE if webapp else COOKIE
    response.set_cookie(
        name, session, httponly=True, secure=secure(rt), samesite="Strict", path="/"
    )


def session_of(request: web.Request) -> str:
    return request.cookies.get(COOKIE) or request.cookies.get(APP_COOKIE) or ""


async def viewer(request: web.Request) -> int | None:
    return await flow.session_user(request.app[RT], session_of(request))


async def refused(rt: Runtime, user_id: int | None, why: str) -> web.Response:
    return await page(rt, "refused.html", user_id, status=403, why=why)


def bare(status: int) -> web.Response:
    """The answer of a download (export) or data endpoint that is refused: a status and no page,
    so a script or a saved link never mistakes a sign-in page for its data."""
    return web.Response(status=status, text=str(status), content_type="text/plain")


async def community_access(
    request: web.Request, section: str, *, page_view: bool = True
) -> tuple[int, rules.Access] | web.Response:
    """The signed-in person and their rights in the community of the URL, or the refusal:
    a page sends a stranger to sign in; a download answers 401 (no session) or 403."""
    rt = request.app[RT]
    user_id = await viewer(request)
    if user_id is None:
        await flow.log_anonymous(rt, request.path[:100])
        if not page_view:
            return bare(401)
        raise web.HTTPSeeOther("/")
    cid = parse_id(request.match_info["cid"])
    seen = None if cid is None else await flow.access(rt, user_id, cid)
    allowed = seen is not None and seen.may_see(section)
    if allowed and not page_view and seen is not None:
        allowed = seen.may_export
    if seen is None or not allowed:
        # not a number SQLite can hold, another community, or not for this role
        await flow.log_refusal(rt, user_id, cid, section)
        return await refused(rt, user_id, "page") if page_view else bare(403)
    await flow.log_access(rt, user_id, cid, section)
    return user_id, seen


def ticket_filter(request: web.Request) -> rules.TicketFilter:
    q = request.query
    return rules.TicketFilter(
        building=q.get("building", "")[:30],
        category=q.get("category", "")[:20],
        assignee=q.get("assignee", "")[:20],
        overdue=q.get("overdue") == "1",
        words=q.get("q", "")[:60],
    )


def local(rt: Runtime, at: float | None) -> str:
    return exporting.when(at, rt.config.tz)


# ---- routes ------------------------------------------------------------------------------------
async def home(request: web.Request) -> web.StreamResponse:
    rt = request.app[RT]
    user_id = await viewer(request)
    if user_id is None:
        return await page(rt, "signin.html", None)
    mine = await flow.communities(rt, user_id)
    admin = rt.is_admin(user_id)
    if len(mine) == 1 and not admin:
        raise web.HTTPSeeOther(f"/c/{mine[0][0]['id']}/menu")
    await flow.log_access(rt, user_id, None, "home")
    return await page(rt, "home.html", user_id, communities=mine, admin=admin)


async def login_page(request: web.Request) -> web.StreamResponse:
    """The link from /dashboard: a page whose form (sent at once by the script) signs in.
    Opening it redeems nothing, so a HEAD request or a link previewer fetching the address
    cannot use up the single-use link before the person does."""
    rt = request.app[RT]
    token = request.query.get("t", "")[:200]
    if request.method == "HEAD":
        return web.Response(status=200, content_type="text/html")
    return await page(rt, "login.html", None, token=token)


def cross_site(request: web.Request) -> bool:
    """A sign-in posted by another site's page (login CSRF: someone's own link submitted from
    their page would sign the victim's browser in as them). Browsers say where a request comes
    from (Sec-Fetch-Site, else Origin); a request saying nothing (a script) is let through."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != request.host


async def login(request: web.Request) -> web.StreamResponse:
    rt = request.app[RT]
    if cross_site(request):
        await flow.log_anonymous(rt, "sign-in", "cross-site")
        return bare(403)
    form = await request.post()
    token = form.get("t", "")
    signed = await flow.redeem_link(rt, token if isinstance(token, str) else "")
    if signed is None:
        return await refused(rt, None, "link")
    response = web.HTTPSeeOther("/")  # the token leaves the address bar at once
    set_session(rt, response, signed.session)
    raise response


async def webapp_auth(request: web.Request) -> web.StreamResponse:
    rt = request.app[RT]
    if cross_site(request):
        await flow.log_anonymous(rt, "mini app", "cross-site")
        return web.json_response({"ok": False}, status=403)
    form = await request.post()
    init_data = form.get("initData", "")
    signed = await flow.sign_in_webapp(rt, init_data if isinstance(init_data, str) else "")
    if signed is None:
        return web.json_response({"ok": False}, status=403)
    response = web.json_response({"ok": True})
    set_session(rt, response, signed.session, webapp=True)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    rt = request.app[RT]
    for name in (COOKIE, APP_COOKIE):
        if request.cookies.get(name):
            await flow.sign_out(rt, request.cookies[name])
    response = web.HTTPSeeOther("/")
    response.del_cookie(COOKIE, path="/")
    if secure(rt):  # a partitioned cookie is only removed by one with the same attributes
        response.headers.add(
            "Set-Cookie",
            f'{APP_COOKIE}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; {PARTITIONED}',
        )
    else:
        response.del_cookie(APP_COOKIE, path="/")
    raise response


async def community(request: web.Request) -> web.StreamResponse:
    section = request.match_info.get("section", "menu")
    if section not in SECTIONS:
        raise web.HTTPNotFound()
    got = await community_access(request, section)
    if isinstance(got, web.Response):
        return got
    user_id, seen = got
    rt = request.app[RT]
    row = await cstore.get_community(await gate.reader(rt.db), seen.community_id)
    data: dict[str, Any] = {}
    if section == "menu":
        data["rounds"] = await flow.menu_page(rt, seen, None)
    elif section == "repairs":
        f = ticket_filter(request)
        view = await flow.repairs_page(rt, seen, f)
        data.update(
            view=view,
            f=f,
            query=request.query_string,
            columns=rules.board(view.tickets),
            categories=CATEGORIES,
            trend=trend_chart(Labels(i18n.translator(await language(rt, user_id))), view),
        )
    elif section == "care":
        data["care"] = await flow.care_page(rt, seen)
    else:
        data["deliveries"] = await flow.notices_page(rt, seen)
    return await page(
        rt,
        f"{section}.html",
        user_id,
        section=section,
        sections=[s for s in SECTIONS if seen.may_see(s)],
        community=row,
        seen=seen,
        local=lambda at: local(rt, at),
        category_name=exporting.category_name,
        status_name=exporting.status_name,
        handout=False,
        **data,
    )


def trend_chart(L: Labels, view: flow.RepairsView) -> str:
    chart = rules.BarChart(
        L.trend,
        [
            rules.Bar(
                w.start.strftime("%m-%d"),  # short: "Week of 03-23" left "Week o…"
                w.filed,
                f"{L.filed} {w.filed} · {L.resolved} {w.resolved}",
                second=w.resolved,
            )
            for w in view.weeks
        ],
    )
    return chart.svg()


async def print_page(request: web.Request) -> web.StreamResponse:
    got = await community_access(request, "print")
    if isinstance(got, web.Response):
        return got
    user_id, seen = got
    rt = request.app[RT]
    row = await cstore.get_community(await gate.reader(rt.db), seen.community_id)
    now = rt.clock.seconds()
    return await page(
        rt,
        "print.html",
        user_id,
        community=row,
        seen=seen,
        rounds=await flow.menu_page(rt, seen, None),
        view=await flow.repairs_page(rt, seen, rules.TicketFilter()),
        care=await flow.care_page(rt, seen),
        deliveries=await flow.notices_page(rt, seen),
        printed=local(rt, now),
        local=lambda at: local(rt, at),
        category_name=exporting.category_name,
        status_name=exporting.status_name,
        handout=True,
    )


async def export_table(request: web.Request) -> web.StreamResponse:
    got = await community_access(request, "export", page_view=False)
    if isinstance(got, web.Response):
        return got
    user_id, seen = got
    rt = request.app[RT]
    _ = i18n.translator(await language(rt, user_id))
    L = Labels(_)
    tz = rt.config.tz
    sheets: dict[str, export.Sheet] = {}
    for view in await flow.menu_page(rt, seen, None):
        for i, sheet in enumerate(exporting.round_sheets(_, L, view)):
            sheets[f"round{view.round['id']}_{i}"] = sheet
    repairs = await flow.repairs_page(rt, seen, ticket_filter(request))
    sheets["tickets"] = exporting.ticket_sheet(_, L, repairs, tz)
    sheets["weeks"] = exporting.week_sheet(L, repairs)
    sheets["care"] = exporting.care_sheet(_, L, await flow.care_page(rt, seen), tz)
    sheets["notices"] = exporting.delivery_sheet(L, await flow.notices_page(rt, seen))
    name, fmt = request.match_info["name"], request.match_info["fmt"]
    if fmt == "xlsx" and name == "all":
        body = await asyncio.to_thread(export.workbook, list(sheets.values()))
        return download(rt, body, XLSX, f"community{seen.community_id}_{name}.{fmt}")
    if fmt == "csv" and name in sheets:
        body = await asyncio.to_thread(csv_table, sheets[name])
        return download(rt, body, "text/csv", f"community{seen.community_id}_{name}.{fmt}")
    raise web.HTTPNotFound()


async def street(request: web.Request) -> web.StreamResponse:
    rt = request.app[RT]
    user_id = await viewer(request)
    fmt = request.match_info.get("fmt")
    if user_id is None:
        await flow.log_anonymous(rt, request.path[:100])
        if fmt is not None:
            return bare(401)
        raise web.HTTPSeeOther("/")
    lines = await flow.street_page(rt, user_id)
    if lines is None:
        await flow.log_refusal(rt, user_id, None, "street")
        return bare(403) if fmt is not None else await refused(rt, user_id, "page")
    await flow.log_access(rt, user_id, None, f"street export {fmt}" if fmt else "street")
    if fmt is None:
        return await page(rt, "street.html", user_id, lines=lines)
    _ = i18n.translator(await language(rt, user_id))
    sheet = exporting.street_sheet(Labels(_), lines)
    if fmt == "xlsx":
        body = await asyncio.to_thread(export.workbook, [sheet])
        return download(rt, body, XLSX, f"street.{fmt}")
    body = await asyncio.to_thread(csv_table, sheet)
    return download(rt, body, "text/csv", f"street.{fmt}")


def csv_table(sheet: export.Sheet) -> bytes:
    """Every dashboard CSV starts with its header row (a '# caption' line above some and not
    others broke imports); the caption stays in the workbook."""
    return export.csv_bytes(dataclasses.replace(sheet, caption=""))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(rt: Runtime, body: bytes, kind: str, name: str) -> web.Response:
    filename = f"{rt.clock.now().astimezone(rt.config.tz).strftime('%Y%m%d')}_{name}"
    return web.Response(
        body=body,
        content_type=kind,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    kinds = {"dashboard.css": "text/css", "dashboard.js": "application/javascript"}
    if name not in kinds:
        raise web.HTTPNotFound()
    return web.Response(body=_static(name), content_type=kinds[name], charset="utf-8")


def make_app(rt: Runtime, chat: Any = None) -> web.Application:
    """The dashboard for this runtime; `chat` (the bot's Application) is what it yields to."""
    app = web.Application(middlewares=[headers, chat_first], client_max_size=64 * 1024)
    app[RT] = rt
    app[GATE] = gate.ChatFirst(gate.chat_waiting(chat) if chat is not None else None)
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/auth/webapp", webapp_auth)
    app.router.add_post("/logout", logout)
    app.router.add_get("/street", street)
    app.router.add_get(r"/street/export.{fmt:csv|xlsx}", street)
    app.router.add_get(r"/c/{cid:\d+}", community)
    app.router.add_get(r"/c/{cid:\d+}/print", print_page)
    app.router.add_get(r"/c/{cid:\d+}/export/{name:[a-z0-9_]+}.{fmt:csv|xlsx}", export_table)
    app.router.add_get(r"/c/{cid:\d+}/{section:[a-z]+}", community)
    app.router.add_get(r"/static/{name}", static)
    return app


# ---- lifecycle ---------------------------------------------------------------------------------
async def start(source: Any) -> None:
    """Serve the dashboard on DASHBOARD_PORT, on the running loop (the bot's)."""
    rt = get_runtime(source)
    if not rt.config.dashboard or source.bot_data.get(KEY) is not None:
        return
    runner = web.AppRunner(make_app(rt, source), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host="127.0.0.1", port=rt.config.dashboard_port)
    await site.start()
    source.bot_data[KEY] = runner
    log.info(
        "dashboard on port %s, opened at %s", rt.config.dashboard_port, rt.config.dashboard_base
    )


async def stop(source: Any) -> None:
    runner = source.bot_data.pop(KEY, None)
    if runner is not None:
        await runner.cleanup()
