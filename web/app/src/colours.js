// Colours: a style's own (with its palette), overridden by what the twin knows now: lamps on, off
// or dimmed, cameras up or down, assets in an open incident, and the outage being studied.
// Colours of a simulation result's roles (failed, affected, operate), from /api/styles.
export const ROLE_COLOURS = {};
const INCIDENT = [255, 40, 40, 255];
const LAMP_OFF = [70, 70, 80, 255];
const CAMERA_DOWN = [120, 40, 40, 255];
const BROKEN = new Set(["failed", "out_of_service", "offline"]);

export function styleColour(style, properties) {
  const byValue = style.color_by ? style.palette[properties[style.color_by]] : null;
  return byValue || style.color;
}

// A lamp's colour for its live state and output level (0..1): off is dark, dimmed is a darker
// yellow, on is the style's own.
export function lampColour(base, live) {
  if (!live) return base;
  if (BROKEN.has(live.state) || live.state === "off" || live.level === 0) return LAMP_OFF;
  if (live.level != null && live.level < 1) {
    const k = 0.35 + 0.65 * live.level;
    return [Math.round(base[0] * k), Math.round(base[1] * k), Math.round(base[2] * k), base[3]];
  }
  return base;
}

export function featureColour(layerName, style, properties, view) {
  const id = properties.id;
  const role = view.outage?.roles.get(id);
  if (role) return ROLE_COLOURS[role];
  if (view.incidentAssets.has(id)) return INCIDENT;
  const base = styleColour(style, properties);
  const live = view.live.get(id);
  if (layerName === "luminaires") return lampColour(base, live);
  if (live && BROKEN.has(live.state)) return layerName === "cameras" ? CAMERA_DOWN : LAMP_OFF;
  return base;
}
