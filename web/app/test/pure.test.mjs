// Unit tests of the browser app's pure functions (node's own test runner, no packages):
// geometry (the 3D rules shared with pydeck, street labels, ward centres), colours, live state.
import assert from "node:assert/strict";
import { test } from "node:test";
import { featureColour, lampColour } from "../src/colours.js";
import { DICTIONARIES } from "../src/i18n.js";
import {
  disc, elevation, path3d, ringCentre, streetLabels, tileItems, viewCone,
} from "../src/geometry.js";
import { applyObservation } from "../src/live.js";

const METRES_PER_DEGREE = 111320;
const LAT = 21.27;
const metres = ([lon1, lat1], [lon2, lat2]) => Math.hypot(
  (lon2 - lon1) * Math.cos((LAT * Math.PI) / 180) * METRES_PER_DEGREE, (lat2 - lat1) * METRES_PER_DEGREE);

test("a disc is a closed ring at its radius", () => {
  const ring = disc([106.2, LAT], 3);
  assert.equal(ring.length, 13);
  assert.deepEqual(ring[0], ring[12]);
  for (const point of ring) assert.ok(Math.abs(metres([106.2, LAT], point) - 3) < 0.01);
});

test("a view cone opens from the camera along its heading", () => {
  const cone = viewCone([106.2, LAT], 90, 60, 30);
  assert.deepEqual(cone[0], [106.2, LAT]);
  const middle = cone[1 + 4];  // the middle ray of 9
  assert.ok(middle[0] > 106.2 && Math.abs(middle[1] - LAT) < 1e-9, "heading 90 is east");
  assert.ok(Math.abs(metres(cone[0], middle) - 30) < 0.01);
});

test("depths win underground, heights above it", () => {
  const style = { height_attribute: "height_m", default_height_m: 0, depth_attribute: "depth_m" };
  const above = { underground: false, exaggeration: 5 };
  const below = { underground: true, exaggeration: 5 };
  assert.equal(elevation(style, { height_m: 8 }, above), 8);
  assert.equal(elevation(style, { depth_m: 1.2 }, above), 0);
  assert.equal(elevation(style, { depth_m: 1.2 }, below), -6);
  const pipe = { ...style, depth_end_attribute: "depth_end_m" };
  const path = path3d(pipe, { properties: { depth_m: 1, depth_end_m: 3 }, path: [[0, 0], [1, 0], [2, 0]] }, below);
  assert.deepEqual(path.map((p) => p[2]), [-5, -10, -15]);
});

test("multi-part features become one item per part", () => {
  const items = tileItems([{ geometry: { type: "MultiLineString", coordinates: [[[0, 0], [1, 1]], [[2, 2], [3, 3]]] },
    properties: { id: "R-1" } }]);
  assert.equal(items.length, 2);
  assert.deepEqual(items[1].path, [[2, 2], [3, 3]]);
});

test("one street label per name, on the longest piece, never upside down", () => {
  const d = 0.001;
  const items = [
    { properties: { name: "Đường Lê Lợi" }, path: [[106.2, LAT], [106.2 + d, LAT]] },
    { properties: { name: "Đường Lê Lợi" }, path: [[106.2 + 3 * d, LAT], [106.2, LAT + 3 * d]] },
    { properties: { name: null }, path: [[106.2, LAT], [106.21, LAT]] },
    { properties: { name: "Đường Hùng Vương" }, path: [[106.2, LAT]] },
  ];
  const labels = streetLabels(items);
  assert.deepEqual(labels.map((l) => l.name), ["Đường Lê Lợi"]);
  const [label] = labels;
  assert.ok(label.length > 400, "the longer, diagonal piece");
  assert.ok(label.angle >= -90 && label.angle <= 90);
  assert.ok(label.angle < -40 && label.angle > -50, `turned along the piece, got ${label.angle}`);
  assert.ok(metres(label.position, [106.2 + 1.5 * d, LAT + 1.5 * d]) < 0.01, "its middle");
});

test("a ward's name stands at the centre of its largest ring", () => {
  const square = (x, y, side) => [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]];
  assert.deepEqual(ringCentre([square(0, 0, 2)]), [1, 1]);
  assert.deepEqual(ringCentre([square(10, 10, 1), square(0, 0, 4)]), [2, 2]);
  assert.equal(ringCentre([]), undefined);
});

test("live state colours lamps and broken assets; incidents and outage roles come first", () => {
  const base = [250, 210, 80, 255];
  assert.deepEqual(lampColour(base, { state: "on" }), base);
  assert.deepEqual(lampColour(base, { state: "off" }), [70, 70, 80, 255]);
  assert.deepEqual(lampColour(base, { state: "on", level: 0.5 }), [169, 142, 54, 255]);
  const style = { color: base, color_by: null, palette: {} };
  const view = { outage: null, incidentAssets: new Set(["LUM-2"]), live: new Map([["CAM-1", { state: "offline" }]]) };
  assert.deepEqual(featureColour("luminaires", style, { id: "LUM-2" }, view), [255, 40, 40, 255]);
  assert.deepEqual(featureColour("cameras", style, { id: "CAM-1" }, view), [120, 40, 40, 255]);
  assert.deepEqual(featureColour("luminaires", style, { id: "LUM-3" }, view), base);
});

test("observations fold into the live state; summaries without an asset are skipped", () => {
  const live = new Map();
  assert.equal(applyObservation(live, { asset_id: "LUM-1", property: "state", value: "on" }), true);
  assert.equal(applyObservation(live, { asset_id: "LUM-1", property: "illuminance_level", value: "0.4" }), true);
  assert.equal(applyObservation(live, { kind: "readings", count: 200 }), false);
  assert.deepEqual(live.get("LUM-1"), { values: { state: "on", illuminance_level: "0.4" }, state: "on", level: 0.4 });
});

test("English and Vietnamese have the same words", () => {
  const keys = (d) => Object.keys(d).sort();
  assert.deepEqual(keys(DICTIONARIES.vi), keys(DICTIONARIES.en));
  assert.deepEqual(keys(DICTIONARIES.vi.kpi), keys(DICTIONARIES.en.kpi));
});
