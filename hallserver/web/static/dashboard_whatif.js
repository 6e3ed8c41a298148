// The dashboard's what-if panel (潮汐窗口预演): POST /api/advisor/what-if with no change
// (the server proposes some) or with one window's change from the form, then the current
// plan against the proposal: p50 / p95 wait and the share called within 20 minutes, each
// with its 95% CI, and the paired difference. A simulation on a few seeded days of today's
// layout; it changes nothing (an admin applies changes on /admin). One runs at a time on the
// server (409 otherwise); the page disables its buttons while its own request runs.
import { ApiError, goLogin, post } from "/static/lib/api.js";
import { byId, el, fill, show } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";
import "/static/dashboard_whatif_words.js";

const { t, pick } = i18n;
const SEEDS = [2, 4, 6, 8];
const DEFAULT_SEEDS = 4;
const TIMEOUT_MS = 60000; // ~2 s on a quiet server; a busy 2-core box can take much longer
const METRICS = ["p50", "p95", "within20"];
const MAX_SECONDARY = 6;

// Refusals made by the page itself, in both languages like the server's.
const REFUSE = {
  window: { zh: "请选择窗口", en: "choose a window" },
  period: {
    zh: "时段须同时填写开始和结束，且结束晚于开始",
    en: "give both the start and the end of the period, the end after the start",
  },
  forbidden: { zh: "当前账号无权预演", en: "this account may not run a what-if" },
};

const W = {
  layout: null,
  signature: "",
  busy: false,
  result: null, // the last answer
  error: null, // {zh, en} of the last refusal
};

// ---- numbers -------------------------------------------------------------------------------

/** One decimal (JS toFixed: halves of the exact value go up), "−" for negatives. */
export function dec1(value, signed = false) {
  const text = Math.abs(value).toFixed(1);
  if (text === "0.0") return text;
  if (value < 0) return `−${text}`;
  return signed ? `+${text}` : text;
}

function unit(metric, diff) {
  if (metric !== "within20") return t("wi.unit.min");
  return diff ? t("wi.unit.pp") : t("wi.unit.pct");
}

/** better / worse / unclear / na: does the difference's CI exclude 0, and which way? */
export function verdict(metric, est) {
  if (!est || est.mean === null || est.ci95 === null) return "na";
  if (Math.abs(est.mean) <= est.ci95) return "unclear";
  const lower = metric !== "within20"; // shorter waits are better, a higher share is better
  return (est.mean < 0) === lower ? "better" : "worse";
}

function estimateCell(metric, plan, est) {
  const diff = plan === "difference";
  const attrs = {
    class: "num wi-est",
    "data-testid": `wi-${plan}-${metric}`,
    dataset: {
      value: est?.mean === null || est?.mean === undefined ? "" : String(est.mean),
      ci: est?.ci95 === null || est?.ci95 === undefined ? "" : String(est.ci95),
    },
  };
  if (!est || est.mean === null) return el("td", attrs, t("dash"));
  const parts = [
    el("span", { class: "wi-mean" }, dec1(est.mean, diff)),
    el("span", { class: "wi-ci" }, est.ci95 === null ? "" : ` ± ${dec1(est.ci95)}`),
    el("span", { class: "wi-unit" }, unit(metric, diff)),
  ];
  if (!diff) return el("td", attrs, ...parts);
  const v = verdict(metric, est);
  attrs.class += ` v-${v}`;
  attrs.dataset.verdict = v;
  return el("td", attrs, ...parts, el("span", { class: "wi-verdict" }, t(`wi.v.${v}`)));
}

// ---- the form ------------------------------------------------------------------------------

function categories() {
  return W.layout?.categories || [];
}

function catName(code) {
  const c = categories().find((x) => x.code === code);
  return c ? pick(c.name) : code;
}

function windowsSorted() {
  const ws = [...(W.layout?.windows || [])];
  // Flexible windows first, when the layout marks any (today's layout does not: the server's
  // plan then treats every window as flexible and the list stays in number order).
  return ws.sort((a, b) => Number(Boolean(b.flexible)) - Number(Boolean(a.flexible))
    || a.number - b.number);
}

function selectedWindow() {
  const n = Number(byId("wi-window").value);
  return (W.layout?.windows || []).find((w) => w.number === n) || null;
}

