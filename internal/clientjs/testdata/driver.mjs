// driver.mjs runs headless Chromium through playwright-core for the browser
// tests in clientjs_test.go. Run it with the working directory holding the
// node_modules with playwright-core (internal/compat/node):
//
//   node /path/to/driver.mjs '<json: {"chromium": "...", "args": [...], "timeoutMs": 10000}>'
//
// It then reads one JSON command per line on stdin and answers each with one
// JSON line on stdout: {"ok": true, "value": ...} or {"ok": false, "error": "..."}.
// Pages are named; each lives in a named browser context (default "main"),
// so pages of one context share cookies and storage like tabs.
//
//   {"op": "open", "page", "url", "context"?}  open a new page at url -> {url, status}
//   {"op": "goto", "page", "url"}              navigate -> {url, status}
//   {"op": "eval", "page", "js"}               evaluate the expression, awaiting a promise -> its value
//   {"op": "waitFor", "page", "js"}            wait until the expression is truthy -> its value
//   {"op": "evalNavigate", "page", "js"}       start js, wait until the page is at another URL and loaded -> {url}
//   {"op": "waitURL", "page", "url"}           wait until the page URL matches the regular expression and has loaded -> {url}
//   {"op": "url", "page"}                      -> the page URL
//   {"op": "logs"}                             -> console messages, page errors and failed requests so far
//
// End of input closes the browser.

import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";

const require = createRequire(path.join(process.cwd(), "package.json"));
const { chromium } = require("playwright-core");

const cfg = JSON.parse(process.argv[2]);
const timeout = cfg.timeoutMs ?? 10000;
const browser = await chromium.launch({ executablePath: cfg.chromium, args: cfg.args, headless: true, timeout });
const contexts = new Map();
const pages = new Map();
const logs = [];

async function context(name = "main") {
  if (!contexts.has(name)) contexts.set(name, await browser.newContext());
  return contexts.get(name);
}

function page(name) {
  const p = pages.get(name);
  if (!p) throw new Error(`no page ${JSON.stringify(name)}`);
  return p;
}

const ops = {
  async open(c) {
    if (pages.has(c.page)) throw new Error(`page ${c.page} is already open`);
    const p = await (await context(c.context)).newPage();
    p.setDefaultTimeout(timeout);
    p.on("console", (m) => logs.push(`${c.page} console.${m.type()}: ${m.text()}`));
    p.on("pageerror", (e) => logs.push(`${c.page} pageerror: ${e.message}`));
    p.on("requestfailed", (r) => logs.push(`${c.page} requestfailed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    pages.set(c.page, p);
    return ops.goto(c);
  },
  async goto(c) {
    const res = await page(c.page).goto(c.url);
    return { url: page(c.page).url(), status: res?.status() };
  },
  eval: (c) => page(c.page).evaluate(c.js),
  async waitFor(c) {
    const h = await page(c.page).waitForFunction(c.js);
    return h.jsonValue();
  },
  async evalNavigate(c) {
    const p = page(c.page);
    const from = p.url();
    p.evaluate(c.js).catch(() => {}); // the navigation destroys its context
    await p.waitForURL((u) => u.href != from, { waitUntil: "load" });
    return { url: p.url() };
  },
  async waitURL(c) {
    await page(c.page).waitForURL(new RegExp(c.url), { waitUntil: "load" });
    return { url: page(c.page).url() };
  },
  url: (c) => page(c.page).url(),
  logs: () => logs,
};

const out = (v) => process.stdout.write(JSON.stringify(v) + "\n");
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  try {
    const c = JSON.parse(line);
    const op = ops[c.op];
    if (!op) throw new Error(`unknown op ${c.op}`);
    out({ ok: true, value: (await op(c)) ?? null });
  } catch (e) {
    out({ ok: false, error: String(e?.message ?? e) });
  }
}
await browser.close();
