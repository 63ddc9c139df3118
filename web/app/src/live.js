// The twin's live state in the browser: the latest state and output level per asset, from the
// server's state snapshot (/api/state, also at a past time) and its event stream
// (/api/live/stream, Server-Sent Events "state" and "incident").
import { getJSON } from "./api.js";

const LEVEL = "illuminance_level";

// Fold one observation {asset_id, property, value} (a row of /api/state or a "state" event of the
// stream) into ``live`` (Map asset id -> {state, level, values}); false when it names no asset or
// no property (the stream's summaries of numeric readings).
export function applyObservation(live, message) {
  const id = message.asset_id;
  if (!id || !message.property) return false;
  const entry = { ...(live.get(id) || { values: {} }) };
  entry.values = { ...entry.values, [message.property]: message.value };
  if (message.property === "state") entry.state = message.value;
  if (message.property === LEVEL) entry.level = Number(message.value);
  live.set(id, entry);
  return true;
}

// The whole city's state now (at = null) or at a past time, as a new Map.
export async function loadState(at) {
  const answer = await getJSON(at ? `/api/state?at=${encodeURIComponent(at)}` : "/api/state");
  const live = new Map();
  for (const row of answer.observations) applyObservation(live, row);
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
