// Geometry from vector tiles (features in lon/lat) for deck.gl, and the 3D rules of the styles:
// heights above ground, depths below it, discs and view cones in metres. The same rules as
// web/pydeck_layers.py, so the browser map and pydeck agree.
const METRES_PER_DEGREE = 111320;
const DISC_SIDES = 12;

function number(properties, column, fallback) {
  if (!column) return fallback;
  const value = Number(properties[column]);
  return properties[column] == null || Number.isNaN(value) ? fallback : value;
}

export function height(style, properties) {
  return number(properties, style.height_attribute, style.default_height_m);
}

// Where a point or vertex is drawn (m): at its depth below ground in the underground mode,
// else at its height (things with a depth lie on the ground outside that mode).
export function elevation(style, properties, mode, depthColumn = style.depth_attribute) {
  const depth = depthColumn ? number(properties, depthColumn, null) : null;
  if (depth === null) return height(style, properties);
  return mode.underground ? -depth * mode.exaggeration : 0;
}

export function radius(style, properties) {
  return style.radius_attribute ? number(properties, style.radius_attribute, 2 * style.width_m) / 2 : style.width_m;
}

export function disc([lon, lat], radiusM, sides = DISC_SIDES) {
  const dlat = radiusM / METRES_PER_DEGREE;
  const dlon = dlat / Math.cos((lat * Math.PI) / 180);
  const ring = [];
  for (let i = 0; i <= sides; i++) {
    const a = (2 * Math.PI * i) / sides;
    ring.push([lon + dlon * Math.sin(a), lat + dlat * Math.cos(a)]);
  }
  return ring;
}

export function viewCone([lon, lat], headingDeg, fovDeg, rangeM, steps = 8) {
  const dlat = rangeM / METRES_PER_DEGREE;
  const dlon = dlat / Math.cos((lat * Math.PI) / 180);
  const ring = [[lon, lat]];
  for (let i = 0; i <= steps; i++) {
    const a = ((headingDeg - fovDeg / 2 + (fovDeg * i) / steps) * Math.PI) / 180;
    ring.push([lon + dlon * Math.sin(a), lat + dlat * Math.cos(a)]);
  }
  ring.push([lon, lat]);
  return ring;
}

// One tile's features as items deck.gl layers draw: points, paths (multi-lines split) or
// polygons (multi-polygons split), each keeping its feature's properties.
export function tileItems(features) {
  const items = [];
  for (const feature of features) {
    const { type, coordinates } = feature.geometry;
    const properties = feature.properties;
    if (type === "Point") items.push({ properties, point: coordinates });
    else if (type === "MultiPoint") coordinates.forEach((point) => items.push({ properties, point }));
    else if (type === "LineString") items.push({ properties, path: coordinates });
    else if (type === "MultiLineString") coordinates.forEach((path) => items.push({ properties, path }));
    else if (type === "Polygon") items.push({ properties, polygon: coordinates });
    else if (type === "MultiPolygon") coordinates.forEach((polygon) => items.push({ properties, polygon }));
  }
  return items;
}

// A path's vertices with z: its height, or in the underground mode its depth, interpolated from
// the first to the last vertex when the style has an end depth (drainage inverts).
export function path3d(style, item, mode) {
  const start = elevation(style, item.properties, mode);
  const end = style.depth_end_attribute
    ? elevation(style, item.properties, mode, style.depth_end_attribute) : start;
  const last = Math.max(item.path.length - 1, 1);
  return item.path.map(([x, y], i) => [x, y, start + ((end - start) * i) / last]);
}
