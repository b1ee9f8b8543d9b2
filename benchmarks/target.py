"""Which database the benchmark parts run on: the SQLite file each part names, or, with
`python -m benchmarks --database-url postgresql://…` (env BENCH_DATABASE_URL), a fresh schema
on that PostgreSQL server per run of a part (dropped at the end)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from typing import Any

ENV = "BENCH_DATABASE_URL"
# Parts that measure SQLite itself (file size, query plans): not run on PostgreSQL.
SQLITE_ONLY = ("footprint", "scale")
_made: list[str] = []


def url() -> str:
    return os.environ.get(ENV, "").strip()


def kind() -> str:
    return "postgresql" if url() else "sqlite"


def database(sqlite_path: str) -> str:
    """`sqlite_path`, or the URL of a new empty schema when benchmarking PostgreSQL."""
    base = url()
    if not base:
        return sqlite_path
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    _made.append(schema)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def drop_all() -> None:
    if not _made:
        return
    import psycopg

    with psycopg.connect(url(), autocommit=True) as conn:
        while _made:
            conn.execute(f"DROP SCHEMA {_made.pop()} CASCADE")


class _PgConnection:
    """The few sqlite3.Connection methods the seeders use, on PostgreSQL (SQLite spelling)."""

    def __init__(self, target: str) -> None:
        import psycopg

        from storage.pg import _row_factory

        self._conn: Any = psycopg.connect(target, row_factory=_row_factory)

    def execute(self, sql: str, params: Any = ()) -> Any:
        from storage.dialect import postgres_sql

        return self._conn.execute(postgres_sql(sql), list(params))

    def executemany(self, sql: str, rows: Any) -> None:
        from storage.dialect import postgres_sql

        with self._conn.cursor() as cur:
            cur.executemany(postgres_sql(sql), [list(r) for r in rows])

    def __enter__(self) -> _PgConnection:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        if kind is None:
            # Rows were inserted with explicit ids: move every identity sequence past them.
            tables = self._conn.execute(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'id' "
                "AND is_identity = 'YES' AND table_schema = current_schema()"
            ).fetchall()
            for (table,) in tables:
                self._conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            self._conn.commit()
        else:
            self._conn.rollback()

    def close(self) -> None:
        self._conn.close()


def connect_sync(target: str) -> Any:
    """A plain (blocking) connection for seeding: sqlite3, or its look-alike on PostgreSQL."""
    if target.startswith(("postgresql://", "postgres://")):
        return _PgConnection(target)
    return sqlite3.connect(target)
