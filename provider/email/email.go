// Package email is Latch's email ("magic link") provider: a user types an
// address and gets an email with a single-use sign-in link and a short
// code (see [Config.Mode]). Opening the link shows a page with a "Sign in"
// button, so that mail scanners that open every link do not use it up;
// the code is typed on the "check your email" page, e.g. when the email
// was opened on another device. Messages go out through SMTP
// (github.com/wneessen/go-mail) or, for development, to the log.
package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/latchauth/latch"
	"golang.org/x/text/unicode/norm"
)

// Config configures the provider.
type Config struct {
	// ID defaults to "email", Name to "Email".
	ID, Name string
	// From is the sender, e.g. "Example <no-reply@example.com>". Required.
	From string
	// Subject is a text/template with .Host; default "Sign in to {{.Host}}".
	Subject string
	// Text and HTML are the message bodies: text/template and
	// html/template with .URL (the link; "" in mode code), .Code (the
	// code, as XXXX-XXXX; "" in modes without one), .Host, .Email,
	// .Expires (the link's end) and .CodeExpires. Defaults are plain,
	// accessible messages.
	Text, HTML string
	// Mode is what the emails carry: latch.EmailLinkAndCode (default), a
	// link and a code, either of which signs in once; latch.EmailLink;
	// latch.EmailCode; or latch.EmailLinkSignsInOnGET, a link that signs
	// in as soon as it is opened (NextAuth's behaviour, which mail
	// scanners break) for apps that depend on it.
	Mode latch.EmailMode
	// MaxAge is how long a link works. Default 24 hours.
	MaxAge time.Duration
	// CodeMaxAge is how long a code works. Default 10 minutes; at most
	// Window with the default Limiter.
	CodeMaxAge time.Duration
	// MaxCodeTries (default 5) is how many wrong codes may be typed for
	// one address per Window: then the next try, even with the right
	// code, is refused, and the code it names is deleted.
	MaxCodeTries int
	// Sender delivers messages: SMTP(...) or Log(...). Required.
	Sender Sender
	// Limiter bounds how many emails one client and one address may ask
	// for (see [KeyPrefixIP]). Default: in memory, per process,
	// MaxPerAddress and MaxPerIP per Window; store/redis.Limiter shares
	// the counts between instances.
	Limiter Limiter
	// MaxPerAddress (default 5) and MaxPerIP (default 20) per Window
	// (default 15 minutes), for the default Limiter. Wrong codes count
	// against MaxPerIP too.
	MaxPerAddress, MaxPerIP int
	Window                  time.Duration
	// ClientIP returns the client's IP address. Default: the host of
	// r.RemoteAddr (configure it when behind a proxy). Limits key it with
	// [clientip.Key]: IPv6 clients by their /64 network.
	ClientIP func(*http.Request) string
	// Logger receives the failures that do not stop a sign-in (taking
	// back a counted request). Default slog.Default().
	Logger *slog.Logger
}

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Message is an email.
type Message struct {
	From, To, Subject string
	Text, HTML        string
	// URL and Code are the link and the code the bodies carry ("" when
	// they carry none), for senders that do not send the bodies, like Log.
	URL, Code string
}

