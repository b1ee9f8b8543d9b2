"""Extract every translatable string and update the per-feature catalogues.

    python tools/update_catalogs.py          # add new msgids, drop unused ones
    python tools/update_catalogs.py --check  # exit 1 if any msgid lacks a translation

Traditional Chinese is pre-filled from the Simplified text with OpenCC (then reviewed);
English is written by hand in bot/locales/en/LC_MESSAGES/<feature>.po.
"""

from __future__ import annotations

import argparse
import re
import string as stringlib
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "bot", ROOT / "handlers"]
LOCALES = ROOT / "bot" / "locales"
KEYWORDS = {"_": None, "N_": None, "_t": None, "gettext": (2,)}
FEATURES = {
    "community",
    "menu",
    "repairs",
    "sorting",
    "quiz",
    "reminders",
    "care",
    "intents",
    "address",
    "dashboard",
}
TARGET_LANGS = ("zh_Hant", "en")


def domain_of(path: Path) -> str:
    stem = path.stem
    for feature in FEATURES:
        if stem == feature or stem.startswith(feature + "_"):
            return feature
    return "core"


def extract() -> dict[str, dict[str, list[tuple[str, int]]]]:
    """domain → msgid → [(file, line)]"""
    found: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for folder in SOURCES:
        for path in sorted(folder.rglob("*.py")):
            for lineno, message, _comments, _ctx in extract_from_file(
                "python", str(path), keywords=KEYWORDS
            ):
                if isinstance(message, str) and message:
                    rel = str(path.relative_to(ROOT))
                    found[domain_of(path)][message].append((rel, lineno))
    return found


def po_path(lang: str, domain: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"


def load(lang: str, domain: str) -> Catalog:
    path = po_path(lang, domain)
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh)
    return Catalog(locale=lang.split("_")[0], domain=domain, project="community-bot")


def _fields(text: str) -> set[str]:
    """The {placeholders} of a message; a translation must keep exactly the same ones."""
    try:
        return {f for _, f, _, _ in stringlib.Formatter().parse(text) if f}
    except ValueError:
        return set(re.findall(r"{(\w*)}", text))


_T2TW: Any = None


def _taiwan(text: str) -> str:
    """Traditional text in Taiwan's standard characters (OpenCC t2tw)."""
    global _T2TW
    if _T2TW is None:
        import opencc

        _T2TW = opencc.OpenCC("t2tw")
    return str(_T2TW.convert(text))


def _content(catalog: Catalog) -> list[tuple[object, object, object]]:
    """What a catalogue says, without its header: ids, translations, source files."""
    return sorted(
        (m.id, m.string, sorted({path for path, _ in m.locations})) for m in catalog if m.id
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    found = extract()
    missing: list[str] = []
    s2t = None
    for lang in TARGET_LANGS:
        for domain, messages in sorted(found.items()):
            old = load(lang, domain)
            # The old header date is kept: a file changes only when its messages do, so
            # parallel branches do not conflict on a timestamp.
            new = Catalog(
                locale=lang.split("_")[0],
                domain=domain,
                project="community-bot",
                creation_date=old.creation_date,
            )
            for msgid, places in sorted(messages.items()):
                previous = old.get(msgid)
                string = previous.string if previous is not None else ""
                if not string and lang == "zh_Hant" and not args.check:
                    if s2t is None:
                        import opencc

                        s2t = opencc.OpenCC("s2tw")
                    string = s2t.convert(msgid)
                if string and lang == "zh_Hant":
                    # One standard for Traditional: Taiwan's (OpenCC s2tw). Variant characters
                    # (羣/群, 裏/裡, 爲/為, 覈/核) are folded on update and flagged by --check.
                    standard = _taiwan(str(string))
                    if standard != string and args.check:
                        missing.append(f"{lang}/{domain}: not Taiwan standard: {string!r}")
                    string = standard
                if not string:
                    missing.append(f"{lang}/{domain}: {msgid!r} ({places[0][0]}:{places[0][1]})")
                elif _fields(str(string)) != _fields(msgid):
                    missing.append(f"{lang}/{domain}: placeholders differ in {msgid!r}")
                new.add(msgid, string, locations=places)
            if not args.check and _content(new) != _content(old):
                path = po_path(lang, domain)
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("wb") as fh:
                    write_po(fh, new, width=100, sort_output=True, include_lineno=False)
    if missing:
        print(f"{len(missing)} messages lack a translation:", file=sys.stderr)
        for line in missing:
            print("  " + line, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
