"""The dashboard's tables as export sheets (bot/export.py): the same rows the pages show, for
the same viewer (names of households not yet ordered only where the page shows them)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import dashboard as rules
from bot.dashboard_text import Labels
from bot.export import Sheet
from bot.i18n import Translate
from bot.repairs import STATUS_NAMES, Status, category
from bot.workflows.dashboard import CareView, CommunityLine, Delivery, RepairsView, RoundView


def when(at: float | None, tz: ZoneInfo) -> str:
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def status_name(_: Translate, status: str) -> str:
    try:
        return _(STATUS_NAMES[Status(status)])
    except ValueError:
        return status


def category_name(_: Translate, key: str) -> str:
    cat = category(key)
    return _(cat.name) if cat else key


def round_sheets(_: Translate, L: Labels, view: RoundView) -> list[Sheet]:
    n = view.round["id"]
    title = L.round.format(n=n)
    ranking = Sheet(
        f"{title} {L.ranking}",
        [L.ranking, L.item, L.households, L.share],
        [[i.rank, i.name, i.households, rules.percent(i.share)] for i in view.results.items],
        caption=title,
    )
    turnout = Sheet(
        f"{title} {L.turnout}",
        [L.building, L.ordered, L.total, L.share, L.missing],
        [
            [t.building, t.ordered, t.households, rules.percent(t.share), t.missing]
            for t in view.turnout
        ],
        caption=title,
    )
    missing = Sheet(
        f"{title} {L.missing_names}",
        [L.building, "unit", "room", "names"],
        [
            [m.building, m.unit, m.room, "、".join(m.names)]
            for rows in view.missing.values()
            for m in rows
        ],
        caption=L.missing_hidden,
    )
    comments = Sheet(
        f"{title} {L.comments}",
        [L.item, L.comments],
        [[c["item_name"] or L.suggestion, c["text"]] for c in view.comments],
    )
    return [ranking, turnout, missing, comments]


def ticket_sheet(_: Translate, L: Labels, view: RepairsView, tz: ZoneInfo) -> Sheet:
    return Sheet(
        L.tickets,
        [
            "#",
            L.category,
            L.building,
            L.words,
            "status",
            L.assignee,
            L.overdue,
            L.rating,
            "created",
            "accepted",
            "resolved",
        ],
        [
            [
                t["id"],
                category_name(_, t["category"]),
                t["building"],
                t["description"],
                status_name(_, t["status"]),
                t["assignee_name"] or "",
                "✓" if t.get("overdue") else "",
                t["rating"] or "",
                when(t["created_at"], tz),
                when(t["accepted_at"], tz),
                when(t["resolved_at"], tz),
            ]
            for t in view.tickets
        ],
    )


def week_sheet(L: Labels, view: RepairsView) -> Sheet:
    return Sheet(
        L.trend,
        [L.week_of.format(date=""), L.filed, L.resolved],
        [[w.start.strftime("%Y-%m-%d"), w.filed, w.resolved] for w in view.weeks],
    )


def care_sheet(L: Labels, view: CareView, tz: ZoneInfo) -> Sheet:
    return Sheet(
        L.care_alerts,
        ["name", L.building, "unit", "room", L.due, "status", L.taken],
        [
            [
                a["name"],
                a["building"],
                a["unit"],
                a["room"],
                when(a["due_at"], tz),
                a["status"],
                a["taken_name"] or "",
            ]
            for a in view.alerts
        ],
    )


def delivery_sheet(L: Labels, rows: list[Delivery]) -> Sheet:
    return Sheet(
        L.notices,
        ["#", "kind", "text", L.runs, L.sent, L.failed, L.pending, L.acks],
        [
            [
                d.id,
                getattr(L, d.kind),
                d.text[:200],
                d.runs,
                d.sent,
                d.failed,
                d.pending,
                "" if d.acks is None else d.acks,
            ]
            for d in rows
        ],
    )


def street_sheet(L: Labels, lines: list[CommunityLine]) -> Sheet:
    return Sheet(
        L.street,
        [
            L.community,
            L.registered,
            L.latest_turnout,
            L.open_tickets,
            L.overdue,
            L.resolve_time,
            L.rating,
            L.care_alerts,
        ],
        [
            [
                c.name,
                c.registered,
                "" if c.turnout is None else rules.percent(c.turnout),
                c.open_tickets,
                c.overdue,
                "" if c.resolve_hours is None else c.resolve_hours,
                "" if c.rating is None else c.rating,
                c.care_alerts,
            ]
            for c in lines
        ],
    )
