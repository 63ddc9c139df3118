// The planning view: the wards coloured by one metric (deck.gl GeoJsonLayer over
// /api/planning/choropleth, with a legend and the value under the pointer) beside a panel of the
// chosen ward's or the city's figures (/api/planning/summary): key figures, charts (Chart.js,
// bundled), tables, and the report to download (/api/planning/report). Every figure is the
// server's; nothing is computed here but sums for the charts.
import { GeoJsonLayer } from "@deck.gl/layers";
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip,
} from "chart.js";
import { getJSON } from "./api.js";
import { escape, failureNote } from "./dom.js";
import { currentLanguage, layerTitle, t } from "./i18n.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const COUNT_LAYERS = ["luminaires", "poles", "trees", "roads", "buildings", "water_pipes", "drainage_pipes",
  "power_lines", "transformers", "fibre_cables", "customer_terminals", "cameras", "sensors"];
const TARGET_METRICS = ["fibre_households", "fibre_groups", "camera_junctions", "lamps_working"];
const METRICS = [...TARGET_METRICS, "renewal_cost", "kwh", ...COUNT_LAYERS.map((l) => `count:${l}`)];
// Yellow to dark blue (ColorBrewer YlGnBu, 5 classes): low to high.
const RAMP = [[255, 255, 204], [161, 218, 180], [65, 182, 196], [44, 127, 184], [37, 52, 148]];
const AGE_BANDS = ["0-9", "10-19", "20-29", "30-39", "40+", "unknown"];
const AGE_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#bdbdbd"];
const CONDITIONS = ["good", "fair", "poor", "failed", "condition_unknown"];
const CONDITION_COLOURS = ["#1a9850", "#a6d96a", "#fdae61", "#d73027", "#bdbdbd"];
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];

const state = {
  active: false, metric: "fibre_households", ward: "", geojson: null, domain: [0, 1], summary: null,
  charts: [], hidden: [], version: 0, asked: 0,
};

// A colour of the ramp for a value in [min, max] (RGBA 0-255); grey when unknown.
export function rampColour(value, [min, max]) {
  if (value === null || value === undefined || Number.isNaN(value)) return [200, 200, 200, 160];
  const x = max > min ? Math.min(1, Math.max(0, (value - min) / (max - min))) : 0.5;
  const position = x * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(position));
  const f = position - i;
  return [...RAMP[i].map((c, k) => Math.round(c + (RAMP[i + 1][k] - c) * f)), 190];
}

function isShare(metric) {
  return TARGET_METRICS.includes(metric);
}

// A figure to ``digits`` places in the reader's language; one that is not zero but would show as
// 0 is written "< 1" ("< 0.1", ...): a tree's inspection or one 40 W lamp is never shown as none.
function number(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  const locale = currentLanguage() === "vi" ? "vi-VN" : "en-GB";
  const options = { maximumFractionDigits: digits, minimumFractionDigits: digits };
  const v = Number(value);
  const least = 10 ** -digits;
  if (v !== 0 && Math.abs(v) < least / 2) return `${v > 0 ? "< " : "> -"}${least.toLocaleString(locale, options)}`;
  return v.toLocaleString(locale, options);
}

function shown(metric, value) {
  return isShare(metric) ? (value === null || value === undefined ? "—" : `${number(value * 100, 1)} %`)
    : number(value);
}

export function metricLabel(metric, app) {
  if (metric.startsWith("count:")) {
    const name = metric.slice(6);
    const layer = app.layers.find((l) => l.name === name) ?? { name, title: name };
    return `${t("pl_count")}: ${layerTitle(layer)}`;
  }
  return t(`pl_${metric}`);
}

function titleOf(app, name) {
  return layerTitle(app.layers.find((l) => l.name === name) ?? { name, title: name.replaceAll("_", " ") });
}

// The choropleth (empty unless the planning view is open): main.js's render() draws it.
export function planningLayers() {
  if (!state.active || !state.geojson) return [];
  return [new GeoJsonLayer({
    id: "planning-choropleth", data: state.geojson, pickable: true, stroked: true, filled: true,
    getFillColor: (f) => rampColour(f.properties.value, state.domain),
    getLineColor: (f) => (f.properties.code === state.ward ? [20, 20, 20, 255] : [255, 255, 255, 230]),
    getLineWidth: (f) => (f.properties.code === state.ward ? 4 : 1.5),
    lineWidthUnits: "pixels",
    updateTriggers: { getFillColor: state.version, getLineColor: state.ward, getLineWidth: state.ward },
    onHover: (info) => hover(info),
    onClick: (info) => { if (info.object) chooseWard(info.object.properties.code); return true; },
  })];
}

