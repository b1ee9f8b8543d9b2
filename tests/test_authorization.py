"""Authorization matrix: every staff / grid / volunteer command and key button, role by role.

The table `MATRIX` lists, for each action, the roles allowed to do it. Each cell is a test:
allowed roles succeed (checked on the database or on what the bot sent them), every other role
is refused with the domain tables byte-for-byte unchanged. Roles:

  admin     bot administrator (ADMINS in the config)
  staff     社区工作人员 of community 1 (the one acted on)
  grid      网格员 of community 1, buildings 1-30
  volunteer 志愿者 of community 1 (维修, 医疗服务) — the assignee of ticket `w.taken`
  resident  registered resident of community 1
  other     staff of ANOTHER community (community 2), member of community 1's group
  stranger  nobody: not registered, no role
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.offline.simulator import Chat, Person, Reply, Simulator
from tests.conftest import (
    ADMIN,
    GRID,
    GROUP_ID,
    LIU,
    OTHER_GROUP_ID,
    STAFF,
    STRANGER,
    VOLUNTEER,
    WANG,
    assert_no_personal_data_in_groups,
    errors_logged,
    register,
    say_hello,
    setup_community,
    table_names,
)
from tests.test_reminders import make_notice
from tests.test_repairs import file_repair

OTHER = Person(40, "周其它", "zhou_other")
NEWBIE = Person(41, "吴新人", "wu_new")
ROLES: dict[str, Person] = {
    "admin": ADMIN,
    "staff": STAFF,
    "grid": GRID,
    "volunteer": VOLUNTEER,
    "resident": WANG,
    "other": OTHER,
    "stranger": STRANGER,
}
# Runtime bookkeeping that may legitimately change on any update (who we have seen, drafts,
# conversation state, the audit trail of refusals); everything else must stay as it was.
VOLATILE = {
    "users",
    "conversations",
    "user_drafts",
    "audit_log",
    "sqlite_sequence",
    "sorting_unknown",
    "sorting_unknown_by_community",
}  # anyone's free text may be logged as an unknown look-up


@dataclass
class World:
    sim: Simulator
    group: Chat
    other_group: Chat
    cid: int
    other_cid: int
    ticket: int = 0  # new, reported by WANG
    taken: int = 0  # assigned to VOLUNTEER
    offer: Any = None  # the volunteer's task message for `taken`
    dup: int = 0  # a duplicate of `ticket`
    round_id: int = 0  # an open menu round of community 1
    notice: int = 0  # an active notice of community 1
    care: int = 0  # a care person of community 1
    game: int = 0  # a dice game in community 1's group, opened by NEWBIE
    extra: dict[str, Any] = field(default_factory=dict)


async def build_world(
    sim: Simulator,
    *,
    menu: bool = False,
    closed: bool = False,
    repairs: bool = False,
    notice: bool = False,
    care: bool = False,
    quiz: bool = False,
    draft: bool = False,
) -> World:
    group = sim.group(GROUP_ID, "锡林社区居民群")
    other_group = sim.group(OTHER_GROUP_ID, "别的社区群")
    with sim.quiet():
        cid = await setup_community(sim, group)
        await say_hello(sim, OTHER, NEWBIE, STRANGER, ADMIN)
        await sim.send(ADMIN, other_group, "/setup 另一个社区")
        other_cid = int(
            await sim.rt.db.fetchval("SELECT id FROM communities WHERE name = '另一个社区'")
        )
        await sim.send(ADMIN, other_group, f"/grant @{OTHER.username} 工作人员")
        await register(sim, WANG, "21-4-302", "王阿姨", community_id=cid)
        await register(sim, LIU, "21-5-101", "刘大爷", community_id=cid)
        w = World(sim, group, other_group, cid, other_cid)
        if repairs:
            w.ticket, _ = await file_repair(sim, WANG)
            w.dup, _ = await file_repair(sim, LIU, text="楼顶又漏水了")
            w.taken, reply = await file_repair(sim, WANG, category="水管", text="水管爆了")
            offer = reply.to(VOLUNTEER.id)[0]
            await sim.press(VOLUNTEER, offer, "接单")
            w.offer = sim.current(offer)
        if menu:
            from tests.test_menu import close_now, open_round

            w.round_id = await open_round(sim, group)
            if closed:
                await close_now(sim, group)
        if draft:  # STAFF's draft, at its preview in their private chat
            reply = await sim.send(STAFF, sim.private(STAFF), "/menu_open")
            for label in ("下一步", "截止时间", "不设截止"):
                reply = await sim.press(STAFF, reply, label)
            w.extra["draft"] = reply.last_with_buttons()
        if notice:
            w.notice = await make_notice(sim, "周六大扫除", "明天 9:00")
        if care:
            reply = await sim.send(
                STAFF,
                sim.private(STAFF),
                f"/care_add 张奶奶 21-4-302 每周两次 @{VOLUNTEER.username}",
            )
            assert "已登记关爱对象" in reply.text, reply.text
            w.care = int(await sim.rt.db.fetchval("SELECT max(id) FROM care_people"))
        if quiz:
            lobby = await sim.send(NEWBIE, group, "/quiz")
            await sim.press(NEWBIE, lobby, "加入")
            await sim.press(LIU, lobby, "加入")
            await sim.press(NEWBIE, lobby, "开始")
            w.game = int(
                await sim.rt.db.fetchval("SELECT id FROM quiz_games WHERE status = 'active'")
            )
    return w


async def snapshot(sim: Simulator) -> dict[str, list[tuple[Any, ...]]]:
    db = sim.rt.db
    names = await table_names(db)
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name in names:
        if name in VOLATILE or name.startswith("_"):
            continue
        rows = await db.fetchall(f'SELECT * FROM "{name}"')  # names from the schema
        if name == "jobs":  # a form's time-out belongs to its conversation (volatile too)
            rows = [r for r in rows if r["kind"] != "form_timeout"]
        out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


# ---- helpers that never crash on a refusal (a refused person gets no buttons to press) ----------
async def press_if(sim: Simulator, person: Person, reply: Reply, label: str) -> Reply:
    call = reply.last_with_buttons()
    if call is None:
        return reply
    buttons = [b for row in call.buttons for b in row]
    if not any(label in b.get("text", "") for b in buttons):
        return reply
    return await sim.press(person, call, label)


def own_button(call: Any, label: str) -> str:
    return str(Simulator.find_button(call, label)["callback_data"])


# ---- the actions ---------------------------------------------------------------------------------
Act = Callable[[World, Person], Awaitable[Reply]]
Check = Callable[[World, Person, Reply], Awaitable[bool]]


async def fetch(w: World, sql: str, *args: Any) -> Any:
    return await w.sim.rt.db.fetchval(sql, args)


async def act_setup(w: World, p: Person) -> Reply:
    new = w.sim.group(-3003, "新的群")
    return await w.sim.send(p, new, "/setup 新社区")


async def ok_setup(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM groups WHERE chat_id = -3003"))


async def act_setup_relink(w: World, p: Person) -> Reply:
    """/setup in community 1's own group, re-linking it to another community (and confirming
    when asked to)."""
    reply = await w.sim.send(p, w.group, "/setup 另一个社区")
    if reply.last_with_buttons() is not None and "确定改关联" in str(reply.calls[-1].buttons):
        return await w.sim.press(p, reply, "确定改关联")
    return reply


async def ok_setup_relink(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT community_id FROM groups WHERE chat_id = ?", GROUP_ID) != w.cid


async def act_setup_move_forged(w: World, p: Person) -> Reply:
    """A ✅ 确定改关联 nobody was asked: the move needs the person's own /setup first."""
    return await w.sim.press(p, None, data=f"1|gm|ok|{GROUP_ID}", chat=w.group)


