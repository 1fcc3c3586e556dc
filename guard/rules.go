package guard

import (
	"strings"

	"github.com/latchauth/latch"
)

// Rule decides whether the user of a session may reach something; nil
// lets every signed-in user in.
type Rule func(s *latch.Session) bool

// PathRules returns a [Site.Allow] made of a site-wide rule and rules for
// path prefixes: the rule of the longest prefix that covers the path
// applies, by the matching of [IsPublic] (whole segments: "/admin/" covers
// what is below it, "/admin" that path and what is below it after a "/"),
// else the site-wide rule. A nil rule lets every signed-in user in.
//
// With path rules, a path that is not clean once decoded
// ("/x/../admin/", "/admin/..%2f"), or holds a backslash, a semicolon or a
// "%" (an app that decodes twice would read "/%252e%252e/admin" as
// "/../admin"), is refused: the app may resolve it to a path a rule covers. Prefixes
// compare case-sensitively; in front of an app that does not (IIS), list
// the spellings or use a site-wide rule.
func PathRules(site Rule, paths map[string]Rule) func(s *latch.Session, path string) bool {
	return func(s *latch.Session, p string) bool {
		rule, longest := site, -1
		if len(paths) > 0 && (!IsPublic(p, []string{"/"}) || strings.Contains(p, "%")) {
			return false // not clean: no rule can be trusted to cover it
		}
		for prefix, r := range paths {
			if len(prefix) > longest && IsPublic(p, []string{prefix}) {
				rule, longest = r, len(prefix)
			}
		}
		return rule == nil || rule(s)
	}
}
