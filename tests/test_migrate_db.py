"""`community-bot migrate-db`: an SQLite database copied into PostgreSQL keeps its history.

Needs a PostgreSQL server: runs in the PostgreSQL pass of .ci/run (TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.offline.simulator import Simulator
from storage.copydb import copy_sqlite_to_postgres
from storage.db import DatabaseError, connect
from tests.conftest import ADMIN, GROUP_ID, LIU, ON_POSTGRES, WANG, register, setup_community

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)")


async def _filled_sqlite(path: Path) -> dict[str, int]:
    sim = Simulator(str(path), admins=(ADMIN.id,))
    await sim.start()
    try:
        group = sim.group(GROUP_ID, "锡林社区居民群")
        cid = await setup_community(sim, group)
        await register(sim, WANG, "21-4-302", "王阿姨", cid)
        await register(sim, LIU, "21-4-303", "刘大爷", cid)
        tables = [
            r["name"]
            for r in await sim.rt.db.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: int(await sim.rt.db.fetchval(f"SELECT count(*) FROM {t}")) for t in tables}
    finally:
        await sim.stop()


async def test_copy_keeps_every_row_and_ids_continue(tmp_path: Path, db_path: str) -> None:
    source = tmp_path / "community.db"
    before = await _filled_sqlite(source)
    assert before["residents"] == 2 and before["audit_log"] > 0
    counts = await copy_sqlite_to_postgres(source, db_path, report=lambda _: None)
    assert {t: n for t, n in counts.items()} == before

    db = connect(db_path)
    await db.open()
    try:
        names = {r["display_name"] for r in await db.fetchall("SELECT * FROM residents")}
        assert names == {"王阿姨", "刘大爷"}
        top = int(await db.fetchval("SELECT max(id) FROM households"))
        # The identity sequence moved past the copied ids: a new row does not collide.
        new = await db.insert(
            "INSERT INTO households (community_id, building, unit, room) VALUES (?, ?, ?, ?)",
            (int(await db.fetchval("SELECT min(id) FROM communities")), "9", "9", "909"),
        )
        assert new > top
    finally:
        await db.close()

    # A second copy into the same (now full) database is refused and changes nothing.
    with pytest.raises(DatabaseError, match="empty"):
        await copy_sqlite_to_postgres(source, db_path, report=lambda _: None)


async def test_cli_copies_and_says_so(
    tmp_path: Path,
    db_path: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "community.db"
    before = await _filled_sqlite(source)
    monkeypatch.setenv("DATABASE_PATH", str(source))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code = await asyncio.to_thread(main, ["migrate-db", "--to", db_path])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"copied {sum(before.values())} rows" in out.out
    code = await asyncio.to_thread(main, ["migrate-db", "--to", db_path])
    assert code == 2
    assert "empty database" in capsys.readouterr().err
    assert main(["migrate-db", "--to", "sqlite:///x.db"]) == 2
