"""Pure rules for repair statistics (/repair_stats): the numbers over the tickets filed in a
period (`bot/periods.py`). No Telegram, no SQL."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

OPEN = ("new", "assigned", "in_progress")


class TicketRow(Protocol):
    """A ticket row as storage returns it (sqlite3.Row or a dict): read by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass
class Group:
    """The numbers of one slice (a category, a building, or everything)."""

    filed: int = 0
    open: int = 0
    overdue: int = 0
    done: int = 0
    accept_hours: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    def add(self, t: TicketRow, now: float) -> None:
        self.filed += 1
        if t["status"] in OPEN:
            self.open += 1
            if t["due_at"] is not None and t["due_at"] < now:
                self.overdue += 1
        elif t["status"] in ("resolved", "confirmed"):
            self.done += 1
        if t["accepted_at"] is not None:
            self.accept_hours.append(max(0.0, (t["accepted_at"] - t["created_at"]) / 3600))
        if t["resolved_at"] is not None:
            self.resolve_hours.append(max(0.0, (t["resolved_at"] - t["created_at"]) / 3600))
        if t["rating"] is not None:
            self.ratings.append(int(t["rating"]))

    @property
    def rating(self) -> float | None:
        return round(statistics.fmean(self.ratings), 1) if self.ratings else None


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the time within which 9 in 10 were done."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)], 1)


@dataclass
class Stats:
    total: Group
    by_category: dict[str, Group]
    by_building: dict[str, Group]  # '' = common areas


def compute(tickets: Iterable[TicketRow], now: float) -> Stats:
    """Tickets merged into another are counted once, under the one they were merged into."""
    total = Group()
    by_category: dict[str, Group] = {}
    by_building: dict[str, Group] = {}
    for t in tickets:
        if t["merged_into"] is not None:
            continue
        total.add(t, now)
        by_category.setdefault(t["category"], Group()).add(t, now)
        by_building.setdefault(t["building"] or "", Group()).add(t, now)
    return Stats(total, by_category, dict(sorted(by_building.items(), key=_building_order)))


def _building_order(item: tuple[str, Group]) -> tuple[int, int, str]:
    name = item[0]
    return (name == "", int(name) if name.isdigit() else 0, name)
