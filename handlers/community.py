"""Linking groups to communities, household registration, roles and the grid chart."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot import community as rules
from bot.commands import Audience, declare
from bot.i18n import N_, Translate
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    deep_link,
    group_community,
    is_group,
    is_group_admin,
    is_private,
    is_staff,
    refuse_callback,
    reply,
    send_private,
    staff_communities,
    tr_chat,
    tr_user,
)
from storage import community as cstore
from storage.db import Row

log = logging.getLogger(__name__)

declare("register", N_("登记或修改我家的门牌"), Audience.RESIDENT, order=10)
declare("me", N_("我的登记信息"), Audience.RESIDENT, order=11)
declare("grid", N_("我的网格员是谁"), Audience.EVERYONE, order=12)
declare("cancel", N_("取消当前操作"), Audience.EVERYONE, order=90)
declare("setup", N_("把本群关联到社区（群管理员）"), Audience.STAFF, order=10)
declare(
    "grant", N_("任命角色：/grant @用户 网格员|志愿者|工作人员 [技能]"), Audience.STAFF, order=11
)
declare("revoke", N_("撤销角色：/revoke @用户 角色"), Audience.STAFF, order=12)
declare("grid_assign", N_("分配网格：/grid_assign @用户 21,22,25-27"), Audience.STAFF, order=13)

# Other features continue after registration: feature name → callback(update, context, arg).
AfterRegister = Callable[[Update, Context, str], Awaitable[None]]
AFTER_REGISTER: dict[str, AfterRegister] = {}

COMMUNITY, BUILDING, UNIT, ROOM, NAME, CONFIRM = range(6)
DRAFT = "register_draft"


# ---- /setup ---------------------------------------------------------------------------------
async def setup_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    if not is_group(update):
        await reply(update, _("请在居民群里发送 /setup 社区名称，把那个群关联到社区。"))
        return
    rt = context.rt
    name = rules.clean_community_name(" ".join(context.args or []))
    if name is None:
        if not (
            rt.is_admin(user.id)
            or await is_group_admin(context.bot, chat.id, user.id)
            or await cstore.communities_with_role(rt.db, user.id, "staff")
        ):
            await reply(update, _("只有群管理员或社区工作人员可以关联社区。"))
            return
        await reply(update, _("请写上社区名称，例如：/setup 锡林社区（最多40个字）"))
        return
    existing = await cstore.find_community(rt.db, name)
    tg_admin = await is_group_admin(context.bot, chat.id, user.id)
    if existing is not None:
        # Joining an existing community's groups needs that community's trust.
        allowed = await is_staff(rt, user.id, existing["id"])
    else:
        allowed = rt.is_admin(user.id) or tg_admin
    current = await cstore.get_group(rt.db, chat.id)
    relink = current is not None and (existing is None or current["community_id"] != existing["id"])
    if allowed and relink:
        # Moving a group away from its community needs that community's (or the group's) trust:
        # staff of another community must not take over someone else's residents' group.
        allowed = (
            rt.is_admin(user.id) or tg_admin or await is_staff(rt, user.id, current["community_id"])
        )
        existing = None if not allowed else existing
    if not allowed:
        if existing is not None:
            await reply(
                update,
                _("“{name}”已存在。只有该社区的工作人员可以把群关联到它。").format(name=name),
            )
        else:
            await reply(update, _("只有群管理员或社区工作人员可以关联社区。"))
        return
    async with rt.db.transaction() as tx:
        community_id = await cstore.get_or_create_community(tx, name)
        await cstore.link_group(tx, chat.id, community_id, chat.title or "", user.id)
        await cstore.audit(tx, community_id, user.id, "link_group", str(chat.id))
    await reply(
        update,
        _(
            "本群已关联到“{name}”。\n居民请点下面的按钮，在私聊里登记门牌（门牌只有社区工作人员能看到）。"
        ).format(name=name),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("🏠 登记住户"), url=deep_link(context, f"reg-{community_id}")
                    )
                ]
            ]
        ),
    )


# ---- registration conversation ---------------------------------------------------------------
def _cancel_row(_: Translate) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(_("取消"), callback_data=callbacks.pack("reg", "cancel"))]


async def _ask_building(update: Update, context: Context, _: Translate) -> int:
    draft = context.user_data.setdefault(DRAFT, {})  # type: ignore[union-attr]
    await reply(
        update,
        _("【{community}】请输入您家的楼号，例如：21\n也可以一次写全：21号楼4单元302").format(
            community=draft.get("community_name", "")
        ),
        reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
    )
    return BUILDING


async def register_entry(update: Update, context: Context) -> int:
    """/register, /start reg-<community>, or the 登记住户 button."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return ConversationHandler.END
    if update.callback_query:
        await answer_callback(update)
    rt = context.rt
    if not is_private(update):
        group = await group_community(update, context)
        payload = f"reg-{group['community_id']}" if group else "reg"
        await reply(
            update,
            _("门牌是个人信息，请点按钮到私聊里登记。"),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("🏠 私聊登记"), url=deep_link(context, payload))]]
            ),
        )
        return ConversationHandler.END
    after = context.user_data.pop("after_register", None)  # type: ignore[union-attr]
    context.user_data[DRAFT] = {"after": after}  # type: ignore[index]
    community: Row | None = None
    if context.args and context.args[0].startswith("reg-"):
        cid = context.args[0][4:]
        if cid.isdigit():
            community = await cstore.get_community(rt.db, int(cid))
    if community is None:
        mine = await cstore.communities_of(rt.db, user.id)
        if len(mine) == 1:
            community = mine[0]
    if community is None:
        everything = await cstore.list_communities(rt.db)
        if len(everything) == 1:
            community = everything[0]
        elif not everything:
            await reply(
                update,
                _("还没有社区使用本机器人。请社区工作人员先在居民群里发送 /setup 社区名称。"),
            )
            return ConversationHandler.END
        else:
            rows = [
                [InlineKeyboardButton(c["name"], callback_data=callbacks.pack("reg", "c", c["id"]))]
                for c in everything[:30]
            ]
            rows.append(_cancel_row(_))
            await reply(update, _("请选择您所在的社区："), reply_markup=InlineKeyboardMarkup(rows))
            return COMMUNITY
    return await _start_with(update, context, community, _)


