package latch

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchauth/latch/clientip"
	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/internal/ratelimit"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Error codes of the second factor.
const (
	// CodeSecondFactorRequired answers a right password of a user with a
	// second factor when the sign-in has no code: ask for one and sign in
	// again with it in the "code" field.
	CodeSecondFactorRequired = "SecondFactorRequired"
	// CodeSecondFactorInvalid answers a wrong (or used) code.
	CodeSecondFactorInvalid = "SecondFactorInvalid"
)

// SecondFactorConfig turns on a second factor for the users of
// credentials providers that ask for it ([Credentials.SecondFactor]; the
// built-in user database of provider/password does): TOTP (RFC 6238: 30 s
// steps, 6 digits, SHA-1, as authenticator apps expect) and 10 single-use
// recovery codes.
//
// A signed-in user turns it on at <base>/two-factor (a fresh sign-in is
// needed): the page shows a QR code and the otpauth:// secret, and the
// factor counts once a first code is typed; the recovery codes are shown
// then, once, and stored hashed. The secret is stored sealed with the
// first secret (AES-256-GCM).
//
// A sign-in with the right password then answers SecondFactorRequired
// until it carries a code (or a recovery code) in the "code" field; the
// built-in sign-in page asks for it in a second step, without asking for
// the password again. A code is accepted once (no replay within its
// window), and each user may type at most MaxWrongCodes wrong codes, and
// each client address MaxWrongCodesPerIP, per 15 minutes (in memory, per
// instance, unless Limiter is set). A passkey sign-in needs no second
// factor.
type SecondFactorConfig struct {
	Enabled bool
	// Issuer names the site in authenticator apps. Default Theme.AppName,
	// else the host of URL.
	Issuer string
	// MaxWrongCodes (default 5) and MaxWrongCodesPerIP (default 20).
	MaxWrongCodes, MaxWrongCodesPerIP int
	// Limiter replaces the in-memory counts of wrong codes, e.g. with one
	// in Redis that every instance shares (store/redis's Limiter). It
	// sees the keys "user:" + user ID and "ip:" + client address and
	// applies its own limits; MaxWrongCodes and MaxWrongCodesPerIP are
	// then unused.
	Limiter CodeLimiter
}

// CodeLimiter counts wrong second-factor codes per key, in windows (the
// shape of store/redis's Limiter and of provider/password's Limiter). A
// try is counted before the code is checked and taken back when it was
// right.
type CodeLimiter interface {
	// Hit counts one try for key and reports whether it is within the
	// limit, atomically; a refused try is not counted, and retryAfter is
	// how long until key may try again.
	Hit(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error)
	// Undo takes back one counted try of key.
	Undo(ctx context.Context, key string) error
	// Reset forgets the tries of key.
	Reset(ctx context.Context, key string) error
}

// memoryCodeLimiter is the default CodeLimiter: in memory, per instance.
type memoryCodeLimiter struct{ users, ips *ratelimit.Limiter }

func (m *memoryCodeLimiter) of(key string) (*ratelimit.Limiter, string) {
	if k, ok := strings.CutPrefix(key, "ip:"); ok {
		return m.ips, k
	}
	return m.users, key
}

func (m *memoryCodeLimiter) Hit(ctx context.Context, key string) (time.Duration, bool, error) {
	l, k := m.of(key)
	return l.Hit(ctx, k)
}

func (m *memoryCodeLimiter) Undo(ctx context.Context, key string) error {
	l, k := m.of(key)
	return l.Undo(ctx, k)
}

func (m *memoryCodeLimiter) Reset(ctx context.Context, key string) error {
	l, k := m.of(key)
	return l.Reset(ctx, k)
}

// SecondFactorEvent describes a change or use of a second factor.
type SecondFactorEvent struct {
	UserID string
	// Kind is "enrol" (turned on), "recovery-code" (a recovery code
	// signed in) or "reset" (turned off by [Auth.ResetSecondFactor]).
	Kind string
	// CodesLeft is how many recovery codes remain (recovery-code).
	CodesLeft int
}

