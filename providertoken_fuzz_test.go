package latch_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/jwt"
)

// stubRefresher is an OAuth provider whose refreshes answer by the
// refresh token: "rt-bad" is refused (invalid_grant), "rt-503" fails for
// now, "rt-client" is a client fault, anything else gives new tokens.
type stubRefresher struct{}

func (stubRefresher) Info() latch.ProviderInfo {
	return latch.ProviderInfo{ID: "stub", Name: "Stub", Type: latch.TypeOAuth}
}
func (stubRefresher) Checks() latch.OAuthChecks { return latch.OAuthChecks{State: true} }
func (stubRefresher) AuthCodeURL(context.Context, latch.AuthorizationRequest) (string, error) {
	return "https://idp.example/auth", nil
}
func (stubRefresher) Exchange(context.Context, latch.CallbackRequest) (*latch.OAuthProfile, error) {
	return nil, errors.New("not in this test")
}
func (stubRefresher) AllowEmailLinking() bool { return false }
func (stubRefresher) RefreshToken(_ context.Context, rt string) (*latch.OAuthTokens, error) {
	switch rt {
	case "rt-bad":
		return nil, latch.ErrReauthRequired
	case "rt-503":
		return nil, latch.ErrRefreshUnavailable
	case "rt-client":
		return nil, latch.ErrRefreshRejected
	}
	return &latch.OAuthTokens{AccessToken: "at-" + rt, RefreshToken: rt + "+", ExpiresAt: time.Now().Add(time.Hour).Unix(), TokenType: "Bearer"}, nil
}

// FuzzProviderTokenEndpoint drives GET <base>/token/<provider> with
// arbitrary provider tokens in the session token (whatever a JWT callback
// may have put there), paths, methods and origins. It must never panic or
// answer 500, and must answer JSON with parsable cookies.
func FuzzProviderTokenEndpoint(f *testing.F) {
	auth, err := latch.New(latch.Config{
		URL: httpBase, Secrets: []string{testSecret}, Providers: []latch.Provider{stubRefresher{}},
		Logger: quietLogger(), TrustedOrigins: []string{"https://app.example.com"},
		ProviderTokens: latch.ProviderTokenConfig{Enabled: true},
	})
	if err != nil {
		f.Fatal(err)
	}
	codec, err := jwt.New(jwt.V4, "", testSecret)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ method, path, claim, origin, site string }{
		{"GET", "stub", `{"stub":{"access_token":"at","refresh_token":"rt","expires_at":1}}`, "", ""},
		{"GET", "stub", `{"stub":{"access_token":"at","refresh_token":"rt-bad","expires_at":1}}`, "", "same-origin"},
		{"GET", "stub", `{"stub":{"access_token":"at","refresh_token":"rt-503","expires_at":1}}`, httpOrigin, ""},
		{"GET", "stub", `{"stub":{"access_token":"at","refresh_token":"rt-client","expires_at":1}}`, "", ""},
		{"GET", "stub", `{"stub":{"access_token":"at","expires_at":99999999999}}`, "https://app.example.com", "cross-site"},
		{"GET", "stub", `{"stub":{"access_token":"at","error":"invalid_grant","expires_at":1}}`, "", ""},
		{"GET", "stub", `{"stub":"x"}`, "", ""},
		{"GET", "stub", `[1,2]`, "", ""},
		{"GET", "stub", `{"stub":{"expires_at":-1e300}}`, "", ""},
		{"GET", "other", `{}`, "https://evil.example", "cross-site"},
		{"POST", "stub", `{}`, "", ""},
		{"GET", "stub/x", `{}`, "", ""},
	} {
		f.Add(s.method, s.path, []byte(s.claim), s.origin, s.site)
	}
	f.Fuzz(func(t *testing.T, method, path string, claim []byte, origin, site string) {
		var v any
		if json.Unmarshal(claim, &v) != nil {
			v = string(claim)
		}
		token, err := codec.Encode(jwt.Claims{"sub": "u1", "providerTokens": v}, time.Now(), time.Hour)
		if err != nil {
			return
		}
		req, err := http.NewRequest(method, httpBase+"/token/"+path, nil)
		if err != nil {
			return
		}
		req.Header.Set("Cookie", "next-auth.session-token="+token)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		w := httptest.NewRecorder()
		auth.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s %s with %s: 500 %s", method, path, claim, w.Body)
		}
		if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("answer %q does not parse", w.Body)
		}
		if w.Code == http.StatusOK && !strings.Contains(w.Header().Get("Cache-Control"), "no-store") {
			t.Fatalf("a token answered without no-store")
		}
		for _, line := range w.Header().Values("Set-Cookie") {
			if _, err := http.ParseSetCookie(line); err != nil {
				t.Fatalf("Set-Cookie %q does not parse: %v", line, err)
			}
		}
	})
}

// TestProviderTokenChunkedWriteBack: a refreshed token too large for one
// cookie is written back in chunks, which the next request reads.
func TestProviderTokenChunkedWriteBack(t *testing.T) {
	auth, err := latch.New(latch.Config{URL: httpBase, Secrets: []string{testSecret}, Providers: []latch.Provider{stubRefresher{}},
		Logger: quietLogger(), ProviderTokens: latch.ProviderTokenConfig{Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	codec, _ := jwt.New(jwt.V4, "", testSecret)
	big := strings.Repeat("r", 6000) // the stub answers an access token "at-" + this
	token, err := codec.Encode(jwt.Claims{"sub": "u1", "providerTokens": map[string]any{"stub": map[string]any{"access_token": "old", "refresh_token": big, "expires_at": 1}}}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, httpBase+"/token/stub", nil)
	req.Header.Set("Cookie", "next-auth.session-token="+token)
	w := httptest.NewRecorder()
	auth.ServeHTTP(w, req)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "at-"+big) {
		t.Fatalf("GET token = %d %.100s", w.Code, w.Body)
	}
	var cookies []string
	for _, c := range w.Result().Cookies() {
		if strings.HasPrefix(c.Name, "next-auth.session-token") && c.MaxAge >= 0 {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
	}
	if len(cookies) < 2 {
		t.Fatalf("wrote %d session cookies; want chunks", len(cookies))
	}
	req = httptest.NewRequest(http.MethodGet, httpBase+"/token/stub", nil)
	req.Header.Set("Cookie", strings.Join(cookies, "; "))
	w = httptest.NewRecorder()
	auth.ServeHTTP(w, req)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "at-"+big) || len(w.Result().Cookies()) != 0 {
		t.Errorf("with the chunks: %d, %d cookies; want the fresh token, no refresh", w.Code, len(w.Result().Cookies()))
	}
}
