"""Every word the dashboard's pages show, marked for the catalogues (bot/locales/*/dashboard.po).

Templates read them translated as `L.<key>` (bot/dashboard_web.py), so the catalogue tool finds
them here and a template never holds untranslated text.
"""

from __future__ import annotations

from bot.i18n import N_, Translate, data_text

TEXT: dict[str, str] = {
    "title": N_("社区看板"),
    "street": N_("街道总览"),
    "sign_in": N_("登录看板"),
    "sign_in_how": N_(
        "请在与机器人的私聊中发送 /dashboard，打开收到的链接；或点机器人给的“打开看板”按钮。"
    ),
    "signing_in": N_("正在通过 Telegram 登录…"),
    "refused": N_("无法打开"),
    "refused_link": N_("这个链接已过期或已用过。请在私聊中重新发送 /dashboard。"),
    "refused_page": N_("您没有查看这一页的权限。"),
    "refused_webapp": N_("Telegram 的登录信息无效或已过期，请关闭后重新打开。"),
    "sign_out": N_("退出"),
    "communities": N_("我的社区"),
    "menu": N_("点单"),
    "repairs": N_("报修"),
    "care": N_("关爱走访"),
    "notices": N_("通知与公告"),
    "print": N_("打印会议材料"),
    "print_now": N_("打印"),
    "export": N_("导出"),
    "export_all": N_("全部导出（Excel）"),
    "export_lead": N_("导出："),
    "round": N_("第 {n} 轮点单"),
    "round_short": N_("第 {n} 轮"),
    "status_open": N_("进行中"),
    "status_closed": N_("已结束"),
    "no_rounds": N_("还没有点单。"),
    "ranking": N_("排名"),
    "item": N_("项目"),
    "households": N_("户数"),
    "share": N_("占比"),
    "turnout": N_("各楼参与率"),
    "building": N_("楼栋"),
    "ordered": N_("已点单"),
    "total": N_("总户数"),
    "real_total": N_("（实际户数）"),
    "registered_total": N_("（登记户数）"),
    "total_source": N_("总户数依据"),
    "missing": N_("未点单"),
    "missing_names": N_("未点单的住户"),
    "missing_hidden": N_("{buildings}只显示未点单户数；名单只给本楼网格员和工作人员看。"),
    "missing_listed": N_("{building}：未点单 {n} 户，其中已登记的 {k} 户"),
    "missing_caption": N_(
        "已登记但还没点单的住户。没登记的住户不在名单上；各楼未点单户数见参与率表。"
    ),
    "handout_note": N_("会议材料只列户数，不列住户姓名和房号。"),
    "list_sep": N_("、"),
    "sum": N_("合计"),
    "comments": N_("建议与议一议"),
    "suggestion": N_("建议"),
    "no_comments": N_("还没有建议。"),
    "tickets": N_("报修单"),
    "filter": N_("筛选"),
    "all": N_("全部"),
    "category": N_("类别"),
    "assignee": N_("接单人"),
    "nobody": N_("无人接单"),
    "overdue": N_("已超时"),
    "words": N_("关键词"),
    "apply": N_("筛选"),
    "reset": N_("清除"),
    "open_tickets": N_("未完成"),
    "accept_time": N_("受理用时（中位数）"),
    "resolve_time": N_("解决用时（中位数）"),
    "hours": N_("{n} 小时"),
    "resolve_hours": N_("解决用时（中位数，小时）"),
    "rating": N_("评分"),
    "ratings": N_("{n} 个评分"),
    "trend": N_("每周趋势"),
    "filtered_figures": N_("下面的数字和趋势只算符合筛选条件的 {n} 单报修。"),
    "filed": N_("新报修"),
    "resolved": N_("已解决"),
    "week_of": N_("{date} 起"),
    "week_start": N_("周一日期"),
    "status": N_("状态"),
    "description": N_("问题描述"),
    "place": N_("位置"),
    "created": N_("报修时间"),
    "accepted": N_("受理时间"),
    "resolved_at": N_("解决时间"),
    "unit": N_("单元"),
    "room": N_("房号"),
    "names": N_("住户"),
    "kind": N_("类型"),
    "text": N_("内容"),
    "yes": N_("是"),
    "round_no": N_("轮次"),
    "no_tickets": N_("没有符合条件的报修。"),
    "care_people": N_("走访对象 {n} 人，暂停 {p} 人"),
    "care_alerts": N_("需要跟进的走访"),
    "help": N_("需要帮助"),
    "due": N_("应走访时间"),
    "taken": N_("接手处理"),
    "no_taker": N_("无人接手"),
    "care_person": N_("关爱对象"),
    "address": N_("地址"),
    "note": N_("备注"),
    "care_help": N_(
        "这里列出走访时报告“需要帮助”的对象，以及过了应走访时间还没有记录走访的对象。"
        "应走访时间过后一天内还是“待走访”，过了一天仍没有记录就是“逾期未记录”"
        "（和群里提醒工作人员的时间一样）。“接手处理”是在群里点了“我来处理”的人。"
    ),
    "no_alerts": N_("没有超时或需要帮助的走访。"),
    "notice": N_("定时通知"),
    "meeting": N_("会议"),
    "announcement": N_("公告"),
    "sent": N_("已送达"),
    "failed": N_("未送达"),
    "pending": N_("发送中"),
    "runs": N_("发送次数"),
    "acks": N_("已知晓"),
    "rsvp": N_("参加 {yes} / 不参加 {no}"),
    "no_notices": N_("还没有通知或公告。"),
    "community": N_("社区"),
    "no_communities": N_("还没有社区。"),
    "registered": N_("登记户数"),
    "rate_base": N_("总户数（参与率按此计算）"),
    "street_note": N_(
        "参与率 = 已点单户数 ÷ 总户数。总户数按各楼填写的实际户数，没填的楼按登记户数；"
        "登记户数是在机器人里登记过的住户。"
    ),
    "latest_turnout": N_("最近一轮参与率"),
    "printed_at": N_("打印时间：{at}"),
    # The chat's own label of a building (handlers/menu_*.py, repairs): "1" → 1号楼.
    "building_label": N_("{building}号楼"),
    "idle_note": N_("30 分钟不操作会自动退出；共用手机用完请点“退出”。"),
}


class Labels:
    """The texts in one language: `L.title`; unknown keys fail loudly in tests."""

    def __init__(self, _: Translate) -> None:
        self._ = _
        self._values = {key: _(value) for key, value in TEXT.items()}

    def item_name(self, name: str) -> str:
        """A menu item as the chat shows it: the default names translated, a name staff
        typed in Traditional for zh_Hant readers."""
        return data_text(self._, name)

    def building_name(self, building: str) -> str:
        """'1' → '1号楼' ('Building 1', '1號樓'), as the chat names a building."""
        return self._values["building_label"].format(building=building) if building else ""

    def round_name(self, round_id: int) -> str:
        return self._values["round_short"].format(n=round_id)

    def building_list(self, buildings: list[str]) -> str:
        """'1号楼、2号楼'."""
        return self._values["list_sep"].join(self.building_name(b) for b in buildings)

    def __getattr__(self, key: str) -> str:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None
