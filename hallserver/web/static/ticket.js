// 排队进度: the phone page behind a printed ticket's QR code (/t/<token>).
//
// Shows GET /api/tickets/public/<token> and reads it again when the live event stream says
// something changed in this ticket's category or at the windows (debounced), and every 30 s
// regardless. No login: the token is the only key, and the API returns no personal data.
import { ApiError, get, post } from "/static/lib/api.js";
import { byId, clock, show } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";
import { subscribe } from "/static/lib/live.js";

const { t, pick } = i18n;
const TOKEN = decodeURIComponent(window.location.pathname.split("/").filter(Boolean)[1] || "");
const URL_STATUS = `/api/tickets/public/${encodeURIComponent(TOKEN)}`;
const TZ = document.body.dataset.tz || undefined;
const QUIET = new Set(["device", "rating", "alert", "arm", "receipt"]);

const WORDS = {
  title: { zh: "排队进度", en: "Your place in the queue" },
  ahead: { zh: "前面还有", en: "People ahead" },
  wait: { zh: "预计等候", en: "Expected wait" },
  window: { zh: "办理窗口", en: "Window" },
  issued: { zh: "取号时间", en: "Taken at" },
  rejoinUntil: { zh: "可重新排队至", en: "Rejoin before" },
  people: { zh: "{n} 人", en: "{n}" },
  minutes: { zh: "约 {n} 分钟", en: "about {n} min" },
  minutesZero: { zh: "即将叫号", en: "any moment" },
  noForecast: { zh: "暂无法预计", en: "not known yet" },
  soon: { zh: "即将叫到您的号，请留意叫号屏", en: "You will be called soon: please watch the call screen in the hall" },
  called: { zh: "请到 {n} 号窗口办理", en: "Please go to window {n}" },
  serving: { zh: "正在 {n} 号窗口办理", en: "Being served at window {n}" },
  "state.waiting": { zh: "排队中", en: "Waiting" },
  "state.called": { zh: "已叫号", en: "Called" },
  "state.serving": { zh: "办理中", en: "Being served" },
  "state.done": { zh: "已办理完毕", en: "Done" },
  "state.no_show": { zh: "已过号", en: "Missed" },
  "state.cancelled": { zh: "已取消", en: "Cancelled" },
  "final.done": { zh: "业务已办理完毕，感谢您的耐心等候。", en: "Your visit is done. Thank you for waiting." },
  "final.cancelled": { zh: "此号已取消。如需办理，请重新取号。", en: "This ticket was cancelled. Take a new number if you still need service." },
  "final.no_show": { zh: "叫号时您未到窗口，此号已过号。可在规定时间内重新排队。", en: "You were called but did not come. You may rejoin the queue for a while." },
  "final.no_show_late": { zh: "此号已过号，重新排队时间已过，请重新取号。", en: "This ticket was missed and can no longer rejoin: please take a new number." },
  rejoin: { zh: "重新排队", en: "Rejoin the queue" },
  cancel: { zh: "取消排队", en: "Give up my place" },
  confirmCancel: { zh: "确定取消排队吗？取消后此号作废。", en: "Give up your place? The ticket will no longer be called." },
  confirmYes: { zh: "确定取消", en: "Yes, cancel" },
  confirmNo: { zh: "不取消", en: "Keep my place" },
  rejoined: { zh: "已重新排队", en: "You are back in the queue" },
  updated: { zh: "更新于 {time}", en: "Updated {time}" },
  "conn.down": { zh: "连接中断，正在重连…", en: "Connection lost, reconnecting…" },
  keep: { zh: "本页自动更新，无需刷新。请保管好号票，叫号时凭号办理。", en: "This page updates itself. Keep your ticket: you will be served by its number." },
};
i18n.register(WORDS);

// offset: the hall server's clock minus this phone's, from the newest answer (a phone whose
// clock is wrong still shows the right state).
const S = {
  status: null, seq: 0, busy: false, streamDown: false, readFailed: false, offset: 0, expiry: null,
};

function serverNow() {
  return Date.now() + S.offset;
}

function take(status) {
  S.status = status;
  S.offset = Date.parse(status.now) - Date.now();
}

