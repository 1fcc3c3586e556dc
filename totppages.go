package latch

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"image/png"
	"net/http"
	"strings"

	"github.com/latchauth/latch/internal/pages"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// serveTwoFactorPage answers GET <base>/two-factor, where a signed-in
// user sees and turns on the second factor, and its POSTs: action=start
// (a new pending secret) and action=confirm (its first code, which turns
// it on and shows the recovery codes).
func (a *Auth) serveTwoFactorPage(x *exchange) {
	ctx := x.r.Context()
	page := x.base + "/two-factor"
	user, _, signIn := a.pageUser(x, page)
	if user == nil {
		return
	}
	tf := a.twoFactor
	d := pages.TwoFactor{Theme: a.theme, CSRFToken: x.csrfToken, PageURL: page, SignInURL: signIn, User: user.Email, Fresh: x.freshSignIn(user.ID)}
	if d.User == "" {
		d.User = user.Name
	}
	rec, err := tf.store.TOTP(ctx, user.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		a.log.Error("latch: two-factor page", "err", err)
		x.plainError(http.StatusInternalServerError, "Error: the second factor could not be read")
		return
	}
	enabled := rec != nil && !rec.Confirmed.IsZero()
	render := func(status int) {
		x.html(status, func(w *strings.Builder) error { return pages.RenderTwoFactor(w, d) })
	}
	if x.r.Method == http.MethodPost {
		if !x.csrfVerified {
			x.plainError(http.StatusForbidden, "Error: the form is out of date (CSRF check failed); reload the page and try again")
			return
		}
		if enabled || !d.Fresh {
			// Nothing to change: show the page as it is.
			d.Enabled = enabled
			render(http.StatusConflict)
			return
		}
		var status int
		switch x.body.Get("action") {
		case "start":
			status = a.startTOTP(x, user, &d, nil)
		case "confirm":
			status = a.confirmTOTP(x, user, rec, &d)
		default:
			x.plainError(http.StatusBadRequest, "Error: action must be start or confirm")
			return
		}
		render(status)
		return
	}
	d.Enabled = enabled
	if rec != nil && !enabled && d.Fresh {
		// A pending enrolment: show its secret again, to finish it.
		if secret, err := a.unsealTOTP(user.ID, rec.Sealed); err == nil {
			if key, err := a.totpKey(user, secret); err == nil {
				d.Enrol, _ = enrolView(key)
			}
		}
	}
	if enabled {
		if d.CodesLeft, err = tf.store.RecoveryCodesLeft(ctx, user.ID); err != nil {
			a.log.Error("latch: two-factor page", "err", err)
		}
	}
	render(http.StatusOK)
}

// totpKey is the otpauth key of a secret (base32) for user, or a new
// random one when secret is "".
func (a *Auth) totpKey(user *StoredUser, secret string) (*otp.Key, error) {
	account := user.Email
	if account == "" {
		account = user.ID
	}
	opts := totp.GenerateOpts{Issuer: a.twoFactor.issuer, AccountName: account, Period: totpPeriod, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm}
	if secret != "" {
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
		if err != nil {
			return nil, err
		}
		opts.Secret = raw
	}
	return totp.Generate(opts)
}

// startTOTP makes a new pending secret and puts it on the page; it
// returns the page's status.
func (a *Auth) startTOTP(x *exchange, user *StoredUser, d *pages.TwoFactor, _ *TOTPRecord) int {
	key, err := a.totpKey(user, "")
	if err != nil {
		a.log.Error("latch: new TOTP secret", "err", err)
		d.Message = "The secret could not be made; try again."
		return http.StatusInternalServerError
	}
	sealed, err := a.sealTOTP(user.ID, key.Secret())
	if err == nil {
		err = a.twoFactor.store.SetTOTP(x.r.Context(), TOTPRecord{UserID: user.ID, Sealed: sealed, Created: a.now()})
	}
	if err != nil {
		a.log.Error("latch: store TOTP secret", "err", err)
		d.Message = "The secret could not be stored; try again."
		return http.StatusInternalServerError
	}
	if d.Enrol, err = enrolView(key); err != nil {
		a.log.Error("latch: QR code", "err", err)
		d.Message = "The QR code could not be drawn; type in the key instead."
	}
	return http.StatusOK
}

