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
    # meter reading (dispatch.meter_service): the roles that sign refunds and top-ups, and the
    # tasks the reading rules raise
    "role.meter_team_lead": ("抄表班组长", "Meter-reading team lead"),
    "role.finance_manager": ("财务经理", "Finance manager"),
    "role.vice_president": ("分管副总", "Vice-president"),
    "meter_task.re_read": ("复抄核对", "Read again"),
    "meter_task.home_check": ("入户查看", "Home check"),
    "meter_task.valve_closing": ("长期零用量：关阀候选", "Zero for months: close the valve?"),
    "meter_adjustment.refund": ("退气", "Refund"),
    "meter_adjustment.top_up": ("补气", "Top-up"),
    # the call-back and complaint desks (issue 11: dashboards/pages/callback_desk.py,
    # complaint_desk.py)
    "page.callbacks": ("回访工作台", "Call-backs"),
    "page.complaints": ("投诉处理", "Complaints"),
    "role.callback_agent": ("回访员", "Call-back agent"),
    "role.complaint_handler": ("投诉处理员", "Complaint handler"),
    "cb.date": ("回访日期", "Day"),
    "cb.draw": ("抽取今日回访样本", "Draw the day's sample"),
    "cb.drawn": ("已抽取 {n} 个回访", "{n} calls drawn"),
    "cb.drawn_before": ("当日已抽取（{n} 个回访）", "Drawn already ({n} calls)"),
    "cb.sample_title": ("当日回访样本", "The day's sample"),
    "cb.not_drawn": ("当日尚未抽取样本", "Not drawn yet for this day"),
    "cb.none": ("当日样本为空", "No calls in this day's sample"),
    "cb.col.number": ("工单号", "Work order"),
    "cb.col.type": ("业务类型", "Type"),
    "cb.col.staff": ("一线员工", "Front-line staff"),
    "cb.col.customer": ("客户", "Customer"),
    "cb.col.phone": ("电话", "Phone"),
    "cb.col.status": ("状态", "Status"),
    "cb.col.scores": ("态度/能力", "Attitude / skill"),
    "cb.col.charge": ("收费", "Charge"),
    "cb.col.attire": ("着装", "Attire"),
    "cb.col.punctuality": ("守时", "Punctuality"),
    "cb.col.fu_status": ("核实结果", "Decision"),
    "cb.col.employees": ("计入考核", "Counted for"),
    "cb.col.employee": ("工号", "Employee no."),
    "cb.col.name": ("姓名", "Name"),
    "cb.col.crew": ("班组", "Crew"),
    "cb.col.confirmed": ("属实次数", "Confirmed"),
    "cb.status.pending": ("待回访", "To call"),
    "cb.status.done": ("已回访", "Called"),
    "cb.status.unreachable": ("未接通", "Not reached"),
    "cb.must_call": ("不满意复修，必须回访", "Re-done after complaint: must call"),
    "cb.call_title": ("回访", "The call"),
    "cb.pick": ("选择要回访的工单", "Pick the call to make"),
    "cb.pick_first": ("请先选择回访工单", "Pick a call first"),
    "cb.call_whom": ("回访对象：", "Call:"),
    "cb.no_leading": (
        "不可强求客户评分和引导客户评分。",
        "Do not push the customer towards a score.",
    ),
    "cb.attitude": ("服务态度（1-10分）", "Attitude (1-10)"),
    "cb.skill": ("专业能力（1-10分）", "Skill (1-10)"),
    "cb.attire": ("着装", "Attire"),
    "cb.punctuality": ("是否准时", "Punctuality"),
    "cb.rating.good": ("好", "Good"),
    "cb.rating.fair": ("中", "Fair"),
    "cb.rating.poor": ("差", "Poor"),
    "cb.charged": ("是否收费", "Was a charge made?"),
    "cb.charged_yes": ("收费", "Charged"),
    "cb.charged_no": ("未收费", "Not charged"),
    "cb.amount": ("收费金额（元）", "Amount (CNY)"),
    "cb.issues": ("意见及建议", "Issues raised"),
    "cb.save": ("保存回访结果", "Save the answer"),
    "cb.unreachable": ("未接通", "Not reached"),
    "cb.saved": ("已保存", "Saved"),
    "cb.reopened": ("客户不满意：工单已重新派单", "Customer not satisfied: the job is re-opened"),
    "cb.follow_up_opened": ("着装/守时为中或差：已转主管核实", "Fair/poor: sent to a supervisor"),
    "cb.mismatch": ("收费不符", "Charge mismatch"),
    "cb.mismatch_detail": (
        "收费与工单记录不符（工单签字金额 {recorded} 元）",
        "The charge differs from the job's record (signed for CNY {recorded})",
    ),
    "cb.follow_ups_title": ("着装/守时跟踪核实", "Follow-ups: attire and punctuality"),
    "cb.no_follow_ups": ("没有需要核实的回答", "No answers to follow up"),
    "cb.fu_pick": ("选择待核实的回答", "Pick a follow-up"),
    "cb.fu_confirm": ("情况属实，计入考核", "Confirm: counts in the appraisal"),
    "cb.fu_reject": ("有合理解释，不计入", "Reject: explained"),
    "cb.fu.open": ("待核实", "Open"),
    "cb.fu.confirmed": ("属实", "Confirmed"),
    "cb.fu.rejected": ("不属实", "Rejected"),
    "cb.appraisal_title": ("员工绩效考核（本季度）", "Appraisal per employee (this quarter)"),
    "cb.no_appraisal": ("本季度没有属实的记录", "No confirmed follow-ups this quarter"),
    "cp.intake_title": ("投诉受理", "Complaint intake"),
    "cp.channel": ("投诉渠道", "Channel"),
    "cp.channel.counter": ("营业厅", "Counter"),
    "cp.channel.hotline": ("热线", "Hotline"),
    "cp.channel.account_manager": ("客户经理", "Account manager"),
    "cp.channel.website": ("网站", "Website"),
    "cp.channel.letter": ("信函", "Letter"),
    "cp.channel.visit": ("来访", "Visit"),
    "cp.channel.media": ("媒体", "Media"),
    "cp.channel.government_hotline": ("政府热线", "Government hotline"),
    "cp.channel.head_office": ("上级转办", "Head office"),
    "cp.level": ("投诉级别", "Level"),
    "cp.level_auto": ("按渠道自动判定", "From the channel"),
    "cp.level.1": ("一级投诉", "Level 1"),
    "cp.level.2": ("二级投诉", "Level 2"),
    "cp.class": ("有责类别", "Staff-at-fault class"),
    "cp.class.A": ("A类", "Class A"),
    "cp.class.B": ("B类", "Class B"),
    "cp.class.C": ("C类", "Class C"),
    "cp.class_none": ("未分类", "Unclassified"),
    "cp.department": ("责任部门", "Responsible department"),
    "cp.worker": ("被投诉员工", "Staff member"),
    "cp.name": ("客户姓名", "Customer"),
    "cp.phone": ("联系电话", "Phone"),
    "cp.account": ("户号", "Account"),
    "cp.description": ("投诉内容", "Complaint"),
    "cp.submit": ("登记投诉", "Take the complaint in"),
    "cp.taken_in": (
        "已登记投诉 #{id}（{level}），须于 {due} 前答复",
        "Complaint #{id} taken in ({level}); reply due {due}",
    ),
    "cp.open_title": ("处理中的投诉", "Open complaints"),
    "cp.none_open": ("没有处理中的投诉", "No open complaints"),
    "cp.pick": ("选择投诉", "Pick a complaint"),
    "cp.pick_first": ("请先选择投诉", "Pick a complaint first"),
    "cp.col.id": ("编号", "No."),
    "cp.col.channel": ("渠道", "Channel"),
    "cp.col.level": ("级别", "Level"),
    "cp.col.class": ("类别", "Class"),
    "cp.col.department": ("责任部门", "Department"),
    "cp.col.status": ("状态", "Status"),
    "cp.col.due": ("答复期限", "Reply due"),
    "cp.col.name": ("名称", "Name"),
    "cp.col.total": ("合计", "Total"),
    "cp.col.all": ("全部", "All"),
    "cp.status.intake": ("已受理", "Taken in"),
    "cp.status.dispatched": ("已转派", "Routed"),
    "cp.status.investigating": ("调查中", "Investigating"),
    "cp.status.replied": ("已答复", "Replied"),
    "cp.status.callback_done": ("已回访", "Called back"),
    "cp.status.closed": ("已关闭", "Closed"),
    "cp.alarm_overdue": (
        "{n} 件投诉已超过答复期限：{ids}",
        "{n} complaints past their reply deadline: {ids}",
    ),
    "cp.text": ("处理内容", "Text"),
    "cp.text_hint": (
        "转派部门、调查记录、答复内容、回访结果或升级原因",
        "Department, investigation note, reply, call-back result or reason to escalate",
    ),
    "cp.route": ("转派责任部门", "Route to department"),
    "cp.investigate": ("开始调查", "Start investigation"),
    "cp.note": ("记录调查情况", "Add note"),
    "cp.reply": ("答复客户", "Reply"),
    "cp.callback": ("回访结果", "Call-back result"),
    "cp.close": ("审核关闭", "Review and close"),
    "cp.escalate": ("升级为二级", "Escalate to level 2"),
    "cp.done": ("已保存", "Saved"),
    "cp.reply_text": ("答复", "Reply"),
    "cp.notes_title": ("调查记录", "Investigation notes"),
    "cp.no_notes": ("暂无调查记录", "No notes yet"),
    "cp.stats_title": ("季度投诉统计", "Quarterly statistics"),
    "cp.csv": ("下载 CSV", "Download CSV"),
    "cp.stats_summary": (
        "共 {total} 件，已关闭 {closed} 件，超期答复 {late} 件，未答复 {open} 件",
        "{total} complaints: {closed} closed, {late} replied late, {open} unanswered",
    ),
    "cp.by_class": ("按类别", "By class"),
    "cp.by_department": ("按部门", "By department"),
    "cp.by_worker": ("按员工", "By staff member"),
    # the wall finished (issue 14): map layers, legend, history sentences, names, notices
    "map.base_offline": ("街道底图（离线）", "OSM streets (offline)"),
    "map.base_online": ("OpenStreetMap 在线瓦片", "OpenStreetMap tiles (online)"),
    "map.layer.districts": ("行政区", "Districts"),
    "map.layer.mains": ("燃气管线", "Gas mains"),
    "map.layer.valves": ("阀门", "Valves"),
    "map.layer.stations": ("调压站", "Regulator stations"),
    "map.layer.meters": ("用户表具", "Customer meters"),
    "map.layer.depots": ("抢修站点", "Depots"),
    "map.layer.crews": ("抢修班组", "Crews"),
    "map.layer.cameras": ("摄像头", "Cameras"),
    "map.layer.routes": ("班组路线", "Crew routes"),
    "map.layer.selection": ("所选工单", "Selected incident"),
    "map.layer.incidents": ("工单", "Incidents"),
    "map.title.district": ("行政区", "District"),
    "map.title.main": ("管线", "Main"),
    "map.title.valve": ("阀门", "Valve"),
    "map.title.station": ("调压站", "Regulator station"),
    "map.title.meter": ("表具", "Meter"),
    "map.title.depot": ("抢修站点", "Depot"),
    "map.title.crew": ("班组", "Crew"),
    "map.title.camera": ("摄像头", "Camera"),
    "map.title.ticket": ("工单", "Ticket"),
    "map.title.isolation": ("关阀方案", "Isolation"),
    "map.title.route": ("路线", "Route"),
    "legend.mains": ("燃气管线（压力级制）", "Gas mains (pressure)"),
    "legend.crews": ("抢修班组", "Crews"),
    "legend.valves": ("阀门", "Valves"),
    "legend.valve_open": ("开启", "Open"),
    "legend.valve_closed": ("关闭", "Closed"),
    "legend.valve_inoperable": ("无法操作（外圈）", "Inoperable (ring)"),
    "legend.incidents": ("工单（按级别）", "Incidents (priority)"),
    "legend.at_risk": ("到场时限告急（闪烁）", "Deadline at risk (pulsing)"),
    "legend.warning_zone": ("警戒区", "Warning zone"),
    "legend.valve_to_close": ("需关闭阀门", "Valve to close"),
    "pressure.low": ("低压", "Low"),
    "pressure.medium_b": ("中压B", "Medium B"),
    "pressure.medium_a": ("中压A", "Medium A"),
    "pressure.sub_high_b": ("次高压B", "Sub-high B"),
    "pressure.sub_high_a": ("次高压A", "Sub-high A"),
    "pressure.high_b": ("高压B", "High B"),
    "pressure.high_a": ("高压A", "High A"),
    "history.created": ("{time} 建单", "{time} ticket opened"),
    "history.assigned": ("{time} 派单给 {crew}", "{time} assigned to {crew}"),
    "history.reassigned": ("{time} 改派给 {crew}", "{time} reassigned to {crew}"),
    "history.status_changed": ("{time} 状态变为{status}", "{time} status now {status}"),
    "history.cancelled": ("{time} 工单取消", "{time} ticket cancelled"),
    "history.reopened": ("{time} 工单重新打开", "{time} ticket reopened"),
    "history.arrived_by_gps": ("{time} GPS 确认到场", "{time} arrival confirmed by GPS"),
    "history.alarm_acknowledged": ("{time} 告警已确认", "{time} alarm acknowledged"),
    "history.recommendations_refreshed": (
        "{time} 推荐班组已更新",
        "{time} recommended crews refreshed",
    ),
    "history.deadline_at_risk": ("{time} 到场时限告急", "{time} deadline at risk"),
    "history.deadline_missed": ("{time} 到场已超时", "{time} deadline missed"),
    "history.valve_closed": ("{time} 阀门已关闭", "{time} valve closed"),
    "history.valve_stuck": ("{time} 阀门卡死", "{time} valve stuck"),
    "history.caller_added": ("{time} 又一来电", "{time} another caller"),
    "history.linked_as_duplicate": ("{time} 并入重复工单", "{time} linked as a duplicate"),
    "history.duplicate_unlinked": ("{time} 取消重复关联", "{time} duplicate link removed"),
    "history.auto_dispatch_failed": ("{time} 自动派单未成功", "{time} automatic dispatch failed"),
    "history.other": ("{time} 现场作业记录", "{time} site work recorded"),
    "history.by": (" ({who})", " ({who})"),
    "history.reason": ("：{reason}", ": {reason}"),
    "actor.system": ("系统", "system"),
    "actor.simulator": ("模拟器", "simulator"),
    "panel.confirm_assign_code": ("确认将此工单派给班组 {code}？", "Assign {code} to this ticket?"),
    "panel.assigned_to": ("已派给 {code}", "Assigned to {code}"),
    "panel.valve_at": ("{street}，距漏点 {m} 米", "{street}, {m} m from the leak"),
    "panel.valve_unnamed": ("无名道路", "unnamed street"),
    "panel.valve_show": ("在地图上显示", "Show on the map"),
    "panel.address_guessed": ("（最近地址）", " (nearest address)"),
    "queue.no_address": ("地址不详", "No address"),
    "notice.refused": ("操作被拒绝", "Refused"),
    "customer.hospital": ("医院", "Hospital"),
    "customer.life_support": ("生命维持设备用户", "Life support"),
    "customer.care_home": ("养老院", "Care home"),
    "customer.school": ("学校", "School"),
    "customer.residential": ("居民用户", "Residential"),
    "customer.commercial": ("商业用户", "Commercial"),
    "customer.industrial": ("工业用户", "Industrial"),
    "customer.public": ("公共建筑", "Public"),
    # the map's popups: property names and coded values (gasMap.bindInfo)
    "prop.id": ("编号", "id"),
    "prop.name": ("名称", "name"),
    "prop.code": ("代号", "code"),
    "prop.status": ("状态", "status"),
    "prop.pressure_class": ("压力级制", "pressure class"),
    "prop.inlet_pressure_class": ("进口压力级制", "inlet pressure class"),
    "prop.outlet_pressure_class": ("出口压力级制", "outlet pressure class"),
    "prop.diameter_mm": ("管径（毫米）", "diameter (mm)"),
    "prop.material": ("材质", "material"),
    "prop.main_id": ("所在管线", "main"),
    "prop.valve_type": ("阀门类型", "valve type"),
    "prop.operable": ("可操作", "operable"),
    "prop.currently_open": ("当前开启", "open now"),
    "prop.capacity_m3h": ("流量（立方米/小时）", "capacity (m³/h)"),
    "prop.category": ("用户类别", "category"),
    "prop.skills": ("技能", "skills"),
    "prop.recorded_at": ("定位时间", "position at"),
    "prop.heading_deg": ("行驶方向（度）", "heading (°)"),
    "prop.bearing_deg": ("朝向（度）", "bearing (°)"),
    "prop.number": ("工单号", "ticket no."),
    "prop.type": ("类型", "type"),
    "prop.priority": ("级别", "priority"),
    "prop.at_risk": ("时限告急", "deadline at risk"),
    "prop.crew": ("班组", "crew"),
    "prop.stale": ("定位中断", "GPS stale"),
    "prop.kind": ("类别", "kind"),
    "prop.access_note": ("位置说明", "access note"),
    "prop.radius_m": ("半径（米）", "radius (m)"),
    "prop.ticket": ("工单", "ticket"),
    "value.yes": ("是", "yes"),
    "value.no": ("否", "no"),
    "value.in_service": ("运行中", "in service"),
    "value.planned": ("规划中", "planned"),
    "value.abandoned": ("已废弃", "abandoned"),
    "value.pe": ("聚乙烯", "PE"),
    "value.steel": ("钢管", "steel"),
    "value.cast_iron": ("铸铁", "cast iron"),
    "value.ductile_iron": ("球墨铸铁", "ductile iron"),
    "value.copper": ("铜管", "copper"),
    "value.other": ("其他", "other"),
    "value.gate": ("闸阀", "gate"),
    "value.ball": ("球阀", "ball"),
    "value.plug": ("旋塞阀", "plug"),
    "value.butterfly": ("蝶阀", "butterfly"),
    "value.warning_zone": ("警戒区", "warning zone"),
    "value.valve_to_close": ("需关闭阀门", "valve to close"),
    "value.incident": ("工单", "incident"),
    "value.route": ("路线", "route"),
    # real camera feeds (issue 15: dashboards.camera_relay, assets/camera_tiles.js)
    "video.relay_connecting": ("正在连接摄像头…", "Connecting to the camera…"),
    "video.no_signal_since": ("无信号，自 {time} 起", "No signal since {time}"),
    "video.relay_refused": (
        "转发路数已达上限（{limit} 路），此画面暂停",
        "Relay limit reached ({limit} cameras): feed paused",
    ),
    "alarm.camera_no_signal": ("场站摄像头无信号", "Station camera without signal"),
    "video.still": ("摄像头截图", "Camera still"),
    # the crew lead's phone: site work, offline queue (issue 10, crew-phone)
    "crew.site.title": ("现场作业（CJJ51）", "Site work (CJJ51)"),
    "crew.site.before": ("作业前", "Before the work"),
    "crew.site.after": ("修复后检查", "After the repair"),
    "crew.site.radius": ("警戒半径 {m} 米", "radius {m} m"),
    "crew.site.tick": ("完成", "Done"),
    "crew.site.ticked": ("已记录：{item}", "Recorded: {item}"),
    "crew.site.guardian": ("监护人姓名", "Guardian's name"),
    "crew.site.people": ("现场人数", "People on site"),
    "crew.site.readings": ("燃气浓度（安全值 < {lel} %LEL）", "Gas readings (safe < {lel} % LEL)"),
    "crew.site.lel": ("浓度 %LEL", "Reading % LEL"),
    "crew.site.record_reading": ("记录浓度", "Record reading"),
    "crew.site.reading_recorded": ("已记录浓度", "Reading recorded"),
    "crew.site.households": (
        "停气用户（两阀）{done}/{total}",
        "Households (two valves) {done}/{total}",
    ),
    "crew.site.two_valve_rule": (
        "恢复供气前，每户须关闭表前阀和灶前阀，或无人在家时立管阀保持关闭",
        "Before gas-on each household has its meter and appliance valves closed,"
        " or, nobody at home, its riser valve stays closed",
    ),
    "crew.site.unmarked": ("未确认", "Not marked"),
    "crew.site.open_hazard": ("有未整改隐患", "Open hazard"),
    "crew.site.marked": ("已确认：{household}", "Marked: {household}"),
    "crew.site.no_households": ("本工单无停气用户", "No households cut off by this job"),
    "crew.site.hazards": ("隐患通知书", "Hazard notices"),
    "crew.site.household": ("用户", "Household"),
    "crew.site.job_meter": ("本工单燃气表 {meter}", "This job's meter {meter}"),
    "crew.site.hazard_type": ("隐患类型", "Hazard"),
    "crew.site.fix_by": ("整改期限", "Fix by"),
    "crew.site.note": ("备注", "Note"),
    "crew.site.hazard_photo": ("拍摄隐患照片", "Photo of the hazard"),
    "crew.site.customer_signs": ("用户签字确认", "Customer signs"),
    "crew.site.clear_signature": ("重签", "Clear"),
    "crew.site.sign_first": ("请用户先在框内签字", "Let the customer sign in the box first"),
    "crew.site.signed": ("用户已签字", "Signed by the customer"),
    "crew.site.hazard_recorded": ("已记录隐患通知书", "Hazard notice recorded"),
    "crew.site.signoff": ("收费与用户签字", "Charges and sign-off"),
    "crew.site.signed_off": ("已完成签字确认", "Signed off"),
    "crew.site.photos": ("现场照片（{n}）", "Photos ({n})"),
    "crew.site.take_photo": ("拍照上传", "Take a photo"),
    "crew.site.photo_sent": ("照片已上传", "Photo uploaded"),
    "crew.site.photo_attached": ("已附照片 ✓", "Photo attached ✓"),
    "crew.site.show_households": ("展开用户列表（{n} 户待确认）", "Show households ({n} to mark)"),
    "crew.site.still_needed": ("还需：{what}", "Still needed: {what}"),
    "crew.site.need_reading": ("一次燃气浓度检测", "a gas reading"),
    "crew.site.need_households": (
        "{n} 户未确认两阀：{list}",
        "{n} household(s) not marked for the two-valve rule: {list}",
    ),
    "crew.site.need_hazard_off": (
        "有隐患的用户不得恢复供气：{list}",
        "households with an open hazard marked for gas-on: {list}",
    ),
    "crew.site.need_safe_reading": (
        "最后一次浓度低于 {lel} %LEL",
        "a last reading below {lel} % LEL",
    ),
    "crew.offline.waiting": ("{n} 项操作等待发送", "{n} waiting to be sent"),
    "crew.offline.offline": (
        "无网络：操作已保存，联网后按顺序发送",
        "Offline: taps are kept and sent in order when the connection returns",
    ),
    "crew.offline.queued": ("已保存，等待网络", "Kept: waiting for the connection"),
    "site.progress.title": ("现场作业", "Site work"),
    "site.progress.status": ("状态", "Status"),
    "site.progress.visit": ("第几次上门", "Visit"),
    "site.progress.checklist": ("安全检查", "Checklist"),
    "site.progress.n_of_m": ("{n}/{m}", "{n} of {m}"),
    "site.progress.reading": ("最近浓度", "Last reading"),
    "site.progress.stuck": ("卡死阀门", "Stuck valves"),
    "site.progress.households": ("两阀确认", "Households marked"),
    "site.progress.signoff": ("用户签字", "Sign-off"),
    "site.progress.not_signed": ("未签字", "Not yet"),
    # --- the hotline agent's page (/hotline): taking a call (issue 11, part 1) ---
    "hl.search": ("查找客户", "Find the customer"),
    "hl.search_placeholder": (
        "电话、户号、表号或地址（可输入部分）",
        "Phone, account, meter number or address (a part will do)",
    ),
    "hl.enter_picks": ("回车选择第一位", "Enter picks the first"),
    "hl.keep_typing": ("请至少输入3个字符", "Type at least 3 characters"),
    "hl.no_match": ("没有找到客户", "No customer found"),
    "hl.matched.phone": ("电话匹配", "phone"),
    "hl.matched.account": ("户号匹配", "account"),
    "hl.matched.meter": ("表号匹配", "meter"),
    "hl.matched.address": ("地址匹配", "address"),
    "hl.file": ("客户档案", "Customer file"),
    "hl.no_customer": ("尚未选择客户", "No customer chosen yet"),
    "hl.name": ("姓名", "Name"),
    "hl.phone": ("电话", "Phone"),
    "hl.account": ("户号", "Account"),
    "hl.meters": ("表号", "Meters"),
    "hl.address": ("地址", "Address"),
    "hl.category": ("用户类别", "Customer type"),
    "hl.customer_category.residential": ("居民", "Residential"),
    "hl.customer_category.commercial": ("商业", "Commercial"),
    "hl.customer_category.industrial": ("工业", "Industrial"),
    "hl.customer_category.public": ("公共建筑", "Public building"),
    "hl.customer_category.hospital": ("医院", "Hospital"),
    "hl.customer_category.school": ("学校", "School"),
    "hl.customer_category.care_home": ("养老院", "Care home"),
    "hl.customer_category.life_support": ("生命维持设备用户", "Life-support customer"),
    "hl.file.tickets": ("历史工单", "Past work orders"),
    "hl.file.complaints": ("投诉", "Complaints"),
    "hl.file.callbacks": ("回访", "Call-backs"),
    "hl.file.hazards": ("隐患通知", "Hazard notices"),
    "hl.file.readings": ("抄表记录", "Meter readings"),
    "hl.callback_scores": ("态度/能力", "attitude/skill"),
    "hl.fix_by": ("整改期限", "fix by"),
    "hl.resolved": ("已整改", "resolved"),
    "hl.none": ("无", "None"),
    "hl.order": ("工单", "Work order"),
    "hl.type": ("工单类型", "Type"),
    "hl.type_placeholder": (
        "输入几个字后回车，如 漏气 / leak",
        "A few letters, then Enter, e.g. leak / 漏气",
    ),
    "hl.group.emergency": ("抢险", "Emergency"),
    "hl.group.repair": ("维修", "Repair"),
    "hl.group.scheduled": ("计划服务", "Scheduled service"),
    "hl.group.non_field": ("非现场", "Non-field"),
    "hl.emergency": ("抢险！", "EMERGENCY:"),
    "hl.advice.title": ("请向来电人宣读安全提示", "Read the safety advice to the caller"),
    "hl.advice.other_language": ("英文版", "中文版 (Chinese)"),
    "hl.advice.no_flame": (
        "严禁明火：不要点火、吸烟、使用打火机或火柴",
        "No open flame: do not light anything, smoke or use lighters or matches",
    ),
    "hl.advice.no_switch": (
        "不要开关任何电器、电灯，不要拔插插头",
        "Do not switch any lights or appliances on or off, do not unplug anything",
    ),
    "hl.advice.no_phone_inside": (
        "不要在室内使用电话或手机",
        "Do not use a phone or mobile indoors",
    ),
    "hl.advice.open_windows": ("打开门窗通风", "Open doors and windows"),
    "hl.advice.leave": (
        "立即离开，到室外安全处，带走家人",
        "Leave at once to a safe place outdoors, with everyone in the home",
    ),
    "hl.advice.call_outside": (
        "到室外后再打电话，等待抢修人员到达",
        "Call again from outside and wait there for the crew",
    ),
    "hl.advice.close_meter_valve": (
        "能安全到达时关闭表前阀门",
        "Close the valve before the meter if you can reach it safely",
    ),
    "hl.advice.warn_neighbours": (
        "提醒邻居，不要再进入",
        "Warn the neighbours; nobody goes back in",
    ),
    "hl.advice.keep_away": (
        "远离泄漏点，疏散周围人员",
        "Keep away from the leak and move people away",
    ),
    "hl.advice.no_plugging": (
        "不要自行封堵或操作管道、阀门",
        "Do not try to plug the pipe or work any valves",
    ),
    "hl.advice.stop_traffic": (
        "阻止车辆和行人靠近，停止施工机械",
        "Keep vehicles and people away, stop the digging machines",
    ),
    "hl.advice.call_119": ("先拨打119报火警", "Call the fire brigade (119) first"),
    "hl.advice.close_appliances": (
        "关闭所有燃气具开关",
        "Turn off every gas appliance",
    ),
    "hl.advice.no_reopen": (
        "恢复供气前不要自行开阀",
        "Do not open any valve yourself before gas is restored",
    ),
    "hl.advice.wait_notice": (
        "等待燃气公司通知和上门通气",
        "Wait for the gas company's notice and visit to restore gas",
    ),
    "hl.place": ("地点", "Place"),
    "hl.place_none": (
        "尚未确定：选择客户、输入地址或点击地图",
        "Not set: pick the customer, type an address or click the map",
    ),
    "hl.place_from.customer": ("客户地址", "Customer's address"),
    "hl.place_from.address": ("输入的地址", "Typed address"),
    "hl.place_from.map": ("地图点选", "Map click"),
    "hl.address_placeholder": (
        "或输入地址后回车",
        "Or type an address and press Enter",
    ),
    "hl.address_none": ("没有匹配的地址", "No address matches"),
    "hl.map_hint": ("点击地图设定地点", "Click the map to set the place"),
    "hl.this_call": ("本次来电", "This call"),
    "hl.nearby": ("附近未完成工单", "Open tickets nearby"),
    "hl.nearby.none": ("附近没有未完成工单", "No open ticket nearby"),
    "hl.nearby.hint": (
        "同一事件请并入已有工单，不要重复建单",
        "The same incident: add this call to the open ticket, do not open a second one",
    ),
    "hl.nearby.link": ("并入此单", "Add this call to it"),
    "hl.nearby.unlink": ("取消并入", "Do not add"),
    "hl.caller_name": ("来电人", "Caller"),
    "hl.caller_phone": ("来电号码", "Caller's phone"),
    "hl.appointment": ("预约时间", "Appointment"),
    "hl.department": ("转派部门", "Receiving department"),
    "hl.promised_reply": ("承诺回复时间", "Promised reply"),
    "hl.time_placeholder": (
        "如 14:30、2026-12-01 09:00 或 +30",
        "e.g. 14:30, 2026-12-01 09:00 or +30",
    ),
    "hl.description": ("情况描述", "What the caller says"),
    "hl.dept.emergency_repair": ("抢修中心", "Emergency repair"),
    "hl.dept.repair_service": ("维修服务部", "Repair service"),
    "hl.dept.customer_service": ("客户服务中心", "Customer service"),
    "hl.dept.engineering": ("工程部", "Engineering"),
    "hl.dept.metering": ("计量抄表部", "Metering"),
    "hl.save": ("保存工单（回车）", "Save the work order (Enter)"),
    "hl.need_type": ("请先选择工单类型", "Choose the type first"),
    "hl.bad_time": (
        "时间格式不对：{text}（如 14:30、2026-12-01 09:00 或 +30）",
        "Cannot read the time {text} (e.g. 14:30, 2026-12-01 09:00 or +30)",
    ),
    "hl.not_saved": ("未保存", "Not saved"),
    "hl.tell": ("告知来电人", "Tell the caller"),
    "hl.saved": ("工单已建立：", "Work order saved:"),
    "hl.saved_as_repeat": (
        "已并入工单 {number}（重复来电）",
        "Added to ticket {number} (a repeat call)",
    ),
    "hl.tell_crew": ("将派 {crew} 班组", "Crew {crew} will come"),
    "hl.tell_sent": ("{crew} 班组已出发", "Crew {crew} is on its way"),
    "hl.tell_eta": (
        "预计 {duration} 后到达（约 {clock}）",
        "arriving in about {duration} ({clock})",
    ),
    "hl.tell_no_crew": (
        "暂无可派班组，调度员将尽快安排",
        "No crew can be offered yet; the dispatcher will send one",
    ),
    "hl.tell_reply": ("将于 {clock} 前回复", "We will reply by {clock}"),
    "hl.replies": ("待回复", "Replies due"),
    "hl.replies.none": ("没有待回复的来电", "No reply due"),
    "hl.replies.due": ("承诺", "promised"),
    "hl.replies.late": ("已超时", "overdue"),
    "hl.replies.done": ("已回复", "Replied"),
    "hl.replies.recorded": ("已记录回复", "Reply recorded"),
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
    # the meter desk (/meters: dashboards/pages/meter_desk.py, meter_desk_callbacks.py)
    "page.meters": ("抄表稽核", "Meter reading"),
    "md.figures_title": ("本月抄表", "The month's reading"),
    "md.month": ("抄表月份", "Reading month"),
    "md.reading_day": ("抄表日", "Reading day"),
    "md.read_rate": ("抄见率", "Read rate"),
    "md.read_of_due": ("已抄 / 应抄", "Read / due"),
    "md.missed": ("漏抄", "Missed readings"),
    "md.tasks_by_kind": ("稽核任务", "Tasks by kind"),
    "md.of_month": ("本月新增", "Raised for the month"),
    "md.open": ("未完成（全部月份）", "Open (all months)"),
    "md.kind.re_read": ("复抄", "Re-read"),
    "md.kind.home_check": ("入户核查", "Home check"),
    "md.kind.valve_closing": ("关阀候选", "Valve-closing candidate"),
    "md.tasks_title": ("任务清单", "Task list"),
    "md.kind": ("类型", "Kind"),
    "md.status": ("状态", "Status"),
    "md.limit": ("显示条数", "Show"),
    "md.all": ("全部", "All"),
    "md.task.open": ("未完成", "Open"),
    "md.task.done": ("已完成", "Done"),
    "md.task.cancelled": ("已取消", "Cancelled"),
    "md.no_tasks": ("没有符合条件的任务", "No task matches"),
    "md.more_tasks": ("仅显示前 {n} 条", "Only the first {n} are shown"),
    "md.col.meter": ("表号", "Meter"),
    "md.col.account": ("户号", "Account"),
    "md.col.kind": ("类型", "Kind"),
    "md.col.month": ("月份", "Month"),
    "md.col.use": ("用气量（方）", "Use (m³)"),
    "md.col.detail": ("说明", "Detail"),
    "md.col.status": ("状态", "Status"),
    "md.adjustments_title": ("气费退补", "Refunds and top-ups"),
    "md.request_title": ("申请退补", "Request a refund or top-up"),
    "md.meter": ("表号或户号", "Meter or account number"),
    "md.direction": ("退补类型", "Refund or top-up"),
    "md.dir.refund": ("退气费", "Refund"),
    "md.dir.top_up": ("补气费", "Top-up"),
    "md.volume": ("气量（方）", "Volume (m³)"),
    "md.reason": ("原因（抄表员说明）", "Reason (the reader's account)"),
    "md.request": ("提交申请", "Submit the request"),
    "md.requested": (
        "已提交退补申请 #{id}，待{role}审批",
        "Request #{id} submitted; waiting for the {role}",
    ),
    "md.chain_rule": (
        "所有退补由系统管理员审批；大于500方先经班组长、部门经理审核；大于1000方另经财务经理审核、分管副总审批。",
        "Every refund or top-up is approved by the system administrator; over 500 m³ the team"
        " lead and the manager review it first; over 1,000 m³ also the finance manager and the"
        " vice-president.",
    ),
    "md.waiting_title": ("待审批", "Waiting for approval"),
    "md.no_waiting": ("没有待审批的退补", "Nothing is waiting for approval"),
    "md.requested_by": ("申请人", "Requested by"),
    "md.waits_for": ("待{role}审批", "Waiting for the {role}"),
    "md.step_next": ("待签", "signs next"),
    "md.step_later": ("未到", "later"),
    "md.approved": ("同意", "approved"),
    "md.rejected": ("驳回", "rejected"),
    "md.approve": ("同意", "Approve"),
    "md.reject": ("驳回", "Reject"),
    "md.decided.approved": ("已同意退补 #{id}", "Approved #{id}"),
    "md.decided.rejected": ("已驳回退补 #{id}", "Rejected #{id}"),
    "md.volume_m3": ("{v} 方", "{v} m³"),
    "md.zero_months": ("连续 {n} 个月零用气", "{n} months at zero"),
    # the manager's page, second round: coverage panel, replay (coverage_panel, replay_panel)
    "cov.title": ("覆盖范围与建议调度", "Coverage and suggested moves"),
    "cov.target": ("到场时限", "Response target"),
    "cov.reach_depots": ("站点可达范围", "Reach from depots"),
    "cov.reach_crews": ("空闲班组可达范围", "Reach from available crews"),
    "cov.moves_layer": ("建议调动", "Suggested moves"),
    "cov.crews_available": ("空闲班组：{n}", "Crews available: {n}"),
    "cov.uncovered": ("未覆盖街道：{km} km", "Uncovered streets: {km} km"),
    "cov.after_moves": (
        "按建议调动：{before} km → {after} km",
        "With the suggested moves: {before} km → {after} km",
    ),
    "cov.no_moves": ("无需调动班组", "No move would shrink the uncovered streets"),
    "cov.col.crew": ("班组", "Crew"),
    "cov.col.to": ("调往", "Move to"),
    "cov.col.before": ("调动前未覆盖 (km)", "Uncovered before (km)"),
    "cov.col.after": ("调动后未覆盖 (km)", "Uncovered after (km)"),
    "cov.col.apply": ("操作", "Action"),
    "cov.apply": ("执行调动", "Apply"),
    "cov.applied": ("已调动班组 {crew} 至 {to}", "Crew {crew} moved to {to}"),
    "replay.title": ("回放", "Replay"),
    "replay.date": ("日期", "Day"),
    "replay.time": ("时刻", "Time"),
    "replay.layer": ("回放：工单与班组", "Replay: tickets and crews"),
    "replay.status": ("{time} 未完成事件 {n} 起", "{n} open incidents at {time}"),
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