// Provider implements [latch.EmailProvider].
type Provider struct {
	cfg     Config
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

var _ latch.EmailCodeProvider = (*Provider)(nil)

const (
	defaultText = `Sign in to {{.Host}}
{{if .URL}}
Open this link to sign in as {{.Email}}:

{{.URL}}
{{end}}{{if .Code}}
{{if .URL}}Or enter this code on the page that asked for the email:{{else}}Enter this code on the page that asked for the email, to sign in as {{.Email}}:{{end}}

    {{.Code}}
{{end}}
{{if .URL}}The link works once and expires at {{.Expires.Format "2006-01-02 15:04 MST"}}.{{end}}
{{- if .Code}}{{if .URL}}
{{end}}The code works once and expires at {{.CodeExpires.Format "2006-01-02 15:04 MST"}}.{{end}}
{{- if and .URL .Code}}
Once one of them is used, neither works again.{{end}}
If you did not ask for this email, you can ignore it.
`
	defaultHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to {{.Host}}</title></head>
<body style="font-family:system-ui,sans-serif;background:#f3f4f6;padding:24px;color:#111827">
<table role="presentation" width="100%" style="max-width:480px;margin:auto;background:#fff;border-radius:8px;padding:24px">
<tr><td><h1 style="font-size:20px;margin:0 0 16px">Sign in to {{.Host}}</h1>
{{- if .URL}}
<p>Use the button to sign in as <strong>{{.Email}}</strong>.</p>
<p style="margin:24px 0"><a href="{{.URL}}" style="background:#346df1;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600">Sign in</a></p>
{{- end}}
{{- if .Code}}
<p>{{if .URL}}Or enter this code on the page that asked for the email:{{else}}Enter this code on the page that asked for the email, to sign in as <strong>{{.Email}}</strong>:{{end}}</p>
<p style="margin:24px 0;font-size:28px;font-weight:600;letter-spacing:4px;font-family:ui-monospace,Menlo,Consolas,monospace">{{.Code}}</p>
{{- end}}
<p style="font-size:14px;color:#4b5563">
{{- if .URL}}The link works once and expires at {{.Expires.Format "2006-01-02 15:04 MST"}}. {{end}}
{{- if .Code}}The code works once and expires at {{.CodeExpires.Format "2006-01-02 15:04 MST"}}. {{end}}
{{- if and .URL .Code}}Once one of them is used, neither works again. {{end -}}
If you did not ask for this email, you can ignore it.</p>
</td></tr></table></body></html>`
)

// The password reset email.
var (
	resetSubject = texttemplate.Must(texttemplate.New("subject").Parse("Reset your password for {{.Host}}"))
	resetText    = texttemplate.Must(texttemplate.New("text").Parse(`Reset your password for {{.Host}}

Someone (we hope you) asked to reset the password of {{.Email}}. Open this
link to choose a new one:

{{.URL}}

The link works once and expires at {{.Expires.Format "2006-01-02 15:04 MST"}}.
If you did not ask for this email, you can ignore it: your password stays as it is.
`))
	resetHTML = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Reset your password for {{.Host}}</title></head>
<body style="font-family:system-ui,sans-serif;background:#f3f4f6;padding:24px;color:#111827">
<table role="presentation" width="100%" style="max-width:480px;margin:auto;background:#fff;border-radius:8px;padding:24px">
<tr><td><h1 style="font-size:20px;margin:0 0 16px">Reset your password for {{.Host}}</h1>
<p>Someone (we hope you) asked to reset the password of <strong>{{.Email}}</strong>.</p>
<p style="margin:24px 0"><a href="{{.URL}}" style="background:#346df1;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600">Choose a new password</a></p>
<p style="font-size:14px;color:#4b5563">The link works once and expires at {{.Expires.Format "2006-01-02 15:04 MST"}}. If you did not ask for this email, you can ignore it: your password stays as it is.</p>
</td></tr></table></body></html>`))
)

