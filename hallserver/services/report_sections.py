"""The report's sections: from counts read in SQL (`Facts`) to tables with bilingual headers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING

from devices.protocol.ratings import level_name
from hallserver.config.models import HallConfig
from hallserver.domain import reports as rules
from hallserver.domain.calendar import HallCalendar
from hallserver.services.report_tables import Cell, Column, Levels, Stats, Table, col, words

if TYPE_CHECKING:
    from hallserver.services.reports import Facts, FollowUpFact

NO_ITEM = words("未选事项（按类别取号）", "no item (ticket for a category)")
CLASS_NAMES = {"high": words("高频", "high"), "normal": words("一般", "normal"),
               "low": words("低频", "low")}


def _minutes(total_s: float, n: int) -> float | None:
    return rules.mean(total_s / 60.0, n)


def _ticket_columns() -> list[Column]:
    return [
        col("issued", "取号", "issued"), col("done", "办结", "completed"),
        col("no_show", "过号", "no-show"), col("cancelled", "取消", "cancelled"),
        col("pending", "未办完", "unfinished"),
        col("avg_wait", "平均等候(分钟)", "mean wait (min)", "min"),
        col("within_20", "20分钟内叫号率", "called within 20 min", "pct"),
        col("within_30", "30分钟内叫号率", "called within 30 min", "pct"),
        col("avg_service", "平均办理(分钟)", "mean service (min)", "min"),
    ]


def _ticket_cells(s: Stats) -> list[Cell]:
    return [s.issued, s.done, s.no_show, s.cancelled, s.pending,
            _minutes(s.wait_s, s.called), rules.share(s.within[20], s.eligible[20]),
            rules.share(s.within[30], s.eligible[30]), _minutes(s.service_s, s.served)]


def _rating_columns() -> list[Column]:
    return [
        col("ratings", "评价数", "ratings"),
        *[col(f"level_{lv}", level_name(lv).zh, level_name(lv).en) for lv in range(5, 0, -1)],
        col("defaults", "默认评价", "default ratings"),
        col("excluded", "已剔除", "excluded"),
        col("satisfaction", "满意率", "satisfaction rate", "pct"),
        col("top_share", "满意及以上", "satisfied or better", "pct"),
    ]


def _rating_cells(lv: Levels) -> list[Cell]:
    return [lv.counted, *[lv.by_level.get(x, 0) for x in range(5, 0, -1)], lv.defaults,
            lv.excluded, rules.satisfaction(lv.by_level), rules.top_share(lv.by_level)]


def _sum(values: Iterable[Stats]) -> Stats:
    total = Stats(eligible=dict.fromkeys(rules.CALL_TARGETS_MIN, 0),
                  within=dict.fromkeys(rules.CALL_TARGETS_MIN, 0))
    for v in values:
        total.add(v)
    return total


def _merge_levels(values: Iterable[Levels]) -> Levels:
    out = Levels()
    for v in values:
        for level, n in v.by_level.items():
            out.by_level[level] = out.by_level.get(level, 0) + n
        out.defaults += v.defaults
        out.excluded += v.excluded
    return out


class Sections:
    """Builds each table of a report for one layout."""

    def __init__(self, cfg: HallConfig, calendar: HallCalendar, today: date) -> None:
        self.cfg = cfg
        self.calendar = calendar
        self.today = today
        self.staff_names = {s.id: s.name for s in cfg.staff}

    def _group(self, facts: Facts, key: Callable[[tuple[str, str | None, int | None,
                                                        str | None]], object]
               ) -> dict[object, Stats]:
        out: dict[object, list[Stats]] = {}
        for k, s in facts.by_group.items():
            out.setdefault(key(k), []).append(s)
        return {k: _sum(v) for k, v in out.items()}

    # ---- tickets ------------------------------------------------------------------------------

    def summary(self, facts: Facts, span: rules.Span) -> Table:
        """概况: the period's totals in one row."""
        total = _sum(facts.by_group.values())
        service_days = rules.service_days(span.days(), self.calendar.is_service_day)
        days = len(service_days)
        # A period still running averages over the service days so far (today included).
        so_far = sum(1 for d in service_days if d <= self.today)
        levels = _merge_levels(facts.ratings.values())
        return Table(
            key="summary", title=words("概况", "Overview"),
            columns=[col("service_days", "服务日", "service days"), *_ticket_columns(),
                     col("per_day", "日均取号", "issued per service day (so far)", "num"),
                     col("ratings", "评价数", "ratings"),
                     col("satisfaction", "满意率", "satisfaction rate", "pct"),
                     col("followups", "差评整改单", "rectification cases")],
            rows=[[days, *_ticket_cells(total),
                   rules.mean(total.issued, so_far), levels.counted,
                   rules.satisfaction(levels.by_level), len(facts.followups)]])

    def by_day(self, facts: Facts, span: rules.Span) -> Table:
        """按日: every service day of the period (and any other day with tickets)."""
        days = sorted({*rules.service_days(span.days(), self.calendar.is_service_day),
                       *facts.by_day})
        rows: list[list[Cell]] = []
        for d in days:
            s = facts.by_day.get(d) or _sum([])
            kind = (words("服务日", "service day") if self.calendar.is_service_day(d)
                    else words("非服务日", "closed day"))
            rows.append([d.isoformat(), kind, *_ticket_cells(s)])
        return Table(key="by_day", title=words("按日统计", "By day"),
                     columns=[col("day", "日期", "date", "text"),
                              col("kind", "类型", "kind", "i18n"), *_ticket_columns()],
                     rows=rows)

    def by_category(self, facts: Facts) -> Table:
        """按业务类别 (the category the ticket was taken for)."""
        groups = self._group(facts, lambda k: k[0])
        rows: list[list[Cell]] = []
        known = [c.code for c in self.cfg.categories]
        for code in known + sorted(str(k) for k in groups if k not in known):
            c = next((x for x in self.cfg.categories if x.code == code), None)
            name = words(c.name.zh, c.name.en) if c else words(code, code)
            rows.append([c.prefix if c else code, name, *_ticket_cells(
                groups.get(code) or _sum([]))])
        return Table(key="by_category", title=words("按业务类别", "By category"),
                     columns=[col("prefix", "字母", "letter", "text"),
                              col("name", "业务类别", "category", "i18n"), *_ticket_columns()],
                     rows=rows,
                     note=words("转移的号票计入取号时的类别。",
                                "A transferred ticket counts under the category it was "
                                "taken for."))

    def by_item(self, facts: Facts) -> Table:
        """按事项: items with tickets in the period, busiest first."""
        groups = self._group(facts, lambda k: k[1])
        rows: list[list[Cell]] = []
        for code, s in sorted(groups.items(), key=lambda kv: (-kv[1].issued, str(kv[0]))):
            item = next((i for i in self.cfg.items if i.code == code), None)
            if code is None:
                name, cat = NO_ITEM, "—"
            else:
                name = words(item.name.zh, item.name.en) if item else words(str(code),
                                                                            str(code))
                cat = self.cfg.category(item.category).prefix if item else "—"
            rows.append([str(code) if code else "—", name, cat, *_ticket_cells(s),
                         item.expected_minutes if item else None])
        return Table(key="by_item", title=words("按事项", "By item"),
                     columns=[col("code", "事项编码", "item code", "text"),
                              col("name", "事项", "item", "i18n"),
                              col("category", "类别", "category", "text"), *_ticket_columns(),
                              col("expected", "标准办理(分钟)", "expected (min)", "min")],
                     rows=rows)

    def by_window(self, facts: Facts) -> Table:
        """按窗口: the window that last handled each ticket."""
        groups = self._group(facts, lambda k: k[2])
        rows: list[list[Cell]] = []
        for w in self.cfg.windows:
            s = groups.get(w.number) or _sum([])
            rows.append([w.number, words(w.name.zh, w.name.en), s.called, s.done, s.no_show,
                         _minutes(s.service_s, s.served),
                         round(s.service_s / 60.0, 1)])
        return Table(key="by_window", title=words("按窗口", "By window"),
                     columns=[col("window", "窗口", "window"),
                              col("name", "名称", "name", "i18n"),
                              col("called", "叫号", "called"), col("done", "办结", "completed"),
                              col("no_show", "过号", "no-show"),
                              col("avg_service", "平均办理(分钟)", "mean service (min)", "min"),
                              col("busy", "办理总时长(分钟)", "total service (min)", "min")],
                     rows=rows)

    def by_staff(self, facts: Facts) -> Table:
        """按工作人员 (工号 and the roster name; never the citizen)."""
        groups = self._group(facts, lambda k: k[3])
        rows: list[list[Cell]] = []
        for staff, s in sorted(((k, v) for k, v in groups.items() if k is not None),
                               key=lambda kv: str(kv[0])):
            rows.append([str(staff), self.staff_names.get(str(staff), "—"), s.called, s.done,
                         s.no_show, _minutes(s.service_s, s.served)])
        return Table(key="by_staff", title=words("按工作人员", "By member of staff"),
                     columns=[col("staff_id", "工号", "staff no.", "text"),
                              col("name", "姓名", "name", "text"),
                              col("called", "叫号", "called"), col("done", "办结", "completed"),
                              col("no_show", "过号", "no-show"),
                              col("avg_service", "平均办理(分钟)", "mean service (min)", "min")],
                     rows=rows)

    # ---- distributions ------------------------------------------------------------------------

    @staticmethod
    def _histogram(key: str, title: tuple[str, str], bins: dict[int, int],
                   bounds: tuple[int, ...], note: tuple[str, str]) -> Table:
        total = sum(bins.values())
        rows: list[list[Cell]] = [
            [words(zh, en), bins.get(i, 0), rules.share(bins.get(i, 0), total)]
            for i, (zh, en) in enumerate(rules.bin_labels(bounds))]
        return Table(key=key, title=words(*title),
                     columns=[col("bin", "时长", "duration", "i18n"),
                              col("tickets", "号票数", "tickets"),
                              col("share", "占比", "share", "pct")],
                     rows=rows, note=words(*note))

    def wait_histogram(self, facts: Facts) -> Table:
        """等候时长分布: issue to first call, of called tickets."""
        return self._histogram("wait_hist", ("等候时长分布", "Waiting time"), facts.wait_bins,
                               rules.WAIT_BINS_MIN,
                               ("从取号到叫号（已叫号的号票）。",
                                "From taking the number to the call (called tickets)."))

    def service_histogram(self, facts: Facts) -> Table:
        """办理时长分布: start to completion, of completed tickets."""
        return self._histogram("service_hist", ("办理时长分布", "Service time"),
                               facts.service_bins, rules.SERVICE_BINS_MIN,
                               ("从开始办理到办结（已办结的号票）。",
                                "From the start of service to completion (completed "
                                "tickets)."))

    def by_hour(self, facts: Facts) -> Table:
        """20/30 分钟内叫号率 by local hour of issue."""
        hours = set(facts.by_hour)
        oh = self.cfg.opening_hours
        days = [oh.sessions, *oh.weekdays.values(), *(s.sessions for s in oh.seasons),
                *(d.sessions for d in oh.dates if d.sessions)]
        for sessions in days:
            hours |= set(range(sessions[0].start.hour, sessions[-1].end.hour
                               + (1 if sessions[-1].end.minute else 0)))
        rows: list[list[Cell]] = []
        for h in sorted(hours):
            s = facts.by_hour.get(h) or _sum([])
            rows.append([f"{h:02d}:00–{h + 1:02d}:00", s.issued, s.eligible[20], s.within[20],
                         rules.share(s.within[20], s.eligible[20]), s.eligible[30],
                         s.within[30], rules.share(s.within[30], s.eligible[30])])
        return Table(
            key="by_hour", title=words("分时段叫号及时率", "Called in time, by hour"),
            columns=[col("hour", "取号时段", "hour of issue", "text"),
                     col("issued", "取号", "issued"),
                     col("counted_20", "计入(20分钟)", "counted (20 min)"),
                     col("within_20", "20分钟内叫号", "called within 20 min"),
                     col("share_20", "20分钟内叫号率", "share within 20 min", "pct"),
                     col("counted_30", "计入(30分钟)", "counted (30 min)"),
                     col("within_30", "30分钟内叫号", "called within 30 min"),
                     col("share_30", "30分钟内叫号率", "share within 30 min", "pct")],
            rows=rows,
            note=words("计入：已叫号的号票，以及未叫号但已等候超过该时限的号票（取号后不久"
                       "取消或仍在等候、未到时限的不计入）。",
                       "Counted: every called ticket, and uncalled tickets once they had "
                       "waited past the limit (cancelled or still waiting within it: not "
                       "counted)."))

    # ---- satisfaction -------------------------------------------------------------------------

    def rating_windows(self, facts: Facts) -> Table:
        """满意率 per window."""
        per: dict[int, list[Levels]] = {}
        for (w, _staff), lv in facts.ratings.items():
            per.setdefault(w, []).append(lv)
        rows: list[list[Cell]] = [
            [w.number, words(w.name.zh, w.name.en),
             *_rating_cells(_merge_levels(per.get(w.number, [])))] for w in self.cfg.windows]
        return Table(key="rating_windows", title=words("满意率·窗口", "Satisfaction by window"),
                     columns=[col("window", "窗口", "window"),
                              col("name", "名称", "name", "i18n"), *_rating_columns()],
                     rows=rows, note=_SATISFACTION_NOTE)

    def rating_staff(self, facts: Facts) -> Table:
        """满意率 per member of staff."""
        per: dict[str, list[Levels]] = {}
        for (_w, staff), lv in facts.ratings.items():
            if staff:
                per.setdefault(staff, []).append(lv)
        rows: list[list[Cell]] = [
            [staff, self.staff_names.get(staff, "—"), *_rating_cells(_merge_levels(lvs))]
            for staff, lvs in sorted(per.items())]
        return Table(key="rating_staff",
                     title=words("满意率·工作人员", "Satisfaction by member of staff"),
                     columns=[col("staff_id", "工号", "staff no.", "text"),
                              col("name", "姓名", "name", "text"), *_rating_columns()],
                     rows=rows, note=_SATISFACTION_NOTE)

    # ---- 差评整改 ------------------------------------------------------------------------------

    def followups(self, facts: Facts, today: date) -> Table:
        """差评整改 opened in the period: answered on time, late, open, overdue."""
        per: dict[int, list[FollowUpFact]] = {}
        for f in facts.followups:
            per.setdefault(f.window, []).append(f)
        names = {w.number: words(w.name.zh, w.name.en) for w in self.cfg.windows}
        rows: list[list[Cell]] = [
            [names.get(w, words(f"{w}号窗口", f"window {w}")), *_followup_cells(fs, today)]
            for w, fs in sorted(per.items())]
        rows.append([words("合计", "total"), *_followup_cells(facts.followups, today)])
        return Table(
            key="followups", title=words("差评整改", "Bad-rating rectification"),
            columns=[col("window", "窗口", "window", "i18n"),
                     col("opened", "整改单", "cases"),
                     col("closed_on_time", "按时办结", "closed on time"),
                     col("closed_late", "超期办结", "closed late"),
                     col("open_in_time", "整改中（未到期）", "open, not yet due"),
                     col("open_overdue", "超期未办结", "open, overdue"),
                     col("on_time_rate", "按时办结率", "on-time rate", "pct"),
                     col("callback_on_time", "按时回访", "callback on time"),
                     col("callback_late", "回访超期", "callback late")],
            rows=rows,
            note=words("按时办结率 = 按时办结 ÷（已办结 + 超期未办结）；期限按工作日计算。",
                       "On-time rate = closed on time ÷ (closed + open and overdue); "
                       "deadlines count working days."))

    # ---- the month -----------------------------------------------------------------------------

    def frequency(self, facts: Facts, elapsed: int, total: int) -> Table:
        """高频/低频事项 from the month's completed transactions, against hall.yaml."""
        done: dict[object, int] = {k: s.done for k, s in self._group(facts,
                                                                     lambda k: k[1]).items()}
        rows: list[list[Cell]] = []
        for item in self.cfg.items:
            actual = done.get(item.code, 0)
            proj = rules.projected(actual, elapsed, total)
            measured = rules.volume_class(proj)
            configured = item.frequency.value
            rows.append([item.code, words(item.name.zh, item.name.en),
                         self.cfg.category(item.category).prefix, actual, proj,
                         CLASS_NAMES[measured], CLASS_NAMES[configured],
                         measured != configured])
        rows.sort(key=lambda r: (-float(r[4] or 0), str(r[0])))  # type: ignore[arg-type]
        partial = 0 < elapsed < total
        return Table(
            key="frequency", title=words("高频与低频事项（本月）",
                                         "High- and low-frequency items (this month)"),
            columns=[col("code", "事项编码", "item code", "text"),
                     col("name", "事项", "item", "i18n"),
                     col("category", "类别", "category", "text"),
                     col("done", "月办件量", "completed this month"),
                     col("projected", "预计月办件量", "projected for the month", "num"),
                     col("measured", "实测", "measured", "i18n"),
                     col("configured", "配置", "configured", "i18n"),
                     col("mismatch", "与配置不符", "differs from layout", "flag")],
            rows=rows,
            note=words(f"月办件量超过{rules.HIGH_PER_MONTH}件为高频、低于{rules.LOW_PER_MONTH}件"
                       "为低频。" + (f"本月已过{elapsed}/{total}个服务日，按比例预计全月。"
                                    if partial else ""),
                       f"Over {rules.HIGH_PER_MONTH} a month: high; under "
                       f"{rules.LOW_PER_MONTH}: low. " + (
                           f"{elapsed} of {total} service days have passed: the month is "
                           "projected in proportion." if partial else "")))

    def ranking(self, facts: Facts, today: date) -> Table:
        """月度排名 of windows; the best are 红旗窗口."""
        done = self._group(facts, lambda k: k[2])
        per_window: dict[int, list[Levels]] = {}
        for (w, _s), lv in facts.ratings.items():
            per_window.setdefault(w, []).append(lv)
        late: dict[int, int] = {}
        for f in facts.followups:
            late[f.window] = late.get(f.window, 0) + (_late(f, today))
        months = []
        for win in self.cfg.windows:
            lv = _merge_levels(per_window.get(win.number, []))
            s = done.get(win.number)
            months.append(rules.WindowMonth(window=win.number, volume=s.done if s else 0,
                                            ratings=lv.counted,
                                            satisfaction=rules.satisfaction(lv.by_level),
                                            overdue=late.get(win.number, 0)))
        names = {w.number: words(w.name.zh, w.name.en) for w in self.cfg.windows}
        rows: list[list[Cell]] = [
            [r.rank, r.month.window, names[r.month.window], r.month.volume, r.month.ratings,
             r.month.satisfaction, r.month.overdue, r.volume_points, r.satisfaction_points,
             r.deduction, r.score, r.red_flag] for r in rules.rank_windows(months)]
        return Table(
            key="ranking", title=words("月度窗口排名", "Monthly window ranking"),
            columns=[col("rank", "名次", "rank"), col("window", "窗口", "window"),
                     col("name", "名称", "name", "i18n"),
                     col("volume", "办件量", "completed"), col("ratings", "评价数", "ratings"),
                     col("satisfaction", "满意率", "satisfaction rate", "pct"),
                     col("overdue", "超期整改", "late rectifications"),
                     col("volume_points", "业务量得分", "volume points", "num"),
                     col("satisfaction_points", "满意度得分", "satisfaction points", "num"),
                     col("deduction", "扣分", "deduction", "num"),
                     col("score", "总分", "score", "num"),
                     col("red_flag", "红旗窗口", "red-flag window", "flag")],
            rows=rows,
            note=words(f"总分 = 业务量得分（{rules.VOLUME_POINTS:.0f}×办件量÷本月最高办件量）"
                       f"+ 满意度得分（{rules.SATISFACTION_POINTS:.0f}×满意率）"
                       f"− 每件超期整改扣{rules.OVERDUE_DEDUCTION:.0f}分。"
                       f"评价不少于{rules.RED_FLAG_MIN_RATINGS}条且无超期整改的前"
                       f"{rules.RED_FLAGS}名为红旗窗口。",
                       f"Score = volume points ({rules.VOLUME_POINTS:.0f} × completed ÷ the "
                       f"busiest window's) + satisfaction points "
                       f"({rules.SATISFACTION_POINTS:.0f} × rate) − "
                       f"{rules.OVERDUE_DEDUCTION:.0f} per late rectification. The top "
                       f"{rules.RED_FLAGS} with at least {rules.RED_FLAG_MIN_RATINGS} ratings "
                       "and no late rectification are red-flag windows."))


