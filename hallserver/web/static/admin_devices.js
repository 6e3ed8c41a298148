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

/** Draw the audit trail (GET /api/admin/audit) and the layout versions. */
export async function refreshAudit(rows) {
  const [entries, versions] = await Promise.all([get("/api/admin/audit"), get("/api/admin/layout/versions")]);
  // Versions saved outside the page (init-db, the YAML file) have no audit entry: list them too.
  const audited = new Set(entries.filter((e) => e.action === "layout.save").map((e) => e.target));
  const merged = [
    ...entries.map((e) => ({ at: e.at, actor: e.actor, action: t(`action.${e.action}`), target: e.target,
      detail: e.action === "layout.save" ? JSON.parse(e.detail).join("\n") : e.detail })),
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
