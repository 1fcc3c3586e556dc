package latch_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/store/sqlite"
)

// softAuthenticator is a WebAuthn authenticator in software: a P-256 key
// per credential, "none" attestation, and a signature counter.
type softAuthenticator struct {
	t       testing.TB
	origin  string // what it writes as the clientData origin
	rpID    string
	key     *ecdsa.PrivateKey
	credID  []byte
	handle  []byte
	counter uint32
	flags   byte // extra flags: BE (0x08), BS (0x10)
}

func newSoftAuthenticator(t testing.TB) *softAuthenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &softAuthenticator{t: t, origin: httpOrigin, rpID: "localhost", key: key, credID: id}
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (a *softAuthenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

func (a *softAuthenticator) authData(attested bool) []byte {
	rp := sha256.Sum256([]byte(a.rpID))
	d := append([]byte{}, rp[:]...)
	flags := byte(0x01|0x04) | a.flags // UP, UV
	if attested {
		flags |= 0x40
	}
	d = append(d, flags)
	d = binary.BigEndian.AppendUint32(d, a.counter)
	if attested {
		d = append(d, make([]byte, 16)...) // AAGUID
		d = binary.BigEndian.AppendUint16(d, uint16(len(a.credID)))
		d = append(d, a.credID...)
		x, y := make([]byte, 32), make([]byte, 32)
		a.key.PublicKey.X.FillBytes(x)
		a.key.PublicKey.Y.FillBytes(y)
		cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
		if err != nil {
			a.t.Fatal(err)
		}
		d = append(d, cose...)
	}
	return d
}

// create answers creation options as navigator.credentials.create would,
// with the credential's JSON.
func (a *softAuthenticator) create(options map[string]any) string {
	a.t.Helper()
	challenge, _ := options["challenge"].(string)
	user, _ := options["user"].(map[string]any)
	handle, err := base64.RawURLEncoding.DecodeString(user["id"].(string))
	if err != nil {
		a.t.Fatalf("user.id %v: %v", user["id"], err)
	}
	a.handle = handle
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(true)})
	if err != nil {
		a.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64u(a.credID), "rawId": b64u(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64u(a.clientData("webauthn.create", challenge)),
			"attestationObject": b64u(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return string(b)
}

// get answers request options as navigator.credentials.get would: the
// counter goes up by one first.
func (a *softAuthenticator) get(options map[string]any) string {
	a.t.Helper()
	a.counter++
	return a.assert(options["challenge"].(string))
}

func (a *softAuthenticator) assert(challenge string) string {
	a.t.Helper()
	cd := a.clientData("webauthn.get", challenge)
	ad := a.authData(false)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64u(a.credID), "rawId": b64u(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64u(cd),
			"authenticatorData": b64u(ad),
			"signature":         b64u(sig),
			"userHandle":        b64u(a.handle),
		},
		"clientExtensionResults": map[string]any{},
	})
	return string(b)
}

// logBuffer collects log lines for checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type passkeyHarness struct {
	*harness
	store *sqlite.Store
	logs  *logBuffer
}

// newPasskeyHarness is a harness with credentials and passkey providers
// and a SQLite store holding jsmith (id "1").
func newPasskeyHarness(t testing.TB, opts ...func(*latch.Config)) *passkeyHarness {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u := testUser()
	if _, err := st.CreateUser(context.Background(), latch.StoredUser{User: *u}); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	h := newHarness(t, append([]func(*latch.Config){func(c *latch.Config) {
		c.Store = st
		c.Providers = append(c.Providers, &latch.Passkey{})
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}}, opts...)...)
	return &passkeyHarness{harness: h, store: st, logs: logs}
}

type optionsAnswer struct {
	Action  string         `json:"action"`
	Options map[string]any `json:"options"`
}

func (b *browser) passkeyOptions(action string) (*response, optionsAnswer) {
	b.h.t.Helper()
	res := b.get("/webauthn-options/passkey?action=" + url.QueryEscape(action))
	var out optionsAnswer
	if res.Code == http.StatusOK {
		if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
			b.h.t.Fatalf("options: %v in %q", err, res.Body)
		}
	}
	return res, out
}

