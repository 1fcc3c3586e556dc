package email

import (
	"context"
	"errors"
	"fmt"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTPConfig is an SMTP server to send through.
type SMTPConfig struct {
	Host string
	// Port defaults to 587 (STARTTLS), or 465 with ImplicitTLS.
	Port               int
	Username, Password string
	// ImplicitTLS connects with TLS from the start (SMTPS, port 465).
	ImplicitTLS bool
	// InsecureNoTLS sends without TLS: only for a relay on localhost or a
	// test server.
	InsecureNoTLS bool
	// Timeout bounds each delivery. Default 30 seconds.
	Timeout time.Duration
}

type smtpSender struct{ cfg SMTPConfig }

// SMTP returns a Sender that delivers through an SMTP server.
func SMTP(cfg SMTPConfig) (Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("email: SMTP Host is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.ImplicitTLS {
			cfg.Port = 465
		}
	}
	return smtpSender{cfg}, nil
}

func (s smtpSender) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return fmt.Errorf("email: sender address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("email: recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(s.cfg.Timeout)}
	switch {
	case s.cfg.InsecureNoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case s.cfg.ImplicitTLS:
		opts = append(opts, mail.WithSSL())
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	c, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("email: smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("email: send to %s: %w", m.To, err)
	}
	return nil
}
