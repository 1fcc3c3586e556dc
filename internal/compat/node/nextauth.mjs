// nextauth.mjs answers one JSON request on stdin with one JSON response on
// stdout, computed by the real next-auth code installed in ./node_modules.
// It is the reference the Go compatibility tests compare Latch with.
//
// Requests (every op may carry extra fields; unknown ops are an error):
//
//   {"op":"version"}
//     -> {"version":"4.24.15"}
//   {"op":"encode","secret":S,"token":{...},"maxAge":N,"salt":""}
//     -> {"jwt":"..."}                       (next-auth/jwt encode)
//   {"op":"decode","secret":S,"jwt":"...","salt":""}
//     -> {"payload":{...}|null,"error":"..."} (next-auth/jwt decode)
//   {"op":"jwtDecrypt","secret":S,"salt":"","jwt":"...","now":N,"keyHex":""}
//     -> {"payload":{...}|null,"error":"..."} (next-auth/jwt decode at the
//        clock N, seconds since the epoch: jose's jwtDecrypt, the copy
//        next-auth loads, with next-auth's key derivation and
//        clockTolerance 15; keyHex, when set, is the key instead, e.g. an
//        Auth.js v5 key)
//   {"op":"getToken","secret":S,"cookies":{name:value},"headers":{},"secureCookie":false}
//     -> {"payload":{...}|null,"error":"..."} (next-auth/jwt getToken: chunk
//        reassembly from the cookies, then decode)
//   {"op":"chunk","name":"next-auth.session-token","value":"...","cookies":{}}
//     -> {"cookies":[{"name","value","options"}]} (SessionStore.chunk)
//   {"op":"csrf","secret":S,"cookieValue":"..."|null,"bodyToken":"...","isPost":true}
//     -> {"csrfToken","cookie"?,"csrfTokenVerified"?} (createCSRFToken)
//   {"op":"redirect","urls":[...],"baseUrl":"..."}
//     -> {"results":[{"url","result","error"}]} (default redirect callback)
//   {"op":"handler","url":NEXTAUTH_URL,"secret":S,"req":{method,action,providerId,cookies,query,body,headers},
//    "credentialsUsers":{username:{id,name,email,image}}}
//     -> the internal response of next-auth's AuthHandler
//        ({status?,headers?,body?,redirect?,cookies?}) plus "setCookie": the
//        Set-Cookie header values next-auth's Next.js API route would send,
//        and "http": {status, location, body}, its HTTP answer. With
//        credentialsUsers, a credentials provider (id "credentials")
//        accepts username U with password "pw-U".
//   {"op":"batch","requests":[...]}
//     -> {"responses":[...]}, one response per request, in order.
//
// Cookie values in requests and responses are decoded (as next-auth sees
// them after parsing the Cookie header), not URL-encoded.

import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";
import { createRequire } from "node:module";

// next-auth logs through console; keep stdout for the answer alone.
console.log = console.info = console.debug = console.warn = console.error;

// The package's exports map only exposes the public entry points; the
// internals (CSRF, redirect callback, cookie store, core handler) are
// imported from their files, as next-auth itself loads them.
const jwtEntry = fileURLToPath(import.meta.resolve("next-auth/jwt"));
const pkgDir = path.dirname(path.dirname(jwtEntry));
const internal = (rel) => import(pathToFileURL(path.join(pkgDir, rel)).href);

const { encode, decode, getToken } = await import("next-auth/jwt");
// jose and @panva/hkdf as next-auth itself requires them.
const requireFromNextAuth = createRequire(jwtEntry);
const { jwtDecrypt } = requireFromNextAuth("jose");
const hkdf = requireFromNextAuth("@panva/hkdf").default;
const { createCSRFToken } = await internal("core/lib/csrf-token.js");
const { defaultCallbacks } = await internal("core/lib/default-callbacks.js");
const { SessionStore } = await internal("core/lib/cookie.js");
const { AuthHandler } = await internal("core/index.js");
const { setCookie } = await internal("next/utils.js");
const credentialsModule = await import("next-auth/providers/credentials");
const Credentials = credentialsModule.default.default ?? credentialsModule.default;
const version = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;

const quietLogger = { error() {}, warn() {}, debug() {} };

