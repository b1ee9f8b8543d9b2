"""Why the database cannot be opened at start-up, in one line that names the real cause.

SQLite says "unable to open database file" or "attempt to write a readonly database" for a
read-only file system, a directory the bot may not write, a missing parent directory and a
full disk alike; none of them is a damaged database. Only a file SQLite cannot read as a
database points to `community-bot backup`.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from pathlib import Path

BACKUP_HINT = "restore it from a backup (see `community-bot backup`)"
MOVE_HINT = "or set DATABASE_PATH to a writable place"

# SQLite's words for a file that is not (or no longer) a database.
_CORRUPT = ("malformed", "not a database", "file is encrypted", "corrupt")
# Its words for "cannot write or create the file", whatever the cause.
_CANNOT_WRITE = ("readonly", "read-only", "unable to open", "disk i/o", "cantopen")


def is_corrupt(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and any(w in str(exc).lower() for w in _CORRUPT)


def _existing(path: Path) -> Path:
    """The nearest part of `path` that exists (statvfs needs one)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def _shape(path: Path) -> str | None:
    """A path that cannot be a database file whatever the permissions."""
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            return f"{parent} is a file, not a directory"
    if path.is_dir():
        return f"{path} is a directory, not a database file"
    return None


def _probe(path: Path) -> OSError | None:
    """Do what SQLite must: open the file for writing (create it if missing) and create a
    file beside it (its -wal and -shm). Asking the system beats guessing from permission bits,
    which say nothing to root."""
    try:
        if path.exists():
            os.close(os.open(path, os.O_RDWR))
        else:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
            path.unlink()
        fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=".community-bot-check-")
        os.close(fd)
        os.unlink(scratch)
    except OSError as exc:
        return exc
    return None


def _reason(path: Path, exc: OSError) -> str:
    where = exc.filename or path
    code = exc.errno
    if code == errno.EROFS:
        return f"the file system holding {where} is read-only; remount it read-write {MOVE_HINT}"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied: cannot write {where}; give the bot write access {MOVE_HINT}"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk holding {where} is full; free some space {MOVE_HINT}"
    return f"cannot create or write {where}: {exc.strerror or exc}"


def _cause(path: Path) -> str | None:
    """Why the bot cannot write the database file or its directory, if the system says."""
    shape = _shape(path)
    if shape is not None:
        return shape
    failure = _probe(path)
    if failure is not None:
        return _reason(path, failure)
    try:
        stat = os.statvfs(_existing(path))
    except OSError:
        return None
    if stat.f_flag & os.ST_RDONLY:
        return f"the file system holding {path} is read-only; remount it read-write {MOVE_HINT}"
    if stat.f_blocks and not stat.f_bavail:  # pseudo file systems have no blocks at all
        return f"the disk holding {path} is full; free some space {MOVE_HINT}"
    return None


def explain(path: str, exc: BaseException) -> str | None:
    """One line for `exc` raised while opening the database at `path`; None if unknown."""
    if path == ":memory:":
        return None
    p = Path(path)
    if isinstance(exc, OSError):  # creating the directory
        return f"cannot use the database {path}: " + (_shape(p) or _reason(p, exc))
    if not isinstance(exc, sqlite3.Error):
        return None
    if is_corrupt(exc):
        return f"{path} is not a readable SQLite database ({exc}); {BACKUP_HINT}"
    message = str(exc).lower()
    if "full" in message:
        return f"cannot write the database {path}: the disk is full; free some space {MOVE_HINT}"
    if any(w in message for w in _CANNOT_WRITE):
        cause = _cause(p)
        if cause is None:  # the system sees nothing wrong: say what SQLite said, no backup
            cause = f"SQLite says {exc!s}; check the file and its directory"
        return f"cannot open the database {path}: {cause}"
    return None
