"""Pure rules of the web dashboard: who sees what, turnout against the real number of
households, the repair board's filters and figures, weekly trends, and SVG bar charts.

No SQL, no web framework: bot/workflows/dashboard.py fills these from the database and
bot/dashboard_web.py renders them. The rights are the chat's: staff (and bot admins) see
their community whole; a grid worker sees the menu turnout, with the names of households not
yet ordered only for the buildings they answer for (the grid chart), and the tickets of those
buildings; volunteers and residents see nothing here.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.care import OVERDUE_AFTER as CARE_OVERDUE_AFTER
from bot.community import Role
from bot.menu import ItemResult, percent
from bot.repairs import OPEN, Status
from bot.repairs import status_name as repair_status_name

SECTIONS = ("menu", "repairs", "care", "notices")


@dataclass(frozen=True)
class Access:
    """One person's view of one community."""

    community_id: int
    staff: bool  # staff of the community or a bot admin: everything
    grid_buildings: frozenset[str] = frozenset()
    user_id: int | None = None  # a grid worker: the tickets assigned to them show too

    def may_see(self, section: str) -> bool:
        if self.staff:
            return True
        return section in ("menu", "repairs")

    def names_for(self, building: str) -> bool:
        """Names and rooms of a building's households: staff, and that building's grid worker."""
        return self.staff or building in self.grid_buildings

    def ticket_visible(self, ticket: Mapping[str, object]) -> bool:
        """As in the chat (bot/workflows/repairs_access.py): staff; the grid worker of the
        ticket's building, or of the reporter's own building for a common area; and whoever
        it is assigned to (/tasks), wherever it is. The board shows no reporter's identity."""
        if self.staff:
            return True
        if self.user_id is not None and ticket.get("assignee_id") == self.user_id:
            return True
        building = ticket.get("building") or ticket.get("home_building")
        return isinstance(building, str) and building in self.grid_buildings

    @property
    def may_export(self) -> bool:
        return self.staff


def decide(
    community_id: int,
    roles: Iterable[str],
    *,
    admin: bool,
    grid_buildings: Iterable[str] = (),
    user_id: int | None = None,
) -> Access | None:
    """The Access of a person with these roles in the community, or None: refused."""
    held = set(roles)
    if admin or Role.STAFF in held:
        return Access(community_id, True)
    if Role.GRID_WORKER in held:
        return Access(community_id, False, frozenset(grid_buildings), user_id)
    return None


# ---- turnout -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Turnout:
    building: str
    ordered: int  # households that ordered
    households: int  # the real number (building_households) or else the registered ones
    real: bool  # households is staff's real figure
    listed: int = 0  # registered households not yet ordered: the ones a name list can show

    @property
    def missing(self) -> int:
        """Households not yet ordered: of the real number where staff set it (a building of
        10 homes with 2 registered and none ordered has 10 missing, not 2)."""
        return max(0, self.households - self.ordered)

    @property
    def share(self) -> float:
        return self.ordered / self.households if self.households else 0.0


def building_sort_key(building: str) -> tuple[int, str]:
    digits = "".join(ch for ch in building if ch.isdigit())
    return (int(digits) if digits and len(digits) < 10 else 10**9, building)


def turnout(
    participants: Mapping[str, int],
    registered: Mapping[str, int],
    real: Mapping[str, int],
    listed: Mapping[str, int],
) -> list[Turnout]:
    """Per building: ordered households against the real number where staff set it, else
    against the registered households (the chat's fallback)."""
    buildings = set(participants) | set(registered) | set(real) | set(listed)
    rows = []
    for b in sorted(buildings, key=building_sort_key):
        has_real = real.get(b, 0) > 0
        total = real[b] if has_real else registered.get(b, 0)
        ordered = participants.get(b, 0)
        rows.append(Turnout(b, ordered, max(total, ordered), has_real, listed.get(b, 0)))
    return rows


@dataclass(frozen=True)
class TurnoutTotal:
    ordered: int
    households: int
    missing: int

    @property
    def share(self) -> float:
        return self.ordered / self.households if self.households else 0.0


def turnout_total(rows: Sequence[Turnout]) -> TurnoutTotal:
    """The community's figure: the buildings' own sums, so it never disagrees with them."""
    return TurnoutTotal(
        sum(t.ordered for t in rows), sum(t.households for t in rows), sum(t.missing for t in rows)
    )


# ---- care visits -------------------------------------------------------------------------------
def care_status(status: str, due_at: float, now: float) -> str:
    """A visit's status as the chat would have it now: the chat marks a visit not recorded a
    day after its day overdue (bot/care.py OVERDUE_AFTER, a job), so one still 'pending' past
    that is overdue here too, whether or not the job ran yet (a visit 9 days late read 待走访
    beside one 4 days late as 逾期未记录). Within that day it is still to visit."""
    if status == "pending" and now >= due_at + CARE_OVERDUE_AFTER.total_seconds():
        return "overdue"
    return status