const (
	totpPeriod        = 30
	recoveryCodeCount = 10
	wrongCodeWindow   = 15 * time.Minute
	pendingLife       = 5 * time.Minute
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// twoFactorState is the Auth's second factor, when on.
type twoFactorState struct {
	store   SecondFactorStore
	issuer  string
	limiter CodeLimiter // wrong codes per user and per client address
}

func (c *Config) validateSecondFactor() []error {
	if !c.SecondFactor.Enabled {
		return nil
	}
	var errs []error
	if _, ok := c.Store.(SecondFactorStore); !ok {
		errs = append(errs, errors.New("SecondFactor needs a Store that keeps second factors (latch.SecondFactorStore: store/sqlite, store/postgres, store/redis)"))
	}
	if c.SecondFactor.MaxWrongCodes < 0 || c.SecondFactor.MaxWrongCodesPerIP < 0 {
		errs = append(errs, errors.New("SecondFactor.MaxWrongCodes and MaxWrongCodesPerIP must not be negative"))
	}
	return errs
}

func (a *Auth) newSecondFactor() {
	sf := a.cfg.SecondFactor
	if !sf.Enabled {
		return
	}
	issuer := sf.Issuer
	if issuer == "" {
		issuer = a.cfg.Theme.AppName
	}
	if issuer == "" {
		issuer = hostOf(a.origin)
	}
	if issuer == "" {
		issuer = "Latch"
	}
	perUser, perIP := sf.MaxWrongCodes, sf.MaxWrongCodesPerIP
	if perUser == 0 {
		perUser = 5
	}
	if perIP == 0 {
		perIP = 20
	}
	a.twoFactor = &twoFactorState{store: a.cfg.Store.(SecondFactorStore), issuer: issuer, limiter: sf.Limiter}
	if a.twoFactor.limiter == nil {
		a.twoFactor.limiter = &memoryCodeLimiter{
			users: ratelimit.New(ratelimit.Config{Max: perUser, Window: wrongCodeWindow, Now: a.cfg.Now}),
			ips:   ratelimit.New(ratelimit.Config{Max: perIP, Window: wrongCodeWindow, Now: a.cfg.Now}),
		}
	}
}

// totpSealKey derives the key that seals TOTP secrets from a secret.
func totpSealKey(secret string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "Latch TOTP secret sealing", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealTOTP encrypts a base32 TOTP secret with the first secret, the user
// ID as additional data: 0x01 || nonce || ciphertext.
func (a *Auth) sealTOTP(userID, secret string) ([]byte, error) {
	aead, err := totpSealKey(a.cfg.Secrets[0])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1, 1+aead.NonceSize()+len(secret)+aead.Overhead())
	out[0] = 1
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, []byte(secret), []byte(userID)), nil
}

// unsealTOTP opens a sealed secret with any of the secrets.
func (a *Auth) unsealTOTP(userID string, sealed []byte) (string, error) {
	if len(sealed) < 1+12+16 || sealed[0] != 1 {
		return "", errors.New("not a sealed TOTP secret")
	}
	for _, s := range a.cfg.Secrets {
		aead, err := totpSealKey(s)
		if err != nil {
			return "", err
		}
		plain, err := aead.Open(nil, sealed[1:1+aead.NonceSize()], sealed[1+aead.NonceSize():], []byte(userID))
		if err == nil {
			return string(plain), nil
		}
	}
	return "", errors.New("no secret opens the TOTP secret")
}

// totpStep checks a 6-digit code against secret at now, one step of clock
// skew either way, and returns the step it belongs to, later than
// after; 0 when it is wrong.
func totpStep(secret, code string, now time.Time, after int64) int64 {
	step := now.Unix() / totpPeriod
	for s := step - 1; s <= step+1; s++ {
		if s <= after {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s
		}
	}
	return 0
}

// normalizeCode returns a code as typed without spaces and dashes, in
// lower case, and whether it looks like a TOTP code (6 digits).
func normalizeCode(code string) (string, bool) {
	var b strings.Builder
	for _, r := range code {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteRune(r)
		}
	}
	c := b.String()
	if len(c) != 6 {
		return c, false
	}
	for i := range 6 {
		if c[i] < '0' || c[i] > '9' {
			return c, false
		}
	}
	return c, true
}