async def _start_with(update: Update, context: Context, community: Row, _: Translate) -> int:
    draft = context.user_data[DRAFT]  # type: ignore[index]
    draft.update(community_id=community["id"], community_name=community["name"])
    rt = context.rt
    user = update.effective_user
    assert user is not None
    current = await cstore.get_resident(rt.db, user.id, community["id"])
    if current is not None:
        here = rules.Address(current["building"], current["unit"], current["room"]).label(_)
        await reply(
            update, _("您已登记为 {address}。重新填写会更新登记，不会重复。").format(address=here)
        )
    return await _ask_building(update, context, _)


async def pick_community(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query = update.callback_query
    try:
        cb = callbacks.unpack(query.data if query else None, "reg")
        community_id = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return COMMUNITY
    community = await cstore.get_community(context.rt.db, community_id)
    if community is None:
        await refuse_callback(update, context, "community gone")
        return COMMUNITY
    await answer_callback(update)
    if DRAFT not in context.user_data:  # type: ignore[operator]
        context.user_data[DRAFT] = {}  # type: ignore[index]
    return await _start_with(update, context, community, _)


async def _text_or_complain(update: Update, _: Translate, example: str) -> str | None:
    message = update.effective_message
    text = message.text if message else None
    if not text or not text.strip():
        await reply(update, _("请用文字回答，例如：{example}").format(example=example))
        return None
    return text


async def got_building(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _text_or_complain(update, _, "21")
    if text is None:
        return BUILDING
    draft = context.user_data[DRAFT]  # type: ignore[index]
    full = rules.parse_full_address(text)
    if full is not None:
        draft.update(building=full.building, unit=full.unit, room=full.room)
        return await _ask_name(update, context, _)
    building = rules.clean_part(text, rules.BUILDING_SUFFIXES, named=True)
    if building is None:
        await reply(update, _("没看懂这个楼号。请只写数字，例如：21"))
        return BUILDING
    draft["building"] = building
    await reply(
        update,
        _("{building}号楼。请输入单元号，例如：4").format(building=building),
        reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
    )
    return UNIT


async def got_unit(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _text_or_complain(update, _, "4")
    if text is None:
        return UNIT
    unit = rules.clean_part(text, rules.UNIT_SUFFIXES)
    if unit is None:
        await reply(update, _("没看懂这个单元号。请只写数字，例如：4"))
        return UNIT
    context.user_data[DRAFT]["unit"] = unit  # type: ignore[index]
    await reply(
        update,
        _("请输入门牌号（房间号），例如：302"),
        reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
    )
    return ROOM


async def got_room(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _text_or_complain(update, _, "302")
    if text is None:
        return ROOM
    room = rules.clean_part(text, rules.ROOM_SUFFIXES)
    if room is None:
        await reply(update, _("没看懂这个门牌号。请只写数字，例如：302"))
        return ROOM
    context.user_data[DRAFT]["room"] = room  # type: ignore[index]
    return await _ask_name(update, context, _)


async def _ask_name(update: Update, context: Context, _: Translate) -> int:
    user = update.effective_user
    assert user is not None
    await reply(
        update,
        _("社区工作人员怎么称呼您？请输入称呼（如：王阿姨），或点“就用{name}”。").format(
            name=user.first_name
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("就用{name}").format(name=user.first_name)[:60],
                        callback_data=callbacks.pack("reg", "samename"),
                    )
                ],
                _cancel_row(_),
            ]
        ),
    )
    return NAME


async def got_name(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    draft = context.user_data[DRAFT]  # type: ignore[index]
    if update.callback_query:
        await answer_callback(update)
        draft["name"] = user.first_name
    else:
        text = await _text_or_complain(update, _, _("王阿姨"))
        if text is None:
            return NAME
        name = " ".join(text.split())
        if len(name) > 20:
            await reply(update, _("称呼太长了，请写20个字以内。"))
            return NAME
        draft["name"] = name
    address = rules.Address(draft["building"], draft["unit"], draft["room"])
    await reply(
        update,
        _("请核对：\n社区：{community}\n门牌：{address}\n称呼：{name}").format(
            community=draft["community_name"], address=address.label(_), name=draft["name"]
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(_("✅ 确认"), callback_data=callbacks.pack("reg", "ok")),
                    InlineKeyboardButton(
                        _("✏️ 重新填写"), callback_data=callbacks.pack("reg", "redo")
                    ),
                ],
                _cancel_row(_),
            ]
        ),
    )
    return CONFIRM


