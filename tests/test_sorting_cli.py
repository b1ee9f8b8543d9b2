"""`community-bot sort ITEM...` output and exit status."""

from __future__ import annotations

import json

import pytest

from bot.sorting import lookup
from bot.sorting_cli import main


def test_text_output_one_line_per_item(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["电池", "香蕉皮", "沙发", "带汤的外卖盒"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 3 for row in rows)
    assert rows[0][:2] == ["电池", "有害垃圾"] and "废电池" in rows[0][2] and "注" in rows[0][2]
    assert rows[1] == ["香蕉皮", "厨余垃圾", lookup("香蕉皮").item.reason]
    assert rows[2][:2] == ["沙发", "大件垃圾"] and "预约" in rows[2][2]
    assert rows[3][:2] == ["带汤的外卖盒", "其他垃圾"] and "厨余垃圾" in rows[3][2]


def test_fuzzy_and_unknown_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["玻璃瓶", "卫生低", "量子计算机"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[1] == "可回收物"
    query, category, hint = lines[1].split("\t")
    assert (query, category) == ("卫生低", "?") and "卫生纸" in hint
    assert lines[2].split("\t")[:2] == ["量子计算机", "?"]


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "舊電池", "卫生低", "瓷砖", "湿垃圾"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [row["status"] for row in data] == ["synonym", "fuzzy", "special", "category"]
    keys = {"query", "status", "name", "category", "category_name", "reason", "note", "candidates"}
    assert all(keys <= set(row) for row in data)
    battery, typo, tiles, category = data
    assert battery["query"] == "舊電池" and battery["name"] == "废电池"
    assert battery["category"] == "hazardous" and battery["category_name"] == "有害垃圾"
    assert battery["reason"] and battery["note"]
    assert typo["name"] is None and typo["category"] is None and "卫生纸" in typo["candidates"]
    assert tiles["category"] == "renovation" and "物业" in tiles["reason"]
    assert category["category"] == "kitchen" and category["reason"]


def test_json_all_found_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["大骨头", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["category"] == "other" and "上海" in row["note"]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["--nope", "电池"]) == 2
    assert "usage" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "ITEM" in capsys.readouterr().out


def test_empty_item_is_not_found(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["  "]) == 1
    assert capsys.readouterr().out.split("\t")[1] == "?"
