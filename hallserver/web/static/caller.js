// The virtual window caller (虚拟呼叫器) at /window/<number>.
//
// Everything shown comes from the JSON API; the page keeps no state the server does not
// have. It reads the window, the queues and the 帮办 requests again whenever the live event
// stream (/api/events) says something changed, and every SAFETY_MS regardless (the footer
// says which of the two is working). Buttons are enabled only when the action is legal in
// the state last read; the server still decides, and its refusal is shown as it words it.
import { ApiError, get, goLogin, post } from "/static/lib/api.js";
import { byId, el, fill, show } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";
import { subscribe } from "/static/lib/live.js";
import {
  anyDialogOpen, fillPausePresets, fillTransfer, openDialog, wireDialogs,
} from "/static/caller_dialogs.js";
import {
  categoryLabel, indexLayout, renderGuide, renderHelpers, renderLastCase, renderQueues, skillsOf,
} from "/static/caller_panels.js";

const { t, pick } = i18n;
const SAFETY_MS = 15_000; // read again this often even when no event arrives
const LAYOUT_MS = 5 * 60 * 1000;
const NUMBER = Number(window.location.pathname.split("/").filter(Boolean)[1]);
const WIN = `/api/windows/${NUMBER}`;
const MANAGERS = new Set(["manager", "admin"]);

// F5 stays "reload" (staff expect it); F6/F7 move focus in some browsers; F10-F12 are taken.
const KEYS = { F1: "call", F2: "recall", F3: "start", F4: "complete", F8: "noShow", F9: "transfer" };

const S = {
  me: null,
  ix: indexLayout(null),
  layoutAt: 0,
  info: null,
  queues: [],
  helpers: [],
  busy: false,
  epoch: 0, // bumped by every action: a poll begun before it is stale
  online: true,
  live: null, // the event stream is open (false: only the SAFETY_MS reads keep the page fresh)
  updatedAt: null,
  error: null,
  guideFor: null, // ticket number the guide choice belongs to
  guideItem: "",
};

// ---- state -> what is allowed ---------------------------------------------------------

function allowed() {
  const info = S.info;
  const me = S.me;
  if (!info || !me) return {};
  const mine = Boolean(info.staff && info.staff.id === me.username);
  const boss = MANAGERS.has(me.role) && Boolean(info.staff);
  const st = info.status;
  const cur = info.current;
  return {
    call: mine && st === "open" && !cur,
    recall: mine && cur?.state === "called",
    start: mine && cur?.state === "called",
    complete: mine && cur?.state === "serving",
    noShow: mine && cur?.state === "called",
    transfer: mine && Boolean(cur),
    pause: (mine || boss) && (st === "open" || st === "away"),
    away: mine && (st === "open" || st === "paused"),
    resume: (mine || boss) && (st === "paused" || st === "away"),
    signOut: (mine && cur?.state !== "serving") || boss,
    signIn: me.role === "staff" && !info.staff,
    reprint: mine || MANAGERS.has(me.role),
  };
}

// ---- rendering -------------------------------------------------------------------------

function renderHeader(info) {
  const name = info ? pick(info.name) : t("window.n", { n: NUMBER });
  byId("win-name").textContent = name;
  document.title = t("page.title", { window: name });
  const status = info ? info.status : "closed";
  const badge = byId("win-status");
  badge.className = `badge status-${status}`;
  badge.textContent = status === "paused" && info.pause_reason
    ? t("status.paused.reason", { reason: info.pause_reason }) : t(`status.${status}`);
  badge.dataset.status = status;
  fill(byId("win-flags"), ...(info?.flags || []).map((f) => el("span", { class: "flag" }, i18n.tOr(`flag.${f}`, f))));
  const duty = byId("duty");
  if (info?.staff) {
    const you = S.me && info.staff.id === S.me.username ? t("duty.you") : "";
    duty.textContent = t("duty.staff", { name: info.staff.name, id: info.staff.id, role: info.staff.role }) + you;
  } else {
    duty.textContent = t("duty.none");
  }
  byId("me").textContent = S.me ? t("me", { name: S.me.display_name }) : "";
}

