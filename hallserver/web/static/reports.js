// The reports page (/reports): pick a day, week or month; overview cards, SVG charts and
// every table of GET /api/reports, each exportable as CSV or Excel. The page state lives in
// the URL (?period=month&date=2026-11-23) so a view can be bookmarked and shared.
import { ApiError, get, goLogin } from "./lib/api.js";
import { byId, el, fill, show } from "./lib/dom.js";
import { apply, bindToggle, lang, onChange, pick, t } from "./lib/i18n.js";
import { subscribe } from "./lib/live.js";
import { bindLogout, renderNav } from "./lib/nav.js";
import { histogram, hourChart } from "./reports_charts.js";
import { KPI_KEYS, MONTHS_EN, WEEKDAYS } from "./reports_words.js";

const PERIODS = ["day", "week", "month"];
const LIVE_MIN_GAP_MS = 15_000; // a report is heavier than a live view: refresh at most this often
// Tables whose rows without any activity are left out on screen (the exports keep them).
const HIDE_EMPTY = new Set(["by_window", "rating_windows"]);
const CHARTS = { wait_hist: histogram, service_hist: histogram };

const state = { period: "day", date: "", data: null, seq: 0, lastLoad: 0, timer: 0 };

function readUrl() {
  const q = new URLSearchParams(window.location.search);
  const p = q.get("period");
  state.period = PERIODS.includes(p) ? p : "day";
  const d = q.get("date");
  state.date = d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : "";
}

function writeUrl() {
  const q = new URLSearchParams({ period: state.period });
  if (state.date) q.set("date", state.date);
  window.history.replaceState(null, "", `/reports?${q}`);
}

function query(extra = {}) {
  const q = new URLSearchParams({ period: state.period, ...extra });
  if (state.date) q.set("date", state.date);
  return q.toString();
}

// ---- formatting -------------------------------------------------------------------------

function fmt(value, column) {
  if (value === null || value === undefined) return "—";
  switch (column.kind) {
    case "pct": return `${(value * 100).toFixed(1)}%`;
    case "min":
    case "num": return Number(value).toFixed(1);
    case "i18n": return pick(value);
    case "flag": return value ? t(`flag.${column.key}`) : "";
    default: return String(value);
  }
}

function header(column) {
  return lang() === "en" ? column.en : column.zh;
}

function isNumeric(column) {
  return ["int", "min", "pct", "num"].includes(column.kind);
}

function active(row, table) {
  return row.some((v, i) => {
    const c = table.columns[i];
    return isNumeric(c) && !["window", "rank"].includes(c.key) && v !== null && v !== 0;
  });
}

// ---- rendering --------------------------------------------------------------------------

function tableNode(table) {
  const rows = HIDE_EMPTY.has(table.key) ? table.rows.filter((r) => active(r, table)) : table.rows;
  const hidden = table.rows.length - rows.length;
  const flagCol = table.columns.findIndex((c) => c.kind === "flag");
  const head = el("tr", {}, ...table.columns.map((c) => el("th", {
    scope: "col", class: isNumeric(c) ? "num" : null,
  }, header(c))));
  const body = rows.map((row) => el("tr", {
    class: flagCol >= 0 && row[flagCol] ? `flagged flag-${table.columns[flagCol].key}` : null,
  }, ...row.map((v, i) => {
    const c = table.columns[i];
    if (c.kind === "flag") {
      return el("td", { class: "flag" }, v ? el("span", { class: `badge badge-${c.key}` },
        fmt(v, c)) : "");
    }
    return el("td", { class: isNumeric(c) ? "num" : null }, fmt(v, c));
  })));
  const wrap = el("div", { class: "table-wrap" },
    el("table", { class: "data", "data-testid": `table-${table.key}` },
      el("thead", {}, head), el("tbody", {}, ...body)));
  if (!rows.length) wrap.append(el("p", { class: "hint empty" }, t("table.empty")));
  if (hidden > 0) wrap.append(el("p", { class: "hint small" }, t("table.hidden", { n: hidden })));
  return wrap;
}

function exportLinks(table) {
  const l = lang();
  return el("span", { class: "table-exports" },
    el("a", { href: `/api/reports/export?${query({ format: "csv", table: table.key, lang: l })}`,
      download: "", title: t("export.csv.title"), "data-testid": `csv-${table.key}` },
    t("export.csv")),
    el("a", { href: `/api/reports/export?${query({ format: "xlsx", table: table.key, lang: l })}`,
      download: "", title: t("export.sheet.title") }, t("export.sheet")));
}

function panel(table) {
  const node = document.getElementById(`panel-${table.key}`);
  if (!node) return;
  const parts = [el("div", { class: "panel-head" }, el("h2", {}, pick(table.title)),
    exportLinks(table))];
  if (table.key === "by_hour") {
    parts.push(el("div", { class: "chart-box" }, hourChart(table)), tableNode(table));
  } else if (CHARTS[table.key]) {
    const total = table.rows.reduce((a, r) => a + (Number(r[1]) || 0), 0);
    parts.push(total ? el("div", { class: "chart-box", "data-testid": `chart-${table.key}` },
      CHARTS[table.key](table)) : el("p", { class: "hint empty" }, t("chart.empty")));
    parts.push(el("details", {}, el("summary", {}, t("chart.data")), tableNode(table)));
  } else {
    parts.push(tableNode(table));
  }
  if (table.note) parts.push(el("p", { class: "note" }, pick(table.note)));
  fill(node, ...parts);
}