# ---- repair tickets ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TicketFilter:
    building: str = ""
    category: str = ""
    assignee: str = ""  # a user id, or "none" for tickets nobody took
    overdue: bool = False
    words: str = ""

    @property
    def active(self) -> bool:
        return bool(self.building or self.category or self.assignee or self.overdue or self.words)


def is_overdue(ticket: Mapping[str, object], now: float) -> bool:
    due = ticket.get("due_at")
    return ticket.get("status") in OPEN and isinstance(due, int | float) and now > due


def matches(ticket: Mapping[str, object], f: TicketFilter, now: float) -> bool:
    if f.building and ticket.get("building") != f.building:
        return False
    if f.category and ticket.get("category") != f.category:
        return False
    if f.assignee == "none" and ticket.get("assignee_id") is not None:
        return False
    if f.assignee and f.assignee != "none" and str(ticket.get("assignee_id")) != f.assignee:
        return False
    if f.overdue and not is_overdue(ticket, now):
        return False
    if f.words:
        hay = " ".join(
            str(ticket.get(k) or "") for k in ("description", "place", "building", "id")
        ).casefold()
        if not all(w in hay for w in f.words.casefold().split()):
            return False
    return True


def status_label(status: object) -> str:
    """The msgid naming a ticket's status: the board's columns, the export, the print page and
    the chat all use this one (bot/repairs.py STATUS_NAMES)."""
    return repair_status_name(str(status))


# One column a status, so a ticket stands under the same name the export gives it.
BOARD_COLUMNS: tuple[Status, ...] = tuple(Status)


def board(tickets: Sequence[Mapping[str, object]]) -> list[tuple[str, list[Mapping[str, object]]]]:
    """Tickets by status column (the label is a msgid), in the order given."""
    return [
        (status_label(status), [t for t in tickets if t.get("status") == status])
        for status in BOARD_COLUMNS
    ]


@dataclass(frozen=True)
class TicketStats:
    total: int
    open: int
    overdue: int
    accept_hours: float | None  # median time from filing to accepting
    resolve_hours: float | None  # median time from filing to resolving
    rating: float | None  # mean of the ratings given
    ratings: int


def _median_hours(spans: list[float]) -> float | None:
    return round(statistics.median(spans) / 3600, 1) if spans else None


def ticket_stats(tickets: Sequence[Mapping[str, object]], now: float) -> TicketStats:
    accept: list[float] = []
    resolve: list[float] = []
    ratings: list[int] = []
    for t in tickets:
        created = t.get("created_at")
        if not isinstance(created, int | float):
            continue
        accepted, resolved, rating = t.get("accepted_at"), t.get("resolved_at"), t.get("rating")
        if isinstance(accepted, int | float):
            accept.append(max(0.0, accepted - created))
        if isinstance(resolved, int | float):
            resolve.append(max(0.0, resolved - created))
        if isinstance(rating, int):
            ratings.append(rating)
    return TicketStats(
        total=len(tickets),
        open=sum(1 for t in tickets if t.get("status") in OPEN),
        overdue=sum(1 for t in tickets if is_overdue(t, now)),
        accept_hours=_median_hours(accept),
        resolve_hours=_median_hours(resolve),
        rating=round(statistics.fmean(ratings), 1) if ratings else None,
        ratings=len(ratings),
    )


@dataclass(frozen=True)
class Week:
    start: datetime  # Monday, local time
    filed: int
    resolved: int


def weekly(
    tickets: Sequence[Mapping[str, object]], now: float, tz: ZoneInfo, weeks: int = 8
) -> list[Week]:
    """Tickets filed and resolved per week (Monday to Sunday, local time), the last `weeks`."""
    today = datetime.fromtimestamp(now, UTC).astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    filed: Counter[object] = Counter()
    resolved: Counter[object] = Counter()
    for t in tickets:
        for key, counter in (("created_at", filed), ("resolved_at", resolved)):
            at = t.get(key)
            if isinstance(at, int | float):
                day = datetime.fromtimestamp(at, UTC).astimezone(tz).date()
                counter[day - timedelta(days=day.weekday())] += 1
    return [
        Week(datetime(d.year, d.month, d.day, tzinfo=tz), filed[d], resolved[d]) for d in starts
    ]


# ---- charts ------------------------------------------------------------------------------------
FONT = "'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei','PingFang SC',sans-serif"
# Chart type in CSS pixels, the page's own large size: the SVG has no viewBox, so nothing in it
# scales with the screen (a 540-wide drawing stretched to a desktop made 35px type and shrunk
# to a phone 11px). Each bar takes the chart's whole width under its label line, the figure
# right-aligned on that line: the drawing fits any width without a layout of its own.
FONT_PX = 18
ROOM = 320.0  # px: the narrowest chart (a 360px phone); a label leaves the figure room there
_ROW = 62  # px a bar: label line, bar, second bar, gap


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the figure, at the right end of the label line
    tone: str = "a"  # a: main colour, b: second series / muted
    second: float | None = None  # a second series, drawn as a thinner grey bar beneath


