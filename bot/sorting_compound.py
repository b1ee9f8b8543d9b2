"""Compound questions: "装着药的瓶子", "带电池的玩具", "沾了油的纸", "药连盒子一起", "摔碎的体温计".

Every part is sorted by its own knowledge-base entry, so the advice can never contradict
an entry: non-food contents never go to kitchen waste, oil never down the drain, soiled
paper is never recyclable, batteries come out of devices first, hazardous contents stay
in their container.  `validate` proves a plan against the entries and `audit` runs it over
every container x every item for every city (the builder refuses to write otherwise).
"""

from __future__ import annotations

import re

from bot.sorting import Category, Item, KnowledgeBase, LookupResult, Step
from bot.sorting_query import BROKEN

_FRONT = re.compile(
    r"^(带着|带有|带|装着|装有|装了|装满|装|盛着|盛有|还有|有|剩着|剩了|剩|残留着|残留"
    r"|沾了|沾着|沾有|沾满|沾过|沾|粘了|粘着|擦过|包过|装过)(?P<x>.{1,8}?)的(?P<y>.+)$"
)
_SOILING = re.compile(r"^(沾|粘|擦过|包过|装过)")
_BACK = re.compile(r"^(?P<y>.+?)(里面|里)(还有|有|装着|装了|剩着|剩了|剩|沾着|沾了)(?P<x>.+)$")
_TOGETHER = (
    re.compile(r"^连(着|同)?(?P<b>.+?)一起(扔|丢|投放)?的?(?P<a>.+)$"),
    re.compile(r"^(?P<a>.+?)连(着|同)?(?P<b>.+?)一起.*$"),
)
# The actions a step may take; `validate` knows what each one may do.
ACTIONS = frozenset(
    {"drain", "food", "oil", "keep", "mercury", "with", "battery", "detach", "empty"}
    | {"use_up", "sort", "separate", "soiled", "wash", "broken"}
)
_OWN = ACTIONS - {"with", "drain"}  # the part goes to its own entry's bin


def bin_name(kb: KnowledgeBase, category: Category, city: str | None) -> str:
    from bot.sorting_city import category_name

    return category_name(kb, category, city)


def plan(
    kb: KnowledgeBase,
    x: Item,
    x_label: str,
    y: Item,
    y_label: str,
    city: str | None,
    *,
    soiling: bool = False,
) -> tuple[Step, ...]:
    """Steps for "y holding / carrying x": contents first, then the container."""
    xc, yc = x.category_in(city), y.category_in(city)
    if soiling and y.paper:
        if xc == Category.HAZARDOUS:
            return (Step(x_label, x, "keep", xc), Step(y_label, x, "with", xc))
        target = kb.item("油纸" if x.oil or "油" in x_label else "污损纸张")
        return (Step(y_label, target, "soiled", target.category_in(city)),)
    if x.battery:
        return (Step(x_label, x, "battery", xc), Step(y_label, y, "sort", yc))
    if x.mercury:
        return (Step(x_label, x, "mercury", xc), Step(y_label, x, "with", xc))
    if xc == Category.HAZARDOUS:
        return (Step(x_label, x, "keep", xc), Step(y_label, x, "with", xc))
    if soiling:
        action = "wash" if yc == Category.RECYCLABLE else "sort"
        return (Step(y_label, y, action, yc),)
    if xc == Category.KITCHEN:
        first = "oil" if x.oil else "drain" if x.liquid else "food"
        return (Step(x_label, x, first, xc), Step(y_label, y, "sort", yc))
    if xc == Category.OTHER:
        first = "use_up" if x.liquid else "empty"
        return (Step(x_label, x, first, xc), Step(y_label, y, "sort", yc))
    return (Step(x_label, x, "detach", xc), Step(y_label, y, "sort", yc))


def render(kb: KnowledgeBase, steps: tuple[Step, ...], city: str | None) -> str:
    """The advice for a plan, in the city's category names."""
    return "；".join(sentences(kb, steps, city)) + "。"


def sentences(kb: KnowledgeBase, steps: tuple[Step, ...], city: str | None) -> list[str]:
    """One sentence per step."""
    out = []
    held = next((s.label for s in steps if s.action in ("keep", "mercury")), "")
    for step in steps:
        cat = bin_name(kb, step.category, city) if step.category else ""
        other = bin_name(kb, Category.OTHER, city)
        text = {
            "drain": "先把{label}倒进水池，倒不净的渣子放进{cat}",
            "food": "先把{label}倒出来，放进{cat}",
            "oil": "{label}不要倒进水池或下水道（会堵住管道、弄脏河水）：倒进能拧紧的瓶子里，"
            "投放到{cat}",
            "keep": "里面的{label}不要倒出来，也不要倒进水池",
            "mercury": "{label}有毒：不要用手碰，请大人处理，密封好",
            "with": "{label}连同里面的{held}一起投放到{cat}",
            "battery": "先把{label}取出来，单独投放到{cat}",
            "detach": "把{label}取下来，投放到{cat}",
            "empty": "把{label}倒出来，投放到{cat}（它不是食物）",
            "use_up": "剩下的{label}尽量用完，不要倒进水池；实在用不完，就连同容器投放到{cat}",
            "sort": "倒空后的{label}投放到{cat}" if step.item.container else "{label}投放到{cat}",
            "separate": "{label}投放到{cat}",
            "soiled": "纸被弄脏后就不能回收了，{label}投放到{cat}",
            "wash": "把{label}洗干净，投放到{cat}；洗不干净的投放到{other}",
            "broken": _broken_text(step),
        }[step.action]
        out.append(text.format(label=step.label, cat=cat, held=held, other=other))
    return out


