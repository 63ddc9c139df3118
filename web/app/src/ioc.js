// The operations centre: KPI tiles (/api/kpis), the incident list with acknowledge and resolve,
// incidents on the map, and raising an incident by hand (POST /api/incidents: a phone call about
// the assets open in the asset panel).
import { getJSON, postJSON } from "./api.js";
import { escape, failureNote, failureText } from "./dom.js";
import { kpiLabel, t } from "./i18n.js";

function tile(label, value) {
  if (value !== null && typeof value === "object") {
    const rows = Object.entries(value).map(([k, v]) =>
      `${escape(Array.isArray(value) ? "" : kpiLabel(k))} ${escape(typeof v === "object" ? Object.values(v).join(": ") : v)}`);
    return `<div class="tile" style="grid-column: span 2">${escape(kpiLabel(label))}<br><small>${rows.join("<br>") || "—"}</small></div>`;
  }
  const shown = typeof value === "number" ? value.toLocaleString(undefined, { maximumFractionDigits: 1 }) : value;
  return `<div class="tile"><b>${escape(shown)}</b>${escape(kpiLabel(label))}</div>`;
}

export async function showKpis() {
  const element = document.getElementById("kpis");
  try {
    const kpis = await getJSON("/api/kpis");
    element.innerHTML = Object.entries(kpis).map(([k, v]) => tile(k, v)).join("");
  } catch (error) {
    element.innerHTML = failureNote(error);
  }
}

// The assets an incident involves.
export function incidentAssets(incident) {
  return incident.asset_ids ?? [];
}

// Where an incident is (lon/lat), when it is known.
export function incidentPosition(incident) {
  return incident.position ?? null;
}

// Acknowledge and Resolve, for a user whose role moves incidents on (the server refuses others).
function actions(app, incident) {
  if (!app.permissions?.has("incidents")) return "";
  return `<br><button data-act="acknowledge" ${incident.status === "open" ? "" : "disabled"}>${t("acknowledge")}</button>
      <button data-act="resolve">${t("resolve")}</button>`;
}

// Refresh the incident list; returns the open incidents (for the map and live colours).
export async function showIncidents(app) {
  offerKinds();  // in the language of the moment (the language toggle shows the list again)
  const list = document.getElementById("incident-list");
  let incidents;
  try {
    incidents = (await getJSON("/api/incidents")).incidents.filter((i) => i.status !== "resolved");
  } catch (error) {
    list.innerHTML = `<li>${failureNote(error)}</li>`;
    return [];
  }
  if (!incidents.length) list.innerHTML = `<li class="note">${t("no_incidents")}</li>`;
  else list.innerHTML = incidents.map((i) => `<li data-id="${escape(i.id)}">
      <b>${escape(i.title ?? i.kind)}</b> <small>${escape(i.kind)} · ${escape(i.status)} ·
      ${escape(String(i.raised_at ?? "").replace("T", " ").slice(0, 16))}${i.details?.reported_by ? ` · ${escape(i.details.reported_by)}` : ""}</small>
      <br><small>${escape(incidentAssets(i).join(", "))}</small>
      ${actions(app, i)}
    </li>`).join("");
  for (const item of list.querySelectorAll("li[data-id]")) {
    const incident = incidents.find((i) => String(i.id) === item.dataset.id);
    item.onclick = (event) => {
      const act = event.target.dataset?.act;
      if (act) return act_on(incident, act, app);
      const where = incidentPosition(incident);
      if (where) app.map.flyTo({ center: where, zoom: 17 });
      const [first] = incidentAssets(incident);
      if (first) app.openAsset(first);
    };
  }
  return incidents;
}

async function act_on(incident, act, app) {
  try {
    await postJSON(`/api/incidents/${encodeURIComponent(incident.id)}/${act}`, { who: app.user?.name ?? "IOC operator" });
  } catch (error) {
    app.say(`${act}: ${failureText(error)}`, true);
  }
  await app.refreshIncidents();
}

// Kinds offered when raising an incident by hand; the server takes any other kind written as
// lower-case words joined by "_".
const RAISE_KINDS = ["burst_main", "flooding", "fire", "accident", "fallen_tree", "power_outage"];

function offerKinds() {
  document.getElementById("raise-kinds").innerHTML = RAISE_KINDS.map((kind) =>
    `<option value="${kind}">${escape(t(`kind_${kind}`))}</option>`).join("");
}

// The asset ids typed in a field (commas or spaces between), each once, in order.
function assetIds(text) {
  return [...new Set(String(text).split(/[\s,;]+/).filter(Boolean))];
}

// The asset open in the asset panel (a click on the map opens it), or null.
function openAssetId() {
  const panel = document.getElementById("asset");
  return panel.classList.contains("hidden") ? null : panel.dataset.assetId || null;
}

// The "Raise an incident" form (shown to roles with the incidents permission): its assets are
// typed or added from the asset panel; the server places the incident at the first, refuses
// with one line (shown under the form), and tells every browser of the new incident.
export function wireRaise(app) {
  const form = document.getElementById("raise-form");
  const assets = document.getElementById("raise-assets");
  const refusal = document.getElementById("raise-error");
  const refuse = (text) => {
    refusal.textContent = text;
    refusal.classList.toggle("hidden", !text);
  };
  document.getElementById("raise-add").onclick = () => {
    const id = openAssetId();
    if (!id) return refuse(t("raise_pick_first"));
    refuse("");
    assets.value = assetIds(`${assets.value} ${id}`).join(", ");
    assets.focus();
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    const value = (id) => document.getElementById(id).value.trim();
    const body = { kind: value("raise-kind"), asset_ids: assetIds(assets.value) };
    if (value("raise-text")) body.title = value("raise-text");
    if (value("raise-note")) body.note = value("raise-note");
    const submit = document.getElementById("raise-submit");
    submit.disabled = true;
    let incident;
    try {
      incident = await postJSON("/api/incidents", body);
    } catch (error) {
      refuse(failureText(error));
      return;
    } finally {
      submit.disabled = false;
    }
    refuse("");
    form.reset();
    app.say(`${t("raise_done")} ${incident.id}: ${incident.title}`);
    await app.refreshIncidents();
  };
}
