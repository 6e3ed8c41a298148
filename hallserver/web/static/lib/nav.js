// The manager pages' header (/dashboard, /reports, /admin): links to the pages the signed-in
// user may open, the current one marked (aria-current), 综合屏 in a new tab; and the
// 退出登录 button. The server still decides who may open what: a link is only a convenience.
import { post } from "/static/lib/api.js";
import { byId, el, fill } from "/static/lib/dom.js";
import { register, t } from "/static/lib/i18n.js";

register({
  "nav.label": { zh: "管理页面", en: "Manager pages" },
  "nav.dashboard": { zh: "管理看板", en: "Dashboard" },
  "nav.reports": { zh: "统计报表", en: "Reports" },
  "nav.admin": { zh: "系统管理", en: "Administration" },
  "nav.screen": { zh: "综合屏", en: "Call screen" },
  "nav.newTab": { zh: "在新标签页打开", en: "Opens in a new tab" },
  logout: { zh: "退出登录", en: "Log out" },
});

const MANAGERS = ["manager", "admin"];
const PAGES = [
  { path: "/dashboard", key: "nav.dashboard", roles: MANAGERS },
  { path: "/reports", key: "nav.reports", roles: MANAGERS },
  { path: "/admin", key: "nav.admin", roles: ["admin"] },
  { path: "/screen", key: "nav.screen", roles: MANAGERS, newTab: true },
];

/**
 * Fill the header's <nav id="topnav"> for a role; null while /api/auth/me has not answered
 * (then the pages every manager may open, and the current one). Labels carry data-i18n, so
 * the English switch relabels them.
 * @param {string | null} role
 */
export function renderNav(role) {
  const here = window.location.pathname;
  const links = PAGES
    .filter((p) => p.path === here || p.roles.includes(role ?? "manager"))
    .map((p) => el("a", {
      href: p.path,
      "data-i18n": p.key,
      "aria-current": p.path === here ? "page" : undefined,
      target: p.newTab ? "_blank" : undefined,
      rel: p.newTab ? "noopener" : undefined,
      "data-i18n-title": p.newTab ? "nav.newTab" : undefined,
      title: p.newTab ? t("nav.newTab") : undefined,
    }, t(p.key)));
  fill(byId("topnav"), ...links);
}

/** Wire the 退出登录 button: end the session, then the login page (coming back here). */
export function bindLogout(button) {
  button.addEventListener("click", async () => {
    try {
      await post("/api/auth/logout");
    } finally {
      window.location.assign(`/login?next=${encodeURI(window.location.pathname)}`);
    }
  });
}
