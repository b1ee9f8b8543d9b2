"""Every kind of update a group can send the bot: no crash, the error handler never runs."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import GRID, STAFF, WANG, errors_logged, setup_community
from tests.test_reminders import make_notice


async def test_group_update_zoo(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    channel = {"id": -100777, "type": "channel", "title": "社区公告频道"}
    anon = {"id": group.id, "type": "supergroup", "title": group.title}
    with errors_logged() as errors:
        await sim.send(WANG, group, "原来的话")
        await sim.feed(
            {
                "update_id": sim.api.next_update_id(),
                "edited_message": {
                    **sim.message_payload(WANG, group, "/grant @li_grid 工作人员"),
                    "edit_date": 1,
                },
            }
        )
        await sim.feed(
            {
                "update_id": sim.api.next_update_id(),
                "edited_message": {**sim.message_payload(WANG, group, "改过的话"), "edit_date": 1},
            }
        )
        await sim.feed(
            {
                "update_id": sim.api.next_update_id(),
                "channel_post": {
                    "message_id": sim.api.new_message_id(),
                    "date": 1,
                    "chat": channel,
                    "sender_chat": channel,
                    "text": "/setup 频道社区",
                },
            }
        )
        await sim.feed(
            {
                "update_id": sim.api.next_update_id(),
                "edited_channel_post": {
                    "message_id": sim.api.new_message_id(),
                    "date": 1,
                    "chat": channel,
                    "sender_chat": channel,
                    "text": "改",
                    "edit_date": 2,
                },
            }
        )
        # Anonymous group admin: `from` is GroupAnonymousBot, the group is the sender_chat.
        anon_bot = {
            "id": 1087968824,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        }
        for text in ("/menu_open", "/grant @wang_ayi 工作人员", "/help", "你好"):
            payload = sim.message_payload(WANG, group, text)
            payload.update({"from": anon_bot, "sender_chat": anon})
            await sim.feed({"update_id": sim.api.next_update_id(), "message": payload})
        # Linked channel post auto-forwarded into the group.
        await sim.send(
            WANG,
            group,
            "转发的公告",
            forward_origin={"type": "channel", "chat": channel, "message_id": 5, "date": 1},
            is_automatic_forward=True,
            sender_chat=channel,
        )
        await sim.send(
            WANG,
            group,
            "/grant @li_grid 工作人员",
            forward_origin={"type": "user", "sender_user": STAFF.as_dict(), "date": 1},
        )
        await sim.send(
            WANG,
            group,
            None,
            new_chat_members=[
                WANG.as_dict(),
                {"id": 5555, "is_bot": True, "first_name": "otherbot"},
            ],
        )
        await sim.send(WANG, group, None, left_chat_member=WANG.as_dict())
        await sim.send(WANG, group, None, new_chat_title="新群名")
        await sim.send(WANG, group, None, pinned_message=sim.message_payload(STAFF, group, "x"))
        await sim.send(
            WANG,
            group,
            None,
            sticker={
                "file_id": "S1",
                "file_unique_id": "s1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "😀",
            },
        )
        await sim.send_photo(WANG, group, caption="/repair 楼顶漏水")
        await sim.send(
            WANG,
            group,
            None,
            poll={
                "id": "p1",
                "question": "周六大扫除？",
                "options": [
                    {"text": "去", "voter_count": 0, "persistent_id": "a"},
                    {"text": "不去", "voter_count": 0, "persistent_id": "b"},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            },
        )
        await sim.send(WANG, group, None, dice={"emoji": "🎲", "value": 3})
        await sim.send(WANG, group, None, location={"latitude": 39.9, "longitude": 116.4})
        for text in (
            "啊" * 4096,
            "/grid " + "2" * 4090,
            "مرحبا بكم في المجتمع",
            "\u202e/grid",
            "😀🏠🧹",
            "🗑️",
            "/grid@community_bot",
            "/grid@some_other_bot",
            "/",
        ):
            await sim.send(WANG, group, text)
        await sim.send(WANG, group, None, via_bot={"id": 4242, "is_bot": True, "first_name": "gif"})
    assert not errors, errors
    # Nothing above gave anyone a role or linked a channel.
    assert (
        await sim.rt.db.fetchval(
            "SELECT count(*) FROM roles WHERE user_id = ? AND role = 'staff'", (GRID.id,)
        )
        == 0
    )
    assert await sim.rt.db.fetchval("SELECT count(*) FROM roles WHERE user_id = ?", (WANG.id,)) == 0
    assert await sim.rt.db.fetchval("SELECT count(*) FROM communities") == 1
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_rounds") == 0


async def test_migration_to_supergroup_moves_the_community_link(sim: Simulator) -> None:
    old = sim.group(-4001, "锡林社区居民群", kind="group")
    cid = await setup_community(sim, old)
    notice = await make_notice(sim, "迁移后也要送到", "1小时后")
    new = sim.group(-1004001, "锡林社区居民群")
    with errors_logged() as errors:
        await sim.send(STAFF, old, None, migrate_to_chat_id=new.id)
        await sim.send(STAFF, new, None, migrate_from_chat_id=old.id)  # Telegram sends both
        reply = await sim.send(WANG, new, "/grid")
    assert not errors, errors
    assert (
        await sim.rt.db.fetchval("SELECT community_id FROM groups WHERE chat_id = ?", (new.id,))
        == cid
    )
    assert await sim.rt.db.fetchval("SELECT count(*) FROM groups WHERE chat_id = ?", (old.id,)) == 0
    assert "李网格" in reply.text, reply.text
    # A notice aimed at the old group follows it too.
    reply = await sim.advance(timedelta(hours=1))
    assert [c.text for c in reply.to(new.id)] == ["📢 社区通知\n迁移后也要送到"], reply.text
    assert not reply.to(old.id)
    assert notice
