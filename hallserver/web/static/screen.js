// The hall call screen (综合屏) at /screen, for a 1920x1080 display.
//
// Everything shown comes from GET /api/screen/state. The page reads it again whenever the
// live event stream (/api/events) reports a call (at once) or a change (debounced), when the
// stream comes back after a break, and every 30 s regardless. Calls it has not seen before
// (their ids grow) are highlighted and read aloud; calls already there at the first load, or
// older than STALE_MS when first seen (the screen was off), are only listed.
import { get } from "/static/lib/api.js";
import { byId, el, fill, show } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";
import { subscribe } from "/static/lib/live.js";
import { Announcer, soundAllowed, voicesReady } from "/static/screen_speech.js";

const { t, pick } = i18n;
const params = new URLSearchParams(window.location.search);
const ZONE = params.get("zone");
const STATE_URL = `/api/screen/state${ZONE ? `?zone=${encodeURIComponent(ZONE)}` : ""}`;
const STALE_MS = 2 * 60 * 1000;
const FLASH_MS = 6000;

i18n.register({
  title: { zh: "叫号信息", en: "Now Calling" },
  latest: { zh: "正在呼叫", en: "Latest call" },
  recent: { zh: "最近叫号", en: "Recent calls" },
  windows: { zh: "各窗口当前号码", en: "Windows" },
  waiting: { zh: "等候人数", en: "Waiting" },
  noCalls: { zh: "暂无叫号", en: "No calls yet" },
  recall: { zh: "重呼", en: "Called again" },
  speaking: { zh: "正在播报", en: "Announcing" },
  "conn.down": { zh: "连接中断，正在重连…", en: "Connection lost, reconnecting…" },
  windowNo: { zh: "{n} 号窗口", en: "Window {n}" },
  people: { zh: "{n} 人", en: "{n}" },
  "status.idle": { zh: "空闲", en: "Available" },
  "status.serving": { zh: "办理中", en: "Serving" },
  "status.called": { zh: "已叫号", en: "Called" },
  "status.paused": { zh: "暂停服务", en: "Paused" },
  "status.away": { zh: "暂时离开", en: "Away" },
  "status.closed": { zh: "未开放", en: "Closed" },
  noticeDefault: {
    zh: "请留意叫号，听到您的号码后请到对应窗口办理；过号可到服务台重新排队。",
    en: "Please listen for your number and go to the window called. Missed your call? Ask at the help desk.",
  },
});

const lang = params.get("lang");
if (lang === "en" || lang === "zh") i18n.setLang(lang);

const S = {
  data: null,
  seen: null, // highest call id seen; null until the first load
  offset: 0, // server clock minus this browser's clock, ms
  seq: 0,
  flashTimer: 0,
  flashWindow: null,
  speakingId: null,
  announced: [],
  streamDown: false,
  readFailed: false,
};

const player = /** @type {HTMLAudioElement} */ (byId("player"));
const announcer = new Announcer(player, {
  onStart(call) {
    S.speakingId = call.id;
    show(byId("speaking"), true);
  },
  onEnd(call, how, times) {
    S.speakingId = null;
    show(byId("speaking"), false);
    S.announced.push(`${call.id}:${how}:${times}`);
    byId("announced").textContent = S.announced.slice(-20).join(" ");
  },
  onLocked() {
    show(byId("unlock"), true);
  },
});

// ---- rendering -------------------------------------------------------------------------

function windowLabel(call) {
  return t("windowNo", { n: call.window });
}

function renderLatest(data) {
  const call = data.calls[0];
  show(byId("latest-call"), Boolean(call));
  show(byId("latest-empty"), !call);
  if (!call) return;
  byId("latest-number").textContent = call.number;
  byId("latest-window").textContent = windowLabel(call);
  byId("latest-text").textContent = pick(call.text);
  show(byId("latest-recall"), call.recall);
}

function renderRecent(data) {
  const tz = data.timezone;
  fill(byId("recent"), ...data.calls.map((c, i) => el("li", {
    class: `sc-recent-item${i === 0 ? " newest" : ""}`, dataset: { call: c.id },
  },
  el("span", { class: "num" }, c.number),
  el("span", { class: "arrow", "aria-hidden": "true" }, "→"),
  el("span", { class: "win" }, windowLabel(c)),
  c.recall ? el("span", { class: "tag" }, t("recall")) : null,
  el("span", { class: "at" }, timeOf(c.at, tz, false)))));
}

function windowState(w) {
  if (w.current) return w.current.state === "serving" ? "serving" : "called";
  return w.status === "open" ? "idle" : w.status;
}

/** A window name split into the name and its bracketed note: ["5号窗口", "绿色通道"]. */
function splitName(name) {
  const m = /^(.*?)\s*[（(]([^）)]*)[）)]\s*$/.exec(name);
  return m ? [m[1], m[2]] : [name, ""];
}

