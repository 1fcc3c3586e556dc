package email_test

import (
	"context"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/store/sqlite"
)

// Email sign-in with a link and a code (the default mode): the link opens
// a page with a "Sign in" button, the code is typed on the verify-request
// page.
func Example() {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, "latch.db")
	if err != nil {
		log.Fatal(err)
	}
	sender, err := email.SMTP(email.SMTPConfig{Host: "smtp.example.com", Username: "latch", Password: os.Getenv("SMTP_PASSWORD")})
	if err != nil {
		log.Fatal(err)
	}
	p, err := email.New(email.Config{
		From:   "Example <no-reply@example.com>",
		Sender: sender,
		Mode:   latch.EmailLinkAndCode, // or EmailLink, EmailCode, EmailLinkSignsInOnGET
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := latch.New(latch.Config{
		URL:       "https://example.com/api/auth",
		Secrets:   []string{os.Getenv("LATCH_SECRET")},
		Store:     store,
		Providers: []latch.Provider{p},
	})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/api/auth/", auth)
}

// In development, Log writes the link and the code of each email to the
// log instead of sending it.
func ExampleLog() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	p, err := email.New(email.Config{From: "Example <no-reply@example.com>", Sender: email.Log(logger), Mode: latch.EmailCode})
	if err != nil {
		log.Fatal(err)
	}
	// What Latch sends for a sign-in in mode code.
	p.SendVerificationRequest(context.Background(), latch.VerificationRequest{
		Identifier: "ann@example.com", Host: "example.com",
		Code: "7KQ4-M2XD", CodeExpires: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
	})
	// Output:
	// level=WARN msg="DEVELOPMENT MODE: no SMTP server configured; the sign-in email's link and code are logged instead of sent" to=ann@example.com link="" code=7KQ4-M2XD
}
