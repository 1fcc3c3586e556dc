// run.mjs drives headless Chromium through playwright-core for the
// real-browser tests in cmd/latch/browser_test.go. It reads a JSON plan
// (from the file named by its first argument, or from stdin), runs its steps
// in one page and prints one JSON object with the results on stdout.
//
// Plan:
//
//   {
//     "chromium": "/usr/bin/chromium",      executable to launch
//     "args": ["--headless", ...],          Chromium flags
//     "origin": "http://127.0.0.1:PORT",    the Latch server
//     "bundle": "/tmp/.../client.js",       client.js bundled by build.mjs
//     "allowOrigins": ["http://..."],       optional: other origins the page may reach (an OpenID provider)
//     "ignoreHTTPSErrors": true,            optional: accept any TLS certificate (the tests' own)
//     "staticDir": "/tmp/.../public",       optional: a static site (a generated Nuxt app) to serve
//                                           on the origin for every path outside /api/auth/, with
//                                           index.html for paths that are not files
//     "storageStateIn": "state.json",       optional: cookies to start with
//     "storageStateOut": "state.json",      optional: where to save them at the end
//     "timeoutMs": 10000,                   per step
//     "steps": [{"name": "...", "op": "...", ...}]
//   }
//
// Ops (every step has a unique name; its value lands in results[name]):
//
//   testPage                       open ORIGIN/__test/ and wait for window.nextAuth
//   goto       {url}               navigate (url relative to origin or absolute)
//                                  -> {url, status}
//   eval       {js}                evaluate the expression js in the page,
//                                  awaiting a promise -> its JSON value
//   evalNavigate {js}              start js without awaiting it, wait until
//                                  the page has navigated elsewhere -> {url}
//   click      {selector, wait}    click; with wait "url", wait until the
//                                  page has left its URL, with wait "load",
//                                  until a new document (maybe at the same
//                                  URL) has loaded -> {url}
//   fill       {selector, value}   type into an input
//   waitText   {selector, equals}  wait until the element's textContent
//                                  (trimmed) equals the string -> the text
//   waitURL    {url}               wait for the page URL (relative to origin)
//   text       {selector}          -> textContent
//   url                            -> the page URL
//   cookies                        -> the context's cookies
//   screenshot {path, fullPage}    save a PNG
//   webauthn                       add a virtual authenticator to the page
//                                  (Chrome DevTools Protocol WebAuthn.enable
//                                  and WebAuthn.addVirtualAuthenticator: ctap2,
//                                  internal, resident keys, user verification)
//                                  -> its id
//   webauthnCredentials            -> the virtual authenticator's credentials
//   record     {url}               from now on, keep the POSTs whose URL
//                                  contains url (headers, cookies included,
//                                  and body)
//   replay                         send the last recorded POST again, as it
//                                  was, from outside the page -> {status, body}
//
// The page sees Latch's origin as the only site on the network: requests to
// ORIGIN/__test/** are answered here (the test page and the bundle, so the
// client is same-origin with /api/auth without changing the server), those
// to any other origin (but allowOrigins) are aborted and listed in "blocked".
//
// Output: {"ok", "results": {name: value}, "timings": {name: ms},
// "error": {"step", "message"}?, "console": [...], "pageErrors": [...],
// "blocked": [...], "finalURL"}. The exit code is 0 when every step passed.

import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const nodeModules = process.env.LATCH_NODE_MODULES;
if (!nodeModules) {
  console.error("run.mjs: set LATCH_NODE_MODULES to the node_modules holding playwright-core");
  process.exit(2);
}
const require = createRequire(path.join(nodeModules, "noop.js"));
const { chromium, request: apiRequest } = require("playwright-core");

const plan = JSON.parse(process.argv[2] ? readFileSync(process.argv[2], "utf8") : readFileSync(0, "utf8"));
const origin = plan.origin.replace(/\/$/, "");
const timeout = plan.timeoutMs ?? 10000;
const abs = (u) => new URL(u, origin + "/").href;

const testPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>next-auth/react in the browser</title></head>
<body><h1>next-auth/react test page</h1>
<script src="/__test/client.js"></script></body></html>`;

const out = { ok: false, results: {}, timings: {}, console: [], pageErrors: [], blocked: [] };
let browser;
try {
  browser = await chromium.launch({
    executablePath: plan.chromium,
    args: plan.args ?? [],
    headless: true,
    timeout,
  });
  const context = await browser.newContext({
    storageState: plan.storageStateIn || undefined,
    ignoreHTTPSErrors: !!plan.ignoreHTTPSErrors,
    viewport: { width: 1000, height: 800 },
  });
  context.setDefaultTimeout(timeout);
  context.setDefaultNavigationTimeout(timeout);

  const allowed = new Set([origin, ...(plan.allowOrigins ?? [])]);
  await context.route((u) => !allowed.has(u.origin), (route) => {
    out.blocked.push(route.request().url());
    return route.abort("blockedbyclient");
  });
  if (plan.staticDir) {
    const types = { ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".html": "text/html", ".svg": "image/svg+xml" };
    await context.route((u) => u.origin === origin && !u.pathname.startsWith("/api/auth/"), (route) => {
      let file = path.join(plan.staticDir, path.normalize(new URL(route.request().url()).pathname));
      if (!file.startsWith(plan.staticDir) || !existsSync(file) || statSync(file).isDirectory()) {
        file = path.join(plan.staticDir, "index.html");
      }
      const type = types[path.extname(file)] ?? "application/octet-stream";
      return route.fulfill({ status: 200, contentType: type + "; charset=utf-8", body: readFileSync(file) });
    });
  }
  const bundle = plan.bundle ? readFileSync(plan.bundle) : "";
  await context.route(origin + "/__test/**", (route) => {
    const p = new URL(route.request().url()).pathname;
    if (p === "/__test/client.js") {
      return route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: bundle });
    }
    return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: testPage });
  });

  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") out.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => out.pageErrors.push(String(e)));

  let cdp, authenticatorId, recordURL;
  const recorded = [];
  page.on("request", async (req) => {
    if (recordURL && req.method() === "POST" && req.url().includes(recordURL)) {
      recorded.push({ url: req.url(), headers: await req.allHeaders(), body: req.postData() });
    }
  });

  // leave waits until the page's URL is no longer from and a document has loaded.
  const leave = (from) => page.waitForURL((u) => u.href !== from, { waitUntil: "load" });

  const ops = {
    async testPage() {
      await page.goto(origin + "/__test/");
      await page.waitForFunction(() => window.nextAuth !== undefined);
      return page.url();
    },
    async goto(s) {
      const res = await page.goto(abs(s.url));
      return { url: page.url(), status: res ? res.status() : null };
    },
    async eval(s) {
      return await page.evaluate(s.js);
    },
    async evalNavigate(s) {
      const from = page.url();
      const left = leave(from);
      page.evaluate(s.js).catch(() => {}); // the navigation destroys its context
      await left;
      return { url: page.url() };
    },
    async click(s) {
      let waiting;
      if (s.wait === "url") waiting = leave(page.url());
      else if (s.wait === "load") waiting = page.waitForEvent("load");
      else if (s.wait) throw new Error(`unknown wait ${JSON.stringify(s.wait)}`);
      await Promise.all([waiting, page.click(s.selector)]);
      return { url: page.url() };
    },
    async fill(s) {
      await page.fill(s.selector, s.value);
      return null;
    },
    async waitText(s) {
      try {
        await page.waitForFunction(
          ([sel, want]) => document.querySelector(sel)?.textContent.trim() === want,
          [s.selector, s.equals],
        );
      } catch (e) {
        const got = await page.textContent(s.selector, { timeout: 1000 }).catch(() => null);
        throw new Error(`${s.selector} never showed ${JSON.stringify(s.equals)}; it shows ${JSON.stringify(got)} on ${page.url()}: ${e.message.split("\n")[0]}`);
      }
      return (await page.textContent(s.selector)).trim();
    },
    async waitURL(s) {
      await page.waitForURL(abs(s.url));
      return page.url();
    },
    async text(s) {
      return await page.textContent(s.selector);
    },
    async url() {
      return page.url();
    },
    async cookies() {
      return await context.cookies();
    },
    async webauthn() {
      cdp = await context.newCDPSession(page);
      await cdp.send("WebAuthn.enable");
      ({ authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: {
          protocol: "ctap2", transport: "internal", hasResidentKey: true,
          hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
        },
      }));
      return authenticatorId;
    },
    async webauthnCredentials() {
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      return credentials.map((c) => ({ credentialId: c.credentialId, isResidentCredential: c.isResidentCredential, rpId: c.rpId, signCount: c.signCount }));
    },
    async record(s) {
      recordURL = s.url;
      return null;
    },
    async replay() {
      const last = recorded.at(-1);
      if (!last) throw new Error(`no POST to ${recordURL} was recorded`);
      const headers = {};
      for (const k of ["cookie", "content-type", "origin", "referer"]) if (last.headers[k]) headers[k] = last.headers[k];
      const rc = await apiRequest.newContext();
      try {
        const res = await rc.post(last.url, { headers, data: last.body, maxRedirects: 0 });
        return { status: res.status(), body: await res.text() };
      } finally {
        await rc.dispose();
      }
    },
    async screenshot(s) {
      await page.screenshot({ path: s.path, fullPage: !!s.fullPage });
      return s.path;
    },
  };

  for (const step of plan.steps) {
    const op = ops[step.op];
    const t0 = Date.now();
    try {
      if (!op) throw new Error(`unknown op ${JSON.stringify(step.op)}`);
      out.results[step.name] = (await op(step)) ?? null;
    } catch (e) {
      out.error = { step: step.name, message: String(e && e.message ? e.message : e) };
      break;
    } finally {
      out.timings[step.name] = Date.now() - t0;
    }
  }
  out.finalURL = page.url();
  if (plan.storageStateOut) await context.storageState({ path: plan.storageStateOut });
  await context.close();
  out.ok = !out.error;
} catch (e) {
  out.error ??= { step: "", message: String(e && e.stack ? e.stack : e) };
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exitCode = out.ok ? 0 : 1;
