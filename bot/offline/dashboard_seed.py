"""A street office's worth of data for the dashboard's tests, screenshots and benchmark: two
communities with staff, a grid worker, residents, a menu round with orders and suggestions,
repair tickets in every state, care visits and an announcement. Written with the storage
functions the bot itself uses (no SQL of its own)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.runtime import Runtime
from storage import care as care_store
from storage import community as cstore
from storage import menu as mstore
from storage import reminders as rstore
from storage import repairs as tstore

ADMIN_ID = 1
STAFF_A, GRID_A, VOLUNTEER_A, STAFF_B = 10, 20, 30, 40
RESIDENT_A = 101


@dataclass(frozen=True)
class Seeded:
    a: int  # 锡林社区
    b: int  # 和平社区
    round_a: int


# Statuses a seeded ticket passes through after it was claimed.
PATHS: dict[str, tuple[str, ...]] = {
    "new": (),
    "assigned": (),
    "in_progress": ("in_progress",),
    "resolved": ("in_progress", "resolved"),
    "confirmed": ("in_progress", "resolved", "confirmed"),
    "closed": ("in_progress", "resolved", "closed"),
}

HOMES = [  # building, unit, room, user id, name
    ("1", "1", "101", 101, "王阿姨"),
    ("1", "1", "102", 102, "刘大爷"),
    ("1", "2", "201", 103, "赵老师"),
    ("2", "1", "301", 104, "陈先生"),
    ("2", "1", "302", 105, "孙阿婆"),
    ("3", "1", "101", 106, "周师傅"),
    ("3", "2", "402", 107, "吴奶奶"),
]


async def seed(rt: Runtime, *, extra_households: int = 0) -> Seeded:
    db = rt.db
    now = rt.clock.seconds()
    day = 86400.0
    async with db.transaction() as tx:
        for uid, name, lang in (
            (ADMIN_ID, "街道管理员", None),
            (STAFF_A, "孙晓军", None),
            (GRID_A, "李网格", None),
            (VOLUNTEER_A, "张志愿", None),
            (STAFF_B, "何主任", "en"),
        ):
            await cstore.upsert_user(tx, uid, name, f"u{uid}", lang, started=True)
        a = await cstore.get_or_create_community(tx, "锡林社区")
        b = await cstore.get_or_create_community(tx, "和平社区")
        await cstore.grant_role(tx, a, STAFF_A, "staff", ADMIN_ID)
        await cstore.grant_role(tx, a, GRID_A, "grid_worker", STAFF_A)
        await cstore.assign_buildings(tx, a, GRID_A, ["1"])
        await cstore.grant_role(tx, a, VOLUNTEER_A, "volunteer", STAFF_A)
        await cstore.grant_role(tx, b, STAFF_B, "staff", ADMIN_ID)
        households: dict[int, int] = {}
        for building, unit, room, uid, name in HOMES:
            await cstore.upsert_user(tx, uid, name, None, None, started=True)
            hid = await cstore.get_or_create_household(tx, a, building, unit, room)
            await cstore.set_resident(tx, uid, a, hid, name)
            households[uid] = hid
        for i in range(extra_households):
            uid = 100000 + i
            await cstore.upsert_user(tx, uid, f"居民{i}", None, None, started=True)
            hid = await cstore.get_or_create_household(tx, a, str(4 + i % 6), "1", str(100 + i))
            await cstore.set_resident(tx, uid, a, hid, f"居民{i}")
        await cstore.set_building_households(tx, a, "1", 12, STAFF_A, now)
        await cstore.set_building_households(tx, a, "2", 8, STAFF_A, now)
        # Community B: one household, one ticket (what A's staff must never see).
        await cstore.upsert_user(tx, 201, "钱先生", None, None, started=True)
        hb = await cstore.get_or_create_household(tx, b, "9", "1", "909")
        await cstore.set_resident(tx, 201, b, hb, "钱先生")

        rid = await mstore.create_draft(
            tx, a, STAFF_A, now - 3 * day, ["加装电梯", "外墙保温", "雨污分流", "增设停车位"]
        )
        assert rid is not None
        await mstore.open_round(tx, rid, now - 3 * day)
        items = [r["id"] for r in await mstore.items(tx, rid)]
        picks = {101: [0, 1], 103: [0], 104: [0, 2], 106: [1, 3]}
        for uid, which in picks.items():
            await mstore.place_order(
                tx,
                rid,
                household_id=households[uid],
                user_id=uid,
                picks=[items[i] for i in which],
                now=now - day,
            )
        await mstore.add_comment(tx, rid, items[0], 101, "电梯请装在北侧，不挡南面阳光", now - day)
        await mstore.add_comment(tx, rid, None, 104, "希望晚上施工不要太吵", now - day)

        tickets = [  # category, building, description, status, age days, assignee, rating
            ("water", "1", "一单元楼道水管漏水，地面湿滑", "new", 0.2, None, None),
            ("power", "2", "2号楼路灯不亮已三天", "assigned", 2, GRID_A, None),
            ("stairs", "3", "3号楼楼梯扶手松动", "in_progress", 9, VOLUNTEER_A, None),
            ("roof", "1", "顶楼屋面渗水", "resolved", 12, VOLUNTEER_A, None),
            ("green", "2", "花坛杂草很多", "confirmed", 20, VOLUNTEER_A, 5),
            ("gate", "", "小区东门门禁坏了", "closed", 30, GRID_A, 4),
        ]
        for cat, building, text, status, age, assignee, rating in tickets:
            created = now - age * day
            tid = await tstore.create_ticket(
                tx,
                tstore.NewTicket(
                    a, 101, households[101], cat, building, "", "", text, False, False
                ),
                [],
                created,
                created + 2 * day,
            )
            # Through the bot's own transitions: claimed, then moved on (resolve, confirm, close).
            if assignee:
                await tstore.claim(tx, tid, assignee, created + 3600 * 5, created + 5 * day)
            current, resolved_at = ("assigned" if assignee else "new"), created + day * 3
            for target in PATHS[status]:
                extra: dict[str, object] = (
                    {"resolved_at": resolved_at} if target == "resolved" else {}
                )
                if target == "confirmed" and rating:
                    extra["rating"] = rating
                await tstore.move(
                    tx, tid, current, target, resolved_at, assignee_was=assignee, **extra
                )
                current = target
        tb = await tstore.create_ticket(
            tx,
            tstore.NewTicket(b, 201, hb, "road", "9", "", "", "和平社区的路面坑洼", False, False),
            [],
            now - day,
            now + day,
        )
        assert tb

        cid_care = await care_store.create_care(
            tx, a, "高奶奶", "3", "1", "201", '{"kind": "weekly"}', STAFF_A, [VOLUNTEER_A]
        )
        v1 = await care_store.open_visit(tx, cid_care, now - 2 * day)
        await care_store.record_visit(tx, v1, "help", VOLUNTEER_A, "腿疼，需要陪同就医")
        await care_store.open_visit(tx, cid_care, now - 9 * day)
        cid2 = await care_store.create_care(
            tx, a, "林爷爷", "2", "1", "102", '{"kind": "weekly"}', STAFF_A, [VOLUNTEER_A]
        )
        v3 = await care_store.open_visit(tx, cid2, now - 4 * day)
        await care_store.mark_overdue(tx, v3)

        an = await rstore.create_announcement(
            tx, a, "本周六上午停水检修", None, True, now - day, STAFF_A
        )
        await rstore.set_announcement_status(tx, an, "sent")
        for uid in (101, 102, 103, 104):
            await rstore.claim_send(tx, f"an{an}", uid)
            await rstore.finish_send(tx, f"an{an}", uid, "sent" if uid != 104 else "blocked")
        await rstore.add_ack(tx, an, 101)
    return Seeded(a, b, rid)
