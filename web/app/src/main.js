// The twin's 3D map: MapLibre draws the base map from the twin's own tiles, deck.gl draws every
// layer in its style (from /api/styles) over it, with live colours, outage and lighting results.
import { MapboxOverlay } from "@deck.gl/mapbox";
import maplibregl from "maplibre-gl";
import { getJSON } from "./api.js";
import { openAsset } from "./asset-panel.js";
import { baseMapStyle } from "./basemap.js";
import { ROLE_COLOURS } from "./colours.js";
import { groundLayer, resultLayer, twinTileLayer } from "./deck-layers.js";
import { failureText } from "./dom.js";
import { currentLanguage, layerTitle, setLanguage, t } from "./i18n.js";
import { incidentAssets, incidentPosition, showIncidents, showKpis, wireRaise } from "./ioc.js";
import { STREET_MIN_ZOOM, streetNamesLayer, wardNamesLayer } from "./labels.js";
import { lightingLayerProps, wireLighting } from "./lighting.js";
import { applyObservation, listen, loadState } from "./live.js";
import { startSession } from "./login.js";
import { planningLayers, wirePlanning } from "./planning.js";

const BAC_GIANG = [106.1946, 21.2731];

const view = {
  live: new Map(), incidentAssets: new Set(), outage: null,
  mode: { underground: false, exaggeration: 5 }, names: true, colourVersion: 0, modeVersion: 0, extent: undefined,
  onTileError: (layer, error) => app.say(`${layer.name}: ${error.message}`, true),
};

const app = {
  view, map: null, overlay: null, layers: [], visible: {}, selected: null, lighting: null,
  incidents: [], wards: [], liveNow: true, ready: false, streaming: false, drawn: [], said: ["", false],
  // ``text``: the words, or a function giving them in the language of the moment (said again
  // when the language changes).
  say(text, warn = false) {
    app.said = [text, warn];
    const status = document.getElementById("status");
    status.textContent = typeof text === "function" ? text() : text;
    status.classList.toggle("warn", warn);
  },
  openAsset(id) {
    app.selected = id;
    document.getElementById("lighting-whatif").disabled = false;
    return openAsset(id, app);
  },
  setOutage(geojson) {
    view.outage = geojson ? { geojson, roles: new Map(geojson.features.map((f) =>
      [f.properties.asset_id ?? f.properties.id, f.properties.role])) } : null;
    view.colourVersion++;
    render();
  },
  setLighting(lighting) { app.lighting = lighting; render(); },
  setVisible(name, visible) {
    app.visible[name] = visible;
    const layer = app.layers.find((l) => l.name === name);
    if (layer?.style.base_map) app.map.setLayoutProperty(name, "visibility", visible ? "visible" : "none");
    const box = document.querySelector(`#layer-list input[data-layer="${name}"]`);
    if (box) box.checked = visible;
    render();
  },
  viewBbox() {
    const b = app.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  },
  // Whether the base map and every deck.gl tile layer drawn have loaded (for tests and the status).
  isIdle() {
    return app.map.loaded() && app.map.areTilesLoaded() && app.drawn.every((l) => l.isLoaded !== false);
  },
  async refreshIncidents() {
    if (!document.getElementById("ioc").classList.contains("hidden")) showKpis();
    app.incidents = await showIncidents(app);
    view.incidentAssets = new Set(app.incidents.flatMap(incidentAssets));
    view.colourVersion++;
    render();
  },
};
window.twin = app;

// Whether the map is zoomed in to ``minZoom``. A tile layer below its first zoom is left out, not
// handed to deck.gl: with an ``extent`` deck.gl would fetch its first zoom's tiles over the whole
// view (visgl/deck.gl#8695): hundreds of street-level tiles more at city zoom.
function zoomedTo(minZoom) {
  return app.map.getZoom() >= minZoom;
}