def _broken_text(step: Step) -> str:
    if step.item.mercury:
        return (
            "水银有毒：不要用手碰，也不要用扫帚扫或吸尘器吸，先离开房间、开窗通风，"
            "请大人戴上手套把碎片和水银装进能密封的瓶子，投放到{cat}"
        )
    return "碎片很锋利：不要用手捡，请大人用厚纸或纸盒包好，写上“小心扎手”，再投放到{cat}"


def validate(kb: KnowledgeBase, steps: tuple[Step, ...], city: str | None) -> list[str]:
    """Why a plan contradicts the knowledge base (empty when it does not)."""
    errors: list[str] = []
    names = {c: bin_name(kb, c, city) for c in Category}
    kept = {s.category for s in steps if s.action in ("keep", "mercury")}
    seen_sort = False
    for step, sentence in zip(steps, sentences(kb, steps, city), strict=True):
        own = step.item.category_in(city)
        where = f"{city or 'national'}: {step.label}({step.item.name}) {step.action}"
        if step.action not in ACTIONS:
            errors.append(f"{where}: unknown action")
        if step.action in _OWN and step.category != own:
            errors.append(f"{where}: sent to {step.category}, its entry says {own}")
        if step.action == "with" and (
            step.category not in kept or step.category != Category.HAZARDOUS
        ):
            errors.append(f"{where}: follows contents that are not hazardous")
        if step.action in ("drain", "food") and own != Category.KITCHEN:
            errors.append(f"{where}: non-food poured into kitchen waste")
        if step.action == "drain" and (step.item.oil or not step.item.liquid):
            errors.append(f"{where}: only drinkable liquids go down the sink")
        if step.item.oil and "倒进水池" in sentence.replace("不要倒进水池", ""):
            errors.append(f"{where}: oil down the drain")
        if step.action == "soiled" and step.category == Category.RECYCLABLE:
            errors.append(f"{where}: soiled paper called recyclable")
        if step.action == "battery" and seen_sort:
            errors.append(f"{where}: battery taken out after the device was sorted")
        seen_sort = seen_sort or step.action == "sort"
        if own != Category.KITCHEN and names[Category.KITCHEN] in sentence:
            errors.append(f"{where}: advice names kitchen waste for a non-food part")
        allowed = {names[step.category]} if step.category else set()
        if step.action == "wash":
            allowed.add(names[Category.OTHER])
        for cat, name in names.items():
            if name in sentence and name not in allowed and cat != Category.KITCHEN:
                errors.append(f"{where}: advice names {name}")
    return errors


def _result(
    kb: KnowledgeBase, steps: tuple[Step, ...], query: str, normalized: str, city: str | None
) -> LookupResult:
    # The headline item is the part that decides the whole: hazardous contents take the
    # container along; otherwise the container (or the soiled paper) is what is left.
    main = next((s.item for s in steps if s.action == "with"), steps[-1].item)
    return LookupResult(
        "composite",
        query,
        normalized,
        item=main,
        category=kb.categories[main.category],
        advice=render(kb, steps, city),
        steps=steps,
        matched=steps[-1].label,
    )


def _one(items: tuple[Item, ...]) -> Item | None:
    """An ambiguous word is usable only if all its meanings go to the same bin."""
    if len(items) == 1:
        return items[0]
    if items and all(i.category == items[0].category and not i.cities for i in items):
        return items[0]
    return None


