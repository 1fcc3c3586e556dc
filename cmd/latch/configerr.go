package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/pages"
	"github.com/latchauth/latch/provider/email"
)

// yamlError rewrites an error of the YAML decoder as path:line:column,
// the key, a message in the file's terms (not Go's), and the source lines.
func yamlError(path string, data []byte, err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return fmt.Errorf("%s: %s", path, strings.TrimSpace(yaml.FormatError(err, false, true)))
	}
	tk := ye.GetToken()
	msg := ye.GetMessage()
	key := keyAt(data, tk.Position.Line, tk.Position.Column)
	var te *yaml.TypeError
	var uf *yaml.UnknownFieldError
	var un *yaml.UnexpectedNodeTypeError
	switch {
	case errors.As(err, &un):
		msg = fmt.Sprintf("want %s, not %s", nodeName(un.Expected), nodeName(un.Actual))
	case errors.As(err, &te) && te.DstType != nil:
		msg = fmt.Sprintf("want %s, not %q", kindName(te.DstType), tk.Value)
		if te.SrcType != nil {
			msg = fmt.Sprintf("want %s, not %s", kindName(te.DstType), kindName(te.SrcType))
		}
	case errors.As(err, &uf):
		if key == "" {
			key = tk.Value
		}
		msg = fmt.Sprintf("unknown field %q (misspelt, or not a setting of this section)", tk.Value)
	}
	source := yaml.FormatError(err, false, true)
	if i := strings.IndexByte(source, '\n'); i >= 0 {
		source = "\n" + strings.TrimRight(source[i+1:], "\n")
	} else {
		source = ""
	}
	if key == "" {
		return fmt.Errorf("%s:%d:%d: %s%s", path, tk.Position.Line, tk.Position.Column, msg, source)
	}
	return fmt.Errorf("%s:%d:%d: %s: %s%s", path, tk.Position.Line, tk.Position.Column, key, msg, source)
}

// nodeName says what a YAML node type is.
func nodeName(t ast.NodeType) string {
	switch t {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping (key: value lines)"
	case ast.SequenceType:
		return "a list"
	case ast.StringType, ast.LiteralType:
		return "a string"
	case ast.IntegerType:
		return "a whole number"
	case ast.FloatType:
		return "a number"
	case ast.BoolType:
		return "true or false"
	case ast.NullType:
		return "nothing"
	}
	return strings.ToLower(t.String())
}

// kindName says what a Go type is in YAML terms.
func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping (key: value lines)"
	}
	return t.String()
}

// keyAt returns the dotted path ("oauth[0].preset") of the innermost key
// whose key or value holds line:col, "" when none does.
func keyAt(data []byte, line, col int) string {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return ""
	}
	best := ""
	var walk func(n ast.Node, path string)
	walk = func(n ast.Node, path string) {
		if n == nil {
			return
		}
		switch n := n.(type) {
		case *ast.DocumentNode:
			walk(n.Body, path)
		case *ast.MappingNode:
			for _, v := range n.Values {
				walk(v, path)
			}
		case *ast.MappingValueNode:
			k := path
			if k != "" {
				k += "."
			}
			k += n.Key.String()
			if within(n, line, col) {
				best = k
			}
			walk(n.Value, k)
		case *ast.SequenceNode:
			for i, v := range n.Values {
				p := fmt.Sprintf("%s[%d]", path, i)
				if within(v, line, col) {
					best = p
				}
				walk(v, p)
			}
		}
	}
	for _, d := range f.Docs {
		walk(d, "")
	}
	return best
}

// within reports whether line:col falls in n: on its first line at or
// after its start, or on a later line up to its last token.
func within(n ast.Node, line, col int) bool {
	start := n.GetToken()
	if mv, ok := n.(*ast.MappingValueNode); ok {
		start = mv.Key.GetToken()
	}
	if start == nil {
		return false
	}
	p := start.Position
	if line < p.Line || line == p.Line && col < p.Column {
		return false
	}
	end := lastLine(n)
	return line <= end
}

