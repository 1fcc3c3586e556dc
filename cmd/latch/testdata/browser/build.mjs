// build.mjs bundles client.js (and the real next-auth/react it imports) for
// the browser with esbuild.
//
//   node build.mjs OUTFILE NEXTAUTH_URL
//
// Packages come from the node_modules directory named by the environment
// variable LATCH_NODE_MODULES (internal/compat/node/node_modules).
// NEXTAUTH_URL is compiled in as next-auth/react reads it from
// process.env: its path is the client's basePath (/api/auth).

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [outfile, nextAuthURL] = process.argv.slice(2);
const nodeModules = process.env.LATCH_NODE_MODULES;
if (!outfile || !nextAuthURL || !nodeModules) {
  console.error("usage: LATCH_NODE_MODULES=DIR node build.mjs OUTFILE NEXTAUTH_URL");
  process.exit(2);
}
const require = createRequire(path.join(nodeModules, "noop.js"));
const esbuild = require("esbuild");

const here = path.dirname(fileURLToPath(import.meta.url));
const undef = "undefined";
await esbuild.build({
  entryPoints: [path.join(here, "client.js")],
  outfile,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  nodePaths: [nodeModules],
  logLevel: "warning",
  define: {
    "process.env.NODE_ENV": JSON.stringify("production"),
    "process.env.NEXTAUTH_URL": JSON.stringify(nextAuthURL),
    "process.env.NEXTAUTH_URL_INTERNAL": undef,
    "process.env.VERCEL_URL": undef,
  },
});