async def confirm(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    try:
        cb = callbacks.unpack(query.data, "reg")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return CONFIRM
    draft = context.user_data.get(DRAFT) or {}  # type: ignore[union-attr]
    if cb.action == "redo":
        await answer_callback(update)
        for key in ("building", "unit", "room", "name"):
            draft.pop(key, None)
        return await _ask_building(update, context, _)
    if cb.action != "ok" or not all(k in draft for k in ("community_id", "building", "room")):
        await refuse_callback(update, context, "confirm without a complete draft")
        return CONFIRM
    rt = context.rt
    async with rt.db.transaction() as tx:
        household_id = await cstore.get_or_create_household(
            tx, draft["community_id"], draft["building"], draft["unit"], draft["room"]
        )
        before = await cstore.get_resident(tx, user.id, draft["community_id"])
        await cstore.set_resident(
            tx, user.id, draft["community_id"], household_id, draft.get("name") or user.first_name
        )
        await cstore.audit(
            tx,
            draft["community_id"],
            user.id,
            "register" if before is None else "re-register",
            str(household_id),
        )
    await answer_callback(update, _("已保存"))
    address = rules.Address(draft["building"], draft["unit"], draft["room"]).label(_)
    await query.edit_message_text(
        (_("登记成功：{address}。") if before is None else _("登记已更新：{address}。")).format(
            address=address
        )
    )
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    after = draft.get("after")
    if after and after[0] in AFTER_REGISTER:
        await AFTER_REGISTER[after[0]](update, context, after[1])
    else:
        await reply(update, _("接下来可以：/menu 给小区改造点单，/repair 报修，/grid 查网格员。"))
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    if update.callback_query:
        await answer_callback(update)
    await reply(update, _("已取消。需要时再发送 /register。"))
    return ConversationHandler.END


async def not_text(update: Update, context: Context) -> int | None:
    """Stickers, photos, voice where we wait for text: ask again, stay in the same step."""
    _ = await tr_chat(update, context)
    await reply(update, _("请用文字回答上面的问题，或发送 /cancel 取消。"))
    return None


async def stray_button(update: Update, context: Context) -> int | None:
    await refuse_callback(update, context, "registration button out of step")
    return None


# ---- /me ------------------------------------------------------------------------------------
async def me_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(
            update,
            _("个人信息只在私聊里显示。"),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("私聊查看"), url=deep_link(context, "me"))]]
            ),
        )
        return
    rt = context.rt
    lines: list[str] = []
    for row in await cstore.residencies_of(rt.db, user.id):
        address = rules.Address(row["building"], row["unit"], row["room"]).label(_)
        lines.append(
            _("{community}：{address}（称呼：{name}）").format(
                community=row["community_name"], address=address, name=row["display_name"]
            )
        )
    for community in await cstore.communities_of(rt.db, user.id):
        roles = await cstore.roles_of(rt.db, user.id, community["id"])
        if roles:
            names = "、".join(_(rules.ROLE_NAMES[rules.Role(r)]) for r in sorted(roles))
            lines.append(
                _("{community}的角色：{roles}").format(community=community["name"], roles=names)
            )
            if "volunteer" in roles:
                skills = await cstore.skills_of(rt.db, community["id"], user.id)
                if skills:
                    lines.append(_("技能：{skills}").format(skills="、".join(_(s) for s in skills)))
    if not lines:
        lines.append(_("您还没有登记。发送 /register 登记门牌。"))
    await reply(update, "\n".join(lines))