func (b *browser) passkeyCallback(action, data string, extra ...string) *response {
	b.h.t.Helper()
	v := url.Values{"action": {action}, "data": {data}, "csrfToken": {b.csrf()}, "json": {"true"}, "callbackUrl": {"/after"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return b.postForm("/callback/passkey", v)
}

// register signs jsmith in with the password and adds the authenticator's
// passkey.
func (h *passkeyHarness) register(a *softAuthenticator) {
	h.t.Helper()
	b := h.browser()
	b.signIn()
	res, opts := b.passkeyOptions("register")
	wantStatus(h.t, res, http.StatusOK)
	res = b.passkeyCallback("register", a.create(opts.Options), "name", "Test key")
	wantJSONURL(h.t, res, http.StatusOK, httpOrigin+"/after")
}

// signInWith runs a passkey sign-in in a new browser and returns it and
// the callback's answer.
func (h *passkeyHarness) signInWith(a *softAuthenticator) (*browser, *response) {
	h.t.Helper()
	b := h.browser()
	res, opts := b.passkeyOptions("authenticate")
	wantStatus(h.t, res, http.StatusOK)
	return b, b.passkeyCallback("authenticate", a.get(opts.Options))
}

func wantPasskeyRefused(t testing.TB, res *response) {
	t.Helper()
	wantJSONURL(t, res, http.StatusUnauthorized, httpBase+"/error?error=WebAuthnVerificationError&provider=passkey")
	if _, ok := res.setCookie(sessionCookie); ok {
		t.Errorf("a refused passkey sign-in set a session cookie: %v", res.setCookies())
	}
}

func TestPasskeyOptionsShape(t *testing.T) {
	h := newPasskeyHarness(t)
	b := h.browser()
	res, got := b.passkeyOptions("authenticate")
	wantStatus(t, res, http.StatusOK)
	wantNoCache(t, res)
	var top map[string]json.RawMessage
	json.Unmarshal([]byte(res.Body), &top)
	if len(top) != 2 || top["action"] == nil || top["options"] == nil {
		t.Errorf("options answer keys = %v; want exactly action and options: %s", sortedKeysOf(top), res.Body)
	}
	if got.Action != "authenticate" {
		t.Errorf("action = %q; want authenticate", got.Action)
	}
	o := got.Options
	if _, wrapped := o["publicKey"]; wrapped {
		t.Errorf("options are wrapped in publicKey: %s", res.Body)
	}
	ch, _ := base64.RawURLEncoding.DecodeString(o["challenge"].(string))
	if len(ch) < 16 {
		t.Errorf("challenge %v: want at least 16 bytes of base64url", o["challenge"])
	}
	if o["rpId"] != "localhost" || o["userVerification"] != "required" {
		t.Errorf("rpId, userVerification = %v, %v; want localhost, required", o["rpId"], o["userVerification"])
	}
	if _, ok := o["allowCredentials"]; ok {
		t.Errorf("discoverable sign-in options list allowCredentials: %s", res.Body)
	}
	if c, ok := res.setCookie("next-auth.challenge"); !ok || !strings.Contains(c, "Max-Age=300") || !strings.Contains(c, "HttpOnly") {
		t.Errorf("challenge cookie = %q; want an HttpOnly cookie of 300 s", c)
	}

	// The relying party ID comes from the configured URL, whatever the
	// Host header says.
	b2 := h.browser()
	b2.header.Set("Host", "evil.example")
	b2.header.Set("X-Forwarded-Host", "evil.example")
	_, got2 := b2.passkeyOptions("authenticate")
	if got2.Options["rpId"] != "localhost" {
		t.Errorf("rpId with Host evil.example = %v; want localhost", got2.Options["rpId"])
	}

	res, _ = b.passkeyOptions("dance")
	wantStatus(t, res, http.StatusBadRequest)
	wantBody(t, res, `{"error":"InvalidAction"}`)
	if res := b.get("/webauthn-options/other"); res.Code != http.StatusNotFound {
		t.Errorf("options of an unknown provider: got %d; want 404", res.Code)
	}

	// Registering needs a session, and a fresh one.
	res, _ = b.passkeyOptions("register")
	wantStatus(t, res, http.StatusUnauthorized)
	wantBody(t, res, `{"error":"SessionRequired"}`)
	b.signIn()
	res, got = b.passkeyOptions("register")
	wantStatus(t, res, http.StatusOK)
	user, _ := got.Options["user"].(map[string]any)
	sel, _ := got.Options["authenticatorSelection"].(map[string]any)
	if got.Action != "register" || user["name"] != "j@example.com" || got.Options["rp"].(map[string]any)["id"] != "localhost" ||
		sel["residentKey"] != "required" || sel["userVerification"] != "required" {
		t.Errorf("register options = %s; want user j@example.com, rp localhost, resident key and user verification required", res.Body)
	}
	h.clock.Advance(11 * time.Minute)
	res, _ = b.passkeyOptions("register")
	wantStatus(t, res, http.StatusForbidden)
	wantBody(t, res, `{"error":"FreshSignInRequired"}`)
}

func sortedKeysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPasskeyRegisterAndSignIn(t *testing.T) {
	var events []latch.SignInEvent
	h := newPasskeyHarness(t, func(c *latch.Config) {
		c.Events.SignIn = func(_ context.Context, e latch.SignInEvent) { events = append(events, e) }
	})
	a := newSoftAuthenticator(t)
	h.register(a)
	recs, err := h.store.UserAuthenticators(context.Background(), "1")
	if err != nil || len(recs) != 1 {
		t.Fatalf("stored authenticators = %v, %v; want one", recs, err)
	}
	rec := recs[0]
	if rec.CredentialID != base64.StdEncoding.EncodeToString(a.credID) || rec.ProviderAccountID != rec.CredentialID ||
		rec.Name != "Test key" || rec.UserHandle != b64u(a.handle) || rec.Transports != "internal" || rec.CredentialDeviceType != "singleDevice" {
		t.Errorf("stored authenticator = %+v", rec)
	}

	b, res := h.signInWith(a)
	wantJSONURL(t, res, http.StatusOK, httpOrigin+"/after")
	s := b.get("/session")
	if !strings.Contains(s.Body, `"email":"j@example.com"`) {
		t.Errorf("session after passkey sign-in = %s", s.Body)
	}
	got, _ := h.store.Authenticator(context.Background(), rec.CredentialID)
	if got.Counter != int64(a.counter) || !got.LastUsed.Equal(t0) {
		t.Errorf("after sign-in: counter %d, last used %v; want %d, %v", got.Counter, got.LastUsed, a.counter, t0)
	}
	if n := len(events); n != 2 || events[1].Account.Provider != "passkey" || events[1].Account.Type != "webauthn" {
		t.Errorf("sign-in events = %+v; want the passkey sign-in last", events)
	}
	// A passkey sign-in is fresh: a passkey can be added at once.
	if res, _ := b.passkeyOptions("register"); res.Code != http.StatusOK {
		t.Errorf("register options right after a passkey sign-in: got %d; want 200", res.Code)
	}
	// The same authenticator cannot register twice: it is excluded.
	_, opts := b.passkeyOptions("register")
	if ex, _ := opts.Options["excludeCredentials"].([]any); len(ex) != 1 {
		t.Errorf("excludeCredentials = %v; want the registered passkey", opts.Options["excludeCredentials"])
	}
}

func TestPasskeyReplayAndCSRF(t *testing.T) {
	h := newPasskeyHarness(t)
	a := newSoftAuthenticator(t)
	h.register(a)

	b := h.browser()
	_, opts := b.passkeyOptions("authenticate")
	data := a.get(opts.Options)
	challengeCookie, _ := b.cookie("next-auth.challenge")

	// Without the CSRF token: nothing happens, the ceremony is not used up.
	res := b.postForm("/callback/passkey", url.Values{"action": {"authenticate"}, "data": {data}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, httpBase+"/signin?csrf=true")
	if _, ok := res.setCookie(sessionCookie); ok {
		t.Fatal("a callback without CSRF token set a session")
	}
	// Auth.js v5's client asks for JSON with a header instead of json=true.
	b.header.Set("X-Auth-Return-Redirect", "1")
	res = b.postForm("/callback/passkey", url.Values{"action": {"authenticate"}, "data": {data}, "csrfToken": {b.csrf()}, "callbackUrl": {"/after"}})
	b.header.Del("X-Auth-Return-Redirect")
	wantJSONURL(t, res, http.StatusOK, httpOrigin+"/after")

	// Replaying the captured assertion with the captured cookie fails.
	mallory := h.browser()
	mallory.setRaw("next-auth.challenge", challengeCookie)
	wantPasskeyRefused(t, mallory.passkeyCallback("authenticate", data))
	if !strings.Contains(h.logs.String(), "replay") {
		t.Errorf("the replay was not refused as one; logs:\n%s", h.logs)
	}
	// So does the assertion with a new ceremony's cookie (other challenge).
	_, _ = mallory.passkeyOptions("authenticate")
	wantPasskeyRefused(t, mallory.passkeyCallback("authenticate", data))
	// And a callback with no ceremony at all.
	wantPasskeyRefused(t, h.browser().passkeyCallback("authenticate", data))
}

func TestPasskeyCeremonyExpires(t *testing.T) {
	h := newPasskeyHarness(t)
	a := newSoftAuthenticator(t)
	h.register(a)
	b := h.browser()
	_, opts := b.passkeyOptions("authenticate")
	h.clock.Advance(5*time.Minute + time.Second)
	wantPasskeyRefused(t, b.passkeyCallback("authenticate", a.get(opts.Options)))

	// A ceremony started for registering does not sign in.
	b = h.browser()
	b.signIn()
	_, opts = b.passkeyOptions("register")
	a.counter++
	wantPasskeyRefused(t, b.passkeyCallback("authenticate", a.assert(opts.Options["challenge"].(string))))
}

func TestPasskeyCloneWarning(t *testing.T) {
	h := newPasskeyHarness(t)
	a := newSoftAuthenticator(t)
	a.counter = 10
	h.register(a)
	_, res := h.signInWith(a) // counter 11
	wantStatus(t, res, http.StatusOK)
	a.counter = 5 // a copy of the key with an older counter
	_, res = h.signInWith(a)
	wantPasskeyRefused(t, res)
	if !strings.Contains(h.logs.String(), "cloned") {
		t.Errorf("clone warning not logged; logs:\n%s", h.logs)
	}
	rec, _ := h.store.Authenticator(context.Background(), base64.StdEncoding.EncodeToString(a.credID))
	if rec.Counter != 11 {
		t.Errorf("counter after a refused clone = %d; want 11 kept", rec.Counter)
	}
}

func TestPasskeyRefusals(t *testing.T) {
	h := newPasskeyHarness(t)
	a := newSoftAuthenticator(t)
	h.register(a)

	// Another origin in the client data.
	a.origin = "https://evil.example"
	_, res := h.signInWith(a)
	wantPasskeyRefused(t, res)
	a.origin = httpOrigin

	// Another key for the same credential ID.
	forged := newSoftAuthenticator(t)
	forged.credID, forged.handle = a.credID, a.handle
	_, res = h.signInWith(forged)
	wantPasskeyRefused(t, res)

	// Removed: refused.
	if err := h.store.DeleteAuthenticator(context.Background(), "1", base64.StdEncoding.EncodeToString(a.credID)); err != nil {
		t.Fatal(err)
	}
	_, res = h.signInWith(a)
	wantPasskeyRefused(t, res)

	// Junk data and actions are refused with 401, never 500.
	b := h.browser()
	for _, data := range []string{"", "{", "null", `{"id":"x","rawId":"x","type":"public-key","response":{}}`, strings.Repeat("a", 40<<10)} {
		b.passkeyOptions("authenticate")
		if res := b.passkeyCallback("authenticate", data); res.Code != http.StatusUnauthorized {
			t.Errorf("data %.20q: got %d; want 401", data, res.Code)
		}
	}
	if res := b.passkeyCallback("dance", "{}"); res.Code != http.StatusUnauthorized {
		t.Errorf("action dance: got %d; want 401", res.Code)
	}
	if res := b.get("/callback/passkey"); res.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET callback: got %d; want 405", res.Code)
	}
}

// A row written by Auth.js (base64 IDs, multiDevice and backed up, no user
// handle) signs in.
func TestPasskeyAuthJSImport(t *testing.T) {
	h := newPasskeyHarness(t)
	a := newSoftAuthenticator(t)
	a.flags = 0x08 | 0x10 // backup eligible and backed up: a synced passkey
	a.handle = []byte("authjs-user-handle")
	cose := a.authData(true)[32+1+4+16+2+len(a.credID):]
	err := h.store.CreateAuthenticator(context.Background(), latch.Authenticator{
		CredentialID: base64.StdEncoding.EncodeToString(a.credID), UserID: "1", ProviderAccountID: base64.StdEncoding.EncodeToString(a.credID),
		CredentialPublicKey: base64.StdEncoding.EncodeToString(cose), Counter: 0,
		CredentialDeviceType: "multiDevice", CredentialBackedUp: true, Transports: "internal,hybrid", Created: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, res := h.signInWith(a)
	wantJSONURL(t, res, http.StatusOK, httpOrigin+"/after")
}

func TestPasskeyV4SignInPage(t *testing.T) {
	h := newPasskeyHarness(t)
	b := h.browser()
	res := b.get("/providers")
	if !strings.Contains(res.Body, `"passkey":{"id":"passkey","name":"Passkey","type":"webauthn","signinUrl":"`+httpBase+`/signin/passkey","callbackUrl":"`+httpBase+`/callback/passkey"}`) {
		t.Errorf("providers = %s; want the passkey provider of type webauthn", res.Body)
	}
	// signIn("passkey") of next-auth/react v4.
	res = b.postForm("/signin/passkey", url.Values{"csrfToken": {b.csrf()}, "callbackUrl": {httpOrigin + "/app"}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, httpBase+"/signin/passkey?callbackUrl="+url.QueryEscape(httpOrigin+"/app"))
	res = b.postForm("/signin/passkey", url.Values{"callbackUrl": {httpOrigin + "/app"}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, httpBase+"/signin?csrf=true")

	res = b.get("/signin/passkey?callbackUrl=" + url.QueryEscape(httpOrigin+"/app"))
	wantStatus(t, res, http.StatusOK)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP of the passkey page = %q", csp)
	}
	for _, want := range []string{`data-options-url="` + httpBase + `/webauthn-options/passkey"`, `data-callback="` + httpOrigin + `/app"`, `src="/api/auth/passkey.js"`, `data-auto="true"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("passkey page lacks %s:\n%s", want, res.Body)
		}
	}
	js := b.get("/passkey.js")
	if js.Code != http.StatusOK || js.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(js.Body, "navigator.credentials.get") {
		t.Errorf("GET passkey.js: %d %s", js.Code, js.Header)
	}
	// The built-in sign-in page offers passkeys, with autofill.
	res = b.get("/signin")
	for _, want := range []string{`id="passkey-button"`, `autocomplete="username webauthn"`, `src="/api/auth/passkey.js"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
}

func TestPasskeysPage(t *testing.T) {
	h := newPasskeyHarness(t)
	a := newSoftAuthenticator(t)
	h.register(a)
	id := base64.StdEncoding.EncodeToString(a.credID)

	anon := h.browser()
	res := anon.get("/passkeys")
	if res.Code != http.StatusFound || res.Header.Get("Location") != httpBase+"/signin?callbackUrl="+url.QueryEscape(httpBase+"/passkeys") {
		t.Errorf("passkeys page signed out: %d %s; want a redirect to sign in", res.Code, res.Header.Get("Location"))
	}

	b := h.browser()
	b.signIn()
	res = b.get("/passkeys")
	wantStatus(t, res, http.StatusOK)
	if !strings.Contains(res.Body, "Test key") || !strings.Contains(html.UnescapeString(res.Body), `value="`+id+`"`) || !strings.Contains(res.Body, `id="passkey-register"`) {
		t.Errorf("passkeys page:\n%s", res.Body)
	}
	// Removing needs the CSRF token.
	res = b.postForm("/passkeys", url.Values{"remove": {id}})
	wantStatus(t, res, http.StatusForbidden)
	if _, err := h.store.Authenticator(context.Background(), id); err != nil {
		t.Fatalf("removed without CSRF token: %v", err)
	}
	res = b.postForm("/passkeys", url.Values{"remove": {id}, "csrfToken": {b.csrf()}})
	if res.Code != http.StatusSeeOther {
		t.Errorf("remove: got %d; want 303", res.Code)
	}
	if _, err := h.store.Authenticator(context.Background(), id); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("after remove: %v; want ErrNotFound", err)
	}
	_, res = h.signInWith(a)
	wantPasskeyRefused(t, res)

	// A stale sign-in lists but offers to sign in again instead of adding.
	h.clock.Advance(time.Hour)
	res = b.get("/passkeys")
	if !strings.Contains(res.Body, `id="passkey-stale"`) || strings.Contains(res.Body, `id="passkey-register"`) {
		t.Errorf("passkeys page after an hour:\n%s", res.Body)
	}
	// Nor can a stale sign-in remove one (a stolen cookie must not lock
	// the user out).
	a2 := newSoftAuthenticator(t)
	h.register(a2)
	id2 := base64.StdEncoding.EncodeToString(a2.credID)
	res = b.postForm("/passkeys", url.Values{"remove": {id2}, "csrfToken": {b.csrf()}})
	if res.Code != http.StatusOK || !strings.Contains(res.Body, "sign in again first") {
		t.Errorf("remove with a stale sign-in: %d; want the page asking to sign in again:\n%s", res.Code, res.Body)
	}
	if _, err := h.store.Authenticator(context.Background(), id2); err != nil {
		t.Errorf("a stale sign-in removed a passkey: %v", err)
	}
}

func TestPasskeyConfig(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		name string
		cfg  latch.Config
		want string
	}{
		{"ip", latch.Config{URL: "http://127.0.0.1:3000/api/auth", Store: st}, "not the IP address 127.0.0.1"},
		{"no store", latch.Config{URL: httpBase}, "needs a Store that keeps passkeys"},
		{"bare path", latch.Config{URL: "/api/auth", AllowedHosts: []string{"example.com"}, Store: st}, "absolute URL"},
	} {
		tc.cfg.Secrets = []string{testSecret}
		tc.cfg.Providers = []latch.Provider{&latch.Passkey{}}
		if _, err := latch.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v; want one saying %q", tc.name, err, tc.want)
		}
	}
}

// FuzzPasskeyData posts arbitrary credential JSON, for either action, to
// the callback of a live ceremony: it must be refused with 401, never a
// 500 or a panic, and never sign in.
func FuzzPasskeyData(f *testing.F) {
	a := newSoftAuthenticator(f)
	a.handle = []byte("handle")
	f.Add("authenticate", a.assert(b64u(make([]byte, 32))))
	f.Add("register", a.create(map[string]any{"challenge": b64u(make([]byte, 32)), "user": map[string]any{"id": b64u([]byte("u"))}}))
	f.Add("authenticate", `{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":"","userHandle":"AA"}}`)
	f.Add("register", `{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`)
	f.Add("authenticate", `{"response":{"clientDataJSON":null}}`)
	h := newPasskeyHarness(f)
	f.Fuzz(func(t *testing.T, action, data string) {
		h.t = t // the fuzz function runs one input at a time
		b := h.browser()
		b.signIn()
		if res, _ := b.passkeyOptions(action); res.Code != http.StatusOK {
			action = "authenticate"
			b.passkeyOptions(action)
		}
		res := b.passkeyCallback(action, data)
		if res.Code != http.StatusUnauthorized {
			t.Fatalf("action %q data %q: got %d %s; want 401", action, data, res.Code, res.Body)
		}
	})
}

// A user's handle stays the same when they have no passkey left, so that a
// passkey made again on an authenticator replaces the old one there.
func TestPasskeyUserHandleStable(t *testing.T) {
	h := newPasskeyHarness(t)
	a := newSoftAuthenticator(t)
	h.register(a)
	first := a.handle
	if err := h.store.DeleteAuthenticator(context.Background(), "1", base64.StdEncoding.EncodeToString(a.credID)); err != nil {
		t.Fatal(err)
	}
	b := newSoftAuthenticator(t)
	h.register(b)
	if !bytes.Equal(first, b.handle) || len(first) != 32 {
		t.Errorf("user handles %x then %x; want the same 32 bytes", first, b.handle)
	}
}

// Junk requests to the passkey and second-factor endpoints get 4xx
// answers, never a 5xx.
func TestPasskeyAndSecondFactorBadInput(t *testing.T) {
	h := newPasskeyHarness(t, func(c *latch.Config) { c.SecondFactor = latch.SecondFactorConfig{Enabled: true} })
	signedIn := h.browser()
	signedIn.signIn()
	for _, b := range []*browser{h.browser(), signedIn} {
		for _, tc := range []struct{ method, path, body, ctype string }{
			{"GET", "/webauthn-options/passkey?action=%ZZ", "", ""},
			{"GET", "/webauthn-options/passkey?action=register&action=authenticate", "", ""},
			{"POST", "/webauthn-options/passkey", "", ""},
			{"GET", "/webauthn-options/", "", ""},
			{"GET", "/webauthn-options/passkey/x", "", ""},
			{"POST", "/callback/passkey", "action=authenticate&data=" + strings.Repeat("%FF", 100), "application/x-www-form-urlencoded"},
			{"POST", "/callback/passkey", `{"action":"register","data":{"x":1}}`, "application/json"},
			{"POST", "/callback/passkey", "\x00\x01", "application/octet-stream"},
			{"POST", "/callback/passkey", strings.Repeat("a", 70<<10), "application/x-www-form-urlencoded"},
			{"PUT", "/callback/passkey", "", ""},
			{"POST", "/passkeys", "remove=" + strings.Repeat("x", 2000), "application/x-www-form-urlencoded"},
			{"POST", "/passkeys", "csrfToken=nope", "application/x-www-form-urlencoded"},
			{"DELETE", "/passkeys", "", ""},
			{"POST", "/two-factor", "action=confirm&code=123456", "application/x-www-form-urlencoded"},
			{"POST", "/two-factor", "action=%00", "application/x-www-form-urlencoded"},
			{"GET", "/passkey.js/x", "", ""},
			{"POST", "/signin/passkey", "callbackUrl=javascript:alert(1)", "application/x-www-form-urlencoded"},
			{"GET", "/signin/passkey?callbackUrl=%2F%2Fevil.example", "", ""},
		} {
			res := b.do(tc.method, tc.path, strings.NewReader(tc.body), tc.ctype)
			if res.Code >= 500 || res.Code < 200 {
				t.Errorf("%s %s (%.30q): got %d %.200s; want a 2xx-4xx answer", tc.method, tc.path, tc.body, res.Code, res.Body)
			}
			if strings.Contains(res.Body, "evil.example") || strings.Contains(res.Body, "javascript:") {
				t.Errorf("%s %s: the answer carries the unsafe callbackUrl: %.300s", tc.method, tc.path, res.Body)
			}
		}
	}
	// With CSRF but no fresh sign-in or junk action: 4xx.
	res := signedIn.postForm("/two-factor", url.Values{"csrfToken": {signedIn.csrf()}, "action": {"dance"}})
	if res.Code != http.StatusBadRequest {
		t.Errorf("two-factor action dance: %d; want 400", res.Code)
	}
	res = signedIn.postForm("/two-factor", url.Values{"csrfToken": {signedIn.csrf()}, "action": {"confirm"}, "code": {"123456"}})
	if res.Code != http.StatusConflict {
		t.Errorf("confirm without a pending secret: %d; want 409", res.Code)
	}
}

// Passkeys with database sessions; signing out ends the freshness of the
// sign-in.
func TestPasskeyDatabaseSessions(t *testing.T) {
	h := newPasskeyHarness(t, func(c *latch.Config) { c.Strategy = latch.DatabaseSessions })
	a := newSoftAuthenticator(t)
	h.register(a)
	b, res := h.signInWith(a)
	wantJSONURL(t, res, http.StatusOK, httpOrigin+"/after")
	if s := b.get("/session"); !strings.Contains(s.Body, `"email":"j@example.com"`) {
		t.Errorf("database session after passkey sign-in = %s", s.Body)
	}
	if sessions, _ := h.store.UserSessions(context.Background(), "1"); len(sessions) != 2 {
		t.Errorf("stored sessions = %d; want 2 (the password's and the passkey's)", len(sessions))
	}
	if _, ok := b.cookie("next-auth.auth-time"); !ok {
		t.Fatalf("no sign-in time cookie after a passkey sign-in: %v", b.cookieNames())
	}
	res = b.postForm("/signout", url.Values{"csrfToken": {b.csrf()}, "json": {"true"}})
	wantStatus(t, res, http.StatusOK)
	if _, ok := b.cookie("next-auth.auth-time"); ok {
		t.Errorf("the sign-in time cookie outlived the sign-out: %v", res.setCookies())
	}
}

// With SignUp, a new person proves their email address by email, which
// creates the account, and then adds a passkey; without an email provider
// the configuration is refused.
func TestPasskeySignUp(t *testing.T) {
	h := newEmailHarness(t, email.Config{}, func(c *latch.Config) {
		c.Providers = append(c.Providers, &latch.Passkey{SignUp: true})
	})
	b := h.browser()
	page := b.get("/signin")
	for _, want := range []string{`<form action="` + httpBase + `/signin/email" method="POST" id="passkey-signup">`, `name="callbackUrl" value="` + httpBase + `/passkeys?new=1"`} {
		if !strings.Contains(html.UnescapeString(page.Body), want) {
			t.Fatalf("sign-in page lacks %s:\n%s", want, page.Body)
		}
	}
	res := b.postForm("/signin/email", url.Values{"csrfToken": {b.csrf()}, "email": {"new@example.com"}, "callbackUrl": {httpBase + "/passkeys?new=1"}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, httpBase+"/verify-request?provider=email&type=email")
	msg := h.box.last(t)
	res = h.confirm(t, b, msg.URL)
	wantRedirect(t, res, httpBase+"/passkeys?new=1")
	res = b.get("/passkeys?new=1")
	if !strings.Contains(res.Body, `id="passkey-welcome"`) || !strings.Contains(res.Body, `data-auto="true"`) {
		t.Fatalf("passkeys page of the new account:\n%s", res.Body)
	}
	user, err := h.store.UserByEmail(context.Background(), "new@example.com")
	if err != nil {
		t.Fatal(err)
	}
	a := newSoftAuthenticator(t)
	_, opts := b.passkeyOptions("register")
	wantJSONURL(t, b.passkeyCallback("register", a.create(opts.Options)), http.StatusOK, httpOrigin+"/after")
	if recs, _ := h.store.UserAuthenticators(context.Background(), user.ID); len(recs) != 1 {
		t.Fatalf("passkeys of the new account = %v; want 1", recs)
	}
	// Once there is a passkey, the page no longer asks at once.
	if res := b.get("/passkeys?new=1"); strings.Contains(res.Body, `data-auto="true"`) {
		t.Errorf("the page asks for a passkey again")
	}
	other := h.browser()
	_, opts = other.passkeyOptions("authenticate")
	wantJSONURL(t, other.passkeyCallback("authenticate", a.get(opts.Options)), http.StatusOK, httpOrigin+"/after")
	if got := signedInAs(t, other); got != "new@example.com" {
		t.Errorf("passkey sign-in of the new account: signed in as %q", got)
	}

	st, _ := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	defer st.Close()
	_, err = latch.New(latch.Config{URL: httpBase, Secrets: []string{testSecret}, Store: st, Providers: []latch.Provider{&latch.Passkey{SignUp: true}}})
	if err == nil || !strings.Contains(err.Error(), "SignUp needs an email provider") {
		t.Errorf("SignUp without an email provider: err = %v", err)
	}
}
