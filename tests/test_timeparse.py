"""The time parser on a table of phrases people type, with the clock fixed at Friday
2026-05-15 09:00 in Asia/Shanghai. Expected: a local moment "YYYY-MM-DD HH:MM", a repeat
"RRULE @first run", or "!reason" for a refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import TimeParseError, next_run, parse, parse_moment

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 15, 1, 0, tzinfo=UTC)  # Friday 09:00 local

TABLE = [
    ("下周五晚上8点", "2026-05-22 20:00"),
    ("周五晚上8点", "2026-05-15 20:00"),
    ("明天", "!need_time"),
    ("明天18:00", "2026-05-16 18:00"),
    ("12月5日 晚上8点", "2026-12-05 20:00"),
    ("三天后", "2026-05-18 09:00"),
    ("一周后", "2026-05-22 09:00"),
    ("5月1日", "!need_time"),
    ("5月1日 9:00", "!past"),
    ("每周二 19:00", "FREQ=WEEKLY;BYDAY=TU;BYHOUR=19;BYMINUTE=0 @2026-05-19 19:00"),
    ("每两周一次 19:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=19;BYMINUTE=0 @2026-05-15 19:00"),
    ("每月一次 9:00", "FREQ=MONTHLY;BYMONTHDAY=16;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("每月最后一个周五 19:00", "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=19;BYMINUTE=0 @2026-05-29 19:00"),
    ("月底 9:00", "2026-05-31 09:00"),
    ("下个月3号 9:00", "2026-06-03 09:00"),
    ("每周一三五 7:30", "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=7;BYMINUTE=30 @2026-05-18 07:30"),
    ("每个工作日 8:00", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0 @2026-05-18 08:00"),
    ("下週五晚上8點", "2026-05-22 20:00"),
    ("週五晚上8點", "2026-05-15 20:00"),
    ("明天18:00開會", "2026-05-16 18:00"),
    ("12月5日 晚上8點", "2026-12-05 20:00"),
    ("三天後", "2026-05-18 09:00"),
    ("一週後", "2026-05-22 09:00"),
    ("每週二 19:00", "FREQ=WEEKLY;BYDAY=TU;BYHOUR=19;BYMINUTE=0 @2026-05-19 19:00"),
    ("每兩週一次 19:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=19;BYMINUTE=0 @2026-05-15 19:00"),
    ("每月最後一個週五 19:00", "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=19;BYMINUTE=0 @2026-05-29 19:00"),
    ("下個月3號 9點", "2026-06-03 09:00"),
    ("每週一三五 7:30", "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=7;BYMINUTE=30 @2026-05-18 07:30"),
    ("每個工作日 8點", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0 @2026-05-18 08:00"),
    ("每月一次 9點", "FREQ=MONTHLY;BYMONTHDAY=16;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("明天 8:00", "2026-05-16 08:00"),
    ("明天早上8点", "2026-05-16 08:00"),
    ("明天上午10点", "2026-05-16 10:00"),
    ("明天中午12点", "2026-05-16 12:00"),
    ("明天下午3点", "2026-05-16 15:00"),
    ("明天下午3点半", "2026-05-16 15:30"),
    ("明天晚上8点一刻", "2026-05-16 20:15"),
    ("明天晚上7点三刻", "2026-05-16 19:45"),
    ("明天晚上十点", "2026-05-16 22:00"),
    ("后天 9:00", "2026-05-17 09:00"),
    ("大后天 9:00", "2026-05-18 09:00"),
    ("今天下午3点", "2026-05-15 15:00"),
    ("今天 8:00", "!past"),
    ("今晚8点", "2026-05-15 20:00"),
    ("明晚7点", "2026-05-16 19:00"),
    ("明早7点半", "2026-05-16 07:30"),
    ("8点", "2026-05-16 08:00"),
    ("晚上8点", "2026-05-15 20:00"),
    ("下午3点", "2026-05-15 15:00"),
    ("15:30", "2026-05-15 15:30"),
    ("3小时后", "2026-05-15 12:00"),
    ("半小时后", "2026-05-15 09:30"),
    ("30分钟后", "2026-05-15 09:30"),
    ("两个小时后", "2026-05-15 11:00"),
    ("一个月后", "2026-06-15 09:00"),
    ("两周后", "2026-05-29 09:00"),
    ("一年后", "2027-05-15 09:00"),
    ("十天后", "2026-05-25 09:00"),
    ("三天后 9点", "2026-05-18 09:00"),
    ("一周后 早上9点", "2026-05-22 09:00"),
    ("2026年12月5日 9:00", "2026-12-05 09:00"),
    ("2026-12-05 09:00", "2026-12-05 09:00"),
    ("2026/12/5 9:00", "2026-12-05 09:00"),
    ("2027年5月1日 9点", "2027-05-01 09:00"),
    ("2028年12月1日 9点", "!too_far"),
    ("12/5 9:00", "2026-12-05 09:00"),
    ("十二月五日 九点", "2026-12-05 09:00"),
    ("12月5号 20:00", "2026-12-05 20:00"),
    ("5月15日 8:00", "!past"),
    ("5月15日 10:00", "2026-05-15 10:00"),
    ("6月31日 9点", "!unclear"),
    ("2月30日 9点", "!unclear"),
    ("周六 10点", "2026-05-16 10:00"),
    ("星期六 10点", "2026-05-16 10:00"),
    ("礼拜六 10点", "2026-05-16 10:00"),
    ("这周六 10点", "2026-05-16 10:00"),
    ("本周日 10点", "2026-05-17 10:00"),
    ("周五 8点", "2026-05-22 08:00"),
    ("周五 10点", "2026-05-15 10:00"),
    ("下周一 9点", "2026-05-18 09:00"),
    ("下星期三 19:00", "2026-05-20 19:00"),
    ("下下周一 9点", "2026-05-25 09:00"),
    ("下个礼拜五 9点", "2026-05-22 09:00"),
    ("这个月20号 9点", "2026-05-20 09:00"),
    ("20号 9点", "2026-05-20 09:00"),
    ("15号 8点", "2026-06-15 08:00"),
    ("下月底 9点", "2026-06-30 09:00"),
    ("月底", "!need_time"),
    ("明天下午", "!need_time"),
    ("明天晚上", "!need_time"),
    ("每天 8:00", "FREQ=DAILY;BYHOUR=8;BYMINUTE=0 @2026-05-16 08:00"),
    ("每天早上8点", "FREQ=DAILY;BYHOUR=8;BYMINUTE=0 @2026-05-16 08:00"),
    ("每日 7:00", "FREQ=DAILY;BYHOUR=7;BYMINUTE=0 @2026-05-16 07:00"),
    ("天天 6点", "FREQ=DAILY;BYHOUR=6;BYMINUTE=0 @2026-05-16 06:00"),
    ("每周二 19:00", "FREQ=WEEKLY;BYDAY=TU;BYHOUR=19;BYMINUTE=0 @2026-05-19 19:00"),
    ("每周二、四 19:00", "FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=19;BYMINUTE=0 @2026-05-19 19:00"),
    ("每周二和周四 19:00", "FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=19;BYMINUTE=0 @2026-05-19 19:00"),
    ("每周一至五 8:00", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0 @2026-05-18 08:00"),
    ("每星期三 19:00", "FREQ=WEEKLY;BYDAY=WE;BYHOUR=19;BYMINUTE=0 @2026-05-20 19:00"),
    ("每个星期天 9点", "FREQ=WEEKLY;BYDAY=SU;BYHOUR=9;BYMINUTE=0 @2026-05-17 09:00"),
    ("每礼拜六 9点", "FREQ=WEEKLY;BYDAY=SA;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("每周日 9点", "FREQ=WEEKLY;BYDAY=SU;BYHOUR=9;BYMINUTE=0 @2026-05-17 09:00"),
    ("每个工作日 9点", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0 @2026-05-18 09:00"),
    ("工作日 9点", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0 @2026-05-18 09:00"),
    ("每两周 19:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=19;BYMINUTE=0 @2026-05-15 19:00"),
    ("每两周周二 19:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=19;BYMINUTE=0 @2026-05-19 19:00"),
    (
        "每隔一周周三 19:00",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;BYHOUR=19;BYMINUTE=0 @2026-05-20 19:00",
    ),
    ("隔周 9点", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("每三周 9点", "FREQ=WEEKLY;INTERVAL=3;BYDAY=SA;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("每周一次 9点", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0 @2026-05-18 09:00"),
    ("每周 9点", "FREQ=WEEKLY;BYDAY=SA;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("每周两次 9点", "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=9;BYMINUTE=0 @2026-05-18 09:00"),
    ("每周三次 10:00", "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=10;BYMINUTE=0 @2026-05-15 10:00"),
    ("每月1日 9:00", "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0 @2026-06-01 09:00"),
    ("每月15号 9点", "FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=9;BYMINUTE=0 @2026-06-15 09:00"),
    ("每月一号 9点", "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0 @2026-06-01 09:00"),
    (
        "每月31日 9:00",
        "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1;BYHOUR=9;BYMINUTE=0 @2026-05-31 09:00",
    ),
    (
        "每月30日 9:00",
        "FREQ=MONTHLY;BYMONTHDAY=30,-1;BYSETPOS=1;BYHOUR=9;BYMINUTE=0 @2026-05-30 09:00",
    ),
    ("每月第一个周一 9点", "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0 @2026-06-01 09:00"),
    ("每月第二个周三 19:00", "FREQ=MONTHLY;BYDAY=2WE;BYHOUR=19;BYMINUTE=0 @2026-06-10 19:00"),
    ("每月最后一个周日 10点", "FREQ=MONTHLY;BYDAY=-1SU;BYHOUR=10;BYMINUTE=0 @2026-05-31 10:00"),
    ("每月月底 10:00", "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=10;BYMINUTE=0 @2026-05-31 10:00"),
    ("每月底 10:00", "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=10;BYMINUTE=0 @2026-05-31 10:00"),
    ("每月最后一天 10:00", "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=10;BYMINUTE=0 @2026-05-31 10:00"),
    (
        "每年5月20日 9点",
        "FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=20;BYHOUR=9;BYMINUTE=0 @2026-05-20 09:00",
    ),
    ("每周二", "!need_time"),
    ("每天", "!need_time"),
    ("tomorrow", "!need_time"),
    ("tomorrow 6pm", "2026-05-16 18:00"),
    ("tomorrow at 6pm", "2026-05-16 18:00"),
    ("tomorrow at 18:00", "2026-05-16 18:00"),
    ("today 9pm", "2026-05-15 21:00"),
    ("tonight 8pm", "2026-05-15 20:00"),
    ("next friday 8pm", "2026-05-22 20:00"),
    ("friday 8pm", "2026-05-15 20:00"),
    ("on friday at 10am", "2026-05-15 10:00"),
    ("next monday 9am", "2026-05-18 09:00"),
    ("monday 9am", "2026-05-18 09:00"),
    ("in 3 days", "2026-05-18 09:00"),
    ("in 2 hours", "2026-05-15 11:00"),
    ("in 30 minutes", "2026-05-15 09:30"),
    ("in a week", "2026-05-22 09:00"),
    ("in 2 weeks", "2026-05-29 09:00"),
    ("3 days from now", "2026-05-18 09:00"),
    ("dec 5 8pm", "2026-12-05 20:00"),
    ("december 5 at 20:00", "2026-12-05 20:00"),
    ("5 december 8pm", "2026-12-05 20:00"),
    ("may 1 9am", "!past"),
    ("noon tomorrow", "2026-05-16 12:00"),
    ("tomorrow noon", "2026-05-16 12:00"),
    ("every tuesday 7pm", "FREQ=WEEKLY;BYDAY=TU;BYHOUR=19;BYMINUTE=0 @2026-05-19 19:00"),
    ("every tuesday at 19:00", "FREQ=WEEKLY;BYDAY=TU;BYHOUR=19;BYMINUTE=0 @2026-05-19 19:00"),
    ("every day at 8am", "FREQ=DAILY;BYHOUR=8;BYMINUTE=0 @2026-05-16 08:00"),
    ("daily 8:00", "FREQ=DAILY;BYHOUR=8;BYMINUTE=0 @2026-05-16 08:00"),
    ("every weekday 9am", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0 @2026-05-18 09:00"),
    ("weekdays 9am", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0 @2026-05-18 09:00"),
    (
        "every monday and wednesday 10am",
        "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=10;BYMINUTE=0 @2026-05-18 10:00",
    ),
    (
        "every other week 9am",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00",
    ),
    (
        "every 2 weeks on monday 9am",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0 @2026-05-18 09:00",
    ),
    ("fortnightly 10am", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=10;BYMINUTE=0 @2026-05-15 10:00"),
    ("biweekly 10am", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=10;BYMINUTE=0 @2026-05-15 10:00"),
    (
        "every month on the 1st at 9am",
        "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0 @2026-06-01 09:00",
    ),
    ("monthly on the 15th 9am", "FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=9;BYMINUTE=0 @2026-06-15 09:00"),
    ("monthly 9am", "FREQ=MONTHLY;BYMONTHDAY=16;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("once a month 9am", "FREQ=MONTHLY;BYMONTHDAY=16;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    (
        "last friday of every month 7pm",
        "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=19;BYMINUTE=0 @2026-05-29 19:00",
    ),
    (
        "first monday of the month 9am",
        "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0 @2026-06-01 09:00",
    ),
    ("weekly 9am", "FREQ=WEEKLY;BYDAY=SA;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("every week 9am", "FREQ=WEEKLY;BYDAY=SA;BYHOUR=9;BYMINUTE=0 @2026-05-16 09:00"),
    ("过几天吧", "!unclear"),
    ("明天开会", "!need_time"),
    ("abc", "!unclear"),
    ("2020-01-01 9:00", "!past"),
    ("25点", "!bad_time"),
    ("明天25点", "!bad_time"),
    ("每", "!unclear"),
    ("every", "!unclear"),
    ("2030年1月1日 9点", "!too_far"),
]


def shown(text: str) -> str:
    try:
        r = parse(text, NOW, TZ)
    except TimeParseError as exc:
        return "!" + exc.reason
    if r.rule is not None:
        assert r.start is not None
        rule = r.rule.replace(";BYSECOND=0", "")
        return f"{rule} @{r.start.astimezone(TZ):%Y-%m-%d %H:%M}"
    assert r.at is not None
    return f"{r.at.astimezone(TZ):%Y-%m-%d %H:%M}"


def test_table_is_large_enough() -> None:
    assert len(TABLE) >= 150
    assert len({p for p, _ in TABLE}) == len(TABLE) - 1  # 每周二 19:00 twice, on purpose


@pytest.mark.parametrize(("phrase", "expected"), TABLE)
def test_phrase(phrase: str, expected: str) -> None:
    assert shown(phrase) == expected


def test_passed_date_is_refused_with_the_moment() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse("5月1日 9:00", NOW, TZ)
    assert caught.value.reason == "past"
    assert caught.value.when == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)


def test_default_time_and_deadlines() -> None:
    assert parse_moment("明天", NOW, TZ) == datetime(2026, 5, 16, 15, 59, tzinfo=UTC)
    assert parse_moment("下周五", NOW, TZ, (20, 0)) == datetime(2026, 5, 22, 12, 0, tzinfo=UTC)
    with pytest.raises(TimeParseError):
        parse_moment("每周二 19:00", NOW, TZ)  # a deadline does not repeat
    care = parse("每周两次", NOW, TZ, default_time=(9, 0))
    assert care.rule == "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=9;BYMINUTE=0;BYSECOND=0"


def runs(text: str, n: int) -> list[str]:
    r = parse(text, NOW, TZ)
    assert r.rule is not None and r.start is not None
    out, after = [], NOW
    for _ in range(n):
        nxt = next_run(r.rule, r.start, after, TZ)
        assert nxt is not None
        out.append(f"{nxt.astimezone(TZ):%m-%d %H:%M}")
        after = nxt
    return out


def test_repeats_are_exact() -> None:
    assert runs("每两周周二 19:00", 3) == ["05-19 19:00", "06-02 19:00", "06-16 19:00"]
    assert runs("每月最后一个周五 19:00", 3) == ["05-29 19:00", "06-26 19:00", "07-31 19:00"]
    assert runs("每月31日 9:00", 3) == ["05-31 09:00", "06-30 09:00", "07-31 09:00"]
    assert runs("月底 9:00".replace("月底", "每月月底"), 2) == ["05-31 09:00", "06-30 09:00"]
    assert runs("每个工作日 8:00", 6)[-1] == "05-25 08:00"


def test_first_run_is_after_now() -> None:
    for phrase, _ in TABLE:
        try:
            r = parse(phrase, NOW, TZ)
        except TimeParseError:
            continue
        first = r.start if r.rule else r.at
        assert first is not None and NOW < first < NOW + timedelta(days=2 * 366), phrase