# ---- roles -----------------------------------------------------------------------------------
async def _target_user(update: Update, context: Context, word: str | None) -> Row | None:
    rt = context.rt
    message = update.effective_message
    if message is not None and message.reply_to_message and message.reply_to_message.from_user:
        return await cstore.get_user(rt.db, message.reply_to_message.from_user.id)
    if not word:
        return None
    if word.startswith("@"):
        return await cstore.find_user_by_username(rt.db, word)
    if word.isdigit():
        return await cstore.get_user(rt.db, int(word))
    return None


async def grant_command(update: Update, context: Context) -> None:
    await _change_role(update, context, grant=True)


async def revoke_command(update: Update, context: Context) -> None:
    await _change_role(update, context, grant=False)


async def _change_role(update: Update, context: Context, *, grant: bool) -> None:
    _ = await tr_chat(update, context)
    actor = update.effective_user
    if actor is None:
        return
    rt = context.rt
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以任命或撤销角色。")
    )
    if community is None:
        return
    args = list(context.args or [])
    replying = bool(update.effective_message and update.effective_message.reply_to_message)
    who = None if replying else (args.pop(0) if args else None)
    role_word = args.pop(0) if args else None
    role = rules.parse_role(role_word) if role_word else None
    usage = (
        _("用法：/grant @用户名 网格员|志愿者|工作人员 [技能，如 维修,医疗服务]")
        if grant
        else _("用法：/revoke @用户名 网格员|志愿者|工作人员")
    )
    if role is None:
        if role_word:
            usage = _("没有“{role}”这个角色。").format(role=role_word[:20]) + "\n" + usage
        await reply(update, usage)
        return
    target = await _target_user(update, context, who)
    if target is None:
        await reply(
            update,
            _(
                "找不到这个人。请对方先给我发一条消息（例如在群里发 /start），"
                "或回复对方的消息再发送命令。"
            )
            + "\n"
            + usage,
        )
        return
    if target["id"] == actor.id:
        await reply(update, _("不能给自己任命或撤销角色，请让其他工作人员操作。"))
        return
    role_name = _(rules.ROLE_NAMES[role])
    if grant:
        skills, unknown = rules.parse_skills(" ".join(args))
        if unknown:
            await reply(
                update,
                _("不认识这些技能：{unknown}。可选：{skills}").format(
                    unknown="、".join(unknown), skills="、".join(_(s) for s in rules.SKILLS)
                ),
            )
            return
        async with rt.db.transaction() as tx:
            new = await cstore.grant_role(tx, community["id"], target["id"], role, actor.id)
            if role is rules.Role.VOLUNTEER and skills:
                await cstore.add_skills(tx, community["id"], target["id"], skills)
            await cstore.audit(
                tx, community["id"], actor.id, f"grant:{role}", f"{target['id']} {','.join(skills)}"
            )
        text = (
            _("已任命 {name} 为{community}的{role}。")
            if new
            else _("{name} 已经是{community}的{role}。")
        ).format(name=target["first_name"], community=community["name"], role=role_name)
        if skills:
            text += _("技能：{skills}").format(skills="、".join(_(s) for s in skills))
        await reply(update, text)
        if new:
            _t = await tr_user(context, target["id"])
            await send_private(
                context,
                target["id"],
                _t("您已被任命为{community}的{role}。发送 /help 查看您可以使用的命令。").format(
                    community=community["name"], role=_t(rules.ROLE_NAMES[role])
                ),
            )
    else:
        async with rt.db.transaction() as tx:
            removed = await cstore.revoke_role(tx, community["id"], target["id"], role)
            await cstore.audit(tx, community["id"], actor.id, f"revoke:{role}", str(target["id"]))
        text = (
            _("已撤销 {name} 的{role}角色。") if removed else _("{name} 本来就不是{role}。")
        ).format(name=target["first_name"], role=role_name)
        await reply(update, text)