let app = null;
let redraw = () => {};

function hover(info) {
  const tip = document.getElementById("planning-tip");
  const p = info.object?.properties;
  if (!p) { tip.classList.add("hidden"); return; }
  tip.classList.remove("hidden");
  tip.style.left = `${info.x + 12}px`;
  tip.style.top = `${info.y + 12}px`;
  const target = p.target !== null && p.target !== undefined ? ` (${t("pl_target")} ${shown(state.metric, p.target)})` : "";
  tip.innerHTML = `<b>${escape(p.name)}</b><br>${escape(metricLabel(state.metric, app))}: ` +
    `<span id="planning-tip-value">${escape(shown(state.metric, p.value))}</span>${escape(target)}`;
}

function legend() {
  const element = document.getElementById("planning-legend");
  const [min, max] = state.domain;
  const stops = [0, 0.25, 0.5, 0.75, 1].map((x) => rampColour(min + x * (max - min), state.domain));
  const targets = [...new Set((state.geojson?.features ?? []).map((f) => f.properties.target)
    .filter((v) => v !== null && v !== undefined))];
  element.innerHTML = `<div class="ramp">${stops.map(([r, g, b]) =>
    `<span style="background: rgb(${r},${g},${b})"></span>`).join("")}</div>
    <div class="ends"><span>${escape(shown(state.metric, min))}</span><span>${escape(shown(state.metric, max))}</span></div>
    ${targets.length ? `<div class="note">${t("pl_target")}: ${targets.map((v) => escape(shown(state.metric, v))).join(", ")}</div>` : ""}`;
}

async function loadChoropleth() {
  const metric = state.metric;
  try {
    const geojson = await getJSON(`/api/planning/choropleth?metric=${encodeURIComponent(metric)}`);
    if (metric !== state.metric) return;
    state.geojson = geojson;
    const values = geojson.features.map((f) => f.properties.value).filter((v) => v !== null && v !== undefined);
    // From the lowest ward to the highest, so that the wards can be told apart.
    state.domain = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
    state.version++;
    legend();
    fillWardChoice();
    redraw();
  } catch (error) {
    document.getElementById("planning-legend").innerHTML = failureNote(error);
  }
}

function fillWardChoice() {
  const select = document.getElementById("planning-ward");
  const features = [...(state.geojson?.features ?? [])].sort((a, b) => a.properties.name.localeCompare(b.properties.name));
  select.innerHTML = `<option value="">${escape(t("pl_city"))}</option>` + features.map((f) =>
    `<option value="${escape(f.properties.code)}">${escape(f.properties.name)}</option>`).join("");
  select.value = state.ward;
}

function fillMetricChoice() {
  const select = document.getElementById("planning-metric");
  select.innerHTML = METRICS.map((m) => `<option value="${escape(m)}">${escape(metricLabel(m, app))}</option>`).join("");
  select.value = state.metric;
}

export async function chooseWard(code) {
  state.ward = code ?? "";
  document.getElementById("planning-ward").value = state.ward;
  redraw();
  await loadSummary();
}

function sum(rows, key) {
  return rows.reduce((total, row) => total + (Number(row[key]) || 0), 0);
}

function cell(key, value, text) {
  return `<td data-col="${escape(key)}" data-value="${escape(value ?? "")}">${escape(text)}</td>`;
}

function table(id, heads, rows) {
  return `<table class="attrs planning-table" id="${id}"><tr>${heads.map((h) => `<th>${escape(h)}</th>`).join("")}</tr>
    ${rows.join("")}</table>`;
}

