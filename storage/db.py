"""The SQLite connection: WAL, foreign keys, busy timeout, one writer at a time, migrations.

One aiosqlite connection is shared by the whole bot. aiosqlite already runs every statement
on one thread; the asyncio lock on top makes a transaction (BEGIN … COMMIT) exclusive, so a
statement of another coroutine can never slip into the middle of it.

Under concurrent update processing (bot/updates.py) that lock is what keeps transactions of
different chats apart: every statement takes it, plain reads too, so a read never sees another
chat's transaction half done (on one connection it would: SQLite isolates connections, not
coroutines sharing one). Small indexed reads may instead be `lookup`s: a second, read-only
connection on the event loop, which by the same isolation sees only committed data. A
transaction holds the lock from BEGIN to COMMIT, so it must never
wait for the network (workflows never send); `holding_database()` lets the offline fake Bot
API notice when one does.

Readers that must not compete with the chat for that lock (the web dashboard) use
`Database.reader()`: a second, read-only connection on its own thread; WAL lets it read beside
the writer.

`connect(target)` opens this for a file path, or storage/pg.py's PgDatabase (same methods) for
a postgresql:// URL; storage/dialect.py translates the SQL written here for SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from storage import dialect, startup

log = logging.getLogger(__name__)

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]

_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class _Hold:
    """One holding of a Database's lock (a statement or a whole transaction)."""

    __slots__ = ("db",)

    def __init__(self, db: Database) -> None:
        self.db = db


# The lock this task holds, to catch self-deadlocks early. A task started inside a transaction
# inherits the value; it counts only while that very holding lasts (`Database._holder`), so the
# task may use the database normally once the transaction is over.
_holding: contextvars.ContextVar[_Hold | None] = contextvars.ContextVar("_holding", default=None)


def holding_database() -> bool:
    """True while the running task (or the one it was started from) holds a database lock."""
    hold = _holding.get()
    return hold is not None and hold.db._holder is hold


class DatabaseError(RuntimeError):
    """The database cannot be used (newer schema, corrupt file); message says what to do."""


# SQLite errors that pass: another process holds the write lock, the disk is full, I/O
# hiccups. The statement's transaction was rolled back, so the user can simply try again.
_TEMPORARY = ("locked", "busy", "full", "disk i/o", "unable to open")


def is_temporary(exc: BaseException | None) -> bool:
    """An error that passes: nothing was saved, the person may simply try again."""
    if isinstance(exc, sqlite3.OperationalError):
        return any(word in str(exc).lower() for word in _TEMPORARY)
    if exc is not None and type(exc).__module__.startswith(("psycopg", "psycopg_pool")):
        from storage import pg  # only loaded when PostgreSQL is in use

        return pg.is_temporary(exc)
    return False


def connect(target: str | Path, *, migrate: bool = True) -> Database:
    """The bot's database: PostgreSQL for a postgresql:// URL, else the SQLite file at this
    path (created on first use: the zero-setup default). Call `open()` before use; it applies
    pending migrations unless `migrate` is False (a standby's lease connection: the schema is
    the active instance's business until this one holds the lease)."""
    db: Database
    if isinstance(target, str) and dialect.is_postgres_url(target):
        from storage.pg import PgDatabase

        db = PgDatabase(target)
    else:
        db = Database(target)
    db.migrate_on_open = migrate
    return db


class Executor(Protocol):
    """What storage functions need: a Database (auto-commit) or an open Transaction."""

    async def execute(self, sql: str, params: Params = ()) -> int: ...
    async def insert(self, sql: str, params: Params = ()) -> int: ...
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...
    async def fetchval(self, sql: str, params: Params = ()) -> Any: ...
    async def lookup(self, sql: str, params: Params = ()) -> Row | None: ...
    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]: ...


def _fetch_one(conn: sqlite3.Connection, sql: str, params: Params) -> Row | None:
    """Runs on aiosqlite's thread."""
    cur = conn.execute(sql, params)
    try:
        return cur.fetchone()
    finally:
        cur.close()


