"""bot/address.py: addresses as people type them, or the reason to ask back."""

from __future__ import annotations

import pytest

from bot.address import Problem, parse
from bot.community import parse_full_address

OK = [
    ("21 4 302", "21", "4", "302"),
    ("21号楼4单元302", "21", "4", "302"),
    ("21号楼4单元302室", "21", "4", "302"),
    ("21号楼，4单元，302", "21", "4", "302"),
    ("21号楼、4单元、302", "21", "4", "302"),
    ("21号楼 4单元 302", "21", "4", "302"),
    ("21/4/302", "21", "4", "302"),
    ("21-4-302", "21", "4", "302"),
    ("21－4－302", "21", "4", "302"),
    ("21—4—302", "21", "4", "302"),
    ("21.4.302", "21", "4", "302"),
    ("21,4,302", "21", "4", "302"),
    ("21，4，302", "21", "4", "302"),
    ("21_4_302", "21", "4", "302"),
    ("21 - 4 - 302", "21", "4", "302"),
    ("２１－４－３０２", "21", "4", "302"),
    ("２１号楼４单元３０２", "21", "4", "302"),
    ("21#4-302", "21", "4", "302"),
    ("21#4单元302", "21", "4", "302"),
    ("21栋4单元302", "21", "4", "302"),
    ("21栋4单元302室", "21", "4", "302"),
    ("21幢4单元302", "21", "4", "302"),
    ("21号4单元302", "21", "4", "302"),
    ("21号4单元302号", "21", "4", "302"),
    ("21楼4单元302", "21", "4", "302"),
    ("21号楼4门302", "21", "4", "302"),
    ("21号楼4单302", "21", "4", "302"),
    ("21号楼4单元302户", "21", "4", "302"),
    ("第21栋第4单元302", "21", "4", "302"),
    ("21號樓4單元302", "21", "4", "302"),
    ("21號樓4單元302室", "21", "4", "302"),
    ("克拉瑪依區21號樓4單元302", "21", "4", "302"),
    ("克拉玛依区21号楼4单元302", "21", "4", "302"),
    ("锡林社区21号楼4单元302", "21", "4", "302"),
    ("錫林社區21號樓4單元302", "21", "4", "302"),
    ("新城区锡林社区21号楼4单元302", "21", "4", "302"),
    ("呼和浩特市新城区锡林社区21号楼4单元302", "21", "4", "302"),
    ("内蒙古自治区呼和浩特市新城区锡林社区21号楼4单元302", "21", "4", "302"),
    ("新疆克拉玛依市克拉玛依区21-4-302", "21", "4", "302"),
    ("锡林小区21号楼4单元302", "21", "4", "302"),
    ("我家住21号楼4单元302", "21", "4", "302"),
    ("我家住在21号楼4单元302室", "21", "4", "302"),
    ("我住21-4-302", "21", "4", "302"),
    ("地址：21号楼4单元302", "21", "4", "302"),
    ("门牌号是21-4-302", "21", "4", "302"),
    ("二十一号楼四单元三零二", "21", "4", "302"),
    ("二十一号楼四单元三〇二", "21", "4", "302"),
    ("二十一号楼四单元三百零二", "21", "4", "302"),
    ("五号楼二单元一零一", "5", "2", "101"),
    ("十号楼一单元五零一", "10", "1", "501"),
    ("两号楼两单元201", "2", "2", "201"),
    ("21号楼四单元302", "21", "4", "302"),
    ("21-4-3o2", "21", "4", "302"),
    ("21-4-3O2", "21", "4", "302"),
    ("21 4 3o2", "21", "4", "302"),
    ("21-4-1oo2", "21", "4", "1002"),
    ("Building 21 / Unit 4 / Room 302", "21", "4", "302"),
    ("building 21 unit 4 room 302", "21", "4", "302"),
    ("Building 21, Unit 4, Room 302", "21", "4", "302"),
    ("Bldg 21 Unit 4 Rm 302", "21", "4", "302"),
    ("Block 21 Entrance 4 Flat 302", "21", "4", "302"),
    ("Building21 Unit4 Room302", "21", "4", "302"),
    ("Room 302, Building 21, Unit 4", "21", "4", "302"),
    ("Apt 302 Building 21 Unit 4", "21", "4", "302"),
    ("My address is 21-4-302", "21", "4", "302"),
    ("I live in Building 21 Unit 4 Room 302", "21", "4", "302"),
    ("21号楼4单元3层302", "21", "4", "302"),
    ("21号楼4单元3楼层302", "21", "4", "302"),
    ("021-04-0302", "21", "4", "302"),
    ("5-2-101", "5", "2", "101"),
    ("5号楼2单元101室", "5", "2", "101"),
    ("1-1-101", "1", "1", "101"),
    ("999-9-9999", "999", "9", "9999"),
    ("12-3-1502", "12", "3", "1502"),
    ("3 1 601", "3", "1", "601"),
    ("12A-1-101", "12A", "1", "101"),
    ("12a号楼1单元101", "12A", "1", "101"),
    ("B21-4-302", "B21", "4", "302"),
    ("A座2单元1501", "A", "2", "1501"),
    ("A栋2单元1501", "A", "2", "1501"),
    ("21-4-302A", "21", "4", "302A"),
    ("官西4号楼2单元101", "官西4", "2", "101"),
    ("东区3号楼4单元302", "东区3", "4", "302"),
    ("西区12-1-201", "西区12", "1", "201"),
    ("21号楼/4单元/302", "21", "4", "302"),
    ("21号楼-4单元-302", "21", "4", "302"),
    ("（21号楼）4单元302", "21", "4", "302"),
    ("21号楼 4 302", "21", "4", "302"),
    ("21 4单元 302", "21", "4", "302"),
    ("  21   4   302  ", "21", "4", "302"),
    ("21\t4\t302", "21", "4", "302"),
    ("21号楼4单元302。", "21", "4", "302"),
]

