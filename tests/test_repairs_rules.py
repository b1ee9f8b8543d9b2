"""The pure repair rules: categories, rights, status machine, validation, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import repairs as rules
from bot.community import SKILLS
from bot.repairs import Action, Actor, Status

ASSIGNEE = Actor(is_assignee=True)
GRID = Actor(is_grid=True)
STAFF = Actor(is_staff=True)
REPORTER = Actor(is_reporter=True)
OFFERED = Actor(was_offered=True)
NOBODY = Actor()


def test_categories_are_complete_and_skills_exist() -> None:
    names = [c.name for c in rules.CATEGORIES]
    assert names == [
        "屋顶漏水",
        "水管",
        "电路",
        "燃气",
        "楼道与楼梯",
        "门禁与围墙",
        "路面",
        "绿化",
        "违章搭建",
        "安全隐患",
        "物业服务",
        "其他",
    ]
    for cat in rules.CATEGORIES:
        assert set(cat.skills) <= set(SKILLS), cat
        assert cat.target_days >= 1
    assert rules.skills_for("water") == ("维修",)
    assert rules.skills_for("green") == ("环境卫生",)
    assert "社区安全" in rules.skills_for("gas")
    assert rules.skills_for("illegal") == ("矛盾调处",)
    assert rules.skills_for("property") == ("物业服务",)
    assert rules.skills_for("nonsense") == ()
    assert rules.target_days("nonsense") == 7


def test_happy_path_of_the_status_machine() -> None:
    status = Status.NEW.value
    for action, actor, expected in [
        (Action.ACCEPT, OFFERED, Status.ASSIGNED),
        (Action.START, ASSIGNEE, Status.IN_PROGRESS),
        (Action.RESOLVE, ASSIGNEE, Status.RESOLVED),
        (Action.REOPEN, REPORTER, Status.IN_PROGRESS),
        (Action.RESOLVE, GRID, Status.RESOLVED),
        (Action.CONFIRM, REPORTER, Status.CONFIRMED),
    ]:
        assert rules.check(action, status, actor) is None, (action, status)
        status = rules.next_status(action, status).value  # type: ignore[union-attr]
        assert status == expected.value


def test_who_may_do_what() -> None:
    assert rules.check(Action.ACCEPT, "new", NOBODY) is not None
    assert rules.check(Action.ACCEPT, "new", REPORTER) is not None
    assert rules.check(Action.ACCEPT, "new", GRID) is None
    assert rules.check(Action.RESOLVE, "assigned", OFFERED) is not None  # not the assignee
    assert rules.check(Action.HAND_BACK, "assigned", GRID) is not None
    assert rules.check(Action.HAND_BACK, "in_progress", ASSIGNEE) is None
    assert rules.check(Action.CLOSE, "new", ASSIGNEE) is not None
    assert rules.check(Action.CLOSE, "new", STAFF) is None
    assert rules.check(Action.REASSIGN, "assigned", GRID) is not None
    assert rules.check(Action.CONFIRM, "resolved", ASSIGNEE) is not None
    assert rules.check(Action.NOTE, "in_progress", REPORTER) is not None


def test_stale_transitions_are_refused() -> None:
    assert rules.next_status(Action.ACCEPT, "assigned") is None
    assert rules.next_status(Action.CONFIRM, "in_progress") is None
    assert rules.next_status(Action.CLOSE, "confirmed") is None
    assert rules.next_status(Action.START, "bogus") is None
    assert rules.check(Action.ACCEPT, "assigned", STAFF) == "这个报修的状态已经变了，按钮已失效。"
    assert rules.next_status(Action.NOTE, "in_progress") is Status.IN_PROGRESS


def test_description_validation() -> None:
    assert rules.clean_description("  楼顶   漏水 ") == ("楼顶 漏水", None)
    assert rules.clean_description("")[0] is None
    assert rules.clean_description("   \n ")[0] is None
    assert rules.clean_description(None)[0] is None
    assert rules.clean_description("漏" * 1000)[0] is not None
    text, why = rules.clean_description("漏" * 1001)
    assert text is None and why and "1000" in why
    assert rules.clean_description("樓頂漏水")[0] == "樓頂漏水"  # the resident's own words


def test_deadlines_and_overdue() -> None:
    t0 = datetime(2026, 5, 15, 1, 0, tzinfo=UTC)
    assert rules.accept_due(t0) == t0 + timedelta(hours=4)
    assert rules.resolve_due(t0, "power") == t0 + timedelta(days=2)
    assert rules.is_overdue("assigned", t0, t0 + timedelta(seconds=1))
    assert not rules.is_overdue("resolved", t0, t0 + timedelta(days=9))
    assert not rules.is_overdue("new", None, t0)
    assert rules.valid_rating(1) and rules.valid_rating(5)
    assert not rules.valid_rating(0) and not rules.valid_rating(6)


def test_parse_place() -> None:
    assert rules.parse_place("21号楼4单元楼顶") == ("21", "4", "楼顶")
    assert rules.parse_place("22号楼前面的路") == ("22", "", "前面的路")
    assert rules.parse_place("小区大门") == ("", "", "小区大门")
    assert rules.parse_place("二十一號樓") == ("21", "", "")
