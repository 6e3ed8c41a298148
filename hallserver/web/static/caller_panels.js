// The caller page's side panels, drawn from API data: service guide (一次性告知),
// queues of this window's categories, 帮办 helper requests, the last accepted case.
import { clock, el, fill, show } from "/static/lib/dom.js";
import { lang, pick, t, tOr } from "/static/lib/i18n.js";

let layouts = 0;

/** Index the public layout: categories and items by code. */
export function indexLayout(layout) {
  layouts += 1;
  return {
    layout,
    stamp: layouts,
    tz: layout?.hall?.timezone || "Asia/Shanghai",
    cats: new Map((layout?.categories || []).map((c) => [c.code, c])),
    items: new Map((layout?.items || []).map((i) => [i.code, i])),
    windows: layout?.windows || [],
  };
}

/** "A 企业开办" for a category code (the code itself when unknown). */
export function categoryLabel(ix, code) {
  const c = ix.cats.get(code);
  return c ? `${c.prefix} ${pick(c.name)}` : code;
}

/** The categories a window serves, primary first. */
export function skillsOf(info) {
  return info ? [info.primary, ...(info.secondary || [])] : [];
}

const FREE_WORDS = new Set(["不收费", "免费", "免收"]); // a note that only says "free"
const num = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Fill the item picker and the guide of the chosen item. */
export function renderGuide(ix, box, select, categories, chosen) {
  // Redraw only on a change: rebuilding every poll would close an open item picker.
  const key = [lang(), ix.stamp, chosen, ...categories].join("|");
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const items = [...ix.items.values()].filter((i) => categories.includes(i.category));
  const options = [el("option", { value: "" }, t("guide.pick.none"))];
  for (const it of items) {
    options.push(el("option", { value: it.code, selected: it.code === chosen }, `${it.code} ${pick(it.name)}`));
  }
  fill(select, ...options);
  select.value = items.some((i) => i.code === chosen) ? chosen : "";
  const item = ix.items.get(chosen);
  if (!item) {
    fill(box);
    return;
  }
  const materials = item.materials.length
    ? el("ol", { class: "materials" }, ...item.materials.map((m) => el(
      "li", {},
      el("span", { class: "m-name" }, m.name),
      el("span", { class: "m-tags" },
        m.original ? el("span", { class: "tag" }, t("guide.original")) : null,
        m.copies ? el("span", { class: "tag" }, t("guide.copies", { n: m.copies })) : null),
      m.note ? el("span", { class: "m-note" }, m.note) : null,
    )))
    : el("p", { class: "hint" }, t("guide.nomaterials"));
  const fee = item.fee || { amount_yuan: 0 };
  const feeText = fee.amount_yuan > 0 ? t("guide.yuan", { n: num(fee.amount_yuan) }) : t("guide.free");
  const promised = item.promised_limit_days === 0 ? t("guide.instant")
    : t(`guide.${item.promised_unit || "working_days"}`, { n: item.promised_limit_days });
  fill(box,
    el("h3", { class: "guide-item", "data-testid": "guide-item" }, pick(item.name)),
    el("dl", { class: "guide-facts" },
      el("div", {}, el("dt", {}, t("guide.promised")), el("dd", { "data-testid": "guide-promised" }, promised)),
      el("div", {}, el("dt", {}, t("guide.legal")), el("dd", {}, t(`guide.${item.legal_unit || "working_days"}`, { n: item.legal_limit_days }))),
      el("div", {}, el("dt", {}, t("guide.fee")),
        el("dd", { "data-testid": "guide-fee" }, feeText,
          fee.note && !FREE_WORDS.has(fee.note) ? el("span", { class: "m-note" }, fee.note) : null)),
      el("div", {}, el("dt", {}, t("guide.expected")), el("dd", {}, t("ticket.minutes", { n: num(item.expected_minutes) })))),
    el("h4", {}, t("guide.materials")),
    materials);
}

/** One row per category this window serves, primary first. */
export function renderQueues(ix, tbody, info, queues) {
  const byCode = new Map((queues || []).map((q) => [q.category, q]));
  const rows = skillsOf(info).map((code, idx) => {
    const q = byCode.get(code);
    const warn = q && q.warnings && q.warnings.length > 0;
    const why = warn ? q.warnings.map((w) => tOr(`queues.warn.${w}`, w)).join("；") : null;
    return el("tr", { class: warn ? "warn" : "", title: why, dataset: { category: code } },
      el("td", {}, categoryLabel(ix, code), " ",
        el("span", { class: "tag" }, t(idx === 0 ? "queues.primary" : "queues.secondary")),
        warn ? el("span", { class: "warn-mark", "aria-label": why }, "!") : null),
      el("td", { class: "n", "data-testid": `waiting-${code}` }, q ? q.waiting : "—"),
      el("td", { class: "n" }, q ? t("queues.min", { n: Math.round(q.longest_wait_min) }) : "—"),
      el("td", { class: "n" }, q && q.predicted_wait_min !== null ? t("queues.min", { n: q.predicted_wait_min }) : "—"));
  });
  fill(tbody, ...rows);
}

/** Open helper requests with a "take" button each. */
export function renderHelpers(ix, list, none, counter, helpers, onAnswer, busy) {
  const open = (helpers || []).filter((h) => !h.answered_at);
  const key = [lang(), busy, ...open.map((h) => h.id)].join("|");
  if (list.dataset.key === key) return; // keep the buttons under the pointer between polls
  list.dataset.key = key;
  fill(list, ...open.map((h) => el("li", { dataset: { id: h.id } },
    el("div", { class: "h-text" },
      el("span", { class: "h-time" }, clock(h.created_at, ix.tz, lang())),
      el("strong", {}, `${tOr(`device.${h.device_type}`, h.device_type)} ${h.device_id}`),
      el("span", {}, tOr(`helper.${h.reason}`, h.reason)),
      h.note ? el("span", { class: "m-note" }, h.note) : null),
    el("button", { type: "button", class: "small", disabled: busy, onclick: () => onAnswer(h) },
      t("helpers.answer")))));
  counter.textContent = open.length ? String(open.length) : "";
  show(none, open.length === 0);
}

/** The last 受理 case of this window, when the server reports one (feature-detected). */
export function renderLastCase(box, info, disabled) {
  const last = info && info.last_case;
  show(box, Boolean(last && last.case_no));
  if (!last || !last.case_no) return;
  box.querySelector("#case-no").textContent = last.case_no;
  const receipt = last.receipt ? tOr(`receipt.${last.receipt}`, last.receipt) : "—";
  const receiptEl = box.querySelector("#case-receipt");
  receiptEl.textContent = receipt;
  receiptEl.className = last.receipt === "failed" ? "error-text" : "";
  box.querySelector("#case-reprint").disabled = disabled;
}