function errorText(e) {
  return e && (e.code || e.name) ? `${e.code || e.name}: ${e.message}` : String(e);
}

async function handle(req) {
  switch (req.op) {
    case "version":
      return { version };

    case "encode":
      return {
        jwt: await encode({ secret: req.secret, token: req.token ?? {}, maxAge: req.maxAge, salt: req.salt ?? "" }),
      };

    case "decode":
      try {
        return { payload: await decode({ secret: req.secret, token: req.jwt, salt: req.salt ?? "" }), error: "" };
      } catch (e) {
        return { payload: null, error: errorText(e) };
      }

    case "jwtDecrypt":
      try {
        // next-auth's decode (jwt/index.js), with a fixed clock.
        const salt = req.salt ?? "";
        const key = req.keyHex
          ? Buffer.from(req.keyHex, "hex")
          : await hkdf("sha256", req.secret, salt, `NextAuth.js Generated Encryption Key${salt ? ` (${salt})` : ""}`, 32);
        const { payload } = await jwtDecrypt(req.jwt, key, { clockTolerance: 15, currentDate: new Date(req.now * 1000) });
        return { payload, error: "" };
      } catch (e) {
        return { payload: null, error: errorText(e) };
      }

    case "getToken":
      try {
        const payload = await getToken({
          req: { cookies: req.cookies ?? {}, headers: req.headers ?? {} },
          secret: req.secret,
          secureCookie: req.secureCookie ?? false,
          logger: quietLogger,
        });
        return { payload, error: "" };
      } catch (e) {
        return { payload: null, error: errorText(e) };
      }

    case "chunk": {
      const store = new SessionStore(
        { name: req.name, options: { httpOnly: true, sameSite: "lax", path: "/", secure: false } },
        { cookies: req.cookies ?? {}, headers: {} },
        quietLogger,
      );
      return { cookies: store.chunk(req.value, {}) };
    }

    case "csrf":
      return createCSRFToken({
        options: { secret: req.secret },
        cookieValue: req.cookieValue ?? undefined,
        isPost: req.isPost ?? false,
        bodyValue: req.bodyToken ?? undefined,
      });

    case "redirect": {
      const results = [];
      for (const url of req.urls) {
        try {
          const result = await defaultCallbacks.redirect({ url, baseUrl: req.baseUrl });
          results.push({ url, result, error: null });
        } catch (e) {
          results.push({ url, result: null, error: errorText(e) });
        }
      }
      return { results };
    }

    case "handler": {
      // NEXTAUTH_URL is read per request by next-auth's origin detection.
      process.env.NEXTAUTH_URL = req.url;
      const r = req.req ?? {};
      const options = { secret: req.secret, providers: [], logger: quietLogger };
      if (req.credentialsUsers) {
        // A credentials provider that accepts username U with password "pw-U".
        const users = req.credentialsUsers;
        options.providers.push(
          Credentials({
            authorize(creds) {
              const u = users[creds?.username];
              return u && creds.password === `pw-${creds.username}` ? u : null;
            },
          }),
        );
      }
      const res = await AuthHandler({
        req: {
          method: r.method ?? "GET",
          action: r.action,
          providerId: r.providerId,
          error: r.error ?? r.providerId,
          cookies: r.cookies ?? {},
          query: r.query ?? {},
          body: r.body ?? {},
          headers: r.headers ?? {},
        },
        options,
      });
      // The Set-Cookie headers as next-auth's Next.js adapter writes them.
      let headers = [];
      const sink = { getHeader: () => headers, setHeader: (_, v) => (headers = v) };
      for (const c of res.cookies ?? []) setCookie(sink, c);
      // The HTTP answer of next-auth's API route (next/index.js): a redirect
      // is a 302, or {url} with the handler's status when json=true.
      const http = { status: res.status ?? 200, location: "", body: res.body ?? null };
      if (res.redirect) {
        if (r.body?.json !== "true") {
          http.status = 302;
          http.location = res.redirect;
          http.body = null;
        } else {
          http.body = { url: res.redirect };
        }
      }
      return { ...res, setCookie: headers, http };
    }

    case "batch": {
      const responses = [];
      for (const sub of req.requests) responses.push(await handle(sub));
      return { responses };
    }

    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const response = await handle(request);
process.stdout.write(JSON.stringify(response) + "\n");
