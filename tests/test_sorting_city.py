"""City rules: names, differences, the game's undisputed items, and /sort_city."""

from __future__ import annotations

import pytest

from bot.offline.simulator import Chat, Simulator
from bot.sorting import Category, KnowledgeBase, lookup
from bot.sorting_city import category_name, city_code, colour
from tests.conftest import STAFF, WANG, register, setup_community


def test_city_codes() -> None:
    assert city_code("karamay") is None  # Karamay follows the national categories
    assert city_code("national") is None and city_code(None) is None
    assert city_code("Shanghai") == "shanghai"
    with pytest.raises(ValueError):
        city_code("atlantis")


def test_shanghai_names_and_colours() -> None:
    kb = KnowledgeBase.get()
    assert category_name(kb, Category.KITCHEN, "shanghai") == "湿垃圾"
    assert category_name(kb, Category.OTHER, "shanghai") == "干垃圾"
    assert category_name(kb, Category.OTHER, "hohhot") == "其他垃圾"
    assert colour(kb, Category.KITCHEN, None) == "绿色"
    assert colour(kb, Category.OTHER, "shanghai") == "黑色"


@pytest.mark.parametrize(
    ("name", "city", "code"),
    [
        ("核桃壳", "shanghai", "other"),
        ("核桃壳", "beijing", "kitchen"),
        ("玉米皮", "shanghai", "other"),
        ("甘蔗皮", "shanghai", "other"),
        ("照片", "beijing", "hazardous"),
        ("照片", "shanghai", "other"),
        ("药盒", "beijing", "hazardous"),
        ("药盒", "karamay", "recyclable"),
        ("药盒", "hohhot", "recyclable"),
    ],
)
def test_city_differences(name: str, city: str, code: str) -> None:
    result = lookup(name, city)
    assert result.item is not None and result.item.category == Category(code)
    assert result.item.note  # the answer says that cities differ


def test_answers_use_the_city_names() -> None:
    item = lookup("剩饭", "shanghai").item
    assert item is not None and item.note and "湿垃圾" in item.note
    national = lookup("核桃壳").item
    assert national is not None and national.note and "上海" in national.note


def test_game_uses_only_items_every_city_agrees_on() -> None:
    kb = KnowledgeBase.get()
    for item in kb.kid_items():
        assert not item.cities and item.note is None, item.name
    for name in ("甘蔗皮", "照片", "药盒", "核桃壳", "玉米皮", "大骨头", "干电池"):
        assert not kb.item(name).kid, name


def test_every_item_has_a_source_and_an_area() -> None:
    kb = KnowledgeBase.get()
    areas = kb.data["areas"]
    for item in kb.items:
        assert item.source and item.area in areas, item.name


async def test_staff_choose_the_city(sim: Simulator, group: Chat) -> None:
    from bot.workflows.sorting_city import current_city

    cid = await setup_community(sim, group)
    refused = await sim.send(WANG, group, "/sort_city 上海")
    assert "只有社区工作人员" in refused.text
    assert await current_city(sim.rt, cid) is None
    done = await sim.send(STAFF, group, "/sort_city 上海")
    assert "上海" in done.text
    assert await current_city(sim.rt, cid) == "shanghai"
    await sim.send(STAFF, group, "/sort_city 克拉玛依")
    assert await current_city(sim.rt, cid) is None
    unknown = await sim.send(STAFF, group, "/sort_city 火星")
    assert "暂不支持" in unknown.text


async def test_answers_follow_the_communitys_city(sim: Simulator, group: Chat) -> None:
    """A Shanghai community hears 湿垃圾 in its group and in private; others the standard."""
    await setup_community(sim, group)
    before = await sim.send(WANG, group, "/sort 剩饭")
    assert "厨余垃圾" in before.text and "湿垃圾" not in before.text
    await sim.send(STAFF, group, "/sort_city 上海")
    in_group = await sim.send(WANG, group, "/sort 剩饭")
    assert "湿垃圾" in in_group.text
    await register(sim, WANG, "21-4-302")
    in_private = await sim.send(WANG, sim.private(WANG), "剩饭是什么垃圾")
    assert "湿垃圾" in in_private.text
