// Latch browser client: the session state and the sign-in, sign-out and
// update calls of the NextAuth v4 REST API, for pages without React or Nuxt.
//
//   import { useSession } from "/api/auth/client.js";
//   const auth = useSession();            // base path: where this file came from
//   auth.subscribe(({ status, data }) => render(status, data));
//   await auth.signIn("credentials", { redirect: false, username, password });
//   await auth.signIn("passkey");          // the ceremony runs in this page
//   await auth.registerPasskey({ name: "Laptop" }); // needs a recent sign-in
//
// useSession(options) returns one shared object per base path (an
// EventTarget that dispatches "change"), with the API of nuxt-auth's
// useAuth() and next-auth/react's semantics. Options: basePath (path or
// absolute URL of the auth API), refetchInterval (ms; polls while signed in),
// refetchOnWindowFocus (default true). Session requests that fail (network
// error, HTTP error) keep the last known session; if the very first one
// fails, status is "unauthenticated" with data still undefined.

const stores = new Map();
const KEY = "nextauth.message";

const navigate = (url) => {
  location.href = url;
  // Assigning a URL that differs only in its fragment does not load it.
  if (url.includes("#")) location.reload();
};

// nonEmpty returns an object with at least one key, else null.
const nonEmpty = (v) => (v && typeof v == "object" && Object.keys(v).length ? v : null);

class Auth extends EventTarget {
  #base;
  #credentials;
  #data; // undefined: never fetched; null: signed out; else the session
  #loading = true;
  #at; // when the last session request was sent
  #sent = 0; // session requests sent
  #applied = 0; // the newest one whose answer is in #data
  #subs = new Set();
  #channel;
  #timer;
  #interval = 0;
  #focus = true;
  #ready;

  constructor(base) {
    super();
    this.#base = base;
    this.#credentials = new URL(base).origin == location.origin ? "same-origin" : "include";
    const refetch = () => this.#session().catch(() => {});
    document.addEventListener("visibilitychange", () => {
      if (this.#focus && this.#data && document.visibilityState == "visible") refetch();
    });
    // Other tabs: our BroadcastChannel, or next-auth's localStorage message.
    addEventListener("storage", (e) => {
      try {
        const m = e.key == KEY && JSON.parse(e.newValue);
        if (m && m.event == "session" && m.data) refetch();
      } catch {}
    });
    if (typeof BroadcastChannel == "function") {
      this.#channel = new BroadcastChannel("latch-auth");
      this.#channel.onmessage = (e) => {
        if (e.data && e.data.event == "session" && (e.data.base ?? base) == base) refetch();
      };
    }
    this.#ready = refetch();
  }

  get status() {
    return this.#loading ? "loading" : this.#data ? "authenticated" : "unauthenticated";
  }
  get data() {
    return this.#data;
  }
  get lastRefreshedAt() {
    return this.#at;
  }

  // subscribe calls cb with {status, data, lastRefreshedAt} now and on
  // every change; it returns the function that unsubscribes.
  subscribe(cb) {
    this.#subs.add(cb);
    cb(this.#state());
    return () => this.#subs.delete(cb);
  }

  #state() {
    return { status: this.status, data: this.#data, lastRefreshedAt: this.#at };
  }

  #emit() {
    const s = this.#state();
    for (const cb of this.#subs) {
      try {
        cb(s);
      } catch (e) {
        reportError(e);
      }
    }
    this.dispatchEvent(new CustomEvent("change", { detail: s }));
  }

  // use returns the shared object for options.basePath, configured by
  // options.
  static use(o) {
    const base = new URL(o.basePath ?? new URL(".", import.meta.url), location.href).href.replace(/\/+$/, "");
    let auth = stores.get(base);
    if (!auth) stores.set(base, (auth = new Auth(base)));
    return auth.#configure(o);
  }

  #configure(o) {
    if (o.refetchOnWindowFocus != null) this.#focus = !!o.refetchOnWindowFocus;
    const ms = +o.refetchInterval;
    if (ms > 0 && (!this.#interval || ms < this.#interval)) {
      this.#interval = ms;
      clearInterval(this.#timer);
      this.#timer = setInterval(() => this.#data && this.#session().catch(() => {}), ms);
    }
    return this;
  }

  #fetch(path, init) {
    return fetch(`${this.#base}/${path}`, { credentials: this.#credentials, ...init });
  }

  async #json(path) {
    const res = await this.#fetch(path);
    if (!res.ok) throw new Error(`latch: GET ${path}: HTTP ${res.status}`);
    return res.json();
  }

  async #post(path, body) {
    const res = await this.#fetch(path, { method: "POST", body: new URLSearchParams(body) });
    return [res, await res.json().catch(() => ({}))];
  }

