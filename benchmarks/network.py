"""Part 8: real network conditions. The fake Bot API takes a round trip per call (0, 50 and
200 ms side by side) and enforces Telegram's limits (30 messages/s overall, 20/min per group,
429 with retry_after beyond them); the bot is built as in production (rate limiter on, the
concurrent per-chat ordered processor) and fed through PTB's own fetcher.

* burst: N residents each ask one thing in private at the same moment. Answers per second,
  after Telegram's first burst of 30, as a share of the 30/s Telegram allows.
* busy groups: in each of K groups 30 children ask `/sort` at once (the issue's class of
  children), so every group goes over its limit (its later answers wait for the group's
  minute), while residents ask `/help` in private at a steady rate. The private answers'
  latency.
* street: the everyday mixed load of a street (benchmarks/mixed.py) at a steady rate below
  Telegram's ceiling, with the slow Bot API. Its latency.

Latency is from an update's arrival to its first Bot API call reaching "Telegram".
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import updates as U
from benchmarks.feeder import Feeder, Run, set_concurrency, summary
from benchmarks.mixed import Mix, discover
from benchmarks.street import Street, street_simulator
from bot.offline.fakeapi import FakeBotAPI
from bot.offline.simulator import Simulator
from bot.updates import OrderedUpdateProcessor

TELEGRAM_RATE = 30.0
TELEGRAM_BURST = 30
PRIVATE_RATE = 10.0  # residents' private questions per second during the busy-groups part


async def _street(
    tmp: str, rtt: float, communities: int, households: int
) -> tuple[Simulator, Street]:
    api = FakeBotAPI(latency=rtt, limits=True)
    return await street_simulator(
        str(Path(tmp) / "street.db"), communities, households, rate_limited=True, api=api
    )


def _residents(street: Street, community: int | None = None) -> list[int]:
    return [uid for uid, c, _b in street.residents if community is None or c == community]


async def burst(rtt: float, n: int, *, sequential: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sim, street = await _street(tmp, rtt, 4, 4 * (n // 4 + 1))
        try:
            app = sim.app
            assert app is not None
            if sequential:
                set_concurrency(app, 1)  # the old wiring, for comparison
            await app.start()
            try:
                feeder = Feeder(app, sim.api)
                people = _residents(street)[:n]
                raws = [U.message(U.user(u), U.private_chat(u), "/help", "burst") for u in people]
                run = await feeder.saturate(raws)
            finally:
                await app.stop()
            too_many = sim.api.too_many
        finally:
            await sim.stop()
    answered = sorted(t.first_reply for t in run.tracks if t.first_reply is not None)
    start = min(t.arrived for t in run.tracks)
    # Telegram lets the first 30 through at once; the rate after them is what it sustains.
    after = answered[TELEGRAM_BURST - 1 :]
    window = after[-1] - after[0] if len(after) > 1 else 0.0
    rate = (len(after) - 1) / window if window > 0 else 0.0
    return {
        "residents": n,
        "answered": len(answered),
        "all_answered_s": round(answered[-1] - start, 2) if answered else None,
        "answers_per_s": round(rate, 1),
        "share_of_30_per_s": round(rate / TELEGRAM_RATE, 3),
        "http_429": too_many,
    }


async def busy_groups(rtt: float, k: int, per_group: int, privates: int) -> dict[str, Any]:
    """`per_group` children each ask `/sort` at the same moment in each of `k` groups (the
    first 20 answers fill a group's minute, the rest wait for it), while residents of another
    community ask `/help` in private at PRIVATE_RATE a second from that moment on. Once every
    private question is answered the run ends; the groups' answers still waiting for their
    limit are dropped (they would take minutes)."""
    with tempfile.TemporaryDirectory() as tmp:
        households = (k + 1) * max(per_group, privates)
        sim, street = await _street(tmp, rtt, k + 1, households)
        try:
            app = sim.app
            assert app is not None
            await app.start()
            try:
                feeder = Feeder(app, sim.api)
                timed: list[tuple[float, dict[str, Any]]] = []
                for c in street.communities[:k]:
                    group = U.group_chat(street.groups[c])
                    kids = _residents(street, c)[:per_group]
                    timed += [
                        (0.0, U.message(U.user(u), group, "/sort 塑料瓶", "group")) for u in kids
                    ]
                quiet = _residents(street, street.communities[k])[:privates]
                timed += [
                    (i / PRIVATE_RATE, U.message(U.user(u), U.private_chat(u), "/help", "private"))
                    for i, u in enumerate(quiet)
                ]

                def privates_answered(run: Run) -> bool:
                    mine = [t for t in run.tracks if t.kind == "private"]
                    return len(mine) == len(quiet) and all(t.first_reply for t in mine)

                run = await feeder.open_loop_timed(timed, until=privates_answered)
                processor = app.update_processor
                waiting = processor.cancel() if isinstance(processor, OrderedUpdateProcessor) else 0
            finally:
                await app.stop()
            too_many = sim.api.too_many
            group_sends = sum(n for chat, n in sim.api.delivered.items() if chat < 0)
        finally:
            await sim.stop()
    private = Run(elapsed=run.elapsed, tracks=[t for t in run.tracks if t.kind == "private"])
    near = summary(private)
    return {
        "busy_groups": k,
        "asked_per_group": per_group,
        "private_updates": len(private.tracks),
        "private_p50_ms": near["p50_ms"],
        "private_p99_ms": near["p99_ms"],
        "private_max_ms": near["max_ms"],
        "private_unanswered": near["unanswered"],
        "seconds": round(run.elapsed, 1),
        "group_answers_sent": group_sends,
        "group_answers_still_waiting": waiting,
        "http_429": too_many,
    }


async def street_load(rtt: float, n: int, rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sim, street = await _street(tmp, rtt, 20, 4_000)
        try:
            mix = Mix(street, seed=13)
            sim.api.latency = 0.0  # discovering the features' buttons is set-up
            await discover(sim, street, mix)
            sim.api.latency = rtt
            app = sim.app
            assert app is not None
            await app.start()
            try:
                feeder = Feeder(app, sim.api)
                run = await feeder.open_loop(mix.stream(n), rate)
            finally:
                await app.stop()
            too_many = sim.api.too_many
        finally:
            await sim.stop()
    out = summary(run)
    return {
        "updates": out["updates"],
        "offered_rate": rate,
        "p50_ms": out["p50_ms"],
        "p95_ms": out["p95_ms"],
        "p99_ms": out["p99_ms"],
        "max_ms": out["max_ms"],
        "no_reply_updates": out["unanswered"],
        "http_429": too_many,
    }


async def run(
    rtts_ms: tuple[int, ...],
    burst_n: int,
    busy_k: int,
    per_group: int,
    privates: int,
    street_n: int,
    street_rate: float,
    *,
    busy_rtts_ms: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    out: dict[str, Any] = {"rtts_ms": list(rtts_ms), "busy_rtts_ms": list(busy_rtts_ms or rtts_ms)}
    parts: list[dict[str, Any]] = []
    for ms in rtts_ms:
        rtt = ms / 1000
        row: dict[str, Any] = {"burst": await burst(rtt, burst_n)}
        if ms in out["busy_rtts_ms"]:
            row["busy_groups"] = await busy_groups(rtt, busy_k, per_group, privates)
        out[f"rtt_{ms}ms"] = row
        parts += row.values()
    # The old wiring (one update at a time) at 50 ms, for comparison.
    out["sequential_burst_50ms"] = await burst(0.05, burst_n, sequential=True)
    out["street_50ms"] = await street_load(0.05, street_n, street_rate)
    parts += [out["sequential_burst_50ms"], out["street_50ms"]]
    at50 = out.get("rtt_50ms", {})
    out["burst_share_of_30_at_50ms"] = at50.get("burst", {}).get("share_of_30_per_s")
    out["busy_private_p99_ms_at_50ms"] = at50.get("busy_groups", {}).get("private_p99_ms")
    out["http_429"] = sum(part["http_429"] for part in parts)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def main() -> None:  # pragma: no cover - a quick look by hand
    import json

    print(json.dumps(asyncio.run(run((0, 50), 60, 3, 25, 20, 200, 20.0)), indent=1))


if __name__ == "__main__":  # pragma: no cover
    main()