def compound(
    kb: KnowledgeBase, text: str, query: str, normalized: str, city: str | None = None
) -> LookupResult | None:
    """Answer a compound phrase part by part, or None if `text` is not one."""
    for pattern in _TOGETHER:
        match = pattern.match(text)
        if match:
            a_items = kb.resolve_items(match["a"])
            b_items = kb.resolve_items(match["a"] + match["b"]) or kb.resolve_items(match["b"])
            a, b = _one(a_items), _one(b_items)
            if a is None or b is None:
                return _ask(a_items or b_items, query, normalized)
            steps = tuple(
                Step(label, item, "separate", item.category_in(city))
                for label, item in ((match["a"], a), (match["b"], b))
            )
            return _result(kb, steps, query, normalized, city)
    match = _FRONT.match(text) or _BACK.match(text)
    if not match:
        return None
    x_text, y_text = match["x"], match["y"]
    soiling = bool(_SOILING.match(text)) if match.re is _FRONT else "沾" in text
    # "药"+"瓶子" names the container better ("药瓶"), but "油"+"纸" is another thing.
    combined = () if soiling else kb.resolve_items(x_text + y_text)
    y_items = combined or kb.resolve_items(y_text)
    y = _one(y_items)
    if y is None:
        return _ask(y_items, query, normalized) if y_items else None
    if soiling and y.paper:
        dirt = kb.resolve_items(x_text)
        content = dirt[0] if len(dirt) == 1 else kb.item("污损纸张")
        steps = plan(kb, content, x_text, y, y_text, city, soiling=True)
        return _result(kb, steps, query, normalized, city)
    x_items = kb.resolve_items(x_text)
    x = _one(x_items)
    if x is None and not x_items and y.category == Category.KITCHEN and not y.container:
        x = y  # "带壳的花生": a part of the food itself
    if x is None:
        # Unknown contents: no guess (the thing might be medicine or a chemical).
        return _ask(x_items, query, normalized)
    if x.category == y.category == Category.KITCHEN and not y.container:
        found = LookupResult("synonym", query, normalized, item=y, matched=y_text)
        return _with_category(kb, found)  # "带壳的花生": the thing itself
    steps = plan(kb, x, x_text, y, y_text, city, soiling=soiling)
    return _result(kb, steps, query, normalized, city)


def _with_category(kb: KnowledgeBase, result: LookupResult) -> LookupResult:
    assert result.item is not None
    return LookupResult(
        result.status,
        result.query,
        result.query_normalized,
        item=result.item,
        category=kb.categories[result.item.category],
        matched=result.matched,
    )


def _ask(items: tuple[Item, ...], query: str, normalized: str) -> LookupResult:
    if not items:
        return LookupResult("unknown", query, normalized)
    return LookupResult("fuzzy", query, normalized, item=items[0], candidates=items[:4])


def broken(
    kb: KnowledgeBase, text: str, query: str, normalized: str, city: str | None = None
) -> LookupResult | None:
    """ "摔碎的体温计", "打碎的玻璃杯": safety first, then the bin of the broken thing."""
    match = BROKEN.match(text)
    if not match:
        return None
    rest = text[match.end() :]
    items = kb.resolve_items(rest)
    if any(i.mercury for i in items) or "温度计" in rest or "体温计" in rest:
        target = kb.item("水银温度计")
    elif items and all(i.sharp for i in items):
        glass = items[0].category == Category.RECYCLABLE
        target = kb.item("碎玻璃" if glass else "碎瓷片")
    else:
        return None
    steps = (Step(rest, target, "broken", target.category_in(city)),)
    return _result(kb, steps, query, normalized, city)


def audit(kb: KnowledgeBase) -> list[str]:
    """Prove every generated plan against the entries, for every supported city."""
    errors: list[str] = []
    cities = (None, *kb.data.get("cities", {}))

    def signature(item: Item) -> tuple:
        # A plan depends only on these (and "油" in the name): one item per signature
        # covers every item.
        return (
            tuple(item.category_in(c) for c in cities),
            item.container,
            item.liquid,
            item.oil,
            item.paper,
            item.battery,
            item.mercury,
            "油" in item.name,
        )

    contents = list({signature(i): i for i in kb.items}.values())
    holders = list({signature(i): i for i in kb.items if i.container or i.paper}.values())
    for city in cities:
        for y in holders:
            for x in contents:
                for soiling in (False, True):
                    steps = plan(kb, x, x.name, y, y.name, city, soiling=soiling)
                    errors += validate(kb, steps, city)
                    if len(errors) > 50:
                        return errors
        for phrase in AUDIT_PHRASES:
            result = kb.lookup(phrase, city)
            errors += validate(kb, result.steps, city)
            if result.status == "composite" and not result.steps:
                errors.append(f"{phrase}: compound answer without steps")
    return errors


# Questions from the review that once got unsafe advice; audited like generated plans.
AUDIT_PHRASES = (
    "装着药的瓶子",
    "装着农药的瓶子",
    "装着消毒液的瓶子",
    "装着机油的瓶子",
    "装着水银的瓶子",
    "装着电池的盒子",
    "装着烟头的瓶子",
    "装着洗发水的瓶子",
    "带盖子的玻璃瓶",
    "装着油的瓶子",
    "沾了油的纸",
    "擦过鼻涕的纸",
    "包过油条的纸",
    "沾了油的纸盒",
    "带电池的玩具",
    "带汤的外卖盒",
    "药连盒子一起",
    "摔碎的体温计",
    "摔碎的玻璃杯",
)
