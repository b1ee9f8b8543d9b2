"""Demo scene: one renovation-menu round, from the staff's private draft to the published
chart and the first progress news.

`scene(sim, out)` assumes a started Simulator whose database already holds (as after
tests/conftest.setup_community plus a few registrations):
  * a community with at least one linked group chat;
  * a user with the `staff` role there (or a BOT_ADMINS id), who has talked to the bot;
  * registered residents (the `residents` table) who will order in private chat;
  * no round of that community in progress.
`out` receives one line of text per step: a callable, or anything with `write`/`append`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.i18n import translator
from bot.offline import demo_turnout
from bot.offline.simulator import Chat, Person, Simulator
from handlers import menu_progress
from handlers.shared import user_lang
from storage import community as cstore
from storage import menu as store


def _say(out: Any, line: str) -> None:
    if hasattr(out, "write"):
        out.write(line + "\n")
    elif hasattr(out, "append"):
        out.append(line)
    else:
        out(line)


async def scene(sim: Simulator, out: Any) -> None:
    db = sim.rt.db
    linked = await cstore.list_groups(db)
    assert linked, "the demo needs a linked group (run /setup first)"
    cid = linked[0]["community_id"]
    group = sim.group(linked[0]["chat_id"], linked[0]["title"] or "居民群")
    staff_rows = await cstore.members_with_role(db, cid, "staff")
    staff_row = staff_rows[0] if staff_rows else await cstore.get_user(db, min(sim.config.admins))
    assert staff_row is not None, "the demo needs a staff member"
    staff = Person(staff_row["id"], staff_row["first_name"], staff_row["username"])
    residents = await cstore.residents_of(db, cid)

    _say(out, "\n=== 当天 · 社区工作人员在私聊里准备一轮改造“点单”，准备好再发布到群 ===")
    reply = await sim.send(staff, group, "/menu_open")  # the group only gets a pointer
    pm = sim.private(staff)
    reply = await sim.send(staff, pm, f"/start menuopen-{cid}")
    reply = await sim.press(staff, reply, "添加")
    reply = await sim.send(staff, pm, "加装电梯、充电桩、车棚改造")  # a pasted list
    reply = await sim.press(staff, reply, "下一步")
    reply = await sim.press(staff, reply, "截止时间")
    reply = await sim.send(staff, pm, "3天后")
    reply = await sim.press(staff, reply, "发布到群")

    _say(out, "\n=== 接着 · 居民点群里的按钮，在私聊里点菜 ===")
    rnd = await store.active_round(db, cid)
    assert rnd is not None and rnd["status"] == "open", "the round did not open"
    round_id = int(rnd["id"])
    items = [r["name"] for r in await store.items(db, round_id)]

    for n, row in enumerate(residents):
        person = Person(row["id"], row["first_name"], row["username"])
        chat: Chat = sim.private(person)
        screen = (await sim.send(person, chat, f"/start menu-{round_id}")).last_with_buttons()
        assert screen is not None, "no ordering keyboard"
        wanted = [items[(n + step * 3) % len(items)] for step in range(1 + n % 3)]
        _ = translator(await user_lang(sim.rt, person.id))  # buttons are in their language
        for name in wanted:
            await sim.press(person, screen, _(name))
            screen = sim.current(screen)
        await sim.press(person, screen, "✅")

    await demo_turnout.chase(sim, lambda line: _say(out, line), cid)

    _say(out, "\n=== 三天后 · 截止时间到，结果和图表自动发到群里 ===")
    await sim.advance(timedelta(days=3, minutes=1))

    _say(out, "\n=== 之后 · 工作人员更新进度，群里和点过这一项的住户都收到通知 ===")
    _ = translator(await user_lang(sim.rt, staff.id))
    reply = await sim.send(staff, pm, "/menu_progress")
    reply = await sim.press(staff, reply, _(items[0]))
    reply = await sim.press(staff, reply, "计划中")
    reply = await sim.send(staff, pm, "已报街道审批，预计下月开工")
    await sim.press(staff, reply, _(menu_progress.PUBLISH))
