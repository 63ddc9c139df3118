// Street and ward names, drawn by deck.gl's TextLayer from the twin's own data. Its font atlas is
// made in the browser from the system's fonts (every character the names use, Vietnamese
// included), so nothing is fetched: MapLibre's own labels would need a glyph server.
// Street names lie on the ground along their street, one per street and tile, and a name that
// would overlap another is left out (deck.gl's collision filter); ward names stand upright at the
// ward's centre.
import { CollisionFilterExtension } from "@deck.gl/extensions";
import { TileLayer } from "@deck.gl/geo-layers";
import { TextLayer } from "@deck.gl/layers";
import { loadTile, tileUrl, TILE_MAX_ZOOM } from "./deck-layers.js";

export const STREET_MIN_ZOOM = 15;
const FONT = "'Noto Sans', 'DejaVu Sans', 'Segoe UI', Arial, sans-serif";
const collisions = new CollisionFilterExtension();
const TEXT = {
  characterSet: "auto", fontFamily: FONT, fontSettings: { sdf: true }, outlineWidth: 4,
  getTextAnchor: "middle", getAlignmentBaseline: "center", pickable: false,
  extensions: [collisions], collisionGroup: "names",
};

const METRES_PER_DEGREE = 111320;

// The step from one lon/lat to the next, in metres east and north (fine along a street).
function metresAlong([lon1, lat1], [lon2, lat2]) {
  const east = (lon2 - lon1) * Math.cos((lat1 * Math.PI) / 180) * METRES_PER_DEGREE;
  return [east, (lat2 - lat1) * METRES_PER_DEGREE];
}

// One label per street name in a tile: on the middle of the longest segment of its longest piece,
// turned along it and never upside down.
export function streetLabels(items) {
  const best = new Map();
  for (const { path, properties } of items) {
    const name = properties.name;
    if (!name || !path || path.length < 2) continue;
    let length = 0;
    let longest = null;
    for (let i = 1; i < path.length; i++) {
      const [dx, dy] = metresAlong(path[i - 1], path[i]);
      const segment = Math.hypot(dx, dy);
      length += segment;
      if (!longest || segment > longest.segment) longest = { segment, dx, dy, a: path[i - 1], b: path[i] };
    }
    if (best.has(name) && best.get(name).length >= length) continue;
    let angle = (Math.atan2(longest.dy, longest.dx) * 180) / Math.PI;
    if (angle > 90) angle -= 180;
    if (angle < -90) angle += 180;
    const position = [(longest.a[0] + longest.b[0]) / 2, (longest.a[1] + longest.b[1]) / 2];
    best.set(name, { name, length, angle, position });
  }
  return [...best.values()];
}

export function streetNamesLayer(view) {
  return new TileLayer({
    id: "names-streets", data: tileUrl("roads"), minZoom: STREET_MIN_ZOOM, maxZoom: TILE_MAX_ZOOM,
    extent: view.extent, getTileData: async (tile) => streetLabels(await loadTile(tile)),
    renderSubLayers: (props) => new TextLayer({
      ...TEXT, id: props.id, data: props.data || [],
      getPosition: (l) => l.position, getText: (l) => l.name, getAngle: (l) => l.angle,
      getCollisionPriority: (l) => Math.min(l.length, 1000),  // the longest stays billboard: false, sizeUnits: "meters", getSize: 9,
      sizeMinPixels: 11, sizeMaxPixels: 16, getColor: [40, 40, 48, 255], outlineColor: [255, 255, 255, 230],
    }),
  });
}

// The centre of a polygon's largest ring (area-weighted, in lon/lat: fine at a ward's size).
export function ringCentre(rings) {
  let best = null;
  for (const ring of rings) {
    let area = 0;
    let x = 0;
    let y = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      area += cross;
      x += (ring[j][0] + ring[i][0]) * cross;
      y += (ring[j][1] + ring[i][1]) * cross;
    }
    if (area !== 0 && (!best || Math.abs(area) > best.area)) best = { area: Math.abs(area), at: [x / (3 * area), y / (3 * area)] };
  }
  return best?.at;
}

// ``wards``: the wards collection's GeoJSON features.
export function wardNamesLayer(wards) {
  const labels = wards.flatMap((f) => {
    const rings = f.geometry?.type === "Polygon" ? [f.geometry.coordinates[0]]
      : f.geometry?.type === "MultiPolygon" ? f.geometry.coordinates.map((p) => p[0]) : [];
    const at = ringCentre(rings);
    return at && f.properties.name ? [{ name: f.properties.name, position: at }] : [];
  });
  return new TextLayer({
    ...TEXT, id: "names-wards", data: labels, getPosition: (l) => l.position, getText: (l) => l.name,
    getCollisionPriority: 1000, getSize: 15, getColor: [70, 50, 120, 255], outlineColor: [255, 255, 255, 220],
    fontWeight: 600,
  });
}
