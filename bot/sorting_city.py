"""City rules for garbage sorting: category names, bin colours and item differences.

A community chooses whose rules its answers follow (`/sort_city`, stored per community).
The base category of every item is the national standard (GB/T 19095-2019) as the
mainstream guides apply it; an item lists the cities whose official guide differs.
Shanghai calls kitchen waste 湿垃圾 and other waste 干垃圾.  Karamay follows the national
categories, so it is an alias of "national".
"""

from __future__ import annotations

from dataclasses import replace

from bot.sorting import FOUND, Category, Item, KnowledgeBase, LookupResult

CITIES = ("national", "beijing", "shanghai", "hohhot", "karamay")
DEFAULT_CITY = "national"


def city_code(code: str | None) -> str | None:
    """The rules a city code stands for (None for the national standard)."""
    if code is None:
        return None
    code = code.strip().lower()
    code = {"karamay": "national"}.get(code, code)
    if code not in CITIES:
        raise ValueError(f"unknown city {code!r}")
    return None if code == "national" else code


def city_name(kb: KnowledgeBase, city: str | None) -> str:
    return str(kb.data["cities"][city or "national"]["name"])


def category_name(kb: KnowledgeBase, category: Category, city: str | None) -> str:
    """The category as the city calls it (上海: 湿垃圾 / 干垃圾)."""
    names = kb.data.get("cities", {}).get(city or "national", {}).get("names", {})
    return str(names.get(category.value, category.zh))


def colour(kb: KnowledgeBase, category: Category, city: str | None) -> str:
    """Bin colour of a category in the city (national colours unless it has its own)."""
    colours = kb.data.get("colours", {})
    return str(colours.get(city or "", colours["national"])[category.value])


def differences(kb: KnowledgeBase, item: Item, city: str | None) -> str | None:
    """What the reader should know about other cities' rules for this item, if anything."""
    parts = []
    own = item.category_in(city)
    here = category_name(kb, own, city)
    if city is not None and item.category_in(city) != item.category:
        parts.append(
            f"按{city_name(kb, city)}的规定属于{here}"
            f"（全国标准：{category_name(kb, item.category, None)}）"
        )
    elif city is not None and here != own.zh:
        parts.append(f"{city_name(kb, city)}叫“{here}”（即{own.zh}）")
    others = [
        f"{city_name(kb, c)}按{category_name(kb, cat, c)}" for c, cat in item.cities if c != city
    ]
    if others:
        parts.append("各地不同：" + "；".join(others))
    if item.own_note:
        parts.append(item.own_note)
    return "。".join(parts) or None


def localize(kb: KnowledgeBase, result: LookupResult, city: str) -> LookupResult:
    """The same answer under `city`'s rules: its category, its names, its differences."""
    if result.item is None or result.status not in FOUND:
        return replace(result, city=city)
    category = result.item.category_in(city)
    item = replace(result.item, category=category, note=differences(kb, result.item, city))
    return replace(result, item=item, category=kb.categories[category], city=city)


def national_note(kb: KnowledgeBase, item: Item) -> str | None:
    """Differences shown to communities on the national standard."""
    return differences(kb, item, None)