/** The other language's side of a key (English under Chinese; nothing under English). */
function other(key, vars = {}) {
  if (i18n.lang() === "en") return "";
  return WORDS[key].en.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

function render() {
  const s = S.status;
  if (!s) return;
  const card = byId("card");
  card.dataset.state = s.state;
  byId("number").textContent = s.number;
  byId("category").textContent = pick(s.category_name);
  byId("state").textContent = t(`state.${s.state}`);

  const waiting = s.state === "waiting";
  show(byId("ahead-row"), waiting);
  show(byId("wait-row"), waiting);
  if (waiting) {
    byId("ahead").textContent = s.people_ahead === null ? "—" : t("people", { n: s.people_ahead });
    byId("wait").textContent = s.predicted_wait_min === null ? t("noForecast")
      : s.predicted_wait_min <= 0 ? t("minutesZero") : t("minutes", { n: s.predicted_wait_min });
  }
  const soon = waiting && s.about_to_be_called;
  show(byId("soon"), soon);
  byId("soon-text").textContent = t("soon");
  byId("soon-other").textContent = other("soon");

  const atWindow = (s.state === "called" || s.state === "serving") && s.window !== null;
  show(byId("called"), atWindow);
  show(byId("window-row"), atWindow);
  if (atWindow) {
    const key = s.state === "called" ? "called" : "serving";
    byId("called-text").textContent = t(key, { n: s.window });
    byId("called-other").textContent = other(key, { n: s.window });
    byId("window").textContent = i18n.lang() === "en" ? `Window ${s.window}` : `${s.window} 号窗口`;
  }
  byId("called").classList.toggle("serving", s.state === "serving");

  const rejoinLeft = s.state === "no_show" && s.may_rejoin_until
    ? Date.parse(s.may_rejoin_until) - serverNow() : 0;
  const rejoinable = rejoinLeft > 0;
  clearTimeout(S.expiry); // the rejoin button goes when the server's grace time ends
  S.expiry = rejoinable ? setTimeout(render, rejoinLeft + 250) : null;
  show(byId("rejoin-row"), rejoinable);
  if (rejoinable) byId("rejoin-until").textContent = clock(s.may_rejoin_until, TZ, i18n.lang());
  const finalKey = s.state === "no_show" ? (rejoinable ? "final.no_show" : "final.no_show_late")
    : (s.state === "done" || s.state === "cancelled") ? `final.${s.state}` : "";
  show(byId("final"), Boolean(finalKey));
  if (finalKey) byId("final").textContent = t(finalKey);

  byId("issued").textContent = clock(s.issued_at, TZ, i18n.lang());
  show(byId("rejoin"), rejoinable);
  show(byId("cancel"), waiting);
  if (!waiting) show(byId("confirm"), false);
  for (const id of ["rejoin", "cancel", "confirm-yes"]) byId(id).disabled = S.busy;
}

function showError(err) {
  const box = byId("error");
  if (!err) {
    show(box, false);
    return;
  }
  const zh = err instanceof ApiError ? err.zh : String(err);
  const en = err instanceof ApiError ? err.en : "";
  box.textContent = i18n.lang() === "en" ? (en || zh) : (en && en !== zh ? `${zh}（${en}）` : zh);
  show(box, true);
}

function setDown(change) {
  Object.assign(S, change);
  show(byId("conn"), S.streamDown || S.readFailed);
}

async function refresh() {
  const mine = ++S.seq;
  try {
    const status = await get(URL_STATUS, { timeoutMs: 8000 });
    if (mine !== S.seq) return;
    take(status);
    setDown({ readFailed: false });
    byId("updated").textContent = t("updated", {
      time: new Intl.DateTimeFormat("en-GB", {
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: TZ,
      }).format(new Date(serverNow())),
    });
    render();
    document.body.dataset.ready = "yes";
  } catch (err) {
    if (mine !== S.seq) return;
    if (err instanceof ApiError && err.status === 404) {
      window.location.reload(); // the server's own "no such ticket" page
      return;
    }
    setDown({ readFailed: true });
  }
}

async function act(path) {
  S.busy = true;
  render();
  showError(null);
  S.seq += 1; // an older read must not overwrite the answer
  try {
    take(await post(`${URL_STATUS}/${path}`));
  } catch (err) {
    showError(err);
    refresh();
  } finally {
    S.busy = false;
    show(byId("confirm"), false);
    render();
  }
}

function relevant(changes) {
  const mine = S.status?.category;
  return changes.some((c) => c.kind === "reload" || c.kind === "poll"
    || (!QUIET.has(c.kind) && (c.category === null || c.category === undefined
      || c.category === mine)));
}

function start() {
  i18n.apply();
  i18n.bindToggle(byId("lang"));
  i18n.onChange(render);
  byId("cancel").addEventListener("click", () => show(byId("confirm"), true));
  byId("confirm-no").addEventListener("click", () => show(byId("confirm"), false));
  byId("confirm-yes").addEventListener("click", () => act("cancel"));
  byId("rejoin").addEventListener("click", () => act("rejoin"));
  refresh();
  subscribe({
    onChange: (changes) => { if (relevant(changes)) refresh(); },
    onStatus: (state) => setDown({ streamDown: state === "down" }),
  });
}

start();