function keyFigures(summary) {
  const year = summary.energy?.year;
  const backlog = summary.renewal.filter((r) => r.due_year <= year);
  const area = summary.energy?.by_ward?.find((r) => r.area_code === summary.area.code) ?? {};
  const met = summary.targets.filter((r) => r.met).length;
  const tiles = [
    ["assets", sum(summary.inventory, "count"), t("pl_assets")],
    ["network_km", number(sum(summary.inventory, "length_m") / 1000, 1), t("pl_km")],
    ["backlog_vnd", sum(backlog, "cost_vnd"), t("pl_backlog")],
    ["kwh", area.kwh, t("pl_kwh_year")],
    ["targets_met", `${met} / ${summary.targets.length}`, t("pl_targets_met")],
  ];
  return `<div class="tiles">${tiles.map(([key, value, label]) => `<div class="tile" data-figure="${key}"><b>${
    escape(typeof value === "number" ? number(value) : value)}</b>${escape(label)}</div>`).join("")}</div>`;
}

// The whole city's lighting what-ifs run the lighting calculation over every street (minutes on
// the full demo city): its links leave them out, and say so; a ward's report has them.
function reportLinks(summary) {
  const ward = summary.area.level === "ward";
  const query = ward ? `ward=${encodeURIComponent(summary.area.code)}&` : "what_ifs=false&";
  return `<p class="report-links"><b>${t("pl_report")}</b> ${["pdf", "xlsx", "html"].map((format) =>
    `<a id="planning-report-${format}" href="/api/planning/report?${query}format=${format}" download>${format.toUpperCase()}</a>`).join(" · ")}
    <br><small class="note">${t(ward ? "pl_report_note" : "pl_report_city_note")}</small></p>`;
}

function inventoryTable(summary) {
  const rows = summary.inventory.filter((r) => r.count > 0).map((r) => `<tr data-key="${escape(r.layer)}">
    <td>${escape(titleOf(app, r.layer))}</td>${cell("count", r.count, number(r.count))}
    ${cell("length_m", r.length_m, r.length_m === null ? "—" : number(r.length_m / 1000, 2))}
    ${cell("mean_age_y", r.mean_age_y, number(r.mean_age_y, 1))}${cell("poor", r.poor, number(r.poor))}
    ${cell("failed", r.failed, number(r.failed))}</tr>`);
  return table("planning-inventory", [t("pl_layer"), t("pl_count_col"), t("pl_length_km"), t("pl_mean_age"),
    t("pl_poor_col"), t("pl_failed_col")], rows);
}

function renewalByYear(summary) {
  const years = [...new Set(summary.renewal.map((r) => r.due_year))].sort((a, b) => a - b);
  return years.map((year) => {
    const rows = summary.renewal.filter((r) => r.due_year === year);
    return { year, count: sum(rows, "count"), cost: sum(rows, "cost_vnd") };
  });
}

function renewalTable(summary) {
  const backlogYear = summary.energy?.year;
  const rows = renewalByYear(summary).map((r) => `<tr data-key="${r.year}"><td>${r.year}${
    r.year <= backlogYear ? ` (${t("pl_backlog_short")})` : ""}</td>${cell("count", r.count, number(r.count))}
    ${cell("cost_vnd", r.cost, number(r.cost))}</tr>`);
  return table("planning-renewal", [t("pl_year"), t("pl_count_col"), t("pl_cost_vnd")], rows);
}

function energyTable(summary) {
  const energy = summary.energy;
  const rows = (energy?.by_ward ?? []).filter((r) => summary.area.level === "city" || r.area_code === summary.area.code)
    .map((r) => `<tr data-key="${escape(r.area_code)}"><td>${escape(r.area_name)}</td>
      ${cell("luminaires", r.luminaires, number(r.luminaires))}${cell("installed_kw", r.installed_kw, number(r.installed_kw, 1))}
      ${cell("kwh", r.kwh, number(r.kwh))}${cell("cost_vnd", r.cost_vnd, number(r.cost_vnd))}
      ${cell("co2_kg", r.co2_kg, number(r.co2_kg))}</tr>`);
  return table("planning-energy", [t("pl_area"), t("pl_luminaires"), t("pl_installed_kw"), t("pl_kwh_col"),
    t("pl_cost_year"), t("pl_co2")], rows) +
    `<p class="note">${number(energy?.burning_h)} ${t("pl_burning")} (${energy?.year ?? ""})</p>`;
}

