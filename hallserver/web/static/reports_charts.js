// Charts of the reports page, drawn as SVG by hand (no chart library): a histogram of a
// distribution table and grouped bars of the called-in-time shares by hour.
import { pick, t } from "./lib/i18n.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/**
 * A "nice" axis maximum and tick step for values up to max.
 * @param {boolean} integer counts: whole-number steps only (no 2.5 shown as "3")
 */
function niceScale(max, ticks = 4, integer = false) {
  if (max <= 0) return { top: ticks, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag)
    .find((s) => s >= raw && (!integer || (s >= 1 && Number.isInteger(s)))) || Math.ceil(raw);
  return { top: Math.ceil(max / step) * step, step };
}

/** Short x label of a bin from its English label: "5–10 min" -> "5–10", "over 90 min" -> "90+". */
function binTick(label) {
  const en = (label && label.en) || "";
  const body = en.replace(/\s*min$/, "");
  return body.startsWith("over ") ? `${body.slice(5)}+` : body;
}

function frame(width, height, titleText) {
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart",
    preserveAspectRatio: "xMidYMid meet",
  });
  root.append(svg("title", {}, titleText));
  return root;
}

function yAxis(root, box, scale, format) {
  for (let v = 0; v <= scale.top + 1e-9; v += scale.step) {
    const y = box.bottom - (v / scale.top) * (box.bottom - box.top);
    root.append(svg("line", { x1: box.left, x2: box.right, y1: y, y2: y, class: "grid" }));
    root.append(svg("text", { x: box.left - 6, y: y + 4, class: "tick", "text-anchor": "end" },
      format(v)));
  }
}

/**
 * A histogram of a distribution table (rows: [bin {zh,en}, count, share]).
 * @param {{title: {zh: string, en: string}, rows: Array<Array<any>>}} table
 */
export function histogram(table) {
  const width = 640;
  const height = 260;
  const box = { left: 46, right: width - 10, top: 22, bottom: height - 44 };
  const root = frame(width, height, pick(table.title));
  const counts = table.rows.map((r) => Number(r[1]) || 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const scale = niceScale(Math.max(...counts, 1), 4, true);
  yAxis(root, box, scale, (v) => String(Math.round(v)));
  const slot = (box.right - box.left) / counts.length;
  counts.forEach((n, i) => {
    const h = (n / scale.top) * (box.bottom - box.top);
    const x = box.left + i * slot + slot * 0.12;
    const bar = svg("rect", { x, y: box.bottom - h, width: slot * 0.76, height: Math.max(h, 0),
      class: "bar", "data-count": n });
    bar.append(svg("title", {}, `${pick(table.rows[i][0])}: ${n}`));
    root.append(bar);
    if (n > 0) {
      root.append(svg("text", { x: x + slot * 0.38, y: box.bottom - h - 5, class: "value",
        "text-anchor": "middle" }, n));
    }
    root.append(svg("text", { x: x + slot * 0.38, y: box.bottom + 16, class: "tick",
      "text-anchor": "middle" }, binTick(table.rows[i][0])));
  });
  root.append(svg("line", { x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom,
    class: "axis" }));
  root.append(svg("text", { x: (box.left + box.right) / 2, y: height - 6, class: "axis-title",
    "text-anchor": "middle" }, t("chart.minutes")));
  root.append(svg("text", { x: 4, y: 12, class: "axis-title" }, t("chart.count")));
  root.dataset.total = String(total);
  return root;
}

/**
 * Grouped bars: share called within 20 and 30 minutes for each hour of issue.
 * @param {{rows: Array<Array<any>>, columns: Array<{key: string}>, title: object}} table
 */
export function hourChart(table) {
  const keys = table.columns.map((c) => c.key);
  const at = (row, key) => row[keys.indexOf(key)];
  const width = 1000;
  const height = 280;
  const box = { left: 50, right: width - 12, top: 34, bottom: height - 48 };
  const root = frame(width, height, pick(table.title));
  yAxis(root, box, { top: 1, step: 0.25 }, (v) => `${Math.round(v * 100)}%`);
  const slot = (box.right - box.left) / Math.max(table.rows.length, 1);
  const bw = Math.min(slot * 0.36, 40);
  table.rows.forEach((row, i) => {
    const mid = box.left + i * slot + slot / 2;
    [["share_20", "bar20", -1], ["share_30", "bar30", 0]].forEach(([key, cls, off]) => {
      const v = at(row, key);
      const x = mid + off * bw;
      if (v === null || v === undefined) return;
      const h = v * (box.bottom - box.top);
      const bar = svg("rect", { x, y: box.bottom - h, width: bw - 2, height: h, class: cls });
      bar.append(svg("title", {}, `${row[0]} ${t(key === "share_20" ? "chart.within20"
        : "chart.within30")}: ${(v * 100).toFixed(1)}%`));
      root.append(bar);
      root.append(svg("text", { x: x + bw / 2 - 1, y: box.bottom - h - 4, class: "value small",
        "text-anchor": "middle" }, `${Math.round(v * 100)}`));
    });
    root.append(svg("text", { x: mid, y: box.bottom + 16, class: "tick", "text-anchor": "middle" },
      String(row[0]).slice(0, 5)));
    root.append(svg("text", { x: mid, y: box.bottom + 31, class: "tick muted",
      "text-anchor": "middle" }, `${at(row, "issued")}`));
  });
  root.append(svg("line", { x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom,
    class: "axis" }));
  // Legend
  const legend = [["bar20", t("chart.within20")], ["bar30", t("chart.within30")]];
  let lx = box.left;
  for (const [cls, label] of legend) {
    root.append(svg("rect", { x: lx, y: 8, width: 14, height: 14, class: cls }));
    root.append(svg("text", { x: lx + 20, y: 20, class: "legend" }, label));
    lx += 44 + [...label].reduce((w, ch) => w + (ch.charCodeAt(0) > 255 ? 12 : 7), 0);
  }
  root.append(svg("text", { x: box.right, y: 20, class: "legend muted", "text-anchor": "end" },
    `${t("chart.hour")} · ${t("chart.count")}`));
  return root;
}
