// Words of the reports page (Chinese first, English on the switch). Table titles, headers
// and notes come from the server in both languages.
import { register } from "./lib/i18n.js";

register({
  title: { zh: "统计报表", en: "Reports" },
  "period.pick": { zh: "统计周期", en: "Period" },
  "period.day": { zh: "日报", en: "Day" },
  "period.week": { zh: "周报", en: "Week" },
  "period.month": { zh: "月报", en: "Month" },
  "period.date": { zh: "日期", en: "Date" },
  "period.prev": { zh: "上一期", en: "Previous period" },
  "period.next": { zh: "下一期", en: "Next period" },
  "period.today": { zh: "本期", en: "Current" },
  "label.day": { zh: "{date}（{weekday}）", en: "{weekday} {date}" },
  "label.week": { zh: "{from} 至 {to}（第{week}周）", en: "{from} to {to} (week {week})" },
  "label.month": { zh: "{year}年{month}月", en: "{monthName} {year}" },
  "label.days": { zh: "服务日 {n} 天", en: "{n} service days" },
  "label.live": { zh: "含今日，数据随业务实时更新", en: "includes today: updates live" },
  "label.monthly": {
    zh: "月度排名与高低频事项按 {month} 全月统计",
    en: "The ranking and item frequency cover all of {month}",
  },
  "export.xlsx": { zh: "导出 Excel（全部表格）", en: "Export Excel (all tables)" },
  "export.csv": { zh: "CSV", en: "CSV" },
  "export.sheet": { zh: "Excel", en: "Excel" },
  "export.csv.title": { zh: "导出本表为 CSV", en: "Export this table as CSV" },
  "export.sheet.title": { zh: "导出本表为 Excel", en: "Export this table as Excel" },
  "chart.count": { zh: "号票数", en: "tickets" },
  "chart.minutes": { zh: "分钟", en: "minutes" },
  "chart.within20": { zh: "20分钟内叫号率", en: "called within 20 min" },
  "chart.within30": { zh: "30分钟内叫号率", en: "called within 30 min" },
  "chart.hour": { zh: "取号时段", en: "hour of issue" },
  "chart.empty": { zh: "本期暂无数据", en: "No data for this period" },
  "chart.data": { zh: "查看数据", en: "Show the data" },
  "table.empty": { zh: "本期暂无数据", en: "No data for this period" },
  "table.hidden": { zh: "另有 {n} 行无业务，未列出（导出文件含全部）", en: "{n} rows without activity are not shown (the exports have all)" },
  "flag.red_flag": { zh: "红旗窗口", en: "Red flag" },
  "flag.mismatch": { zh: "与配置不符", en: "Differs" },
  "updated": { zh: "更新于 {time}", en: "Updated {time}" },
  "loading": { zh: "正在统计…", en: "Counting…" },
  "footer.note": {
    zh: "时段与日期均按大厅所在时区计算；导出不含任何个人信息。",
    en: "Days and hours are in the hall's time zone; exports hold no personal data.",
  },
});

export const WEEKDAYS = {
  zh: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
  en: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
};

export const MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July",
  "August", "September", "October", "November", "December"];

// Overview cards: which summary columns, in which order.
export const KPI_KEYS = ["issued", "done", "no_show", "avg_wait", "within_20", "within_30",
  "avg_service", "satisfaction", "ratings", "followups", "per_day", "service_days"];
