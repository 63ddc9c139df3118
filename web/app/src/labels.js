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
import { ringCentre, streetLabels } from "./geometry.js";

export const STREET_MIN_ZOOM = 15;
const FONT = "'Noto Sans', 'DejaVu Sans', 'Segoe UI', Arial, sans-serif";
const collisions = new CollisionFilterExtension();
const TEXT = {
  characterSet: "auto", fontFamily: FONT, fontSettings: { sdf: true }, outlineWidth: 4,
  getTextAnchor: "middle", getAlignmentBaseline: "center", pickable: false,
  extensions: [collisions], collisionGroup: "names",
};

export function streetNamesLayer(view) {
  return new TileLayer({
    id: "names-streets", data: tileUrl("roads"), minZoom: STREET_MIN_ZOOM, maxZoom: TILE_MAX_ZOOM,
    extent: view.extent, getTileData: async (tile) => streetLabels(await loadTile(tile)),
    renderSubLayers: (props) => new TextLayer({
      ...TEXT, id: props.id, data: props.data || [],
      getPosition: (l) => l.position, getText: (l) => l.name, getAngle: (l) => l.angle,
      getCollisionPriority: (l) => Math.min(l.length, 1000), billboard: false, sizeUnits: "meters",
      getSize: 9, sizeMinPixels: 11, sizeMaxPixels: 16, getColor: [40, 40, 48, 255],
      outlineColor: [255, 255, 255, 230],
    }),
  });
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
