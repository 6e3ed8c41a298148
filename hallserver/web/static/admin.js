// Administration page (/admin): hall layout editor, logins, devices, audit trail.
// The layout is edited as a draft of the whole document and saved with the version it was
// loaded at; the server validates it with the hall.yaml models and refuses a stale version.
import "/static/admin_words.js";
import { refreshAudit, refreshDevices } from "/static/admin_devices.js";
import { createEditor, sectionOf } from "/static/admin_layout.js";
import { createUsers } from "/static/admin_users.js";
import { ApiError, get, goLogin } from "/static/lib/api.js";
import { byId, clock, el, fill } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";
import { bindLogout, renderNav } from "/static/lib/nav.js";

const t = i18n.t;
const state = {
  tab: "layout",
  loaded: null, // GET /api/admin/layout: {version, created_by, created_at, document, warnings}
  serverVersion: null, // newest version the server reported
  me: "",
  busy: false,
  errors: [], // the last refusal's located issues
  lastError: null,
  conn: "", // live push: "live" or "down"
};

// ---- banner and toast ------------------------------------------------------------------

function showBanner(err) {
  state.lastError = err;
  if (!err) {
    byId("banner").hidden = true;
    return;
  }
  const en = i18n.lang() === "en";
  byId("banner-main").textContent = en ? err.en : err.zh;
  byId("banner-other").textContent = en ? err.zh : err.en;
  byId("banner-other").lang = en ? "zh-CN" : "en";
  byId("banner").hidden = false;
}

let toastTimer = 0;
function toast(message) {
  const node = byId("toast");
  node.textContent = message;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
}

function fail(err) {
  if (err instanceof ApiError && err.status === 401) {
    goLogin();
    return;
  }
  showBanner(err && typeof err === "object" && "zh" in err ? err : { zh: String(err), en: String(err) });
}

// ---- layout ----------------------------------------------------------------------------

const editor = createEditor(byId("editor"), () => updateSaveBar());

function isDirty() {
  return state.loaded !== null
    && JSON.stringify(editor.draft()) !== JSON.stringify(state.loaded.document);
}

function updateSaveBar() {
  const dirty = isDirty();
  const badge = byId("dirty");
  badge.textContent = dirty ? t("dirty") : t("clean");
  badge.classList.toggle("dirty", dirty);
  byId("save").disabled = !dirty || state.busy;
  byId("discard").disabled = !dirty || state.busy;
  if (state.loaded) {
    const l = state.loaded;
    byId("version-line").textContent = t("version.line", {
      v: l.version, who: l.created_by || "—", at: clock(l.created_at, "Asia/Shanghai", i18n.lang()),
    });
  }
  const stale = state.serverVersion !== null && state.loaded && state.serverVersion > state.loaded.version;
  byId("stale").hidden = !stale;
  if (stale) byId("stale").textContent = t("stale.notice", { v: state.serverVersion });
}

function showErrors(errors) {
  state.errors = errors;
  const box = byId("errors");
  box.hidden = errors.length === 0;
  const en = i18n.lang() === "en";
  fill(byId("error-list"), ...errors.map((e) => el("li", { "data-path": e.path },
    el("button", {
      type: "button", class: "link-button goto", onclick: () => goTo(e.path),
    }, en ? e.where_en : e.where),
    el("span", {}, en ? `: ${e.message_en}` : `：${e.message}`),
    el("span", { class: "other-lang", lang: en ? "zh-CN" : "en" },
      en ? `${e.where}：${e.message}` : `${e.where_en}: ${e.message_en}`))));
  editor.mark(errors.map((e) => e.path));
}

function goTo(path) {
  showSection(sectionOf(path));
  const target = [...byId("editor").querySelectorAll("[data-path]")]
    .find((n) => n.dataset.path === path || n.dataset.path.startsWith(`${path}.`)
      || path.startsWith(`${n.dataset.path}[`));
  if (target) {
    target.scrollIntoView({ block: "center" });
    target.focus();
  }
}

function showWarnings(warnings) {
  byId("warnings").hidden = warnings.length === 0;
  fill(byId("warning-list"), ...warnings.map((w) => el("li", {}, w)));
}

function showSection(name) {
  for (const b of document.querySelectorAll("[data-sub]")) {
    b.setAttribute("aria-pressed", String(b.dataset.sub === name));
  }
  editor.show(name);
  editor.mark(state.errors.map((e) => e.path));
}

function takeLayout(body) {
  state.loaded = body;
  state.serverVersion = body.version;
  editor.load(body.document);
  editor.mark(state.errors.map((e) => e.path));
  showWarnings(body.warnings || []);
  updateSaveBar();
}

async function loadLayout() {
  takeLayout(await get("/api/admin/layout"));
}

