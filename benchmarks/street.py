"""A simulated street: communities, their groups, households, residents and roles.

Seeded straight into SQLite (setup, not measured); the bot then runs on that file as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks import target
from bot.offline.fakeapi import FakeBotAPI
from bot.offline.simulator import Simulator

ADMIN_ID = 1
STAFF_BASE = 10_000
GRID_BASE = 20_000
VOLUNTEER_BASE = 30_000
RESIDENT_BASE = 2_000_000
GROUP_BASE = -1_000_000_000
GRID_WORKERS_PER_COMMUNITY = 5


@dataclass
class Street:
    communities: list[int] = field(default_factory=list)
    groups: dict[int, int] = field(default_factory=dict)  # community → group chat id
    residents: list[tuple[int, int, str]] = field(
        default_factory=list
    )  # (user, community, building)
    staff: dict[int, int] = field(default_factory=dict)  # community → staff user id
    volunteers: dict[int, list[int]] = field(default_factory=dict)


def layout(households_per_community: int) -> list[tuple[str, str, str]]:
    """(building, unit, room) for one community: 4 units, 6 floors, 2 rooms per floor."""
    out: list[tuple[str, str, str]] = []
    building = 1
    while len(out) < households_per_community:
        for unit in range(1, 5):
            for floor in range(1, 7):
                for door in (1, 2):
                    out.append((str(building), str(unit), f"{floor}0{door}"))
        building += 1
    return out[:households_per_community]


def seed(path: str, communities: int, households: int) -> Street:
    """Fill a migrated database file; one resident per household."""
    street = Street()
    per = households // communities
    conn = target.connect_sync(path)
    try:
        with conn:
            for c in range(1, communities + 1):
                conn.execute("INSERT INTO communities (id, name) VALUES (?, ?)", (c, f"第{c}社区"))
                chat = GROUP_BASE - c
                conn.execute(
                    "INSERT INTO groups (chat_id, community_id, title, linked_by) "
                    "VALUES (?, ?, ?, ?)",
                    (chat, c, f"第{c}社区居民群", ADMIN_ID),
                )
                street.communities.append(c)
                street.groups[c] = chat
                staff = STAFF_BASE + c
                street.staff[c] = staff
                people = [(staff, f"工作人员{c}", f"staff{c}")]
                roles = [(c, staff, "staff", ADMIN_ID)]
                buildings = sorted({b for b, _, _ in layout(per)}, key=int)
                grid = []
                for g in range(GRID_WORKERS_PER_COMMUNITY):
                    gid = GRID_BASE + c * 100 + g
                    people.append((gid, f"网格员{c}-{g}", f"grid{c}_{g}"))
                    roles.append((c, gid, "grid_worker", staff))
                    grid += [(c, b, gid) for b in buildings[g::GRID_WORKERS_PER_COMMUNITY]]
                vols = [VOLUNTEER_BASE + c * 100 + v for v in range(3)]
                street.volunteers[c] = vols
                for v in vols:
                    people.append((v, f"志愿者{v}", f"vol{v}"))
                    roles.append((c, v, "volunteer", staff))
                conn.executemany(
                    "INSERT INTO users (id, first_name, username, tg_lang, started) "
                    "VALUES (?, ?, ?, 'zh-hans', 1)",
                    people,
                )
                conn.executemany(
                    "INSERT INTO roles (community_id, user_id, role, granted_by) "
                    "VALUES (?, ?, ?, ?)",
                    roles,
                )
                conn.executemany(
                    "INSERT INTO volunteer_skills (community_id, user_id, skill) "
                    "VALUES (?, ?, '维修')",
                    [(c, v) for v in vols],
                )
                conn.executemany(
                    "INSERT INTO grid_buildings (community_id, building, user_id) VALUES (?, ?, ?)",
                    grid,
                )
                homes = layout(per)
                first = conn.execute("SELECT coalesce(max(id), 0) FROM households").fetchone()[0]
                conn.executemany(
                    "INSERT INTO households (id, community_id, building, unit, room)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(first + i + 1, c, b, u, r) for i, (b, u, r) in enumerate(homes)],
                )
                users = []
                residents = []
                for i, (b, _u, _r) in enumerate(homes):
                    uid = RESIDENT_BASE + first + i + 1
                    users.append((uid, f"居民{uid}", None))
                    residents.append((uid, c, first + i + 1, f"居民{uid}"))
                    street.residents.append((uid, c, b))
                conn.executemany(
                    "INSERT INTO users (id, first_name, username, tg_lang, started) "
                    "VALUES (?, ?, ?, 'zh-hans', 1)",
                    users,
                )
                conn.executemany(
                    "INSERT INTO residents (user_id, community_id, household_id, "
                    "display_name) VALUES (?, ?, ?, ?)",
                    residents,
                )
    finally:
        conn.close()
    return street


async def street_simulator(
    path: str,
    communities: int,
    households: int,
    *,
    rate_limited: bool = False,
    api: FakeBotAPI | None = None,
) -> tuple[Simulator, Street]:
    """Migrate, seed, and start a Simulator (real Application, FakeBotAPI) on `path` (or on
    PostgreSQL: benchmarks/target.py)."""
    path = target.database(path)
    sim = Simulator(path, admins=(ADMIN_ID,), rate_limited=rate_limited, freeze_gc=True, api=api)
    await sim.start()
    await sim.stop()  # the schema exists now; seed with plain sqlite3, then start for real
    street = seed(path, communities, households)
    await sim.start()
    for c, chat in street.groups.items():
        sim.api.register_chat({"id": chat, "type": "supergroup", "title": f"第{c}社区居民群"})
    return sim, street
