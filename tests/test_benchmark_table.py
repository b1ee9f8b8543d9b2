"""tools/benchmark_table.py: the README's table is the latest full run's, never hand-edited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import PARTS
from benchmarks.report import targets
from tools import benchmark_table as tool


def _results() -> dict[str, Any]:
    results: dict[str, Any] = {p: {} for p in PARTS}
    results.update(
        mode="full",
        started="2026-11-30T21:00:00+0000",
        total_s=300.0,
        machine={"cpus": 2, "memory_gb": 23.5, "python": "3.11.7"},
    )
    results["footprint"] = {"peak_rss_mb": 69.4, "startup_s": 0.7}
    results["mixed"] = {"p99_ms": 12.5, "max_ms": 40.0, "paired_ratio_to_echo": 0.31}
    results["scale"] = {
        "worst_ratio": 1.1,
        "ratio": {"staff_grid": 1.1},
        "small_ms": {"staff_grid": 0.8},
        "big_ms": {"staff_grid": 0.88},
    }
    results["targets"] = targets(results)
    return results


def test_the_table_replaces_only_the_marked_section() -> None:
    readme = f"intro\n{tool.START}\nold figures\n{tool.END}\nafter\n"
    out = tool.rewrite(readme, _results())
    assert out.startswith("intro\n") and out.endswith(f"{tool.END}\nafter\n")
    assert "old figures" not in out
    assert "| peak RSS MB | 69.4 | <= 100 | yes |" in out
    assert "| mixed p99 ms @200/s | 12.5 | <= 10 | **no** |" in out
    assert "| scale `staff_grid` (1M / 1k rows) | 1.1 (0.8 → 0.88 ms) | | |" in out
    assert tool.rewrite(out, _results()) == out


def test_check_mode_and_partial_runs(tmp_path: Path) -> None:
    results, readme = tmp_path / "latest.json", tmp_path / "README.md"
    results.write_text(json.dumps(_results()), encoding="utf-8")
    readme.write_text(f"x\n{tool.START}\n{tool.END}\n", encoding="utf-8")
    args = ["--results", str(results), "--readme", str(readme)]
    assert tool.main([*args, "--check"]) == 1
    assert tool.main(args) == 0
    assert tool.main([*args, "--check"]) == 0
    partial = {**_results(), "mode": "quick"}
    results.write_text(json.dumps(partial), encoding="utf-8")
    assert tool.main([*args, "--check"]) == 2


def test_the_readme_holds_the_latest_full_run() -> None:
    """When this checkout has a complete full run, README.md must show it."""
    try:
        results = tool.load(tool.RESULTS)
    except (OSError, tool.NotAFullRun):
        pytest.skip("no complete full run in benchmarks/results/latest.json")
    readme = tool.README.read_text(encoding="utf-8")
    assert tool.rewrite(readme, results) == readme, "python tools/benchmark_table.py"


def test_the_postgresql_column_stands_beside_sqlite() -> None:
    results = _results()
    pg: dict[str, Any] = {
        "server": "throw-away",
        "mixed": {"p99_ms": 9.0, "max_ms": 80.0, "paired_ratio_to_echo": 0.2},
        "failover": {"max_s": 9.5, "median_s": 9.1, "standby_getupdates_calls": 0},
    }
    pg["targets"] = targets(pg)
    results["postgresql"] = pg
    results["failover"] = {"max_s": 8.2, "median_s": 7.9, "standby_getupdates_calls": 0}
    results["targets"] = targets(results)
    out = tool.rewrite(f"{tool.START}\n{tool.END}\n", results)
    assert "| figure | SQLite | PostgreSQL | target | met |" in out
    assert "| mixed p99 ms @200/s | 12.5 | 9 | <= 10 | **no** |" in out
    assert "| mixed max ms @200/s | 40 | 80 (**no**) | <= 50 | yes |" in out
    assert "| failover: kill → answer s (max) | 8.2 | 9.5 | <= 15 | yes |" in out
    assert "| peak RSS MB | 69.4 |  | <= 100 | yes |" in out
    assert "| scale `staff_grid` (1M / 1k rows) | 1.1 (0.8 → 0.88 ms) | | | |" in out
    skipped = {**_results(), "postgresql": {"skipped": "no PostgreSQL server binaries"}}
    out = tool.rewrite(f"{tool.START}\n{tool.END}\n", skipped)
    assert "(No PostgreSQL column: no PostgreSQL server binaries.)" in out
    assert "| figure | value | target | met |" in out
