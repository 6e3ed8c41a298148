// The layout editor: tables over a draft copy of the layout document. Inputs write into the
// draft in place (no re-render while typing); adding or removing rows re-renders the table.
// Every input carries data-path (the document path the server names in its errors, e.g.
// "windows[2].primary") so a refusal can mark the field it is about.
import { el, fill } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";

const t = i18n.t;

/** A number when the text is one, else the text (the server then says what is wrong). */
function numberOr(text) {
  const s = text.trim();
  if (s === "") return null;
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

/** "1, 2，3" -> [1, 2, 3] (anything not a number kept as text for the server to refuse). */
function numberList(text) {
  return text.split(/[,，\s]+/).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function textInput(obj, key, path, label, opts = {}) {
  return el("input", {
    value: obj[key] ?? "", "data-path": path, "aria-label": label, class: opts.cls || "",
    maxlength: opts.max || 200, inputmode: opts.numeric ? "numeric" : undefined,
    oninput: (e) => {
      obj[key] = opts.numeric ? numberOr(e.target.value) : e.target.value;
      opts.changed();
    },
  });
}

function select(obj, key, path, label, options, changed) {
  const node = el("select", {
    "data-path": path, "aria-label": label,
    onchange: (e) => { obj[key] = e.target.value; changed(); },
  }, ...options.map(([value, text]) => el("option", { value }, text)));
  if (!options.some(([v]) => v === obj[key])) node.append(el("option", { value: obj[key] ?? "" }, String(obj[key] ?? "")));
  node.value = obj[key] ?? "";
  return node;
}

function checkbox(obj, key, path, label, changed) {
  return el("input", {
    type: "checkbox", checked: Boolean(obj[key]), "data-path": path, "aria-label": label,
    onchange: (e) => { obj[key] = e.target.checked; changed(); },
  });
}

function table(headers, rows, testid) {
  return el("div", { class: "table-wrap" }, el("table", { class: "grid edit", "data-testid": testid },
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows)));
}

/**
 * @param {HTMLElement} root where the current section is drawn
 * @param {() => void} changed called after every edit of the draft
 */
export function createEditor(root, changed) {
  let draft = null;
  let section = "windows";
  let jsonText = "";

  const zoneOptions = () => draft.zones.map((z) => [z.id, `${z.id} ${i18n.pick(z.name)}`]);
  const categoryOptions = () => draft.categories.map((c) => [c.code, `${c.prefix} ${i18n.pick(c.name)}`]);

  const edited = () => changed();
  const redraw = () => { render(); changed(); };
  const removeButton = (list, index, label) => el("button", {
    type: "button", class: "remove", "aria-label": `${t("remove")} ${label}`,
    onclick: () => { list.splice(index, 1); redraw(); },
  }, t("remove"));

  function categories() {
    const rows = draft.categories.map((c, i) => {
      const p = `categories[${i}]`;
      c.name ??= { zh: "", en: "" };
      return el("tr", { "data-testid": `cat-${c.code}` },
        el("td", {}, textInput(c, "code", `${p}.code`, t("col.code"), { changed: edited, cls: "w-code" })),
        el("td", {}, textInput(c, "prefix", `${p}.prefix`, t("col.prefix"), { changed: edited, cls: "w-letter", max: 1 })),
        el("td", {}, textInput(c.name, "zh", `${p}.name.zh`, t("col.name_zh"), { changed: edited })),
        el("td", {}, textInput(c.name, "en", `${p}.name.en`, t("col.name_en"), { changed: edited })),
        el("td", {}, select(c, "zone", `${p}.zone`, t("col.zone"), zoneOptions(), edited)),
        el("td", {}, textInput(c, "daily_cap", `${p}.daily_cap`, t("col.daily_cap"), { changed: edited, numeric: true, cls: "w-num" })),
        el("td", {}, textInput(c, "warn_waiting", `${p}.warn_waiting`, t("col.warn_waiting"), { changed: edited, numeric: true, cls: "w-num" })),
        el("td", {}, textInput(c, "warn_wait_min", `${p}.warn_wait_min`, t("col.warn_wait_min"), { changed: edited, numeric: true, cls: "w-num" })),
        el("td", {}, removeButton(draft.categories, i, c.code)));
    });
    return [
      el("p", { class: "hint" }, t("hint.categories")),
      table(["col.code", "col.prefix", "col.name_zh", "col.name_en", "col.zone", "col.daily_cap",
        "col.warn_waiting", "col.warn_wait_min", ""].map((k) => (k ? t(k) : "")), rows, "categories"),
      el("button", {
        type: "button", class: "add", onclick: () => {
          draft.categories.push({ code: "", prefix: "", name: { zh: "", en: "" },
            zone: draft.zones[0]?.id ?? "", daily_cap: 300, warn_waiting: 20, warn_wait_min: 30 });
          redraw();
        },
      }, t("add.category")),
    ];
  }

  function secondaryBoxes(w, p) {
    return el("div", { class: "skills", role: "group", "aria-label": t("col.secondary") },
      ...draft.categories.map((c) => {
        const on = (w.secondary || []).includes(c.code);
        const label = t("secondary.label", { p: c.prefix, name: i18n.pick(c.name) });
        return el("label", { class: "skill", title: label },
          el("input", {
            type: "checkbox", checked: on, "aria-label": label, "data-path": `${p}.secondary`,
            onchange: (e) => {
              const rest = (w.secondary || []).filter((s) => s !== c.code);
              w.secondary = e.target.checked ? [...rest, c.code] : rest;
              changed();
            },
          }),
          el("span", {}, c.prefix));
      }));
  }

  function windows() {
    const rows = draft.windows.map((w, i) => {
      const p = `windows[${i}]`;
      w.name ??= { zh: "", en: "" };
      return el("tr", { "data-testid": `win-${w.number}` },
        el("td", {}, textInput(w, "number", `${p}.number`, t("col.number"), { changed: edited, numeric: true, cls: "w-num" })),
        el("td", {}, textInput(w.name, "zh", `${p}.name.zh`, t("col.name_zh"), { changed: edited })),
        el("td", {}, textInput(w.name, "en", `${p}.name.en`, t("col.name_en"), { changed: edited })),
        el("td", {}, select(w, "zone", `${p}.zone`, t("col.zone"), zoneOptions(), edited)),
        el("td", {}, select(w, "primary", `${p}.primary`, t("col.primary"), categoryOptions(), edited)),
        el("td", {}, secondaryBoxes(w, p)),
        el("td", { class: "center" }, checkbox(w, "priority_lane", `${p}.priority_lane`, t("col.priority"), edited)),
        el("td", { class: "center" }, checkbox(w, "express", `${p}.express`, t("col.express"), edited)),
        el("td", {}, removeButton(draft.windows, i, String(w.number))));
    });
    return [
      el("p", { class: "hint" }, t("hint.windows")),
      table(["col.number", "col.name_zh", "col.name_en", "col.zone", "col.primary", "col.secondary",
        "col.priority", "col.express", ""].map((k) => (k ? t(k) : "")), rows, "windows"),
      el("button", {
        type: "button", class: "add", onclick: () => {
          const n = Math.max(0, ...draft.windows.map((w) => Number(w.number) || 0)) + 1;
          draft.windows.push({ number: n, name: { zh: `${n}号窗口`, en: `Window ${n}` },
            zone: draft.zones[0]?.id ?? "", primary: draft.categories[0]?.code ?? "",
            secondary: [], priority_lane: false, express: false });
          redraw();
        },
      }, t("add.window")),
    ];
  }

  function items() {
    const freq = ["high", "normal", "low"].map((f) => [f, t(`freq.${f}`)]);
    const rows = draft.items.map((it, i) => {
      const p = `items[${i}]`;
      it.name ??= { zh: "", en: "" };
      return el("tr", { "data-testid": `item-${it.code}` },
        el("td", {}, textInput(it, "code", `${p}.code`, t("col.code"), { changed: edited, cls: "w-code" })),
        el("td", {}, textInput(it.name, "zh", `${p}.name.zh`, t("col.name_zh"), { changed: edited })),
        el("td", {}, textInput(it.name, "en", `${p}.name.en`, t("col.name_en"), { changed: edited })),
        el("td", {}, select(it, "category", `${p}.category`, t("col.category"), categoryOptions(), edited)),
        el("td", {}, textInput(it, "legal_limit_days", `${p}.legal_limit_days`, t("col.legal"), { changed: edited, numeric: true, cls: "w-num" })),
        el("td", {}, textInput(it, "promised_limit_days", `${p}.promised_limit_days`, t("col.promised"), { changed: edited, numeric: true, cls: "w-num" })),
        el("td", {}, textInput(it, "expected_minutes", `${p}.expected_minutes`, t("col.minutes"), { changed: edited, numeric: true, cls: "w-num" })),
        el("td", {}, select(it, "frequency", `${p}.frequency`, t("col.frequency"), freq, edited)),
        el("td", { class: "center muted" }, t("materials.count", { n: (it.materials || []).length })),
        el("td", {}, removeButton(draft.items, i, it.code)));
    });
    return [
      el("p", { class: "hint" }, t("hint.items")),
      table(["col.code", "col.name_zh", "col.name_en", "col.category", "col.legal", "col.promised",
        "col.minutes", "col.frequency", "col.materials", ""].map((k) => (k ? t(k) : "")), rows, "items"),
      el("button", {
        type: "button", class: "add", onclick: () => {
          draft.items.push({ code: "", name: { zh: "", en: "" }, category: draft.categories[0]?.code ?? "",
            legal_limit_days: 1, promised_limit_days: 1, materials: [],
            fee: { amount_yuan: 0, note: null }, expected_minutes: 10, frequency: "normal" });
          redraw();
        },
      }, t("add.item")),
    ];
  }

  function staff() {
    const listInput = (s, key, path, label) => el("input", {
      value: (s[key] || []).join(", "), "data-path": path, "aria-label": label, class: "w-list",
      oninput: (e) => { s[key] = numberList(e.target.value); changed(); },
    });
    const rows = draft.staff.map((s, i) => {
      const p = `staff[${i}]`;
      return el("tr", { "data-testid": `staff-${s.id}` },
        el("td", {}, textInput(s, "id", `${p}.id`, t("col.staff_id"), { changed: edited, cls: "w-code" })),
        el("td", {}, textInput(s, "name", `${p}.name`, t("col.staff_name"), { changed: edited })),
        el("td", {}, listInput(s, "role_a", `${p}.role_a`, t("col.role_a"))),
        el("td", {}, listInput(s, "role_b", `${p}.role_b`, t("col.role_b"))),
        el("td", {}, removeButton(draft.staff, i, s.id)));
    });
    return [
      el("p", { class: "hint" }, t("hint.roster")),
      table(["col.staff_id", "col.staff_name", "col.role_a", "col.role_b", ""].map((k) => (k ? t(k) : "")),
        rows, "staff"),
      el("button", {
        type: "button", class: "add", onclick: () => {
          draft.staff.push({ id: "", name: "", role_a: [], role_b: [], photo: null });
          redraw();
        },
      }, t("add.staff")),
    ];
  }

  function json() {
    jsonText = JSON.stringify(draft, null, 2);
    const area = el("textarea", {
      class: "json", spellcheck: false, "aria-label": t("sub.json"), "data-testid": "json",
    });
    area.value = jsonText;
    const note = el("p", { class: "hint", role: "status" });
    return [
      el("p", { class: "hint" }, t("hint.json")),
      area,
      el("div", { class: "json-actions" },
        el("button", {
          type: "button", class: "primary", onclick: () => {
            try {
              const parsed = JSON.parse(area.value);
              if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("{…}");
              draft = parsed;
              note.textContent = t("json.applied");
              note.className = "hint";
              changed();
            } catch (err) {
              note.textContent = t("json.bad", { m: err.message });
              note.className = "error";
            }
          },
        }, t("json.apply")),
        el("button", { type: "button", onclick: () => render() }, t("json.reset"))),
      note,
    ];
  }

  const SECTIONS = { categories, windows, items, staff, json };

  function render() {
    if (!draft) return;
    for (const key of ["categories", "windows", "items", "staff", "zones"]) {
      if (!Array.isArray(draft[key])) draft[key] = [];
    }
    fill(root, ...SECTIONS[section]());
  }

  return {
    /** Start editing a fresh copy of a document. */
    load(document) {
      draft = structuredClone(document);
      render();
    },
    /** The draft as it stands. */
    draft: () => draft,
    /** Show another section (categories, windows, items, staff, json). */
    show(name) {
      section = name;
      render();
    },
    section: () => section,
    render,
    /** Mark the inputs a refusal names (exact path, or anything below it). */
    mark(paths) {
      for (const node of root.querySelectorAll("[data-path]")) {
        const p = node.dataset.path;
        const bad = paths.some((e) => p === e || p.startsWith(`${e}.`) || e.startsWith(`${p}[`));
        node.classList.toggle("invalid", bad);
        if (bad) node.setAttribute("aria-invalid", "true");
        else node.removeAttribute("aria-invalid");
      }
    },
  };
}

/** The section a server path belongs to ("windows[2].primary" -> "windows"). */
export function sectionOf(path) {
  const head = String(path).split(/[.[]/)[0];
  return ["categories", "windows", "items", "staff"].includes(head) ? head : "json";
}
