// Rendering of the manager dashboard: plain API objects in, DOM out (textContent only).
// Every number shown carries its API value in data-value, so a test can compare them.
import { byId, clock, el, fill, show } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";

const { t, pick } = i18n;
const LEVEL_RANK = { alarm: 0, warn: 1, info: 2 };
export const AUTO_RESOLVED = "system:cleared";

/** Whole minutes for display ("—" for none). */
export function mins(value) {
  return value === null || value === undefined ? t("dash") : String(Math.round(value));
}

/** A share 0..1 as a percentage ("—" for none). */
export function pct(value) {
  return value === null || value === undefined ? t("dash") : `${Math.round(value * 100)}%`;
}

function num(value, text, testid, extra = {}) {
  return el("span", {
    class: "n", dataset: { value: value === null || value === undefined ? "" : String(value) },
    "data-testid": testid, ...extra,
  }, text);
}

/** The layout's lookups: categories and windows by key, the roster by window. */
export function indexLayout(layout, roster) {
  const categories = new Map((layout?.categories || []).map((c) => [c.code, c]));
  const windows = new Map((layout?.windows || []).map((w) => [w.number, w]));
  const byWindow = new Map();
  for (const s of roster || []) {
    for (const [role, list] of [["A", s.role_a], ["B", s.role_b]]) {
      for (const n of list || []) {
        const entry = byWindow.get(n) || { A: [], B: [] };
        entry[role].push(s.name);
        byWindow.set(n, entry);
      }
    }
  }
  return {
    categories, windows, byWindow,
    tz: layout?.hall?.timezone,
    hallName: layout?.hall?.name,
    monitor: layout?.monitor || {},
  };
}

function setStat(id, value, text) {
  const node = byId(id);
  node.textContent = text;
  node.dataset.value = value === null || value === undefined ? "" : String(value);
}

export function renderSummary(ov) {
  const s = ov.summary;
  setStat("sum-issued", s.issued, String(s.issued));
  setStat("sum-served", s.served, String(s.served));
  setStat("sum-waiting", s.waiting, String(s.waiting));
  setStat("sum-at", s.at_windows, String(s.at_windows));
  setStat("sum-avg", s.avg_wait_min,
    s.avg_wait_min === null ? t("dash") : t("w.min", { min: mins(s.avg_wait_min) }));
  setStat("sum-share", s.share_within_goal, pct(s.share_within_goal));
  byId("sum-share-label").textContent = t("sum.share", { goal: ov.goal_min });
  byId("q-share-head").textContent = t("q.share", { goal: ov.goal_min });
  const hours = byId("hours");
  hours.textContent = ov.in_opening_hours ? t("hours.in") : t("hours.out");
  hours.dataset.open = String(ov.in_opening_hours);
}

export function renderQueues(queues, ov, ix) {
  const levels = new Map((ov?.categories || []).map((c) => [c.category, c]));
  const rows = queues.map((q) => {
    const warn = new Set(q.warnings);
    const lv = levels.get(q.category);
    const cls = (w) => (warn.has(w) ? "num hot" : "num");
    const titles = q.warnings.map((w) => i18n.tOr(`warn.${w}`, w)).join("；");
    return el("tr", { dataset: { category: q.category }, class: q.warnings.length ? "warned" : "" },
      el("th", { scope: "row", title: titles || undefined },
        el("span", { class: "prefix" }, q.prefix), " ", pick(q.name),
        q.warnings.length ? el("span", { class: "warn-dot", "aria-label": titles }, "!") : null),
      el("td", { class: cls("waiting_over_threshold") },
        num(q.waiting, String(q.waiting), `q-waiting-${q.category}`)),
      el("td", { class: cls("wait_over_threshold") },
        num(q.longest_wait_min, t("w.min", { min: mins(q.longest_wait_min) }),
          `q-longest-${q.category}`)),
      el("td", { class: "num" },
        num(q.predicted_wait_min, q.predicted_wait_min === null ? t("q.nowindow")
          : t("w.min", { min: mins(q.predicted_wait_min) }), `q-predicted-${q.category}`)),
      el("td", { class: lv && lv.share_within_goal !== null && lv.share_within_goal < 0.8 ? "num low" : "num",
        title: lv ? t("q.share.title", { goal: ov.goal_min, called: lv.called,
          within: lv.within_goal, late: lv.late_uncalled }) : undefined },
      num(lv ? lv.share_within_goal : null, pct(lv ? lv.share_within_goal : null),
        `q-share-${q.category}`)),
      el("td", { class: cls("no_open_window") },
        num(q.open_windows.length, String(q.open_windows.length), `q-open-${q.category}`,
          { title: q.open_windows.join(", ") || t("q.none") })),
      el("td", { class: "num" },
        num(q.issued_today, `${q.issued_today} / ${q.daily_cap}`, `q-issued-${q.category}`)));
  });
  fill(byId("queue-rows"), ...rows);
}

