// The admin dashboard's build: web/admin/ → web/dist/admin/, served by the
// binary at /admin (server/admin.go). Everything the page loads comes from
// these files: no CDN, no inline script or style (the page's CSP forbids
// both).
import { defineConfig } from "vite";
import preact from "@preact/preset-vite";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/admin/",
  logLevel: "warn",
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: fileURLToPath(new URL("../dist/admin", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    // Every asset a file of its own: a data: URL would be inline content.
    assetsInlineLimit: 0,
    // The browsers the dashboard targets load modules natively; the
    // polyfill would be dead weight.
    modulePreload: { polyfill: false },
    target: "es2020",
    sourcemap: false,
    reportCompressedSize: false,
  },
});
