"""A throw-away PostgreSQL server for the benchmark's PostgreSQL column, started the way
.ci/postgres.sh does: the distribution's initdb and pg_ctl on a temporary directory and a free
port on 127.0.0.1 (as the `postgres` user when run as root), no fsync, stopped at the end.
Without the server binaries there is no column (the run says why)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def _find(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for path in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        if os.access(path, os.X_OK):
            return path
    return None


def available() -> str | None:
    """None when a server can be started here, else why not."""
    if not (_find("initdb") and _find("pg_ctl")):
        return "no PostgreSQL server binaries (initdb, pg_ctl)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` user to run the server as"
    return None


@contextmanager
def throwaway() -> Iterator[str]:
    """Start a server; yields its URL (the `postgres` database, trust authentication)."""
    initdb, pg_ctl = _find("initdb"), _find("pg_ctl")
    assert initdb and pg_ctl, available()
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    tmp = tempfile.mkdtemp(prefix="community-bot-bench-pg.")
    os.chmod(tmp, 0o755)
    if as_user:
        shutil.chown(tmp, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = os.path.join(tmp, "data")
    init = [*as_user, initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8"]
    options = (
        f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    log = os.path.join(tmp, "server.log")
    try:
        subprocess.run([*init, "--locale=C", "--no-sync"], capture_output=True, check=True)
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, "-l", log, "-w", "-o", options, "start"],
            capture_output=True,
            check=True,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(tmp, ignore_errors=True)
