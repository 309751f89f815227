// Copies the browser builds GraphiQL needs (graphql-ws's client for its
// subscriptions included) out of node_modules into dist/,
// and builds the admin dashboard (admin/, with Vite) into dist/admin/; the
// Go binary embeds dist/. Nothing here is fetched at run time.
import { build } from "vite";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
mkdirSync(out, { recursive: true });

const files = {
  "react.production.min.js": "react/umd/react.production.min.js",
  "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
  "graphiql.min.js": "graphiql/graphiql.min.js",
  "graphiql.min.css": "graphiql/graphiql.min.css",
  // GraphiQL's subscriptions: the graphql-ws client, as a browser global
  // (graphqlWs) that static/graphiql-init.js hands to createFetcher.
  "graphql-ws.min.js": "graphql-ws/umd/graphql-ws.min.js",
};
const versions = {};
for (const [name, from] of Object.entries(files)) {
  copyFileSync(join(here, "node_modules", from), join(out, name));
  const pkg = from.split("/")[0];
  versions[pkg] = JSON.parse(readFileSync(join(here, "node_modules", pkg, "package.json"), "utf8")).version;
}
writeFileSync(join(out, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log("web/dist:", Object.keys(files).join(", "), JSON.stringify(versions));

// The admin dashboard, built by Vite into dist/admin/ (see admin/vite.config.mjs).
await build({ configFile: join(here, "admin", "vite.config.mjs") });
console.log("web/dist/admin: built with vite", JSON.parse(readFileSync(join(here, "node_modules", "vite", "package.json"), "utf8")).version);
