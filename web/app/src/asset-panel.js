// The panel of a clicked asset: its attributes, live values and recent history, a camera's status
// and stream link, and "What if this fails?" (the outage simulation).
import { getJSON, postJSON } from "./api.js";
import { escape, failureNote, failureText } from "./dom.js";
import { t } from "./i18n.js";

const panel = () => document.getElementById("asset");

function table(rows) {
  return `<table class="attrs">${rows.map(([k, v]) =>
    `<tr><td>${escape(k)}</td><td>${escape(typeof v === "object" && v !== null ? JSON.stringify(v) : v)}</td></tr>`
  ).join("")}</table>`;
}

function shownValue(v) {
  return v !== null && typeof v === "object" ? `${v.value ?? ""} ${v.unit ?? ""}`.trim() : v;
}

// Live values: what the server had when the panel opened, updated by the stream since.
function liveRows(asset, liveEntry) {
  const values = { ...(asset.live || {}) };
  if (liveEntry) Object.assign(values, liveEntry.values, liveEntry.state ? { state: liveEntry.state } : {});
  return Object.entries(values).map(([k, v]) => [k, shownValue(v)]);
}

function historyRows(history) {
  return (history || []).slice(-12).reverse().map((h) =>
    [String(h.observed_at ?? "").replace("T", " ").slice(0, 19), `${h.property ?? ""} ${h.value ?? ""} ${h.unit ?? ""}`]);
}

// A camera's status (its live state), stream link and latest snapshot (from its incidents).
async function cameraSection(asset, liveEntry) {
  const state = liveEntry?.state ?? asset.live?.state?.value;
  const status = state == null ? t("unknown") : ["offline", "failed", "out_of_service"].includes(state) ? t("offline") : t("online");
  let snapshot = null;
  try {
    const answer = await getJSON(`/api/incidents?asset=${encodeURIComponent(asset.id)}`);
    snapshot = (answer.incidents || []).map((i) => i.details?.snapshot).find(Boolean) ?? null;
  } catch (error) {
    snapshot = failureText(error);
  }
  const url = asset.properties.stream_url;
  return `<h4>${t("camera")}</h4>${table([[t("status"), status], [t("snapshot"), snapshot ?? "—"]])}
    <p>${t("stream")}: ${url ? `<a id="camera-stream" href="${escape(url)}" target="_blank" rel="noopener">${escape(url)}</a>` : "—"}</p>`;
}

// Open the panel for asset ``id``; ``app`` gives the live map, the outage highlight and the map.
export async function openAsset(id, app) {
  const element = panel();
  element.classList.remove("hidden");
  element.dataset.assetId = id;
  element.innerHTML = `<h3>${escape(id)}</h3><p>${t("loading")}</p>`;
  let asset;
  try {
    asset = await getJSON(`/api/assets/${encodeURIComponent(id)}`);
  } catch (error) {
    element.innerHTML = `<h3>${escape(id)}</h3>${failureNote(error)}${closeButton()}`;
    wireClose(app);
    return;
  }
  const liveEntry = app.view.live.get(id);
  const live = liveRows(asset, liveEntry);
  const camera = asset.layer === "cameras" ? await cameraSection(asset, liveEntry) : "";
  element.innerHTML = `<h3 id="asset-title">${escape(asset.id)} <small>${escape(asset.layer)}</small></h3>
    <button id="what-if" class="danger">${t("what_if")}</button>
    <div id="outage"></div>
    ${camera}
    <h4>${t("live")}</h4>${live.length ? table(live) : `<p class="note">${t("no_live")}</p>`}
    <h4>${t("history")}</h4>${asset.history?.length ? table(historyRows(asset.history)) : `<p class="note">${t("no_history")}</p>`}
    <h4>${t("attributes")}</h4>${table(Object.entries(asset.properties))}
    ${closeButton()}`;
  document.getElementById("what-if").onclick = () => whatIf(asset.id, app);
  wireClose(app);
}

function closeButton() {
  return `<p><button id="asset-close">${t("close")}</button></p>`;
}

function wireClose(app) {
  document.getElementById("asset-close").onclick = () => {
    panel().classList.add("hidden");
    app.setOutage(null);
  };
}

async function whatIf(id, app) {
  const out = document.getElementById("outage");
  out.innerHTML = `<p>${t("outage_running")}</p>`;
  let answer;
  try {
    answer = await postJSON("/api/simulate/outage", { assets: [id] });
  } catch (error) {
    out.innerHTML = failureNote(error);
    return;
  }
  app.setOutage(answer.geojson);
  const result = answer.result || {};
  const counts = Object.entries(result.affected || {}).map(([layer, ids]) => [layer, ids.length]);
  const actions = (result.actions || []).map((a) => [a.asset_id, a.action]);
  out.innerHTML = `<p id="outage-summary"><b>${(result.customers ?? 0).toLocaleString()}</b> ${t("customers")}</p>
    <h4>${t("affected")}</h4>${table(counts)}
    ${actions.length ? `<h4>${t("operate")}</h4>${table(actions)}` : ""}`;
}