function renderSignIn(info, can) {
  const box = byId("signin");
  const mine = info?.staff && S.me && info.staff.id === S.me.username;
  show(box, Boolean(info) && !mine);
  if (!info || mine) return;
  let hint = t("signin.free");
  if (info.staff) hint = t("signin.held", { name: info.staff.name, id: info.staff.id });
  else if (S.me && S.me.role !== "staff") hint = t("signin.notstaff");
  const roles = rosterRoles();
  if (roles && !info.staff && S.me?.role === "staff" && roles.size === 0) hint = t("signin.notroster");
  byId("signin-hint").textContent = hint;
  for (const b of box.querySelectorAll("button[data-role]")) {
    show(b, !roles || roles.has(b.dataset.role));
    b.disabled = S.busy || !can.signIn;
  }
}

/** Roles the roster gives me here, when /api/auth/me tells (role_a/role_b window lists);
 * null when the server does not say: then both buttons show and the server decides. */
function rosterRoles() {
  const me = S.me;
  if (!me || !Array.isArray(me.role_a) || !Array.isArray(me.role_b)) return null;
  const roles = new Set();
  if (me.role_a.includes(NUMBER)) roles.add("A");
  if (me.role_b.includes(NUMBER)) roles.add("B");
  return roles;
}

function renderTicket(info, can) {
  const cur = info?.current;
  byId("ticket-none").textContent = t(can.call ? "ticket.none" : "ticket.none.short");
  show(byId("ticket-empty"), !cur);
  show(byId("ticket-body"), Boolean(cur));
  byId("ticket").dataset.state = cur ? cur.state : "idle";
  if (!cur) return;
  byId("t-number").textContent = cur.number;
  const st = byId("t-state");
  st.textContent = t(`ticket.${cur.state}`);
  st.className = `badge ticket-${cur.state}`;
  show(byId("t-priority"), cur.priority);
  byId("t-category").textContent = categoryLabel(S.ix, cur.category);
  const item = cur.item_code ? S.ix.items.get(cur.item_code) : null;
  byId("t-item").textContent = cur.item_code
    ? (item ? pick(item.name) : cur.item_code) : t("ticket.item.none");
  byId("t-waited").textContent = t("ticket.minutes", { n: Math.round(cur.waited_min) });
  byId("t-recalls").textContent = t("ticket.times", { n: cur.recalls });
  const reason = splitReason(cur.call_reason);
  byId("t-reason").textContent = reason ? t("ticket.reason", { reason }) : "";
  show(byId("t-reason"), Boolean(reason));
}

/** The routing reason is "中文 | English" in one string: show the current side. */
function splitReason(reason) {
  if (!reason) return "";
  const at = reason.indexOf(" | ");
  if (at < 0) return reason;
  return i18n.lang() === "en" ? reason.slice(at + 3) : reason.slice(0, at);
}

function renderGuidePanel(info) {
  const cur = info?.current;
  const key = cur ? cur.number : null;
  if (key !== S.guideFor) { // a new ticket: show its own item
    S.guideFor = key;
    S.guideItem = cur?.item_code || "";
  }
  const cats = cur ? [cur.category] : skillsOf(info);
  show(byId("guide"), Boolean(info) && S.ix.items.size > 0);
  renderGuide(S.ix, byId("guide-body"), byId("guide-item"), cats, S.guideItem);
}

function renderActions(can) {
  for (const b of document.querySelectorAll("button[data-action]")) {
    const ok = Boolean(can[b.dataset.action]);
    b.disabled = S.busy || !ok;
  }
}

