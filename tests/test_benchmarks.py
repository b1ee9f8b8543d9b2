"""The benchmark keeps working: a tiny run produces every figure (never how fast)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent

FIGURES = {
    "ceiling": ["updates_per_s"],
    "dashboard": ["page_p95_ms", "chat_p99_ms_alone", "chat_p99_ms_with_dashboard", "pages"],
    "mixed": [
        "saturation_updates_per_s",
        "ratio_to_ceiling",
        "paired_ratio_to_echo",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "concurrent_updates",
        "concurrent_32",
        "features",
        "notes",
        "mix",
    ],
    "broadcast": [
        "msg_per_s",
        "sustained_msg_per_s",
        "share_of_30_per_s",
        "http_429",
        "missing",
        "duplicated",
        "exactly_once",
    ],
    "footprint": [
        "peak_rss_mb",
        "startup_s",
        "launch_to_ready_s",
        "db_size_mb",
        "pending_jobs",
        "jobs_in_jobqueue",
        "tickets",
    ],
    "scale": ["small_ms", "big_ms", "ratio", "worst_ratio", "full_scans"],
    "lookup": ["worst_p99_ms"],
    "network": [
        "rtts_ms",
        "rtt_50ms",
        "sequential_burst_50ms",
        "street_50ms",
        "burst_share_of_30_at_50ms",
        "busy_private_p99_ms_at_50ms",
        "http_429",
    ],
}


def test_smoke_run_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    printed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert printed["targets"] == results["targets"]
    for part, keys in FIGURES.items():
        assert part in results, part
        for key in keys:
            assert key in results[part], f"{part}.{key}"
    if "skipped" not in results["lookup"]:
        for kind in ("exact", "synonym", "fuzzy", "unknown"):
            assert kind in results["lookup"]
    assert set(results["targets"]) >= {
        "mixed_vs_ceiling",
        "mixed_p99_ms_at_200",
        "broadcast_share_of_30",
        "broadcast_429s",
        "peak_rss_mb",
        "startup_s",
        "scale_worst_ratio",
        "lookup_p99_ms",
        "network_burst_share_of_30_at_50ms",
        "network_busy_private_p99_ms_at_50ms",
        "dashboard_page_p95_ms",
        "dashboard_chat_p99_ms_at_200",
    }


def test_the_postgresql_column_is_skipped_with_a_reason(monkeypatch: Any) -> None:
    from benchmarks import __main__ as bench
    from benchmarks import pgserver

    monkeypatch.setattr(pgserver, "available", lambda: "no PostgreSQL server binaries")
    assert bench.postgres_pass(["mixed"], "smoke", "") == {
        "skipped": "no PostgreSQL server binaries"
    }


@pytest.mark.skipif(not ON_POSTGRES, reason="needs TEST_DATABASE_URL")
def test_the_postgresql_column_runs_on_a_given_server() -> None:
    from benchmarks import __main__ as bench
    from benchmarks import target

    pg = bench.postgres_pass(["mixed"], "smoke", TEST_DATABASE_URL)
    assert pg["server"] == "given" and pg["mixed"]["p99_ms"] is not None
    assert "concurrent_32" not in pg["mixed"]  # SQLite's comparison only
    assert not target.url()  # the SQLite parts after it are SQLite's again
