"""Consistency of the shipped garbage knowledge base (bot/data/garbage.json)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from bot.quiz import BOARD_SIZE
from bot.sorting import Category, KnowledgeBase, fold, lookup
from bot.text import to_simplified


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(resources.files("bot").joinpath("data/garbage.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.get()


def test_four_categories_with_display_names(raw: dict) -> None:
    codes = [c["code"] for c in raw["categories"]]
    assert codes == ["recyclable", "hazardous", "kitchen", "other"]
    for c in raw["categories"]:
        assert c["name"] == Category(c["code"]).zh
        assert c["aliases"] and c["explain"] and c["tip"]


def test_at_least_600_items_with_valid_fields(raw: dict) -> None:
    items = raw["items"]
    assert len(items) >= 600
    codes = {c.value for c in Category}
    for item in items:
        assert item["category"] in codes, item
        assert item["name"].strip() and item["reason"].strip(), item
        assert isinstance(item["synonyms"], list)
        assert all(s.strip() for s in item["synonyms"]), item
    # every category is well represented
    for code in codes:
        assert sum(i["category"] == code for i in items) >= 40


def test_names_unique_after_normalize(raw: dict) -> None:
    names = [fold(i["name"]) for i in raw["items"]]
    assert len(names) == len(set(names))


def test_no_word_points_to_two_things(raw: dict) -> None:
    owner: dict[str, str] = {}
    words = []
    for c in raw["categories"]:
        words += [(w, "cat:" + c["code"]) for w in [c["name"], *c["aliases"]]]
    for s in raw["special"]:
        words += [(w, "special:" + s["code"]) for w in [s["name"], *s["aliases"], *s["examples"]]]
    for i in raw["items"]:
        words += [(w, "item:" + i["name"]) for w in [i["name"], *i["synonyms"]]]
    for word, who in words:
        key = fold(word)
        assert owner.setdefault(key, who) == who, f"{word}: {owner[key]} vs {who}"


def test_every_name_synonym_and_alias_resolves(kb: KnowledgeBase) -> None:
    for item in kb.items:
        result = lookup(item.name)
        assert result.status == "exact" and result.item == item, item.name
        for synonym in item.synonyms:
            result = lookup(synonym)
            assert result.status == "synonym" and result.item == item, synonym
    for info in kb.categories.values():
        for word in (info.name, *info.aliases):
            result = lookup(word)
            assert result.status == "category" and result.category == info, word
    for special in kb.special:
        for word in (special.name, *special.aliases, *special.examples):
            result = lookup(word)
            assert result.status == "special" and result.special == special, word


def test_special_classes_present(kb: KnowledgeBase) -> None:
    codes = {s.code: s for s in kb.special}
    assert set(codes) == {"bulky", "renovation"}
    assert "沙发" in codes["bulky"].examples and "床垫" in codes["bulky"].examples
    assert "砖头" in codes["renovation"].examples and "瓷砖" in codes["renovation"].examples
    for special in codes.values():
        assert "物业" in special.advice and "预约" in special.advice


def test_text_is_simplified_chinese(raw: dict) -> None:
    texts = [c["explain"] + c["tip"] for c in raw["categories"]]
    texts += [s["advice"] for s in raw["special"]]
    texts += [i["reason"] + i.get("note", "") + i["name"] for i in raw["items"]]
    for text in texts:
        assert to_simplified(text) == text, text


def test_kid_items_never_disputed_and_enough_for_a_board(kb: KnowledgeBase) -> None:
    for item in kb.kid_items():
        assert item.note is None, item.name
    for category in Category:
        assert len(kb.kid_items(category)) >= BOARD_SIZE // 4 + 1


# The bot follows the Beijing / Shanghai mainstream rules.
SPOT_CHECK = {
    "用过的卫生纸": "other",
    "餐巾纸": "other",
    "湿纸巾": "other",
    "纸尿裤": "other",
    "烟头": "other",
    "陶瓷碗": "other",
    "一次性筷子": "other",
    "外卖盒": "other",
    "奶茶杯": "other",
    "猫砂": "other",
    "口罩": "other",
    "尘土": "other",
    "大骨头": "other",
    "贝壳": "other",
    "榴莲壳": "other",
    "椰子壳": "other",
    "干电池": "other",
    "5号电池": "other",
    "白炽灯泡": "other",
    "纽扣电池": "hazardous",
    "充电电池": "hazardous",
    "蓄电池": "hazardous",
    "废电池": "hazardous",
    "荧光灯管": "hazardous",
    "节能灯": "hazardous",
    "水银温度计": "hazardous",
    "过期药品": "hazardous",
    "药品内包装": "hazardous",
    "油漆": "hazardous",
    "杀虫剂": "hazardous",
    "X光片": "hazardous",
    "指甲油": "hazardous",
    "消毒液": "hazardous",
    "玻璃瓶": "recyclable",
    "碎玻璃": "recyclable",
    "报纸": "recyclable",
    "纸箱": "recyclable",
    "牛奶盒": "recyclable",
    "药盒": "recyclable",
    "易拉罐": "recyclable",
    "塑料瓶": "recyclable",
    "旧衣服": "recyclable",
    "手机": "recyclable",
    "剩饭": "kitchen",
    "香蕉皮": "kitchen",
    "鸡蛋壳": "kitchen",
    "鸡骨头": "kitchen",
    "鱼骨": "kitchen",
    "虾壳": "kitchen",
    "茶叶渣": "kitchen",
    "咖啡渣": "kitchen",
    "中药渣": "kitchen",
    "花生壳": "kitchen",
    "瓜子壳": "kitchen",
    "鲜花": "kitchen",
}


@pytest.mark.parametrize(("name", "code"), sorted(SPOT_CHECK.items()))
def test_spot_check(name: str, code: str) -> None:
    result = lookup(name)
    assert result.status in ("exact", "synonym")
    assert result.item is not None and result.item.category == Category(code)


@pytest.mark.parametrize("name", ["大骨头", "贝壳", "榴莲壳", "干电池", "废电池"])
def test_items_where_cities_differ_carry_a_note(name: str) -> None:
    item = lookup(name).item
    assert item is not None and item.note and not item.kid