async def act_grant(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, f"/grant @{NEWBIE.username} 志愿者 维修")


async def ok_grant(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM roles WHERE user_id = ?", NEWBIE.id))


async def act_grant_staff(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, f"/grant @{NEWBIE.username} 工作人员")


async def ok_grant_staff(w: World, p: Person, r: Reply) -> bool:
    return bool(
        await fetch(w, "SELECT count(*) FROM roles WHERE user_id = ? AND role = 'staff'", NEWBIE.id)
    )


async def act_revoke(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, f"/revoke @{VOLUNTEER.username} 志愿者")


async def ok_revoke(w: World, p: Person, r: Reply) -> bool:
    return not await fetch(
        w, "SELECT count(*) FROM roles WHERE user_id = ? AND role = 'volunteer'", VOLUNTEER.id
    )


async def act_grid_assign(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, f"/grid_assign @{GRID.username} 31-33")


async def ok_grid_assign(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM grid_buildings WHERE building = '31'"))


async def act_suggestions(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/suggestions")


async def ok_suggestions(w: World, p: Person, r: Reply) -> bool:  # the round has none yet
    return "锡林社区这一轮还没有居民的建议" in r.text


async def act_digest_off(w: World, p: Person) -> Reply:
    return await w.sim.press(p, None, data=f"1|sg|off|{w.cid}", chat=w.sim.private(p))


async def ok_digest_off(w: World, p: Person, r: Reply) -> bool:
    return bool(
        await fetch(w, "SELECT count(*) FROM suggestion_digest_off WHERE user_id = ?", p.id)
    )


async def act_team(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, "/team")


async def ok_team(w: World, p: Person, r: Reply) -> bool:
    return f"@{GRID.username}" in r.text


async def act_menu_open(w: World, p: Person) -> Reply:
    """The group's /menu_open button leads to the private chat: the draft is made there."""
    sim = w.sim
    chat = sim.private(p)
    reply = await sim.send(p, chat, f"/start menuopen-{w.cid}")
    reply = await press_if(sim, p, reply, "下一步")
    reply = await press_if(sim, p, reply, "截止时间")
    reply = await press_if(sim, p, reply, "不设截止")
    return await press_if(sim, p, reply, "发布到群")


async def ok_menu_open(w: World, p: Person, r: Reply) -> bool:
    return bool(
        await fetch(
            w, "SELECT count(*) FROM menu_rounds WHERE status = 'open' AND community_id = ?", w.cid
        )
    )


async def act_menu_draft_button(w: World, p: Person) -> Reply:
    """STAFF's draft (in their private chat): `p` presses its 发布到群 with the same data in
    their own private chat."""
    call = w.extra["draft"]
    return await w.sim.press(p, None, data=own_button(call, "发布到群"), chat=w.sim.private(p))


async def act_menu_close(w: World, p: Person) -> Reply:
    reply = await w.sim.send(p, w.group, "/menu_close")
    return await press_if(w.sim, p, reply, "现在结束")


async def act_menu_close_button(w: World, p: Person) -> Reply:
    """STAFF's /menu_close question in the group; `p` answers 现在结束."""
    with w.sim.quiet():
        question = await w.sim.send(STAFF, w.group, "/menu_close")
    return await w.sim.press(p, question, "现在结束")


async def act_menu_extend(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, "/menu_extend 再延长三天")


async def act_menu_extend_button(w: World, p: Person) -> Reply:
    """重新开放 under STAFF's private /menu_results, pressed by `p` in their own chat."""
    with w.sim.quiet():
        view = await w.sim.send(STAFF, w.sim.private(STAFF), "/menu_results")
    call = view.last_with_buttons()
    return await w.sim.press(p, None, data=own_button(call, "重新开放"), chat=w.sim.private(p))


async def ok_menu_extend(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT status FROM menu_rounds WHERE id = ?", w.round_id) == "open"


async def ok_menu_close(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT status FROM menu_rounds WHERE id = ?", w.round_id) == "closed"


async def act_menu_results(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/menu_results")


async def ok_menu_results(w: World, p: Person, r: Reply) -> bool:
    return "车棚改造" in r.text


async def act_menu_export(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/menu_export")


async def ok_menu_export(w: World, p: Person, r: Reply) -> bool:
    return any(c.method == "sendDocument" for c in r.calls)


async def act_menu_progress(w: World, p: Person) -> Reply:
    reply = await w.sim.send(p, w.group, "/menu_progress")
    reply = await press_if(w.sim, p, reply, "车棚改造")
    reply = await press_if(w.sim, p, reply, "施工中")
    reply = await press_if(w.sim, p, reply, "不写说明")
    return await press_if(w.sim, p, reply, "确认发布")


async def ok_menu_progress(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM menu_items WHERE progress = 'building'"))


async def act_menu_progress_forged(w: World, p: Person) -> Reply:
    """Staff's own progress buttons, pressed by `p`."""
    with w.sim.quiet():
        reply = await w.sim.send(STAFF, w.group, "/menu_progress")
        reply = await w.sim.press(STAFF, reply, "车棚改造")
    call = reply.last_with_buttons()
    reply = await w.sim.press(p, call, data=own_button(call, "施工中"))
    reply = await press_if(w.sim, p, reply, "不写说明")
    return await press_if(w.sim, p, reply, "确认发布")


async def act_menu_paper(w: World, p: Person) -> Reply:
    chat = w.sim.private(p)
    reply = await w.sim.send(p, chat, "/menu_paper 3-1-101")
    reply = await press_if(w.sim, p, reply, "新建这一户")  # nobody registered 3-1-101
    reply = await press_if(w.sim, p, reply, "车棚改造")
    call = reply.last_with_buttons()
    if call is None:
        return reply
    return await press_if(w.sim, p, Reply([w.sim.current(call)]), "确认录入")


async def ok_menu_paper(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM menu_orders WHERE paper = 1"))


async def act_menu_paper_far(w: World, p: Person) -> Reply:
    """A paper order for building 31, outside the grid worker's buildings 1-30."""
    chat = w.sim.private(p)
    reply = await w.sim.send(p, chat, "/menu_paper 31-1-101")
    reply = await press_if(w.sim, p, reply, "新建这一户")
    reply = await press_if(w.sim, p, reply, "车棚改造")
    call = reply.last_with_buttons()
    if call is None:
        return reply
    return await press_if(w.sim, p, Reply([w.sim.current(call)]), "确认录入")


async def act_households(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/households 21号楼 48")


async def ok_households(w: World, p: Person, r: Reply) -> bool:
    return bool(
        await fetch(w, "SELECT count(*) FROM building_households WHERE community_id = ?", w.cid)
    )


async def act_menu_unordered(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/menu_unordered 21号楼")


async def ok_menu_unordered(w: World, p: Person, r: Reply) -> bool:
    return "王阿姨" in r.text and "302" in r.text


async def act_menu_unordered_paper(w: World, p: Person) -> Reply:
    """📝 代录 of the not-ordered list (WANG's household), pressed in `p`'s private chat."""
    hid = await fetch(w, "SELECT household_id FROM residents WHERE user_id = ?", WANG.id)
    chat = w.sim.private(p)
    return await w.sim.press(p, None, data=f"1|mn|pf|{w.round_id}|{hid}", chat=chat)


async def ok_menu_unordered_paper(w: World, p: Person, r: Reply) -> bool:
    return "纸质点单：21号楼4单元302室" in r.text


async def act_menu_group_reopen(w: World, p: Person) -> Reply:
    """The 修改点单 button's data pressed on a group message: never draws an order there."""
    with w.sim.quiet():
        post = await w.sim.send(STAFF, w.group, "/menu")
    return await w.sim.press(p, post, data=f"1|mn|re|{w.round_id}")


async def ok_menu_group_reopen(w: World, p: Person, r: Reply) -> bool:
    return any(c.method.startswith("edit") and c.chat_id == GROUP_ID for c in r.calls)


async def act_menu_suggest(w: World, p: Person) -> Reply:
    chat = w.sim.private(p)
    reply = await w.sim.press(p, None, data=f"1|mn|s|{w.round_id}", chat=chat)
    return Reply(reply.calls + (await w.sim.send(p, chat, "健身器材少")).calls)


async def ok_menu_suggest(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM menu_comments"))


async def act_tickets(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/tickets")


async def ok_tickets(w: World, p: Person, r: Reply) -> bool:
    return f"#{w.ticket}" in r.text


async def act_repair_stats(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/repair_stats 本月")


async def ok_repair_stats(w: World, p: Person, r: Reply) -> bool:
    return any(c.method == "sendDocument" for c in r.calls)


async def act_care_export(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/care_export 本月")


async def ok_care_export(w: World, p: Person, r: Reply) -> bool:
    return "锡林社区这段时间没有走访记录" in r.text


async def act_merge(w: World, p: Person) -> Reply:
    reply = await w.sim.send(p, w.sim.private(p), f"/merge {w.dup} {w.ticket}")
    return await press_if(w.sim, p, reply, "确认")


async def ok_merge(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT merged_into FROM repair_tickets WHERE id = ?", w.dup) == w.ticket


def ticket_button(label: str) -> Act:
    """The assignee's button, its data pressed by `p` in p's own private chat (nobody can press
    a message in someone else's private chat)."""

    async def act(w: World, p: Person) -> Reply:
        data = own_button(w.offer, label)
        return await w.sim.press(p, None, data=data, chat=w.sim.private(p))

    return act


def on_group_post(data: Callable[[World], str]) -> Act:
    """Repairs button data, copied from a private message, pressed on a post in the group."""

    async def act(w: World, p: Person) -> Reply:
        with w.sim.quiet():
            post = await w.sim.send(WANG, w.group, "/repair")
        return await w.sim.press(p, post, data=data(w))

    return act


async def ok_group_post(w: World, p: Person, r: Reply) -> bool:
    """Anything but the refusal's alert reached the group (an edit, a message)."""
    return any(c.chat_id == GROUP_ID and c.method != "answerCallbackQuery" for c in r.calls)


async def ok_started(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT status FROM repair_tickets WHERE id = ?", w.taken) != "assigned"


async def act_hand_back(w: World, p: Person) -> Reply:
    """退回 asks for a reason; the reason (written only when asked) hands it back."""
    reply = await ticket_button("退回")(w, p)
    if reply.alerts():
        return reply
    return await w.sim.send(p, w.sim.private(p), "我去外地了")


def ticket_text(data: Callable[[World], str], text: str) -> Act:
    """A ticket button that asks for a line of text, pressed in p's own chat; the text is
    written only when it was asked for."""

    async def act(w: World, p: Person) -> Reply:
        chat = w.sim.private(p)
        reply = await w.sim.press(p, None, data=data(w), chat=chat)
        if reply.alerts():
            return reply
        return await w.sim.send(p, chat, text)

    return act


async def ok_closed(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT status FROM repair_tickets WHERE id = ?", w.ticket) == "closed"


async def ok_relayed(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM repair_history WHERE note = '明天在家'"))


async def act_withdraw(w: World, p: Person) -> Reply:
    return await w.sim.press(p, None, data=f"1|rq|wdy|{w.ticket}", chat=w.sim.private(p))


async def ok_handed_back(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT assignee_id FROM repair_tickets WHERE id = ?", w.taken) is None


def ticket_note(internal: int) -> Act:
    async def act(w: World, p: Person) -> Reply:
        chat = w.sim.private(p)
        await w.sim.press(p, w.offer, data=f"1|rn|n|{w.taken}|{internal}", chat=chat)
        return await w.sim.send(p, chat, "进展说明")

    return act


async def ok_noted(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM repair_history WHERE note = '进展说明'"))


async def act_remind(w: World, p: Person) -> Reply:
    sim = w.sim
    chat = sim.private(p)
    reply = await sim.send(p, chat, "/remind")
    if reply.last_with_buttons() is None:
        return reply
    reply = await press_if(sim, p, reply, "锡林社区居民群")
    reply = await press_if(sim, p, reply, "普通通知")
    reply = await sim.send(p, chat, "下周一停电检修")
    reply = await sim.send(p, chat, "明天 8:00")
    return await press_if(sim, p, reply, "确认")


async def ok_remind(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM notices WHERE text LIKE '%停电检修%'"))


def notice_button(action: str) -> Act:
    async def act(w: World, p: Person) -> Reply:
        return await w.sim.press(p, None, data=f"1|rm|{action}|{w.notice}", chat=w.sim.private(p))

    return act


async def ok_paused(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT status FROM notices WHERE id = ?", w.notice) != "active"


async def ok_resumed(w: World, p: Person, r: Reply) -> bool:
    return bool(await fetch(w, "SELECT count(*) FROM audit_log WHERE action = 'notice_r'"))


async def act_care_add(w: World, p: Person) -> Reply:
    return await w.sim.send(
        p, w.sim.private(p), f"/care_add 李爷爷 21-5-101 每周一次 @{VOLUNTEER.username}"
    )


async def ok_care_add(w: World, p: Person, r: Reply) -> bool:
    return bool(
        await fetch(
            w, "SELECT count(*) FROM care_people WHERE name = '李爷爷' AND community_id = ?", w.cid
        )
    )


async def act_care_pick(w: World, p: Person) -> Reply:
    """/care_add without a username, then the visitor picker (forged when there is none)."""
    chat = w.sim.private(p)
    reply = await w.sim.send(p, chat, "/care_add 李爷爷 21-5-101 每周一次")
    picker = reply.last_with_buttons()
    if picker is None:
        await w.sim.press(p, None, data=f"1|cv|pk|{VOLUNTEER.id}", chat=chat)
        return await w.sim.press(p, None, data="1|cv|pkok", chat=chat)
    await w.sim.press(p, picker, VOLUNTEER.first_name)
    return await w.sim.press(p, w.sim.current(picker), "登记")


async def act_care(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/care")


async def ok_care(w: World, p: Person, r: Reply) -> bool:
    return "张奶奶" in r.text


async def act_announce(w: World, p: Person) -> Reply:
    sim = w.sim
    chat = sim.private(p)
    reply = await sim.send(p, chat, "/announce")
    if reply.last_with_buttons() is None:
        return reply
    reply = await sim.send(p, chat, "周六停水")
    reply = await press_if(sim, p, reply, "全部楼栋")
    reply = await press_if(sim, p, reply, "现在发送")
    return await press_if(sim, p, reply, "发送")


async def ok_announce(w: World, p: Person, r: Reply) -> bool:
    return bool(
        await fetch(
            w,
            "SELECT count(*) FROM announcements WHERE text = '周六停水' AND community_id = ?",
            w.cid,
        )
    )


async def act_dashboard(w: World, p: Person) -> Reply:
    w.sim.rt.config = dataclasses.replace(w.sim.rt.config, dashboard_url="https://d.example.org")
    return await w.sim.send(p, w.sim.private(p), "/dashboard")


async def ok_dashboard(w: World, p: Person, r: Reply) -> bool:
    """A link was made, and it opens this community (another's staff get one for their own)."""
    from bot.workflows import dashboard as flow

    made = await fetch(w, "SELECT count(*) FROM dashboard_links WHERE user_id = ?", p.id)
    return bool(made) and await flow.access(w.sim.rt, p.id, w.cid) is not None


async def act_care_list(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/care_list")


def care_button(action: str) -> Act:
    async def act(w: World, p: Person) -> Reply:
        return await w.sim.press(p, None, data=f"1|cm|{action}|{w.care}", chat=w.sim.private(p))

    return act


async def ok_care_paused(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT paused FROM care_people WHERE id = ?", w.care) == 1


async def ok_care_removed(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT active FROM care_people WHERE id = ?", w.care) == 0


async def act_quiz_timeout(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, "/quiz_timeout 90")


async def ok_quiz_timeout(w: World, p: Person, r: Reply) -> bool:
    return (
        await fetch(w, "SELECT turn_seconds FROM quiz_settings WHERE chat_id = ?", w.group.id) == 90
    )


async def act_quiz_stop(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, "/quiz_stop")


async def ok_quiz_stop(w: World, p: Person, r: Reply) -> bool:
    return await fetch(w, "SELECT status FROM quiz_games WHERE id = ?", w.game) == "finished"


async def act_quiz_stats(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.group, "/quiz_stats")


async def ok_quiz_stats(w: World, p: Person, r: Reply) -> bool:
    return "本群共玩了" in r.text


async def act_sort_unknown(w: World, p: Person) -> Reply:
    return await w.sim.send(p, w.sim.private(p), "/sort_unknown")


async def ok_sort_unknown(w: World, p: Person, r: Reply) -> bool:
    return "还没有查不到的物品" in r.text or "知识库里还没有" in r.text


@dataclass(frozen=True)
class Cell:
    act: Act
    ok: Check
    allowed: frozenset[str]
    world: dict[str, bool] = field(default_factory=dict)
    other_acts_at_home: bool = False  # "other" staff may do it, but only in their own community


def cell(act: Act, ok: Check, allowed: str, *, home: bool = False, **world: bool) -> Cell:
    return Cell(act, ok, frozenset(allowed.split()), world, home)


MENU = {"menu": True}
CLOSED = {"menu": True, "closed": True}
REPAIRS = {"repairs": True}

#         action                 how                       succeeded?        allowed roles
MATRIX: dict[str, Cell] = {
    "setup (new group)": cell(act_setup, ok_setup, "admin"),
    "setup (relink group)": cell(act_setup_relink, ok_setup_relink, "admin"),  # was: other too
    "setup (forged move button)": cell(act_setup_move_forged, ok_setup_relink, ""),
    "grant volunteer": cell(act_grant, ok_grant, "admin staff"),
    "grant staff": cell(act_grant_staff, ok_grant_staff, "admin staff"),
    "revoke": cell(act_revoke, ok_revoke, "admin staff"),
    "grid_assign": cell(act_grid_assign, ok_grid_assign, "admin staff"),
    "team": cell(act_team, ok_team, "admin staff"),
    "menu_open": cell(act_menu_open, ok_menu_open, "admin staff"),
    "menu_open: draft button": cell(act_menu_draft_button, ok_menu_open, "staff", draft=True),
    "menu_close": cell(act_menu_close, ok_menu_close, "admin staff", **MENU),
    "menu_close: confirm button": cell(act_menu_close_button, ok_menu_close, "admin staff", **MENU),
    "menu_extend (reopen)": cell(act_menu_extend, ok_menu_extend, "admin staff", **CLOSED),
    "menu_extend: reopen button": cell(
        act_menu_extend_button, ok_menu_extend, "admin staff", **CLOSED
    ),
    "menu_results": cell(act_menu_results, ok_menu_results, "staff", **MENU),
    "suggestions": cell(act_suggestions, ok_suggestions, "staff", **MENU),
    "suggestions: daily digest switch": cell(act_digest_off, ok_digest_off, "admin staff"),
    "menu_export": cell(act_menu_export, ok_menu_export, "staff", **MENU),
    "menu_progress": cell(act_menu_progress, ok_menu_progress, "admin staff", **CLOSED),
    "menu_progress button": cell(
        act_menu_progress_forged, ok_menu_progress, "admin staff", **CLOSED
    ),
    "menu_paper": cell(act_menu_paper, ok_menu_paper, "staff grid", **MENU),
    "menu_paper (outside the grid)": cell(act_menu_paper_far, ok_menu_paper, "staff", **MENU),
    # "other" is staff of another community: /households acts on their own community.
    "households": cell(act_households, ok_households, "staff", home=True),
    "menu_unordered": cell(act_menu_unordered, ok_menu_unordered, "staff grid", **MENU),
    "menu_unordered: paper button": cell(
        act_menu_unordered_paper, ok_menu_unordered_paper, "admin staff grid", **MENU
    ),
    "menu: order button on a group post": cell(
        act_menu_group_reopen, ok_menu_group_reopen, "", **MENU
    ),
    # 提建议 is for the round's community: "other" is staff of another community.
    "menu: suggestion": cell(
        act_menu_suggest, ok_menu_suggest, "admin staff grid volunteer resident", **MENU
    ),
    "tickets": cell(act_tickets, ok_tickets, "admin staff", **REPAIRS),
    "merge": cell(act_merge, ok_merge, "admin staff", **REPAIRS),
    "repair_stats": cell(act_repair_stats, ok_repair_stats, "admin staff", **REPAIRS),
    # Buttons on the volunteer's task message, pressed by everyone (the assignee is "volunteer").
    "ticket: start": cell(
        ticket_button("开始处理"), ok_started, "volunteer grid staff admin", **REPAIRS
    ),
    "ticket: resolve": cell(
        ticket_button("已解决"), ok_started, "volunteer grid staff admin", **REPAIRS
    ),
    "ticket: hand back": cell(act_hand_back, ok_handed_back, "volunteer", **REPAIRS),
    "ticket: note": cell(ticket_note(0), ok_noted, "volunteer", **REPAIRS),
    "ticket: close with a note": cell(
        ticket_text(lambda w: f"1|rq|clr|{w.ticket}|notours", "已转交物业"),
        ok_closed,
        "admin staff",
        **REPAIRS,
    ),
    "ticket: withdraw": cell(act_withdraw, ok_closed, "resident", **REPAIRS),
    # 💬 回复 to the reporter (a worker's button) or to the assignee (the reporter's).
    "ticket: reply": cell(
        ticket_text(lambda w: f"1|rq|re|{w.taken}|{WANG.id}", "明天在家"),
        ok_relayed,
        "admin staff grid volunteer resident",
        **REPAIRS,
    ),
    # Ticket buttons belong to private messages: on a group post nobody may press them.
    "ticket: start on a group post": cell(
        on_group_post(lambda w: f"1|rq|go|{w.taken}"), ok_group_post, "", **REPAIRS
    ),
    "ticket: accept on a group post": cell(
        on_group_post(lambda w: f"1|rq|acc|{w.ticket}"), ok_group_post, "", **REPAIRS
    ),
    "ticket: details on a group post": cell(
        on_group_post(lambda w: f"1|rq|v|{w.taken}"), ok_group_post, "", **REPAIRS
    ),
    "ticket: close on a group post": cell(
        on_group_post(lambda w: f"1|rq|clr|{w.ticket}|cannot"), ok_group_post, "", **REPAIRS
    ),
    "ticket: note on a group post": cell(
        on_group_post(lambda w: f"1|rn|n|{w.taken}|0"), ok_group_post, "", **REPAIRS
    ),
    "repair filing button on a group post": cell(
        on_group_post(lambda w: "1|rp|cat|water"), ok_group_post, "", **REPAIRS
    ),
    "ticket: internal note": cell(ticket_note(1), ok_noted, "volunteer", **REPAIRS),
    "remind": cell(act_remind, ok_remind, "staff"),
    "reminders: pause": cell(notice_button("p"), ok_paused, "admin staff", notice=True),
    "reminders: pause confirmed": cell(notice_button("pp"), ok_paused, "admin staff", notice=True),
    "reminders: resume confirmed": cell(
        notice_button("rr"), ok_resumed, "admin staff", notice=True
    ),
    "reminders: delete": cell(notice_button("dd"), ok_paused, "admin staff", notice=True),
    "care_add": cell(act_care_add, ok_care_add, "staff", home=True),
    "care_add: visitor picker": cell(act_care_pick, ok_care_add, "staff", home=True),
    "care": cell(act_care, ok_care, "admin staff volunteer", care=True),
    "announce": cell(act_announce, ok_announce, "staff", home=True),
    "dashboard": cell(act_dashboard, ok_dashboard, "admin staff grid", home=True),
    "care_list": cell(act_care_list, ok_care, "admin staff", care=True),
    "care_export": cell(act_care_export, ok_care_export, "admin staff", care=True),
    "care_list: pause": cell(care_button("p"), ok_care_paused, "admin staff", care=True),
    "care_list: remove": cell(care_button("dd"), ok_care_removed, "admin staff", care=True),
    "quiz_timeout": cell(act_quiz_timeout, ok_quiz_timeout, "admin staff"),
    "quiz_stop": cell(act_quiz_stop, ok_quiz_stop, "admin staff", quiz=True),
    "quiz_stats": cell(act_quiz_stats, ok_quiz_stats, "admin staff grid volunteer"),
    # The knowledge base is the street's, not a community's: staff of any community.
    "sort_unknown": cell(act_sort_unknown, ok_sort_unknown, "admin staff other"),
}


async def check_cell(tmp_path: Path, name: str) -> None:
    """Refused roles first, all on one world (a refusal leaves it as it was), then each allowed
    role on a world of its own (the first one reuses the refusals' world)."""
    spec = MATRIX[name]
    refused = [r for r in ROLES if r not in spec.allowed]
    allowed = [r for r in ROLES if r in spec.allowed]
    batches = [refused + allowed[:1]] + [[r] for r in allowed[1:]]
    for number, batch in enumerate(batches):
        sim = Simulator(str(tmp_path / f"{number}.db"), admins=(ADMIN.id,))
        await sim.start()
        try:
            with errors_logged() as errors:
                w = await build_world(sim, **spec.world)
                for role in batch:
                    person = ROLES[role]
                    before = await snapshot(sim)
                    reply = await spec.act(w, person)
                    succeeded = await spec.ok(w, person, reply)
                    if role in spec.allowed:
                        assert succeeded, f"{role} should be able to {name}: {reply.text[:300]}"
                        continue
                    assert not succeeded, f"{role} must not be able to {name}"
                    assert reply.calls, f"{role} got no answer to {name}"  # never silence
                    if not (role == "other" and spec.other_acts_at_home):
                        assert await snapshot(sim) == before, (
                            f"{role} was refused {name} but the database changed"
                        )
            assert not errors, errors
            await assert_no_personal_data_in_groups(sim)
        finally:
            await sim.stop()


@pytest.mark.parametrize("name", list(MATRIX))
async def test_matrix(tmp_path: Path, name: str) -> None:
    await check_cell(tmp_path, name)