class _Statements:
    """Statement helpers over a raw connection; callers hold the lock."""

    _conn: aiosqlite.Connection

    async def _execute(self, sql: str, params: Params) -> aiosqlite.Cursor:
        return await self._conn.execute(sql, params)

    async def _rowcount(self, sql: str, params: Params) -> int:
        cur = await self._execute(sql, params)
        return cur.rowcount

    async def _inserted_id(self, sql: str, params: Params) -> int:
        """The new row's id by RETURNING (PostgreSQL has no lastrowid): every table we
        insert into through `insert` has an `id` key."""
        rows = await self._fetchall(sql.rstrip().rstrip(";") + " RETURNING id", params)
        return int(rows[0][0]) if rows else 0

    # Reads make one trip to aiosqlite's thread, not two (execute, then fetch): each trip is
    # a queue hand-off and a wake-up of the event loop, a large part of a short handler.
    async def _fetchone(self, sql: str, params: Params) -> Row | None:
        conn = self._conn
        return await conn._execute(_fetch_one, conn._conn, sql, params)

    async def _fetchall(self, sql: str, params: Params) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))


def _rowcount_of(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    cur = conn.execute(sql, params)
    try:
        return cur.rowcount
    finally:
        cur.close()


def _fetch_all(conn: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    return conn.execute(sql, params).fetchall()


def _execute_many(conn: sqlite3.Connection, sql: str, rows: list[Params]) -> None:
    conn.executemany(sql, rows).close()


def _begun(begin: str | None, fn: Callable[..., Any], conn: sqlite3.Connection, *args: Any) -> Any:
    """Runs on aiosqlite's thread: the transaction's BEGIN, if still due, then `fn`."""
    if begin is not None:
        conn.execute(begin).close()
    return fn(conn, *args)


def _write_batch(conn: sqlite3.Connection, groups: list[tuple[str, list[Params]]]) -> None:
    """Runs on aiosqlite's thread: all or nothing, like `Database.transaction`."""
    conn.execute("BEGIN IMMEDIATE").close()
    try:
        for sql, rows in groups:
            conn.executemany(sql, rows).close()
        conn.execute("COMMIT").close()
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK").close()
        raise


async def _uncancelled(call: Awaitable[Any]) -> Any:
    """Await a call on aiosqlite's thread to its end even when cancelled: the thread runs it
    anyway, and a BEGIN (or COMMIT) it runs after the caller gave up would leave the shared
    connection in a transaction that nobody rolls back (or roll back what just committed)."""
    task = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise


class Transaction(_Statements):
    """An open BEGIN IMMEDIATE … COMMIT; every statement of it runs without re-locking.

    `after_commit` holds in-memory changes that must only happen if the transaction commits
    (the scheduler queues its jobs there); a rollback drops them.

    BEGIN goes to the database thread together with the first statement (one trip, not two):
    nothing happens between entering the block and that statement that the database could see.
    """

    _db: Database | None = None  # whose fence every statement checks (COMMIT too)

    def __init__(self, conn: aiosqlite.Connection, begin: str | None = None) -> None:
        self._conn = conn
        self._begin = begin
        self.after_commit: list[Callable[[], None]] = []

    async def _trip(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._db is not None:
            self._db._check_fenced()  # an open transaction must not commit after the fence
        begin, self._begin = self._begin, None
        conn = self._conn
        call = conn._execute(_begun, begin, fn, conn._conn, *args)
        if begin is None:
            return await call
        return await _uncancelled(call)

    async def _rowcount(self, sql: str, params: Params) -> int:
        return int(await self._trip(_rowcount_of, sql, params))

    async def _fetchone(self, sql: str, params: Params) -> Row | None:
        row: Row | None = await self._trip(_fetch_one, sql, params)
        return row

    async def _fetchall(self, sql: str, params: Params) -> list[Row]:
        rows: list[Row] = await self._trip(_fetch_all, sql, params)
        return rows

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._rowcount(sql, params)

    async def insert(self, sql: str, params: Params = ()) -> int:
        return await self._inserted_id(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._trip(_execute_many, sql, list(rows))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._fetchall(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self._fetchone(sql, params)
        return None if row is None else row[0]

    # Inside a transaction a look-up must see the transaction's own writes: the tx connection.
    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        return await self.fetchone(sql, params)

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.fetchall(sql, params)


class Database(_Statements):
    """The bot's database on SQLite. Single statements auto-commit; use `transaction()` for
    several. storage.pg.PgDatabase gives the same methods on PostgreSQL (`connect`)."""

    kind = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._conn_: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._holder: _Hold | None = None
        self._reader: Reader | None = None
        self._reader_opening = asyncio.Lock()
        self.migrate_on_open = True
        self._fenced = False
        self._lookup_conn: sqlite3.Connection | None = None
        self._lookup_thread = 0
        self.lookups = 0  # look-ups answered on the event loop (tests count trips with it)

    @property
    def _conn(self) -> aiosqlite.Connection:  # type: ignore[override]
        if self._conn_ is None:
            raise DatabaseError("database is not open")
        return self._conn_

    async def open(self) -> None:
        if self._conn_ is not None:
            return
        try:
            await self._open()
        except (OSError, sqlite3.Error) as exc:
            # One line that names the real cause (read-only, permission, full, corrupt).
            reason = startup.explain(self.path, exc)
            if reason is None:
                raise
            raise DatabaseError(reason) from exc

    async def _open(self) -> None:
        if dialect.is_postgres_url(self.path):  # would become a directory named "postgresql:"
            raise DatabaseError("a postgresql:// URL is opened with storage.db.connect")
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing is left open.
        connecting = aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn = await connecting
        except BaseException:
            # aiosqlite's thread stops by itself; wait, or it reports to a closed event loop.
            thread = getattr(connecting, "_thread", None)
            if thread is not None and thread.is_alive():
                await asyncio.to_thread(thread.join, 5)
            raise
        conn.row_factory = sqlite3.Row
        self._conn_ = conn
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            await self._check_integrity()
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            if self.migrate_on_open:
                await migrate(conn)
        except BaseException:
            await conn.close()
            self._conn_ = None
            raise

    async def apply_migrations(self) -> int:
        """Apply pending migrations now (on a database opened with migrate=False)."""
        async with self._locked():
            return await migrate(self._conn)

    async def _check_integrity(self) -> None:
        # Only a file SQLite cannot read as a database is "corrupt"; a read-only file system
        # or a missing permission fails here too and is explained by `open`.
        row = await (await self._conn.execute("PRAGMA quick_check")).fetchone()
        if row is None or row[0] != "ok":
            raise DatabaseError(
                f"{self.path} failed its integrity check ({row[0] if row else '?'}); "
                + startup.BACKUP_HINT
            )

    async def reader(self) -> Executor:
        """A read-only connection of its own (its own aiosqlite thread, no share of the
        writer's lock), for readers that must never queue in front of or behind the chat's
        statements: the web dashboard. WAL lets it read beside the writer; it sees committed
        data only. An in-memory database has no second connection: it reads through this one."""
        if self.path == ":memory:":
            return self
        if self._reader is None:
            async with self._reader_opening:
                if self._reader is None:
                    self._reader = await Reader.open(self.path, self.busy_timeout_ms)
        return self._reader

    async def close(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()
        if self._lookup_conn is not None:
            lookup_conn, self._lookup_conn = self._lookup_conn, None
            # Made on another thread (close from elsewhere): sqlite3 refuses to close it
            # here; it only reads, and goes with its thread. The writer closes regardless.
            with contextlib.suppress(sqlite3.ProgrammingError):
                lookup_conn.close()
        if self._conn_ is not None:
            async with self._lock:
                await self._conn_.close()
                self._conn_ = None

    def fence(self) -> None:
        """Refuse every later statement (this instance lost the lease, bot/serve.py): an update
        cut short must not write, in a `finally`, under the next active instance."""
        self._fenced = True

    def _check_fenced(self) -> None:
        if self._fenced:
            raise DatabaseError("this instance lost the lease: it writes nothing more")

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        self._check_fenced()
        held = _holding.get()
        if held is not None and held is self._holder:
            # Waiting for the lock this task (or the one that started it) holds: a deadlock.
            raise RuntimeError("statement on Database inside its own transaction: use the tx")
        async with self._lock:
            hold = self._holder = _Hold(self)
            token = _holding.set(hold)
            try:
                yield
            finally:
                _holding.reset(token)
                self._holder = None

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._locked():
            return await self._rowcount(sql, params)

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self._locked():
            return await self._inserted_id(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._locked():
            return await self._fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._locked():
            return await self._fetchall(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def write_batch(self, groups: list[tuple[str, list[Params]]]) -> None:
        """Several writes committed together in one trip to the database thread (BEGIN, each
        statement over its rows, COMMIT): for writes that need no answer (persistence)."""
        async with self._locked():
            conn = self._conn
            await conn._execute(_write_batch, conn._conn, groups)

    # ---- look-ups on the event loop ----------------------------------------------------------
    # A point look-up by an index (a user, a role, a group, a resident) costs SQLite ~10 µs,
    # but a trip to aiosqlite's thread and back costs several times that (a queue hand-off,
    # a thread wake-up, a wake-up of the event loop) and waits behind every other statement.
    # `lookup` runs such reads right here through a second connection that only reads. It
    # sees exactly what is committed (SQLite isolates connections; in WAL mode a reader never
    # waits for the writer), as a locked read did: a transaction of another chat is either
    # committed or invisible, never half done. Only for small indexed reads: a long query
    # here would stall the event loop. Any trouble (busy, another thread) takes the usual trip.
    def _lookup_conn_here(self) -> sqlite3.Connection | None:
        if self._conn_ is None or self.path == ":memory:":
            return None
        here = threading.get_ident()
        if self._lookup_conn is not None:
            return self._lookup_conn if self._lookup_thread == here else None
        reader = sqlite3.connect(self.path, isolation_level=None)
        reader.row_factory = sqlite3.Row
        reader.execute("PRAGMA query_only = 1")
        reader.execute("PRAGMA busy_timeout = 0")  # never block the event loop: take the trip
        self._lookup_conn, self._lookup_thread = reader, here
        return reader

    def _read_here(self, sql: str, params: Params, one: bool) -> list[Row] | None:
        self._check_fenced()
        held = _holding.get()
        if held is not None and held is self._holder:
            raise RuntimeError("statement on Database inside its own transaction: use the tx")
        reader = self._lookup_conn_here()
        if reader is None:
            return None
        try:
            cur = reader.execute(sql, params)
            try:
                # The cursor is closed at once: no read transaction outlives the statement.
                rows = cur.fetchmany(1) if one else cur.fetchall()
            finally:
                cur.close()
        except sqlite3.OperationalError as exc:
            if not is_temporary(exc):
                raise
            return None
        self.lookups += 1
        return rows

    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        """One row by an index, read on the event loop (see above)."""
        rows = self._read_here(sql, params, True)
        if rows is None:
            return await self.fetchone(sql, params)
        return rows[0] if rows else None

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        """A few rows by an index (a person's roles), read on the event loop (see above)."""
        rows = self._read_here(sql, params, False)
        if rows is None:
            return await self.fetchall(sql, params)
        return rows

    def set_trace(self, callback: Callable[[str], object] | None) -> None:
        """Trace every statement of both connections (benchmarks read their query plans)."""
        if self._lookup_conn is None:
            self._lookup_conn_here()
        if self._lookup_conn is not None:
            self._lookup_conn.set_trace_callback(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error; exclusive within the bot."""
        async with self._locked():
            tx = Transaction(self._conn, "BEGIN IMMEDIATE")
            tx._db = self
            try:
                yield tx
                # A block that ran no statement still takes and releases the write lock.
                commit = asyncio.ensure_future(tx._trip(_rowcount_of, "COMMIT", ()))
                try:
                    await _uncancelled(commit)
                except asyncio.CancelledError:
                    # Cancelled, but the COMMIT went through: what it promised (jobs queued in
                    # memory) must happen all the same, or the job waits for the next refill.
                    if commit.done() and not commit.cancelled() and commit.exception() is None:
                        for hook in tx.after_commit:
                            hook()
                    raise
            except BaseException:
                # SQLite already rolled back after some errors (a full disk): a second
                # ROLLBACK would fail and hide the real error. A failed COMMIT may leave the
                # transaction open, which would refuse every later BEGIN.
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise
        for hook in tx.after_commit:
            hook()

    async def backup_to(self, target: str | Path) -> None:
        """A consistent online copy through SQLite's backup API."""
        async with self._locked():
            dest = await aiosqlite.connect(str(target))
            try:
                await self._conn.backup(dest)
            finally:
                await dest.close()


def _read_only_uri(path: str) -> str:
    return Path(path).resolve().as_uri() + "?mode=ro"


class ReadOnly:
    """What every read-only connection (the dashboard's) answers alike: writing is refused,
    and a look-up is a plain read (everything on it is already off the chat's path)."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        raise DatabaseError("the read-only connection does not write")

    async def insert(self, sql: str, params: Params = ()) -> int:
        raise DatabaseError("the read-only connection does not write")

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        raise DatabaseError("the read-only connection does not write")

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        raise NotImplementedError

    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        return await self.fetchone(sql, params)

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.fetchall(sql, params)


class Reader(ReadOnly, _Statements):
    """A second, read-only SQLite connection (Database.reader). Plain reads only: each
    statement is its own snapshot, like the writer's connection outside a transaction."""

    kind = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, path: str, busy_timeout_ms: int) -> Reader:
        conn = await aiosqlite.connect(_read_only_uri(path), uri=True, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await conn.execute("PRAGMA query_only = ON")
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def close(self) -> None:
        await self._conn.close()

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._fetchall(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self._fetchone(sql, params)
        return None if row is None else row[0]


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every shipped migration, in order; versions must be 1..N."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise DatabaseError(f"migration numbering has a gap or duplicate at {name}")
    return found


LATEST_VERSION_HINT = "upgrade community-bot to a version that knows this schema"


async def migrate(conn: aiosqlite.Connection, *, target: int | None = None) -> int:
    """Apply pending migrations, each in its own transaction; returns the schema version."""
    migrations = migration_files()
    known = len(migrations)
    version_row = await (await conn.execute("PRAGMA user_version")).fetchone()
    assert version_row is not None
    current = version_row[0]
    if current > known:
        raise DatabaseError(
            f"database schema version {current} is newer than this bot knows ({known}); "
            + LATEST_VERSION_HINT
        )
    goal = known if target is None else min(target, known)
    for version, name, sql in migrations[current:goal]:
        # The version is read again under the write lock: another process opening the same
        # fresh file may have applied this migration since (it must not run twice).
        if await conn._execute(_apply_migration, conn._conn, version, sql):
            log.info("applied migration %s", name)
        current = version
    return current


def _apply_migration(conn: sqlite3.Connection, version: int, sql: str) -> bool:
    """Runs on aiosqlite's thread: one migration and its version bump, atomic; False when
    the database already has it. Statement by statement (executescript would COMMIT first)."""
    conn.execute("BEGIN IMMEDIATE").close()
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] >= version:
            conn.execute("ROLLBACK").close()
            return False
        for statement in _statements(sql):
            conn.execute(statement).close()
        conn.execute(f"PRAGMA user_version = {int(version)}").close()
        conn.execute("COMMIT").close()
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK").close()
        raise
    return True


def _statements(script: str) -> Iterator[str]:
    """The statements of a script (a trigger body's `;` and quoted ones stay inside)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            body = "\n".join(
                line for line in pending.splitlines() if not line.strip().startswith("--")
            )
            if body.strip().strip(";").strip():
                yield pending
            pending = ""
