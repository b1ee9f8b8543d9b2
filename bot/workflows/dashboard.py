"""Workflows of the web dashboard: signing in (a /dashboard link or the Mini App's signed
initData), sessions, and each page's figures for one person and one community.

Every read checks the person's rights here (bot/dashboard.py `decide`, from the same roles the
chat uses) and writes the access to the audit log; the web layer (bot/dashboard_web.py) only
renders what it gets. No Telegram, no HTTP here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot import dashboard as rules
from bot import dashboard_auth as auth
from bot import dashboard_gate as gate
from bot import menu as menu_rules
from bot.community import Role
from bot.runtime import Runtime
from storage import community as cstore
from storage import dashboard as store
from storage import menu as mstore
from storage.db import Row

TOUCH_EVERY = 60  # seconds: a session's idle clock is written at most once a minute


# ---- who may use the dashboard -----------------------------------------------------------------
async def access(rt: Runtime, user_id: int, community_id: int) -> rules.Access | None:
    rd = await gate.reader(rt.db)
    if await cstore.get_community(rd, community_id) is None:
        return None
    roles = await cstore.roles_of(rd, user_id, community_id)
    mine = await cstore.buildings_of(rd, community_id, user_id) if Role.GRID_WORKER in roles else []
    return rules.decide(
        community_id, roles, admin=rt.is_admin(user_id), grid_buildings=mine, user_id=user_id
    )


async def communities(rt: Runtime, user_id: int) -> list[tuple[Row, rules.Access]]:
    """The communities this person may open, each with their view of it."""
    rd = await gate.reader(rt.db)
    rows = (
        await cstore.list_communities(rd)
        if rt.is_admin(user_id)
        else await cstore.communities_of(rd, user_id)
    )
    found = []
    for row in rows:
        seen = await access(rt, user_id, row["id"])
        if seen is not None:
            found.append((row, seen))
    return found


async def may_use(rt: Runtime, user_id: int) -> bool:
    return bool(await communities(rt, user_id))


# ---- signing in --------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkIssued:
    url: str = ""
    webapp_url: str = ""  # a Mini App button is offered only on an https public address
    refused: str = ""  # "off": no dashboard configured; "role": not staff or grid worker


async def issue_link(rt: Runtime, user_id: int) -> LinkIssued:
    if not rt.config.dashboard:
        return LinkIssued(refused="off")
    if not await may_use(rt, user_id):
        await cstore.audit(rt.db, None, user_id, "dashboard_refused", "link")
        return LinkIssued(refused="role")
    now = rt.clock.seconds()
    expires = int(now) + auth.LINK_TTL
    token = auth.new_link_token(rt.config.token, user_id, expires)
    async with rt.db.transaction() as tx:
        await store.forget_old_links(tx, now - 86400)
        await store.add_link(tx, auth.token_hash(token), user_id, now, expires)
        await cstore.audit(tx, None, user_id, "dashboard_link")
    base = rt.config.dashboard_base
    webapp = base + "/" if base.startswith("https://") else ""
    return LinkIssued(url=f"{base}/login?t={token}", webapp_url=webapp)


@dataclass(frozen=True)
class SignedIn:
    session: str  # the cookie's value (only its hash is stored)
    user_id: int


async def _new_session(rt: Runtime, user_id: int, via: str, tx: Any) -> SignedIn:
    session = auth.new_session_id()
    now = rt.clock.seconds()
    await store.forget_old_sessions(tx, now - auth.SESSION_MAX)
    await store.add_session(tx, auth.token_hash(session), user_id, via, now)
    await cstore.audit(tx, None, user_id, "dashboard_sign_in", via)
    return SignedIn(session, user_id)


async def redeem_link(rt: Runtime, token: str) -> SignedIn | None:
    """A /dashboard link opened: signed in once, by the person it was made for, in time."""
    parsed = auth.parse_link_token(token)
    if parsed is None:
        await log_anonymous(rt, "sign-in", "link malformed")
        return None
    digest = auth.token_hash(token)
    now = rt.clock.seconds()
    unknown, user_id = False, 0
    async with rt.db.transaction() as tx:
        link = await store.get_link(tx, digest)
        if link is None or not auth.check_link_token(token, rt.config.token, link["user_id"]):
            unknown = True
        elif link["used_at"] is not None or link["expires_at"] <= now:
            why = "link reused" if link["used_at"] is not None else "link expired"
            await cstore.audit(tx, None, link["user_id"], "dashboard_refused", why)
            return None
        elif not await store.use_link(tx, digest, now):
            return None
        else:
            user_id = int(link["user_id"])
    if unknown:
        await log_anonymous(rt, "sign-in", "link unknown")
        return None
    if not await may_use(rt, user_id):  # the role was revoked since the link was sent
        await cstore.audit(rt.db, None, user_id, "dashboard_refused", "no role")
        return None
    async with rt.db.transaction() as tx:
        return await _new_session(rt, user_id, "link", tx)


async def sign_in_webapp(rt: Runtime, init_data: str) -> SignedIn | None:
    user = auth.verify_init_data(init_data, rt.config.token, rt.clock.seconds())
    if user is None:
        await log_anonymous(rt, "mini app", "initData")
        return None
    if not await may_use(rt, user.id):
        await cstore.audit(rt.db, None, user.id, "dashboard_refused", "no role")
        return None
    async with rt.db.transaction() as tx:
        return await _new_session(rt, user.id, "webapp", tx)


async def session_user(rt: Runtime, session: str) -> int | None:
    """The person of a live session (idle less than SESSION_IDLE, younger than SESSION_MAX)."""
    if not session or len(session) > 100:
        return None
    digest = auth.token_hash(session)
    row = await store.get_session(await gate.reader(rt.db), digest)
    now = rt.clock.seconds()
    if row is None:
        return None
    longest = auth.WEBAPP_SESSION_MAX if row["via"] == "webapp" else auth.SESSION_MAX
    if now - row["seen_at"] > auth.SESSION_IDLE or now - row["created_at"] > longest:
        await store.end_session(rt.db, digest, now)
        return None
    if now - row["seen_at"] > TOUCH_EVERY:
        await store.touch_session(rt.db, digest, now)
    return int(row["user_id"])


async def sign_out(rt: Runtime, session: str) -> None:
    user_id = await session_user(rt, session)
    await store.end_session(rt.db, auth.token_hash(session), rt.clock.seconds())
    if user_id is not None:
        await cstore.audit(rt.db, None, user_id, "dashboard_sign_out")


async def log_access(rt: Runtime, user_id: int, community_id: int | None, what: str) -> None:
    await cstore.audit(rt.db, community_id, user_id, "dashboard_view", what)


async def log_refusal(
    rt: Runtime, user_id: int | None, community_id: int | None, what: str
) -> None:
    await cstore.audit(rt.db, community_id, user_id, "dashboard_refused", what)


# Requests without a session (a download answering 401, a page sending to sign in) are logged
# too, but at most one row a minute: the first in the minute, later ones counted and named in
# the next row, so a script hammering the server cannot flood the audit log.
ANON_LOG_EVERY = 60.0  # seconds
_ANON = "dashboard_anonymous"


async def log_anonymous(rt: Runtime, what: str, reason: str = "no session") -> None:
    """A refusal of nobody in particular (no session, a malformed or unknown link, forged
    initData): at most one audit row a minute, naming how many were held back, so a script
    cannot flood the log."""
    now = rt.clock.seconds()
    since, held = rt.cache.get(_ANON, (None, 0))
    if since is not None and 0 <= now - since < ANON_LOG_EVERY:
        rt.cache[_ANON] = (since, held + 1)
        return
    rt.cache[_ANON] = (now, 0)
    more = f" (+{held} more without a session before)" if held else ""
    await cstore.audit(rt.db, None, None, "dashboard_refused", f"{reason}: {what}{more}")


# ---- menu rounds -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Missing:
    building: str
    unit: str
    room: str
    names: tuple[str, ...]


@dataclass
class RoundView:
    round: Row
    results: menu_rules.Results
    turnout: list[rules.Turnout]
    missing: dict[str, list[Missing]]  # only the buildings whose names this viewer may see
    # (the counts of households not yet ordered are in `turnout`: of the real number)
    comments: list[Row]
    # Buildings with households not yet ordered whose names this viewer may not see: the
    # page says these are counts only, and only where that is so.
    hidden: list[str] = field(default_factory=list)


async def round_view(rt: Runtime, seen: rules.Access, round_row: Row) -> RoundView:
    cid = seen.community_id
    rd = await gate.reader(rt.db)
    results = await mstore.results(rd, round_row["id"], cid)
    real = await cstore.building_households(rd, cid)
    rows = await store.households_without_order(rd, round_row["id"], cid)
    grouped: dict[int, list[Row]] = {}
    for r in rows:
        grouped.setdefault(r["id"], []).append(r)
    listed: dict[str, int] = {}  # registered households without an order, per building
    missing: dict[str, list[Missing]] = {}
    for members in grouped.values():
        h = members[0]
        listed[h["building"]] = listed.get(h["building"], 0) + 1
        if seen.names_for(h["building"]):
            names = tuple(m["display_name"] or m["first_name"] for m in members)
            missing.setdefault(h["building"], []).append(
                Missing(h["building"], h["unit"], h["room"], names)
            )
    table = rules.turnout(
        {b.building: b.participants for b in results.buildings},
        {b.building: b.registered for b in results.buildings},
        real,
        listed,
    )
    comments = await mstore.comments(rd, round_row["id"]) if seen.staff else []
    hidden = [t.building for t in table if t.missing and not seen.names_for(t.building)]
    return RoundView(round_row, results, table, missing, comments, hidden)


async def menu_page(rt: Runtime, seen: rules.Access, round_id: int | None) -> list[RoundView]:
    rd = await gate.reader(rt.db)
    rounds = [r for r in await store.rounds(rd, seen.community_id) if r["status"] != "draft"]
    if round_id is not None:
        rounds = [r for r in rounds if r["id"] == round_id]
    return [await round_view(rt, seen, r) for r in rounds[:3]]


# ---- repairs -----------------------------------------------------------------------------------
@dataclass
class RepairsView:
    tickets: list[dict[str, Any]]  # after the filter
    # Of the filtered tickets, as the board below them (the boxes read 未完成 3 beside a
    # board filtered to one building's 1).
    stats: rules.TicketStats
    weeks: list[rules.Week]
    buildings: list[str]
    assignees: list[tuple[int, str]]


async def repairs_page(rt: Runtime, seen: rules.Access, f: rules.TicketFilter) -> RepairsView:
    now = rt.clock.seconds()
    rows = [dict(r) for r in await store.tickets(await gate.reader(rt.db), seen.community_id)]
    mine = [t for t in rows if seen.ticket_visible(t)]
    shown = [t for t in mine if rules.matches(t, f, now)]
    for t in shown:
        t["overdue"] = rules.is_overdue(t, now)
    assignees = sorted(
        {(t["assignee_id"], t["assignee_name"] or "") for t in mine if t["assignee_id"]},
        key=lambda a: a[1],
    )
    return RepairsView(
        shown,
        rules.ticket_stats(shown, now),
        rules.weekly(shown, now, rt.config.tz),
        sorted({t["building"] for t in mine if t["building"]}, key=rules.building_sort_key),
        assignees,
    )


# ---- care visits and notices -------------------------------------------------------------------
@dataclass
class CareView:
    alerts: list[dict[str, Any]]
    people: int
    paused: int


async def care_page(rt: Runtime, seen: rules.Access) -> CareView:
    rd = await gate.reader(rt.db)
    counts = await store.care_counts(rd, seen.community_id)
    now = rt.clock.seconds()
    alerts = [dict(r) for r in await store.care_alerts(rd, seen.community_id, now)]
    for a in alerts:
        a["status"] = rules.care_status(a["status"], a["due_at"], now)
    return CareView(
        alerts,
        int(counts["people"] or 0) if counts else 0,
        int(counts["paused"] or 0) if counts else 0,
    )


@dataclass
class Delivery:
    id: int
    text: str
    kind: str  # "notice", "meeting", "announcement"
    status: str
    sent: int = 0
    failed: int = 0  # blocked or failed
    pending: int = 0  # claimed, not confirmed
    runs: int = 0  # occurrences (notices) that went out
    acks: int | None = None
    rsvp: dict[str, int] = field(default_factory=dict)


def _tally(rows: list[Row], d: Delivery) -> Delivery:
    keys = set()
    for r in rows:
        keys.add(r["send_key"])
        n = int(r["n"])
        if r["status"] == "sent":
            d.sent += n
        elif r["status"] in ("blocked", "failed"):
            d.failed += n
        else:
            d.pending += n
    d.runs = len(keys)
    return d


async def notices_page(rt: Runtime, seen: rules.Access) -> list[Delivery]:
    rd = await gate.reader(rt.db)
    found: list[Delivery] = []
    for n in await store.notices(rd, seen.community_id):
        d = Delivery(n["id"], n["text"], "meeting" if n["is_meeting"] else "notice", n["status"])
        _tally(await store.send_counts(rd, f"n{n['id']}:main:"), d)
        if n["is_meeting"]:
            d.rsvp = {r["answer"]: int(r["n"]) for r in await store.rsvp_counts(rd, n["id"])}
        found.append(d)
    for a in await store.announcements(rd, seen.community_id):
        d = Delivery(a["id"], a["text"], "announcement", a["status"])
        # The announcement's own key only ('an12'), not its report ('an12:report').
        rows = [
            r
            for r in await store.send_counts(rd, f"an{a['id']}")
            if r["send_key"] == f"an{a['id']}"
        ]
        _tally(rows, d)
        d.acks = int(a["acks"]) if a["ack"] else None
        if a["buildings"]:
            d.text = f"[{'、'.join(json.loads(a['buildings']))}] {d.text}"
        found.append(d)
    return found


# ---- the street office: every community side by side --------------------------------------------
@dataclass
class CommunityLine:
    id: int
    name: str
    registered: int
    round_id: int | None
    turnout: float | None
    households: int | None  # the number the turnout is of: real where set, else registered
    open_tickets: int
    overdue: int
    resolve_hours: float | None
    rating: float | None
    care_alerts: int


# The street's overview is the heaviest page (a dozen reads per community) and the same for
# every admin (figures only, no names): kept this long, per process. Rights are checked first,
# on every request; the access is logged by the caller every time.
STREET_TTL = 15.0  # seconds
_STREET = "dashboard_street"


async def street_page(rt: Runtime, user_id: int) -> list[CommunityLine] | None:
    if not rt.is_admin(user_id):
        return None
    now = rt.clock.seconds()
    kept = rt.cache.get(_STREET)
    if kept is not None and 0 <= now - kept[0] < STREET_TTL:
        return list(kept[1])
    lines = await _street_lines(rt, now)
    rt.cache[_STREET] = (now, tuple(lines))
    return lines


async def _street_lines(rt: Runtime, now: float) -> list[CommunityLine]:
    rd = await gate.reader(rt.db)
    lines = []
    for c in await cstore.list_communities(rd):
        stats = rules.ticket_stats([dict(t) for t in await store.tickets(rd, c["id"])], now)
        rounds = [r for r in await store.rounds(rd, c["id"], 3) if r["status"] != "draft"]
        share: float | None = None
        base: int | None = None
        if rounds:
            # Only the share: no households-without-order list (names), which the street's
            # overview never shows and which costs a row per household.
            results = await mstore.results(rd, rounds[0]["id"], c["id"])
            table = rules.turnout(
                {b.building: b.participants for b in results.buildings},
                {b.building: b.registered for b in results.buildings},
                await cstore.building_households(rd, c["id"]),
                {},
            )
            total = rules.turnout_total(table)
            share, base = total.share, total.households
        lines.append(
            CommunityLine(
                c["id"],
                c["name"],
                await cstore.count_households(rd, c["id"]),
                rounds[0]["id"] if rounds else None,
                share,
                base,
                stats.open,
                stats.overdue,
                stats.resolve_hours,
                stats.rating,
                len(await store.care_alerts(rd, c["id"], now)),
            )
        )
    return lines
