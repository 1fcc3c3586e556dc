package claims

import (
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/jsonobj"
)

func TestCheck(t *testing.T) {
	now := time.Unix(1000, 999_000_000) // jose's clock is whole seconds: 1000
	tests := []struct {
		payload string
		want    error // nil: accepted; errAny: some error
	}{
		{`{"exp":986}`, nil},
		{`{"exp":985.5}`, nil},
		{`{"exp":985}`, ErrExpired},
		{`{"exp":1,"exp":2000}`, nil},
		{`{"exp":2000,"exp":1}`, ErrExpired},
		{`{}`, ErrNoExpiry},
		{`{"exp":null}`, errAny},
		{`{"exp":"2000"}`, errAny},
		{`{"exp":1e400}`, errAny},
		{`{"exp":2000,"nbf":1015}`, nil},
		{`{"exp":2000,"nbf":1016}`, ErrNotYetValid},
		{`{"exp":2000,"nbf":false}`, errAny},
		{`{"exp":2000,"iat":5000}`, nil},
		{`{"exp":2000,"iat":"5"}`, errAny},
	}
	for _, tt := range tests {
		obj, err := jsonobj.Parse([]byte(tt.payload))
		if err != nil {
			t.Fatal(err)
		}
		err = Check(obj, now)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("Check(%s) = %v; want nil", tt.payload, err)
		case tt.want == errAny && err == nil:
			t.Errorf("Check(%s) = nil; want an error", tt.payload)
		case tt.want != nil && tt.want != errAny && !errors.Is(err, tt.want):
			t.Errorf("Check(%s) = %v; want %v", tt.payload, err, tt.want)
		}
	}
}

var errAny = errors.New("any error")
