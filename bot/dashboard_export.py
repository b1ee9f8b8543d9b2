"""The dashboard's tables as export sheets (bot/export.py): the same rows the pages show, for
the same viewer (names of households not yet ordered only where the page shows them).

Every header and every coded value goes through the catalogue in the viewer's language;
counts and shares are numbers (a share is a fraction the workbook formats as a percentage),
times are local dates and times, not text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot import dashboard as rules
from bot.care import VISIT_STATUS_NAMES
from bot.community import Address
from bot.dashboard_text import Labels
from bot.export import PERCENT, Cell, Sheet
from bot.i18n import Translate
from bot.repairs import category
from bot.workflows.dashboard import CareView, CommunityLine, Delivery, RepairsView, RoundView


def when(at: float | None, tz: ZoneInfo) -> str:
    """A time as the pages show it."""
    moment = local_time(at, tz)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def local_time(at: float | None, tz: ZoneInfo) -> datetime | None:
    """A time for a spreadsheet cell: local wall time (spreadsheets know no time zones)."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).astimezone(tz).replace(tzinfo=None)


def status_name(_: Translate, status: str) -> str:
    """A ticket's status in the viewer's language: the board, the print page and the export."""
    return _(rules.status_label(status))


def visit_status_name(_: Translate, status: str) -> str:
    """A care visit's status, as the chat names it (bot/care.py)."""
    name = VISIT_STATUS_NAMES.get(status)
    return _(name) if name else status


def category_name(_: Translate, key: str) -> str:
    cat = category(key)
    return _(cat.name) if cat else key


def share(value: float) -> float:
    return round(value, 4)


def round_sheets(_: Translate, L: Labels, view: RoundView) -> list[Sheet]:
    """The round's four tables. Sheet names are short ("第 1 轮 排名": Excel cuts names at 31
    characters, mid-word in English); the full title is the caption row."""
    n = view.round["id"]
    title = L.round.format(n=n)
    short = L.round_short.format(n=n)
    total = rules.turnout_total(view.turnout)
    ranking = Sheet(
        f"{short} {L.ranking}",
        [L.ranking, L.item, L.households, L.share],
        [[i.rank, L.item_name(i.name), i.households, share(i.share)] for i in view.results.items],
        caption=f"{title} · {L.ranking}",
        formats={3: PERCENT},
    )
    rows: list[list[Cell]] = [
        [
            L.building_name(t.building),
            t.ordered,
            t.households,
            share(t.share),
            t.missing,
            source(L.real_total if t.real else L.registered_total),
        ]
        for t in view.turnout
    ]
    # The page's 合计 line: the buildings' own sums.
    rows.append([L.sum, total.ordered, total.households, share(total.share), total.missing, ""])
    turnout = Sheet(
        f"{short} {L.missing}",
        [L.building, L.ordered, L.total, L.share, L.missing, L.total_source],
        rows,
        caption=f"{title} · {L.turnout}",
        formats={3: PERCENT},
    )
    missing = Sheet(
        f"{short} {L.names}",
        [L.building, L.unit, L.room, L.names],
        [
            [L.building_name(m.building), m.unit, m.room, L.list_sep.join(m.names)]
            for rows in view.missing.values()
            for m in rows
        ],
        caption=f"{title} · {L.missing_names}: {L.missing_caption}",
    )
    comments = Sheet(
        f"{short} {L.suggestion}",
        [L.item, L.comments],
        [
            [L.item_name(c["item_name"]) if c["item_name"] else L.suggestion, c["text"]]
            for c in view.comments
        ],
        caption=f"{title} · {L.comments}",
    )
    return [ranking, turnout, missing, comments]


def source(note: str) -> str:
    """ "（实际户数）" as a cell: without its brackets."""
    return note.strip("（）() ")


def ticket_sheet(_: Translate, L: Labels, view: RepairsView, tz: ZoneInfo) -> Sheet:
    return Sheet(
        L.tickets,
        [
            "#",
            L.category,
            L.building,
            L.place,
            L.description,
            L.status,
            L.assignee,
            L.overdue,
            L.rating,
            L.created,
            L.accepted,
            L.resolved_at,
        ],
        [
            [
                t["id"],
                category_name(_, t["category"]),
                L.building_name(t["building"]),
                t["place"] or "",
                t["description"],
                status_name(_, t["status"]),
                t["assignee_name"] or "",
                L.yes if t.get("overdue") else "",
                t["rating"],
                local_time(t["created_at"], tz),
                local_time(t["accepted_at"], tz),
                local_time(t["resolved_at"], tz),
            ]
            for t in view.tickets
        ],
    )


def week_sheet(L: Labels, view: RepairsView) -> Sheet:
    return Sheet(
        L.trend,
        [L.week_start, L.filed, L.resolved],
        [[date(w.start.year, w.start.month, w.start.day), w.filed, w.resolved] for w in view.weeks],
    )


def care_sheet(_: Translate, L: Labels, view: CareView, tz: ZoneInfo) -> Sheet:
    return Sheet(
        L.care_alerts,
        [L.status, L.care_person, L.address, L.due, L.note, L.taken],
        [
            [
                visit_status_name(_, a["status"]),
                a["name"],
                Address(a["building"], a["unit"], a["room"]).label(_),
                local_time(a["due_at"], tz),
                a["note"] or "",
                a["taken_name"] or (L.no_taker if a["status"] == "help" else ""),
            ]
            for a in view.alerts
        ],
        caption=L.care_help,
    )


def delivery_sheet(L: Labels, rows: list[Delivery]) -> Sheet:
    return Sheet(
        L.notices,
        ["#", L.kind, L.text, L.runs, L.sent, L.failed, L.pending, L.acks],
        [
            [
                d.id,
                getattr(L, d.kind),
                d.text[:200],
                d.runs,
                d.sent,
                d.failed,
                d.pending,
                d.acks,
            ]
            for d in rows
        ],
    )


def street_sheet(L: Labels, lines: list[CommunityLine]) -> Sheet:
    return Sheet(
        L.street,
        [
            L.community,
            L.round_no,
            L.latest_turnout,
            L.rate_base,
            L.registered,
            L.open_tickets,
            L.overdue,
            L.resolve_hours,
            L.rating,
            L.care_alerts,
        ],
        [
            [
                c.name,
                "" if c.round_id is None else L.round.format(n=c.round_id),
                None if c.turnout is None else share(c.turnout),
                c.households,
                c.registered,
                c.open_tickets,
                c.overdue,
                c.resolve_hours,
                c.rating,
                c.care_alerts,
            ]
            for c in lines
        ],
        caption=L.street_note,
        formats={2: PERCENT},
    )
