"""The PostgreSQL backend (psycopg 3, a connection pool): the same interface as storage.db.

`storage.db.connect(url)` returns a PgDatabase for a postgresql:// URL. Statements are written
for SQLite and translated by storage/dialect.py.

- Plain statements autocommit on any pooled connection; PostgreSQL isolates connections, so
  a read never sees a transaction half done and reads run side by side.
- A transaction holds one pooled connection from BEGIN to COMMIT. Like SQLite's BEGIN
  IMMEDIATE, transactions run one at a time: an asyncio lock within the process, and a
  transaction-scoped advisory lock across processes (a standby, `migrate-db`). The storage
  functions were written for that (read, decide, write), so they keep their meaning without
  SERIALIZABLE retries.
- A pooled connection the server dropped (a restart) is noticed before it is lent out and
  replaced; one that fails mid-statement raises a temporary error.
- Errors that pass (lock timeout, deadlock, serialization failure, the server restarting,
  a lost connection, no free connection) count as temporary, like SQLite's "database is
  locked": the transaction was rolled back and the person may simply try again.
"""

from __future__ import annotations

import logging
import select
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.adapt import Loader
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from storage import dialect
from storage.db import (
    LATEST_VERSION_HINT,
    Database,
    DatabaseError,
    Executor,
    Params,
    ReadOnly,
    Row,
    Transaction,
    migration_files,
)

log = logging.getLogger(__name__)

# Advisory lock keys (any bigint): one writer at a time, one migrator at a time.
WRITER_LOCK = 0x636F6D6D756E  # "commun"
MIGRATE_LOCK = WRITER_LOCK + 1

# SQLSTATEs of errors that pass: retry or try again later.
_TEMPORARY_STATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available (lock_timeout)
    "57014",  # query_canceled (statement_timeout)
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now (starting up, recovering)
    "53100",  # disk_full
    "53200",  # out_of_memory
    "53300",  # too_many_connections
    "58030",  # io_error
}


def is_temporary(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, psycopg.Error):
        return False
    state = exc.sqlstate
    if state is None:
        # No answer from the server at all: connection refused or lost.
        return isinstance(exc, psycopg.OperationalError)
    return state in _TEMPORARY_STATES or state.startswith("08")


class PgRow:
    """A result row read like sqlite3.Row: row[0], row["col"], keys(), dict(row)."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PgRow):
            return self._values == other._values and self._index == other._index
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"PgRow({ {k: self._values[i] for k, i in self._index.items()}!r})"


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    index: dict[str, int] = {}
    for i, col in enumerate(cursor.description or ()):
        index.setdefault(col.name, i)  # the first of two same-named columns, as sqlite3.Row

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(values, index)

    return make


class _NumberLoader(Loader):
    """numeric (SUM of a bigint, AVG) as int or float, as SQLite gives, never Decimal."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        if text.lstrip("-").isdigit():
            return int(text)
        return float(text)