function windowOption(w, marked) {
  const rest = w.secondary.length
    ? t("wi.window.rest", { list: w.secondary.map(catName).join(i18n.lang() === "en" ? ", " : "、") })
    : "";
  let text = t("wi.window.opt", { name: pick(w.name), primary: catName(w.primary), rest });
  if (marked && w.flexible) text = `${text} · ${t("wi.flexible")}`;
  return el("option", { value: String(w.number) }, text);
}

function fillWindows() {
  const select = byId("wi-window");
  const keep = select.value;
  const ws = windowsSorted();
  const anyFlexible = ws.some((w) => w.flexible);
  if (anyFlexible) {
    fill(select,
      el("optgroup", { label: t("wi.flexgroup") }, ...ws.filter((w) => w.flexible).map((w) => windowOption(w, true))),
      el("optgroup", { label: t("wi.othergroup") }, ...ws.filter((w) => !w.flexible).map((w) => windowOption(w, true))));
  } else {
    fill(select, ...ws.map((w) => windowOption(w, false)));
  }
  if (keep && ws.some((w) => String(w.number) === keep)) select.value = keep;
}

function fillSeeds() {
  const select = byId("wi-seeds");
  const keep = select.value || String(DEFAULT_SEEDS);
  fill(select, ...SEEDS.map((n) => el("option", { value: String(n) }, t("wi.seeds.n", { n }))));
  select.value = keep;
}

/** The window's current skills into the checkboxes and the primary picker. */
function resetSkills() {
  const w = selectedWindow();
  const box = byId("wi-secondary");
  if (!w) {
    fill(box);
    fill(byId("wi-primary"));
    return;
  }
  fill(box, ...categories().map((c) => el("label", { class: "wi-check" },
    el("input", {
      type: "checkbox", value: c.code, checked: w.secondary.includes(c.code),
      "data-testid": `wi-sec-${c.code}`,
    }),
    el("span", { class: "prefix" }, c.prefix), " ", pick(c.name),
    el("span", { class: "wi-isprimary" }, ""))));
  fill(byId("wi-primary"),
    el("option", { value: "" }, t("wi.primary.keep", { name: catName(w.primary) })),
    ...categories().filter((c) => c.code !== w.primary)
      .map((c) => el("option", { value: c.code }, `${c.prefix} ${pick(c.name)}`)));
  markPrimary();
}

/** The category called first cannot also be a secondary: its box is off and marked. */
function markPrimary(switched = false) {
  const w = selectedWindow();
  if (!w) return;
  const chosen = byId("wi-primary").value || w.primary;
  for (const label of byId("wi-secondary").querySelectorAll("label")) {
    const input = label.querySelector("input");
    const isPrimary = input.value === chosen;
    if (isPrimary) input.checked = false;
    // A tidal switch usually keeps the window's own primary among its secondaries.
    if (switched && input.value === w.primary && chosen !== w.primary) input.checked = true;
    input.disabled = isPrimary;
    label.classList.toggle("is-primary", isPrimary);
    label.querySelector(".wi-isprimary").textContent = isPrimary ? t("wi.isprimary") : "";
  }
}

/** Relabel the form in the current language, keeping what the user chose. */
function relabelForm() {
  const checked = new Set([...byId("wi-secondary").querySelectorAll("input:checked")].map((i) => i.value));
  const primary = byId("wi-primary").value;
  fillSeeds();
  fillWindows();
  resetSkills();
  for (const input of byId("wi-secondary").querySelectorAll("input")) input.checked = checked.has(input.value);
  if ([...byId("wi-primary").options].some((o) => o.value === primary)) byId("wi-primary").value = primary;
  markPrimary();
}

/** The change the form describes, or a {zh, en} refusal. */
function formChange() {
  const w = selectedWindow();
  if (!w) return { error: REFUSE.window };
  const checked = new Set([...byId("wi-secondary").querySelectorAll("input:checked")].map((i) => i.value));
  const ordered = [...w.secondary.filter((c) => checked.has(c)),
    ...categories().map((c) => c.code).filter((c) => checked.has(c) && !w.secondary.includes(c))];
  const change = { window: w.number, secondary: ordered.slice(0, MAX_SECONDARY) };
  const primary = byId("wi-primary").value;
  if (primary && primary !== w.primary) change.primary = primary;
  const start = byId("wi-start").value;
  const end = byId("wi-end").value;
  if (start || end) {
    if (!start || !end || end <= start) return { error: REFUSE.period };
    change.start = start.slice(0, 5);
    change.end = end.slice(0, 5);
  }
  return { change };
}

