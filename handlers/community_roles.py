"""Staff commands: /setup links a group, /grant and /revoke roles, /grid_assign buildings,
/team lists who holds which role.

Telegram glue only: read the command, ask Telegram what only it knows (group admins), call one
workflow of `bot/workflows/community.py` and render its outcome.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot import community as rules
from bot.i18n import Translate
from bot.workflows import community as flow
from bot.workflows import community_roles as roles_flow
from bot.workflows.community import RoleChanged, RoleRefusal, SetupRefusal
from handlers import command_menu, outbox, repairs_common
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    deep_link,
    is_group,
    is_group_admin,
    refuse_callback,
    reply,
    reply_long,
    send_private,
    tr_chat,
    tr_user,
)

# ---- /setup ---------------------------------------------------------------------------------
GM = "gm"  # 1|gm|ok|<chat> confirm moving this group, 1|gm|no|<chat> keep it
MOVE = "group_move"  # context.state: the move the person was asked to confirm


async def setup_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    if not is_group(update):
        await reply(update, _("请在居民群里发送 /setup 社区名称，把那个群关联到社区。"))
        return
    name = rules.clean_community_name(" ".join(context.args or []))
    await _link(update, context, name, confirmed=False)


async def _link(update: Update, context: Context, name: str | None, *, confirmed: bool) -> None:
    _ = await tr_chat(update, context)
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    rt = context.rt
    trusted = rt.is_admin(user.id) or await is_group_admin(context.bot, chat.id, user.id)
    out = await flow.link_group(
        rt, chat.id, chat.title or "", user.id, name, trusted_here=trusted, confirmed=confirmed
    )
    if out.refused is SetupRefusal.TAKEN:
        await reply(
            update,
            _("“{name}”已存在。只有该社区的工作人员可以把群关联到它。").format(name=out.name),
        )
        return
    if out.refused is SetupRefusal.CONFUSABLE:
        await reply(
            update,
            _(
                "“{name}”和已有的“{similar}”太像了，居民会分不清。"
                "如果是同一个社区，请发送 /setup {similar}；否则请换一个名称。"
            ).format(name=out.name, similar=out.similar),
        )
        return
    if out.refused is SetupRefusal.LINKED:
        await reply(
            update,
            _(
                "本群已关联到“{current}”。只有“{current}”的社区工作人员或机器人管理员"
                "可以把它改关联到别的社区。"
            ).format(current=out.current_name),
        )
        return
    if out.refused is SetupRefusal.NOT_ALLOWED:
        await reply(update, _("只有群管理员或社区工作人员可以关联社区。"))
        return
    if out.needs_name:
        await reply(update, _("请写上社区名称，例如：/setup 锡林社区（最多40个字）"))
        return
    if out.confirm:
        context.state[MOVE] = {"chat": chat.id, "name": out.name}
        await reply(
            update,
            _("本群现在关联到“{current}”。确定改为关联到“{name}”吗？").format(
                current=out.current_name, name=out.name
            ),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            _("✅ 确定改关联"), callback_data=callbacks.pack(GM, "ok", chat.id)
                        ),
                        InlineKeyboardButton(
                            _("取消"), callback_data=callbacks.pack(GM, "no", chat.id)
                        ),
                    ]
                ]
            ),
        )
        return
    await reply(
        update,
        _(
            "本群已关联到“{name}”。\n居民请点下面的按钮，在私聊里登记门牌（门牌只有社区工作人员能看到）。"
        ).format(name=out.name),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("🏠 登记住户"), url=deep_link(context, f"reg-{out.community_id}")
                    )
                ]
            ]
        ),
    )
    await outbox.deliver(context, out.tell)


async def move_button(update: Update, context: Context) -> None:
    """✅ 确定改关联 / 取消 under a /setup that moves the group: only the person who asked, in
    that group; the workflow checks the rights again."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    try:
        cb = callbacks.unpack(query.data, GM)
        chat_id = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    move = context.state.get(MOVE)
    if not move or move.get("chat") != chat_id or chat.id != chat_id:
        await refuse_callback(
            update, context, "group move not asked by this person here", owner_check=True
        )
        return
    context.state.pop(MOVE, None)
    await answer_callback(update)
    if query.message is not None:
        await query.edit_message_reply_markup(None)
    if cb.action == "ok":
        await _link(update, context, move["name"], confirmed=True)
    else:
        _ = await tr_chat(update, context)
        await reply(update, _("好的，本群的关联没有改变。"))


