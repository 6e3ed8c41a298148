// Chinese first, English on a switch. Pages register their words as {key: {zh, en}};
// static text carries data-i18n="key" (data-i18n-title, data-i18n-placeholder,
// data-i18n-aria for attributes). The choice is remembered per browser.

const STORE_KEY = "onewindow.lang";
const words = new Map();
const listeners = [];
let current = "zh";
try {
  if (localStorage.getItem(STORE_KEY) === "en") current = "en";
} catch {
  // storage disabled: stay in Chinese
}

/** Add words: {key: {zh: "...", en: "..."}}. */
export function register(dict) {
  for (const [k, v] of Object.entries(dict)) words.set(k, v);
}

/** The current language, "zh" or "en". */
export function lang() {
  return current;
}

/** Translate a key; {name} placeholders are filled from vars. Unknown keys show as is. */
export function t(key, vars = {}) {
  const w = words.get(key);
  const text = w ? (w[current] ?? w.zh) : key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Translate a key, or return the fallback when no such key is registered. */
export function tOr(key, fallback) {
  return words.has(key) ? t(key) : fallback;
}

/** The current language's side of a server {zh, en} text. */
export function pick(text) {
  if (!text) return "";
  if (typeof text === "string") return text;
  return (current === "en" ? text.en : text.zh) || text.zh || text.en || "";
}

/** Fill every data-i18n element under root. */
export function apply(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
  document.documentElement.lang = current === "en" ? "en" : "zh-CN";
}

/** Switch language, refill the page and tell the listeners. */
export function setLang(next) {
  current = next === "en" ? "en" : "zh";
  try {
    localStorage.setItem(STORE_KEY, current);
  } catch {
    // not remembered; fine
  }
  apply();
  for (const fn of listeners) fn(current);
}

/** Call fn(lang) after every switch. */
export function onChange(fn) {
  listeners.push(fn);
}

/** Wire a button that toggles between 中文 and English. */
export function bindToggle(button) {
  const label = () => {
    button.textContent = current === "en" ? "中文" : "English";
    button.lang = current === "en" ? "zh-CN" : "en";
  };
  label();
  button.addEventListener("click", () => {
    setLang(current === "en" ? "zh" : "en");
    label();
  });
}

register({
  "lang.switch": { zh: "English", en: "中文" },
});
