// Accounts tab: list logins, create one, reset a password, enable/disable, change role.
// The server enforces every rule (no self-disable, last admin); the page shows its refusal.
import { api, get, post } from "/static/lib/api.js";
import { clock, el, fill } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";

const t = i18n.t;
const ROLES = ["staff", "manager", "admin"];
const BAD = {
  username: { zh: "用户名须为 2–32 位字母、数字或 . _ -", en: "user name: 2-32 letters, digits or . _ -" },
  display: { zh: "请填写显示名称", en: "enter a display name" },
  password: { zh: "密码至少 8 位", en: "the password needs at least 8 characters" },
};

function when(iso) {
  if (!iso) return t("users.never");
  const d = new Date(iso);
  const day = new Intl.DateTimeFormat("zh-CN", { month: "2-digit", day: "2-digit", timeZone: "Asia/Shanghai" }).format(d);
  return `${day} ${clock(iso, "Asia/Shanghai", i18n.lang())}`;
}

/**
 * @param {{rows: HTMLElement, form: HTMLFormElement, me: () => string,
 *          toast: (msg: string) => void, fail: (err: unknown) => void}} ui
 */
export function createUsers(ui) {
  let users = [];
  let resetting = null;

  async function change(username, body, done) {
    try {
      const user = await api("PATCH", `/api/admin/users/${encodeURIComponent(username)}`, body);
      ui.toast(done(user));
      await refresh();
    } catch (err) {
      ui.fail(err);
    }
  }

  function resetCell(u) {
    const input = el("input", {
      type: "password", autocomplete: "new-password", maxlength: 256, class: "w-pw",
      "aria-label": t("users.reset.prompt", { u: u.username }),
      placeholder: t("users.password"),
    });
    const ok = el("button", {
      type: "button", class: "primary", onclick: () => {
        if (input.value.length < 8) {
          ui.fail(BAD.password);
          input.focus();
          return;
        }
        resetting = null;
        change(u.username, { password: input.value }, () => t("users.reset.done", { u: u.username }));
      },
    }, t("users.reset"));
    const cancel = el("button", { type: "button", onclick: () => { resetting = null; render(); } }, "×");
    setTimeout(() => input.focus(), 0);
    return el("div", { class: "row-actions" }, input, ok, cancel);
  }

  function actions(u) {
    if (resetting === u.username) return resetCell(u);
    const mine = u.username === ui.me();
    const role = el("select", {
      "aria-label": `${t("users.role")} ${u.username}`, disabled: mine,
      onchange: (e) => change(u.username, { role: e.target.value },
        (x) => t("users.role.done", { u: x.username, r: t(`role.${x.role}`) })),
    }, ...ROLES.map((r) => el("option", { value: r }, t(`role.${r}`))));
    role.value = u.role;
    const toggle = el("button", {
      type: "button", disabled: mine, class: u.active ? "warn" : "",
      onclick: () => change(u.username, { active: !u.active },
        (x) => t("users.state.done", { u: x.username, s: t(x.active ? "users.enabled.done" : "users.disabled.done") })),
    }, u.active ? t("users.disable") : t("users.enable"));
    const reset = el("button", { type: "button", onclick: () => { resetting = u.username; render(); } },
      t("users.reset"));
    return el("div", { class: "row-actions" }, role, toggle, reset);
  }

  function render() {
    fill(ui.rows, ...users.map((u) => el("tr", { "data-testid": `user-${u.username}`, class: u.active ? "" : "off" },
      el("td", {}, el("strong", {}, u.username), u.username === ui.me() ? t("users.me") : ""),
      el("td", {}, u.display_name),
      el("td", {}, t(`role.${u.role}`),
        u.on_roster ? el("span", { class: "tag" }, t("users.roster")) : null),
      el("td", {}, u.active ? t("users.active") : el("span", { class: "error-text" }, t("users.disabled")),
        u.has_password ? null : el("span", { class: "tag warn" }, t("users.nopw"))),
      el("td", { class: "muted" }, when(u.last_login)),
      el("td", {}, actions(u)))));
  }

  async function refresh() {
    users = await get("/api/admin/users");
    render();
  }

  ui.form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ui.form;
    const body = {
      username: f.username.value.trim(), display_name: f.display_name.value.trim(),
      role: f.role.value, password: f.password.value,
    };
    const problem = !/^[0-9A-Za-z._-]{2,32}$/.test(body.username) ? BAD.username
      : !body.display_name ? BAD.display : body.password.length < 8 ? BAD.password : null;
    if (problem) {
      ui.fail(problem);
      return;
    }
    try {
      const user = await post("/api/admin/users", body);
      f.reset();
      ui.toast(t("users.created", { u: user.username }));
      await refresh();
    } catch (err) {
      ui.fail(err);
    }
  });

  return { refresh, render };
}