// ---- running -------------------------------------------------------------------------------

function setBusy(busy) {
  W.busy = busy;
  byId("wi-suggest").disabled = busy;
  byId("wi-preview").disabled = busy;
  show(byId("wi-status"), busy);
  byId("wi-result").setAttribute("aria-busy", String(busy));
}

async function run(changes) {
  if (W.busy) return;
  setBusy(true);
  W.error = null;
  renderResult();
  const seeds = Number(byId("wi-seeds").value) || DEFAULT_SEEDS;
  try {
    W.result = await post("/api/advisor/what-if", { changes, seeds }, { timeoutMs: TIMEOUT_MS });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      goLogin();
      return;
    }
    if (err instanceof ApiError && err.status === 403) {
      W.error = REFUSE.forbidden;
    } else if (err instanceof ApiError) {
      W.error = { zh: err.zh, en: err.en, status: err.status };
    } else {
      W.error = { zh: String(err), en: String(err) };
    }
  } finally {
    setBusy(false);
    renderResult();
  }
}

// ---- the answer ----------------------------------------------------------------------------

function renderError() {
  const box = byId("wi-error");
  const e = W.error;
  show(box, Boolean(e));
  if (!e) return;
  const [first, second] = i18n.lang() === "en" ? [e.en, e.zh] : [e.zh, e.en];
  const lines = [el("strong", { lang: i18n.lang() === "en" ? "en" : "zh-CN" }, first)];
  if (second && second !== first) {
    lines.push(el("span", { class: "wi-other", lang: i18n.lang() === "en" ? "zh-CN" : "en" }, second));
  }
  fill(box, ...lines);
  if (e.status) box.dataset.status = String(e.status);
  else delete box.dataset.status;
}

function renderResult() {
  renderError();
  const r = W.result;
  show(byId("wi-empty"), !r && !W.error && !W.busy);
  show(byId("wi-out"), Boolean(r));
  if (!r) return;
  byId("wi-out").dataset.proposedByServer = String(r.proposed_by_server);
  byId("wi-out-title").textContent = r.proposed_by_server ? t("wi.proposed") : t("wi.yours");
  fill(byId("wi-changes"), ...(r.changes.length
    ? r.changes.map((c, i) => el("li", { "data-testid": `wi-change-${i}`, dataset: { window: c.window } },
      pick(c.text)))
    : [el("li", { class: "muted", "data-testid": "wi-nochange" }, t("wi.nochange"))]));
  byId("wi-note").textContent = pick(r.note);
  fill(byId("wi-rows"), ...METRICS.map((m) => el("tr", { dataset: { metric: m } },
    el("th", { scope: "row" }, t(`wi.${m}`),
      el("span", { class: "wi-rowunit" }, t(m === "within20" ? "wi.rowunit.pct" : "wi.rowunit.min"))),
    estimateCell(m, "current", r.current[m]),
    estimateCell(m, "proposal", r.proposal[m]),
    estimateCell(m, "difference", r.difference[m]))));
  byId("wi-meta").textContent = t("wi.meta", { seeds: r.seeds, sec: r.seconds.toFixed(1) });
}

// ---- wiring --------------------------------------------------------------------------------

/** The layout as /api/layout gives it; the form is rebuilt only when windows or categories
 * changed (a live layout event must not wipe a change being typed). */
export function setWhatIfLayout(layout) {
  const signature = JSON.stringify([layout?.windows, layout?.categories]);
  W.layout = layout;
  if (signature === W.signature) return;
  W.signature = signature;
  fillWindows();
  resetSkills();
}

/** Relabel after a language switch. */
export function renderWhatIf() {
  relabelForm();
  renderResult();
}

export function mountWhatIf() {
  fillSeeds();
  byId("wi-suggest").addEventListener("click", () => run([]));
  byId("wi-window").addEventListener("change", () => resetSkills());
  byId("wi-primary").addEventListener("change", () => markPrimary(true));
  byId("wi-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const { change, error } = formChange();
    if (error) {
      W.error = error;
      renderResult();
      return;
    }
    run([change]);
  });
  renderResult();
}