async def grid_assign_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    actor = update.effective_user
    if actor is None:
        return
    rt = context.rt
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以分配网格。")
    )
    if community is None:
        return
    args = list(context.args or [])
    replying = bool(update.effective_message and update.effective_message.reply_to_message)
    who = None if replying else (args.pop(0) if args else None)
    buildings = rules.parse_buildings(" ".join(args)) if args else None
    target = await _target_user(update, context, who)
    if target is None or buildings is None:
        await reply(
            update, _("用法：/grid_assign @用户名 楼号，例如：/grid_assign @wang 21,22,25-27")
        )
        return
    roles = await cstore.roles_of(rt.db, target["id"], community["id"])
    if "grid_worker" not in roles:
        await reply(
            update,
            _("{name} 还不是网格员，请先发送 /grant @用户名 网格员。").format(
                name=target["first_name"]
            ),
        )
        return
    async with rt.db.transaction() as tx:
        await cstore.assign_buildings(tx, community["id"], target["id"], buildings)
        await cstore.audit(
            tx, community["id"], actor.id, "grid_assign", f"{target['id']} {','.join(buildings)}"
        )
    await reply(
        update,
        _("{name} 现在负责：{buildings}号楼。").format(
            name=target["first_name"], buildings=rules.format_buildings(buildings)
        ),
    )


# ---- /grid -----------------------------------------------------------------------------------
def _contact_button(_: Translate, worker: Row) -> InlineKeyboardButton:
    url = (
        f"https://t.me/{worker['username']}"
        if worker["username"]
        else (f"tg://user?id={worker['id']}")
    )
    return InlineKeyboardButton(_("联系 {name}").format(name=worker["first_name"])[:60], url=url)


def _chart_lines(_: Translate, rows: list[Row]) -> list[str]:
    by_worker: dict[int, tuple[str, list[str]]] = {}
    for row in rows:
        entry = by_worker.setdefault(row["user_id"], (row["first_name"], []))
        entry[1].append(row["building"])
    lines = []
    for name, buildings in sorted(
        by_worker.values(),
        key=lambda e: rules.building_sort_key(min(e[1], key=rules.building_sort_key)),
    ):
        lines.append(
            _("{buildings}号楼：网格员 {name}").format(
                buildings=rules.format_buildings(buildings), name=name
            )
        )
    return lines


