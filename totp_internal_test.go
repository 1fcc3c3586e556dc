package latch

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// FuzzNormalizeCode checks the reading of typed second-factor codes:
// never a space, dash or capital in the result, and a TOTP code is
// exactly six digits.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456 ", "abcd-efgh-jkmn-pqrs", "ABCD-EFGH", "12345", "1234567", "١٢٣٤٥٦", "\x00\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, isTOTP := normalizeCode(in)
		if strings.ContainsAny(c, " -\tABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("normalizeCode(%q) = %q", in, c)
		}
		if isTOTP && (len(c) != 6 || strings.Trim(c, "0123456789") != "") {
			t.Fatalf("normalizeCode(%q) = %q, a TOTP code", in, c)
		}
	})
}

func TestTOTPStepSkewAndReplay(t *testing.T) {
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Unix(1_900_000_015, 0)
	step := now.Unix() / totpPeriod
	code := func(s int64) string {
		c, _ := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		return c
	}
	for _, tc := range []struct {
		s, after, want int64
	}{
		{step, 0, step}, {step - 1, 0, step - 1}, {step + 1, 0, step + 1},
		{step - 2, 0, 0}, {step + 2, 0, 0}, // outside the skew
		{step, step, 0}, {step - 1, step - 1, 0}, // used
	} {
		if got := totpStep(secret, code(tc.s), now, tc.after); got != tc.want {
			t.Errorf("code of step %+d after %d: step %d; want %d", tc.s-step, tc.after-step, got, tc.want)
		}
	}
	if got := totpStep(secret, "000000", now, 0); got != 0 && code(got) != "000000" {
		t.Errorf("a wrong code matched step %d", got)
	}
}

func TestSealTOTP(t *testing.T) {
	a := &Auth{cfg: Config{Secrets: []string{"new-secret-0123456789abcdefghijklmnop", "old-secret-0123456789abcdefghijklmnop"}}}
	old := &Auth{cfg: Config{Secrets: []string{"old-secret-0123456789abcdefghijklmnop"}}}
	sealed, err := old.sealTOTP("u1", "SECRETBASE32")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), "SECRETBASE32") {
		t.Fatal("the sealed secret holds it in the clear")
	}
	if got, err := a.unsealTOTP("u1", sealed); err != nil || got != "SECRETBASE32" {
		t.Errorf("unseal with a rotated secret list = %q, %v", got, err)
	}
	if _, err := a.unsealTOTP("u2", sealed); err == nil {
		t.Error("a secret sealed for u1 opened for u2")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := a.unsealTOTP("u1", sealed); err == nil {
		t.Error("a tampered sealed secret opened")
	}
}
