"""The wall screen's words in Chinese (zh-CN, the terms staff use; see DOMAIN.md) and English.

    t("panel.assign", "zh-CN")             -> "派单"
    t("panel.confirm_assign", "en", crew=7) -> "Assign crew 7 to this ticket?"
    ticket_type_label("gas_leak", "zh-CN") -> "漏气/闻到燃气味"   (from dispatch.ticket_model)
    format_duration(725, "zh-CN")           -> "12分05秒"

Nothing here raises on a missing word: an unknown message id, language or code falls back to
English, then to the id or code itself, so a gap shows up on screen rather than as a crash.
Languages are given as ``"zh-CN"`` or ``"en"``; other spellings of Chinese (``"zh"``,
``"zh_CN"``, ``"zh-Hans"``) mean zh-CN and anything else means English. Plain data and pure
functions: no I/O, no per-user state (the chosen language lives in the URL or a ``dcc.Store``).
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dispatch.ticket_model import STATUSES, TICKET_TYPES

log = logging.getLogger(__name__)

ZH = "zh-CN"
EN = "en"
LANGUAGES = (ZH, EN)
#: The language of the wall screen when none is asked for: the staff's.
DEFAULT_LANGUAGE = ZH
#: Shown where a value is missing (no deadline, no ETA, no time).
MISSING = "—"

#: Crew statuses (as in ``crews.status``) -> (zh-CN, en).
CREW_STATUS_TERMS: dict[str, tuple[str, str]] = {
    "available": ("空闲", "Available"),
    "busy": ("忙碌", "Busy"),
    "off_duty": ("下班", "Off duty"),
    "out_of_service": ("停用", "Out of service"),
}
#: Crew skills (as in ``crews.skills``) -> (zh-CN, en).
SKILL_TERMS: dict[str, tuple[str, str]] = {
    "emergency": ("抢险", "Emergency"),
    "indoor_repair": ("户内维修", "Indoor repair"),
    "meter": ("表具", "Meters"),
    "installation": ("安装", "Installation"),
}
#: Ticket categories (``dispatch.ticket_model.category_of``) -> (zh-CN, en).
CATEGORY_TERMS: dict[str, tuple[str, str]] = {
    "emergency": ("抢险", "Emergency"),
    "repair": ("维修", "Repair"),
    "scheduled": ("预约服务", "Scheduled service"),
    "non_field": ("非现场", "Non-field"),
}
#: Ticket statuses (``dispatch.ticket_model.STATUSES``) -> (zh-CN, en).
STATUS_TERMS: dict[str, tuple[str, str]] = {
    "new": ("新建", "New"),
    "assigned": ("已派单", "Assigned"),
    "accepted": ("已接单", "Accepted"),
    "en_route": ("在途", "En route"),
    "on_site": ("已到场", "On site"),
    "made_safe": ("险情已控制", "Made safe"),
    "repaired": ("已修复", "Repaired"),
    "gas_restored": ("已恢复供气", "Gas restored"),
    "closed": ("已关闭", "Closed"),
    "cancelled": ("已取消", "Cancelled"),
}
#: Priorities 1 (most urgent) to 4 -> (zh-CN, en).
PRIORITY_TERMS: dict[int, tuple[str, str]] = {
    1: ("一级", "P1"),
    2: ("二级", "P2"),
    3: ("三级", "P3"),
    4: ("四级", "P4"),
}
# English names of the ticket types; the Chinese ones come from dispatch.ticket_model.TICKET_TYPES.
_TICKET_TYPE_EN: dict[str, str] = {
    "gas_leak": "Gas leak / odour",
    "third_party_damage": "Third-party damage",
    "fire_explosion": "Fire / explosion",
    "no_gas_area": "No gas (area)",
    "indoor_leak_repair": "Indoor leak repair",
    "meter_fault": "Meter fault",
    "appliance_repair": "Appliance repair",
    "paid_repair": "Paid repair",
    "free_repair": "Free repair",
    "gas_on_ignition": "Gas-on / ignition",
    "safety_inspection": "Safety inspection",
    "indoor_modification": "Indoor modification",
    "appliance_installation": "Appliance installation",
    "meter_reading": "Meter reading",
    "consultation": "Consultation",
    "complaint": "Complaint",
    "suggestion": "Suggestion",
}

# Message id -> (zh-CN, en). Ids are "<part>.<what>"; "{name}" marks a value filled in by t().
_MESSAGES: dict[str, tuple[str, str]] = {
    # header
    "app.title": ("燃气抢修调度中心", "Gas dispatch control room"),
    "lang.label": ("语言", "Language"),
    "lang.switch": ("English", "中文"),  # names the language the link switches to
    "lang.zh-CN": ("中文", "Chinese"),
    "lang.en": ("英文", "English"),
    "logout": ("退出登录", "Log out"),
    "user.signed_in_as": ("当前用户", "Signed in as"),
    "clock.server_time": ("系统时间", "System time"),
    # the header's navigation, one name per page (dashboards.pages.site_map)
    "nav.label": ("页面导航", "Pages"),
    "page.wall": ("调度大屏", "Dispatch wall"),
    "page.hotline": ("热线受理", "Hotline"),
    "page.crew": ("班组任务", "Crew jobs"),
    "page.manager": ("管理看板", "Management"),
    "page.read_only": ("只读", "read-only"),
    # roles (dispatch.auth.ROLES), as the staff call them
    "role.hotline_agent": ("热线接听员", "Hotline agent"),
    "role.dispatcher": ("调度员", "Dispatcher"),
    "role.crew_lead": ("抢修班长", "Crew lead"),
    "role.manager": ("经理", "Manager"),
    "role.admin": ("系统管理员", "Administrator"),
    # pages still to come: what each will hold and what the role can use until then
    "coming.title": ("此页面即将提供", "Coming to this page"),
    "coming.available_now": ("现在可以使用", "Available now"),
    "coming.api": ("系统接口说明（供系统对接）", "API description (for integrations)"),
    "coming.crew.assignment": (
        "您的派单任务：地点、情况、来电人",
        "Your assignment: where, what, who called",
    ),
    "coming.crew.route": ("行车路线", "The route"),
    "coming.crew.valves": ("需关闭的阀门", "The valves to close"),
    "coming.crew.status": (
        "状态按钮：已接单、在途、已到场、险情已控制、已修复",
        "Status buttons: accepted, en route, on site, made safe, repaired",
    ),
    "coming.crew.sign_off": ("客户签字确认", "Customer sign-off"),
    "coming.hotline.find": (
        "按电话、户号、表号或地址查找客户",
        "Find the customer by phone, account, meter number or address",
    ),
    "coming.hotline.create": ("一分钟内建立工单", "Open a work order in under a minute"),
    "coming.hotline.emergency": ("一眼看出是否为抢险", "See at once whether it is an emergency"),
    "coming.hotline.repeat": ("重复来电并入已有工单", "Link repeat calls to the open ticket"),
    "coming.hotline.complaint": ("投诉登记", "Register complaints"),
    "coming.manager.response_map": ("响应时间地图", "Response-time map"),
    "coming.manager.compliance": ("到场及时率", "Arrival deadline compliance"),
    "coming.manager.satisfaction": ("回访满意度", "Callback satisfaction"),
    "coming.manager.complaints": ("投诉统计", "Complaint statistics"),
    "coming.manager.workload": ("班组工作量", "Crew workload"),
    # refusals
    "error.forbidden": ("无权访问此页面", "You may not open this page"),
    "error.forbidden_detail": (
        "您的角色（{role}）无权打开 {path}。",
        "Your role ({role}) may not open {path}.",
    ),
    "error.not_found": ("页面不存在", "Page not found"),
    "error.not_found_detail": ("没有地址为 {path} 的页面。", "There is no page at {path}."),
    "error.go_home": ("返回我的首页", "Go to my start page"),
    # incident queue
    "queue.title": ("待处理工单", "Incident queue"),
    "queue.number": ("工单号", "Ticket no."),
    "queue.priority": ("级别", "Priority"),
    "queue.type": ("类型", "Type"),
    "queue.address": ("地址", "Address"),
    "queue.callers": ("来电数", "Callers"),
    "queue.since_call": ("距来电", "Since call"),
    "queue.deadline": ("到场倒计时", "Arrival deadline"),
    "queue.overdue": ("已超时", "Overdue"),
    "queue.arrived": ("已到场", "Arrived"),
    "queue.crew": ("抢修班组", "Crew"),
    "queue.eta": ("预计到达", "ETA"),
    "queue.status": ("状态", "Status"),
    "queue.empty": ("暂无待处理工单", "No open incidents"),
    # incident panel
    "panel.title": ("工单详情", "Incident"),
    "panel.none_selected": (
        "请在列表或地图上选择工单",
        "Select an incident in the queue or on the map",
    ),
    "panel.received_at": ("接警时间", "Call received"),
    "panel.caller": ("来电人", "Caller"),
    "panel.phone": ("电话", "Phone"),
    "panel.description": ("情况描述", "Description"),
    "panel.recommended": ("推荐班组", "Recommended crews"),
    "panel.no_crews": ("暂无可到达的班组", "No crew can reach it now"),
    "panel.finishes_first": ("完成当前任务后最快", "first after finishing its job"),
    "panel.eta": ("预计到达", "ETA"),
    "panel.distance": ("路程", "Distance"),
    "panel.assign": ("派单", "Assign"),
    "panel.confirm": ("确认", "Confirm"),
    "panel.confirm_assign": ("确认将此工单派给班组 {crew}？", "Assign crew {crew} to this ticket?"),
    "panel.assigned": ("已派单", "Assigned"),
    "panel.assign_failed": ("派单失败", "Assignment failed"),
    "panel.reassign": ("改派", "Reassign"),
    "panel.cancel": ("取消工单", "Cancel ticket"),
    "panel.cancelled": ("工单已取消", "Ticket cancelled"),
    "alarm.sound": ("告警声音", "Alarm sound"),
    "panel.reason": ("原因", "Reason"),
    "panel.reason_required": ("请填写原因", "A reason is required"),
    "panel.isolation": ("关阀方案", "Isolation plan"),
    "panel.valves": ("需关闭阀门", "Valves to close"),
    "panel.affected": ("影响用户数", "Customers affected"),
    "panel.critical": ("重点用户", "Critical customers"),
    "panel.warning_zone": ("警戒区", "Warning zone"),
    "panel.history": ("处理记录", "Event history"),
    # KPI tiles
    "kpi.open_p1": ("未结一级工单", "Open P1"),
    "kpi.at_risk": ("超时风险工单", "At risk"),
    "kpi.median_arrival": ("今日到场时间中位数", "Median arrival today"),
    "kpi.within_target": ("今日到场及时率", "Within target today"),
    "kpi.crews_available": ("空闲班组", "Crews available"),
    "kpi.crews_busy": ("忙碌班组", "Crews busy"),
    "kpi.crews_stale": ("定位中断班组", "Crews stale"),
    "kpi.uncovered_areas": ("无班组覆盖区域", "Uncovered areas"),
    # alarms ("alarm.<kind>" for every kind dispatch.wall_read_model raises)
    "alarm.title": ("告警", "Alarms"),
    "alarm.new_p1": ("新一级工单", "New P1 ticket"),
    "alarm.deadline_at_risk": ("到场时限告急", "Deadline at risk"),
    "alarm.deadline_missed": ("到场已超时", "Deadline missed"),
    "alarm.stale_crew": ("执行任务班组定位中断", "Stale crew with an active job"),
    "alarm.acknowledge": ("确认告警", "Acknowledge"),
    "alarm.acknowledged": ("已确认", "Acknowledged"),
    "alarm.none": ("无告警", "No alarms"),
    # video wall
    "video.title": ("视频监控", "Video wall"),
    "video.cameras": ("摄像头", "Cameras"),
    "video.enlarge": ("放大", "Enlarge"),
    "video.close": ("关闭", "Close"),
    "video.live": ("实时", "LIVE"),
    "video.none": ("附近无摄像头", "No camera near this incident"),
    "video.no_signal": ("无信号", "No signal"),
    # map
    "map.crews": ("班组", "Crews"),
    "map.incidents": ("工单", "Incidents"),
    "map.mains": ("燃气管线", "Gas mains"),
    "map.valves": ("阀门", "Valves"),
    # common
    "common.loading": ("加载中…", "Loading…"),
    "common.database_unavailable": ("数据库不可用", "Database unavailable"),
    "common.no_territory": ("尚未加载区域数据", "No territory loaded yet"),
    "unit.min": ("分钟", "min"),
    "unit.km": ("公里", "km"),
    # the crew lead's phone (/crew)
    "alarm.valve_stuck": ("阀门卡死，关阀方案已扩大", "Valve stuck, plan widened"),
    "crew.my_job": ("我的任务", "My job"),
    "crew.no_job": ("暂无派单任务，新任务到达时会提醒", "No job now: a new one will alert you"),
    "crew.no_crew": ("您的账号未关联抢修班组", "Your user leads no crew"),
    "crew.call": ("拨打", "Call"),
    "crew.deadline": ("到场倒计时", "Arrive within"),
    "crew.overdue": ("已超时", "Overdue by"),
    "crew.way": ("行车路线", "The way there"),
    "crew.eta": ("预计到达", "ETA"),
    "crew.navigate": ("导航前往", "Navigate"),
    "crew.no_route": ("暂无已存路线", "No stored route"),
    "crew.valves": ("需关闭的阀门（按顺序）", "Valves to close, in order"),
    "crew.no_valves": ("本工单无关阀方案", "No isolation plan for this job"),
    "crew.valve": ("阀门", "Valve"),
    "crew.from_leak": ("距漏点 {m} 米", "{m} m from the leak"),
    "crew.valve_closed": ("已关闭", "Closed"),
    "crew.valve_stuck": ("卡死/无法关闭", "Stuck / cannot close"),
    "crew.valve_state.open": ("待关闭", "To close"),
    "crew.valve_state.closed": ("已关闭", "Closed"),
    "crew.valve_state.stuck": ("卡死", "Stuck"),
    "crew.reported_closed": ("已记录阀门 {valve} 关闭", "Valve {valve} recorded closed"),
    "crew.reported_stuck": (
        "阀门 {valve} 卡死：关阀方案已扩大，调度已收到告警",
        "Valve {valve} stuck: the plan is widened and dispatch alerted",
    ),
    "crew.steps": ("工作状态", "Status"),
    "crew.step.accepted": ("接单", "Accept"),
    "crew.step.en_route": ("出发", "On my way"),
    "crew.step.on_site": ("到达现场", "On site"),
    "crew.step.made_safe": ("险情已控制", "Made safe"),
    "crew.step.repaired": ("修复完成", "Repaired"),
    "crew.step.gas_restored": ("恢复供气", "Gas restored"),
    "crew.step.closed": ("完工", "Finished"),
    "crew.reason.done": ("已完成", "Done"),
    "crew.reason.not_next": ("需先：{next}", "First: {next}"),
    "crew.reason.dispatcher_only": ("由调度员完工关单", "The dispatcher closes the job"),
    "crew.status_set": ("状态已更新：{status}", "Status now: {status}"),
    "crew.failed": ("操作未成功", "Not done"),
    "crew.queued": ("待办任务", "Queued jobs"),
    "crew.earlier": ("已完成任务", "Earlier jobs"),
    "crew.none": ("无", "None"),
    # the manager's page (dashboards/pages/manager.py)
    "mgr.period": ("统计期间", "Period"),
    "mgr.types": ("工单类型", "Work-order types"),
    "mgr.types_all": ("全部类型", "All types"),
    "mgr.priorities": ("优先级", "Priorities"),
    "mgr.resolution": ("六边形大小", "Hexagon size"),
    "mgr.resolution_n": ("H3 第 {n} 级（约 {km} 平方公里）", "H3 level {n} (about {km} km²)"),
    "mgr.map_title": (
        "响应时间地图（接警至到场，中位数）",
        "Response-time map (call to arrival, median)",
    ),
    "mgr.legend_sparse": ("作业少于 {n} 单（不着色）", "Fewer than {n} jobs (not coloured)"),
    "mgr.summary": (
        "{jobs} 单已到场；中位数 {median} 分钟，90 百分位 {p90} 分钟",
        "{jobs} jobs reached; median {median} min, 90th percentile {p90} min",
    ),
    "mgr.no_jobs": ("所选期间没有到场记录", "No arrivals in the chosen period"),
    "mgr.compliance_title": ("各时限标准下的及时率", "Share within target by clock policy"),
    "mgr.col.policy": ("时限标准", "Policy"),
    "mgr.col.decided": ("已判定", "Decided"),
    "mgr.col.met": ("及时", "Met"),
    "mgr.col.missed": ("超时", "Missed"),
    "mgr.col.share": ("及时率", "Share"),
    "mgr.col.target": ("目标", "Target"),
    "mgr.col.meets": ("达标", "Meets target"),
    "mgr.policy.urban": ("城区（30 分钟）", "Urban (30 min)"),
    "mgr.policy.rural": ("城外（60 分钟）", "Rural (60 min)"),
    "mgr.policy.henan": ("河南标准（5 分钟出发，60 分钟到场）", "Henan (leave 5, arrive 60 min)"),
    "mgr.policy.uk": ("英国标准（1/2 小时，97%）", "UK (1 h / 2 h, 97 %)"),
    "mgr.yes": ("是", "Yes"),
    "mgr.no": ("否", "No"),
    "mgr.log_title": ("每日漏气记录", "Daily leak log"),
    "mgr.log_date": ("日期", "Date"),
    "mgr.log_csv": ("下载 CSV", "Download CSV"),
    "mgr.log_review": ("标记为已审核", "Mark reviewed"),
    "mgr.log_reviewed": ("已由 {by} 于 {at} 审核", "Reviewed by {by} at {at}"),
    "mgr.log_not_reviewed": ("未审核；应于 {due} 前审核", "Not reviewed; due by {due}"),
    "mgr.log_overdue": ("已超过审核时限", "Review overdue"),
    "mgr.review_not_over": (
        "当天尚未结束，不能审核",
        "The day is not over yet; it cannot be reviewed",
    ),
    "mgr.review_done_before": ("该日记录已审核过", "That day's log was reviewed already"),
    "mgr.review_forbidden": ("您的角色不能审核漏气记录", "Your role may not review the leak log"),
    "mgr.log_empty": ("当天没有漏气报告", "No leak reports that day"),
    "mgr.log.number": ("工单号", "Number"),
    "mgr.log.location": ("地点", "Location"),
    "mgr.log.received_at": ("接报时间", "Received"),
    "mgr.log.type": ("类型", "Type"),
    "mgr.log.dispatched_at": ("派单时间", "Dispatched"),
    "mgr.log.arrived_at": ("到场时间", "Arrived"),
    "mgr.log.crew": ("班组", "Crew"),
    "mgr.log.response_min": ("响应（分钟）", "Response (min)"),
    "mgr.alarm_unreviewed": (
        "漏气记录未按时审核：{days}",
        "Leak logs not reviewed in time: {days}",
    ),
    # the crew's site work (dispatch.site_rules): checklist items, household marks, hazards
    "site.check.warning_zone_set": ("已设置警戒区", "Warning zone set"),
    "site.check.signs_posted": ("已设置警示标志", "Signs posted"),
    "site.check.guardian_named": ("已指定监护人（现场至少两人）", "Guardian named (2+ on site)"),
    "site.check.anti_static_clothing": ("已穿防静电服", "Anti-static clothing worn"),
    "site.check.non_explosion_proof_equipment_allowed": (
        "浓度安全，可使用非防爆设备",
        "Safe: non-explosion-proof equipment allowed",
    ),
    "site.check.manholes_checked": ("已检查窨井", "Manholes checked"),
    "site.check.cellars_checked": ("已检查地下室", "Cellars checked"),
    "site.check.chimneys_checked": ("已检查烟道", "Chimneys checked"),
    "site.check.underground_lines_checked": ("已检查地下管线", "Underground lines checked"),
    "site.check.nearby_buildings_checked": ("已检查周边建筑", "Nearby buildings checked"),
    "site.check.hazard_gone": ("险情已消除", "Hazard gone"),
    "site.reading": ("燃气浓度 {value} %LEL", "Gas {value} % LEL"),
    "site.mark.valves_closed": ("表前阀和灶前阀已关闭", "Meter valve and appliance valve closed"),
    "site.mark.not_at_home": ("无人在家：立管阀保持关闭", "Not at home: riser valve stays closed"),
    "site.mark.kept_off": ("存在隐患：暂不供气", "Hazard open: gas kept off"),
    "site.hazard.gas_leak": ("漏气", "Gas leak"),
    "site.hazard.aged_hose": ("胶管老化", "Aged hose"),
    "site.hazard.appliance_fault": ("燃气具故障", "Appliance fault"),
    "site.hazard.illegal_modification": ("私改燃气设施", "Illegal modification"),
    "site.hazard.poor_ventilation": ("通风不良", "Poor ventilation"),
    "site.hazard.meter_fault": ("表具故障", "Meter fault"),
    "site.hazard.other": ("其他隐患", "Other hazard"),
    "site.customer_refused": ("用户拒绝签字", "Customer refused to sign"),
    "site.total": ("合计 {total} 元", "Total CNY {total}"),
    # the manager's page, issue 12's remainder (manager_callbacks, manager_service, exports)
    "mgr.cell_jobs_title": ("六边形内的工单", "Jobs in the hexagon"),
    "mgr.cell_jobs_hint": ("点击地图上的六边形查看其工单", "Click a hexagon to list its jobs"),
    "mgr.cell_jobs_n": ("{cell}：共 {n} 单（显示 {shown} 单）", "{cell}: {n} jobs ({shown} shown)"),
    "mgr.trend_title": (
        "每周趋势（中位数 / 90 百分位）",
        "Weekly trend (median / 90th percentile)",
    ),
    "mgr.trend_median": ("中位数", "Median"),
    "mgr.trend_p90": ("90 百分位", "90th percentile"),
    "mgr.breakdown_title": ("及时率分解", "Compliance broken down"),
    "mgr.by.week": ("按周", "By week"),
    "mgr.by.month": ("按月", "By month"),
    "mgr.by.district": ("按区域", "By district"),
    "mgr.by.crew": ("按班组", "By crew"),
    "mgr.csv": ("CSV", "CSV"),
    "mgr.measures_title": ("其他指标", "Other measures"),
    "mgr.m.resolution": ("解决率", "Resolution rate"),
    "mgr.m.first_time_pass": ("一次修复合格率", "First-time pass rate"),
    "mgr.m.complaints": ("投诉处理率", "Complaint handling rate"),
    "mgr.m.satisfaction": ("客户满意度（回访）", "Customer satisfaction (callbacks)"),
    "mgr.m.workload": ("班组工作量与利用率", "Crew workload and utilisation"),
    "mgr.mc.jobs": ("工单", "Jobs"),
    "mgr.mc.resolved": ("已解决", "Resolved"),
    "mgr.mc.rate": ("比率", "Rate"),
    "mgr.mc.closed": ("已完工", "Closed"),
    "mgr.mc.passed": ("一次合格", "Passed first time"),
    "mgr.mc.received": ("受理", "Received"),
    "mgr.mc.handled": ("已闭环", "Handled"),
    "mgr.mc.replied_on_time": ("按时答复", "Replied on time"),
    "mgr.mc.on_time_rate": ("按时答复率", "On-time reply rate"),
    "mgr.mc.grouping": ("分组方式", "Grouping"),
    "mgr.mc.group": ("组", "Group"),
    "mgr.mc.answers": ("回访数", "Answers"),
    "mgr.mc.attitude": ("服务态度", "Attitude"),
    "mgr.mc.skill": ("专业能力", "Skill"),
    "mgr.mc.overall": ("满意度", "Satisfaction"),
    "mgr.mc.overall_group": ("总体", "Overall"),
    "mgr.mc.by_worker": ("按人员", "Per worker"),
    "mgr.mc.by_team": ("按班组所属站点", "Per team (depot)"),
    "mgr.mc.crew": ("班组", "Crew"),
    "mgr.mc.shift": ("班次", "Shift"),
    "mgr.mc.busy_h": ("作业小时", "Busy hours"),
    "mgr.mc.duty_h": ("值班小时", "On-duty hours"),
    "mgr.mc.utilisation": ("利用率", "Utilisation"),
    "mgr.exports_title": ("导出", "Exports"),
    "mgr.export_month": ("月份", "Month"),
    "mgr.export_map": ("地图（HTML，离线）", "Map (HTML, offline)"),
    "mgr.export_pdf": ("月度报告（PDF）", "Monthly report (PDF)"),
    "mgr.export_log_pdf": ("当日漏气记录（PDF）", "Day's leak log (PDF)"),
    "mgr.export_buckets_pdf": ("月度分档汇总（PDF）", "Monthly buckets (PDF)"),
    "alarm.leak_log_unreviewed": ("漏气记录未按时审核", "Leak log not reviewed in time"),
}


def _build_texts() -> dict[str, dict[str, str]]:
    texts = {key: {ZH: zh, EN: en} for key, (zh, en) in _MESSAGES.items()}
    for code, (_category, _priority, zh) in TICKET_TYPES.items():
        en = _TICKET_TYPE_EN.get(code) or code.replace("_", " ").capitalize()
        texts[f"ticket_type.{code}"] = {ZH: zh, EN: en}
    tables: dict[str, dict] = {
        "status": STATUS_TERMS,
        "crew_status": CREW_STATUS_TERMS,
        "skill": SKILL_TERMS,
        "category": CATEGORY_TERMS,
        "priority": PRIORITY_TERMS,
    }
    for prefix, table in tables.items():
        for code, (zh, en) in table.items():
            texts[f"{prefix}.{code}"] = {ZH: zh, EN: en}
    for status in STATUSES:  # a status added to dispatch.ticket_model still gets a label
        texts.setdefault(f"status.{status}", {ZH: status, EN: status.replace("_", " ")})
    return texts


#: Message id -> {language -> text}; every entry has both languages.
TEXTS: dict[str, dict[str, str]] = _build_texts()


def normalize_language(lang: str | None) -> str:
    """``"zh-CN"`` for any spelling of Chinese, ``"en"`` for anything else (``None`` gives
    :data:`DEFAULT_LANGUAGE`)."""
    if not lang:
        return DEFAULT_LANGUAGE
    return ZH if str(lang).strip().lower().startswith("zh") else EN


def t(key: str, lang: str | None, **values: object) -> str:
    """The text of message ``key`` in ``lang``, else in English, else ``key`` itself; with
    ``values`` its ``{name}`` fields are filled in (left as they are if that fails). Never
    raises."""
    entry = TEXTS.get(key)
    if entry is None:
        log.debug("no text for %r", key)
        return str(key)
    text = entry.get(normalize_language(lang)) or entry.get(EN) or str(key)
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            log.debug("text %r: cannot fill in %s", key, sorted(values))
    return text


def _label(prefix: str, code: object, lang: str | None) -> str:
    key = f"{prefix}.{code}"
    return t(key, lang) if key in TEXTS else str(code)


def ticket_type_label(ticket_type: str, lang: str | None) -> str:
    """The name of a ticket type (a key of ``dispatch.ticket_model.TICKET_TYPES``); the code itself
    when unknown."""
    return _label("ticket_type", ticket_type, lang)


def status_label(status: str, lang: str | None) -> str:
    """The name of a ticket status (one of ``dispatch.ticket_model.STATUSES``)."""
    return _label("status", status, lang)


def priority_label(priority: int | str, lang: str | None) -> str:
    """The name of priority 1 to 4 (``1``, ``"1"`` or ``"P1"``): ``"一级"`` / ``"P1"``."""
    text = str(priority).strip().upper().removeprefix("P")
    return _label("priority", text, lang) if text.isdigit() else str(priority)


def role_label(role: str | None, lang: str | None) -> str:
    """The name of a role (one of ``dispatch.auth.ROLES``): ``"调度员"`` / ``"Dispatcher"``."""
    return _label("role", role, lang)


def crew_status_label(status: str, lang: str | None) -> str:
    """The name of a crew status (available, busy, off_duty, out_of_service)."""
    return _label("crew_status", status, lang)


def skill_label(skill: str, lang: str | None) -> str:
    """The name of a crew skill (emergency, indoor_repair, meter, installation)."""
    return _label("skill", skill, lang)


def category_label(category: str, lang: str | None) -> str:
    """The name of a ticket category (emergency, repair, scheduled, non_field)."""
    return _label("category", category, lang)


def format_duration(seconds: float | None, lang: str | None) -> str:
    """A duration in seconds, rounded to the second: ``"12 min 05 s"`` / ``"12分05秒"``;
    ``"42 s"`` / ``"42秒"`` under a minute; ``"1 h 02 min 05 s"`` / ``"1小时02分05秒"`` from an
    hour. Negative durations (an overdue countdown) get a leading ``"-"``; ``None`` or a value
    that is not finite gives :data:`MISSING`."""
    if seconds is None:
        return MISSING
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return MISSING
    if not math.isfinite(value):
        return MISSING
    total = round(abs(value))
    sign = "-" if value < 0 and total else ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    zh = normalize_language(lang) == ZH
    if hours:
        body = (
            f"{hours}小时{minutes:02d}分{secs:02d}秒"
            if zh
            else f"{hours} h {minutes:02d} min {secs:02d} s"
        )
    elif minutes:
        body = f"{minutes}分{secs:02d}秒" if zh else f"{minutes} min {secs:02d} s"
    else:
        body = f"{secs}秒" if zh else f"{secs} s"
    return sign + body


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_clock(
    dt: datetime | None, tz: tzinfo | str | None, lang: str | None, *, with_date: bool = False
) -> str:
    """``dt`` as a 24-hour clock ``"14:05:09"`` in time zone ``tz`` (a ``tzinfo`` or an IANA
    name such as ``"Asia/Shanghai"``; ``None`` keeps ``dt``'s own zone). With ``with_date``:
    ``"3月12日 14:05:09"`` / ``"12 Mar 14:05:09"``. A naive ``dt`` is taken to be in ``tz``
    already; ``None`` gives :data:`MISSING`; an unknown zone name keeps ``dt``'s zone."""
    if dt is None:
        return MISSING
    zone = _zone(tz)
    if zone is not None:
        dt = dt.replace(tzinfo=zone) if dt.tzinfo is None else dt.astimezone(zone)
    clock = f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if not with_date:
        return clock
    if normalize_language(lang) == ZH:
        return f"{dt.month}月{dt.day}日 {clock}"
    return f"{dt.day} {_MONTHS_EN[dt.month - 1]} {clock}"


def _zone(tz: tzinfo | str | None) -> tzinfo | None:
    if tz is None or isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        log.warning("unknown time zone %r; times shown in their own zone", tz)
        return None
