"""`community-bot dashboard-demo`: the web dashboard on this machine with the seeded street
(bot/offline/dashboard_seed.py), offline: open it in a browser as each kind of person, without
Telegram. It prints one-time sign-in links (as `/dashboard` sends them: ten minutes, once);
type a role to get a fresh one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import tempfile
from pathlib import Path

from aiohttp import web

from bot.dashboard_web import make_app
from bot.offline import dashboard_seed as seedmod
from bot.offline.simulator import Simulator
from bot.workflows import dashboard as flow

ROLES: dict[str, tuple[int, str]] = {
    "admin": (seedmod.ADMIN_ID, "街道管理员 (the street office: every community side by side)"),
    "staff": (seedmod.STAFF_A, "孙晓军, staff of 锡林社区"),
    "grid": (seedmod.GRID_A, "李网格, grid worker of 锡林社区 building 1"),
    "staff_b": (seedmod.STAFF_B, "何主任, staff of 和平社区 (English)"),
    "resident": (101, "王阿姨, a resident (must be refused)"),
}


async def _links(sim: Simulator, roles: list[str]) -> None:
    for role in roles:
        user_id, who = ROLES[role]
        issued = await flow.issue_link(sim.rt, user_id)
        if issued.refused:  # a resident: no link, as /dashboard in the chat says
            print(f"  {role:9} {who}: refused ({issued.refused})")
            continue
        print(f"  {role:9} {who}:\n            {issued.url}")


async def run(port: int, database_path: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = database_path or str(Path(tmp) / "dashboard.db")
        sim = Simulator(path, admins=(seedmod.ADMIN_ID,))
        await sim.start()
        base = f"http://127.0.0.1:{port}"
        sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url=base)
        runner = web.AppRunner(make_app(sim.rt, chat=sim.app), access_log=None)
        try:
            if not await sim.rt.db.fetchval("SELECT count(*) FROM communities"):
                await seedmod.seed(sim.rt)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            print(f"街道看板 · 离线演示 on {base}  (links work once, for ten minutes)")
            await _links(sim, list(ROLES))
            print("Type a role (" + ", ".join(ROLES) + ") for a fresh link, or q to stop.")
            while True:
                try:
                    line = (await asyncio.to_thread(input, "> ")).strip()
                except EOFError:
                    break
                if line in ("q", "quit", "exit"):
                    break
                if line in ROLES:
                    await _links(sim, [line])
                elif line:
                    print("roles: " + ", ".join(ROLES))
        finally:
            await runner.cleanup()
            await sim.stop()


def main(port: int, database_path: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(port, database_path))
    return 0