async def grid_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    rt = context.rt
    if not is_private(update):
        group = await group_community(update, context)
        if group is None:
            await reply(update, _("本群还没有关联社区。群管理员请发送：/setup 社区名称"))
            return
        rows = await cstore.grid_chart(rt.db, group["community_id"])
        lines = [_("【{community}网格公示】").format(community=group["community_name"])]
        lines += _chart_lines(_, rows) or [_("还没有分配网格员。")]
        lines.append(_("想知道自己楼的网格员怎么联系，请点按钮私聊查询。"))
        await reply(
            update,
            "\n".join(lines),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("🔎 我的网格员"), url=deep_link(context, "grid"))]]
            ),
        )
        return
    residencies = await cstore.residencies_of(rt.db, user.id)
    shown = False
    buttons: list[list[InlineKeyboardButton]] = []
    lines: list[str] = []
    for row in residencies:
        worker = await cstore.grid_worker_for(rt.db, row["community_id"], row["building"])
        if worker is None:
            lines.append(
                _("{community}{building}号楼还没有网格员，请联系社区工作人员。").format(
                    community=row["community_name"], building=row["building"]
                )
            )
        else:
            lines.append(
                _("{community}{building}号楼的网格员是 {name}。").format(
                    community=row["community_name"],
                    building=row["building"],
                    name=worker["first_name"],
                )
            )
            buttons.append([_contact_button(_, worker)])
        shown = True
    for community in await staff_communities(rt, user.id):
        rows = await cstore.grid_chart(rt.db, community["id"])
        lines.append(_("【{community}网格总表】").format(community=community["name"]))
        lines += _chart_lines(_, rows) or [_("还没有分配网格员。")]
        assigned = {r["building"] for r in rows}
        occupied = await cstore.occupied_buildings(rt.db, community["id"])
        missing = sorted(set(occupied) - assigned, key=rules.building_sort_key)
        if missing:
            lines.append(
                _("没有网格员的楼：{buildings}").format(buildings=rules.format_buildings(missing))
            )
        shown = True
    if not shown:
        lines.append(_("您还没有登记门牌，所以我不知道您住哪栋楼。发送 /register 登记。"))
    await reply(
        update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
    )


async def start_payload_grid(update: Update, context: Context) -> None:
    await grid_command(update, context)


async def start_payload_me(update: Update, context: Context) -> None:
    await me_command(update, context)


def register(app: Application) -> None:  # type: ignore[type-arg]
    text_only = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("register", register_entry),
            CommandHandler("start", register_entry, filters.Regex(r"^/start reg(-\d+)?$")),
            CallbackQueryHandler(register_entry, pattern=r"^1\|reg\|go$"),
        ],
        states={
            COMMUNITY: [CallbackQueryHandler(pick_community, pattern=r"^1\|reg\|c\|")],
            BUILDING: [MessageHandler(text_only, got_building)],
            UNIT: [MessageHandler(text_only, got_unit)],
            ROOM: [MessageHandler(text_only, got_room)],
            NAME: [
                MessageHandler(text_only, got_name),
                CallbackQueryHandler(got_name, pattern=r"^1\|reg\|samename$"),
            ],
            CONFIRM: [CallbackQueryHandler(confirm, pattern=r"^1\|reg\|(ok|redo)$")],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=r"^1\|reg\|cancel$"),
            CommandHandler("register", register_entry),
            MessageHandler(other, not_text),
            CallbackQueryHandler(stray_button, pattern=r"^1\|reg\|"),
        ],
        name="register",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(CommandHandler("start", start_payload_grid, filters.Regex(r"^/start grid$")))
    app.add_handler(CommandHandler("start", start_payload_me, filters.Regex(r"^/start me$")))
    app.add_handler(CommandHandler("setup", setup_command))
    app.add_handler(CommandHandler("me", me_command))
    app.add_handler(CommandHandler("grant", grant_command))
    app.add_handler(CommandHandler("revoke", revoke_command))
    app.add_handler(CommandHandler("grid_assign", grid_assign_command))
    app.add_handler(CommandHandler("grid", grid_command))