  // #session sends GET (or, with init, POST) <base>/session and keeps the
  // answer unless a newer one has arrived. A failure keeps the last known
  // session and rejects.
  async #session(init) {
    const n = ++this.#sent;
    this.#at = new Date();
    this.#emit();
    try {
      const res = await this.#fetch("session", init);
      if (!res.ok) throw new Error(`latch: session: HTTP ${res.status}`);
      const session = nonEmpty(await res.json());
      if (n > this.#applied) {
        this.#applied = n;
        this.#data = session;
      }
      return session;
    } finally {
      this.#loading = false;
      this.#emit();
    }
  }

  #broadcast(trigger) {
    const m = { event: "session", data: { trigger }, timestamp: Math.floor(Date.now() / 1000) };
    if (this.#channel) this.#channel.postMessage({ ...m, base: this.#base });
    else
      try {
        localStorage.setItem(KEY, JSON.stringify(m));
      } catch {}
  }

  #signInPage(callbackUrl = location.href) {
    return `${this.#base}/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`;
  }

  async getSession({ required, callbackUrl, onUnauthenticated } = {}) {
    const session = await this.#session();
    if (required && !session) (onUnauthenticated || (() => navigate(this.#signInPage(callbackUrl))))();
    return session;
  }

  refresh(options) {
    return this.getSession(options);
  }

  async getCsrfToken() {
    return (await this.#json("csrf")).csrfToken;
  }

  async getProviders() {
    return nonEmpty(await this.#json("providers"));
  }

  async signIn(provider, options = {}, authorizationParams) {
    const { callbackUrl = location.href, redirect = true } = options;
    const providers = await this.getProviders();
    if (!providers) return navigate(`${this.#base}/error`);
    const p = provider != null && Object.hasOwn(providers, provider) ? providers[provider] : null;
    if (!p) return navigate(this.#signInPage(callbackUrl));
    if (p.type == "webauthn" && canPasskey()) {
      let res, body;
      try {
        [res, body] = await this.#passkey(provider, "authenticate", { callbackUrl });
      } catch (e) {
        if (redirect) throw e;
        return { error: e.name || "WebAuthnVerificationError", status: 0, ok: false, url: null };
      }
      return this.#signedIn(res, body, redirect, callbackUrl);
    }
    const credentials = p.type == "credentials";
    const query = authorizationParams ? "?" + new URLSearchParams(authorizationParams) : "";
    const [res, body] = await this.#post(`${credentials ? "callback" : "signin"}/${encodeURIComponent(provider)}${query}`, {
      ...options,
      csrfToken: await this.getCsrfToken(),
      callbackUrl,
      json: "true",
    });
    const error = body.url ? new URL(body.url, location.href).searchParams.get("error") : null;
    if (redirect || !(credentials || p.type == "email")) {
      if (credentials && res.ok && !error) this.#broadcast("signIn");
      return navigate(body.url ?? callbackUrl);
    }
    if (res.ok) {
      const session = await this.#session().catch(() => {});
      if (session) this.#broadcast("signIn");
    }
    return { error, status: res.status, ok: res.ok, url: error ? null : body.url ?? null };
  }

  // registerPasskey adds a passkey to the signed-in user (who must have
  // signed in within the last minutes) with the page's passkey provider;
  // it resolves to {ok, error, status}.
  async registerPasskey({ name = "", provider = "passkey" } = {}) {
    if (!canPasskey()) throw new Error("latch: this browser cannot create passkeys here");
    const [res, body] = await this.#passkey(provider, "register", { name, callbackUrl: location.href });
    const error = res.ok ? null : errorOf(body) || "WebAuthnVerificationError";
    return { ok: res.ok, error, status: res.status };
  }

  // #passkey runs a passkey ceremony in the page (the contract of Auth.js
  // v5: options, then the credential posted to the callback).
  async #passkey(provider, action, extra) {
    const id = encodeURIComponent(provider);
    const res = await this.#fetch(`webauthn-options/${id}?action=${action}`);
    const { options, error } = await res.json();
    if (!res.ok) throw Object.assign(new Error(`latch: passkey: ${error}`), { name: error });
    const P = PublicKeyCredential;
    const c = action == "register"
      ? await navigator.credentials.create({ publicKey: P.parseCreationOptionsFromJSON(options) })
      : await navigator.credentials.get({ publicKey: P.parseRequestOptionsFromJSON(options) });
    return this.#post(`callback/${id}`, { ...extra, action, data: JSON.stringify(c.toJSON()), csrfToken: await this.getCsrfToken(), json: "true" });
  }

  async #signedIn(res, body, redirect, callbackUrl) {
    const error = errorOf(body);
    if (res.ok && !error) this.#broadcast("signIn");
    if (redirect) return navigate(body.url ?? callbackUrl);
    if (res.ok) await this.#session().catch(() => {});
    return { error, status: res.status, ok: res.ok, url: error ? null : body.url ?? null };
  }

  async signOut({ callbackUrl = location.href, redirect = true } = {}) {
    const [, body] = await this.#post("signout", { csrfToken: await this.getCsrfToken(), callbackUrl, json: "true" });
    this.#broadcast("signout");
    if (redirect) return navigate(body.url ?? callbackUrl);
    await this.#session().catch(() => {});
    return body;
  }

  // update sends data to the server's JWT callback (trigger "update") and
  // keeps the session it answers. Without a session it does nothing.
  async update(data) {
    await this.#ready;
    if (!this.#data) return;
    const session = await this.#session({
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ csrfToken: await this.getCsrfToken(), data }),
    });
    this.#broadcast("update");
    return session;
  }
}

const canPasskey = () => typeof PublicKeyCredential == "function" && !!PublicKeyCredential.parseRequestOptionsFromJSON;
const errorOf = (body) => (body.url ? new URL(body.url, location.href).searchParams.get("error") : body.error || null);

export const useSession = (options) => Auth.use(options || {});
