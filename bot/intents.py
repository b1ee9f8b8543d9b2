"""What a resident means by a sentence typed in private chat outside any form.

Pure rules and word lists, no Telegram: "灯坏了" is a fault to file, "谁是网格员" asks for the
grid worker, "电池是什么垃圾" is a look-up. Text is folded with `bot.text.normalize` first, so
Traditional Chinese reads as Simplified; English has its own words. When nothing fits the
handler tries the look-up and then offers a few likely choices as buttons (`Intent.choices`),
never a bare "not understood". Checked against a table of real sentences in
tests/test_intents.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from bot import address
from bot.i18n import LANGS, N_, gettext
from bot.text import normalize


class Kind(StrEnum):
    GREET = "greet"
    THANKS = "thanks"
    OK = "ok"  # 好的, 不用了: nothing to do
    HELP = "help"
    REPAIR = "repair"  # wants to file a repair, nothing said about what
    FAULT = "fault"  # describes a fault: offered to file it, the sentence kept
    MY_TICKETS = "my"  # /my: their repairs and progress
    GRID = "grid"  # /grid
    MENU = "menu"  # /menu: the renovation menu, ordering
    PROGRESS = "progress"  # /progress: the renovation items' progress
    REGISTER = "register"  # /register, or an address typed on its own
    LANG = "lang"
    SORTING = "sorting"  # a garbage question: the look-up answers it
    SORT_HINT = "sort_hint"  # "垃圾分类" alone: how to ask
    UNKNOWN = "unknown"  # the look-up may still know it; else offer `choices`


@dataclass(frozen=True)
class Intent:
    kind: Kind
    category: str | None = None  # FAULT: the repair category it most likely is (bot/repairs.py)
    choices: tuple[Kind, ...] = ()  # UNKNOWN: what to offer, likeliest first


# The persistent keyboard in private chat: a press sends the label as text.
KEYBOARD: tuple[tuple[tuple[Kind, str], ...], ...] = (
    ((Kind.REPAIR, N_("🔧 报修")), (Kind.MY_TICKETS, N_("📄 我的报修"))),
    ((Kind.MENU, N_("📋 点单")), (Kind.SORT_HINT, N_("♻️ 垃圾分类"))),
    ((Kind.GRID, N_("👤 我的网格员")), (Kind.HELP, N_("❓ 帮助"))),
)
DEFAULT_CHOICES = (Kind.REPAIR, Kind.SORT_HINT, Kind.GRID, Kind.HELP)


def _words(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts))


# ---- word lists (Simplified after normalize, and lower-case English) ---------------------------
GREETING = _words(
    r"^(?:你好|您好|你们好|大家好|哈喽|嗨|喂|在吗|在不在|早上好|早安|上午好|中午好|下午好"
    r"|晚上好|晚安|(?:hi|hello|hey|good (?:morning|afternoon|evening)|morning)\b)(?:啊|呀|呢|哦)?"
)
THANKS = _words(
    r"谢谢|多谢|感谢|谢了|辛苦了|辛苦|麻烦你了|太好了|thank|thanks|thx|cheers|appreciate"
)
OK_WORDS = _words(
    r"^(?:好的?|好吧|行|可以|嗯+|哦|噢|知道了|明白了?|收到|不用了?|算了|没事了?|没有了|ok|okay"
    r"|fine|got it|never ?mind|no thanks|bye|再见|拜拜)(?:了|啊|呀)?$"
)
POLITE = _words(
    r"^(?:请问一下|请问|麻烦问一下|麻烦|请|问一下|问下|我想问一下|我想问|想问一下|想问|打扰了|打扰一下"
    r"|excuse me|please|sorry)"
)
HELP = _words(
    r"^(?:帮助|求助|救命|帮帮我|怎么用|如何使用|怎么使用|使用说明|说明|功能|有什么功能|都有什么功能"
    r"|你能做什么|你能干什么|你会做什么|你会什么|能做什么|能干什么|你是谁|你是干什么的|有什么用"
    r"|不会用|怎么操作|教教我|help|how (?:do i |to )?use (?:this|it|the bot)|what can you do"
    r"|commands?|instructions?|\?+|？+)(?:呢|啊|呀|吗)?$"
)
PROGRESS = _words(
    r"改造(?:的)?进度|工程进度|施工进度|项目进度|改造(?:得|的)?怎么样|什么时候(?:开始)?改造"
    r"|改造什么时候|什么时候(?:能|才能|会|可以)?(?:装|建|开工|动工|施工)|(?:装|建).{0,4}什么时候"
    r"|renovation (?:progress|status)|project progress|when will .{0,30}\b(?:be )?(?:installed|built)"
)
MY_TICKETS = _words(
    r"我的报修|我报的|我报修的|报修(?:的)?进度|维修进度|报修记录|报修单|修(?:得|的)怎么样"
    r"|修好了?(?:吗|没)|修了(?:吗|没)|什么时候(?:来)?修|什么时候能修|有人(?:来)?修吗|有人管吗"
    r"|进度|进展|处理(?:得|的)怎么样|处理了(?:吗|没)|到哪(?:一步)?了|my (?:repair|ticket|report)s?"
    r"|repair status|status of my|my request|progress|status"
)
# A fault being described, in any words; "修好了", "不漏了" are not faults.
FAULT = _words(
    r"漏|渗水|渗漏|滴水|坏|倒了|损坏|破了|破损|破洞|不亮|灭了|不动|不转|停了|卡住|卡了|堵|不通"
    r"|不下水|反水|冒水|积水|淹|裂|塌|脱落|掉下来|掉了|松了|松动|断了|生锈|锈了|没水|停水|没电"
    r"|停电|跳闸|短路|冒烟|着火|打不开|关不上|锁不上|开不了|关不了|不好用|不能用|用不了|不出水"
    r"|水压小|没暖气|暖气不热|不热|燃气味|煤气味|异味|臭|噪音|太吵|乱停|占道|乱搭|私搭|违建"
    r"|危险|隐患|老化|晃|坑|不平|没人管|没人扫|没人清|没人收|堆满|满了|没人修|出问题|有问题|故障"
    r"|leak|broken|broke|not working|doesn'?t work|does not work|isn'?t working|won'?t (?:open|close"
    r"|start|turn on|work)|can'?t (?:open|close|lock)|stopped|stuck|blocked|clogged|no water"
    r"|no power|power cut|outage|out of order|crack|flood|smell|noisy|burst|damaged|loose|dripping"
    r"|pothole|hole|fell down|fallen"
    r"|lights? (?:is |are )?out|too dark|dangerous"
)
NOT_FAULT = _words(
    r"修好|已经好|(?<!不)好了|不漏了|不堵了|(?<!不)亮了|(?<!不)通了|来电了|来水了|恢复了|没事了"
    r"|解决了|fixed|working again"
)
REPAIR = _words(
    r"报修|报个修|维修|修理|修一下|修一修|来修|找人修|要修|需要修|请人修|帮我修|修修|报告问题|反映问题"
    r"|反映个问题|提个问题|repair|fix|report (?:a |an )?(?:problem|fault|issue)|maintenance"
)
# Said around a repair request: what is left after these is the description of the fault.
REPAIR_FILLER = _words(
    r"我要|我想|我需要|我得|想要|想|要|需要|申请|帮我|请|麻烦|一下|个|怎么|如何|在哪|哪里|可以吗|吗|呢"
    r"|啊|呀|吧|了|的|\b(?:i want to|i'd like to|i need to|i want|want to|need to"
    r"|how (?:do i|to|can i)|can i|please|a|an|the|to|for|me|report|make|file)\b"
)
GRID = _words(
    r"网格员|网格长|网格|片长|楼长|找谁|联系谁|谁负责|负责人|grid|who (?:is )?(?:in charge|responsible)"
)
MENU = _words(
    r"点单|点菜|菜单|改造项目|改造清单|改什么|投票|选项目|想改|改造|order|menu|renovation|vote"
)
# A wish for something new in the community ("我要加装电梯", "希望装个充电桩"): an order for
# the renovation menu, not a fault (a fault word wins before this is looked at).
WISH = _words(
    r"(?:加装|增设|增加|新建|新装|安装|想装|要装|能装|装上|装个|装一[个部台]|建个|建一个|多装|多建|希望有|想有"
    r"|要是有|(?:希望|想|盼着?).{0,4}(?:装|建))"
    r".{0,6}(?:电梯|充电桩|充电|车棚|停车|车位|监控|摄像头|路灯|健身|座椅|椅子|凳子|扶手|坡道"
    r"|无障碍|快递柜|晾衣|绿化|花园|活动室|养老|助餐|食堂|门禁|围栏|雨棚|信报箱|垃圾房|公厕)"
    r"|\b(?:install|add|build|put in|get)\b.{0,20}\b(?:lift|elevator|charger|charging|bike shed"
    r"|parking|camera|cctv|street ?light|bench|ramp|handrail|playground)"
    r"|\b(?:want|need|wish for|would like)\b.{0,12}\b(?:lift|elevator|charger|bike shed|ramp|bench)"
)
# What a wish is for, to find it on the menu; English words name the Chinese item.
WISH_OBJECT = _words(
    r"电梯|充电桩|充电|车棚|停车|车位|监控|摄像头|路灯|健身|座椅|椅子|凳子|扶手|坡道|无障碍|快递柜"
    r"|晾衣|绿化|花园|活动室|养老|助餐|食堂|门禁|围栏|雨棚|信报箱|垃圾房|公厕"
    r"|lift|elevator|charger|charging|bike shed|parking|camera|cctv|street ?light|bench|ramp"
    r"|handrail|playground"
)
_WISH_EN = {
    "lift": "电梯",
    "elevator": "电梯",
    "charger": "充电",
    "charging": "充电",
    "bike shed": "车棚",
    "parking": "停车",
    "camera": "监控",
    "cctv": "监控",
    "streetlight": "路灯",
    "street light": "路灯",
    "bench": "座椅",
    "ramp": "坡道",
    "handrail": "扶手",
    "playground": "健身",
}


def is_fault_sentence(text: str) -> bool:
    """The sentence says something is broken ("电梯坏了"), whatever else it says."""
    clean = _clean(text)
    return FAULT.search(clean) is not None and NOT_FAULT.search(clean) is None


def wish_of(text: str) -> str | None:
    """The thing a wish asks for ("我要加装电梯" → "电梯"), in Simplified Chinese; None when
    the sentence is not a wish."""
    clean = _clean(text)
    if WISH.search(clean) is None:
        return None
    found = WISH_OBJECT.search(clean)
    if found is None:
        return None
    word = found.group(0)
    return _WISH_EN.get(word, word)


REGISTER = _words(r"登记|注册|绑定|认证|门牌|搬家|新搬来|换房|register|sign ?up|my address|moved")
LANG = _words(r"^(?:语言|切换语言|繁体|简体|中文|english|language|繁體)(?:版)?$")
# Garbage questions: the look-up answers (its own rules peel the question words off).
SORTING = _words(
    r"什么垃圾|啥垃圾|哪类垃圾|哪种垃圾|哪一类垃圾|属于什么|属于哪|算什么垃圾|算哪类|怎么扔|怎么丢"
    r"|扔哪|丢哪|扔到哪|放哪个桶|哪个桶|什么桶|哪个垃圾桶|什么颜色的桶|能回收|可以回收|可回收|回收吗"
    r"|能不能回收|干垃圾|湿垃圾|厨余|有害垃圾|其他垃圾|可回收物|怎么分类|如何分类|怎么处理|能扔吗"
    r"|recyclable|recycle|which bin|what bin|what kind of (?:waste|rubbish|trash|garbage)"
    r"|how (?:do i|to|should i) (?:throw|dispose|get rid)|throw (?:away|out)|dispose of"
)
SORT_HINT = _words(
    r"^(?:我想|我要|想|要)?(?:查一下|查|查询|问问|问一下|学习|了解)?(?:垃圾)?(?:分类|怎么分类"
    r"|如何分类)(?:查询|知识|怎么查|小练习|练习)?$|^(?:garbage|rubbish|waste|trash)? ?(?:sorting"
    r"|recycling)$"
)
# A fault of the rubbish service itself, not a question about an item.
RUBBISH_FAULT = _words(r"垃圾(?:桶|箱|站|房)?.{0,4}(?:坏|破|满|臭|没人|堆|乱|漏)|垃圾没人")

# The repair category each fault most likely is, in this order ("楼道灯" is the light).
CATEGORY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("gas", _words(r"燃气|煤气|天然气|液化气|漏气|\bgas\b")),
    ("roof", _words(r"屋顶|楼顶|房顶|顶楼|天花板|天棚|roof|ceiling")),
    (
        "power",
        _words(
            r"灯|电线|电表|插座|开关|跳闸|停电|没电|短路|电路|light|lamp|power|socket|switch"
            r"|electric|wire"
        ),
    ),
    (
        "water",
        _words(
            r"水管|管道|下水|马桶|厕所|卫生间|水龙头|龙头|水表|自来水|水池|水箱|地漏|排水"
            r"|化粪池|污水|没水|停水|漏水|渗水|不出水|水压|pipe|toilet|drain|tap|faucet"
            r"|sewer|sink|water"
        ),
    ),
    ("gate", _words(r"门禁|单元门|防盗门|大门|铁门|门锁|锁|围墙|栅栏|围栏|gate|door|lock|fence")),
    ("stairs", _words(r"楼道|楼梯|台阶|扶手|走廊|stair|corridor|hallway|handrail")),
    ("road", _words(r"路面|马路|道路|井盖|坑|人行道|地面|积水|路|road|pothole|manhole|pavement")),
    ("green", _words(r"树|草|绿化|花坛|草坪|tree|grass|garden|branch")),
    ("illegal", _words(r"违建|违章|私搭|乱搭|搭建|占道|illegal")),
    (
        "property",
        _words(
            r"电梯|物业|保洁|卫生|垃圾|清运|打扫|暖气|供暖|乱停|lift|elevator|heating"
            r"|cleaning|rubbish|trash|garbage|parking"
        ),
    ),
    ("safety", _words(r"危险|隐患|外墙|墙皮|脱落|掉下来|裂|冒烟|着火|dangerous|hazard|fire|crack")),
)
_PUNCT = re.compile(r"[^\w\s?？]+")
_EMOJI = re.compile(r"[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")


@cache
def _labels() -> dict[str, Kind]:
    """Every keyboard label in every language (the keyboard a person has may be older than
    their latest language choice)."""
    table: dict[str, Kind] = {}
    for row in KEYBOARD:
        for kind, label in row:
            for lang in LANGS:
                table[_clean(gettext(lang, label))] = kind
    return table


def keyboard_kind(text: str | None) -> Kind | None:
    """What a press of the persistent keyboard means (its label as sent), else None."""
    return _labels().get(_clean(text or ""))


def _clean(text: str) -> str:
    text = _EMOJI.sub(" ", normalize(text).lower()).replace("'", "").replace("’", "")
    return " ".join(_PUNCT.sub(" ", text).split())


def _strip_lead(text: str) -> tuple[str, bool]:
    """Drop greetings and polite openings: '你好，请问谁是网格员' → '谁是网格员'."""
    greeted = False
    while True:
        m = GREETING.match(text) or POLITE.match(text)
        if not m or not m.group(0):
            return text, greeted
        greeted = greeted or m.re is GREETING
        text = text[m.end() :].strip(" ?？")


def category_of(text: str) -> str | None:
    for key, words in CATEGORY_WORDS:
        if words.search(text):
            return key
    return None


def _is_address(text: str) -> bool:
    found = address.parse(text)
    return found.ok or (
        found.building is not None and found.unit is not None and found.room is None
    )


def classify(text: str | None) -> Intent:
    if not text or not text.strip():
        return Intent(Kind.UNKNOWN, choices=DEFAULT_CHOICES)
    clean = _clean(text)
    label = _labels().get(clean)
    if label is not None:
        return Intent(label)
    if SORT_HINT.match(clean):
        return Intent(Kind.SORT_HINT)
    if RUBBISH_FAULT.search(clean):
        return Intent(Kind.FAULT, "property")
    if SORTING.search(clean):
        return Intent(Kind.SORTING)
    rest, greeted = _strip_lead(clean)
    if greeted and not rest.strip(" ?？"):
        return Intent(Kind.GREET)
    rest = rest.strip(" ?？") or rest  # "怎么用？" asks what "怎么用" does; "?" alone asks for help
    if not rest:
        return Intent(Kind.UNKNOWN, choices=DEFAULT_CHOICES)
    fault = FAULT.search(rest) is not None and NOT_FAULT.search(rest) is None
    if THANKS.search(rest) and not fault:
        return Intent(Kind.THANKS)
    if OK_WORDS.match(rest):
        return Intent(Kind.OK)
    if HELP.match(rest):
        return Intent(Kind.HELP)
    if LANG.match(rest):
        return Intent(Kind.LANG)
    if PROGRESS.search(rest):
        return Intent(Kind.PROGRESS)
    if MY_TICKETS.search(rest) and not fault:
        return Intent(Kind.MY_TICKETS)
    if fault:
        return Intent(Kind.FAULT, category_of(rest))
    if REPAIR.search(rest):
        said = " ".join(REPAIR_FILLER.sub(" ", REPAIR.sub(" ", rest)).split())
        if said and category_of(said):  # "我要报修水管": the object is the description
            return Intent(Kind.FAULT, category_of(said))
        return Intent(Kind.REPAIR)
    if GRID.search(rest):
        return Intent(Kind.GRID)
    if REGISTER.search(rest) or _is_address(rest):
        return Intent(Kind.REGISTER)
    if MENU.search(rest) or WISH.search(rest):
        return Intent(Kind.MENU)
    return Intent(Kind.UNKNOWN, choices=DEFAULT_CHOICES)
