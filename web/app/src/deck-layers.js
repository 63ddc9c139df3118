// deck.gl layers of the twin: each layer's vector tiles (parsed on the main thread: no worker, so
// nothing is loaded from a CDN) drawn with the deck.gl layer its style names.
import { TileLayer } from "@deck.gl/geo-layers";
import {
  ColumnLayer, GeoJsonLayer, PathLayer, PolygonLayer, ScatterplotLayer, SolidPolygonLayer,
} from "@deck.gl/layers";
import { MVTLoader } from "@loaders.gl/mvt";
import { featureColour } from "./colours.js";
import { disc, elevation, height, path3d, radius, tileItems, viewCone } from "./geometry.js";

export const TILE_MAX_ZOOM = 16;

export function tileUrl(name) {
  return `${location.origin}/collections/${name}/tiles/WebMercatorQuad/{z}/{x}/{y}`;
}

export async function loadTile({ index: { x, y, z }, url, signal }) {
  const response = await fetch(url, { signal });
  if (response.status === 204 || response.status === 404) return [];
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const buffer = await response.arrayBuffer();
  if (buffer.byteLength === 0) return [];
  const features = MVTLoader.parseSync(buffer, {
    mvt: { shape: "geojson", coordinates: "wgs84", tileIndex: { x, y, z } },
    worker: false,
  });
  return tileItems(features);
}

// The deck.gl layers that draw one tile's items of one layer in its style.
function styledLayers(layer, items, id, view) {
  const { style, name } = layer;
  const mode = view.mode;
  const colour = (item) => featureColour(name, style, item.properties, view);
  const common = { id, data: items, pickable: true, updateTriggers: {
    getFillColor: view.colourVersion, getColor: view.colourVersion, getLineColor: view.colourVersion,
    getPosition: view.modeVersion, getPath: view.modeVersion, getElevation: view.modeVersion,
  } };
  // The underground mode fades what stands on the ground (without hiding what is behind it) and
  // draws pipes and cables wider.
  const surface = mode.underground && !style.underground;
  const alpha = surface ? 0.15 : 1;
  const fade = surface ? { parameters: { depthWriteEnabled: false } } : {};
  const minPixels = mode.underground && style.underground ? Math.max(3, style.min_pixels) : style.min_pixels;
  const layers = [];
  if (style.view_cone) layers.push(coneLayer(style, items.filter((i) => i.point), `${id}-cones`));
  if (style.kind === "PathLayer") {
    layers.push(new PathLayer({
      ...common, data: items.filter((i) => i.path), getPath: (i) => path3d(style, i, mode),
      getColor: colour, getWidth: (i) => Number(i.properties[style.width_attribute]) || style.width_m,
      widthUnits: "meters", widthMinPixels: minPixels, opacity: alpha, ...fade,
    }));
  } else if (style.kind === "PolygonLayer") {
    layers.push(new PolygonLayer({
      ...common, data: items.filter((i) => i.polygon), getPolygon: (i) => i.polygon,
      getFillColor: colour, getLineColor: style.line_color || [0, 0, 0, 0],
      stroked: Boolean(style.line_color), filled: style.color[3] > 0, lineWidthMinPixels: 1,
      extruded: Boolean(style.height_attribute), getElevation: (i) => height(style, i.properties),
      opacity: alpha, pickable: style.color[3] > 0, ...fade,
    }));
  } else if (style.kind === "ColumnLayer" && style.radius_attribute) {
    // deck.gl's ColumnLayer has one radius per layer: discs of their own size are polygons
    const points = items.filter((i) => i.point);
    layers.push(new PolygonLayer({
      ...common, data: points, getPolygon: (i) => disc(i.point, radius(style, i.properties)),
      getFillColor: colour, extruded: true, stroked: false,
      getElevation: (i) => height(style, i.properties), opacity: alpha, ...fade,
    }));
  } else if (style.kind === "ColumnLayer") {
    layers.push(new ColumnLayer({
      ...common, data: items.filter((i) => i.point), getPosition: (i) => i.point,
      radius: style.width_m, diskResolution: 12, extruded: true, getFillColor: colour,
      getElevation: (i) => height(style, i.properties), opacity: alpha, ...fade,
    }));
  } else {
    layers.push(new ScatterplotLayer({
      ...common, data: items.filter((i) => i.point),
      getPosition: (i) => [i.point[0], i.point[1], elevation(style, i.properties, mode)],
      getFillColor: colour, getRadius: style.width_m, radiusUnits: "meters",
      radiusMinPixels: minPixels, billboard: true, opacity: alpha, ...fade,
    }));
  }
  return layers;
}

function coneLayer(style, points, id) {
  const [r, g, b] = style.color;
  return new PolygonLayer({
    id, data: points, pickable: false, stroked: true, lineWidthMinPixels: 1,
    getPolygon: (i) => viewCone(i.point, Number(i.properties.heading_deg) || 0,
      Number(i.properties.fov_deg) || 60, Number(i.properties.range_m) || 30),
    getFillColor: [r, g, b, 50], getLineColor: [r, g, b, 150],
  });
}

export function twinTileLayer(layer, view) {
  return new TileLayer({
    id: `tiles-${layer.name}`,
    data: tileUrl(layer.name),
    minZoom: layer.style.min_zoom,
    maxZoom: TILE_MAX_ZOOM,
    extent: view.extent,
    getTileData: loadTile,
    onTileError: (error) => view.onTileError(layer, error),
    renderSubLayers: (props) => styledLayers(layer, props.data || [], props.id, view),
    updateTriggers: { renderSubLayers: [view.colourVersion, view.modeVersion] },
  });
}

// The translucent ground the underground mode draws over pipes and cables.
export function groundLayer(extent) {
  const [w, s, e, n] = extent;
  return new SolidPolygonLayer({
    id: "ground", data: [[[w, s], [e, s], [e, n], [w, n]]], getPolygon: (p) => p,
    getFillColor: [235, 232, 222, 120], pickable: false,
  });
}

// A GeoJSON result (outage, lighting, incidents) drawn over the city.
export function resultLayer(id, geojson, props) {
  return new GeoJsonLayer({
    id, data: geojson, pickable: true, stroked: true, filled: true, pointType: "circle",
    lineWidthUnits: "meters", lineWidthMinPixels: 3, pointRadiusUnits: "meters",
    pointRadiusMinPixels: 5, getPointRadius: 4, getLineWidth: 3, ...props,
  });
}
