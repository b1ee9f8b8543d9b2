"""Write README.md's benchmark table from `benchmarks/results/latest.json` of a full run.

    python tools/benchmark_table.py            # rewrite the section between the markers
    python tools/benchmark_table.py --check    # exit 1 if README.md differs from the results

Only a complete full run (`python -m benchmarks`, every part) is accepted, so the README's
figures are always what one full run printed, never a mix of runs or sizes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.__main__ import PARTS  # noqa: E402
from benchmarks.report import markdown  # noqa: E402

START = "<!-- benchmark-table:start -->"
END = "<!-- benchmark-table:end -->"
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
README = ROOT / "README.md"


class NotAFullRun(ValueError):
    pass


def load(path: Path) -> dict[str, Any]:
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    missing = [p for p in PARTS if p not in results]
    if results.get("mode") != "full" or missing:
        raise NotAFullRun(
            f"{path} is not a complete full run (mode {results.get('mode')!r}, "
            f"missing parts: {', '.join(missing) or 'none'}); run `python -m benchmarks`"
        )
    return results


def rewrite(readme: str, results: dict[str, Any]) -> str:
    """`readme` with the section between the markers replaced by the table."""
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README.md needs the markers {START} and {END}")
    return f"{before}{START}\n{markdown(results)}\n{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if stale")
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--readme", default=str(README))
    args = parser.parse_args(argv)
    readme_path = Path(args.readme)
    try:
        results = load(Path(args.results))
    except (OSError, NotAFullRun) as exc:
        print(exc, file=sys.stderr)
        return 2
    current = readme_path.read_text(encoding="utf-8")
    wanted = rewrite(current, results)
    if args.check:
        if wanted != current:
            print(
                "README.md's benchmark table is not the latest full run's: "
                "python tools/benchmark_table.py",
                file=sys.stderr,
            )
            return 1
        return 0
    readme_path.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
