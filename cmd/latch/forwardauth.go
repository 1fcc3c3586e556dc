package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/guard"
)

// validateForwardAuth checks the forwardAuth and cookies sections.
func (c *config) validateForwardAuth() []error {
	var errs []error
	if d := c.Cookies.Domain; d != "" && (strings.TrimLeft(d, ".") == "" || strings.ContainsAny(d, "/:@ \t") || !strings.Contains(strings.Trim(d, "."), ".")) {
		errs = append(errs, fmt.Errorf("%s: cookies.domain %q: want a domain the sites share, e.g. example.com", c.where("cookies.domain"), d))
	}
	fa := c.ForwardAuth
	if fa == nil {
		return errs
	}
	if len(fa.Sites) == 0 {
		errs = append(errs, fmt.Errorf("%s: forwardAuth.sites: list the sites to protect, e.g. - url: https://app.example.com", c.where("forwardAuth")))
	}
	var err error
	if c.assertionTTL, err = c.duration("forwardAuth.assertionTTL", fa.AssertionTTL); err != nil {
		errs = append(errs, err)
	}
	seen := map[string]bool{}
	for i, s := range fa.Sites {
		key := fmt.Sprintf("forwardAuth.sites[%d]", i)
		o, err := guard.SiteOrigin(s.URL)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s.url %q: %w", c.where(key+".url"), key, s.URL, err))
		} else if seen[o] {
			errs = append(errs, fmt.Errorf("%s: %s.url: %s is listed twice", c.where(key+".url"), key, o))
		}
		seen[o] = true
		for j, p := range s.Public {
			if !strings.HasPrefix(p, "/") {
				errs = append(errs, fmt.Errorf("%s: %s.public[%d] %q: want a path prefix starting with /", c.where(fmt.Sprintf("%s.public[%d]", key, j)), key, j, p))
			}
		}
		errs = append(errs, c.validateAllow(key+".allow", s.Allow)...)
		prefixes := map[string]bool{}
		for j, p := range s.Paths {
			pkey := fmt.Sprintf("%s.paths[%d]", key, j)
			if !strings.HasPrefix(p.Prefix, "/") || p.Prefix == "/" {
				errs = append(errs, fmt.Errorf("%s: %s.prefix %q: want a path prefix below /, e.g. /admin/", c.where(pkey+".prefix"), pkey, p.Prefix))
			} else if prefixes[p.Prefix] {
				errs = append(errs, fmt.Errorf("%s: %s.prefix %q is listed twice", c.where(pkey+".prefix"), pkey, p.Prefix))
			}
			prefixes[p.Prefix] = true
			errs = append(errs, c.validateAllow(pkey+".allow", p.Allow)...)
		}
	}
	return errs
}

// validateAllow checks the access rule at key.
func (c *config) validateAllow(key string, a *allowConfig) []error {
	if a == nil {
		return nil
	}
	var errs []error
	for j, e := range a.Emails {
		if !strings.Contains(e, "@") {
			errs = append(errs, fmt.Errorf("%s: %s.emails[%d] %q: want an email address", c.where(key+".emails"), key, j, e))
		}
	}
	for j, d := range a.EmailDomains {
		if d == "" || strings.ContainsAny(d, "@ /") {
			errs = append(errs, fmt.Errorf("%s: %s.emailDomains[%d] %q: want a domain, e.g. example.com", c.where(key+".emailDomains"), key, j, d))
		}
	}
	if len(a.Emails) == 0 && len(a.EmailDomains) == 0 {
		errs = append(errs, fmt.Errorf("%s: %s: list emails or emailDomains (without allow, every signed-in user gets in)", c.where(key), key))
	}
	return errs
}

// siteOrigins are the origins of the protected sites.
func (c *config) siteOrigins() []string {
	if c.ForwardAuth == nil {
		return nil
	}
	var origins []string
	for _, s := range c.ForwardAuth.Sites {
		origins = append(origins, s.URL)
	}
	return origins
}