function targetsTable(summary) {
  const rows = summary.targets.map((r) => `<tr data-key="${escape(r.metric)}"><td>${escape(t(`pl_${r.metric}`))}</td>
    ${cell("numerator", r.numerator, number(r.numerator))}${cell("denominator", r.denominator, number(r.denominator))}
    ${cell("value", r.value, shown(r.metric, r.value))}${cell("target", r.target, shown(r.metric, r.target))}
    ${cell("met", r.met, r.met === null ? "—" : t(r.met ? "pl_yes" : "pl_no"))}</tr>`);
  return table("planning-targets", [t("pl_target_col"), t("pl_served"), t("pl_of"), t("pl_share"), t("pl_target"),
    t("pl_met")], rows);
}

function chartBox(id, tall = false) {
  return `<div class="chart-box${tall ? " tall" : ""}"><canvas id="${id}"></canvas></div>`;
}

function bar(id, config) {
  const canvas = document.getElementById(id);
  if (!canvas) return;
  state.charts.push(new Chart(canvas, {
    ...config,
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 10, font: { size: 10 } } } },
      ...config.options,
    },
  }));
}

// Horizontal bars of each layer's shares (%), stacked to 100.
const SHARES = {
  indexAxis: "y",
  scales: { x: { stacked: true, min: 0, max: 100, title: { display: true, text: "%" } },
    y: { stacked: true, ticks: { font: { size: 9 }, autoSkip: false } } },
};

// A label in lines of about ``width`` characters (Chart.js draws an array as lines).
function lines(text, width) {
  const out = [];
  for (const word of text.split(" ")) {
    if (out.length && (out[out.length - 1] + " " + word).length <= width) out[out.length - 1] += ` ${word}`;
    else out.push(word);
  }
  return out;
}

function share(part, whole) {
  return whole > 0 ? (100 * part) / whole : 0;
}

function drawCharts(summary) {
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
  const years = renewalByYear(summary).map((r) => r.year);
  const renewalLayers = [...new Set(summary.renewal.map((r) => r.layer))];
  bar("planning-chart-renewal", {
    type: "bar",
    data: {
      labels: years.map(String),
      datasets: renewalLayers.map((layer, i) => ({
        label: titleOf(app, layer), backgroundColor: PALETTE[i % PALETTE.length],
        data: years.map((year) => sum(summary.renewal.filter((r) => r.layer === layer && r.due_year === year), "cost_vnd") / 1e6),
      })),
    },
    // One colour per layer, named in the tooltip: a legend of every layer would crowd out the bars.
    options: {
      plugins: { legend: { display: false } },
      scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: t("pl_million_vnd") } } },
    },
  });
  const layers = summary.inventory.filter((r) => r.count > 0);
  bar("planning-chart-condition", {
    type: "bar",
    data: {
      labels: layers.map((r) => titleOf(app, r.layer)),
      datasets: CONDITIONS.map((key, i) => ({
        label: t(`pl_${key === "condition_unknown" ? "unknown" : key}`), backgroundColor: CONDITION_COLOURS[i],
        data: layers.map((r) => share(r[key], sum(CONDITIONS.map((k) => ({ n: r[k] })), "n"))),
      })),
    },
    options: SHARES,
  });
  const ageLayers = [...new Set(summary.age_profile.filter((r) => r.count > 0).map((r) => r.layer))];
  bar("planning-chart-age", {
    type: "bar",
    data: {
      labels: ageLayers.map((l) => titleOf(app, l)),
      datasets: AGE_BANDS.map((band, i) => ({
        label: band === "unknown" ? t("pl_unknown") : `${band} ${t("pl_years")}`, backgroundColor: AGE_COLOURS[i],
        data: ageLayers.map((l) => share(
          sum(summary.age_profile.filter((r) => r.layer === l && r.age_band === band), "count"),
          sum(summary.age_profile.filter((r) => r.layer === l), "count"))),
      })),
    },
    options: SHARES,
  });
  bar("planning-chart-targets", {
    type: "bar",
    data: {
      labels: summary.targets.map((r) => lines(t(`pl_${r.metric}`), 18)),
      datasets: [
        { label: t("pl_reached"), backgroundColor: summary.targets.map((r) => (r.met ? "#1a9850" : "#d73027")),
          data: summary.targets.map((r) => (r.value ?? 0) * 100) },
        { label: t("pl_target"), backgroundColor: "#555555", data: summary.targets.map((r) => (r.target ?? 0) * 100) },
      ],
    },
    // Up to 100 %, or further when a share is above it (left unclipped, as in the table).
    options: { indexAxis: "y", scales: { x: { min: 0, suggestedMax: 100, title: { display: true, text: "%" } } } },
  });
}

