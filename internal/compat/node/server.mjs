// server.mjs runs the real next-auth 4.24.15 handler as an HTTP server on
// 127.0.0.1, the way next-auth's Next.js API route (next/index.js) drives
// it: the catch-all route /api/auth/[...nextauth], cookies parsed, form and
// JSON bodies parsed, redirects answered as 302 or {url} with json=true.
//
//   node server.mjs '{"secret":S,"users":{"ann":{"id":"1","name":"Ann","email":"ann@example.com","password":"right"}}}'
//
// With "oauth":{"id":ID,"url":U} it also has an OAuth provider whose
// authorization, token and userinfo endpoints are U/authorize, U/token and
// U/userinfo (state check only).
//
// Prints "listening http://127.0.0.1:PORT" on stdout once ready.

import http from "node:http";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

console.log = console.info = console.debug = console.warn = console.error;
const say = (s) => process.stdout.write(s + "\n");

const jwtEntry = fileURLToPath(import.meta.resolve("next-auth/jwt"));
const pkgDir = path.dirname(path.dirname(jwtEntry));
const internal = (rel) => import(pathToFileURL(path.join(pkgDir, rel)).href);
const { AuthHandler } = await internal("core/index.js");
const { setCookie } = await internal("next/utils.js");
const credentialsModule = await import("next-auth/providers/credentials");
const Credentials = credentialsModule.default.default ?? credentialsModule.default;

const config = JSON.parse(process.argv[2] ?? "{}");
const users = config.users ?? {};

function parseCookies(header) {
  const out = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    let v = part.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (!(k in out)) {
      try { out[k] = v.includes("%") ? decodeURIComponent(v) : v; } catch { out[k] = v; }
    }
  }
  return out;
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks).toString("utf8");
  if (!raw) return {};
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/json")) return JSON.parse(raw);
  return Object.fromEntries(new URLSearchParams(raw));
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://" + req.headers.host);
    const segments = url.pathname.replace(/^\/api\/auth\/?/, "").split("/").filter(Boolean);
    const query = Object.fromEntries(url.searchParams);
    const body = req.method === "POST" ? await readBody(req) : {};
    const out = await AuthHandler({
      req: {
        method: req.method,
        action: segments[0],
        providerId: segments[1],
        error: query.error ?? segments[1],
        cookies: parseCookies(req.headers.cookie),
        query,
        body,
        headers: req.headers,
      },
      options: {
        secret: config.secret,
        logger: { error() {}, warn() {}, debug() {} },
        providers: [
          ...(config.oauth ? [{
            id: config.oauth.id,
            name: config.oauth.id,
            type: "oauth",
            clientId: "client",
            clientSecret: "secret",
            checks: ["state"],
            authorization: { url: config.oauth.url + "/authorize", params: { scope: "openid" } },
            token: { url: config.oauth.url + "/token" },
            userinfo: { url: config.oauth.url + "/userinfo" },
            profile: (p) => ({ id: p.sub, name: p.name, email: p.email }),
          }] : []),
          Credentials({
            credentials: { username: { label: "Username" }, password: { label: "Password", type: "password" } },
            authorize(creds) {
              const u = users[creds?.username];
              if (!u || u.password !== creds.password) return null;
              return { id: u.id, name: u.name, email: u.email };
            },
          }),
        ],
      },
    });
    for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
    for (const c of out.cookies ?? []) setCookie(res, c);
    if (out.redirect) {
      if (body?.json !== "true") {
        res.statusCode = 302;
        res.setHeader("Location", out.redirect);
        return res.end();
      }
      res.statusCode = out.status ?? 200;
      res.setHeader("Content-Type", "application/json");
      return res.end(JSON.stringify({ url: out.redirect }));
    }
    res.statusCode = out.status ?? 200;
    const isJSON = typeof out.body === "object" && out.body !== null;
    if (isJSON && !res.getHeader("Content-Type")) res.setHeader("Content-Type", "application/json");
    res.end(isJSON ? JSON.stringify(out.body) : String(out.body ?? ""));
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e?.stack ?? e));
  }
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.env.NEXTAUTH_URL = `http://127.0.0.1:${port}/api/auth`;
  say(`listening http://127.0.0.1:${port}`);
});
