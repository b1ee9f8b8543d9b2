"""The pure rules: time expressions, next runs, wording, missed-run policy, care rhythm."""

from __future__ import annotations

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
        ("4月1日 9:00", "2027-04-01 09:00 Thu"),  # already past this year
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
        ("每天 8:00", "daily", "2026-05-16 08:00 Sat"),
        ("每日早上7点", "daily", "2026-05-16 07:00 Sat"),
        ("每周二 19:00", "weekly", "2026-05-19 19:00 Tue"),
        ("每星期二 晚上7点", "weekly", "2026-05-19 19:00 Tue"),
        ("每週二 19:00", "weekly", "2026-05-19 19:00 Tue"),
        ("每周一三五 7:30", "weekly", "2026-05-18 07:30 Mon"),
        ("每周一、三、五 7:30", "weekly", "2026-05-18 07:30 Mon"),
        ("每周一至五 8:00", "weekly", "2026-05-18 08:00 Mon"),
        ("每月1日 9:00", "monthly", "2026-06-01 09:00 Mon"),
        ("每月15號 10点", "monthly", "2026-05-15 10:00 Fri"),
        ("every day 8:00", "daily", "2026-05-16 08:00 Sat"),
        ("every tuesday 7pm", "weekly", "2026-05-19 19:00 Tue"),
        ("every monday, wednesday and friday 7:30", "weekly", "2026-05-18 07:30 Mon"),
        ("every month on the 1st 9:00", "monthly", "2026-06-01 09:00 Mon"),
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
        ("昨天 9:00", "past"),
        ("今天 8:00", "past"),
        ("2030-01-01 9:00", "too_far"),
        ("2月30日 9:00", "unclear"),
        ("明天 19:00 开会", "unclear"),
        ("每月40日 9:00", "unclear"),
        ("x" * 300, "unclear"),
    ],
)
def test_bad_input(text: str, reason: str) -> None:
    with pytest.raises(r.ScheduleError) as info:
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
    text = r.describe(schedule, r.next_run(schedule, NOW, TZ), TZ, lambda s: s)
    assert text == "每周二 19:00（下次：5月19日 星期二 19:00）"
    once = r.parse_schedule("5月20日 9:00", NOW, TZ)
    assert r.describe(once, None, TZ, lambda s: s) == "5月20日 星期三 09:00（只发一次）"
    from bot.i18n import translator

    en = r.describe(schedule, r.next_run(schedule, NOW, TZ), TZ, translator("en"))
    assert "Tue" in en and "19:00" in en


def test_missed_policy() -> None:
    assert r.missed_action(timedelta(0)) == "send"
    assert r.missed_action(timedelta(seconds=90)) == "send"
    assert r.missed_action(timedelta(minutes=30)) == "late"
    assert r.missed_action(timedelta(hours=2)) == "skip"
    assert r.missed_action(timedelta(hours=2), grace=timedelta(hours=3)) == "late"


@pytest.mark.parametrize(
    ("text", "days", "hour"),
    [
        ("每周两次", (0, 3), 9),
        ("每周一次", (0,), 9),
        ("每周三次 10:00", (0, 2, 4), 10),
        ("每週兩次", (0, 3), 9),
        ("每周二五", (1, 4), 9),
        ("每周二五 下午3点", (1, 4), 15),
    ],
)
def test_care_rhythm(text: str, days: tuple[int, ...], hour: int) -> None:
    schedule = care.parse_rhythm(text)
    assert schedule.weekdays == days and schedule.hour == hour


def test_care_rhythm_daily_and_bad() -> None:
    assert care.parse_rhythm("每天").kind == "daily"
    assert care.parse_rhythm("每周七次").kind == "daily"
    for bad in ("乱写", "每周十次", "明天 9:00"):
        with pytest.raises(r.ScheduleError):
            care.parse_rhythm(bad)