function renderError() {
  const e = S.error;
  show(byId("banner"), Boolean(e));
  if (!e) return;
  const en = i18n.lang() === "en";
  byId("banner-main").textContent = en ? e.en : e.zh;
  const other = en ? e.zh : e.en;
  byId("banner-other").textContent = other && other !== (en ? e.en : e.zh) ? other : "";
}

function renderFooter() {
  const conn = byId("conn");
  conn.textContent = t(S.online ? "conn.ok" : "conn.lost");
  conn.className = S.online ? "conn ok" : "conn lost";
  byId("updated").textContent = S.updatedAt
    ? t("updated", { time: S.updatedAt.toLocaleTimeString(i18n.lang() === "en" ? "en-GB" : "zh-CN", { hour12: false }) })
    : "";
  byId("refresh").textContent = S.live === null ? ""
    : t(S.live ? "footer.live" : "footer.poll", { s: SAFETY_MS / 1000 });
}

function render() {
  const can = allowed();
  renderHeader(S.info);
  renderSignIn(S.info, can);
  renderTicket(S.info, can);
  renderActions(can);
  renderGuidePanel(S.info);
  renderQueues(S.ix, byId("queue-rows"), S.info, S.queues);
  renderHelpers(S.ix, byId("helper-list"), byId("helper-none"), byId("helper-count"), S.helpers,
    answerHelper, S.busy);
  renderLastCase(byId("last-case"), S.info, S.busy || !can.reprint);
  renderError();
  renderFooter();
}

// ---- messages ----------------------------------------------------------------------------

let toastTimer = 0;
function toast(key, vars) {
  const box = byId("toast");
  box.textContent = t(key, vars);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

function setError(err) {
  if (err instanceof ApiError) S.error = { zh: err.zh, en: err.en, code: err.code };
  else if (err) S.error = { zh: String(err), en: String(err), code: "client" };
  else S.error = null;
  renderError();
}

// ---- talking to the server ---------------------------------------------------------------

let pollTimer = 0;
let polling = false;
let leaving = false;

function toLogin() {
  if (leaving) return;
  leaving = true;
  clearTimeout(pollTimer);
  goLogin();
}

async function loadLayout() {
  S.ix = indexLayout(await get("/api/layout"));
  S.layoutAt = Date.now();
}

let pollAgain = false; // asked for while a poll was under way: read again right after it

async function poll() {
  clearTimeout(pollTimer);
  if (leaving) return;
  if (polling) {
    pollAgain = true;
    return;
  }
  polling = true;
  pollAgain = false;
  const epoch = S.epoch;
  try {
    if (Date.now() - S.layoutAt > LAYOUT_MS) await loadLayout();
    const [info, queues, helpers] = await Promise.all([
      get(WIN), get("/api/queues"), get("/api/helper-requests"),
    ]);
    if (epoch === S.epoch && !S.busy) {
      S.info = info;
      S.queues = queues;
      S.helpers = helpers;
    }
    S.online = true;
    S.updatedAt = new Date();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      toLogin();
      return;
    }
    S.online = false;
  } finally {
    polling = false;
  }
  render();
  pollTimer = setTimeout(poll, pollAgain ? 0 : SAFETY_MS);
}

/** Run one action: buttons off meanwhile, the server's refusal shown, then a fresh read. */
async function run(fn) {
  if (S.busy) return;
  S.busy = true;
  S.epoch += 1;
  setError(null);
  render();
  try {
    await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      toLogin();
      return;
    }
    setError(err);
  } finally {
    S.busy = false;
    S.epoch += 1;
    render();
    poll();
  }
}

function windowAction(path, body, done) {
  return run(async () => {
    const before = S.info?.current?.number;
    S.info = await post(`${WIN}/${path}`, body);
    if (done) done(before);
  });
}

