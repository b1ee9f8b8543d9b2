"""`community-bot sort ITEM...`: look items up from the command line.

One line per item, `query<TAB>category<TAB>reason`; `--json` prints a JSON list.
Exit status: 0 when every item was found, 1 when any is unknown or only a fuzzy guess,
2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.sorting import LookupResult, lookup


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="community-bot sort", description="垃圾分类查询 / look up how to sort items"
    )
    parser.add_argument("items", nargs="+", metavar="ITEM", help="item names, e.g. 电池 奶茶杯")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _as_dict(result: LookupResult) -> dict:
    row: dict = {
        "query": result.query,
        "status": result.status,
        "name": None,
        "category": None,
        "category_name": None,
        "reason": None,
        "note": None,
        "candidates": [c.name for c in result.candidates],
    }
    # A fuzzy best guess is not an answer: only its candidates are reported.
    if result.status in ("exact", "synonym", "composite") and result.item:
        item = result.item
        row.update(
            name=item.name,
            category=str(item.category),
            category_name=item.category.zh,
            reason=result.advice if result.status == "composite" else item.reason,
            note=item.note,
        )
    elif result.status == "special" and result.special:
        special = result.special
        row.update(
            name=special.name,
            category=special.code,
            category_name=special.name,
            reason=result.advice,
        )
    elif result.status == "category" and result.category:
        info = result.category
        row.update(
            name=info.name,
            category=str(info.code),
            category_name=info.name,
            reason=result.advice,
        )
    return row


def _as_line(result: LookupResult, row: dict) -> str:
    query = " ".join(result.query.split())  # a tab or newline in the query would break the line
    if not result.found:
        hint = "可能是：" + "、".join(row["candidates"]) if row["candidates"] else "未找到"
        return f"{query}\t?\t{hint}"
    reason = row["reason"] or ""
    if row["name"] and row["name"] != query and result.status in ("exact", "synonym"):
        reason = f"{row['name']}：{reason}"
    if row["note"]:
        reason += f"（注：{row['note']}）"
    return f"{query}\t{row['category_name']}\t{reason}"


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage (or --help)
        return 0 if exc.code == 0 else 2
    results = [lookup(query) for query in args.items]
    rows = [_as_dict(r) for r in results]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for result, row in zip(results, rows, strict=True):
            print(_as_line(result, row))
    return 0 if all(r.found for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