function showSummary(summary) {
  const body = document.getElementById("planning-body");
  body.innerHTML = `<h3 id="planning-area">${escape(summary.area.name)}</h3>${reportLinks(summary)}${keyFigures(summary)}
    <h4>${t("pl_inventory")}</h4>${chartBox("planning-chart-condition", true)}${inventoryTable(summary)}
    <h4>${t("pl_age")}</h4>${chartBox("planning-chart-age", true)}
    <h4>${t("pl_renewal")}</h4>${chartBox("planning-chart-renewal")}${renewalTable(summary)}
    <h4>${t("pl_energy")}</h4>${energyTable(summary)}
    <h4>${t("pl_targets")}</h4>${chartBox("planning-chart-targets")}${targetsTable(summary)}
    <p class="note">${t("pl_assumption_note")}</p>`;
  drawCharts(summary);
}

async function loadSummary() {
  const body = document.getElementById("planning-body");
  const asked = ++state.asked;  // a late answer for an earlier choice is dropped
  body.innerHTML = `<p class="note">${t("loading")}</p>`;
  let summary;
  try {
    summary = await getJSON(`/api/planning/summary${state.ward ? `?ward=${encodeURIComponent(state.ward)}` : ""}`);
  } catch (error) {
    if (asked === state.asked) body.innerHTML = failureNote(error);
    return;
  }
  if (asked !== state.asked) return;
  state.summary = summary;
  showSummary(summary);
}

function fitWards() {
  const boxes = app.wards.map((w) => w.bbox).filter(Boolean);
  const coordinates = app.wards.flatMap((w) => (w.geometry?.coordinates ?? []).flat(2));
  if (!boxes.length && !coordinates.length) return;
  const lons = boxes.length ? boxes.flatMap((b) => [b[0], b[2]]) : coordinates.map((c) => c[0]);
  const lats = boxes.length ? boxes.flatMap((b) => [b[1], b[3]]) : coordinates.map((c) => c[1]);
  app.map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
    { padding: { left: 20, top: 60, bottom: 40, right: 470 }, pitch: 0, bearing: 0, duration: 0 });
}

function enter() {
  state.active = true;
  document.body.classList.add("planning");
  document.body.classList.remove("ioc");
  for (const id of ["view-map", "view-ioc"]) document.getElementById(id).classList.remove("on");
  document.getElementById("view-planning").classList.add("on");
  for (const id of ["layers", "ioc", "asset"]) document.getElementById(id).classList.add("hidden");
  document.getElementById("planning").classList.remove("hidden");
  // The wards' colours read best without the assets over them: hide the asset layers until leaving.
  state.hidden = app.layers.filter((l) => !l.style.base_map && app.visible[l.name]).map((l) => l.name);
  for (const name of state.hidden) app.setVisible(name, false);
  fitWards();
  fillMetricChoice();
  loadChoropleth();
  loadSummary();
}

function leave() {
  if (!state.active) return;
  state.active = false;
  document.body.classList.remove("planning");
  document.getElementById("view-planning").classList.remove("on");
  document.getElementById("planning").classList.add("hidden");
  document.getElementById("planning-tip").classList.add("hidden");
  for (const name of state.hidden) app.setVisible(name, true);
  state.hidden = [];
  redraw();
}

// Wire the view's button and controls; ``render`` redraws the map (main.js).
export function wirePlanning(theApp, render) {
  app = theApp;
  redraw = render;
  app.planning = { state, chooseWard, number };
  document.getElementById("view-planning").onclick = enter;
  for (const id of ["view-map", "view-ioc"]) document.getElementById(id).addEventListener("click", leave);
  document.getElementById("planning-metric").onchange = (event) => {
    state.metric = event.target.value;
    loadChoropleth();
  };
  document.getElementById("planning-ward").onchange = (event) => chooseWard(event.target.value);
  document.getElementById("lang").addEventListener("click", () => {
    if (!state.active) return;
    fillMetricChoice();
    fillWardChoice();
    legend();
    if (state.summary) showSummary(state.summary);
  });
}