function render() {
  if (!app.overlay) return;
  const layers = app.layers.filter((l) => app.visible[l.name] && !l.style.base_map && l.available
    && zoomedTo(l.style.min_zoom)).map((l) => twinTileLayer(l, view));
  layers.push(...planningLayers());  // the wards by a planning metric, in the planning view
  if (view.mode.underground && view.extent) layers.push(groundLayer(view.extent));
  if (view.names && app.visible.roads && zoomedTo(STREET_MIN_ZOOM)) layers.push(streetNamesLayer(view));
  if (view.names && app.visible.wards && app.wards.length) layers.push(wardNamesLayer(app.wards));
  const incidents = app.incidents.map((i) => ({ ...i, where: incidentPosition(i) })).filter((i) => i.where);
  if (incidents.length) {
    layers.push(resultLayer("incidents", { type: "FeatureCollection", features: incidents.map((i) =>
      ({ type: "Feature", geometry: { type: "Point", coordinates: i.where }, properties: { id: incidentAssets(i)[0], incident: i.id } })) },
    { getFillColor: [255, 40, 40, 220], getLineColor: [120, 0, 0, 255], getPointRadius: 8 }));
  }
  if (app.lighting) layers.push(resultLayer("lighting", app.lighting.geojson, lightingLayerProps(app.lighting)));
  if (view.outage) {
    const colour = (f) => ROLE_COLOURS[f.properties.role] || ROLE_COLOURS.affected;
    layers.push(resultLayer("outage", view.outage.geojson, {
      getFillColor: colour, getLineColor: colour, updateTriggers: { getFillColor: view.colourVersion },
    }));
  }
  app.drawn = layers;
  app.overlay.setProps({ layers });
}

let pending = null;
function recolourSoon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; view.colourVersion++; render(); }, 100);
}

function pickedId(info) {
  const p = info.object?.properties;
  if (p) return p.asset_id ?? p.id;
  const features = app.map.queryRenderedFeatures([info.x, info.y]).filter((f) => f.properties.id);
  return features.length ? features[0].properties.id : null;
}

function buildLayerPanel() {
  const list = document.getElementById("layer-list");
  list.innerHTML = "";
  for (const layer of app.layers) {
    const [r, g, b, a] = layer.style.line_color && layer.style.color[3] === 0 ? layer.style.line_color : layer.style.color;
    const item = document.createElement("li");
    if (!layer.available) item.className = "off-list";
    item.innerHTML = `<input type="checkbox" data-layer="${layer.name}" ${app.visible[layer.name] ? "checked" : ""}
      ${layer.available ? "" : "disabled"}><span class="swatch" style="background: rgba(${r},${g},${b},${a / 255})"></span>
      <label>${layerTitle(layer)}${layer.available ? "" : ` <small>(${t("layer_missing")})</small>`}</label>`;
    item.querySelector("input").onchange = (event) => app.setVisible(layer.name, event.target.checked);
    list.appendChild(item);
  }
}

function collectionExtent(collections) {
  const boxes = collections.map((c) => c.extent?.spatial?.bbox?.[0]).filter((b) => b && b.length === 4);
  if (!boxes.length) return undefined;
  return [Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))];
}

async function followLive() {
  try {
    view.live = await loadState(null);
    recolourSoon();
  } catch (error) {
    app.say(`/api/state: ${failureText(error)}`, true);
  }
  listen({
    onOpen: () => { app.streaming = true; app.say(() => `${t("ready")} (${t("live_updates")})`); },
    onState: (message) => { if (app.liveNow && applyObservation(view.live, message)) recolourSoon(); },
    onIncident: () => app.refreshIncidents(),
    onTrouble: () => { app.streaming = false; app.say(() => t("stream_lost"), true); },
  });
}

