// The lighting-coverage layer: road lighting figures for the view (/api/simulate/lighting), before
// and after a what-if (the selected asset failing), with a toggle between the two.
import { NotAvailable, postJSON } from "./api.js";
import { t } from "./i18n.js";

// Colour of an average illuminance (lux): dark red at 0, through amber, to white at 30 lux.
export function luxColour(lux) {
  const k = Math.max(0, Math.min(1, (Number(lux) || 0) / 30));
  return [Math.round(120 + 135 * k), Math.round(20 + 235 * k), Math.round(40 + 200 * k * k), 230];
}

export function lightingLayerProps(geojson) {
  return {
    data: geojson,
    getLineColor: (f) => f.properties.kind === "dark_spot" ? [60, 0, 90, 200] : luxColour(f.properties.eav),
    getFillColor: (f) => f.properties.kind === "dark_spot" ? [60, 0, 90, 120] : [0, 0, 0, 0],
    getLineWidth: 4,
  };
}

function summary(result) {
  const roads = result.roads || [];
  const eav = roads.length ? roads.reduce((s, r) => s + (Number(r.eav) || 0), 0) / roads.length : 0;
  const dark = result.dark_spots?.length ?? result.dark_spot_count ?? null;
  return `${roads.length} ${t("roads_lit")}, ${eav.toFixed(1)} ${t("lux_avg")}${dark != null ? `, ${dark} ${t("dark_spots")}` : ""}`;
}

export function wireLighting(app) {
  const state = { before: null, after: null, show: "before" };
  const note = document.getElementById("lighting-summary");
  const redraw = () => {
    const shown = state[state.show] || state.before;
    app.setLighting(shown ? shown.geojson : null);
    note.textContent = shown ? `${t(state[state.show] ? state.show : "before")}: ${summary(shown.result || {})}` : "";
  };
  const run = async (fail) => {
    note.textContent = t("loading");
    try {
      return await postJSON("/api/simulate/lighting", { bbox: app.viewBbox(), fail });
    } catch (error) {
      note.innerHTML = `<span class="na">${error instanceof NotAvailable ? t("not_available") : t("failed")}: ${error.message}</span>`;
      return null;
    }
  };
  document.getElementById("lighting-run").onclick = async () => {
    state.before = await run([]);
    state.after = null;
    state.show = "before";
    document.querySelector('input[name="lighting-show"][value="before"]').checked = true;
    if (state.before) redraw();
  };
  document.getElementById("lighting-whatif").onclick = async () => {
    if (!app.selected) return app.say(t("select_first"), true);
    if (!state.before) state.before = await run([]);
    state.after = await run([app.selected]);
    state.show = "after";
    document.querySelector('input[name="lighting-show"][value="after"]').checked = true;
    if (state.after) redraw();
  };
  for (const radio of document.querySelectorAll('input[name="lighting-show"]')) {
    radio.onchange = () => { state.show = radio.value; redraw(); };
  }
  document.getElementById("lighting-clear").onclick = () => {
    state.before = state.after = null;
    redraw();
  };
}
