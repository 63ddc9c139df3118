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