_SATISFACTION_NOTE = words(
    "满意率 = 非常满意、满意、基本满意 ÷ 评价数（差评为不满意、非常不满意，国办发〔2019〕51号）；"
    "默认评价计入，申诉复核后剔除的不计入。",
    "Satisfaction = very satisfied, satisfied and fairly satisfied ÷ ratings (bad ratings are "
    "the two lowest levels); default ratings count, ratings excluded after review do not.")


def _late(f: FollowUpFact, today: date) -> int:
    """1 when a case was answered after its date, or is still open past it."""
    if f.closed_day is not None:
        return int(f.closed_day > f.answer_by)
    return int(today > f.answer_by)


def _followup_cells(fs: list[FollowUpFact], today: date) -> list[Cell]:
    closed_on_time = sum(1 for f in fs if f.closed_day is not None
                         and f.closed_day <= f.answer_by)
    closed_late = sum(1 for f in fs if f.closed_day is not None and f.closed_day > f.answer_by)
    open_overdue = sum(1 for f in fs if f.closed_day is None and today > f.answer_by)
    open_in_time = sum(1 for f in fs if f.closed_day is None and today <= f.answer_by)
    cb_on_time = sum(1 for f in fs if f.first_callback_day is not None
                     and f.first_callback_day <= f.callback_by)
    cb_late = sum(1 for f in fs if (f.first_callback_day is not None
                                    and f.first_callback_day > f.callback_by)
                  or (f.first_callback_day is None and today > f.callback_by))
    return [len(fs), closed_on_time, closed_late, open_in_time, open_overdue,
            rules.share(closed_on_time, closed_on_time + closed_late + open_overdue),
            cb_on_time, cb_late]
