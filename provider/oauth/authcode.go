package oauth

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// reserved are the authorization parameters the flow sets itself; neither
// Config.Params nor a sign-in request may set them.
var reserved = map[string]bool{
	"client_id":             true,
	"redirect_uri":          true,
	"response_type":         true,
	"state":                 true,
	"code_challenge":        true,
	"code_challenge_method": true,
	"nonce":                 true,
}

// AuthCodeURL implements [latch.OAuthProvider]. It returns the provider's
// authorization URL with client_id, redirect_uri, response_type=code, the
// scopes, state, code_challenge (S256) and nonce as req has them, then
// Config.Params overridden by req.Params (but for response_mode). Like NextAuth, it encodes
// spaces as %20.
func (p *Provider) AuthCodeURL(ctx context.Context, req latch.AuthorizationRequest) (string, error) {
	if req.RedirectURI == "" {
		return "", errors.New("oauth: AuthCodeURL: the request has no redirect URI")
	}
	ep, err := p.endpoints(ctx)
	if err != nil {
		return "", err
	}
	params := make(map[string]string, len(p.cfg.Params)+len(req.Params))
	for k, v := range p.cfg.Params {
		params[k] = v
	}
	for k, vs := range req.Params {
		// response_mode decides how the callback arrives, which the check
		// cookies are set up for (latch.OAuthChecks.FormPost): only
		// Config.Params chooses it.
		if len(vs) > 0 && k != "response_mode" {
			params[k] = vs[0]
		}
	}
	opts := make([]oauth2.AuthCodeOption, 0, len(params)+4)
	for k, v := range params {
		if k != "" && !reserved[k] {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	opts = append(opts, oauth2.SetAuthURLParam("redirect_uri", req.RedirectURI))
	if req.CodeChallenge != "" {
		opts = append(opts,
			oauth2.SetAuthURLParam("code_challenge", req.CodeChallenge),
			oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	if req.Nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", req.Nonce))
	}
	u := ep.oauth2.AuthCodeURL(req.State, opts...)
	// AuthCodeURL appends the encoded parameters to the endpoint, whose
	// own query is left as it is; in the parameters, "+" is an encoded
	// space (a literal "+" is "%2B").
	n := len(ep.oauth2.Endpoint.AuthURL)
	return u[:n] + strings.ReplaceAll(u[n:], "+", "%20"), nil
}
