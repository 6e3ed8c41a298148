// The caller page's dialogs: complete (outcome + notes), transfer (category or window),
// pause (preset reason + text), sign-out confirmation. They collect input and hand it to
// the page's `act(path, body, done)`; the page owns the API calls and the messages.
import { byId, el, fill } from "/static/lib/dom.js";
import * as i18n from "/static/lib/i18n.js";
import { categoryLabel } from "/static/caller_panels.js";
import { PAUSE_PRESETS } from "/static/caller_words.js";

const { t, pick } = i18n;

/** Open a dialog (modal) and focus one of its fields. */
export function openDialog(id, focusId) {
  const dlg = byId(id);
  if (dlg.open) return;
  dlg.showModal();
  if (focusId) byId(focusId).focus();
}

/** Whether any dialog is open (shortcuts are off then). */
export function anyDialogOpen() {
  return [...document.querySelectorAll("dialog")].some((d) => d.open);
}

/** Fill the transfer pickers from the layout (keeping what was chosen). */
export function fillTransfer(ix, info, number) {
  const cur = info?.current;
  const catSel = byId("transfer-category");
  const winSel = byId("transfer-window");
  const keepCat = catSel.value;
  const keepWin = winSel.value;
  fill(catSel, ...[...ix.cats.values()].filter((c) => c.code !== cur?.category)
    .map((c) => el("option", { value: c.code }, `${c.prefix} ${pick(c.name)}`)));
  fill(winSel, ...ix.windows.filter((w) => w.number !== number).map((w) => {
    const skills = [w.primary, ...w.secondary].map((c) => ix.cats.get(c)?.prefix || c).join(" ");
    return el("option", { value: String(w.number) }, `${pick(w.name)} · ${skills}`);
  }));
  if (keepCat && [...catSel.options].some((o) => o.value === keepCat)) catSel.value = keepCat;
  if (keepWin) winSel.value = keepWin;
}

/** Draw the preset pause reasons in the current language. */
export function fillPausePresets() {
  const box = byId("pause-presets");
  const legend = box.querySelector("legend");
  const checked = box.querySelector("input:checked")?.value || PAUSE_PRESETS[0].id;
  fill(box, legend, ...PAUSE_PRESETS.map((p) => el("label", {},
    el("input", { type: "radio", name: "preset", value: p.id, checked: p.id === checked }),
    " ", i18n.lang() === "en" ? p.en : p.zh)));
}

/** Wire the dialogs' buttons; `act(path, body, done)` runs a window action. */
export function wireDialogs(getIx, act, toast) {
  for (const dlg of document.querySelectorAll("dialog")) {
    for (const b of dlg.querySelectorAll("button.cancel")) b.addEventListener("click", () => dlg.close());
  }
  const fc = byId("form-complete");
  fc.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const outcome = fc.querySelector("input[name=outcome]:checked").value;
    const notes = fc.notes.value.trim();
    byId("dlg-complete").close();
    act("complete", { outcome, notes: notes || null }, (n) => {
      toast("done.complete", { number: n, outcome: t(`outcome.short.${outcome}`) });
      fc.reset();
    });
  });
  const ft = byId("form-transfer");
  for (const r of ft.querySelectorAll("input[name=kind]")) {
    r.addEventListener("change", () => {
      const byWindow = ft.querySelector("input[name=kind]:checked").value === "window";
      byId("transfer-category").disabled = byWindow;
      byId("transfer-window").disabled = !byWindow;
    });
  }
  ft.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const byWindow = ft.querySelector("input[name=kind]:checked").value === "window";
    const body = byWindow ? { window: Number(byId("transfer-window").value) }
      : { category: byId("transfer-category").value };
    const target = byWindow ? t("window.n", { n: body.window }) : categoryLabel(getIx(), body.category);
    byId("dlg-transfer").close();
    act("transfer", body, (n) => toast("done.transfer", { number: n, target }));
  });
  const fp = byId("form-pause");
  const hidePauseError = () => { byId("pause-error").hidden = true; };
  fp.addEventListener("change", hidePauseError);
  fp.addEventListener("input", hidePauseError);
  fp.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const preset = PAUSE_PRESETS.find((p) => p.id === fp.querySelector("input[name=preset]:checked")?.value);
    const extra = byId("pause-text").value.trim();
    if (!preset || (preset.id === "other" && !extra)) {
      const err = byId("pause-error");
      err.textContent = t("pause.need");
      err.hidden = false;
      byId("pause-text").focus();
      return;
    }
    // Managers read the reason: the preset in Chinese, then the staff member's words.
    const reason = preset.id === "other" ? extra : (extra ? `${preset.zh}：${extra}` : preset.zh);
    byId("dlg-pause").close();
    act("pause", { reason, code: preset.id }, () => {
      toast("done.pause");
      byId("pause-text").value = "";
    });
  });
  byId("form-signout").addEventListener("submit", (ev) => {
    ev.preventDefault();
    byId("dlg-signout").close();
    act("sign-out", {}, () => toast("done.signout"));
  });
}
