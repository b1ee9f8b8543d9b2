"""Part: the web dashboard under load while the chat runs.

The dashboard is served on the bot's own event loop (as `community-bot run` does); browsers
are simulated by aiohttp clients on a thread of their own (their work does not count against
the bot's loop), signed in as the street office's admin and cycling through every page of
every community (menu, repairs, care, notices, the street overview). Meanwhile the chat gets
the mixed street traffic at a steady rate. Reported: the pages' p50/p95, and the chat's p99
with the dashboard busy beside the same traffic without it.

The machine is shared and noisy, so "alone" and "busy" are measured interleaved: ROUNDS times a
slice of the chat's traffic with the browsers paused, then a slice with them loading pages flat
out, then (a second, everyday figure) a slice with READERS people each reading a page for THINK
seconds before the next; each figure is over all its slices.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import multiprocessing
import os
import random
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

from benchmarks.feeder import Feeder, Run, percentile, summary
from benchmarks.mixed import Mix, discover
from benchmarks.street import ADMIN_ID, street_simulator
from bot.dashboard_web import GATE, make_app
from bot.workflows import dashboard as flow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ROUNDS = 4
READERS = 20  # staff and grid workers with the dashboard open at once, on a busy day
THINK = 2.0  # seconds a person looks at a page before the next


def _browse(
    base: str,
    logins: list[str],
    paths: list[str],
    think: float,
    ready: Any,
    stop: Any,
    paused: Any,
    out: Any,
) -> None:
    """In a process of its own: signed-in browsers loading pages back to back until `stop`,
    idle while `paused`. Real browsers run on other machines: niced, this one's own CPU goes
    to the bot first on a small shared machine (the pages are still asked for back to back)."""
    os.nice(10)
    latencies: list[float] = []
    errors = 0

    async def one(login: str, offset: int) -> None:
        nonlocal errors
        rng = random.Random(offset)
        async with ClientSession() as session:
            async with session.get(base + login) as r:
                await r.read()
            for path in itertools.islice(itertools.cycle(paths), offset, None):
                if stop.is_set():
                    return
                while paused.is_set() and not stop.is_set():  # noqa: ASYNC110 - a process Event
                    await asyncio.sleep(0.01)
                t = time.perf_counter()
                async with session.get(base + path) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                latencies.append((time.perf_counter() - t) * 1000)
                ready.set()
                if think:  # people do not read in step: between half and one and a half times
                    await asyncio.sleep(think * (0.5 + rng.random()))

    async def main() -> None:
        await asyncio.gather(*(one(login, i * 3) for i, login in enumerate(logins)))

    asyncio.run(main())
    out.put((latencies, errors))


class Browsers:
    """The browsers run in another process, so their own CPU (and GIL) does not count against
    the bot: only the server's work lands on the bot's event loop."""

    def __init__(self, base: str, logins: list[str], paths: list[str], think: float = 0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._ready = ctx.Event()
        self._paused = ctx.Event()
        self._out = ctx.Queue()
        self._proc = ctx.Process(
            target=_browse,
            args=(base, logins, paths, think, self._ready, self._stop, self._paused, self._out),
            daemon=True,
        )
        self.latencies: list[float] = []
        self.errors = 0

    async def start(self) -> None:
        self._proc.start()
        # Under way before the chat's traffic starts: signed in, a first page loaded.
        await asyncio.to_thread(self._ready.wait, 60)

    async def pause(self) -> None:
        self._paused.set()
        await asyncio.sleep(0.3)  # the pages in flight finish

    async def resume(self) -> None:
        self._ready.clear()
        self._paused.clear()
        await asyncio.to_thread(self._ready.wait, 60)  # loading pages again

    async def stop(self) -> None:
        self._stop.set()
        # The bot's loop keeps serving while we wait: the last pages in flight need it.
        self.latencies, self.errors = await asyncio.to_thread(self._out.get, True, 60)
        await asyncio.to_thread(self._proc.join, 10)


def _silent(run: Run) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for t in run.tracks:
        if t.first_reply is None:
            kinds[t.kind] = kinds.get(t.kind, 0) + 1
    return dict(sorted(kinds.items()))


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
            dashboard = make_app(sim.rt, app)
            runner = web.AppRunner(dashboard, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                feeder = Feeder(app, sim.api)
                await feeder.saturate(mix.stream(200))  # warm-up
                logins = []
                for _ in range(clients + READERS):
                    issued = await flow.issue_link(sim.rt, ADMIN_ID)
                    logins.append(issued.url.removeprefix(base))
                paths = ["/street"] + [
                    f"/c/{c}/{page}"
                    for c in street.communities
                    for page in ("menu", "repairs", "care", "notices")
                ]
                browsers = Browsers(base, logins[:clients], paths)
                readers = Browsers(base, logins[clients:], paths, THINK)
                await browsers.start()
                await readers.start()
                quiet, loaded, reading = Run(), Run(), Run()
                slice_ = n_latency // ROUNDS
                try:
                    for _ in range(ROUNDS):
                        await browsers.pause()
                        await readers.pause()
                        quiet.add(await feeder.open_loop(mix.stream(slice_), rate))
                        await browsers.resume()
                        loaded.add(await feeder.open_loop(mix.stream(slice_), rate))
                        await browsers.pause()
                        await readers.resume()
                        reading.add(await feeder.open_loop(mix.stream(slice_), rate))
                finally:
                    await browsers.stop()
                    await readers.stop()
                alone, busy, everyday = summary(quiet), summary(loaded), summary(reading)
            finally:
                await app.stop()
        finally:
            if runner is not None:
                await runner.cleanup()
            await sim.stop()
    pages = sorted(browsers.latencies)
    read = sorted(readers.latencies)
    return {
        "browsers": clients,
        "pages": len(pages),
        "pages_per_s": round(len(pages) / loaded.elapsed, 1) if loaded.elapsed else 0.0,
        "page_errors": browsers.errors,
        "page_p50_ms": round(percentile(pages, 50), 1) if pages else float("nan"),
        "page_p95_ms": round(percentile(pages, 95), 1) if pages else float("nan"),
        "chat_rate_per_s": rate,
        "dashboard_waits_for_chat": dashboard[GATE].waits,
        "chat_p99_ms_alone": alone["p99_ms"],
        "chat_p95_ms_alone": alone["p95_ms"],
        "chat_unanswered_alone": alone["unanswered"],
        "chat_p99_ms_with_dashboard": busy["p99_ms"],
        "chat_p95_ms_with_dashboard": busy["p95_ms"],
        "chat_unanswered": busy["unanswered"],
        # Updates the bot answers with no Bot API call by design (group chatter, …), by kind:
        # the same kinds with and without the dashboard mean none was lost to it.
        "chat_unanswered_kinds_alone": _silent(quiet),
        "chat_unanswered_kinds_with_dashboard": _silent(loaded),
        # The everyday figure: READERS people reading pages, THINK seconds each.
        "readers": READERS,
        "reader_pages": len(read),
        "reader_page_p95_ms": round(percentile(read, 95), 1) if read else float("nan"),
        "chat_p99_ms_with_readers": everyday["p99_ms"],
        "chat_unanswered_with_readers": everyday["unanswered"],
    }