// lastLine is the line of n's last token.
func lastLine(n ast.Node) int {
	last := 0
	ast.Walk(visitor(func(m ast.Node) {
		if t := m.GetToken(); t != nil && t.Position.Line > last {
			last = t.Position.Line
		}
	}), n)
	return last
}

// visitor is an ast.Visitor of a function.
type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	v(n)
	return v
}

// schemeRE matches a URL scheme at the start of a database setting.
var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// validateValues checks the settings latch.New, the providers and the
// pages would otherwise refuse (or quietly ignore) only once the server
// starts, so that each error names its key and line, and so that nothing
// is written before the configuration is known to be good.
func (c *config) validateValues() []error {
	var errs []error
	if m := schemeRE.FindStringSubmatch(c.Database); m != nil && !isPostgres(c.Database) {
		errs = append(errs, fmt.Errorf("%s: database: unknown scheme %q in %q: want a SQLite file path (e.g. latch-data/latch.db) or a postgres:// URL",
			c.where("database"), m[1], redactDSN(c.Database)))
	}
	if c.Redis != "" && !strings.HasPrefix(c.Redis, "redis://") && !strings.HasPrefix(c.Redis, "rediss://") && !strings.HasPrefix(c.Redis, "unix://") {
		errs = append(errs, fmt.Errorf("%s: redis: %q: want a redis:// (or rediss://) URL", c.where("redis"), redactDSN(c.Redis)))
	}
	if c.Theme.BrandColor != "" && !pages.ValidColor(c.Theme.BrandColor) {
		errs = append(errs, fmt.Errorf("%s: theme.brandColor %q: want a CSS colour: #rgb, #rrggbb, rgb(r, g, b) or a colour name like teal", c.where("theme.brandColor"), c.Theme.BrandColor))
	}
	if c.Theme.LogoURL != "" && !pages.ValidLogoURL(c.Theme.LogoURL) {
		errs = append(errs, fmt.Errorf("%s: theme.logoUrl %q: want an http(s) URL or a path starting with /", c.where("theme.logoUrl"), c.Theme.LogoURL))
	}
	if c.URL != "" {
		bare := strings.HasPrefix(c.URL, "/") && len(c.AllowedHosts) > 0
		if u, err := url.Parse(c.URL); !bare && (err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https")) {
			errs = append(errs, fmt.Errorf("%s: url %q: want the public URL of the auth API, like https://example.com/api/auth", c.where("url"), c.URL))
		}
	}
	for i, s := range c.Secrets {
		if len(s) < latch.MinSecretLength {
			where, key := c.where(fmt.Sprintf("secrets[%d]", i-len(c.envSecret))), fmt.Sprintf("secrets[%d]", i-len(c.envSecret))
			if i < len(c.envSecret) {
				where, key = "environment variable "+c.envSecret, "the secret"
			}
			errs = append(errs, fmt.Errorf("%s: %s has %d characters: want at least %d (`latch secret` prints one)", where, key, len(s), latch.MinSecretLength))
		}
	}
	for i, oc := range c.OAuth {
		if _, err := buildOAuth(oc, c.file); err != nil {
			errs = append(errs, fmt.Errorf("%s: oauth[%d]: %w", c.where(fmt.Sprintf("oauth[%d]", i)), i, err))
		}
	}
	if e := c.Email; e != nil && e.From != "" {
		if e.SMTP != nil && e.SMTP.Host == "" {
			errs = append(errs, fmt.Errorf("%s: email.smtp.host is required (the SMTP server to send through)", c.where("email.smtp.host")))
		}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		if _, err := email.New(email.Config{ID: "email", From: e.From, Mode: latch.EmailMode(e.Mode), Sender: email.Log(quiet), Logger: quiet}); err != nil && latch.EmailMode(e.Mode).Valid() {
			errs = append(errs, fmt.Errorf("%s: email: %s", c.where("email.from"), strings.TrimPrefix(err.Error(), "email: ")))
		}
	}
	return errs
}
