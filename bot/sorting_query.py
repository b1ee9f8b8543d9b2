"""Clean-up of garbage-sorting questions before look-up (pure text rules, no knowledge base).

Question forms are peeled so that "电池能回收吗", "奶茶杯扔哪个颜色的桶", "香蕉皮是绿色桶吗"
and "is a battery recyclable" all leave just the thing asked about; the user's own guess
(a category or a bin colour) is dropped because the answer corrects it anyway.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.text import normalize

MAX_QUERY_CHARS = 200  # longer input is cut: no item name is anywhere near this long

_PUNCT = re.compile(r"[\W_]+")
QUESTION_TAIL = re.compile(
    r"(是什么垃圾|是啥垃圾|属于什么垃圾|属于啥垃圾|属于哪类垃圾|属于哪一类垃圾|属于哪种垃圾"
    r"|属于哪一类|属于哪类|属于什么|算什么垃圾|算啥垃圾|算哪类垃圾|算哪类|算什么"
    r"|是哪类垃圾|是哪种垃圾|是哪一类垃圾|是哪一类|是哪类|是什么类|什么垃圾|哪类垃圾"
    r"|应该怎么扔|应该扔哪里|应该扔哪|应该放哪|要怎么扔|怎么扔|怎么丢|怎么处理|怎么分类"
    r"|如何分类|如何扔|如何处理|扔哪里|扔哪儿|扔哪|丢哪里|丢哪儿|丢哪|放哪里|放哪儿|放哪"
    r"|扔到哪里|扔到哪|扔什么桶|扔哪个桶|放什么桶|放哪个桶|扔哪个垃圾桶|放哪个垃圾桶"
    r"|扔什么垃圾桶|放什么垃圾桶|进哪个桶"
    r"|[扔放丢投]?(到|进|在)?(哪个|什么|哪种|啥)颜色的?(垃圾)?桶(里)?|什么颜色|哪个颜色"
    r"|能不能回收|可不可以回收|能否回收|是否可以回收|是否能回收|能回收吗|可以回收吗"
    r"|可回收吗|能回收|可以回收|回收吗|能卖钱吗|能卖吗|有毒吗|有害吗|能扔吗|可以扔吗"
    r"|是什么意思|是什么|是啥|指什么|包括什么"
    r"|有哪些|是不是垃圾|垃圾分类|吗|呢|啊|呀|吧|嘛|哦|哇)$"
)
LEADING = re.compile(
    r"^(请问一下|请问|问一下|问下|我想问一下|我想问|想问一下|想问|请教一下|请教|我想知道"
    r"|想知道|告诉我|你好|您好|什么是|什么叫|啥是|查一下|查查|查询|这个|那个|这些|那些"
    r"|这种|那种|这|那)"
)
QUANTIFIER = re.compile(
    r"^([一两二三四五六七八九十几半数多好]|\d+)"
    r"(个|只|块|张|瓶|袋|盒|包|条|双|件|根|片|粒|颗|堆|把|支|本|台|部|罐|杯|碗|盘|节|些"
    r"|点|坨|团|桶|箱|套|份|串|捆|卷|筐|缸|壶|朵|棵|株|盆|副|顶|枚|听|只儿)"
)
MODIFIER = re.compile(
    r"^(用过了的|用过的|用过|用完了的|用完的|用完|用剩的|用剩|喝完了的|喝完的|喝完|喝剩的"
    r"|喝剩|喝过的|吃剩下的|吃剩的|吃剩|吃完的|吃完|吃过的|剩下的|剩的|坏掉的|坏了的|坏的"
    r"|破掉的|破了的|破的|破损的|旧了的|旧的|废旧的|废弃的|废掉的|不要的|不用的|没用的"
    r"|过期了的|过期的|过了期的|脏了的|脏的|空了的|空的|烂掉的|烂了的|烂的"
    r"|穿旧的|穿破的|看完的|写完的|吸过的|抽过的|干了的|发霉的|变质的|坏掉了的"
    r"|小的|大的|一次性的|我的|我家的|家里的|家里|我们家的)"
)
# "摔碎的体温计": peeled like a modifier, but the look-up then answers for the broken thing.
BROKEN = re.compile(r"^(摔碎了的|摔碎的|打碎了的|打碎的|摔破的|打破的|碎掉的|碎了的|碎的|摔坏的)")
# One-character modifiers are peeled only when what remains is a known word.
SOFT_PREFIX = frozenset("旧废坏破空脏烂碎小大")
SOFT_SUFFIX = frozenset("儿子")

# The user's guess: "…是绿色桶吗", "…放蓝色垃圾桶吗" (categories are added by the knowledge base).
COLOUR_GUESS = r"(绿色|蓝色|红色|灰色|黑色|棕色|咖啡色|黄色|绿|蓝|红|灰|黑|棕)的?(垃圾)?(桶|箱)"

_EN_LEADING = re.compile(
    r"^(please\s+)?(how (do|can|should) (i|we|you) (throw away|throw out|dispose of|get rid of"
    r"|recycle|sort)|where (do|does|should) (i|we|you)? ?(put|throw|bin)|where (does|do)"
    r"|which bin (does|do|is|for)|what bin (does|do|is|for)|which bin|what bin|is|are|can (i|we)"
    r" recycle|can)\s+"
)
_EN_TRAILING = re.compile(
    r"\s+(go|goes|belong|belongs|recyclable|be recycled|recycled|hazardous|in the bin"
    r"|in which bin|go in|go to)\s*$"
)
_EN_ARTICLE = re.compile(r"^(an?|the|my|some|old|used|empty|broken)\s+")


def english_core(text: str) -> str:
    """ "How do I throw away a used tissue?" → "used tissue" (lower case, words kept)."""
    text = re.sub(r"[^a-z0-9\s-]", " ", text.lower()).strip()
    text = " ".join(text.split())
    for _ in range(3):
        new = _EN_TRAILING.sub("", _EN_LEADING.sub("", text)).strip()
        if new == text:
            break
        text = new
    return text


def english_forms(core: str) -> list[str]:
    """Folded keys to try for an English phrase: as typed, without articles, singular."""
    forms = [core]
    bare = _EN_ARTICLE.sub("", core)
    forms.append(bare)
    for word in (bare,):
        if word.endswith("ies"):
            forms.append(word[:-3] + "y")
        if word.endswith("es"):
            forms.append(word[:-2])
        if word.endswith("s"):
            forms.append(word[:-1])
    return [_PUNCT.sub("", f) for f in forms if f]


def fold(text: str) -> str:
    """Normalise for matching: NFKC, Traditional→Simplified, lower case, no spaces/punctuation."""
    return _PUNCT.sub("", normalize(text[: MAX_QUERY_CHARS * 2]).lower())[:MAX_QUERY_CHARS]


def strip_question(text: str) -> str:
    """Peel question tails and polite openers until nothing changes."""
    while True:
        new = LEADING.sub("", QUESTION_TAIL.sub("", text))
        if new == text:
            return text
        text = new


@lru_cache(maxsize=8192)
def char_sound(char: str) -> str:
    """Toneless pinyin of one character (its first reading), '' for non-Chinese."""
    from pypinyin.pinyin_dict import pinyin_dict

    reading = pinyin_dict.get(ord(char))
    if reading is None:
        return ""
    first = reading.split(",", 1)[0]
    for umlaut in "üǖǘǚǜ":  # typed as "v" on pinyin keyboards (lv = 绿)
        first = first.replace(umlaut, "v")
    plain = "".join(c for c in unicodedata.normalize("NFD", first) if c.isascii())
    return plain


def sound(text: str) -> str:
    """Toneless pinyin of a Chinese word, '' if any character has none."""
    parts = []
    for char in text:
        s = char_sound(char)
        if not s:
            return ""
        parts.append(s)
    return "".join(parts)


def is_pinyin(text: str) -> bool:
    return text.isascii() and text.isalpha() and len(text) >= 3