function wireControls() {
  document.getElementById("lang").onclick = () => {
    setLanguage(currentLanguage() === "en" ? "vi" : "en");
    document.getElementById("lang").textContent = currentLanguage() === "en" ? "VI" : "EN";
    buildLayerPanel();
    app.say(...app.said);
    document.getElementById("time").oninput();
    showKpis();
    showIncidents(app);
  };
  document.getElementById("names").onchange = (event) => {
    view.names = event.target.checked;
    render();
  };
  document.getElementById("underground").onchange = (event) => {
    view.mode = { ...view.mode, underground: event.target.checked };
    document.getElementById("map").classList.toggle("underground", event.target.checked);
    view.modeVersion++;
    render();
  };
  document.getElementById("exaggeration").oninput = (event) => {
    view.mode = { ...view.mode, exaggeration: Number(event.target.value) };
    view.modeVersion++;
    render();
  };
  const slider = document.getElementById("time");
  const label = document.getElementById("time-label");
  const when = () => new Date(Date.now() + Number(slider.value) * 60000);
  const shown = (date) => date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  slider.oninput = () => { label.textContent = Number(slider.value) === 0 ? t("now") : shown(when()); };
  let asked = 0;  // the slider's latest move: an earlier move's late answer is dropped
  slider.onchange = async () => {
    const move = ++asked;
    app.liveNow = Number(slider.value) === 0;
    const at = when();
    let live;
    try {
      live = await loadState(app.liveNow ? null : at.toISOString());
    } catch (error) {
      if (move === asked) app.say(`/api/state: ${failureText(error)}`, true);
      return;
    }
    if (move !== asked) return;
    view.live = live;
    app.say(app.liveNow ? () => t("ready") : () => `${t("state_at")} ${shown(at)}`);
    recolourSoon();
  };
  label.textContent = t("now");
  const switchView = (ioc) => {
    document.getElementById("view-ioc").classList.toggle("on", ioc);
    document.getElementById("view-map").classList.toggle("on", !ioc);
    document.getElementById("ioc").classList.toggle("hidden", !ioc);
    document.getElementById("layers").classList.toggle("hidden", ioc);
    document.body.classList.toggle("ioc", ioc);
    if (ioc) app.refreshIncidents();
  };
  document.getElementById("view-ioc").onclick = () => switchView(true);
  document.getElementById("view-map").onclick = () => switchView(false);
}

// The wards' outlines (a few dozen features), for their names at their centres.
async function loadWardNames() {
  try {
    app.wards = (await getJSON("/collections/wards/items?limit=10000")).features || [];
    render();
  } catch (error) {
    app.say(`/collections/wards/items: ${failureText(error)}`, true);
  }
}

async function start() {
  setLanguage(currentLanguage());
  document.getElementById("lang").textContent = currentLanguage() === "en" ? "VI" : "EN";
  app.say(() => t("loading"));
  let styles;
  let collections = [];
  try {
    const answer = await getJSON("/api/styles");
    styles = answer.layers;
    Object.assign(ROLE_COLOURS, answer.roles);
  } catch (error) {
    app.say(`/api/styles: ${failureText(error)}`, true);
    return;
  }
  try {
    collections = (await getJSON("/collections")).collections || [];
  } catch (error) {
    app.say(`/collections: ${error.message}`, true);
  }
  const ids = new Set(collections.map((c) => c.id));
  app.layers = styles.filter((l) => l.style).map((l) => ({ ...l, available: ids.has(l.name) }));
  for (const layer of app.layers) app.visible[layer.name] = layer.style.visible && layer.available;
  view.extent = collectionExtent(collections.filter((c) => ["roads", "wards", "buildings"].includes(c.id)));
  const center = view.extent ? [(view.extent[0] + view.extent[2]) / 2, (view.extent[1] + view.extent[3]) / 2] : BAC_GIANG;
  app.map = new maplibregl.Map({
    container: "map", center, zoom: 15.5, pitch: 55, bearing: -20, maxPitch: 80,
    style: baseMapStyle(app.layers.filter((l) => l.style.base_map && l.available), center[1]),
    attributionControl: { customAttribution: "Urban Twin · OpenStreetMap data © OpenStreetMap contributors" },
  });
  app.map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }));
  app.overlay = new MapboxOverlay({
    interleaved: false, layers: [],
    onClick: (info) => { const id = pickedId(info); if (id) app.openAsset(id); },
    getCursor: ({ isHovering }) => (isHovering ? "pointer" : "grab"),
  });
  app.map.addControl(app.overlay);
  app.map.on("zoomend", render);
  buildLayerPanel();
  wireControls();
  wireLighting(app);
  wireRaise(app);
  wirePlanning(app, render);
  render();
  if (ids.has("wards")) loadWardNames();
  app.map.once("load", () => {
    app.ready = true;
    if (!app.streaming) app.say(() => t("ready"));
  });
  followLive();
  app.refreshIncidents();
}

// The map starts once the page knows who uses it (the login form first when nobody is logged in).
startSession(app, start);
