"""Look-up behaviour: synonyms, Traditional, extra words, typos, unknown, special, composite."""

from __future__ import annotations

import pytest

from bot.sorting import Category, KnowledgeBase, lookup


def test_knowledge_base_is_loaded_once() -> None:
    assert KnowledgeBase.get() is KnowledgeBase.get()


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("饮料瓶", "塑料瓶"),
        ("尿不湿", "纸尿裤"),
        ("湿巾", "湿纸巾"),
        ("5号电池", "干电池"),
        ("电池", "废电池"),
        ("过期的药", "过期药品"),
    ],
)
def test_synonyms(query: str, name: str) -> None:
    result = lookup(query)
    assert result.status == "synonym" and result.item is not None and result.item.name == name


@pytest.mark.parametrize(
    ("query", "name"),
    [("舊電池", "废电池"), ("衛生紙", "卫生纸"), ("過期藥品", "过期药品"), ("玻璃瓶", "玻璃瓶")],
)
def test_traditional_characters(query: str, name: str) -> None:
    result = lookup(query)
    assert result.found and result.item is not None and result.item.name == name


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("喝完的奶茶杯", "奶茶杯"),
        ("一个旧电池", "废电池"),
        ("电池是什么垃圾", "废电池"),
        ("请问奶茶杯属于什么垃圾？", "奶茶杯"),
        ("请问奶茶杯属于什么垃圾?", "奶茶杯"),
        ("用过的卫生纸", "卫生纸"),
        ("吃剩的外卖盒怎么扔", "外卖盒"),
        ("香蕉皮扔哪", "香蕉皮"),
        ("一些坏掉的充电电池", "充电电池"),
        ("我家的奶茶杯", "奶茶杯"),
        ("  苹果核 算什么垃圾 ", "苹果核"),
        ("玻璃瓶吗", "玻璃瓶"),
        ("ＸＸ光片".replace("ＸＸ", "Ｘ"), "X光片"),
    ],
)
def test_extra_words_around_the_item(query: str, name: str) -> None:
    result = lookup(query)
    assert result.found, result
    assert result.item is not None and result.item.name == name


def test_exact_name_with_a_modifier_matches_before_peeling() -> None:
    # "用过的卫生纸" is itself a synonym: it must match as a whole, not be peeled.
    result = lookup("用过的卫生纸")
    assert result.status == "synonym" and result.matched == "用过的卫生纸"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("卫生低", "卫生纸"),
        ("香焦皮", "香蕉皮"),
        ("易拉灌", "易拉罐"),
        ("奶茶被", "奶茶杯"),
        ("苹果合", "苹果核"),
        ("卫生", "卫生纸"),
    ],
)
def test_small_typos_are_candidates_not_answers(query: str, expected: str) -> None:
    result = lookup(query)
    assert result.status == "fuzzy"
    assert not result.found
    assert expected in [c.name for c in result.candidates]
    assert 1 <= len(result.candidates) <= 4


@pytest.mark.parametrize("query", ["量子计算机", "宇宙飞船", "abcdefg", "今天天气怎么样", "🙂🙂"])
def test_unknown_is_not_a_random_hit(query: str) -> None:
    result = lookup(query)
    assert result.status in ("unknown", "empty")
    assert result.item is None and result.candidates == ()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("沙发", "bulky"),
        ("一张旧床垫", "bulky"),
        ("衣柜怎么扔", "bulky"),
        ("瓷砖", "renovation"),
        ("砖头是什么垃圾", "renovation"),
        ("装修垃圾", "renovation"),
        ("大件垃圾", "bulky"),
    ],
)
def test_bulky_and_renovation_waste_get_advice(query: str, code: str) -> None:
    result = lookup(query)
    assert result.status == "special"
    assert result.special is not None and result.special.code == code
    assert result.item is None and result.advice and "物业" in result.advice


@pytest.mark.parametrize(
    ("query", "container", "category"),
    [
        ("带汤的外卖盒", "外卖盒", Category.OTHER),
        ("有剩饭的外卖盒", "外卖盒", Category.OTHER),
        ("装着牛奶的纸盒", "牛奶盒", Category.RECYCLABLE),
        ("外卖盒里有汤", "外卖盒", Category.OTHER),
        ("带饮料的塑料瓶", "塑料瓶", Category.RECYCLABLE),
    ],
)
def test_composite_items(query: str, container: str, category: Category) -> None:
    result = lookup(query)
    assert result.status == "composite" and result.found
    assert result.item is not None and result.item.name == container
    assert result.item.category == category
    assert result.advice and "厨余垃圾" in result.advice and category.zh in result.advice


def test_composite_liquid_goes_down_the_drain_food_to_kitchen() -> None:
    assert "水池" in (lookup("带汤的外卖盒").advice or "")
    assert "放进厨余垃圾" in (lookup("有剩饭的外卖盒").advice or "")
    # "饭盒" may be a takeaway box or a lunch box: the bot asks instead of guessing.
    assert lookup("有剩饭的饭盒").status == "fuzzy"


def test_part_of_a_food_is_not_a_container() -> None:
    result = lookup("带壳的花生")
    assert result.found and result.item is not None and result.item.category == Category.KITCHEN


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("厨余垃圾是什么", "kitchen"),
        ("什么是湿垃圾", "kitchen"),
        ("干垃圾", "other"),
        ("可回收物", "recyclable"),
        ("有害垃圾包括什么", "hazardous"),
    ],
)
def test_category_names_explain_the_category(query: str, code: str) -> None:
    result = lookup(query)
    assert result.status == "category" and result.found
    assert result.category is not None and result.category.code == code
    assert result.advice and result.category.explain in result.advice


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "？？", "是什么垃圾"])
def test_empty_input(query: str) -> None:
    result = lookup(query)
    assert result.status == "empty" and result.item is None


def test_huge_input_does_not_crash() -> None:
    result = lookup("电" * 5000)
    assert result.status in ("unknown", "fuzzy")
    assert len(result.query_normalized) <= 200
    assert lookup("奶茶杯" + "啊" * 5000).status in ("unknown", "fuzzy", "exact")


def test_query_normalized_is_reported() -> None:
    assert lookup(" 舊電池 ").query_normalized == "旧电池"


@pytest.mark.parametrize(
    ("query", "name", "code"),
    [
        ("电池是有害垃圾吗", "废电池", "hazardous"),
        ("奶茶杯是不是可回收垃圾", "奶茶杯", "other"),  # a wrong guess is corrected
        ("花生壳算不算湿垃圾？", "花生壳", "kitchen"),
        ("电池放哪个垃圾桶", "废电池", "hazardous"),
    ],
)
def test_a_guessed_category_in_the_question_is_ignored(query: str, name: str, code: str) -> None:
    result = lookup(query)
    assert result.found and result.item is not None and result.item.name == name
    assert result.item.category == Category(code)


def test_fuzzy_result_carries_no_category() -> None:
    result = lookup("卫生低")
    assert result.status == "fuzzy" and result.category is None
