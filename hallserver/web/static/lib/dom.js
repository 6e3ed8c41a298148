// Tiny DOM helpers: build elements from data with textContent only (never innerHTML).

/** Element by id (throws when the page shell lacks it, which is a bug). */
export function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing #${id}`);
  return found;
}

/**
 * Create an element: el("li", {class: "x", dataset: {id: 1}}, "text", childNode).
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node|string|number|null|undefined|false)} children
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = String(v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Replace all children of a node. */
export function fill(node, ...children) {
  node.replaceChildren(...children.filter((c) => c !== undefined && c !== null && c !== false));
}

/** Show or hide (the hidden attribute). */
export function show(node, visible) {
  node.hidden = !visible;
}

/** Time of day in a time zone, e.g. 09:42. */
export function clock(iso, timeZone, lang) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {
    hour: "2-digit", minute: "2-digit", timeZone: timeZone || undefined, hour12: false,
  }).format(d);
}