func enrolView(key *otp.Key) (*pages.TOTPEnrol, error) {
	e := &pages.TOTPEnrol{Secret: key.Secret(), URI: key.URL()}
	img, err := key.Image(200, 200)
	if err != nil {
		return e, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return e, err
	}
	e.QR = base64.StdEncoding.EncodeToString(b.Bytes())
	return e, nil
}

// confirmTOTP checks the first code of a pending secret: right, the
// factor is on and the page shows the recovery codes. It returns the
// page's status.
func (a *Auth) confirmTOTP(x *exchange, user *StoredUser, rec *TOTPRecord, d *pages.TwoFactor) int {
	ctx := x.r.Context()
	tf := a.twoFactor
	if rec == nil {
		d.Message = "Start again: set up an authenticator app first."
		return http.StatusConflict
	}
	secret, err := a.unsealTOTP(user.ID, rec.Sealed)
	if err != nil {
		a.log.Error("latch: open TOTP secret", "user", user.ID, "err", err)
		d.Message = "The pending secret could not be read; start again."
		return http.StatusConflict
	}
	key, err := a.totpKey(user, secret)
	if err != nil {
		a.log.Error("latch: TOTP key", "user", user.ID, "err", err)
		d.Message = "The pending secret could not be read; start again."
		return http.StatusConflict
	}
	retry, ok, err := tf.limiter.Hit(ctx, "user:"+user.ID)
	if err != nil {
		a.log.Error("latch: wrong-code limit", "err", err)
		d.Enrol, _ = enrolView(key)
		d.Message = "The code could not be checked; try again."
		return http.StatusServiceUnavailable
	}
	if !ok {
		a.log.Warn("latch: too many wrong codes confirming a second factor", "user", user.ID, "retryAfter", retry)
		d.Enrol, _ = enrolView(key)
		d.Message = "Too many wrong codes. Wait a few minutes and try again."
		return http.StatusTooManyRequests
	}
	code, isTOTP := normalizeCode(x.body.Get("code"))
	step := int64(0)
	if isTOTP {
		step = totpStep(secret, code, a.now(), rec.LastStep)
	}
	if step == 0 {
		d.Enrol, _ = enrolView(key)
		d.Message = "That code is wrong. Check the time on your device and try again."
		return http.StatusUnprocessableEntity
	}
	tf.limiter.Reset(context.WithoutCancel(ctx), "user:"+user.ID)
	codes := make([]string, recoveryCodeCount)
	hashes := make([]string, recoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryHash(user.ID, strings.ReplaceAll(codes[i], "-", ""))
	}
	rec.Confirmed, rec.LastStep = a.now(), step
	if err := tf.store.SetRecoveryCodes(ctx, user.ID, hashes); err != nil {
		a.log.Error("latch: store recovery codes", "err", err)
		d.Message = "The recovery codes could not be stored; try again."
		return http.StatusInternalServerError
	}
	if err := tf.store.SetTOTP(ctx, *rec); err != nil {
		a.log.Error("latch: turn on TOTP", "err", err)
		d.Message = "Two-factor authentication could not be turned on; try again."
		return http.StatusInternalServerError
	}
	a.log.Info("latch: second factor turned on", "user", user.ID)
	if f := a.cfg.Events.SecondFactor; f != nil {
		f(ctx, SecondFactorEvent{UserID: user.ID, Kind: "enrol", CodesLeft: recoveryCodeCount})
	}
	d.RecoveryCodes, d.Enabled = codes, true
	return http.StatusOK
}
