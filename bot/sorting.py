"""Garbage-sorting knowledge base and look-up (pure domain: no Telegram, no SQL).

The knowledge base (`bot/data/garbage.json`, built by `tools/build_garbage.py`) is loaded
once per process; every index is built at load time so a look-up is a few dict probes.

Look-up order, most confident first, so that a wrong guess never beats a right answer:
1. the whole (normalised) query as a name, synonym, category or special-class word;
2. the same after peeling question words ("是什么垃圾", "吗") and, one by one,
   quantifiers and modifiers ("一个", "用过的") — checking after every peel, so an item
   whose own name holds a modifier ("用过的卫生纸") is found before it is peeled;
3. compound phrases ("装着药的瓶子", "带电池的玩具", "沾了油的纸"): every part is sorted
   by its own entry (bot.sorting_compound), and the advice is proved against the entries;
4. "…的X" where X is known ("我家的奶茶杯");
5. otherwise candidates, never a confident guess: words with several meanings ("饭盒")
   list their meanings; pinyin ("dianchi") and homophone typos ("电尺") are matched by
   sound; keys within one or two edits (bigram index, not a scan) are offered as
   candidates; nothing close enough means `unknown`, never a random hit.

English names ("banana peel", "is a battery recyclable") are words of the index too.
With `city`, the answer follows that city's rules (bot.sorting_city).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib import resources
from typing import ClassVar, Literal

from bot.sorting_query import (
    COLOUR_GUESS,
    LEADING,
    MAX_QUERY_CHARS,
    MODIFIER,
    QUANTIFIER,
    SOFT_PREFIX,
    SOFT_SUFFIX,
    english_core,
    english_forms,
    fold,
    is_pinyin,
    sound,
    strip_question,
)

Status = Literal[
    "exact", "synonym", "fuzzy", "composite", "special", "category", "unknown", "empty"
]
# Statuses where the answer is confident (handlers may present it as the answer).
FOUND: frozenset[str] = frozenset({"exact", "synonym", "composite", "special", "category"})

MAX_CANDIDATES = 4
__all__ = ["MAX_QUERY_CHARS", "fold"]


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
    own_note: str | None = None  # the data's note; `note` adds the cities that differ
    en: tuple[str, ...] = ()
    area: str = "home"
    source: str = ""
    cities: tuple[tuple[str, Category], ...] = ()  # (city, category) where a city differs
    liquid: bool = False
    oil: bool = False
    paper: bool = False
    sharp: bool = False
    mercury: bool = False
    battery: bool = False

    def category_in(self, city: str | None) -> Category:
        """This item's category under `city`'s rules (None or "national": the base)."""
        for code, category in self.cities:
            if code == city:
                return category
        return self.category


@dataclass(frozen=True, slots=True)
class SpecialClass:
    """Waste that is not one of the four categories (大件垃圾, 装修垃圾)."""

    code: str  # "bulky" | "renovation"
    name: str
    aliases: tuple[str, ...]
    examples: tuple[str, ...]
    advice: str


@dataclass(frozen=True, slots=True)
class Step:
    """One part of a compound answer: what to do with it and which bin it goes to."""

    label: str  # what the person called it ("瓶子")
    item: Item  # the entry it is sorted by
    action: str  # see bot.sorting_compound.ACTIONS
    category: Category | None  # the bin (None: poured down the sink)


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
    steps: tuple[Step, ...] = ()  # composite: how each part is sorted
    city: str | None = None  # whose rules the answer follows (None: national)

    @property
    def found(self) -> bool:
        """True when the answer is confident (not fuzzy, unknown or empty)."""
        return self.status in FOUND


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    if limit == 1:  # the common case (short words): linear, no table
        return 1 if _one_edit(a, b) else 2
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _one_edit(a: str, b: str) -> bool:
    """True if a and b (known to differ, lengths within one) are one edit apart."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]  # one substitution
    return a[i:] == b[i + 1 :]  # one insertion


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


# --- knowledge base --------------------------------------------------------------------

# What a word of the index points to: ("name"|"synonym", Item), ("category", CategoryInfo),
# ("special", SpecialClass) or ("ambiguous", tuple[Item, ...]).
_Entry = tuple[str, object]
_ITEM_FLAGS = ("container", "liquid", "oil", "paper", "sharp", "mercury", "battery")