function dutyLine(w, load) {
  const served = load ? num(load.served_today, t("w.served", { n: load.served_today }),
    `w-served-${w.number}`, { class: "n served" }) : null;
  if (w.staff) {
    return el("p", { class: "duty", "data-testid": `w-duty-${w.number}` },
      el("span", { class: "who", title: `${w.staff.name} ${w.staff.id}` },
        t("w.duty", { role: w.staff.role, name: w.staff.name })), served);
  }
  const unstaffed = load?.unstaffed_min;
  const gap = unstaffed !== null && unstaffed !== undefined;
  return el("p", { class: gap ? "duty gap" : "duty muted", "data-testid": `w-duty-${w.number}`,
    dataset: { value: unstaffed ?? "" } },
  el("span", { class: "who" }, gap ? t("w.unstaffed", { min: mins(unstaffed) }) : t("w.nobody")),
  served);
}

function rosterLine(n, ix) {
  const r = ix.byWindow.get(n);
  if (!r) return null;
  const names = (list) => (list.length ? list.join("、") : t("dash"));
  return el("p", { class: "roster" }, t("w.roster", { a: names(r.A), b: names(r.B) }));
}

function ticketLine(w, load, limit) {
  const cur = w.current;
  if (cur) {
    const serving = cur.state === "serving";
    const minutes = serving ? load?.serving_min : load?.at_window_min;
    return el("p", { class: `ticket ticket-${cur.state}` },
      el("strong", { class: "t-number", "data-testid": `w-ticket-${w.number}` }, cur.number),
      el("span", { class: "t-state" }, serving ? t("w.serving") : t("w.called")),
      num(minutes ?? null, minutes === null || minutes === undefined ? t("dash")
        : t("w.min", { min: mins(minutes) }), `w-serving-${w.number}`,
        { class: "n t-min" }));
  }
  if (load && load.idle_min !== null && load.idle_while_waiting_min === null) {
    return el("p", { class: "ticket idle" },
      num(load.idle_min, t("w.idle", { min: mins(load.idle_min) }), `w-idle-${w.number}`));
  }
  if (load && load.idle_while_waiting_min !== null) {
    const late = load.idle_while_waiting_min >= limit;
    return el("p", { class: late ? "ticket idle-wait late" : "ticket idle-wait",
      "data-testid": `w-idlewait-${w.number}`, dataset: { value: load.idle_while_waiting_min } },
    el("span", {}, t("w.idlewait", { min: mins(load.idle_while_waiting_min),
      n: load.eligible_waiting })));
  }
  return el("p", { class: "ticket muted" }, el("span", {}, t("w.noticket")));
}

export function renderWindows(windows, ov, ix) {
  const loads = new Map((ov?.windows || []).map((w) => [w.number, w]));
  const limit = ix.monitor.idle_while_waiting_min ?? 5;
  let open = 0;
  const cards = windows.map((w) => {
    const load = loads.get(w.number);
    if (w.status === "open") open += 1;
    const iww = load ? load.idle_while_waiting_min : null;
    const late = iww !== null && iww >= limit;
    return el("li", {
      class: `wcard st-${w.status}${late ? " idle-late" : ""}${w.flags.length ? " flagged" : ""}`,
      dataset: { window: w.number }, "data-testid": `window-${w.number}`,
    },
    el("div", { class: "wcard-head" },
      el("span", { class: "wname", title: pick(w.name) }, pick(w.name)),
      el("span", { class: `badge status-${w.status}`, "data-testid": `w-status-${w.number}` },
        t(`status.${w.status}`))),
    dutyLine(w, load),
    w.status === "paused" && w.pause_reason
      ? el("p", { class: "pause-reason", "data-testid": `w-pause-${w.number}` },
        t("w.paused", { reason: w.pause_reason })) : null,
    ticketLine(w, load, limit),
    rosterLine(w.number, ix));
  });
  fill(byId("window-cards"), ...cards);
  byId("w-count").textContent = t("w.count", { open, all: windows.length });
}

/** Open alerts, most severe first, then newest. */
export function sortAlerts(alerts) {
  return [...alerts].sort((a, b) => (LEVEL_RANK[a.level] ?? 3) - (LEVEL_RANK[b.level] ?? 3)
    || Date.parse(b.raised_at) - Date.parse(a.raised_at) || b.id - a.id);
}

function alertText(a) {
  return i18n.lang() === "en" ? (a.message_en || a.message) : (a.message || a.message_en);
}