const ACTIONS = {
  call: () => run(async () => {
    const r = await post(`${WIN}/call-next`);
    S.info = r.window;
    if (r.called) toast("done.call", { number: r.called.number, window: NUMBER });
    else toast("done.call.none");
  }),
  recall: () => windowAction("recall", {}, (n) => toast("done.recall", { number: n })),
  start: () => windowAction("start", {}, (n) => toast("done.start", { number: n })),
  noShow: () => windowAction("no-show", {}, (n) => toast("done.noshow", { number: n })),
  away: () => windowAction("away", {}, () => toast("done.away")),
  resume: () => windowAction("resume", {}, () => toast("done.resume")),
  complete: () => openDialog("dlg-complete", "complete-notes"),
  transfer: () => { fillTransfer(S.ix, S.info, NUMBER); openDialog("dlg-transfer", "transfer-category"); },
  pause: () => { byId("pause-error").hidden = true; openDialog("dlg-pause", null); },
  signOut: () => openDialog("dlg-signout", "signout-ok"),
};

function answerHelper(h) {
  return run(async () => {
    await post(`/api/helper-requests/${h.id}/answer`);
    toast("done.helper", { device: h.device_id });
  });
}

// ---- wiring ---------------------------------------------------------------------------------

function onKey(ev) {
  if (anyDialogOpen() || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const action = KEYS[ev.key];
  if (action) {
    ev.preventDefault(); // F1 would open the browser's help even when the action is off
    const b = document.querySelector(`button[data-action="${action}"]`);
    if (b && !b.disabled) ACTIONS[action]();
    return;
  }
  const typing = ev.target instanceof HTMLElement
    && (ev.target.isContentEditable || ["INPUT", "TEXTAREA"].includes(ev.target.tagName));
  if (ev.key === "?" && !typing) {
    ev.preventDefault();
    openDialog("dlg-help", null);
  }
}

function wire() {
  for (const b of document.querySelectorAll("button[data-action]")) {
    b.addEventListener("click", () => ACTIONS[b.dataset.action]());
  }
  for (const b of document.querySelectorAll("#signin button[data-role]")) {
    b.addEventListener("click", () => windowAction("sign-in", { role: b.dataset.role },
      () => toast("signin.done", { role: b.dataset.role })));
  }
  byId("guide-item").addEventListener("change", (ev) => {
    S.guideItem = ev.target.value;
    renderGuidePanel(S.info);
  });
  byId("case-reprint").addEventListener("click", () => run(async () => {
    const caseNo = S.info?.last_case?.case_no;
    if (!caseNo) return;
    const r = await post(`/api/cases/${encodeURIComponent(caseNo)}/print-receipt`);
    const state = r && r.receipt ? i18n.tOr(`receipt.${r.receipt}`, r.receipt) : "—";
    toast("done.reprint", { state });
  }));
  byId("banner-close").addEventListener("click", () => setError(null));
  byId("help-btn").addEventListener("click", () => openDialog("dlg-help", null));
  byId("logout").addEventListener("click", async () => {
    try {
      await post("/api/auth/logout");
    } finally {
      toLogin();
    }
  });
  document.addEventListener("keydown", onKey);
  wireDialogs(() => S.ix, windowAction, toast);
  i18n.bindToggle(byId("lang"));
  i18n.onChange(() => {
    fillPausePresets();
    if (byId("dlg-transfer").open) fillTransfer(S.ix, S.info, NUMBER);
    render();
  });
}

async function start() {
  i18n.apply();
  fillPausePresets();
  wire();
  render();
  try {
    S.me = await get("/api/auth/me");
    await loadLayout();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      toLogin();
      return;
    }
    setError(err);
    S.online = false;
  }
  document.body.dataset.ready = "1";
  poll();
  subscribe({
    onChange(changes) {
      if (changes.some((c) => c.kind === "layout" || c.kind === "reload")) S.layoutAt = 0;
      poll();
    },
    onStatus(state) {
      S.live = state === "live";
      if (state === "down") S.online = false;
      render();
    },
  });
}

start();
