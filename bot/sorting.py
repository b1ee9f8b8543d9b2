"""Garbage-sorting knowledge base and look-up (pure domain: no Telegram, no SQL).

The knowledge base (`bot/data/garbage.json`, built by `tools/build_garbage.py`) is loaded
once per process; every index is built at load time so a look-up is a few dict probes.

Look-up order, most confident first, so that a wrong guess never beats a right answer:
1. the whole (normalised) query as a name, synonym, category or special-class word;
2. the same after peeling question words ("是什么垃圾", "吗") and, one by one,
   quantifiers and modifiers ("一个", "用过的") — checking after every peel, so an item
   whose own name holds a modifier ("用过的卫生纸") is found before it is peeled;
3. composite phrases ("带汤的外卖盒"): contents first, then the container by material;
4. "…的X" where X is known ("我家的奶茶杯");
5. otherwise fuzzy: keys within one or two edits (bigram index, not a scan) are offered
   as candidates; nothing close enough means `unknown`, never a random hit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import ClassVar, Literal

from bot.text import normalize

Status = Literal[
    "exact", "synonym", "fuzzy", "composite", "special", "category", "unknown", "empty"
]
# Statuses where the answer is confident (handlers may present it as the answer).
FOUND: frozenset[str] = frozenset({"exact", "synonym", "composite", "special", "category"})

MAX_QUERY_CHARS = 200  # longer input is cut: no item name is anywhere near this long
MAX_CANDIDATES = 4


class Category(StrEnum):
    """The four categories of GB/T 19095-2019, with stable codes."""

    RECYCLABLE = "recyclable"
    HAZARDOUS = "hazardous"
    KITCHEN = "kitchen"
    OTHER = "other"

    @property
    def zh(self) -> str:
        """Display name in Simplified Chinese (可回收物, 有害垃圾, 厨余垃圾, 其他垃圾)."""
        return _CATEGORY_ZH[self]


_CATEGORY_ZH = {
    Category.RECYCLABLE: "可回收物",
    Category.HAZARDOUS: "有害垃圾",
    Category.KITCHEN: "厨余垃圾",
    Category.OTHER: "其他垃圾",
}


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    code: Category
    name: str
    aliases: tuple[str, ...]
    explain: str
    tip: str


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    category: Category
    reason: str
    synonyms: tuple[str, ...] = ()
    kid: bool = False
    note: str | None = None
    container: bool = False


@dataclass(frozen=True, slots=True)
class SpecialClass:
    """Waste that is not one of the four categories (大件垃圾, 装修垃圾)."""

    code: str  # "bulky" | "renovation"
    name: str
    aliases: tuple[str, ...]
    examples: tuple[str, ...]
    advice: str


@dataclass(frozen=True, slots=True)
class LookupResult:
    status: Status
    query: str
    query_normalized: str
    item: Item | None = None
    candidates: tuple[Item, ...] = ()
    category: CategoryInfo | None = None  # status "category", or the found item's category
    special: SpecialClass | None = None  # status "special"
    advice: str | None = None  # composite / special / category: what to do
    matched: str | None = None  # the word of the knowledge base that matched

    @property
    def found(self) -> bool:
        """True when the answer is confident (not fuzzy, unknown or empty)."""
        return self.status in FOUND


# --- query clean-up -------------------------------------------------------------------

_PUNCT = re.compile(r"[\W_]+")
_QUESTION_TAIL = re.compile(
    r"(是什么垃圾|是啥垃圾|属于什么垃圾|属于啥垃圾|属于哪类垃圾|属于哪一类垃圾|属于哪种垃圾"
    r"|属于哪一类|属于哪类|属于什么|算什么垃圾|算啥垃圾|算哪类垃圾|算哪类|算什么"
    r"|是哪类垃圾|是哪种垃圾|是哪一类垃圾|是哪一类|是哪类|是什么类|什么垃圾|哪类垃圾"
    r"|应该怎么扔|应该扔哪里|应该扔哪|应该放哪|要怎么扔|怎么扔|怎么丢|怎么处理|怎么分类"
    r"|如何分类|如何扔|如何处理|扔哪里|扔哪儿|扔哪|丢哪里|丢哪儿|丢哪|放哪里|放哪儿|放哪"
    r"|扔到哪里|扔到哪|扔什么桶|扔哪个桶|放什么桶|放哪个桶|扔哪个垃圾桶|放哪个垃圾桶"
    r"|扔什么垃圾桶|放什么垃圾桶|进哪个桶|是什么意思|是什么|是啥|指什么|包括什么"
    r"|有哪些|是不是垃圾|垃圾分类|吗|呢|啊|呀|吧|嘛|哦|哇)$"
)
_LEADING = re.compile(
    r"^(请问一下|请问|问一下|问下|我想问一下|我想问|想问一下|想问|请教一下|请教|我想知道"
    r"|想知道|告诉我|你好|您好|什么是|什么叫|啥是|查一下|查查|查询|这个|那个|这些|那些"
    r"|这种|那种|这|那)"
)
_QUANTIFIER = re.compile(
    r"^([一两二三四五六七八九十几半数多好]|\d+)"
    r"(个|只|块|张|瓶|袋|盒|包|条|双|件|根|片|粒|颗|堆|把|支|本|台|部|罐|杯|碗|盘|节|些"
    r"|点|坨|团|桶|箱|套|份|串|捆|卷|筐|缸|壶|朵|棵|株|盆|副|顶|枚|听|只儿)"
)
_MODIFIER = re.compile(
    r"^(用过了的|用过的|用过|用完了的|用完的|用完|用剩的|用剩|喝完了的|喝完的|喝完|喝剩的"
    r"|喝剩|喝过的|吃剩下的|吃剩的|吃剩|吃完的|吃完|吃过的|剩下的|剩的|坏掉的|坏了的|坏的"
    r"|破掉的|破了的|破的|破损的|旧了的|旧的|废旧的|废弃的|废掉的|不要的|不用的|没用的"
    r"|过期了的|过期的|过了期的|脏了的|脏的|空了的|空的|烂掉的|烂了的|烂的|碎掉的|碎了的"
    r"|碎的|穿旧的|穿破的|看完的|写完的|吸过的|抽过的|干了的|发霉的|变质的|坏掉了的"
    r"|小的|大的|一次性的|我的|我家的|家里的|家里|我们家的)"
)
# One-character modifiers are peeled only when what remains is a known word.
_SOFT_PREFIX = frozenset("旧废坏破空脏烂碎小大")
_SOFT_SUFFIX = frozenset("儿子")

_COMPOSITE_FRONT = re.compile(
    r"^(带着|带有|带|装着|装有|装了|装满|装|盛着|盛有|还有|有|沾着|沾了|沾满|沾有"
    r"|残留着|残留|剩着|剩了|剩)(?P<content>.{1,8}?)的(?P<container>.+)$"
)
_COMPOSITE_BACK = re.compile(
    r"^(?P<container>.+?)(里面|里)(还有|有|装着|装了|剩着|剩了|剩|沾着|沾了)(?P<content>.+)$"
)


def fold(text: str) -> str:
    """Normalise for matching: NFKC, Traditional→Simplified, lower case, no spaces/punctuation."""
    return _PUNCT.sub("", normalize(text[: MAX_QUERY_CHARS * 2]).lower())[:MAX_QUERY_CHARS]


def _strip_question(text: str) -> str:
    """Peel question tails and polite openers until nothing changes."""
    while True:
        new = _LEADING.sub("", _QUESTION_TAIL.sub("", text))
        if new == text:
            return text
        text = new


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


# --- knowledge base --------------------------------------------------------------------

# What a word of the index points to: ("name"|"synonym", Item), ("category", CategoryInfo),
# or ("special", SpecialClass).
_Entry = tuple[str, object]


@dataclass
class KnowledgeBase:
    categories: dict[Category, CategoryInfo]
    items: tuple[Item, ...]
    special: tuple[SpecialClass, ...]
    composite: dict
    _words: dict[str, _Entry] = field(default_factory=dict, repr=False)
    _by_name: dict[str, Item] = field(default_factory=dict, repr=False)
    _bigram_index: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _char_index: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _liquids: frozenset[str] = frozenset()
    _guess: re.Pattern[str] = re.compile(r"(?!)")  # "…是有害垃圾" (built at load time)

    _instance: ClassVar[KnowledgeBase | None] = None  # process-wide cache, see get()

    @classmethod
    def get(cls) -> KnowledgeBase:
        """The shared knowledge base, loaded from the package data on first use."""
        if cls._instance is None:
            raw = resources.files("bot").joinpath("data/garbage.json").read_text("utf-8")
            cls._instance = cls.from_dict(json.loads(raw))
        return cls._instance

    @classmethod
    def from_dict(cls, data: dict) -> KnowledgeBase:
        categories = {
            Category(c["code"]): CategoryInfo(
                code=Category(c["code"]),
                name=c["name"],
                aliases=tuple(c["aliases"]),
                explain=c["explain"],
                tip=c["tip"],
            )
            for c in data["categories"]
        }
        items = tuple(
            Item(
                name=i["name"],
                category=Category(i["category"]),
                reason=i["reason"],
                synonyms=tuple(i.get("synonyms", ())),
                kid=bool(i.get("kid", False)),
                note=i.get("note"),
                container=bool(i.get("container", False)),
            )
            for i in data["items"]
        )
        special = tuple(
            SpecialClass(
                code=s["code"],
                name=s["name"],
                aliases=tuple(s["aliases"]),
                examples=tuple(s["examples"]),
                advice=s["advice"],
            )
            for s in data["special"]
        )
        kb = cls(categories, items, special, data.get("composite", {}))
        kb._build()
        return kb

    def _build(self) -> None:
        words: dict[str, _Entry] = {}

        def add(word: str, entry: _Entry) -> None:
            key = fold(word)
            if key:
                words.setdefault(key, entry)  # names are added first and win

        for item in self.items:
            add(item.name, ("name", item))
            self._by_name[fold(item.name)] = item
        for item in self.items:
            for synonym in item.synonyms:
                add(synonym, ("synonym", item))
        for info in self.categories.values():
            for word in (info.name, *info.aliases):
                add(word, ("category", info))
        for special in self.special:
            for word in (special.name, *special.aliases, *special.examples):
                add(word, ("special", special))
        self._words = words
        for key, (kind, _) in words.items():
            if kind not in ("name", "synonym"):
                continue  # fuzzy candidates are items only
            for gram in _bigrams(key):
                self._bigram_index.setdefault(gram, []).append(key)
            if 2 <= len(key) <= 4:  # one-character words ("花") make poor suggestions
                for char in set(key):
                    self._char_index.setdefault(char, []).append(key)
        self._liquids = frozenset(fold(w) for w in self.composite.get("liquids", ()))
        names = sorted(
            {fold(w) for info in self.categories.values() for w in (info.name, *info.aliases)},
            key=len,
            reverse=True,
        )
        self._guess = re.compile(
            r"(是不是|算不算|属不属于|属于|应该是|是|算|扔|放|丢)(" + "|".join(names) + r")$"
        )

    # -- accessors -----------------------------------------------------------------------

    def item(self, name: str) -> Item:
        """The item with this exact name (KeyError if there is none)."""
        return self._by_name[fold(name)]

    def kid_items(self, category: Category | None = None) -> list[Item]:
        """Items suitable for children (no city differences), optionally of one category."""
        return [i for i in self.items if i.kid and (category is None or i.category == category)]

    # -- look-up -------------------------------------------------------------------------

    def lookup(self, query: str) -> LookupResult:
        """Find what `query` is and how to throw it away (see the module docstring)."""
        key = fold(query or "")
        if not key:
            return LookupResult("empty", query, key)
        hit = self._resolve(key, query)
        if hit:
            return hit
        core = self._strip_guess(_strip_question(key))
        if not core:
            return LookupResult("empty", query, key)
        for stage in self._peel(core):
            hit = self._resolve(stage, query, key)
            if hit:
                return hit
        for stage in self._peel(core):
            hit = self._composite(stage, query, key)
            if hit:
                return hit
        if "的" in core:  # "我家的奶茶杯": the thing is what follows the last 的
            tail = core.rsplit("的", 1)[1]
            hit = self._resolve(tail, query, key) if tail else None
            if hit and hit.status != "category":
                return hit
        return self._fuzzy(core, query, key)

    def _strip_guess(self, text: str) -> str:
        """ "电池是有害垃圾" → "电池": the user's guess is dropped, the answer corrects it."""
        match = self._guess.search(text)
        if match is None:
            return text
        if match.start() == 0:  # "是有害垃圾吗": a question about the category itself
            return match.group(2)
        return _strip_question(text[: match.start()])

    def _peel(self, text: str) -> list[str]:
        """`text`, then each shorter form after peeling one quantifier/modifier/opener."""
        stages = [text]
        while True:
            new = _MODIFIER.sub("", _QUANTIFIER.sub("", _LEADING.sub("", text)))
            new = _strip_question(new)
            if new == text or not new:
                break
            stages.append(new)
            text = new
        last = stages[-1]
        if len(last) > 2 and last[0] in _SOFT_PREFIX and last[1:] in self._words:
            stages.append(last[1:])
        if len(last) > 2 and last[-1] in _SOFT_SUFFIX and last[:-1] in self._words:
            stages.append(last[:-1])
        return stages

    def _resolve(self, key: str, query: str, normalized: str | None = None) -> LookupResult | None:
        entry = self._words.get(key)
        if entry is None:
            return None
        kind, target = entry
        normalized = key if normalized is None else normalized
        if kind in ("name", "synonym"):
            assert isinstance(target, Item)
            status: Status = "exact" if kind == "name" else "synonym"
            return LookupResult(
                status,
                query,
                normalized,
                item=target,
                category=self.categories[target.category],
                matched=key,
            )
        if kind == "category":
            assert isinstance(target, CategoryInfo)
            return LookupResult(
                "category",
                query,
                normalized,
                category=target,
                advice=f"{target.explain}{target.tip}",
                matched=key,
            )
        assert isinstance(target, SpecialClass)
        return LookupResult(
            "special", query, normalized, special=target, advice=target.advice, matched=key
        )

    def _composite(self, text: str, query: str, normalized: str) -> LookupResult | None:
        match = _COMPOSITE_FRONT.match(text) or _COMPOSITE_BACK.match(text)
        if not match:
            return None
        content, container_text = match["content"], match["container"]
        container = None
        for stage in self._peel(container_text):
            container = self._resolve(stage, query, normalized)
            if container:
                break
        if container is None or container.item is None:
            return None
        item = container.item
        if not item.container:
            return container  # "带壳的花生": the thing itself, not a container to empty
        template = self.composite["liquid_tip" if content in self._liquids else "food_tip"]
        advice = (
            template.format(content=content)
            + "，"
            + self.composite["then"].format(name=item.name, category=item.category.zh)
        )
        return LookupResult(
            "composite",
            query,
            normalized,
            item=item,
            category=self.categories[item.category],
            advice=advice,
            matched=container.matched,
        )

    def _fuzzy(self, text: str, query: str, normalized: str) -> LookupResult:
        limit = 1 if len(text) <= 5 else 2
        pool: set[str] = set()
        for gram in _bigrams(text):
            pool.update(self._bigram_index.get(gram, ()))
        if len(text) <= 3:
            # A typo in a short word can break every bigram ("香焦皮"); within one edit the
            # key still shares all but one of the query's characters.
            shared: dict[str, int] = {}
            for char in set(text):
                for k in self._char_index.get(char, ()):
                    shared[k] = shared.get(k, 0) + 1
            pool.update(k for k, n in shared.items() if n >= len(text) - 1)
        scored: list[tuple[int, int, int, bool, bool, str]] = []
        for key in pool:
            inside = text in key or key in text
            distance = _edit_distance(text, key, limit)
            if distance > limit:
                # "灯泡" → "节能灯泡": the query is a clear part of a longer name.
                if text in key and len(text) >= 2 and len(key) - len(text) <= 2:
                    distance = len(key) - len(text)
                # "破电池": a known word plus one odd character.
                elif len(key) >= 2 and key in text and len(text) - len(key) <= 1:
                    distance = limit
                else:
                    continue
            entry_kind, item = self._words[key]
            assert isinstance(item, Item)
            # Ties go to: one string inside the other, same start, children's (common)
            # items, names before synonyms.
            scored.append(
                (
                    distance,
                    not inside,
                    -_common_prefix(text, key),
                    not item.kid,
                    entry_kind != "name",
                    key,
                )
            )
        if len(text) <= 2 and any(not s[1] for s in scored):
            scored = [s for s in scored if not s[1]]  # two characters: one swap is too loose
        scored.sort()
        candidates: list[Item] = []
        for *_, key in scored:
            item = self._words[key][1]
            assert isinstance(item, Item)
            if item not in candidates:
                candidates.append(item)
            if len(candidates) == MAX_CANDIDATES:
                break
        if not candidates:
            return LookupResult("unknown", query, normalized)
        # item is only the top candidate: not an answer, so no category is attached.
        return LookupResult(
            "fuzzy", query, normalized, item=candidates[0], candidates=tuple(candidates)
        )


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def lookup(query: str) -> LookupResult:
    """Look `query` up in the shared knowledge base."""
    return KnowledgeBase.get().lookup(query)