export function renderAlerts(alerts, ix, onAck, busy) {
  const open = sortAlerts(alerts.filter((a) => !a.acknowledged_at));
  const handled = alerts.filter((a) => a.acknowledged_at)
    .sort((a, b) => Date.parse(b.acknowledged_at) - Date.parse(a.acknowledged_at)).slice(0, 30);
  const items = open.map((a) => el("li", {
    class: `alert level-${a.level}`, dataset: { id: a.id, kind: a.kind },
    "data-testid": `alert-${a.id}`,
  },
  el("span", { class: `lvl lvl-${a.level}` }, i18n.tOr(`a.level.${a.level}`, a.level)),
  el("div", { class: "alert-body" },
    el("p", { class: "alert-msg" }, alertText(a)),
    el("p", { class: "alert-time" }, clock(a.raised_at, ix.tz, i18n.lang()))),
  el("button", { type: "button", class: "ack", disabled: busy.has(a.id),
    onclick: () => onAck(a.id) }, t("a.ack"))));
  fill(byId("alert-list"), ...items);
  show(byId("alert-none"), open.length === 0);
  const count = byId("a-count");
  count.textContent = open.length ? String(open.length) : "";
  count.dataset.value = String(open.length);
  count.dataset.level = open.length ? open[0].level : "";
  byId("history-title").textContent = t("a.history", { n: handled.length });
  show(byId("alert-history"), handled.length > 0);
  fill(byId("history-list"), ...handled.map((a) => el("li", {
    class: `alert handled level-${a.level}`, "data-testid": `handled-${a.id}`,
  },
  el("div", { class: "alert-body" },
    el("p", { class: "alert-msg" }, alertText(a)),
    el("p", { class: "alert-time" }, clock(a.raised_at, ix.tz, i18n.lang()), " · ",
      a.acknowledged_by === AUTO_RESOLVED ? t("a.auto") : t("a.acked", { who: a.acknowledged_by }),
      " ", clock(a.acknowledged_at, ix.tz, i18n.lang()))))));
}

function problemText(p) {
  const [zh, en] = p.split(" / ");
  return i18n.lang() === "en" ? (en || zh) : zh;
}

export function renderDevices(devices, ix) {
  const note = byId("device-note");
  const table = byId("device-types");
  if (!devices.length) {
    note.textContent = t("d.none");
    show(note, true);
    show(table, false);
    fill(byId("device-problems"));
    return;
  }
  const linkDown = devices.every((d) => d.online === null);
  note.textContent = linkDown ? t("d.nolink") : "";
  show(note, linkDown);
  const types = new Map();
  for (const d of devices) {
    const e = types.get(d.type) || { all: 0, online: 0, bad: 0 };
    e.all += 1;
    if (d.online) e.online += 1;
    if (d.health !== "ok") e.bad += 1;
    types.set(d.type, e);
  }
  fill(byId("device-type-rows"), ...[...types].map(([type, e]) => el("tr", {},
    el("th", { scope: "row" }, i18n.tOr(`type.${type}`, type)),
    el("td", { class: "num" }, num(e.online, `${e.online} / ${e.all}`, `d-online-${type}`)),
    el("td", { class: e.bad ? "num hot" : "num" }, num(e.bad, String(e.bad), `d-bad-${type}`)))));
  show(table, true);
  const bad = devices.filter((d) => d.health !== "ok" && !linkDown);
  const rank = { offline: 0, fault: 1, warning: 2, unknown: 3 };
  bad.sort((a, b) => (rank[a.health] ?? 4) - (rank[b.health] ?? 4) || a.id.localeCompare(b.id));
  const items = bad.map((d) => el("li", {
    class: `device dev-${d.health}`, "data-testid": `device-${d.id}`,
  },
  el("span", { class: `badge health-${d.health}` }, i18n.tOr(`health.${d.health}`, d.health)),
  el("div", { class: "device-body" },
    el("p", { class: "device-name" }, i18n.tOr(`dtype.${d.type}`, d.type), " ", d.id,
      d.window ? ` · ${t("d.window", { n: d.window })}` : ""),
    el("p", { class: "device-problem" },
      d.problems.map(problemText).join("；"),
      d.type === "printer" && d.paper && !d.problems.length
        ? ` · ${i18n.tOr(`paper.${d.paper}`, d.paper)}` : "",
      d.last_seen ? ` · ${t("d.seen", { time: clock(d.last_seen, ix.tz, i18n.lang()) })}` : ""))));
  if (!items.length && !linkDown) items.push(el("li", { class: "device ok hint" }, t("d.allok")));
  fill(byId("device-problems"), ...items);
}
