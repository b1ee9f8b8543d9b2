"""English, pinyin, Taiwan/Hong Kong words, question forms and words with several meanings."""

from __future__ import annotations

import pytest

from bot.sorting import Category, KnowledgeBase, lookup


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("battery", "废电池"),
        ("banana peel", "香蕉皮"),
        ("Used tissue", "餐巾纸"),
        ("plastic bottle", "塑料瓶"),
        ("plastic bottles", "塑料瓶"),
        ("Is a battery recyclable?", "废电池"),
        ("How do I throw away a used tissue?", "餐巾纸"),
        ("where do cigarette butts go", "烟头"),
    ],
)
def test_english_queries(query: str, name: str) -> None:
    result = lookup(query)
    assert result.found and result.item is not None and result.item.name == name


def test_every_item_has_an_english_name() -> None:
    kb = KnowledgeBase.get()
    assert all(item.en for item in kb.items)
    for item in kb.items:
        result = lookup(item.en[0])
        assert result.item is not None and result.item.name == item.name, item.en[0]


@pytest.mark.parametrize(
    ("query", "name"),
    [("dianchi", "废电池"), ("xiangjiaopi", "香蕉皮"), ("电尺", "废电池"), ("塑料代", "塑料袋")],
)
def test_pinyin_and_homophone_typos_offer_the_right_item_first(query: str, name: str) -> None:
    result = lookup(query)
    assert result.status == "fuzzy" and result.candidates[0].name == name


def test_short_typos_offer_no_shared_character_guesses() -> None:
    names = [c.name for c in lookup("电尺").candidates]
    assert "电线" not in names and "电脑" not in names


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("寶特瓶", "塑料瓶"),
        ("塑膠", "废塑料"),
        ("膠袋", "塑料袋"),
        ("鋁箔包", "牛奶盒"),
        ("保麗龍", "泡沫箱"),
        ("雪櫃", "冰箱"),
        ("免洗筷", "一次性筷子"),
    ],
)
def test_taiwan_and_hong_kong_words(query: str, name: str) -> None:
    result = lookup(query)
    assert result.found and result.item is not None and result.item.name == name


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("电池能回收吗", "废电池"),
        ("报纸可以回收吗", "报纸"),
        ("奶茶杯扔哪个颜色的桶", "奶茶杯"),
        ("香蕉皮是绿色桶吗", "香蕉皮"),
        ("塑料瓶放蓝色垃圾桶吗", "塑料瓶"),
        ("剩饭扔什么颜色的垃圾桶", "剩饭"),
    ],
)
def test_question_forms(query: str, name: str) -> None:
    result = lookup(query)
    assert result.found and result.item is not None and result.item.name == name


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("饭盒", {"外卖盒", "保鲜盒"}),
        ("塑料饭盒", {"外卖盒", "保鲜盒"}),
        ("塑料餐盒", {"外卖盒", "保鲜盒"}),
        ("珍珠", {"奶茶珍珠", "首饰"}),
        ("奶瓶", {"塑料奶瓶", "玻璃奶瓶"}),
        ("杯子", {"玻璃杯", "陶瓷杯"}),
        ("甘蔗", {"甘蔗渣", "甘蔗皮"}),
    ],
)
def test_words_with_several_meanings_ask(word: str, expected: set[str]) -> None:
    result = lookup(word)
    assert result.status == "fuzzy" and not result.found
    assert expected <= {c.name for c in result.candidates}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("排骨", "kitchen"),
        ("快递盒", "recyclable"),
        ("蛋托", "recyclable"),
        ("月饼盒", "recyclable"),
        ("烟盒", "recyclable"),
        ("热水袋", "other"),
        ("针头", "other"),
        ("喷雾罐", "hazardous"),
        ("发胶", "hazardous"),
        ("内衣", "recyclable"),
        ("拖鞋", "other"),
        ("奶茶", "kitchen"),
        ("过期牛奶", "kitchen"),
        ("汤", "kitchen"),
    ],
)
def test_everyday_items_from_the_review(query: str, code: str) -> None:
    result = lookup(query)
    assert result.found and result.item is not None and result.item.category == Category(code)


def test_baby_bottle_reason_is_not_about_glass() -> None:
    assert "玻璃" not in lookup("塑料奶瓶").item.reason  # type: ignore[union-attr]
