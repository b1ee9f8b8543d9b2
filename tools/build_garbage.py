"""Build bot/data/garbage.json from tools/garbage_items.txt (items) and the tables below.

The item source is a plain text file so that reviewers can check it line by line:

    [recyclable]
    name | reason | synonym synonym ... | flags | note

`flags`: `-` = not for the children's game, `c` = a container (used by the composite
rule "带汤的外卖盒").  Items with a `note` (cities differ) are never used in the game, so
children only learn answers that every city agrees on.

Run:  python tools/build_garbage.py        (writes the JSON, exits 1 on any inconsistency)
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
        "tip": "尽量保持清洁干燥，避免污染；瓶罐倒空冲净，纸箱压扁，碎玻璃和刀具包好再投放。",
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

# "带汤的外卖盒": the contents go first, then the emptied container is sorted by itself.
COMPOSITE = {
    "liquids": [
        "汤",
        "汤水",
        "汤汁",
        "剩汤",
        "菜汤",
        "牛奶",
        "奶",
        "奶茶",
        "饮料",
        "水",
        "果汁",
        "酒",
        "啤酒",
        "咖啡",
        "可乐",
        "豆浆",
        "酸奶",
        "茶",
        "茶水",
        "粥",
        "油",
        "剩奶茶",
    ],
    "liquid_tip": "先把{content}倒掉（液体倒进水池下水口，里面的残渣放进厨余垃圾），冲洗一下",
    "food_tip": "先把{content}倒进厨余垃圾，冲洗一下",
    "then": "再按材质投放：{name}属于{category}。",
}

FIELDS = 5


def key(text: str) -> str:
    """Same folding as the look-up (without opencc, which the source does not need)."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def parse(text: str) -> list[dict]:
    items: list[dict] = []
    category = None
    codes = {c["code"] for c in CATEGORIES}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
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
        name, reason, synonyms, flags, note = parts
        item: dict = {
            "name": name,
            "category": category,
            "reason": reason,
            "synonyms": synonyms.split(),
            "kid": "-" not in flags and not note,
        }
        if "c" in flags:
            item["container"] = True
        if note:
            item["note"] = note
        items.append(item)
    return items


def check(items: list[dict]) -> list[str]:
    """Every name and synonym must point to exactly one thing (item, category or special)."""
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
    names: set[str] = set()
    for item in items:
        if key(item["name"]) in names:
            errors.append(f"duplicate item name {item['name']}")
        names.add(key(item["name"]))
        if not item["reason"]:
            errors.append(f"{item['name']}: empty reason")
        for word in [item["name"], *item["synonyms"]]:
            claim(word, f"item:{item['name']}")
    return errors


def main() -> int:
    items = parse(SOURCE.read_text(encoding="utf-8"))
    errors = check(items)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return 1
    data = {
        "version": 1,
        "rules": "北京、上海主流分类规则（GB/T 19095-2019 四分类）；城市不同之处见 note",
        "categories": CATEGORIES,
        "special": SPECIAL,
        "composite": COMPOSITE,
        "items": items,
    }
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for item in items:
        counts[item["category"]] = counts.get(item["category"], 0) + 1
    print(f"{len(items)} items {counts}, kid={sum(i['kid'] for i in items)} -> {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
