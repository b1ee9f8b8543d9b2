"""Tables for staff to download: one workbook with a sheet per table, or one CSV per table.

Every export in the bot (menu results, repair statistics, care visit logs, the dashboard)
goes through here, so all of them look alike: a caption line that says what the table is,
then a header row, then plain rows with no summary rows mixed in (totals live in their own
sheet). Building a workbook is CPU work: callers run `workbook`/`csv_bytes` on a worker
thread (`asyncio.to_thread`), never on the event loop.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell that starts with one of these is a formula to Excel and LibreOffice: a resident's
# suggestion "=HYPERLINK(...)" must stay text (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Sheet names: at most 31 characters, none of []:*?/\ (Excel's rules).
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

Cell = str | int | float | None | date | datetime


@dataclass(frozen=True)
class Sheet:
    title: str  # sheet name in the workbook; file name stem for CSV
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""  # one sentence above the table: what it counts, as of when
    widths: Sequence[int] = field(default_factory=tuple)  # column widths in characters
    # Number formats of columns by index, in the workbook (PERCENT: a share stays a number);
    # CSV writes the plain number.
    formats: Mapping[int, str] = field(default_factory=dict)


PERCENT = "0%"


def safe_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def sheet_name(title: str, taken: set[str]) -> str:
    name = _BAD_SHEET_CHARS.sub("_", title).strip() or "Sheet"
    name = name[:31]
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """One .xlsx file with a sheet per table; the caption is the first row of each sheet."""
    from openpyxl import Workbook  # imported here: only staff exports need it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet_name(sheet.title, taken))
        if sheet.caption:
            ws.append([sheet.caption])
            ws.cell(row=1, column=1).font = Font(italic=True)
        ws.append(list(sheet.header))
        header_row = ws.max_row
        for col in range(1, len(sheet.header) + 1):
            ws.cell(row=header_row, column=col).font = bold
        ws.freeze_panes = f"A{header_row + 1}"  # a string: ws.cell() would create a row
        for row in sheet.rows:
            ws.append([safe_cell(v) for v in row])
            for col, number_format in sheet.formats.items():
                ws.cell(row=ws.max_row, column=col + 1).number_format = number_format
        for i, width in enumerate(sheet.widths or _guess_widths(sheet), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM (Excel on Windows then reads Chinese), caption as a '#' line."""
    buffer = io.StringIO()
    if sheet.caption:
        buffer.write(f"# {sheet.caption}\n")
    writer = csv.writer(buffer)
    writer.writerow(list(sheet.header))
    writer.writerows([[_text(safe_cell(v)) for v in row] for row in sheet.rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _guess_widths(sheet: Sheet) -> list[int]:
    # Chinese characters are about two columns wide in a spreadsheet.
    def width(value: Cell) -> int:
        text = _text(value)
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    cols = len(sheet.header)
    sample: list[list[Cell]] = [list(sheet.header), *[list(r) for r in sheet.rows[:200]]]
    return [min(60, max(6, *(width(r[i]) + 2 for r in sample if i < len(r)))) for i in range(cols)]
