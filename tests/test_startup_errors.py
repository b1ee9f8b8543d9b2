"""Start-up errors name what is really wrong, in one line, exit 2: a read-only file system,
a permission, a full disk, a path that cannot be a database. Only a damaged file points to
`community-bot backup`."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from storage import startup
from storage.db import Database, DatabaseError
from tests.test_cli import TOKEN, FakeServer


# ---- the classification ------------------------------------------------------------------------
@pytest.mark.parametrize("message", ["file is not a database", "database disk image is malformed"])
def test_only_a_damaged_file_points_to_backup(tmp_path: Path, message: str) -> None:
    reason = startup.explain(str(tmp_path / "c.db"), sqlite3.DatabaseError(message))
    assert reason is not None and "community-bot backup" in reason


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (OSError(errno.EACCES, "Permission denied"), "permission denied"),
        (OSError(errno.ENOSPC, "No space left on device"), "full"),
    ],
)
@pytest.mark.parametrize(
    "sqlite_says", ["attempt to write a readonly database", "unable to open database file"]
)
def test_cannot_write_says_why(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: OSError,
    words: str,
    sqlite_says: str,
) -> None:
    # What the system answers when the bot tries to write there (root passes permission
    # bits, so the probe is what tells).
    monkeypatch.setattr(startup, "_probe", lambda path: failure)
    reason = startup.explain(str(tmp_path / "c.db"), sqlite3.OperationalError(sqlite_says))
    assert reason is not None and words in reason
    assert "backup" not in reason and "\n" not in reason


def test_full_disk_and_unknown_causes(tmp_path: Path) -> None:
    path = str(tmp_path / "c.db")
    full = startup.explain(path, sqlite3.OperationalError("database or disk is full"))
    assert full is not None and "full" in full and "backup" not in full
    # Nothing wrong that the system can see: say what SQLite said, still no backup.
    odd = startup.explain(path, sqlite3.OperationalError("attempt to write a readonly database"))
    assert odd is not None and "readonly" in odd and "backup" not in odd
    # Not a start-up problem (a bug in a migration): the traceback stays.
    assert startup.explain(path, sqlite3.OperationalError("no such table: x")) is None


async def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    db = Database(tmp_path / "notes.txt" / "community.db")
    with pytest.raises(DatabaseError, match=r"notes\.txt is a file, not a directory"):
        await db.open()


async def test_path_is_a_directory(tmp_path: Path) -> None:
    db = Database(tmp_path)
    with pytest.raises(DatabaseError, match="is a directory, not a database file"):
        await db.open()


async def test_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "community.db"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(DatabaseError, match="community-bot backup"):
        await Database(path).open()


# ---- a real read-only and a real full file system (tmpfs; needs root and mount) ----------------
@contextmanager
def tmpfs(path: Path, size: str = "4m") -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


async def test_healthy_database_on_a_read_only_file_system(tmp_path: Path) -> None:
    if shutil.which("mount") is None:
        pytest.skip("no mount(8)")
    with tmpfs(tmp_path / "data") as data:
        db = Database(data / "community.db")
        await db.open()
        await db.execute("INSERT INTO users (id, first_name) VALUES (1, 'x')")
        await db.close()
        remount(data, "ro")
        try:
            with pytest.raises(DatabaseError) as caught:
                await Database(data / "community.db").open()
            message = str(caught.value)
            assert "read-only" in message and "backup" not in message, message
            result = run_bot(data / "community.db")
            assert result.returncode == 2, result.stderr
            assert result.stderr.count("\n") == 1 and "read-only" in result.stderr
            assert "Traceback" not in result.stderr and "backup" not in result.stderr
        finally:
            remount(data, "rw")


async def test_full_disk_at_start(tmp_path: Path) -> None:
    if shutil.which("mount") is None:
        pytest.skip("no mount(8)")
    with tmpfs(tmp_path / "data", size="1m") as data:
        with (data / "filler").open("wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
        with pytest.raises(DatabaseError) as caught:
            await Database(data / "community.db").open()
        message = str(caught.value)
        assert "full" in message and "backup" not in message, message


# ---- `community-bot run` ---------------------------------------------------------------------
def run_bot(database: Path) -> subprocess.CompletedProcess[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_API_URL=f"http://127.0.0.1:{server.server_address[1]}/bot",
        DATABASE_PATH=str(database),
    )
    try:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()


def test_run_says_one_line_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    result = run_bot(tmp_path / "notes.txt" / "community.db")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "is a file, not a directory" in result.stderr and "backup" not in result.stderr
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(os.urandom(8192))
    result = run_bot(damaged)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "community-bot backup" in result.stderr
