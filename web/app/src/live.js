// The twin's live state in the browser: the latest state and output level per asset, from the
// server's state snapshot (/api/state, also at a past time) and its event stream
// (/api/live/stream, Server-Sent Events "state" and "incident").
import { getJSON } from "./api.js";

const LEVEL_PROPERTIES = new Set(["illuminance_level", "level", "dimming_level"]);

// Fold one observation or state message into ``live`` (Map asset id -> {state, level, values}).
// Accepts the stored row shape {asset_id, property, value, value_text} and the message shape
// {asset_id, state, level}.
export function applyObservation(live, message) {
  const id = message.asset_id;
  if (!id) return false;
  const entry = { ...(live.get(id) || { values: {} }) };
  entry.values = { ...entry.values };
  if (message.property) {
    const value = message.value_text ?? message.value;
    entry.values[message.property] = value;
    if (message.property === "state") entry.state = value;
    if (LEVEL_PROPERTIES.has(message.property)) entry.level = Number(message.value);
  }
  if (message.state != null) entry.state = message.state;
  if (message.level != null) entry.level = Number(message.level);
  live.set(id, entry);
  return true;
}

function rowsOf(answer) {
  if (Array.isArray(answer)) return answer;
  return answer?.observations || answer?.states || answer?.rows || answer?.features?.map((f) => f.properties) || [];
}

// The whole city's state now (at = null) or at a past time, as a new Map.
export async function loadState(at) {
  const answer = await getJSON(at ? `/api/state?at=${encodeURIComponent(at)}` : "/api/state");
  const live = new Map();
  for (const row of rowsOf(answer)) applyObservation(live, row);
  return live;
}

// Listen to the live stream; ``onState(message)`` and ``onIncident(message)`` get each event's
// JSON; ``onTrouble()`` when the connection drops (EventSource retries by itself).
export function listen({ onState, onIncident, onTrouble, onOpen }) {
  const source = new EventSource("/api/live/stream");
  source.addEventListener("state", (event) => onState(JSON.parse(event.data)));
  source.addEventListener("incident", (event) => onIncident(JSON.parse(event.data)));
  source.addEventListener("open", () => onOpen?.());
  source.onerror = () => onTrouble?.(source.readyState);
  return source;
}
