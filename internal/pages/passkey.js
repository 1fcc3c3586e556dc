// passkey.js runs the passkey (WebAuthn) ceremonies of Latch's built-in
// pages: signing in (a button, and passkey autofill in fields marked
// autocomplete="... webauthn") and adding a passkey. Plain JavaScript, no
// dependencies. The server side is GET <base>/webauthn-options/<id> and
// POST <base>/callback/<id>, the wire contract of Auth.js v5.

const b64u = {
  decode(s) {
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    let s = "";
    for (const c of new Uint8Array(buf)) s += String.fromCharCode(c);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

function requestOptions(o) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(o);
  return {
    ...o,
    challenge: b64u.decode(o.challenge),
    allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: b64u.decode(c.id) })),
  };
}

function creationOptions(o) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(o);
  return {
    ...o,
    challenge: b64u.decode(o.challenge),
    user: { ...o.user, id: b64u.decode(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: b64u.decode(c.id) })),
  };
}

function credentialJSON(c) {
  if (typeof c.toJSON === "function") return c.toJSON();
  const r = c.response;
  const response = { clientDataJSON: b64u.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64u.encode(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = b64u.encode(r.authenticatorData);
    response.signature = b64u.encode(r.signature);
    if (r.userHandle) response.userHandle = b64u.encode(r.userHandle);
  }
  return {
    id: c.id, rawId: b64u.encode(c.rawId), type: c.type,
    authenticatorAttachment: c.authenticatorAttachment || undefined,
    clientExtensionResults: c.getClientExtensionResults(), response,
  };
}

async function fetchOptions(el, action) {
  const res = await fetch(el.dataset.optionsUrl + "?action=" + action, { credentials: "same-origin", cache: "no-store" });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || "HTTP " + res.status);
  return body.options;
}

// finish POSTs the credential to the callback; it resolves to {ok, url}.
async function finish(el, action, credential, extra = {}) {
  const form = new URLSearchParams({
    action, data: JSON.stringify(credentialJSON(credential)),
    csrfToken: el.dataset.csrfToken, callbackUrl: el.dataset.callback || location.href, json: "true", ...extra,
  });
  const res = await fetch(el.dataset.callbackUrl, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Auth-Return-Redirect": "1" }, body: form,
  });
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, url: body.url };
}

function showError(msg) {
  const box = document.getElementById("passkey-error");
  if (!box) return;
  box.querySelector("p").textContent = msg;
  box.hidden = false;
}

let pending; // the AbortController of a waiting autofill request

async function signIn(el, conditional) {
  if (pending) pending.abort();
  const ctl = new AbortController();
  pending = ctl;
  try {
    const publicKey = requestOptions(await fetchOptions(el, "authenticate"));
    const credential = await navigator.credentials.get(conditional ? { publicKey, mediation: "conditional", signal: ctl.signal } : { publicKey, signal: ctl.signal });
    if (!credential) return;
    const { ok, url } = await finish(el, "authenticate", credential);
    // A refused autofill stays on the page (it must not loop through the
    // error page, which offers autofill again); a refused button press
    // goes to the error URL like other providers.
    if (!ok && conditional) showError("Signing in with your passkey failed. Try again, or sign in another way.");
    else if (url) location.assign(url);
  } catch (e) {
    if (e.name === "AbortError" || ctl.signal.aborted) return;
    if (!conditional) showError(e.name === "NotAllowedError" ? "The passkey prompt was closed or timed out. Try again." : "Signing in with a passkey failed: " + e.message);
  } finally {
    if (pending === ctl) pending = undefined;
  }
}

async function register(form) {
  try {
    const publicKey = creationOptions(await fetchOptions(form, "register"));
    const credential = await navigator.credentials.create({ publicKey });
    const name = form.querySelector("[name=name]")?.value || "";
    const { ok, url } = await finish(form, "register", credential, { name });
    if (ok) location.assign(url || location.href);
    else showError("The passkey could not be added. Try again.");
  } catch (e) {
    showError(e.name === "InvalidStateError" ? "This authenticator holds a passkey for this account already." :
      e.name === "NotAllowedError" ? "The passkey prompt was closed or timed out. Try again." : "Adding a passkey failed: " + e.message);
  }
}

const signInBox = document.getElementById("passkey-signin");
if (signInBox && window.PublicKeyCredential) {
  document.getElementById("passkey-button")?.addEventListener("click", () => signIn(signInBox, false));
  if (signInBox.dataset.auto === "true") signIn(signInBox, false);
  else if (document.querySelector("input[autocomplete~=webauthn]") && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then((ok) => ok && signIn(signInBox, true));
  }
} else if (signInBox) {
  showError("This browser does not support passkeys.");
}

const registerForm = document.getElementById("passkey-register");
registerForm?.addEventListener("submit", (ev) => {
  ev.preventDefault();
  register(registerForm);
});
// A new account made to sign in with a passkey: ask for it at once.
if (registerForm?.dataset.auto === "true" && window.PublicKeyCredential) register(registerForm);
