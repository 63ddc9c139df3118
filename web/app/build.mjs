// Builds the browser app into dist/: one bundled script (deck.gl, MapLibre, loaders.gl from
// node_modules), the page, its stylesheet and MapLibre's. Nothing is fetched from a CDN at run time.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const dist = new URL("./dist/", import.meta.url);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  outfile: "dist/app.js",
  logLevel: "warning",
});
copyFileSync("src/index.html", new URL("index.html", dist));
copyFileSync("src/app.css", new URL("app.css", dist));
copyFileSync("node_modules/maplibre-gl/dist/maplibre-gl.css", new URL("maplibre-gl.css", dist));
console.log("built web/app/dist/");