ASK = [
    ("", Problem.EMPTY),
    ("   ", Problem.EMPTY),
    ("13812345678", Problem.PHONE),
    ("138 1234 5678", Problem.PHONE),
    ("138-1234-5678", Problem.PHONE),
    ("13812345678号楼", Problem.PHONE),
    ("138-1234-5678-4-302", Problem.PHONE),
    ("1234567", Problem.PHONE),
    ("21", Problem.MISSING_UNIT),
    ("21号楼", Problem.MISSING_UNIT),
    ("21 4", Problem.MISSING_ROOM),
    ("21号楼4单元", Problem.MISSING_ROOM),
    ("21-4", Problem.MISSING_ROOM),
    ("21号楼302", Problem.MISSING_UNIT),
    ("21 302", Problem.MISSING_UNIT),
    ("4单元302", Problem.MISSING_BUILDING),
    ("Unit 4 Room 302", Problem.MISSING_BUILDING),
    ("302室", Problem.MISSING_BUILDING),
    ("21-4-30o", Problem.LETTER),
    ("21-4-o302", Problem.LETTER),
    ("2o-4-302", Problem.LETTER),
    ("1000-4-302", Problem.TOO_BIG),
    ("1000号楼4单元302", Problem.TOO_BIG),
    ("21-120-302", Problem.TOO_BIG),
    ("21-4-12345", Problem.TOO_BIG),
    ("21 4 302 5", Problem.UNCLEAR),
    ("21号楼21号楼4单元302", Problem.UNCLEAR),
    ("hello", Problem.UNCLEAR),
    ("不知道", Problem.UNCLEAR),
    ("楼顶漏水", Problem.UNCLEAR),
    ("单元", Problem.UNCLEAR),
    ("Building Unit Room", Problem.UNCLEAR),
]


@pytest.mark.parametrize(("text", "building", "unit", "room"), OK)
def test_addresses_read_as_typed(text: str, building: str, unit: str, room: str) -> None:
    found = parse(text)
    assert (found.building, found.unit, found.room, found.problem) == (
        building,
        unit,
        room,
        None,
    ), text
    address = parse_full_address(text)
    assert address is not None and (address.building, address.unit, address.room) == (
        building,
        unit,
        room,
    )


@pytest.mark.parametrize(("text", "problem"), ASK)
def test_unclear_addresses_ask_back(text: str, problem: Problem) -> None:
    found = parse(text)
    assert found.problem is problem, (text, found)
    assert parse_full_address(text) is None


def test_enough_examples() -> None:
    assert len(OK) + len(ASK) >= 100


def test_never_garbled() -> None:
    for text, *_ in OK:
        found = parse(text)
        for part in (found.building, found.unit, found.room):
            assert part is not None
            assert "BUILDING" not in part and "UNIT" not in part and len(part) <= 8
    assert parse("21 4").building == "21"
    assert parse("21 4").unit == "4"
    assert parse("21-4-30o").part == "30o"


def test_phone_never_a_building() -> None:
    for text in ("13812345678", "13812345678 4 302", "2 13812345678 4", "Building 13812345678"):
        assert parse(text).building is None, text


def test_a_room_after_a_dash_is_never_a_building() -> None:
    """ "21-302" typed at the building step is building and room: asked again, never stored
    (and later shown in the group's results) as building "21-302"."""
    from bot.community import BUILDING_SUFFIXES, clean_part

    assert clean_part("21-302", BUILDING_SUFFIXES, named=True) is None
    assert clean_part("21号楼", BUILDING_SUFFIXES, named=True) == "21"
    assert clean_part("A座", BUILDING_SUFFIXES, named=True) == "A"