// New checks cfg and returns the provider.
func New(cfg Config) (*Provider, error) {
	var errs []error
	if cfg.ID == "" {
		cfg.ID = "email"
	}
	if cfg.Name == "" {
		cfg.Name = "Email"
	}
	if cfg.From == "" {
		errs = append(errs, errors.New("email: From is required, e.g. \"Example <no-reply@example.com>\""))
	}
	if cfg.Sender == nil {
		errs = append(errs, errors.New("email: Sender is required: email.SMTP(...) or, in development, email.Log(logger)"))
	}
	if cfg.Subject == "" {
		cfg.Subject = "Sign in to {{.Host}}"
	}
	if cfg.Text == "" {
		cfg.Text = defaultText
	}
	if cfg.HTML == "" {
		cfg.HTML = defaultHTML
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.Mode == "" {
		cfg.Mode = latch.EmailLinkAndCode
	}
	if !cfg.Mode.Valid() {
		errs = append(errs, fmt.Errorf("email: unknown Mode %q: want %q, %q, %q or %q", cfg.Mode, latch.EmailLinkAndCode, latch.EmailLink, latch.EmailCode, latch.EmailLinkSignsInOnGET))
	}
	if cfg.CodeMaxAge <= 0 {
		cfg.CodeMaxAge = DefaultCodeMaxAge
	}
	if cfg.MaxCodeTries <= 0 {
		cfg.MaxCodeTries = DefaultMaxCodeTries
	}
	if cfg.MaxPerAddress <= 0 {
		cfg.MaxPerAddress = DefaultMaxPerAddress
	}
	if cfg.MaxPerIP <= 0 {
		cfg.MaxPerIP = DefaultMaxPerIP
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Limiter == nil && cfg.CodeMaxAge > cfg.Window {
		errs = append(errs, fmt.Errorf("email: CodeMaxAge %v is longer than Window %v: a code whose wrong tries were counted could come back to life", cfg.CodeMaxAge, cfg.Window))
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteIP
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Provider{cfg: cfg}
	var err error
	if p.subject, err = texttemplate.New("subject").Parse(cfg.Subject); err != nil {
		errs = append(errs, fmt.Errorf("email: Subject: %w", err))
	}
	if p.text, err = texttemplate.New("text").Parse(cfg.Text); err != nil {
		errs = append(errs, fmt.Errorf("email: Text: %w", err))
	}
	if p.html, err = htmltemplate.New("html").Parse(cfg.HTML); err != nil {
		errs = append(errs, fmt.Errorf("email: HTML: %w", err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if p.cfg.Limiter == nil {
		p.cfg.Limiter = newMemoryLimiter(cfg)
	}
	return p, nil
}

// Info implements [latch.Provider].
func (p *Provider) Info() latch.ProviderInfo {
	return latch.ProviderInfo{ID: p.cfg.ID, Name: p.cfg.Name, Type: latch.TypeEmail}
}

// TokenMaxAge implements [latch.EmailProvider].
func (p *Provider) TokenMaxAge() time.Duration { return p.cfg.MaxAge }

// EmailMode implements [latch.EmailCodeProvider].
func (p *Provider) EmailMode() latch.EmailMode { return p.cfg.Mode }

// CodeMaxAge implements [latch.EmailCodeProvider].
func (p *Provider) CodeMaxAge() time.Duration { return p.cfg.CodeMaxAge }

// ErrInvalidAddress is returned by Normalize for an unusable address.
var ErrInvalidAddress = errors.New("email: not a valid email address")

// NormalizeAddress is NextAuth's (4.24) normalisation: NFKC, trimmed,
// lower-cased, exactly one "@", no quotes, non-empty local part, domain
// cut at the first "," and containing a dot.
func NormalizeAddress(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
	if strings.Count(s, "@") != 1 || strings.ContainsAny(s, "\"") || len(s) > 320 {
		return "", ErrInvalidAddress
	}
	local, domain, _ := strings.Cut(s, "@")
	domain, _, _ = strings.Cut(domain, ",")
	if local == "" || domain == "" || !strings.Contains(domain, ".") || strings.ContainsAny(s, " \t\r\n<>()[];:\\") {
		return "", ErrInvalidAddress
	}
	return local + "@" + domain, nil
}

// Normalize implements [latch.EmailProvider]: the address is normalised,
// then the request counts against the per-IP limit and, if that allows
// it, the per-address limit; a refused request counts against neither.
func (p *Provider) Normalize(ctx context.Context, r *http.Request, raw string) (string, error) {
	email, err := NormalizeAddress(raw)
	if err != nil {
		return "", err
	}
	if err := p.hit(ctx, p.ipKey(r), KeyPrefixAddress+email); err != nil {
		return "", err
	}
	return email, nil
}

// TryCode implements [latch.EmailCodeProvider]: the address is
// normalised, then the try counts against the per-IP limit and, if that
// allows it, against MaxCodeTries of the address; a right code is taken
// back from both.
func (p *Provider) TryCode(ctx context.Context, r *http.Request, raw string) (string, func(right bool), error) {
	email, err := NormalizeAddress(raw)
	if err != nil {
		return "", nil, &latch.Error{Code: latch.CodeVerification, Status: http.StatusBadRequest, Err: err}
	}
	keys := []string{p.ipKey(r), KeyPrefixCode + email}
	if err := p.hit(ctx, keys...); err != nil {
		return email, nil, err
	}
	return email, func(right bool) {
		if right {
			p.undo(ctx, keys...)
		}
	}, nil
}

// SendVerificationRequest implements [latch.EmailProvider].
func (p *Provider) SendVerificationRequest(ctx context.Context, req latch.VerificationRequest) error {
	data := struct {
		URL, Code, Host, Email string
		Expires, CodeExpires   time.Time
	}{req.URL, req.Code, req.Host, req.Identifier, req.Expires.UTC(), req.CodeExpires.UTC()}
	subjectT, textT, htmlT := p.subject, p.text, p.html
	if req.Purpose == latch.PurposePasswordReset {
		subjectT, textT, htmlT = resetSubject, resetText, resetHTML
	}
	var subject, text, html bytes.Buffer
	if err := subjectT.Execute(&subject, data); err != nil {
		return fmt.Errorf("email: subject: %w", err)
	}
	if err := textT.Execute(&text, data); err != nil {
		return fmt.Errorf("email: text: %w", err)
	}
	if err := htmlT.Execute(&html, data); err != nil {
		return fmt.Errorf("email: html: %w", err)
	}
	return p.cfg.Sender.Send(ctx, Message{
		From: p.cfg.From, To: req.Identifier,
		Subject: strings.TrimSpace(subject.String()), Text: text.String(), HTML: html.String(),
		URL: req.URL, Code: req.Code,
	})
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Log returns a Sender for development: it writes each message's link and
// code to the log instead of sending it, and says so.
func Log(log *slog.Logger) Sender { return logSender{log} }

type logSender struct{ log *slog.Logger }

func (s logSender) Send(ctx context.Context, m Message) error {
	s.log.WarnContext(ctx, "DEVELOPMENT MODE: no SMTP server configured; the sign-in email's link and code are logged instead of sent", "to", m.To, "link", m.URL, "code", m.Code)
	return nil
}
