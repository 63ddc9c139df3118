// The lighting-coverage layer: road lighting figures (EN 13201: average and minimum lux,
// uniformity) from /api/simulate/lighting, and a what-if: the selected lamp, or every lamp the
// outage on show takes down, goes dark. One what-if run carries both states (``eav_before`` and
// ``eav``); the Before/After toggle switches between them.
import { postJSON } from "./api.js";
import { failureNote } from "./dom.js";
import { t } from "./i18n.js";

const MARGIN_DEG = 0.001;

// Colour of an average illuminance (lux): dark red at 0, through amber, to white at 30 lux.
export function luxColour(lux) {
  const k = Math.max(0, Math.min(1, (Number(lux) || 0) / 30));
  return [Math.round(120 + 135 * k), Math.round(20 + 235 * k), Math.round(40 + 200 * k * k), 230];
}

function figure(properties, name, show) {
  const before = properties[`${name}_before`];
  return show === "before" && before !== undefined ? before : properties[name];
}

export function lightingLayerProps({ geojson, show }) {
  return {
    data: geojson,
    getLineColor: (f) => f.properties.kind === "dark_spot" ? [60, 0, 90, 200] : luxColour(figure(f.properties, "eav", show)),
    getFillColor: (f) => f.properties.kind === "dark_spot" ? [60, 0, 90, show === "after" ? 140 : 0] : [0, 0, 0, 0],
    getLineWidth: 4,
    updateTriggers: { getLineColor: show, getFillColor: show },
  };
}

function summary(result, show) {
  const roads = result.roads || [];
  const eav = roads.length ? roads.reduce((s, r) => s + (Number(figure(r, "eav", show)) || 0), 0) / roads.length : 0;
  const dark = show === "after" ? `, ${result.dark_spots ?? 0} ${t("dark_spots")}` : "";
  return `${t(show)}: ${roads.length} ${t("roads_lit")}, ${eav.toFixed(1)} ${t("lux_avg")}${dark}`;
}

// The lamps the what-if darkens, and the area (lon/lat) to study so that they are in it.
function whatIfLamps(app) {
  const lamps = (app.view.outage?.geojson.features || []).filter((f) => f.properties.layer === "luminaires");
  if (lamps.length) {
    const xs = lamps.map((f) => f.geometry.coordinates[0]);
    const ys = lamps.map((f) => f.geometry.coordinates[1]);
    return { fail: lamps.map((f) => f.properties.asset_id),
      bbox: [Math.min(...xs) - MARGIN_DEG, Math.min(...ys) - MARGIN_DEG, Math.max(...xs) + MARGIN_DEG, Math.max(...ys) + MARGIN_DEG] };
  }
  if (app.selected?.startsWith("LUM-")) return { fail: [app.selected], bbox: app.viewBbox() };
  return null;
}

export function wireLighting(app) {
  const state = { run: null, show: "before" };
  const note = document.getElementById("lighting-summary");
  const redraw = () => {
    app.setLighting(state.run ? { geojson: state.run.geojson, show: state.show } : null);
    note.textContent = state.run ? summary(state.run.result || {}, state.show) : "";
  };
  const run = async (payload, show) => {
    note.textContent = t("loading");
    try {
      state.run = await postJSON("/api/simulate/lighting", payload);
    } catch (error) {
      note.innerHTML = failureNote(error);
      return;
    }
    state.show = show;
    document.querySelector(`input[name="lighting-show"][value="${show}"]`).checked = true;
    redraw();
  };
  document.getElementById("lighting-run").onclick = () => run({ bbox: app.viewBbox() }, "before");
  document.getElementById("lighting-whatif").onclick = () => {
    const lamps = whatIfLamps(app);
    if (!lamps) return app.say(() => t("select_first"), true);
    return run(lamps, "after");
  };
  for (const radio of document.querySelectorAll('input[name="lighting-show"]')) {
    radio.onchange = () => { state.show = radio.value; redraw(); };
  }
  document.getElementById("lighting-clear").onclick = () => { state.run = null; redraw(); };
}
