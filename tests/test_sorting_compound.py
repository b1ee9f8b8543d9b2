"""Compound questions: every part is sorted by its own entry, and the advice is proved."""

from __future__ import annotations

import pytest

from bot.sorting import Category, KnowledgeBase, lookup
from bot.sorting_compound import AUDIT_PHRASES, audit, validate


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.get()


def test_builder_audit_finds_no_contradiction(kb: KnowledgeBase) -> None:
    assert audit(kb) == []


@pytest.mark.parametrize("phrase", AUDIT_PHRASES)
def test_review_phrases_validate_in_every_city(kb: KnowledgeBase, phrase: str) -> None:
    for city in (None, "beijing", "shanghai", "hohhot"):
        result = lookup(phrase, city)
        assert validate(kb, result.steps, city) == []


@pytest.mark.parametrize(
    "contents", ["药", "农药", "消毒液", "机油", "杀虫剂", "油漆", "水银", "指甲油"]
)
def test_hazardous_contents_never_go_to_kitchen_waste_nor_down_the_drain(contents: str) -> None:
    result = lookup(f"装着{contents}的瓶子")
    assert result.found and result.item is not None
    assert result.item.category == Category.HAZARDOUS
    advice = result.advice or ""
    assert "厨余" not in advice and "倒进水池" not in advice.replace("不要倒进水池", "")
    assert "有害垃圾" in advice


def test_mercury_asks_an_adult_and_not_to_touch() -> None:
    for phrase in ("装着水银的瓶子", "摔碎的体温计", "打碎的温度计"):
        advice = lookup(phrase).advice or ""
        assert "不要用手碰" in advice and "大人" in advice, phrase


def test_sharp_broken_things_are_for_an_adult() -> None:
    result = lookup("摔碎的玻璃杯")
    assert result.item is not None and result.item.name == "碎玻璃"
    assert "不要用手捡" in (result.advice or "") and "大人" in (result.advice or "")
    assert "大人" in lookup("碎玻璃").item.reason  # type: ignore[union-attr]
    assert "大人" in lookup("菜刀").item.reason  # type: ignore[union-attr]


def test_non_food_contents_are_not_kitchen_waste() -> None:
    for contents in ("烟头", "洗发水"):
        advice = lookup(f"装着{contents}的瓶子").advice or ""
        assert "厨余" not in advice and "其他垃圾" in advice, contents


def test_lid_is_taken_off_not_poured() -> None:
    advice = lookup("带盖子的玻璃瓶").advice or ""
    assert "取下来" in advice and "厨余" not in advice


def test_oil_never_down_the_drain() -> None:
    advice = lookup("装着油的瓶子").advice or ""
    assert "不要倒进水池" in advice
    assert "倒进水池" not in advice.replace("不要倒进水池", "")
    assert "下水道" in lookup("废弃食用油").item.reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "phrase", ["沾了油的纸", "擦过鼻涕的纸", "包过油条的纸", "沾了油的纸盒", "沾了菜汤的报纸"]
)
def test_soiled_paper_is_never_recyclable(phrase: str) -> None:
    result = lookup(phrase)
    assert result.found and result.item is not None, phrase
    assert result.item.category == Category.OTHER


def test_used_paper_asks_which_paper() -> None:
    result = lookup("用过的纸")
    assert result.status == "fuzzy" and "餐巾纸" in [c.name for c in result.candidates]


def test_battery_comes_out_of_a_toy_first() -> None:
    result = lookup("带电池的玩具")
    assert result.found and result.steps[0].action == "battery"
    assert (result.advice or "").startswith("先把电池取出来")


def test_together_sorts_each_part_and_follows_the_city() -> None:
    national = lookup("药连盒子一起")
    assert [s.category for s in national.steps] == [Category.HAZARDOUS, Category.RECYCLABLE]
    beijing = lookup("药连盒子一起", "beijing")
    assert [s.category for s in beijing.steps] == [Category.HAZARDOUS, Category.HAZARDOUS]


def test_unknown_contents_are_not_guessed() -> None:
    result = lookup("装着量子燃料的瓶子")
    assert not result.found


def test_shanghai_compound_uses_wet_and_dry_names() -> None:
    advice = lookup("带汤的外卖盒", "shanghai").advice or ""
    assert "湿垃圾" in advice and "干垃圾" in advice and "厨余" not in advice
