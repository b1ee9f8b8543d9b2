"""Communities and people: wiring, /me and /grid.

The registration conversation is in `handlers/community_register.py`, the staff commands
(/setup, /grant, /revoke, /grid_assign, /team) in `handlers/community_roles.py`; what they change is
done by `bot/workflows/community.py`.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import callbacks
from bot import community as rules
from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_, Translate
from bot.workflows import community as flow
from bot.workflows.community import GridChart
from handlers import command_menu, community_households, community_register, community_roles
from handlers.community_register import AFTER_REGISTER, AfterRegister
from handlers.shared import Context, deep_link, group_community, is_private, reply, tr_chat
from storage.db import Row

__all__ = ["AFTER_REGISTER", "AfterRegister", "register"]

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
declare("team", N_("角色名单：工作人员、网格员、志愿者"), Audience.STAFF, order=14)


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
    me = await flow.profile(context.rt, user.id)
    lines: list[str] = [
        _("{community}：{address}（称呼：{name}）").format(
            community=r.community_name, address=r.address.label(_), name=r.display_name
        )
        for r in me.residencies
    ]
    for held in me.roles:
        names = "、".join(_(rules.ROLE_NAMES[r]) for r in held.roles)
        lines.append(
            _("{community}的角色：{roles}").format(community=held.community_name, roles=names)
        )
        if held.skills:
            lines.append(_("技能：{skills}").format(skills="、".join(_(s) for s in held.skills)))
    if me.waiting is not None:
        lines.append(
            _("{community}：申请加入 {address}，等这户的家人确认。").format(
                community=me.waiting.community_name, address=me.waiting.address.label(_)
            )
        )
    if not me.residencies and not me.roles:
        lines.append(_("您还没有登记。发送 /register 登记门牌。"))
    await reply(update, "\n".join(lines))


# ---- /grid -----------------------------------------------------------------------------------
def _contact_button(_: Translate, worker: Row) -> InlineKeyboardButton:
    url = (
        f"https://t.me/{worker['username']}"
        if worker["username"]
        else (f"tg://user?id={worker['id']}")
    )
    return InlineKeyboardButton(_("联系 {name}").format(name=worker["first_name"])[:60], url=url)


def _chart_lines(_: Translate, chart: GridChart) -> list[str]:
    return [
        _("{buildings}号楼：网格员 {name}").format(
            buildings=rules.format_buildings(buildings), name=name
        )
        for name, buildings in chart.workers
    ] or [_("还没有分配网格员。")]


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
        chart = await flow.grid_chart(rt, group["community_id"], group["community_name"])
        lines = [_("【{community}网格公示】").format(community=chart.community_name)]
        lines += _chart_lines(_, chart)
        lines.append(_("想知道自己楼的网格员怎么联系，请点按钮私聊查询。"))
        await reply(
            update,
            "\n".join(lines),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("🔎 我的网格员"), url=deep_link(context, "grid"))]]
            ),
        )
        return
    mine = await flow.my_grid(rt, user.id)
    buttons: list[list[InlineKeyboardButton]] = []
    lines = []
    for home in mine.buildings:
        if home.worker is None:
            lines.append(
                _("{community}{building}号楼还没有网格员，请联系社区工作人员。").format(
                    community=home.community_name, building=home.building
                )
            )
        else:
            lines.append(
                _("{community}{building}号楼的网格员是 {name}。").format(
                    community=home.community_name,
                    building=home.building,
                    name=home.worker["first_name"],
                )
            )
            buttons.append([_contact_button(_, home.worker)])
    for chart in mine.charts:
        lines.append(_("【{community}网格总表】").format(community=chart.community_name))
        lines += _chart_lines(_, chart)
        if chart.more_missing:
            lines.append(
                _("没有网格员的楼不止 {n} 栋，其中有：{buildings}").format(
                    n=len(chart.missing), buildings=rules.format_buildings(chart.missing)
                )
            )
        elif chart.missing:
            lines.append(
                _("没有网格员的楼：{buildings}").format(
                    buildings=rules.format_buildings(chart.missing)
                )
            )
    if not mine.buildings and not mine.charts:
        lines.append(_("您还没有登记门牌，所以我不知道您住哪栋楼。发送 /register 登记。"))
    await reply(
        update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
    )


def register(app: App) -> None:
    command_menu.register(app)  # role holders' own menus go with the roles
    community_households.register(app)
    app.add_handler(community_register.conversation())
    app.add_handler(CommandHandler("start", grid_command, filters.Regex(r"^/start grid$")))
    app.add_handler(CommandHandler("start", me_command, filters.Regex(r"^/start me$")))
    app.add_handler(CommandHandler("setup", community_roles.setup_command))
    app.add_handler(
        CallbackQueryHandler(
            community_roles.move_button, pattern=callbacks.pattern(community_roles.GM)
        )
    )
    app.add_handler(CommandHandler("me", me_command))
    app.add_handler(CommandHandler("grant", community_roles.grant_command))
    app.add_handler(CommandHandler("revoke", community_roles.revoke_command))
    app.add_handler(CommandHandler("grid_assign", community_roles.grid_assign_command))
    app.add_handler(CommandHandler("team", community_roles.team_command))
    app.add_handler(CommandHandler("grid", grid_command))
