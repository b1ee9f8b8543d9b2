"""Fixtures: a started Simulator on a temp SQLite file, and a cast of residents.

With TEST_DATABASE_URL=postgresql://… every test gets a fresh schema on that server instead
(`db_path` is then a URL); tests that need the SQLite file itself are marked `sqlite_only`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Person, Simulator

ADMIN = Person(1, "街道管理员", "street_admin")
STAFF = Person(10, "孙晓军", "sun_staff")
GRID = Person(20, "李网格", "li_grid")
VOLUNTEER = Person(30, "张志愿", "zhang_vol")
WANG = Person(101, "王阿姨", "wang_ayi")
LIU = Person(102, "刘大爷", "liu_dy")
WANG_SON = Person(103, "王小明", "wang_xm")
CHEN = Person(104, "陳先生", "chen_hk", language_code="zh-hant")
ALICE = Person(105, "Alice", "alice", language_code="en")
STRANGER = Person(999, "路人", "passerby")
PEOPLE = (ADMIN, STAFF, GRID, VOLUNTEER, WANG, LIU, WANG_SON, CHEN, ALICE, STRANGER)
GROUP_ID = -1001
OTHER_GROUP_ID = -1002


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = bool(TEST_DATABASE_URL)
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="about the SQLite file itself")


def schema_url(base: str, schema: str) -> str:
    """The URL of `base` with every connection's search_path set to `schema`."""
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[str]:
    if not ON_POSTGRES:
        yield str(tmp_path / "community.db")
        return
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(TEST_DATABASE_URL, schema)
    finally:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


async def table_names(db: Any) -> list[str]:
    """The tables of the test's database, by name (sqlite_master or information_schema)."""
    if getattr(db, "kind", "sqlite") == "postgresql":
        sql = (
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    return [str(r["name"]) for r in await db.fetchall(sql)]


# ---- privacy guard: nothing personal is ever sent to a group -------------------------------------
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
# Seven digits and more: a phone number cut short or with an area code ("1391234…").
LONG_NUMBER = re.compile(r"(?<![\d#])\d{7,}(?!\d)")


def _call_texts(call: ApiCall) -> Iterator[str]:
    """Every human-visible string of one Bot API call: text, caption, button texts, poll."""
    for key in ("text", "caption", "question"):
        value = call.params.get(key)
        if value:
            yield str(value)
    for row in call.buttons:
        for button in row:
            if button.get("text"):
                yield str(button["text"])
    options = call.params.get("options")
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except ValueError:
            options = [options]
    if isinstance(options, list):
        for option in options:
            yield str(option.get("text", "")) if isinstance(option, dict) else str(option)
    media = call.params.get("media")
    if isinstance(media, str):
        try:
            media = json.loads(media)
        except ValueError:
            media = []
    if isinstance(media, list):
        for item in media:
            if isinstance(item, dict) and item.get("caption"):
                yield str(item["caption"])


async def personal_patterns(sim: Simulator) -> list[tuple[str, re.Pattern[str]]]:
    """Room numbers of registered residents and of households that handed in a paper menu
    order, and names of anonymous repair reporters."""
    db = sim.rt.db
    found: list[tuple[str, re.Pattern[str]]] = [
        ("phone number", PHONE),
        ("long number (a phone?)", LONG_NUMBER),
    ]
    rows = await db.fetchall(
        "SELECT DISTINCT h.building, h.unit, h.room FROM households h "
        "WHERE h.id IN (SELECT household_id FROM residents "
        "UNION SELECT household_id FROM menu_orders)"
    )
    for row in rows:
        b, u, room = (re.escape(str(row[k])) for k in ("building", "unit", "room"))
        for pattern in (
            rf"{room}\s*室",
            rf"{u}\s*单元\s*{room}(?!\d)",
            rf"(?<!\d){b}\s*-\s*{u}\s*-\s*{room}(?!\d)",
            rf"{b}\s*(?:号楼|栋|幢)\s*{u}\s*单元\s*{room}",
        ):
            found.append(
                (f"room {row['building']}-{row['unit']}-{row['room']}", re.compile(pattern))
            )
    phones = await db.fetchall(
        "SELECT phone FROM residents WHERE phone IS NOT NULL AND phone != ''"
    )
    for row in phones:
        found.append(("registered phone", re.compile(re.escape(str(row["phone"])))))
    names = await db.fetchall(
        "SELECT DISTINCT u.first_name AS name FROM repair_tickets t "
        "JOIN users u ON u.id = t.reporter_id WHERE t.show_identity = 0 "
        "UNION SELECT DISTINCT r.display_name FROM repair_tickets t "
        "JOIN residents r ON r.user_id = t.reporter_id AND r.community_id = t.community_id "
        "WHERE t.show_identity = 0"
    )
    for row in names:
        name = str(row["name"] or "").strip()
        if len(name) >= 2:
            found.append((f"anonymous reporter {name}", re.compile(re.escape(name))))
    # A ticket's description is the resident's own words (a name, a phone, a room):
    # it is never written in a group, whoever filed it.
    for row in await db.fetchall("SELECT id, description FROM repair_tickets"):
        text = str(row["description"] or "").strip()
        if len(text) >= 6:
            found.append((f"description of #{row['id']}", re.compile(re.escape(text[:30]))))
    return found


def group_leaks(calls: list[ApiCall], patterns: list[tuple[str, re.Pattern[str]]]) -> list[str]:
    leaks: list[str] = []
    for call in calls:
        chat_id = call.chat_id
        if chat_id is None or chat_id >= 0:
            continue
        for text in _call_texts(call):
            for what, pattern in patterns:
                if pattern.search(text):
                    leaks.append(f"{call.method} to {chat_id}: {what} in {text[:200]!r}")
    return leaks


async def assert_no_personal_data_in_groups(sim: Simulator) -> None:
    if sim.app is None:
        return
    leaks = group_leaks(sim.api.calls, await personal_patterns(sim))
    assert not leaks, "personal data sent to a group:\n" + "\n".join(leaks)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage()[:2000])