function kpis(summary) {
  const keys = summary.columns.map((c) => c.key);
  const row = summary.rows[0] || [];
  fill(byId("kpis"), ...KPI_KEYS.filter((k) => keys.includes(k)).map((k) => {
    const c = summary.columns[keys.indexOf(k)];
    return el("div", { class: `card kpi kpi-${k}`, "data-testid": `kpi-${k}` },
      el("span", { class: "kpi-label" }, header(c)),
      el("strong", { class: "kpi-value" }, fmt(row[keys.indexOf(k)], c)));
  }));
}

function periodLabel(data) {
  const l = lang();
  const from = new Date(`${data.date_from}T12:00:00Z`);
  let text;
  if (data.period === "day") {
    text = t("label.day", { date: data.date_from, weekday: WEEKDAYS[l][from.getUTCDay()] });
  } else if (data.period === "week") {
    const thursday = new Date(from.getTime() + 3 * 86400000);
    const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
    const week = Math.floor((thursday.getTime() - jan1) / 86400000 / 7) + 1;
    text = t("label.week", { from: data.date_from, to: data.date_to, week });
  } else {
    text = t("label.month", { year: from.getUTCFullYear(), month: from.getUTCMonth() + 1,
      monthName: MONTHS_EN[from.getUTCMonth()] });
  }
  const bits = [t("label.days", { n: data.service_days })];
  if (data.includes_today) bits.push(t("label.live"));
  if (data.period !== "month") {
    const m = new Date(`${data.month_from}T12:00:00Z`);
    bits.push(t("label.monthly", { month: t("label.month", { year: m.getUTCFullYear(),
      month: m.getUTCMonth() + 1, monthName: MONTHS_EN[m.getUTCMonth()] }) }));
  }
  return [el("strong", {}, text), el("span", { class: "period-more" }, bits.join(" · "))];
}

function render() {
  const data = state.data;
  for (const b of document.querySelectorAll(".seg-btn")) {
    b.setAttribute("aria-pressed", String(b.dataset.period === state.period));
  }
  byId("xlsx").href = `/api/reports/export?${query({ format: "xlsx", lang: lang() })}`;
  if (!data) return;
  byId("date").value = state.date || data.date_from;
  fill(byId("period-label"), ...periodLabel(data));
  for (const table of data.tables) {
    if (table.key === "summary") kpis(table);
    else panel(table);
  }
  const at = new Date(data.generated_at);
  byId("updated").textContent = t("updated", {
    time: new Intl.DateTimeFormat(lang() === "en" ? "en-GB" : "zh-CN", {
      dateStyle: "short", timeStyle: "medium", timeZone: data.timezone,
    }).format(at),
  });
  byId("report").setAttribute("aria-busy", "false");
}

function banner(error) {
  const node = byId("banner");
  if (!error) {
    show(node, false);
    return;
  }
  node.textContent = error instanceof ApiError
    ? (lang() === "en" ? `${error.en} ${error.zh}` : `${error.zh} ${error.en}`) : String(error);
  show(node, true);
}

// ---- loading -----------------------------------------------------------------------------

async function load() {
  const seq = ++state.seq;
  byId("report").setAttribute("aria-busy", "true");
  try {
    const data = await get(`/api/reports?${query()}`, { timeoutMs: 30_000 });
    if (seq !== state.seq) return; // a newer request was made meanwhile
    state.data = data;
    state.lastLoad = Date.now();
    banner(null);
    render();
  } catch (e) {
    if (seq !== state.seq) return;
    if (e instanceof ApiError && e.status === 401) {
      goLogin();
      return;
    }
    banner(e);
  }
}

/** Reload a report that includes today after live changes, at most every LIVE_MIN_GAP_MS. */
function liveRefresh() {
  if (!state.data || !state.data.includes_today || state.timer) return;
  const wait = Math.max(0, state.lastLoad + LIVE_MIN_GAP_MS - Date.now());
  state.timer = setTimeout(() => {
    state.timer = 0;
    load();
  }, wait);
}

function shift(direction) {
  const base = new Date(`${state.date || state.data?.date_from}T12:00:00Z`);
  if (Number.isNaN(base.getTime())) return;
  if (state.period === "day") base.setUTCDate(base.getUTCDate() + direction);
  else if (state.period === "week") base.setUTCDate(base.getUTCDate() + 7 * direction);
  else base.setUTCMonth(base.getUTCMonth() + direction, 1);
  state.date = base.toISOString().slice(0, 10);
  writeUrl();
  load();
}

function wire() {
  for (const b of document.querySelectorAll(".seg-btn")) {
    b.addEventListener("click", () => {
      state.period = b.dataset.period;
      writeUrl();
      render();
      load();
    });
  }
  byId("date").addEventListener("change", (e) => {
    const v = e.target.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return;
    state.date = v;
    writeUrl();
    load();
  });
  byId("prev").addEventListener("click", () => shift(-1));
  byId("next").addEventListener("click", () => shift(1));
  byId("today").addEventListener("click", () => {
    state.date = "";
    writeUrl();
    load();
  });
  bindLogout(byId("logout"));
  bindToggle(byId("lang"));
  onChange(() => render());
}

async function start() {
  renderNav(null);
  apply();
  readUrl();
  wire();
  render();
  get("/api/auth/me").then((me) => {
    byId("me").textContent = me.display_name || me.username;
    renderNav(me.role);
  }).catch(() => {});
  get("/api/layout").then((layout) => {
    const name = layout && layout.hall && layout.hall.name;
    if (name) {
      byId("hall-name").textContent = pick(name);
      onChange(() => { byId("hall-name").textContent = pick(name); });
    }
  }).catch(() => {});
  await load();
  subscribe({ onChange: liveRefresh });
}

start();