def _params(params: Params) -> Params:
    # Booleans go to INTEGER columns (0/1, as in SQLite); PostgreSQL refuses bool there.
    if isinstance(params, dict):
        return {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
    return [int(v) if isinstance(v, bool) else v for v in params]


class _PgStatements:
    async def _run(
        self, conn: psycopg.AsyncConnection[Any], sql: str, params: Params
    ) -> psycopg.AsyncCursor[Any]:
        return await conn.execute(dialect.postgres_sql(sql), _params(params))


class PgTransaction(Transaction, _PgStatements):
    """An open BEGIN … COMMIT on one pooled connection."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._pg = conn
        self.after_commit: list[Callable[[], None]] = []

    async def _run(
        self, conn: psycopg.AsyncConnection[Any], sql: str, params: Params
    ) -> psycopg.AsyncCursor[Any]:
        if self._db is not None:
            self._db._check_fenced()  # no statement of an open transaction after the fence
        return await super()._run(conn, sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        return (await self._run(self._pg, sql, params)).rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        cur = await self._run(self._pg, sql.rstrip().rstrip(";") + " RETURNING id", params)
        row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        if self._db is not None:
            self._db._check_fenced()
        async with self._pg.cursor() as cur:
            await cur.executemany(dialect.postgres_sql(sql), [_params(r) for r in rows])

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        cur = await self._run(self._pg, sql, params)
        row: Row | None = await cur.fetchone()
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await (await self._run(self._pg, sql, params)).fetchall()

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class PgDatabase(Database, _PgStatements):
    """The bot's database on a PostgreSQL server; same methods as the SQLite Database."""

    kind = "postgresql"

    def __init__(
        self, url: str, *, busy_timeout_ms: int = 5000, min_size: int = 1, max_size: int = 10
    ) -> None:
        super().__init__(url, busy_timeout_ms=busy_timeout_ms)
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self._pool: AsyncConnectionPool[Any] | None = None
        self._read_pool: AsyncConnectionPool[Any] | None = None

    @property
    def pool(self) -> AsyncConnectionPool[Any]:
        if self._pool is None:
            raise DatabaseError("database is not open")
        return self._pool

    async def _configure(self, conn: psycopg.AsyncConnection[Any]) -> None:
        conn.adapters.register_loader("numeric", _NumberLoader)
        # Waiting for a row lock is bounded like SQLite's busy timeout.
        await conn.execute(f"SET lock_timeout = {int(self.busy_timeout_ms)}")

    @staticmethod
    async def _check(conn: psycopg.AsyncConnection[Any]) -> None:
        """Before lending a pooled connection: an idle one has nothing to read, so anything
        readable is the server saying goodbye (a restart, an idle timeout) or a closed socket;
        only then ask the server (a round trip). A lost connection is replaced, not handed to a
        person's transaction to fail with "try again"."""
        if conn.closed or select.select([conn.pgconn.socket], [], [], 0)[0]:
            await AsyncConnectionPool.check_connection(conn)

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.url,
            min_size=self.min_size,
            max_size=self.max_size,
            kwargs={"autocommit": True, "row_factory": _row_factory},
            configure=self._configure,
            check=self._check,
            timeout=max(10.0, self.busy_timeout_ms / 1000),
            open=False,
            name="community-bot",
        )
        try:
            await pool.open(wait=True, timeout=15)
            if self.migrate_on_open:
                async with pool.connection() as conn:
                    await migrate(conn)
        except (psycopg.Error, PoolTimeout) as exc:
            await pool.close()
            raise DatabaseError(
                f"cannot use the PostgreSQL database {_safe(self.url)}: {exc}"
            ) from exc
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def reader(self) -> Executor:
        """Read-only statements on a small pool of their own (the web dashboard), so they
        never take a connection the chat's statements and transactions are waiting for."""
        if self._read_pool is None:
            async with self._reader_opening:
                if self._read_pool is None:
                    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                        self.url,
                        min_size=1,
                        max_size=READ_POOL_SIZE,
                        kwargs={"autocommit": True, "row_factory": _row_factory},
                        configure=self._configure_reader,
                        check=self._check,
                        timeout=max(10.0, self.busy_timeout_ms / 1000),
                        open=False,
                        name="community-bot-reader",
                    )
                    await pool.open(wait=True, timeout=15)
                    self._read_pool = pool
        return PgReader(self._read_pool)

    async def _configure_reader(self, conn: psycopg.AsyncConnection[Any]) -> None:
        await self._configure(conn)
        await conn.execute("SET default_transaction_read_only = on")

    async def apply_migrations(self) -> int:
        async with self.pool.connection() as conn:
            return await migrate(conn)

    async def close(self) -> None:
        if self._read_pool is not None:
            read_pool, self._read_pool = self._read_pool, None
            await read_pool.close()
        if self._pool is not None:
            async with self._lock:
                pool, self._pool = self._pool, None
                await pool.close()

    def _not_in_own_transaction(self) -> None:
        if self._holder is not None and _held_by_me(self):
            raise RuntimeError("statement on Database inside its own transaction: use the tx")

    @asynccontextmanager
    async def _conn_for_statement(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        self._check_fenced()
        self._not_in_own_transaction()
        async with self.pool.connection() as conn:
            yield conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._conn_for_statement() as conn:
            return (await self._run(conn, sql, params)).rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self._conn_for_statement() as conn:
            cur = await self._run(conn, sql.rstrip().rstrip(";") + " RETURNING id", params)
            row = await cur.fetchone()
            return int(row[0]) if row else 0

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._conn_for_statement() as conn:
            row: Row | None = await (await self._run(conn, sql, params)).fetchone()
            return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._conn_for_statement() as conn:
            return await (await self._run(conn, sql, params)).fetchall()

    async def write_batch(self, groups: list[tuple[str, list[Params]]]) -> None:
        async with self.transaction() as tx:
            for sql, rows in groups:
                await tx.executemany(sql, rows)

    # No event-loop reader on PostgreSQL: a look-up is a query on a pooled connection.
    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        return await self.fetchone(sql, params)

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.fetchall(sql, params)

    def set_trace(self, callback: Callable[[str], object] | None) -> None:
        pass

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN … COMMIT on one connection, rolled back on any error; one at a time."""
        async with self._locked(), self.pool.connection() as conn, conn.transaction():
            # One round trip: this transaction's lock wait bound, then the writer lock.
            await conn.execute(
                "SELECT set_config('lock_timeout', %s, true), pg_advisory_xact_lock(%s)",
                (str(int(self.busy_timeout_ms)), WRITER_LOCK),
            )
            tx = PgTransaction(conn)
            tx._db = self
            yield tx
            self._check_fenced()  # fenced meanwhile: roll back instead of committing
        for hook in tx.after_commit:
            hook()

    async def backup_to(self, target: Any) -> None:
        raise DatabaseError(
            "back up a PostgreSQL database with pg_dump (or the server's own backups)"
        )


READ_POOL_SIZE = 2  # the dashboard serves few requests at a time (bot/dashboard_gate.py)


class PgReader(ReadOnly, _PgStatements):
    """Plain reads on the read-only pool (PgDatabase.reader); writing is refused."""

    kind = "postgresql"

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._read_pool = pool

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._read_pool.connection() as conn:
            row: Row | None = await (await self._run(conn, sql, params)).fetchone()
            return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._read_pool.connection() as conn:
            return await (await self._run(conn, sql, params)).fetchall()

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


def _held_by_me(db: Database) -> bool:
    from storage.db import _holding

    hold = _holding.get()
    return hold is not None and hold is db._holder


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(unreadable URL)"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


async def schema_version(conn: psycopg.AsyncConnection[Any]) -> int:
    await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
    cur = await conn.execute("SELECT max(version) FROM schema_version")
    row = await cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def migrate(conn: psycopg.AsyncConnection[Any], *, target: int | None = None) -> int:
    """Apply pending migrations (translated), each in its own transaction."""
    migrations = migration_files()
    known = len(migrations)
    goal = known if target is None else min(target, known)
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
            current = await schema_version(conn)
            if current > known:
                raise DatabaseError(
                    f"database schema version {current} is newer than this bot knows ({known}); "
                    + LATEST_VERSION_HINT
                )
            if current >= goal:
                return current
            version, name, script = migrations[current]
            log.info("applying migration %s", name)
            await conn.execute(dialect.postgres_ddl(script).encode())
            await conn.execute("DELETE FROM schema_version")
            await conn.execute(
                pgsql.SQL("INSERT INTO schema_version (version) VALUES ({})").format(version)
            )