@contextmanager
def errors_logged(level: int = logging.ERROR) -> Iterator[list[str]]:
    """Every ERROR logged meanwhile (the error handler logs each exception that escaped)."""
    handler = _Collect()
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


@pytest.fixture
async def sim(db_path: str, request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    simulator = Simulator(db_path, admins=(ADMIN.id,))
    await simulator.start()
    try:
        yield simulator
        # Workflows never hold a transaction across a Bot API call (the fake notes any).
        assert not simulator.api.in_transaction, "a Bot API call inside a database transaction"
        if "allow_group_pii" not in request.keywords:
            await assert_no_personal_data_in_groups(simulator)
    finally:
        await simulator.stop()


@pytest.fixture
def group(sim: Simulator) -> Chat:
    return sim.group(GROUP_ID, "锡林社区居民群")


async def say_hello(sim: Simulator, *people: Person) -> None:
    """People talk in private once, so the bot knows them (as in real life)."""
    for person in people:
        await sim.send(person, sim.private(person), "/help")


async def setup_community(sim: Simulator, group: Chat, name: str = "锡林社区") -> int:
    """Admin links the group, staff/grid/volunteer get their roles; returns community id."""
    await say_hello(sim, STAFF, GRID, VOLUNTEER)
    reply = await sim.send(ADMIN, group, f"/setup {name}")
    assert name in reply.text
    cid = int(await sim.rt.db.fetchval("SELECT id FROM communities WHERE name = ?", (name,)))
    await sim.send(ADMIN, group, f"/grant @{STAFF.username} 工作人员")
    await sim.send(STAFF, group, f"/grant @{GRID.username} 网格员")
    await sim.send(STAFF, group, f"/grid_assign @{GRID.username} 1-30")
    await sim.send(STAFF, group, f"/grant @{VOLUNTEER.username} 志愿者 维修,医疗服务")
    return cid


async def register(
    sim: Simulator,
    person: Person,
    address: str,
    name: str | None = None,
    community_id: int | None = None,
    *,
    approve: bool = True,
) -> None:
    """Full registration through the private conversation. Joining a household that has
    members waits for a member's 同意; with `approve` the first member asked presses it."""
    chat = sim.private(person)
    start = f"/start reg-{community_id}" if community_id else "/register"
    await sim.send(person, chat, start)
    reply = await sim.send(person, chat, address)
    if name:
        reply = await sim.send(person, chat, name)
    else:
        reply = await sim.press(person, reply, None, data="1|reg|samename")
    reply = await sim.press(person, reply, "✅")  # the confirm button, in any language
    assert "登记" in reply.text or "Regist" in reply.text or "登記" in reply.text, reply.text
    asks = [c for c in reply.calls if c.chat_id != person.id and c.buttons]
    if approve and asks:
        member = next(p for p in PEOPLE if p.id == asks[0].chat_id)
        answer = await sim.press(member, asks[0], None, data=asks[0].buttons[0][0]["callback_data"])
        assert answer.to(person.id), answer.texts


# ---- a connection left open must not hang the run -----------------------------------------------
# An unclosed aiosqlite connection keeps a non-daemon thread alive, and Python then waits for
# it for ever after the last test: CI would time out instead of reporting. Name the threads
# (a test forgot to close a database: fix that test) and end the process with pytest's status.
def pytest_unconfigure(config: pytest.Config) -> None:
    left = [
        t
        for t in threading.enumerate()
        if t is not threading.main_thread() and not t.daemon and t.is_alive()
    ]
    if not left:
        return
    names = ", ".join(t.name for t in left)
    print(f"\nwarning: threads left running after the tests (unclosed database?): {names}")
    status = getattr(config, "_exit_status", 0)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(status))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._exit_status = exitstatus  # type: ignore[attr-defined]
