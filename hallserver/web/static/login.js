// Login page: POST /api/auth/login (the server sets the HttpOnly session cookie), then go
// back to ?next= (same-site paths only).
import { ApiError, post, safeNext } from "/static/lib/api.js";
import * as i18n from "/static/lib/i18n.js";

i18n.register({
  "login.title": { zh: "工作人员登录", en: "Staff login" },
  "login.app": { zh: "一窗通 · 政务服务大厅", en: "OneWindow · Government Service Hall" },
  "login.username": { zh: "工号 / 用户名", en: "Staff number / user name" },
  "login.password": { zh: "密码", en: "Password" },
  "login.submit": { zh: "登录", en: "Log in" },
  "login.busy": { zh: "正在登录…", en: "Logging in…" },
  "login.empty": { zh: "请输入工号和密码", en: "enter your staff number and password" },
});

const next = safeNext(new URLSearchParams(window.location.search).get("next"), "/");
const form = document.getElementById("login-form");
const errorBox = document.getElementById("login-error");
const submit = document.getElementById("login-submit");
let lastError = null;

function showError(err) {
  lastError = err;
  if (!err) {
    errorBox.hidden = true;
    errorBox.textContent = "";
    return;
  }
  errorBox.textContent = i18n.lang() === "en" ? err.en : err.zh;
  errorBox.hidden = false;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    showError({ zh: "请输入工号和密码", en: "enter your staff number and password" });
    return;
  }
  submit.disabled = true;
  submit.textContent = i18n.t("login.busy");
  try {
    await post("/api/auth/login", { username, password });
    window.location.replace(next);
  } catch (err) {
    showError(err instanceof ApiError ? err : { zh: String(err), en: String(err) });
    form.password.select();
  } finally {
    submit.disabled = false;
    submit.textContent = i18n.t("login.submit");
  }
});

i18n.apply();
i18n.bindToggle(document.getElementById("lang"));
i18n.onChange(() => showError(lastError));
form.username.focus();