function renderWindows(data) {
  const count = data.windows.length;
  byId("windows").className = `sc-grid cols-${count > 15 ? 6 : count > 8 ? 5 : 4}`;
  fill(byId("windows"), ...data.windows.map((w) => {
    const state = windowState(w);
    const [name, note] = splitName(pick(w.name));
    return el("li", {
      class: `sc-win st-${state}${S.flashWindow === w.number ? " just-called" : ""}`,
      dataset: { testid: `window-${w.number}`, window: w.number },
    },
    el("span", { class: "sc-win-name" }, name),
    el("span", { class: "sc-win-note" }, note),
    el("span", { class: "sc-win-number", dataset: { testid: `window-${w.number}-number` } },
      w.current ? w.current.number : "—"),
    el("span", { class: "sc-win-state" }, t(`status.${state}`)));
  }));
}

function renderQueues(data) {
  fill(byId("queues"), ...data.queues.map((q) => el("li", {
    class: `sc-queue${q.waiting ? "" : " empty"}`, dataset: { testid: `queue-${q.category}` },
  },
  el("span", { class: "sc-prefix" }, q.prefix),
  el("span", { class: "sc-queue-name" }, pick(q.name)),
  el("span", { class: "sc-queue-count", dataset: { testid: `waiting-${q.category}` } },
    t("people", { n: q.waiting })))));
}

function render() {
  const data = S.data;
  if (!data) return;
  byId("hall").textContent = pick(data.hall);
  byId("zone").textContent = data.zone ? pick(data.zones[data.zone]) : "";
  const notice = data.settings.notice ? pick(data.settings.notice) : t("noticeDefault");
  byId("notice").textContent = notice;
  renderLatest(data);
  renderRecent(data);
  renderWindows(data);
  renderQueues(data);
  tick();
}

// ---- clock ---------------------------------------------------------------------------------

function timeOf(iso, timeZone, seconds) {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined,
    hour12: false, timeZone: timeZone || undefined,
  }).format(d);
}

function tick() {
  const tz = S.data?.timezone;
  const now = new Date(Date.now() + S.offset);
  byId("time").textContent = timeOf(now, tz, true);
  byId("date").textContent = new Intl.DateTimeFormat(i18n.lang() === "en" ? "en-GB" : "zh-CN", {
    year: "numeric", month: "long", day: "numeric", weekday: "long", timeZone: tz || undefined,
  }).format(now);
}

// ---- calls -----------------------------------------------------------------------------------

function flash(call) {
  const panel = byId("latest");
  panel.classList.remove("flash");
  void panel.offsetWidth; // restart the animation
  panel.classList.add("flash");
  S.flashWindow = call.window;
  clearTimeout(S.flashTimer);
  S.flashTimer = setTimeout(() => {
    panel.classList.remove("flash");
    S.flashWindow = null;
    for (const node of document.querySelectorAll(".sc-win.just-called")) {
      node.classList.remove("just-called");
    }
  }, FLASH_MS);
}

function takeNewCalls(data) {
  const ids = data.calls.map((c) => c.id);
  const top = ids.length ? Math.max(...ids) : 0;
  if (S.seen === null) {
    S.seen = top; // what was called before the screen came up is listed, not read
    return [];
  }
  const serverNow = Date.parse(data.now);
  const fresh = data.calls
    .filter((c) => c.id > S.seen && serverNow - Date.parse(c.at) < STALE_MS)
    .sort((a, b) => a.id - b.id);
  S.seen = Math.max(S.seen, top);
  return fresh;
}

// ---- loading -------------------------------------------------------------------------------

async function refresh() {
  const mine = ++S.seq;
  let data;
  try {
    data = await get(STATE_URL, { timeoutMs: 8000 });
  } catch {
    if (mine === S.seq) setDown({ readFailed: true });
    return;
  }
  if (mine !== S.seq) return; // a newer read is under way
  setDown({ readFailed: false });
  S.data = data;
  S.offset = Date.parse(data.now) - Date.now();
  announcer.configure(data.settings);
  const fresh = takeNewCalls(data);
  if (fresh.length) flash(fresh[fresh.length - 1]);
  render();
  for (const call of fresh) announcer.enqueue(call);
  document.body.dataset.ready = "yes";
}

function setDown(change) {
  Object.assign(S, change);
  const down = S.streamDown || S.readFailed;
  show(byId("conn"), down);
  document.body.classList.toggle("offline", down);
}

async function start() {
  i18n.apply();
  setInterval(tick, 1000);
  byId("unlock-btn").addEventListener("click", () => {
    show(byId("unlock"), false);
    announcer.unlock();
  });
  i18n.onChange(render);
  await refresh();
  await voicesReady();
  if (S.data && announcer.how() && !soundAllowed()) show(byId("unlock"), true);
  subscribe({
    onChange: () => refresh(),
    onCall: () => refresh(),
    onStatus: (state) => setDown({ streamDown: state === "down" }),
  });
}

start();