// newChecker builds the forward-auth checks of the configuration, and
// the keys of their assertions when forwardAuth.assertion is on.
func (c *config) newChecker(auth *latch.Auth, log *slog.Logger) (*guard.Checker, *guard.AssertionKeys, error) {
	var sites []guard.Site
	for _, s := range c.ForwardAuth.Sites {
		sites = append(sites, guard.Site{URL: s.URL, Public: s.Public, Allow: siteRule(s)})
	}
	for _, site := range c.ForwardAuth.Sites {
		if h := c.cookieMisses(site.URL); h != "" {
			log.Warn("forward auth: the session cookie does not reach this site, whose users will be sent to sign in again and again: "+
				"set cookies.domain to a domain of both Latch and the site", "site", site.URL, "latch", h)
		}
	}
	if len(c.TrustedProxies) == 0 {
		log.Warn("forward auth: no trustedProxies, so every check is refused (403): list the address of your nginx, Traefik or Caddy in trustedProxies")
	}
	cc := guard.CheckerConfig{
		Auth: auth, Sites: sites, TrustedProxy: c.clientIP.FromTrustedProxy,
		SignInURL: c.ForwardAuth.SignInURL, Logger: log,
	}
	if c.ForwardAuth.Assertion {
		keys, err := guard.NewAssertionKeys(c.Secrets...)
		if err != nil {
			return nil, nil, err
		}
		cc.AssertionKeys, cc.AssertionTTL = keys, c.assertionTTL
		k, err := guard.NewChecker(cc)
		return k, keys, err
	}
	k, err := guard.NewChecker(cc)
	return k, nil, err
}

// cookieMisses returns Latch's host when the session cookie, set by Latch
// at url (for cookies.domain, when set), is not sent to the site at
// siteURL; "" when it is, or when Latch's host is not known.
func (c *config) cookieMisses(siteURL string) string {
	latchURL, err := url.Parse(c.URL)
	site, serr := url.Parse(siteURL)
	if err != nil || serr != nil || latchURL.Hostname() == "" {
		return ""
	}
	lh, sh := strings.ToLower(latchURL.Hostname()), strings.ToLower(site.Hostname())
	if d := strings.ToLower(strings.Trim(c.Cookies.Domain, ".")); d != "" {
		if (lh == d || strings.HasSuffix(lh, "."+d)) && (sh == d || strings.HasSuffix(sh, "."+d)) {
			return ""
		}
		return lh
	}
	if lh == sh {
		return ""
	}
	return lh
}

// siteRule is the access rule of a site: nil (every signed-in user)
// without allow or paths, else allow's and those of the paths.
func siteRule(s siteConfig) func(*latch.Session, string) bool {
	if s.Allow == nil && len(s.Paths) == 0 {
		return nil
	}
	paths := map[string]guard.Rule{}
	for _, p := range s.Paths {
		paths[p.Prefix] = allowRule(p.Allow)
	}
	return guard.PathRules(allowRule(s.Allow), paths)
}

// allowRule is an access rule: nil (every signed-in user) without allow,
// else its emails and the addresses at its email domains.
func allowRule(a *allowConfig) guard.Rule {
	if a == nil {
		return nil
	}
	emails := map[string]bool{}
	for _, e := range a.Emails {
		emails[latch.FoldEmail(e)] = true
	}
	var domains []string
	for _, d := range a.EmailDomains {
		domains = append(domains, "@"+strings.ToLower(strings.TrimPrefix(d, "@")))
	}
	return func(sess *latch.Session) bool {
		e := latch.FoldEmail(sess.User.Email)
		if strings.Count(e, "@") != 1 {
			return false
		}
		if emails[e] {
			return true
		}
		for _, d := range domains {
			if strings.HasSuffix(e, d) {
				return true
			}
		}
		return false
	}
}

// serveForwardAuth registers the checks (and the assertion keys, when
// there are some) on mux under base.
func serveForwardAuth(mux *http.ServeMux, base string, k *guard.Checker, keys *guard.AssertionKeys, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET "+base+"/auth-request", wrap(k.AuthRequest()))
	mux.Handle("GET "+base+"/forward-auth", wrap(k.ForwardAuth()))
	if keys != nil {
		mux.Handle("GET "+base+"/forward-auth/jwks.json", wrap(keys.JWKS()))
	}
}
