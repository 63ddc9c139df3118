// The base map: a MapLibre style drawn only from the twin's own vector tiles (water, roads, ward
// outlines). No glyphs, sprites or tiles from anywhere else: names are drawn by labels.js.
import { TILE_MAX_ZOOM, tileUrl } from "./deck-layers.js";

const EARTH_CIRCUMFERENCE_M = 40075016.686;

function rgba([r, g, b, a]) {
  return `rgba(${r}, ${g}, ${b}, ${(a / 255).toFixed(3)})`;
}

// Line width in pixels of a width in metres at each zoom (512-pixel tiles), as a MapLibre
// expression; widthM is a number or an expression.
function metresToPixels(widthM, latitude) {
  const metresPerPixel = (z) => (EARTH_CIRCUMFERENCE_M * Math.cos((latitude * Math.PI) / 180)) / (512 * 2 ** z);
  return ["interpolate", ["exponential", 2], ["zoom"],
    10, ["max", 0.5, ["/", widthM, metresPerPixel(10)]],
    22, ["/", widthM, metresPerPixel(22)]];
}

function source(name) {
  return { type: "vector", tiles: [tileUrl(name)], minzoom: 0, maxzoom: TILE_MAX_ZOOM };
}

// ``layers``: the /api/styles entries whose style has base_map; ``latitude``: the city's.
export function baseMapStyle(layers, latitude) {
  const byName = Object.fromEntries(layers.map((l) => [l.name, l]));
  const style = { version: 8, sources: {}, layers: [
    { id: "background", type: "background", paint: { "background-color": "#eef0f2" } },
  ] };
  const add = (name, layer) => {
    if (!byName[name]) return;
    style.sources[name] = source(name);
    const visibility = byName[name].style.visible ? "visible" : "none";
    style.layers.push({ source: name, "source-layer": name, ...layer, layout: { ...layer.layout, visibility } });
  };
  const water = byName.water_areas?.style;
  if (water) add("water_areas", { id: "water_areas", type: "fill", paint: { "fill-color": rgba(water.color) } });
  for (const name of ["districts", "wards"]) {
    const admin = byName[name]?.style;
    if (admin) add(name, { id: name, type: "line",
      paint: { "line-color": rgba(admin.line_color || admin.color), "line-width": 1, "line-dasharray": [3, 2] } });
  }
  const roads = byName.roads?.style;
  if (roads) {
    const width = ["coalesce", ["get", roads.width_attribute || "width_m"], roads.width_m];
    add("roads", { id: "roads", type: "line", layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": rgba(roads.color), "line-width": metresToPixels(width, latitude) } });
  }
  return style;
}
