// Devices tab (read only: devices are provisioned from files with secrets) and the audit
// trail of administration changes.
import { get } from "/static/lib/api.js";
import { clock, el, fill } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";

const t = i18n.t;
const ZONE = "Asia/Shanghai";

function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const day = new Intl.DateTimeFormat("zh-CN", { month: "2-digit", day: "2-digit", timeZone: ZONE }).format(d);
  return `${day} ${clock(iso, ZONE, i18n.lang())}`;
}

/** One side of a server "中文 / English" text. */
function side(text) {
  const parts = String(text).split(" / ");
  return parts.length === 2 ? parts[i18n.lang() === "en" ? 1 : 0] : text;
}

/** Draw the devices table from GET /api/devices. */
export async function refreshDevices(rows) {
  const devices = await get("/api/devices");
  if (!devices.length) {
    fill(rows, el("tr", {}, el("td", { colspan: 7, class: "muted" }, t("devices.none"))));
    return;
  }
  fill(rows, ...devices.map((d) => el("tr", { "data-testid": `device-${d.id}` },
    el("td", {}, el("code", {}, d.id)),
    el("td", {}, t(`type.${d.type}`)),
    el("td", {}, d.window ? t("devices.window", { n: d.window }) : d.zone ? t("devices.zone", { z: d.zone }) : "—"),
    el("td", {}, el("span", { class: `health ${d.health}` }, t(`health.${d.health}`))),
    el("td", { class: "muted" }, when(d.last_seen)),
    el("td", { class: "muted" }, [d.software, d.config_version != null ? `v${d.config_version}` : null]
      .filter(Boolean).join(" · ") || "—"),
    el("td", {}, d.problems.map(side).join("；")))));
}

// Chinese words for the server's change summary ("windows: 3 (primary, secondary)").
const CHANGE_ZH = {
  windows: "窗口", categories: "业务类别", items: "事项", staff: "排班", zones: "区域",
  hall: "大厅信息", opening_hours: "开放时间", service_days: "服务日", routing: "叫号规则",
  ratings: "好差评", screen: "综合屏", monitor: "监控提醒", added: "新增", removed: "删除",
  changed: "已修改", order: "顺序", primary: "主办", secondary: "兼办", name: "名称",
  zone: "区域", prefix: "前缀", code: "代码", number: "窗口号", priority_lane: "绿色通道",
  express: "快办", daily_cap: "每日限号", warn_waiting: "等候人数提醒",
  warn_wait_min: "等候分钟提醒", category: "类别", role_a: "A角", role_b: "B角",
  materials: "材料", fee: "收费", frequency: "频次", legal_limit_days: "法定时限",
  promised_limit_days: "承诺时限", expected_minutes: "预计分钟",
};

function changeText(line) {
  if (i18n.lang() === "en") return line;
  return line.replace(/[a-z_]+/g, (w) => CHANGE_ZH[w] ?? w);
}

/** Draw the audit trail (GET /api/admin/audit) and the layout versions. */
export async function refreshAudit(rows) {
  const [entries, versions] = await Promise.all([get("/api/admin/audit"), get("/api/admin/layout/versions")]);
  // Versions saved outside the page (init-db, the YAML file) have no audit entry: list them too.
  const audited = new Set(entries.filter((e) => e.action === "layout.save").map((e) => e.target));
  const merged = [
    ...entries.map((e) => ({ at: e.at, actor: e.actor, action: t(`action.${e.action}`), target: e.target,
      detail: e.action === "layout.save" ? JSON.parse(e.detail).map(changeText).join("\n") : e.detail })),
    ...versions.filter((v) => !audited.has(`v${v.version}`)).map((v) => ({
      at: v.created_at, actor: v.created_by || "—", action: t("audit.versions"), target: `v${v.version}`,
      detail: v.source })),
  ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  if (!merged.length) {
    fill(rows, el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("audit.none"))));
    return;
  }
  fill(rows, ...merged.map((e) => el("tr", {},
    el("td", { class: "muted nowrap" }, when(e.at)), el("td", {}, e.actor), el("td", {}, e.action),
    el("td", {}, el("code", {}, e.target)), el("td", { class: "detail" }, e.detail))));
}