// recoveryHash is how a recovery code is stored.
func recoveryHash(userID, code string) string {
	sum := sha256.Sum256([]byte("latch recovery code\x00" + userID + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// recoveryAlphabet is base32 without 0, 1, l, o (easy to read back).
const recoveryAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// newRecoveryCode returns a random code of 80 bits, as xxxx-xxxx-xxxx-xxxx.
func newRecoveryCode() string {
	b := make([]byte, 16)
	rand.Read(b)
	out := make([]byte, 0, 19)
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, recoveryAlphabet[c&31])
	}
	return string(out)
}

// checkSecondFactor decides whether a user whose password was right may
// sign in: nil when they have no confirmed second factor or code is right
// (and then it is used up), else an *Error (SecondFactorRequired,
// SecondFactorInvalid, TooManyRequests). A non-nil error is a failure.
func (a *Auth) checkSecondFactor(ctx context.Context, r *http.Request, userID, code string) (*Error, error) {
	tf := a.twoFactor
	rec, err := tf.store.TOTP(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("second factor: %w", err)
	}
	if rec.Confirmed.IsZero() {
		return nil, nil // a pending enrolment does not count yet
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return &Error{Code: CodeSecondFactorRequired, Status: http.StatusUnauthorized}, nil
	}
	keys := []string{"user:" + userID}
	if ip := a.cfg.ClientIP(r); ip != "" {
		keys = append(keys, "ip:"+clientip.Key(ip))
	}
	// A try counts as a wrong code until it turns out right.
	bg := context.WithoutCancel(ctx) // the counts must be right
	for i, k := range keys {
		retry, ok, err := tf.limiter.Hit(ctx, k)
		if err != nil || !ok {
			for _, k := range keys[:i] {
				tf.limiter.Undo(bg, k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("second factor: rate limit: %w", err)
		}
		if !ok {
			a.log.Warn("latch: too many wrong second-factor codes", "user", userID, "ip", a.cfg.ClientIP(r))
			return &Error{Code: CodeTooManyRequests, Status: http.StatusTooManyRequests, RetryAfter: retry}, nil
		}
	}
	ok, recovery, err := a.useCode(ctx, userID, rec, code)
	if err != nil {
		for _, k := range keys {
			tf.limiter.Undo(bg, k)
		}
		return nil, err
	}
	if !ok {
		return &Error{Code: CodeSecondFactorInvalid, Status: http.StatusUnauthorized}, nil
	}
	// Right: the user's wrong codes are forgotten, the address's stay.
	if err := tf.limiter.Reset(bg, keys[0]); err != nil {
		a.log.Error("latch: reset wrong-code count", "err", err)
	}
	if len(keys) > 1 {
		tf.limiter.Undo(bg, keys[1])
	}
	if recovery {
		left, _ := tf.store.RecoveryCodesLeft(ctx, userID)
		a.log.Info("latch: signed in with a recovery code", "user", userID, "left", left)
		if f := a.cfg.Events.SecondFactor; f != nil {
			f(ctx, SecondFactorEvent{UserID: userID, Kind: "recovery-code", CodesLeft: left})
		}
	}
	return nil, nil
}

// useCode checks code (a TOTP code or a recovery code) and uses it up.
func (a *Auth) useCode(ctx context.Context, userID string, rec *TOTPRecord, code string) (ok, recovery bool, err error) {
	tf := a.twoFactor
	c, isTOTP := normalizeCode(code)
	if isTOTP {
		secret, err := a.unsealTOTP(userID, rec.Sealed)
		if err != nil {
			return false, false, fmt.Errorf("second factor of %s: %w", userID, err)
		}
		step := totpStep(secret, c, a.now(), rec.LastStep)
		if step == 0 {
			return false, false, nil
		}
		err = tf.store.UseTOTPStep(ctx, userID, step)
		if errors.Is(err, ErrConflict) {
			return false, false, nil // used concurrently
		}
		return err == nil, false, err
	}
	if len(c) > 64 {
		return false, false, nil
	}
	err = tf.store.UseRecoveryCode(ctx, userID, recoveryHash(userID, c))
	if errors.Is(err, ErrNotFound) {
		return false, false, nil
	}
	return err == nil, true, err
}

// ResetSecondFactor turns a user's second factor off (for an admin: a
// user who lost it) and fires the SecondFactor event; ErrNotFound when
// they had none.
func (a *Auth) ResetSecondFactor(ctx context.Context, userID string) error {
	if a.twoFactor == nil {
		return errors.New("latch: ResetSecondFactor needs Config.SecondFactor")
	}
	if err := a.twoFactor.store.DeleteSecondFactor(ctx, userID); err != nil {
		return err
	}
	a.log.Info("latch: second factor reset", "user", userID)
	if f := a.cfg.Events.SecondFactor; f != nil {
		f(ctx, SecondFactorEvent{UserID: userID, Kind: "reset"})
	}
	return nil
}

// setPendingSecondFactor remembers, for the second step of the built-in
// sign-in page, that userID gave the right password to provider.
func (x *exchange) setPendingSecondFactor(userID, provider string) {
	name := x.names.pending2FA
	now := x.a.now()
	v, err := x.names.checks[name].Encode(map[string]any{"value": userID, "provider": provider}, now, pendingLife)
	if err != nil {
		x.a.log.Error("latch: second-factor cookie", "err", err)
		return
	}
	x.setCookie(name, cookie.Serialize(name, v, int(pendingLife/time.Second), now.Add(pendingLife), x.names.opts))
}

// pendingSecondFactor returns the user who gave the right password to
// provider in this browser within the last minutes, or "".
func (x *exchange) pendingSecondFactor(provider string) string {
	user, p := x.pendingSignIn()
	if p != provider {
		return ""
	}
	return user
}

// pendingSignIn returns the user and provider of the pending second
// step, or "".
func (x *exchange) pendingSignIn() (user, provider string) {
	name := x.names.pending2FA
	raw, ok := cookie.Get(x.cookies, name)
	if !ok {
		return "", ""
	}
	claims, err := x.names.checks[name].Decode(raw, x.a.now())
	if err != nil {
		return "", ""
	}
	user, _ = claims["value"].(string)
	provider, _ = claims["provider"].(string)
	if user == "" || provider == "" {
		return "", ""
	}
	return user, provider
}

func (x *exchange) clearPendingSecondFactor() {
	if _, ok := cookie.Get(x.cookies, x.names.pending2FA); ok {
		x.setCookie(x.names.pending2FA, cookie.Clear(x.names.pending2FA, x.names.opts))
	}
}
