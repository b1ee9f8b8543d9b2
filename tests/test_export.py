"""The shared export format: captions, formula-safe cells, Chinese that Excel opens."""

import io

import openpyxl

from bot.export import Sheet, csv_bytes, sheet_name, workbook


def test_workbook_has_caption_header_and_rows_per_sheet() -> None:
    results = Sheet("结果", ["项目", "户数"], [["加装电梯", 12], ["=cmd()", 3]], caption="第1轮")
    orders = Sheet("结果", ["楼", "户"], [["3号楼", 1]])
    book = openpyxl.load_workbook(io.BytesIO(workbook([results, orders])))
    assert book.sheetnames == ["结果", "结果 (2)"]
    rows = [[c.value for c in r] for r in book["结果"].iter_rows()]
    assert rows == [["第1轮", None], ["项目", "户数"], ["加装电梯", 12], ["'=cmd()", 3]]
    assert [[c.value for c in r] for r in book["结果 (2)"].iter_rows()] == [
        ["楼", "户"],
        ["3号楼", 1],
    ]


def test_csv_has_bom_caption_and_neutralised_formulas() -> None:
    data = csv_bytes(Sheet("s", ["a"], [["+1"], [None], ["好"]], caption="说明"))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["# 说明", "a", "'+1", '""', "好"]


def test_sheet_names_follow_excels_rules() -> None:
    taken: set[str] = set()
    assert sheet_name("a/b:c", taken) == "a_b_c"
    long = "长" * 40
    assert len(sheet_name(long, taken)) == 31
    assert len(sheet_name(long, taken)) == 31
