package oauth

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/latchauth/latch"
)

// StandardProfile is the default [Config.Profile] mapper. It reads the
// OpenID Connect standard claims: ID from "sub" (else "id"), Name from
// "name" (else "preferred_username", "nickname", "login"), Email from
// "email", EmailVerified from "email_verified" (true or "true"), Image from
// "picture" (else "avatar_url").
func StandardProfile(ctx context.Context, c *ProfileContext) (*latch.OAuthProfile, error) {
	r := c.Raw
	return &latch.OAuthProfile{
		ID:            cmp.Or(str(r["sub"]), str(r["id"])),
		Name:          cmp.Or(str(r["name"]), str(r["preferred_username"]), str(r["nickname"]), str(r["login"])),
		Email:         str(r["email"]),
		EmailVerified: boolean(r["email_verified"]),
		Image:         cmp.Or(str(r["picture"]), str(r["avatar_url"])),
		Raw:           r,
	}, nil
}

// str returns a JSON string or number as a string, and "" for anything
// else (null, missing, objects).
func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	}
	return ""
}

// boolean reads a JSON boolean, which some providers send as a string.
func boolean(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// maxBody bounds the responses read from a provider.
const maxBody = 1 << 20

// statusError is a non-2xx answer of a provider's API.
type statusError struct {
	url    string
	status int
	body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("GET %s: status %d: %q", e.url, e.status, e.body)
}

// fetchJSON GETs url with client and decodes the JSON answer, keeping
// numbers as json.Number. A non-2xx status is a *statusError.
func fetchJSON[T any](ctx context.Context, client *http.Client, url string) (T, error) {
	var zero T
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return zero, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return zero, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return zero, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(body) > maxBody {
		return zero, fmt.Errorf("GET %s: the response is larger than %d bytes", url, maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return zero, &statusError{url: url, status: resp.StatusCode, body: limit(string(body), 200)}
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/jwt" {
		return zero, fmt.Errorf("GET %s: signed (application/jwt) responses are not supported", url)
	}
	v, err := decodeJSON[T](body)
	if err != nil {
		return zero, fmt.Errorf("GET %s: %w", url, err)
	}
	return v, nil
}