@dataclass
class BarChart:
    """Horizontal bars, one per row: crisp at any size, readable with large type on a phone."""

    title: str
    bars: list[Bar] = field(default_factory=list)
    maximum: float | None = None

    def svg(self) -> str:
        font = FONT_PX
        step = font + 6  # px a further label line
        # A label too long for its line next to the figure wraps onto a second line of the
        # chart's whole width (clipped only past that); the full text stays in a <title>.
        lines = [
            label_lines(b.label, font, max(4 * font, ROOM - text_width(b.text, font) - font))
            for b in self.bars
        ]
        height = sum(_ROW + step * (len(ls) - 1) for ls in lines) or _ROW
        height += 4
        values = [b.value for b in self.bars] + [b.second or 0 for b in self.bars]
        peak = self.maximum or max(values, default=0) or 1
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" '
            f'role="img" aria-label="{escape(self.title)}" class="chart" '
            f'font-family="{FONT}" font-size="{font}px">',
            f"<title>{escape(self.title)}</title>",
        ]
        y = 0
        for b, ls in zip(self.bars, lines, strict=True):
            base = y + font + 2  # the first label line's baseline
            colour = "#c0392b" if b.tone == "a" else "#7f8c8d"
            high = 22 if b.second is None else 16
            share = 100 * min(b.value, peak) / peak if b.value > 0 else 0.0
            out.append(f"<g><title>{escape(b.label)} {escape(b.text)}</title>")
            for k, line in enumerate(ls):
                out.append(f'<text x="0" y="{base + k * step}">{escape(line)}</text>')
            out.append(f'<text x="100%" y="{base}" text-anchor="end">{escape(b.text)}</text>')
            base += step * (len(ls) - 1)
            out.append(
                f'<rect x="0" y="{base + 8}" width="{max(share, 0.6) if share else 0:.1f}%" '
                f'height="{high}" rx="4" fill="{colour}"/>'
            )
            if b.second is not None:
                second = 100 * min(b.second, peak) / peak if b.second > 0 else 0.0
                out.append(
                    f'<rect x="0" y="{base + 8 + high + 3}" '
                    f'width="{max(second, 0.6) if second else 0:.1f}%" height="10" rx="3" '
                    f'fill="#7f8c8d"/>'
                )
            out.append("</g>")
            y += _ROW + step * (len(ls) - 1)
        out.append("</svg>")
        return "".join(out)


def label_lines(text: str, font: float, first: float) -> list[str]:
    """A label as one line if it fits `first` px (the room left of the figure), else two: as
    much as fits there (broken at a space where there is one) and the rest on a line of the
    chart's whole width, clipped with … only past that."""
    if text_width(text, font) <= first:
        return [text]
    cut = len(text)
    while cut > 1 and text_width(text[:cut], font) > first:
        cut -= 1
    space = text.rfind(" ", 0, cut + 1)
    if space > 0:
        cut = space
    head, rest = text[:cut].rstrip(), text[cut:].lstrip()
    return [head, clip_label(rest, font, ROOM)] if rest else [head]


def text_width(text: str, font: float) -> float:
    """Rough drawn width: CJK and full-width characters a full em, the rest about 0.6 em."""
    return sum(font if ord(ch) > 0x2E80 else font * 0.6 for ch in text)


def clip_label(text: str, font: float, limit: float) -> str:
    if text_width(text, font) <= limit:
        return text
    while text and text_width(text + "…", font) > limit:
        text = text[:-1]
    return text + "…"


def ranking_chart(title: str, items: Sequence[ItemResult], name: Callable[[str], str] = str) -> str:
    """A round's ranking: one bar per item (named by `name`: in the reader's language),
    households and share at its end."""
    bars = [
        Bar(f"{i.rank}. {name(i.name)}", i.households, f"{i.households} · {percent(i.share)}")
        for i in items
    ]
    return BarChart(title, bars).svg()


def turnout_chart(title: str, rows: Sequence[Turnout], name: Callable[[str], str] = str) -> str:
    """One bar a building, named by `name` (the chat's label: 1号楼)."""
    bars = [
        Bar(name(t.building), t.share, f"{t.ordered}/{t.households} · {percent(t.share)}")
        for t in rows
    ]
    return BarChart(title, bars, 1.0).svg()


class StreetLine(Protocol):
    name: str
    round_id: int | None
    turnout: float | None
    open_tickets: int
    overdue: int


def street_charts(
    turnout_title: str,
    tickets_title: str,
    overdue: str,
    lines: Sequence[StreetLine],
    round_name: Callable[[int], str] = str,
) -> tuple[str, str]:
    """The street office's two charts: latest turnout (naming the round it is of) and open
    tickets, one bar a community."""
    shares = [
        Bar(
            c.name,
            c.turnout or 0,
            "–"
            if c.turnout is None or c.round_id is None
            else f"{round_name(c.round_id)} · {percent(c.turnout)}",
        )
        for c in lines
    ]
    tickets = [
        Bar(c.name, c.open_tickets, f"{c.open_tickets} ({overdue} {c.overdue})") for c in lines
    ]
    return BarChart(turnout_title, shares, 1.0).svg(), BarChart(tickets_title, tickets).svg()