@dataclass
class KnowledgeBase:
    categories: dict[Category, CategoryInfo]
    items: tuple[Item, ...]
    special: tuple[SpecialClass, ...]
    data: dict  # the rest of the JSON: cities, colours, ambiguous words, pinyin
    _words: dict[str, _Entry] = field(default_factory=dict, repr=False)
    _by_name: dict[str, Item] = field(default_factory=dict, repr=False)
    _bigram_index: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _char_index: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _sounds: dict[str, list[Item]] = field(default_factory=dict, repr=False)
    _guess: re.Pattern[str] = re.compile(r"(?!)")  # "…是有害垃圾" (built at load time)
    # kid_items per category, with the items tuple they were taken from (every quiz board and
    # practice round asks; filtering every item each time showed in the mixed profile).
    _kids: dict[Category | None, tuple[tuple[Item, ...], tuple[Item, ...]]] = field(
        default_factory=dict, repr=False
    )

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
                own_note=i.get("note"),
                en=tuple(i.get("en", ())),
                area=i.get("area", "home"),
                source=i.get("source", ""),
                cities=tuple((c, Category(v)) for c, v in i.get("cities", {}).items()),
                **{flag: bool(i.get(flag, False)) for flag in _ITEM_FLAGS},
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
        kb = cls(categories, items, special, data)
        from bot.sorting_city import differences

        kb.items = tuple(replace(i, note=differences(kb, i, None)) for i in items)
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
            for synonym in (*item.synonyms, *item.en):
                add(synonym, ("synonym", item))
        for info in self.categories.values():
            for word in (info.name, *info.aliases):
                add(word, ("category", info))
        for special in self.special:
            for word in (special.name, *special.aliases, *special.examples):
                add(word, ("special", special))
        for word, names in self.data.get("ambiguous", {}).items():
            add(word, ("ambiguous", tuple(self._by_name[fold(n)] for n in names)))
        self._words = words
        for key, (kind, target) in words.items():
            if kind not in ("name", "synonym"):
                continue  # fuzzy candidates are items only
            for gram in _bigrams(key):
                self._bigram_index.setdefault(gram, []).append(key)
            if 2 <= len(key) <= 4:  # one-character words ("花") make poor suggestions
                for char in set(key):
                    self._char_index.setdefault(char, []).append(key)
            assert isinstance(target, Item)
            if not key.isascii():
                self._add_sound(sound(key), target)
        for spoken, names in self.data.get("pinyin", {}).items():
            for name in names:
                self._add_sound(spoken, self._by_name[fold(name)])
        names = sorted(
            {fold(w) for info in self.categories.values() for w in (info.name, *info.aliases)},
            key=len,
            reverse=True,
        )
        self._guess = re.compile(
            r"(是不是|算不算|属不属于|属于|应该是|应该放|应该扔|是|算|扔|放|丢|进)("
            + "|".join(names)
            + "|"
            + COLOUR_GUESS
            + r")$"
        )

    def _add_sound(self, spoken: str, item: Item) -> None:
        if len(spoken) >= 3:
            bucket = self._sounds.setdefault(spoken, [])
            if item not in bucket:
                bucket.append(item)

    # -- accessors -----------------------------------------------------------------------

    def item(self, name: str) -> Item:
        """The item with this exact name (KeyError if there is none)."""
        return self._by_name[fold(name)]

    def word(self, key: str) -> _Entry | None:
        """What a folded word of the index points to, if anything."""
        return self._words.get(key)

    def kid_items(self, category: Category | None = None) -> list[Item]:
        """Items every supported city agrees on, optionally of one category."""
        cached = self._kids.get(category)
        if cached is None or cached[0] is not self.items:
            kids = tuple(
                i for i in self.items if i.kid and (category is None or i.category == category)
            )
            cached = self._kids[category] = (self.items, kids)
        return list(cached[1])

    # -- look-up -------------------------------------------------------------------------

    def lookup(self, query: str, city: str | None = None) -> LookupResult:
        """Find what `query` is and how to throw it away (see the module docstring)."""
        from bot.sorting_city import city_code, localize

        city = city_code(city)
        result = self._lookup(query, city)
        return result if city is None else localize(self, result, city)

    def _lookup(self, query: str, city: str | None) -> LookupResult:
        key = fold(query or "")
        if not key:
            return LookupResult("empty", query, key)
        hit = self._resolve(key, query)
        if hit:
            return hit
        if key.isascii():
            hit = self._english(query, key)
            if hit:
                return hit
        core = self._strip_guess(strip_question(key))
        if not core:
            return LookupResult("empty", query, key)
        for stage in self._peel(core):
            hit = self._resolve(stage, query, key)
            if hit:
                return hit
        from bot.sorting_compound import broken, compound

        for stage in self._peel(core):
            hit = compound(self, stage, query, key, city) or broken(self, stage, query, key, city)
            if hit:
                return hit
        if "的" in core:  # "我家的奶茶杯": the thing is what follows the last 的
            tail = core.rsplit("的", 1)[1]
            hit = self._resolve(tail, query, key) if tail else None
            if hit and hit.status != "category":
                return hit
        return self._fuzzy(core, query, key)

    def _english(self, query: str, key: str) -> LookupResult | None:
        for form in english_forms(english_core(query)):
            hit = self._resolve(form, query, key) if form else None
            if hit:
                return hit
        return None

    def _strip_guess(self, text: str) -> str:
        """ "电池是有害垃圾" → "电池": the user's guess is dropped, the answer corrects it."""
        match = self._guess.search(text)
        if match is None:
            return text
        if match.start() == 0:  # "是有害垃圾吗": a question about the category itself
            return match.group(2)
        return strip_question(text[: match.start()])

    def _peel(self, text: str) -> list[str]:
        """`text`, then each shorter form after peeling one quantifier/modifier/opener."""
        stages = [text]
        while True:
            new = MODIFIER.sub("", QUANTIFIER.sub("", LEADING.sub("", text)))
            new = strip_question(new)
            if new == text or not new:
                break
            stages.append(new)
            text = new
        last = stages[-1]
        if len(last) > 2 and last[0] in SOFT_PREFIX and last[1:] in self._words:
            stages.append(last[1:])
        if len(last) > 2 and last[-1] in SOFT_SUFFIX and last[:-1] in self._words:
            stages.append(last[:-1])
        return stages

    def resolve_items(self, text: str) -> tuple[Item, ...]:
        """The item(s) a phrase names after peeling (several for an ambiguous word)."""
        for stage in self._peel(text):
            entry = self._words.get(stage)
            if entry is None:
                continue
            kind, target = entry
            if kind in ("name", "synonym"):
                assert isinstance(target, Item)
                return (target,)
            if kind == "ambiguous":
                assert isinstance(target, tuple)
                return target
            return ()
        return ()

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
        if kind == "ambiguous":
            # Several meanings ("饭盒"): offer them all, answer none.
            assert isinstance(target, tuple)
            return LookupResult(
                "fuzzy", query, normalized, item=target[0], candidates=target, matched=key
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

    def _fuzzy(self, text: str, query: str, normalized: str) -> LookupResult:
        # By sound first: pinyin typed as letters ("dianchi") or a homophone typo ("电尺").
        spoken = text if is_pinyin(text) else sound(text)
        by_sound = list(self._sounds.get(spoken, ())) if spoken else []
        if text.isascii():
            return self._candidates(by_sound, query, normalized)
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
        short = len(text) <= 2
        for key in pool:
            inside = text in key or key in text
            if not inside and (short or abs(len(key) - len(text)) > limit):
                # Cheap rejections: two characters need containment (see below); otherwise
                # a length gap beyond the limit cannot be within the edit distance.
                continue
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
        if len(text) <= 2:
            # Two characters: one swap leaves a single shared character, which is not a
            # plausible guess ("电尺" is not "电线"); only containment or sound counts.
            scored = [s for s in scored if not s[1]]
        scored.sort()
        for *_, key in scored:
            item = self._words[key][1]
            assert isinstance(item, Item)
            by_sound.append(item)
        return self._candidates(by_sound, query, normalized)

    def _candidates(self, found: list[Item], query: str, normalized: str) -> LookupResult:
        candidates: list[Item] = []
        for item in found:
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


def lookup(query: str, city: str | None = None) -> LookupResult:
    """Look `query` up in the shared knowledge base (under `city`'s rules if given)."""
    return KnowledgeBase.get().lookup(query, city)
