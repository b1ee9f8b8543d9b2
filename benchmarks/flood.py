"""Part 7: flooding. One resident sends `flood_rate` updates/s of random text (each one a
garbage look-up that finds nothing and is written down for the volunteers) while the neighbours' everyday mix goes on at `rate`/s. The neighbours' reply
latency is measured three times on the same bot: without the flood, with the flood and flood
control on (production), and with the flood and flood control off, to show what it saves.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks import updates as U
from benchmarks.feeder import Feeder, Run, summary
from benchmarks.mixed import Mix, discover
from benchmarks.street import street_simulator
from bot.clock import Clock
from bot.throttle import Throttle

FLOODER = 8_888_888


def _part(run: Run, kind: str) -> Run:
    part = Run(elapsed=run.elapsed)
    part.tracks = [t for t in run.tracks if (t.kind == "flood") == (kind == "flood")]
    return part


async def run(n_neighbours: int, rate: float, flood_rates: tuple[float, ...]) -> dict[str, Any]:
    seconds = n_neighbours / rate
    with tempfile.TemporaryDirectory() as tmp:
        sim, street = await street_simulator(str(Path(tmp) / "street.db"), 5, 2_000)
        try:
            mix = Mix(street, seed=11)
            await discover(sim, street, mix)
            app = sim.app
            assert app is not None
            rt = sim.rt
            rt.clock = Clock()  # buckets refill in real time here
            await app.start()
            try:
                feeder = Feeder(app, sim.api)
                await feeder.saturate(mix.stream(300))  # warm-up
                flooder = U.user(FLOODER, "刷屏的人")
                chat = U.private_chat(FLOODER)

                def flood(flood_rate: float) -> list[tuple[float, dict[str, Any]]]:
                    n = int(seconds * flood_rate)
                    return [
                        (
                            i / flood_rate,
                            {**U.message(flooder, chat, f"刷屏{i}号乱码"), "_kind": "flood"},
                        )
                        for i in range(n)
                    ]

                def neighbours() -> list[tuple[float, dict[str, Any]]]:
                    return [(i / rate, raw) for i, raw in enumerate(mix.stream(n_neighbours))]

                out: dict[str, Any] = {
                    "neighbour_rate": rate,
                    "flood_rates": list(flood_rates),
                    "seconds": round(seconds, 1),
                }
                scenarios = [("no_flood", 0.0, Throttle())]
                for f in flood_rates:
                    scenarios += [
                        (f"flood_{f:g}_throttled", f, Throttle()),
                        (f"flood_{f:g}_unthrottled", f, Throttle(enabled=False)),
                    ]
                for name, flood_rate, throttle in scenarios:
                    with_flood = flood_rate > 0
                    rt.throttle = throttle
                    timed = neighbours() + (flood(flood_rate) if with_flood else [])
                    result = await feeder.open_loop_timed(timed)
                    near = summary(_part(result, "neighbour"))
                    out[name] = {
                        "neighbours_p50_ms": near["p50_ms"],
                        "neighbours_p95_ms": near["p95_ms"],
                        "neighbours_p99_ms": near["p99_ms"],
                        "neighbours_unanswered": near["unanswered"],
                    }
                    if with_flood:
                        flood_part = _part(result, "flood")
                        out[name].update(
                            flood_updates=len(flood_part.tracks),
                            flood_answered=len(flood_part.tracks) - flood_part.unanswered(),
                            flood_dropped=throttle.dropped,
                        )
            finally:
                await app.stop()
        finally:
            await sim.stop()
    return out
