"""Part 6: per-item time of the garbage look-up (`bot.sorting.lookup`), by kind of query."""

from __future__ import annotations

import importlib.util
import random
import time
from typing import Any

from benchmarks.feeder import percentile

KINDS = ("exact", "synonym", "fuzzy", "unknown")


def queries(per_kind: int, seed: int = 5) -> dict[str, list[str]]:
    from bot.sorting import KnowledgeBase, lookup

    rng = random.Random(seed)
    items = list(KnowledgeBase.get().items)
    names = [i.name for i in items]
    synonyms = [s for i in items for s in i.synonyms]
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    out["exact"] = [rng.choice(names) for _ in range(per_kind)]
    out["synonym"] = [rng.choice(synonyms) for _ in range(per_kind)] if synonyms else []
    typos = []
    for name in names:
        if len(name) >= 3:
            k = rng.randrange(len(name))
            typo = name[:k] + name[k + 1 :] + ("" if rng.random() < 0.5 else "子")
            if lookup(typo).status == "fuzzy":
                typos.append(typo)
    out["fuzzy"] = [rng.choice(typos) for _ in range(per_kind)] if typos else []
    noise = "量子纠缠星际穿越火箭燃料暗物质超导体引力波黑洞蝴蝶效应"
    unknown = []
    for _ in range(per_kind * 5):
        q = "".join(rng.sample(noise, rng.randint(3, 6)))
        if lookup(q).status == "unknown":
            unknown.append(q)
        if len(unknown) >= per_kind:
            break
    out["unknown"] = unknown
    return out


def run(per_kind: int) -> dict[str, Any]:
    if importlib.util.find_spec("bot.sorting") is None:
        return {"skipped": "bot/sorting.py is not on this tree"}
    from bot.sorting import lookup

    result: dict[str, Any] = {}
    worst = 0.0
    for kind, qs in queries(per_kind).items():
        if not qs:
            result[kind] = {"skipped": f"no {kind} queries could be made"}
            continue
        for q in qs[:50]:  # warm caches
            lookup(q)
        times = []
        statuses: dict[str, int] = {}
        for q in qs:
            t0 = time.perf_counter_ns()
            r = lookup(q)
            times.append((time.perf_counter_ns() - t0) / 1e6)
            statuses[r.status] = statuses.get(r.status, 0) + 1
        times.sort()
        p99 = percentile(times, 99)
        worst = max(worst, p99)
        result[kind] = {
            "n": len(qs),
            "p50_ms": round(percentile(times, 50), 4),
            "p99_ms": round(p99, 4),
            "max_ms": round(times[-1], 4),
            "statuses": statuses,
        }
    result["worst_p99_ms"] = round(worst, 4)
    return result
