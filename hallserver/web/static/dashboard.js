// The manager dashboard (大厅管理看板) at /dashboard.
//
// Everything shown comes from the JSON API: GET /api/queues, /api/windows, /api/devices,
// /api/alerts and /api/monitor/overview (what those lack). `refresh()` is the one function
// that reloads them; it runs on the live stream's change events (debounced, one refresh in
// flight, one queued), on a 30 s safety timer and after acknowledging an alert. No reloads.
import { ApiError, get, goLogin, post } from "/static/lib/api.js";
import { byId, clock, show } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";
import { subscribe } from "/static/lib/live.js";
import { bindLogout, renderNav } from "/static/lib/nav.js";
import "/static/dashboard_words.js";
import {
  indexLayout, renderAlerts, renderDevices, renderQueues, renderSummary, renderWindows,
} from "/static/dashboard_render.js";
import { mountWhatIf, renderWhatIf, setWhatIfLayout } from "/static/dashboard_whatif.js";

const { t, pick } = i18n;
const DEBOUNCE_MS = 1000; // at most about one refresh a second, however busy the hall
const ALERT_LIMIT = 200;

const S = {
  me: null,
  layout: null,
  roster: [],
  ix: indexLayout(null, []),
  data: null, // {queues, windows, devices, alerts, overview}
  running: false,
  again: false,
  againLayout: false,
  acking: new Set(),
  conn: "wait",
};

function render() {
  const d = S.data;
  if (!d) return;
  renderSummary(d.overview);
  renderQueues(d.queues, d.overview, S.ix);
  renderWindows(d.windows, d.overview, S.ix);
  renderAlerts(d.alerts, S.ix, acknowledge, S.acking);
  renderDevices(d.devices, S.ix);
  byId("updated").textContent = t("updated", { time: clock(d.overview.at, S.ix.tz, i18n.lang()) });
  byId("updated").dataset.at = d.overview.at;
  renderHeader();
}

function renderHeader() {
  byId("hall-name").textContent = S.ix.hallName ? pick(S.ix.hallName) : "";
  byId("me").textContent = S.me ? S.me.display_name : "";
  document.title = t("page.title");
  const conn = byId("conn");
  conn.dataset.state = S.conn;
  conn.textContent = t(`conn.${S.conn}`);
}

function banner(err) {
  const box = byId("banner");
  if (!err) {
    show(box, false);
    return;
  }
  const msg = err instanceof ApiError ? (i18n.lang() === "en" ? err.en : err.zh) : String(err);
  box.textContent = t("err.load", { msg });
  show(box, true);
}

function handle(err) {
  if (err instanceof ApiError && err.status === 401) {
    goLogin();
    return;
  }
  if (err instanceof ApiError && err.status === 403) {
    banner(new ApiError(403, "forbidden", t("err.forbidden"), t("err.forbidden")));
    return;
  }
  banner(err);
}

async function loadLayout() {
  const [me, layout, roster] = await Promise.all([
    get("/api/auth/me"), get("/api/layout"), get("/api/layout/staff"),
  ]);
  S.me = me;
  renderNav(me.role);
  S.layout = layout;
  S.roster = roster;
  S.ix = indexLayout(layout, roster);
  setWhatIfLayout(layout);
}

/** Reload every list the page shows; overlapping calls collapse into one more run. */
async function refresh(withLayout = false) {
  if (S.running) {
    S.again = true;
    S.againLayout = S.againLayout || withLayout;
    return;
  }
  S.running = true;
  try {
    if (withLayout || !S.layout) await loadLayout();
    const [queues, windows, devices, alerts, overview] = await Promise.all([
      get("/api/queues"), get("/api/windows"), get("/api/devices"),
      get(`/api/alerts?open_only=false&limit=${ALERT_LIMIT}`), get("/api/monitor/overview"),
    ]);
    S.data = { queues, windows, devices, alerts, overview };
    banner(null);
    render();
  } catch (err) {
    handle(err);
  } finally {
    S.running = false;
    if (S.again) {
      const layout = S.againLayout;
      S.again = false;
      S.againLayout = false;
      setTimeout(() => refresh(layout), 0);
    }
  }
}

async function acknowledge(id) {
  S.acking.add(id);
  render();
  try {
    await post(`/api/alerts/${id}/ack`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      goLogin();
      return;
    }
    const msg = err instanceof ApiError ? (i18n.lang() === "en" ? err.en : err.zh) : String(err);
    const box = byId("banner");
    box.textContent = t("a.ackfail", { msg });
    show(box, true);
  } finally {
    S.acking.delete(id);
  }
  await refresh(false);
}

function onChange(changes) {
  const layout = changes.some((c) => c.kind === "layout" || c.kind === "reload");
  refresh(layout);
}

function start() {
  renderNav(null);
  i18n.apply();
  i18n.bindToggle(byId("lang"));
  i18n.onChange(() => {
    render();
    renderWhatIf();
  });
  renderHeader();
  mountWhatIf();
  bindLogout(byId("logout"));
  subscribe({
    onChange,
    onStatus: (state) => {
      S.conn = state;
      renderHeader();
    },
  }, { debounceMs: DEBOUNCE_MS });
  refresh(true);
}

start();