/** PUT the layout keeping the refusal's located issues (lib/api.js keeps only messages). */
async function putLayout(body) {
  let resp;
  try {
    resp = await fetch("/api/admin/layout", {
      method: "PUT", credentials: "same-origin", cache: "no-store", body: JSON.stringify(body),
      headers: { Accept: "application/json", "Content-Type": "application/json" },
    });
  } catch {
    throw new ApiError(0, "network", "无法连接服务器，请检查网络", "cannot reach the server; check the network");
  }
  const data = await resp.json().catch(() => null);
  if (resp.ok) return data;
  const d = data && data.detail && typeof data.detail === "object" ? data.detail : {};
  const err = new ApiError(resp.status, d.code || `http_${resp.status}`,
    d.message || `请求失败（${resp.status}）`, d.message_en || `request failed (${resp.status})`);
  err.errors = Array.isArray(d.errors) ? d.errors.filter((e) => e && e.path) : [];
  throw err;
}

async function save() {
  if (state.busy || !state.loaded) return;
  state.busy = true;
  byId("save").textContent = t("saving");
  updateSaveBar();
  try {
    const saved = await putLayout({ version: state.loaded.version, document: editor.draft() });
    showErrors([]);
    showBanner(null);
    takeLayout(saved);
    toast(saved.changed ? t("saved", { v: saved.version }) : t("saved.same", { v: saved.version }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      goLogin();
      return;
    }
    showErrors(err instanceof ApiError && err.errors ? err.errors : []);
    fail(err);
    if (err instanceof ApiError && err.code === "stale_version") await pollVersion();
  } finally {
    state.busy = false;
    byId("save").textContent = t("save");
    updateSaveBar();
  }
}

/** The newest version on the server; a clean draft follows it, an edited one is warned. */
async function pollVersion() {
  const body = await get("/api/admin/layout");
  state.serverVersion = body.version;
  if (state.loaded && body.version !== state.loaded.version && !isDirty()) {
    takeLayout(body);
    toast(t("reloaded", { v: body.version }));
  }
  updateSaveBar();
}

// ---- tabs and refresh --------------------------------------------------------------------

const users = createUsers({
  rows: byId("user-rows"), form: byId("user-form"), me: () => state.me, toast,
  fail: (err) => fail(err),
});

async function refreshTab() {
  try {
    if (state.tab === "layout") await pollVersion();
    else if (state.tab === "users") await users.refresh();
    else if (state.tab === "devices") await refreshDevices(byId("device-rows"));
    else await refreshAudit(byId("audit-rows"));
  } catch (err) {
    fail(err);
  }
}

function showTab(name) {
  state.tab = name;
  for (const b of document.querySelectorAll("[data-tab]")) {
    b.setAttribute("aria-selected", String(b.dataset.tab === name));
  }
  for (const p of ["layout", "users", "devices", "audit"]) byId(`panel-${p}`).hidden = p !== name;
  refreshTab();
}

function showConn() {
  if (!state.conn) return;
  byId("conn").textContent = state.conn === "live" ? t("conn.live") : t("conn.down");
  byId("conn").dataset.state = state.conn;
}

async function startLive() {
  try {
    const live = await import("/static/lib/live.js");
    live.subscribe({
      onChange: () => refreshTab(),
      onStatus: (s) => {
        state.conn = s;
        showConn();
      },
    });
  } catch {
    setInterval(refreshTab, 30_000); // no live push: a slow safety poll
  }
}

async function main() {
  renderNav(null);
  i18n.apply();
  i18n.bindToggle(byId("lang"));
  i18n.onChange(() => {
    editor.render();
    showErrors(state.errors);
    showBanner(state.lastError);
    updateSaveBar();
    users.render();
    showConn();
    if (state.tab === "devices" || state.tab === "audit") refreshTab();
  });
  for (const b of document.querySelectorAll("[data-tab]")) b.addEventListener("click", () => showTab(b.dataset.tab));
  for (const b of document.querySelectorAll("[data-sub]")) b.addEventListener("click", () => showSection(b.dataset.sub));
  byId("save").addEventListener("click", save);
  byId("discard").addEventListener("click", async () => {
    showErrors([]);
    showBanner(null);
    try {
      await loadLayout();
    } catch (err) {
      fail(err);
    }
  });
  byId("banner-close").addEventListener("click", () => showBanner(null));
  bindLogout(byId("logout"));
  window.addEventListener("beforeunload", (e) => {
    if (isDirty()) e.preventDefault();
  });
  try {
    const me = await get("/api/auth/me");
    state.me = me.username;
    byId("me").textContent = `${me.display_name}（${me.username}）`;
    renderNav(me.role);
    await loadLayout();
    showSection("windows");
  } catch (err) {
    fail(err);
  }
  startLive();
}

main();
