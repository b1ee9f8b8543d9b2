"""Build bot/data/garbage.json from the item lists in tools/ and the tables below.

The item source is plain text so that reviewers can check it line by line
(tools/garbage_items.txt, plus tools/garbage_items_*.txt for more areas of daily life):

    @area kitchen                     where the items below turn up in daily life
    @source 上海市生活垃圾分类投放指南  where their category comes from (kept per item)
    [recyclable]
    name | reason | synonym synonym ... | flags | note | city=category ...

`flags`: `-` not for the children's game, `c` a container that can hold things,
`l` a liquid (poured away), `o` cooking oil (never down the drain), `p` paper that is
no longer recyclable once soiled, `s` sharp / breaks into sharp pieces, `m` contains
mercury, `B` a battery.  The last field names cities whose official guide puts the
item in another category (`shanghai=other`); the base category is GB/T 19095-2019 as
the mainstream guides apply it.  Items with a note or a city difference never enter
the children's game, so children only learn answers every supported city agrees on.

English names (every item) are in tools/garbage_en.txt: `中文名 | english, english`.

Run:  python tools/build_garbage.py   (writes the JSON; exits 1 on any inconsistency,
including compound advice that contradicts an item's own entry, see bot.sorting_compound)
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tools" / "garbage_items.txt"
TARGET = ROOT / "bot" / "data" / "garbage.json"

CATEGORIES = [
    {
        "code": "recyclable",
        "name": "可回收物",
        "aliases": ["可回收垃圾", "可回收", "可回收物品", "可回收的垃圾", "再生资源", "回收垃圾"],
        "explain": "适宜回收、可以循环利用的废弃物，比如废纸、塑料、玻璃、金属和旧衣物。",
        "tip": "尽量保持清洁干燥，避免污染；瓶罐倒空冲净，纸箱压扁；碎玻璃和刀具请大人包好再投放。",
    },
    {
        "code": "hazardous",
        "name": "有害垃圾",
        "aliases": ["有毒有害垃圾", "有毒垃圾", "有害物质", "有害的垃圾", "有毒有害"],
        "explain": "对人体健康或自然环境有直接或潜在危害的废弃物，比如废电池、废灯管、过期药品。",
        "tip": "轻拿轻放，易破碎的连同包装或包好再投放；"
        "喷雾罐等压力罐排空后投放，不要混进其他垃圾。",
    },
    {
        "code": "kitchen",
        "name": "厨余垃圾",
        "aliases": [
            "湿垃圾",
            "餐厨垃圾",
            "易腐垃圾",
            "厨房垃圾",
            "厨余",
            "家庭厨余垃圾",
            "易腐烂垃圾",
        ],
        "explain": "容易腐烂、含有机物的生活垃圾，比如剩饭剩菜、果皮果核、菜叶、茶叶渣。",
        "tip": "沥干水分后投放；把食物从塑料袋、餐盒里倒出来，袋子和餐盒另外投放。",
    },
    {
        "code": "other",
        "name": "其他垃圾",
        "aliases": ["干垃圾", "其它垃圾", "其他", "其它", "残余垃圾", "其余垃圾"],
        "explain": "除可回收物、有害垃圾、厨余垃圾以外的生活垃圾，比如用过的纸巾、烟头、陶瓷碎片。",
        "tip": "尽量沥干水分；实在分不清又确定不是有害垃圾的，投放到其他垃圾桶。",
    },
]

SPECIAL = [
    {
        "code": "bulky",
        "name": "大件垃圾",
        "aliases": ["大件垃圾", "大件", "大件废弃物", "大件家具", "废旧家具", "旧家具", "家具"],
        "examples": [
            "沙发",
            "旧沙发",
            "布艺沙发",
            "皮沙发",
            "床垫",
            "席梦思",
            "弹簧床垫",
            "棕垫",
            "床",
            "木床",
            "旧床",
            "双人床",
            "单人床",
            "床架",
            "床板",
            "衣柜",
            "大衣柜",
            "书柜",
            "书架",
            "柜子",
            "橱柜",
            "鞋柜",
            "电视柜",
            "床头柜",
            "桌子",
            "餐桌",
            "书桌",
            "写字台",
            "茶几",
            "椅子",
            "办公椅",
            "木椅子",
            "梳妆台",
            "五斗柜",
            "躺椅",
            "摇椅",
            "婴儿床",
            "上下床",
        ],
        "advice": "大件垃圾不是四类垃圾之一，不能放进分类垃圾桶。请联系物业或社区预约上门收运，"
        "或按小区规定放到指定的大件垃圾堆放点。",
    },
    {
        "code": "renovation",
        "name": "装修垃圾",
        "aliases": ["装修垃圾", "建筑垃圾", "装潢垃圾", "装修废料", "建筑废料"],
        "examples": [
            "砖头",
            "砖",
            "碎砖",
            "红砖",
            "瓷砖",
            "碎瓷砖",
            "地砖",
            "墙砖",
            "水泥",
            "水泥块",
            "混凝土",
            "沙子",
            "黄沙",
            "碎石",
            "石子",
            "石膏板",
            "石膏",
            "墙皮",
            "腻子",
            "腻子粉",
            "木地板",
            "旧地板",
            "马桶",
            "坐便器",
            "蹲便器",
            "洗手盆",
            "洗脸池",
            "浴缸",
            "门窗",
            "旧门窗",
            "窗框",
            "木门",
            "防盗门",
            "瓦片",
            "大理石",
            "踢脚线",
            "吊顶",
            "铝扣板",
            "水泥袋",
            "装修木料",
            "木方",
            "瓷砖胶",
        ],
        "advice": "装修垃圾不是四类垃圾之一，不能放进分类垃圾桶。请装袋后放到小区指定的装修垃圾"
        "堆放点，并联系物业或社区预约清运。",
    },
]


AREAS = {
    "kitchen": "厨房",
    "bathroom": "卫生间",
    "medicine": "药箱",
    "electronics": "电器电子",
    "clothing": "衣物",
    "packaging": "包装快递",
    "renovation": "装修大件",
    "school": "学习玩具",
    "festival": "节日",
    "pets": "宠物",
    "garden": "花园阳台",
    "home": "家居日用",
}

# Cities whose rules a community can choose.  Karamay follows the national categories
# (no city-specific item list found), so it is an alias of "national".
CITIES = {
    "national": {
        "name": "全国标准",
        "names": {},
        "source": "GB/T 19095-2019《生活垃圾分类标志》",
    },
    "beijing": {
        "name": "北京",
        "names": {},
        "source": "《北京市生活垃圾管理条例》(2020) 及北京市生活垃圾分类指引",
    },
    "shanghai": {
        "name": "上海",
        "names": {"kitchen": "湿垃圾", "other": "干垃圾"},
        "source": "《上海市生活垃圾管理条例》(2019) 及上海市生活垃圾分类投放指南",
    },
    "hohhot": {
        "name": "呼和浩特",
        "names": {},
        "source": "呼和浩特市生活垃圾分类规定（四分类，名称同国家标准）",
    },
}
CITY_ALIASES = {"karamay": "national"}

# Bin colours of GB/T 19095-2019 (Shanghai: wet = brown, dry = black).
COLOURS = {
    "national": {"recyclable": "蓝色", "hazardous": "红色", "kitchen": "绿色", "other": "灰色"},
    "shanghai": {"recyclable": "蓝色", "hazardous": "红色", "kitchen": "棕色", "other": "黑色"},
}

# Words that mean different things: the bot asks instead of guessing.
AMBIGUOUS = {
    "饭盒": ["外卖盒", "保鲜盒", "不锈钢饭盒"],
    "塑料饭盒": ["外卖盒", "保鲜盒"],
    "塑料餐盒": ["外卖盒", "保鲜盒"],
    "餐盒": ["外卖盒", "保鲜盒", "不锈钢饭盒"],
    "珍珠": ["奶茶珍珠", "首饰"],
    "奶瓶": ["塑料奶瓶", "玻璃奶瓶"],
    "牛奶瓶": ["塑料瓶", "玻璃瓶", "牛奶盒"],
    "瓶子": ["塑料瓶", "玻璃瓶"],
    "用过的纸": ["餐巾纸", "卫生纸", "废纸"],
    "杯子": ["塑料水杯", "玻璃杯", "陶瓷杯", "一次性纸杯"],
    "碗": ["陶瓷碗", "不锈钢餐具", "纸碗"],
    "盒子": ["纸盒", "塑料盒", "外卖盒"],
    "袋子": ["塑料袋", "纸袋", "布袋"],
    "甘蔗": ["甘蔗渣", "甘蔗皮"],
    "温度计": ["水银温度计", "电子体温计"],
    "体温计": ["水银温度计", "电子体温计"],
}

FIELDS = 6


def key(text: str) -> str:
    """Same folding as the look-up (without opencc, which the source does not need)."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def parse(text: str, items: list[dict] | None = None) -> list[dict]:
    items = [] if items is None else items
    category = None
    area = "home"
    source = ""
    codes = {c["code"] for c in CATEGORIES}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@area "):
            area = line.split(None, 1)[1].strip()
            if area not in AREAS:
                raise SystemExit(f"line {lineno}: unknown area {area}")
            continue
        if line.startswith("@source "):
            source = line.split(None, 1)[1].strip()
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1]
            if category not in codes:
                raise SystemExit(f"line {lineno}: unknown category {category}")
            continue
        parts = [p.strip() for p in line.split("|")]
        if category is None or not 2 <= len(parts) <= FIELDS:
            raise SystemExit(f"line {lineno}: bad line: {raw}")
        parts += [""] * (FIELDS - len(parts))
        name, reason, synonyms, flags, note, cities = parts
        differs: dict[str, str] = {}
        for pair in cities.split():
            city, _, code = pair.partition("=")
            if city not in CITIES or code not in codes or code == category:
                raise SystemExit(f"line {lineno}: bad city rule {pair}")
            differs[city] = code
        item: dict = {
            "name": name,
            "category": category,
            "reason": reason,
            "synonyms": synonyms.split(),
            "kid": "-" not in flags and not note and not differs,
            "area": area,
            "source": source,
        }
        for flag, field in FLAG_FIELDS.items():
            if flag in flags:
                item[field] = True
        if note:
            item["note"] = note
        if differs:
            item["cities"] = differs
        items.append(item)
    return items


