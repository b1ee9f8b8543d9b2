"""The pure rules: time expressions, next runs, wording, missed-run policy, care rhythm."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import care
from bot import reminders as r

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 15, 1, 0, tzinfo=UTC)  # Friday 09:00 in Shanghai


def local(text: str) -> str:
    schedule = r.parse_schedule(text, NOW, TZ)
    nxt = r.next_run(schedule, NOW, TZ)
    assert nxt is not None
    return nxt.astimezone(TZ).strftime("%Y-%m-%d %H:%M %a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天 19:00", "2026-05-16 19:00 Sat"),
        ("5月20日 9:00", "2026-05-20 09:00 Wed"),
        ("5月20号 上午9点", "2026-05-20 09:00 Wed"),
        ("2026-05-20 09:00", "2026-05-20 09:00 Wed"),
        ("2026/5/20 9:00", "2026-05-20 09:00 Wed"),
        ("今晚8点", "2026-05-15 20:00 Fri"),
        ("明天晚上8点半", "2026-05-16 20:30 Sat"),
        ("3小时后", "2026-05-15 12:00 Fri"),
        ("半小时后", "2026-05-15 09:30 Fri"),
        ("后天 下午3点", "2026-05-17 15:00 Sun"),
        ("下周一 9:00", "2026-05-18 09:00 Mon"),
        ("周五 8:00", "2026-05-22 08:00 Fri"),  # today's 8:00 is past: next week
        ("七点", "2026-05-16 07:00 Sat"),
        ("十二月三十一日 八点", "2026-12-31 08:00 Thu"),
        ("2027年4月1日 9:00", "2027-04-01 09:00 Thu"),  # next year: written out
        ("１２月１日　９：００", "2026-12-01 09:00 Tue"),  # full-width digits
        # Traditional Chinese
        ("明天晚上8點", "2026-05-16 20:00 Sat"),
        ("下週一 9:00", "2026-05-18 09:00 Mon"),
        ("3個鐘頭後", "2026-05-15 12:00 Fri"),
        # English
        ("tomorrow 7pm", "2026-05-16 19:00 Sat"),
        ("tomorrow 19:00", "2026-05-16 19:00 Sat"),
        ("in 3 hours", "2026-05-15 12:00 Fri"),
        ("tonight 8:00", "2026-05-15 20:00 Fri"),
    ],
)
def test_one_off(text: str, expected: str) -> None:
    assert not r.parse_schedule(text, NOW, TZ).repeating
    assert local(text) == expected


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("每天 8:00", "rule", "2026-05-16 08:00 Sat"),
        ("每日早上7点", "rule", "2026-05-16 07:00 Sat"),
        ("每周二 19:00", "rule", "2026-05-19 19:00 Tue"),
        ("每星期二 晚上7点", "rule", "2026-05-19 19:00 Tue"),
        ("每週二 19:00", "rule", "2026-05-19 19:00 Tue"),
        ("每周一三五 7:30", "rule", "2026-05-18 07:30 Mon"),
        ("每周一、三、五 7:30", "rule", "2026-05-18 07:30 Mon"),
        ("每周一至五 8:00", "rule", "2026-05-18 08:00 Mon"),
        ("每月1日 9:00", "rule", "2026-06-01 09:00 Mon"),
        ("每月15號 10点", "rule", "2026-05-15 10:00 Fri"),
        ("every day 8:00", "rule", "2026-05-16 08:00 Sat"),
        ("every tuesday 7pm", "rule", "2026-05-19 19:00 Tue"),
        ("every monday, wednesday and friday 7:30", "rule", "2026-05-18 07:30 Mon"),
        ("every month on the 1st 9:00", "rule", "2026-06-01 09:00 Mon"),
        ("每两周周二 19:00", "rule", "2026-05-19 19:00 Tue"),
        ("每月最后一个周五 19:00", "rule", "2026-05-29 19:00 Fri"),
    ],
)
def test_repeating(text: str, kind: str, expected: str) -> None:
    schedule = r.parse_schedule(text, NOW, TZ)
    assert schedule.kind == kind and schedule.repeating
    assert local(text) == expected
    assert r.Schedule.from_json(schedule.to_json()) == schedule


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "unclear"),
        ("hello", "unclear"),
        ("随便什么时候", "unclear"),
        ("明天", "need_time"),
        ("每天", "need_time"),
        ("每周二", "need_time"),
        ("25:00", "bad_time"),
        ("明天 9:75", "bad_time"),
        ("2020-01-01 9:00", "past"),
        ("4月1日 9:00", "past"),  # passed this year: the year must be written
        ("今天 8:00", "past"),
        ("2030-01-01 9:00", "too_far"),
        ("2月30日 9:00", "unclear"),
        ("明天 19:00 聚餐", "unclear"),
        ("每月40日 9:00", "unclear"),
        ("x" * 300, "unclear"),
    ],
)
def test_bad_input(text: str, reason: str) -> None:
    with pytest.raises(r.TimeParseError) as info:
        r.parse_schedule(text, NOW, TZ)
    assert info.value.reason == reason


def test_monthly_clamps_to_short_months_and_weekly_repeats() -> None:
    schedule = r.parse_schedule("每月31日 9:00", NOW, TZ)
    after = datetime(2026, 6, 1, tzinfo=UTC)
    nxt = r.next_run(schedule, after, TZ)
    assert nxt is not None and nxt.astimezone(TZ).day == 30  # June has 30 days
    weekly = r.parse_schedule("每周二 19:00", NOW, TZ)
    first = r.next_run(weekly, NOW, TZ)
    assert first is not None
    second = r.next_run(weekly, first, TZ)
    assert second is not None and second - first == timedelta(days=7)


def test_dst_keeps_the_wall_time() -> None:
    ny = ZoneInfo("America/New_York")
    daily = r.parse_schedule("每天 9:00", datetime(2026, 3, 7, 10, tzinfo=UTC), ny)
    first = r.next_run(daily, datetime(2026, 3, 7, 10, tzinfo=UTC), ny)  # Sat before DST
    assert first is not None
    second = r.next_run(daily, first, ny)
    assert second is not None
    assert first.astimezone(ny).hour == second.astimezone(ny).hour == 9
    assert second - first == timedelta(hours=23)  # the night clocks jumped forward


def test_describe_in_plain_chinese_and_english() -> None:
    schedule = r.parse_schedule("每周二 19:00", NOW, TZ)
    text = r.describe(schedule, r.next_run(schedule, NOW, TZ), TZ, lambda s: s, NOW)
    assert text == "每周二 19:00（下次：5月19日 星期二 19:00）"
    once = r.parse_schedule("5月20日 9:00", NOW, TZ)
    assert r.describe(once, None, TZ, lambda s: s, NOW) == "5月20日 星期三 09:00（只发一次）"
    later = r.parse_schedule("2027年1月5日 9:00", NOW, TZ)
    assert r.describe_rule(later, TZ, lambda s: s, NOW) == "2027年1月5日 星期二 09:00"
    from bot.i18n import translator

    en = r.describe(schedule, r.next_run(schedule, NOW, TZ), TZ, translator("en"), NOW)
    assert "Tue" in en and "19:00" in en
    words = {
        "每两周周二 19:00": ("每两周的周二 19:00", "Every other week on Tue at 19:00"),
        "每3周周一 9:00": ("每3周的周一 09:00", "Every 3 weeks on Mon at 09:00"),
        "每月最后一个周五 19:00": (
            "每月最后一个星期五 19:00",
            "Every month on the last Friday at 19:00",
        ),
        "每月第二个周三 9:00": (
            "每月第二个星期三 09:00",
            "Every month on the second Wednesday at 09:00",
        ),
        "每月最后一天 9:00": ("每月最后一天 09:00", "Every month on its last day at 09:00"),
        "每年12月5日 9:00": ("每年12月5日 09:00", "Every year on 12/5 at 09:00"),
        "每周一至五 8:00": ("每个工作日 08:00", "Every weekday 08:00"),
    }
    for typed, (zh, english) in words.items():
        rule = r.parse_schedule(typed, NOW, TZ)
        assert r.describe_rule(rule, TZ, lambda s: s, NOW) == zh
        assert r.describe_rule(rule, TZ, translator("en"), NOW) == english
        hant = r.describe_rule(rule, TZ, translator("zh_Hant"), NOW)
        assert hant and hant != "" and "{" not in hant


def test_old_rows_keep_working() -> None:
    """Schedules saved before the rules (kind daily/weekly/monthly) are read as RRULEs."""
    old = r.Schedule.from_json(
        '{"kind": "weekly", "hour": 19, "minute": 0, "at": null, "weekdays": [1], "day": 0}'
    )
    nxt = r.next_run(old, NOW, TZ)
    assert nxt is not None and nxt.astimezone(TZ).strftime("%m-%d %H:%M %a") == "05-19 19:00 Tue"
    monthly = r.Schedule.from_json('{"kind": "monthly", "hour": 9, "minute": 0, "day": 31}')
    june = r.next_run(monthly, datetime(2026, 6, 1, tzinfo=UTC), TZ)
    assert june is not None and june.astimezone(TZ).day == 30
    once = r.Schedule.from_json('{"kind": "once", "hour": 1, "minute": 0, "at": 1779000000.0}')
    assert r.next_run(once, NOW, TZ) == datetime.fromtimestamp(1779000000.0, UTC)


def test_missed_policy() -> None:
    assert r.missed_action(timedelta(0)) == "send"
    assert r.missed_action(timedelta(seconds=90)) == "send"
    assert r.missed_action(timedelta(minutes=30)) == "late"
    assert r.missed_action(timedelta(hours=2)) == "skip"
    assert r.missed_action(timedelta(hours=2), grace=timedelta(hours=3)) == "late"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("每周两次", "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=9;"),
        ("每周一次", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;"),
        ("每周三次 10:00", "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=10;"),
        ("每週兩次", "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=9;"),
        ("每周二五", "FREQ=WEEKLY;BYDAY=TU,FR;BYHOUR=9;"),
        ("每周二五 下午3点", "FREQ=WEEKLY;BYDAY=TU,FR;BYHOUR=15;"),
        ("每天", "FREQ=DAILY;BYHOUR=9;"),
        ("每两周一次", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;BYHOUR=9;"),  # from tomorrow, Saturday
        ("每月一次", "FREQ=MONTHLY;BYMONTHDAY=16;BYHOUR=9;"),
        ("每月最后一个周五", "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9;"),
    ],
)
def test_care_rhythm(text: str, rule: str) -> None:
    schedule = care.parse_rhythm(text, NOW, TZ)
    assert schedule.rule is not None and schedule.rule.startswith(rule)


def test_care_rhythm_fortnightly_keeps_its_weeks() -> None:
    schedule = care.parse_rhythm("每两周一次", NOW, TZ)
    runs: list[datetime] = []
    after = NOW
    for _ in range(4):
        found = r.next_run(schedule, after, TZ)
        assert found is not None
        runs.append(found)
        after = found
    assert [(b - a).days for a, b in itertools.pairwise(runs)] == [14, 14, 14]


def test_care_rhythm_bad() -> None:
    for bad in ("乱写", "每周十次", "明天 9:00"):
        with pytest.raises(r.TimeParseError):
            care.parse_rhythm(bad, NOW, TZ)
