// The panel of a clicked asset: its attributes, live values and recent history, a camera's status
// and stream link, and "What if this fails?" (the outage simulation).
import { NotAvailable, getJSON, postJSON } from "./api.js";
import { t } from "./i18n.js";

const panel = () => document.getElementById("asset");

function escape(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function table(rows) {
  return `<table class="attrs">${rows.map(([k, v]) =>
    `<tr><td>${escape(k)}</td><td>${escape(typeof v === "object" && v !== null ? JSON.stringify(v) : v)}</td></tr>`
  ).join("")}</table>`;
}

function notAvailableNote(error) {
  return error instanceof NotAvailable ? `<p class="na">${t("not_available")}: ${escape(error.message)}</p>`
    : `<p class="na">${t("failed")}: ${escape(error.message)}</p>`;
}

function liveRows(asset, liveEntry) {
  const values = { ...(asset.live || {}) };
  if (liveEntry) Object.assign(values, liveEntry.values, liveEntry.state ? { state: liveEntry.state } : {},
    liveEntry.level != null ? { level: liveEntry.level } : {});
  return Object.entries(values).map(([k, v]) => [k, typeof v === "object" && v !== null ? (v.value_text ?? v.value ?? JSON.stringify(v)) : v]);
}

function historyRows(history) {
  return (history || []).slice(-12).reverse().map((h) =>
    [`${h.observed_at ?? h.time ?? ""}`.replace("T", " ").slice(0, 19), `${h.property ?? ""} ${h.value_text ?? h.value ?? ""} ${h.unit ?? ""}`]);
}

function cameraSection(asset, liveEntry) {
  const state = liveEntry?.state ?? asset.live?.state?.value_text ?? asset.live?.state;
  const status = state == null ? t("unknown") : ["offline", "failed", "out_of_service"].includes(state) ? t("offline") : t("online");
  const snapshot = [...(asset.history || [])].reverse().find((h) => /snapshot/.test(h.property ?? "") || /snapshot/.test(h.value_text ?? ""));
  const url = asset.properties.stream_url;
  return `<h4>${t("camera")}</h4>${table([[t("status"), status]])}
    <p>${t("stream")}: ${url ? `<a id="camera-stream" href="${escape(url)}" target="_blank" rel="noopener">${escape(url)}</a>` : "—"}
    ${snapshot ? `<br>${escape(snapshot.value_text ?? snapshot.value)}` : ""}</p>`;
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
    element.innerHTML = `<h3>${escape(id)}</h3>${notAvailableNote(error)}${closeButton()}`;
    wireClose(app);
    return;
  }
  const liveEntry = app.view.live.get(id);
  const live = liveRows(asset, liveEntry);
  element.innerHTML = `<h3 id="asset-title">${escape(asset.id)} <small>${escape(asset.layer)}</small></h3>
    <button id="what-if" class="danger">${t("what_if")}</button>
    <div id="outage"></div>
    ${asset.layer === "cameras" ? cameraSection(asset, liveEntry) : ""}
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
    out.innerHTML = notAvailableNote(error);
    return;
  }
  app.setOutage(answer.geojson);
  const result = answer.result || {};
  const counts = Object.entries(result.affected || {}).map(([layer, ids]) => [layer, ids.length]);
  const actions = (result.actions || []).map((a) => [a.asset_id ?? a.device ?? "", a.action ?? a.operation ?? JSON.stringify(a)]);
  out.innerHTML = `<p id="outage-summary"><b>${(result.customers ?? 0).toLocaleString()}</b> ${t("customers")}</p>
    <h4>${t("affected")}</h4>${table(counts)}
    ${actions.length ? `<h4>${t("operate")}</h4>${table(actions)}` : ""}`;
}
