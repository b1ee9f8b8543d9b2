"""Part: the web dashboard under load while the chat runs.

The dashboard is served on the bot's own event loop (as `community-bot run` does); browsers
are simulated by aiohttp clients on a thread of their own (their work does not count against
the bot's loop), signed in as the street office's admin and cycling through every page of
every community (menu, repairs, care, notices, the street overview). Meanwhile the chat gets
the mixed street traffic at a steady rate. Reported: the pages' p50/p95, and the chat's p99
with the dashboard busy beside the same traffic without it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

from benchmarks.feeder import Feeder, percentile, summary
from benchmarks.mixed import Mix, discover
from benchmarks.street import ADMIN_ID, street_simulator
from bot.dashboard_web import make_app
from bot.workflows import dashboard as flow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browsers:
    """`clients` signed-in browsers on their own thread and loop, each loading pages one after
    another until stopped; page latencies in ms."""

    def __init__(self, base: str, logins: list[str], paths: list[str]) -> None:
        self.base, self.logins, self.paths = base, logins, paths
        self.latencies: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _one(self, login: str, offset: int) -> None:
        async with ClientSession() as session:
            async with session.get(self.base + login) as r:
                await r.read()
            for path in itertools.islice(itertools.cycle(self.paths), offset, None):
                if self._stop.is_set():
                    return
                t = time.perf_counter()
                async with session.get(self.base + path) as r:
                    await r.read()
                    if r.status != 200:
                        self.errors += 1
                self.latencies.append((time.perf_counter() - t) * 1000)

    async def _main(self) -> None:
        await asyncio.gather(*(self._one(login, i * 3) for i, login in enumerate(self.logins)))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


async def run(
    n_latency: int, rate: float, clients: int, communities: int, households: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sim, street = await street_simulator(str(Path(tmp) / "street.db"), communities, households)
        runner: web.AppRunner | None = None
        try:
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url=base)
            mix = Mix(street)
            await discover(sim, street, mix)
            app = sim.app
            assert app is not None
            await app.start()
            runner = web.AppRunner(make_app(sim.rt), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                feeder = Feeder(app, sim.api)
                await feeder.saturate(mix.stream(200))  # warm-up
                alone = summary(await feeder.open_loop(mix.stream(n_latency), rate))
                logins = []
                for _ in range(clients):
                    issued = await flow.issue_link(sim.rt, ADMIN_ID)
                    logins.append(issued.url.removeprefix(base))
                paths = ["/street"] + [
                    f"/c/{c}/{page}"
                    for c in street.communities
                    for page in ("menu", "repairs", "care", "notices")
                ]
                browsers = Browsers(base, logins, paths)
                browsers.start()
                try:
                    busy = summary(await feeder.open_loop(mix.stream(n_latency), rate))
                finally:
                    browsers.stop()
            finally:
                await app.stop()
        finally:
            if runner is not None:
                await runner.cleanup()
            await sim.stop()
    pages = sorted(browsers.latencies)
    return {
        "browsers": clients,
        "pages": len(pages),
        "page_errors": browsers.errors,
        "page_p50_ms": round(percentile(pages, 50), 1) if pages else float("nan"),
        "page_p95_ms": round(percentile(pages, 95), 1) if pages else float("nan"),
        "chat_rate_per_s": rate,
        "chat_p99_ms_alone": alone["p99_ms"],
        "chat_p99_ms_with_dashboard": busy["p99_ms"],
        "chat_p95_ms_with_dashboard": busy["p95_ms"],
        "chat_unanswered": busy["unanswered"],
    }