# ---- /grant, /revoke --------------------------------------------------------------------------
def _named(update: Update, args: list[str]) -> tuple[int | None, str | None]:
    """Whom a staff command names: the author of the replied-to message, else its first word
    (taken off `args`)."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is not None:
        # The reply names the person (by Telegram id); an @name typed as well is dropped.
        if args and (args[0].startswith("@") or args[0].isdigit()):
            args.pop(0)
        author = replied.from_user
        return (author.id if author is not None and not author.is_bot else None), None
    return None, (args.pop(0) if args else None)


def _ambiguous(_: Translate) -> str:
    return _(
        "不止一个人用过这个用户名，我分不清现在是谁。请回复对方发的消息再发送命令，"
        "或者用对方的数字 ID。"
    )


def _not_found(_: Translate) -> str:
    return _(
        "找不到这个人。请对方先给我发一条消息（例如在群里发 /start），或回复对方的消息再发送命令。"
    )


async def grant_command(update: Update, context: Context) -> None:
    await _change_role(update, context, grant=True)


async def revoke_command(update: Update, context: Context) -> None:
    await _change_role(update, context, grant=False)


async def _change_role(update: Update, context: Context, *, grant: bool) -> None:
    _ = await tr_chat(update, context)
    actor = update.effective_user
    if actor is None:
        return
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以任命或撤销角色。")
    )
    if community is None:
        return
    args = list(context.args or [])
    reply_to, who = _named(update, args)
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
    rt = context.rt
    out: RoleChanged
    if grant:
        out = await flow.grant_role(
            rt,
            community["id"],
            actor.id,
            role,
            reply_to=reply_to,
            word=who,
            skills_text=" ".join(args),
        )
    else:
        revoked = await roles_flow.revoke(
            rt, community["id"], actor.id, role, reply_to=reply_to, word=who
        )
        out = revoked.change
    if out.refused is RoleRefusal.NO_SUCH_PERSON:
        await reply(update, _not_found(_) + "\n" + usage)
        return
    if out.refused is RoleRefusal.AMBIGUOUS:
        await reply(update, _ambiguous(_))
        return
    if out.refused is RoleRefusal.SELF:
        await reply(update, _("不能给自己任命或撤销角色，请让其他工作人员操作。"))
        return
    if out.refused is RoleRefusal.UNKNOWN_SKILLS:
        await reply(
            update,
            _("不认识这些技能：{unknown}。可选：{skills}").format(
                unknown="、".join(out.unknown), skills="、".join(_(s) for s in rules.SKILLS)
            ),
        )
        return
    role_name = _(rules.ROLE_NAMES[role])
    if not grant:
        text = (
            _("已撤销 {name} 的{role}角色。") if out.changed else _("{name} 本来就不是{role}。")
        ).format(name=out.target_name, role=role_name)
        await reply(update, text)
        if out.changed:
            await command_menu.refresh_person(context, out.target_id)
            await _tell_revoked(context, revoked, community["name"], role)
        return
    names = {"name": out.target_name, "community": community["name"], "role": role_name}
    skills = "、".join(_(s) for s in out.skills)
    everything = "、".join(_(s) for s in out.all_skills) or _("（无）")
    if out.changed:
        text = _("已任命 {name} 为{community}的{role}。").format(**names)
        if out.skills:
            text += _("技能：{skills}").format(skills=skills)
    elif out.skills:
        text = _(
            "{name} 已经是{community}的{role}，新增技能：{skills}。现在的技能：{all}。"
        ).format(skills=skills, all=everything, **names)
    else:
        text = _("{name} 已经是{community}的{role}，没有变化。").format(**names)
        if role is rules.Role.VOLUNTEER:
            text += _("现在的技能：{all}。").format(all=everything)
    await reply(update, text)
    if out.changed:
        await command_menu.refresh_person(context, out.target_id)
    if out.changed or out.skills:
        _t = await tr_user(context, out.target_id)
        told = (
            _t("您已被任命为{community}的{role}。发送 /help 查看您可以使用的命令。")
            if out.changed
            else _t("您在{community}的{role}技能已更新：{skills}。")
        )
        await send_private(
            context,
            out.target_id,
            told.format(
                community=community["name"],
                role=_t(rules.ROLE_NAMES[role]),
                skills="、".join(_t(s) for s in out.all_skills),
            ),
        )


async def _tell_revoked(
    context: Context, revoked: roles_flow.Revoked, community: str, role: rules.Role
) -> None:
    """The person and the community's staff hear of a revoked role and of the work it
    took along (tickets handed back, care visits that need another volunteer)."""
    out = revoked.change
    tickets = "、".join(f"#{c.ticket['id']}" for c in revoked.handed_back)
    _t = await tr_user(context, out.target_id)
    text = _t("您在{community}的{role}角色已被撤销。").format(
        community=community, role=_t(rules.ROLE_NAMES[role])
    )
    if tickets:
        text += "\n" + _t("您手上的报修 {tickets} 已交回社区重新派单，您不用再处理了。").format(
            tickets=tickets
        )
    await send_private(context, out.target_id, text)
    for staff_id in revoked.staff:
        _t = await tr_user(context, staff_id)
        text = _t("{by} 撤销了 {name} 在{community}的{role}角色。").format(
            by=revoked.actor_name,
            name=out.target_name,
            community=community,
            role=_t(rules.ROLE_NAMES[role]),
        )
        if tickets:
            text += "\n" + _t("TA 手上的报修 {tickets} 已退回，重新派给网格员和志愿者。").format(
                tickets=tickets
            )
        if revoked.cares:
            text += "\n" + _t(
                "TA 负责的关爱走访需要另派志愿者：{cares}（发送 /care 查看）。"
            ).format(cares="、".join(revoked.cares))
        await send_private(context, staff_id, text)
    for changed in revoked.handed_back:
        await repairs_common.announce(context, changed)


# ---- /grid_assign -----------------------------------------------------------------------------
async def grid_assign_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    actor = update.effective_user
    if actor is None:
        return
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以分配网格。")
    )
    if community is None:
        return
    args = list(context.args or [])
    reply_to, who = _named(update, args)
    usage = _(
        "用法：/grid_assign @用户名 楼号，例如：/grid_assign @wang 21,22,25-27；"
        "去掉楼：/grid_assign @wang -21,22 或 /grid_assign @wang 删除 21"
    )
    if not args:
        await reply(update, usage)
        return
    change = rules.parse_grid_change(" ".join(args))
    if change.problem is rules.BuildingProblem.UNCLEAR and not change.word:
        await reply(update, usage)  # only 删除 / -, no buildings
        return
    if change.problem is not None:
        await reply(update, _building_problem(_, change) + "\n" + usage)
        return
    out = await flow.assign_buildings(
        context.rt,
        community["id"],
        actor.id,
        change.buildings,
        reply_to=reply_to,
        word=who,
        remove=change.remove,
    )
    if out.refused is RoleRefusal.NO_SUCH_PERSON:
        await reply(update, _not_found(_) + "\n" + usage)
        return
    if out.refused is RoleRefusal.AMBIGUOUS:
        await reply(update, _ambiguous(_))
        return
    if out.refused is RoleRefusal.NOT_GRID_WORKER:
        await reply(
            update,
            _("{name} 还不是网格员，请先发送 /grant @用户名 网格员。").format(name=out.target_name),
        )
        return
    await reply(update, _grid_changed(_, out))


def _building_problem(_: Translate, change: rules.GridChange) -> str:
    problem = rules.BuildingProblem
    if change.problem is problem.PHONE:  # never echoed: it may be someone's phone number
        return _("这像是电话号码，不是楼号。")
    if change.problem is problem.ZERO:
        return _("没有“{word}”：楼号从 1 开始。").format(word=change.word)
    if change.problem is problem.NEGATIVE:
        return _("楼号不能是负数（“{word}”）。要去掉楼，请把“-”或“删除”写在最前面。").format(
            word=change.word
        )
    if change.problem is problem.TOO_BIG:
        return _("“{word}”不是楼号：楼号最大是 {max}。").format(
            word=change.word, max=rules.MAX_BUILDING
        )
    return _("看不懂“{word}”，请写楼号。").format(word=change.word)


def _grid_changed(_: Translate, out: flow.GridChanged) -> str:
    """What changed, then what the grid worker looks after now."""
    name, fmt = out.target_name, rules.format_buildings
    lines: list[str] = []
    if out.added:
        lines.append(
            _("{name} 新增负责：{buildings}号楼。").format(name=name, buildings=fmt(out.added))
        )
    for previous, buildings in out.taken:
        lines.append(
            _("（{buildings}号楼原来由 {previous} 负责，已改为 {name}。）").format(
                buildings=fmt(buildings), previous=previous, name=name
            )
        )
    if out.removed:
        lines.append(
            _("{name} 不再负责：{buildings}号楼（这些楼暂时没有网格员）。").format(
                name=name, buildings=fmt(out.removed)
            )
        )
    if out.unchanged:
        text = (
            _("{buildings}号楼本来就不归 {name} 负责。")
            if out.remove
            else _("{buildings}号楼本来就归 {name} 负责。")
        )
        lines.append(text.format(buildings=fmt(out.unchanged), name=name))
    lines.append(
        _("{name} 现在负责：{buildings}号楼。").format(name=name, buildings=fmt(out.now))
        if out.now
        else _("{name} 现在没有负责的楼。").format(name=name)
    )
    return "\n".join(lines)


# ---- /team ------------------------------------------------------------------------------------
def _member_line(_: Translate, member: roles_flow.Member) -> str:
    line = "· " + member.name + (f" @{member.username}" if member.username else "")
    if member.buildings:
        line += " — " + _("{buildings}号楼").format(
            buildings=rules.format_buildings(member.buildings)
        )
    if member.skills:
        line += " — " + "、".join(_(s) for s in member.skills)
    return line


async def team_command(update: Update, context: Context) -> None:
    """/team: staff, grid workers with their buildings, volunteers with their skills. Names and
    @usernames only (fine in the group too), split into as many messages as it needs."""
    _ = await tr_chat(update, context)
    community = await acting_community(
        update, context, _, refusal=_("只有社区工作人员可以查看角色名单。")
    )
    if community is None:
        return
    team = await roles_flow.team(context.rt, community["id"])
    lines = [_("【{community}角色名单】").format(community=community["name"])]
    for role, members in (
        (rules.Role.STAFF, team.staff),
        (rules.Role.GRID_WORKER, team.grid_workers),
        (rules.Role.VOLUNTEER, team.volunteers),
    ):
        lines.append("")
        lines.append(_("{role}（{n}人）：").format(role=_(rules.ROLE_NAMES[role]), n=len(members)))
        lines += [_member_line(_, m) for m in members] or [_("（暂无）")]
    await reply_long(update, "\n".join(lines))
