// Package claims checks the time claims of a decrypted session token
// payload: the checks of jose's jwtDecrypt as next-auth 4 and Auth.js v5
// call it (clockTolerance 15 s, no required claims), plus a required
// "exp". Package jwt and the session endpoint's fast path share it, so
// every way Latch reads a token applies the same rules.
package claims

import (
	"errors"
	"time"

	"github.com/latchauth/latch/internal/jsonobj"
)

// Tolerance is how far "exp" and "nbf" may be off, as in NextAuth.
const Tolerance = 15 * time.Second

// The errors of [Check].
var (
	ErrExpired     = errors.New("jwt: token expired")
	ErrNotYetValid = errors.New(`jwt: token not valid yet ("nbf")`)
	ErrNoExpiry    = errors.New(`jwt: token has no "exp" claim`)
)

// Check checks the "iat", "nbf" and "exp" members of a token payload at
// now, as jose's jwtDecrypt does with a clock tolerance of [Tolerance]:
//
//   - "iat", when present, must be a number; its value is not checked
//     (jose checks it only with maxTokenAge, which NextAuth does not set);
//   - "nbf", when present, must be a number no later than now+Tolerance;
//   - "exp" must be a number later than now-Tolerance ([ErrExpired]).
//
// now is taken in whole seconds, as jose's clock is. Duplicate keys have
// been resolved by [jsonobj.Parse] as JSON.parse resolves them: the last
// value counts.
//
// Two deviations from jose, both stricter, both about tokens no NextAuth
// or Latch encoder writes (they always set "exp", to a plain number):
//
//   - A token without "exp" is refused ([ErrNoExpiry]). jose accepts it,
//     and it would never expire: a token that leaked once would be good
//     until the secret is rotated.
//   - A number beyond the range of float64 (1e400, which JSON.parse reads
//     as Infinity) is not a number here. jose would take "exp": 1e400 as
//     a token that never expires.
func Check(obj jsonobj.Object, now time.Time) error {
	return CheckRaw(obj.Get("iat"), obj.Get("nbf"), obj.Get("exp"), now)
}

// CheckRaw is [Check] for the raw values of "iat", "nbf" and "exp" (nil
// when absent), as [jsonobj.Object.Get] returns them.
func CheckRaw(iat, nbf, exp []byte, now time.Time) error {
	t := float64(now.Unix())
	tol := float64(Tolerance / time.Second)
	if v := iat; v != nil {
		if _, ok := jsonobj.NumberValue(v); !ok {
			return errors.New(`jwt: "iat" claim must be a number`)
		}
	}
	if v := nbf; v != nil {
		nbf, ok := jsonobj.NumberValue(v)
		if !ok {
			return errors.New(`jwt: "nbf" claim must be a number`)
		}
		if nbf > t+tol {
			return ErrNotYetValid
		}
	}
	if exp == nil {
		return ErrNoExpiry
	}
	e, ok := jsonobj.NumberValue(exp)
	if !ok {
		return errors.New(`jwt: "exp" claim must be a number`)
	}
	if Expired(e, now) {
		return ErrExpired
	}
	return nil
}

// Expired reports whether a token whose "exp" is exp (seconds since the
// epoch) is expired at now: exp <= now-Tolerance, with now in whole
// seconds, as jose decides it.
func Expired(exp float64, now time.Time) bool {
	return exp <= float64(now.Unix())-float64(Tolerance/time.Second)
}