FLAG_FIELDS = {
    "c": "container",
    "l": "liquid",
    "o": "oil",
    "p": "paper",
    "s": "sharp",
    "m": "mercury",
    "B": "battery",
}


def parse_english(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, english = line.partition("|")
        names = [e.strip().lower() for e in english.split(",") if e.strip()]
        if not sep or not names:
            raise SystemExit(f"garbage_en.txt line {lineno}: bad line: {raw}")
        out.setdefault(name.strip(), []).extend(names)
    return out


def pinyin_keys(words: dict[str, str]) -> dict[str, list[str]]:
    """Toneless pinyin of every Chinese word -> the items it names (for sound look-ups)."""
    from pypinyin import lazy_pinyin

    out: dict[str, list[str]] = {}
    for word, owner in words.items():
        if not word or not all("\u4e00" <= ch <= "\u9fff" for ch in word) or len(word) > 6:
            continue
        sound = "".join(lazy_pinyin(word))
        if owner not in out.setdefault(sound, []):
            out[sound].append(owner)
    return out


def check(items: list[dict], english: dict[str, list[str]]) -> list[str]:
    """Every name, synonym and English name must point to exactly one thing."""
    errors: list[str] = []
    owner: dict[str, str] = {}

    def claim(word: str, who: str) -> None:
        k = key(word)
        if not k:
            errors.append(f"empty word in {who}")
        elif k in owner and owner[k] != who:
            errors.append(f"{word!r} claimed by {owner[k]} and {who}")
        else:
            owner[k] = who

    for cat in CATEGORIES:
        for word in [str(cat["name"]), *cat["aliases"]]:
            claim(word, f"category:{cat['code']}")
    for special in SPECIAL:
        for word in [str(special["name"]), *special["aliases"], *special["examples"]]:
            claim(word, f"special:{special['code']}")
    for word in AMBIGUOUS:
        claim(word, f"ambiguous:{word}")
    names: set[str] = set()
    for item in items:
        if key(item["name"]) in names:
            errors.append(f"duplicate item name {item['name']}")
        names.add(key(item["name"]))
        reason = item["reason"]
        if not reason:
            errors.append(f"{item['name']}: empty reason")
        own = next(c for c in CATEGORIES if c["code"] == item["category"])
        # A reason must explain, not restate the answer ("过期的药品属于有害垃圾").
        if str(own["name"]) in reason and "属于" + str(own["name"]) in reason:
            errors.append(f"{item['name']}: circular reason {reason!r}")
        if "堆肥" in reason:
            errors.append(f"{item['name']}: jargon 堆肥 in reason")
        if not item["source"]:
            errors.append(f"{item['name']}: no @source")
        for word in [item["name"], *item["synonyms"]]:
            claim(word, f"item:{item['name']}")
        for word in english.get(item["name"], ()):
            claim(word, f"item:{item['name']}")
    for word, choices in AMBIGUOUS.items():
        for name in choices:
            if key(name) not in names:
                errors.append(f"ambiguous {word}: no item {name}")
    for name in english:
        if key(name) not in names:
            errors.append(f"garbage_en.txt: no item {name}")
    return errors


def load() -> tuple[list[dict], dict[str, list[str]]]:
    items: list[dict] = []
    for path in [SOURCE, *sorted(SOURCE.parent.glob("garbage_items_*.txt"))]:
        parse(path.read_text(encoding="utf-8"), items)
    english = parse_english((SOURCE.parent / "garbage_en.txt").read_text(encoding="utf-8"))
    for item in items:
        item["en"] = english.get(item["name"], [])
    return items, english


def main() -> int:
    items, english = load()
    errors = check(items, english)
    words = {key(w): i["name"] for i in items for w in [i["name"], *i["synonyms"]]}
    data = {
        "version": 2,
        "rules": "GB/T 19095-2019 四分类；北京、上海、呼和浩特的不同之处见 cities / note",
        "categories": CATEGORIES,
        "special": SPECIAL,
        "cities": CITIES,
        "city_aliases": CITY_ALIASES,
        "colours": COLOURS,
        "areas": AREAS,
        "ambiguous": AMBIGUOUS,
        "pinyin": pinyin_keys(words),
        "items": items,
    }
    if not errors:
        # Compound advice is generated from the entries: prove it never contradicts one.
        sys.path.insert(0, str(ROOT))
        from bot.sorting import KnowledgeBase
        from bot.sorting_compound import audit

        errors = audit(KnowledgeBase.from_dict(data))
    for error in errors[:50]:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problems; nothing written", file=sys.stderr)
        return 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for item in items:
        counts[item["category"]] = counts.get(item["category"], 0) + 1
    missing_en = sum(not i["en"] for i in items)
    print(
        f"{len(items)} items {counts}, kid={sum(i['kid'] for i in items)}, "
        f"without English={missing_en} -> {TARGET}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
