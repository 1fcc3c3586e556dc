package jsonobj

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseRoundTrip(t *testing.T) {
	in := `{"name":"J \"Smith\"","picture":null,"n":-1.5e3,"a":[1,{"x":"]"}],"o":{"k":[]},"t":true,"é":"ü"}`
	obj, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(obj.AppendTo(nil)); got != in {
		t.Errorf("AppendTo = %s; want %s", got, in)
	}
	if s, ok := obj.String("name"); !ok || s != `J "Smith"` {
		t.Errorf("String(name) = %q, %v", s, ok)
	}
	if n, ok := obj.Number("n"); !ok || n != -1500 {
		t.Errorf("Number(n) = %v, %v", n, ok)
	}
	if _, ok := obj.String("picture"); ok {
		t.Error("String(picture) of null: ok")
	}
	obj = obj.Set("n", []byte("7")).Set("new", []byte(`"v"`))
	var m map[string]any
	if err := json.Unmarshal(obj.AppendTo(nil), &m); err != nil || m["n"] != 7.0 || m["new"] != "v" {
		t.Errorf("after Set: %v %v", m, err)
	}
}

// TestParseDuplicates: a repeated key is one member, where the first was,
// with the last value, as JSON.parse reads it.
func TestParseDuplicates(t *testing.T) {
	var many strings.Builder
	many.WriteString(`{`)
	for i := range 40 {
		fmt.Fprintf(&many, `"k%d":%d,`, i%20, i)
	}
	many.WriteString(`"k0":"last"}`)
	var manyWant strings.Builder
	manyWant.WriteString(`{"k0":"last"`)
	for i := 1; i < 20; i++ {
		fmt.Fprintf(&manyWant, `,"k%d":%d`, i, i+20)
	}
	manyWant.WriteString(`}`)
	tests := []struct{ in, want string }{
		{`{"exp":1,"sub":"a","exp":2}`, `{"exp":2,"sub":"a"}`},
		{`{"exp":1,"e\u0078p":2}`, `{"exp":2}`},
		{`{"e\u0078p":1,"exp":2,"exp":3}`, `{"e\u0078p":3}`},
		{`{"é":1,"\u00e9":2}`, `{"é":2}`},
		{`{"":1,"":2}`, `{"":2}`},
		{many.String(), manyWant.String()},
	}
	for _, tt := range tests {
		obj, err := Parse([]byte(tt.in))
		if err != nil {
			t.Fatalf("Parse(%s): %v", tt.in, err)
		}
		if got := string(obj.AppendTo(nil)); got != tt.want {
			t.Errorf("Parse(%s) = %s; want %s", tt.in, got, tt.want)
		}
	}
	obj, _ := Parse([]byte(`{"exp":1,"exp":2}`))
	if n, ok := obj.Number("exp"); !ok || n != 2 {
		t.Errorf("Number(exp) = %v, %v; want the last value, 2", n, ok)
	}
	if got := string(obj.Set("exp", []byte("3")).AppendTo(nil)); got != `{"exp":3}` {
		t.Errorf("after Set: %s; want {\"exp\":3}", got)
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{``, `[]`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1}x`, `{"a":[1,]}`, `{"a":"\u0001` + "\x01" + `"}`, `"s"`, `{"a":{"b":1}`, `{"a":tru}`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q): want error", in)
		}
	}
}

// FuzzParse checks Parse against encoding/json: on valid objects both agree
// on every member; on anything else Parse fails or the input was valid.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"b","c":[1,2,{"d":null}],"e":{"f":true}}`, `{"\u00e9":"\ud83d\ude00"}`, ` { "a" : 1 } `,
		`{"exp":1,"exp":2}`, `{"exp":1,"e\u0078p":2,"a":3}`, `{"é":1,"\u00e9":2}`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18,"q":19}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		obj, err := Parse(b)
		var want map[string]json.RawMessage
		werr := json.Unmarshal(b, &want)
		if err != nil {
			return // Parse may be stricter (duplicate handling aside) but never looser
		}
		if werr != nil {
			t.Fatalf("Parse accepted %q that encoding/json rejects: %v", b, werr)
		}
		got := map[string]json.RawMessage{}
		for _, m := range obj {
			if _, dup := got[m.Key()]; dup {
				t.Fatalf("Parse(%q) kept key %q twice", b, m.Key())
			}
			got[m.Key()] = m.Value
		}
		if len(got) != len(want) {
			t.Fatalf("Parse(%q) has %d members; encoding/json %d", b, len(got), len(want))
		}
		for k, v := range want {
			var a, b any
			json.Unmarshal(v, &a)
			json.Unmarshal(got[k], &b)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("member %q = %s; encoding/json says %s", k, got[k], v)
			}
		}
		if !json.Valid(obj.AppendTo(nil)) && bytes.Count(b, []byte("{")) < 60 {
			t.Fatalf("AppendTo produced invalid JSON from %q", b)
		}
	})
}

// FuzzValidScalar compares validScalar with json.Valid.
func FuzzValidScalar(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "-1.5e3", "1E+2", "1e", "01", "1.", ".1", "-", "true", "false", "null", "nul", "1.5e-07", "+1", "1e5.2", "Infinity", "NaN", "0x1", "1_0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := json.Valid(b) && len(b) > 0 && !bytes.ContainsAny(b, " \t\r\n\"[{")
		if got := validScalar(b); got != want {
			t.Fatalf("validScalar(%q) = %v; json.Valid says %v", b, got, want)
		}
	})
}

// TestValidScalar runs FuzzValidScalar's comparison over every string of
// up to four characters of number syntax.
func TestValidScalar(t *testing.T) {
	const chars = "019-+.eEa"
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		want := json.Valid([]byte(prefix)) && prefix != ""
		if got := validScalar([]byte(prefix)); got != want {
			t.Fatalf("validScalar(%q) = %v; json.Valid says %v", prefix, got, want)
		}
		if n == 0 {
			return
		}
		for i := 0; i < len(chars); i++ {
			gen(prefix+chars[i:i+1], n-1)
		}
	}
	gen("", 5)
	for _, s := range []string{"true", "false", "null", "tru", "nulll", "-1.5e+300", "1e400"} {
		if got, want := validScalar([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validScalar(%q) = %v; want %v", s, got, want)
		}
	}
}

// TestNumberValue compares NumberValue with strconv.ParseFloat.
func TestNumberValue(t *testing.T) {
	inputs := []string{"0", "-0", "1", "-1", "123456789012345", "1234567890123456", "-123456789012345", "1.5", "1e3", "-", "", "01", "1a", "a", "9007199254740993", "1767225600", "-.5"}
	for i := range 2000 {
		inputs = append(inputs, strconv.Itoa(i*7919-500), strconv.FormatInt(int64(i)*1_000_000_007, 10))
	}
	for _, s := range inputs {
		got, ok := NumberValue([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		wantOK := err == nil && s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9')
		if ok != wantOK || ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("NumberValue(%q) = %v, %v; ParseFloat: %v, %v", s, got, ok, want, err)
		}
	}
}

// TestParseIntoAllocations: parsing into a caller's array allocates
// nothing.
func TestParseIntoAllocations(t *testing.T) {
	b := []byte(`{"name":"Jane","email":"jane@example.com","sub":"1","iat":1700000000,"exp":1702592000,"jti":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}`)
	n := testing.AllocsPerRun(100, func() {
		var buf [16]Member
		obj, err := ParseInto(buf[:0], b)
		if err != nil || len(obj) != 6 {
			t.Fatal(len(obj), err)
		}
		if _, ok := obj.Number("exp"); !ok {
			t.Fatal("exp")
		}
	})
	if n != 0 {
		t.Errorf("%v allocations; want 0", n)
	}
}

func BenchmarkParseInto(b *testing.B) {
	p := []byte(`{"name":"Jane Smith","email":"jane@example.com","sub":"1","iat":1765100000,"exp":1767692000,"jti":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}`)
	b.ReportAllocs()
	for b.Loop() {
		var buf [16]Member
		if _, err := ParseInto(buf[:0], p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSkipKey compares skipKey with skipString and hasEscapes on every
// string of up to four characters from a set of interesting bytes.
func TestSkipKey(t *testing.T) {
	chars := []byte{'a', '"', '\\', 'u', '0', 0x1f, 0x7f, 0xc3, 0xa9, ' ', 'n'}
	var gen func(prefix []byte, n int)
	gen = func(prefix []byte, n int) {
		b := append([]byte{'"'}, prefix...)
		end, plain, err := skipKey(b, 0)
		wend, werr := skipString(b, 0)
		if (err == nil) != (werr == nil) || err == nil && (end != wend || plain != !hasEscapes(b[:end])) {
			t.Fatalf("skipKey(%q) = %d, %v, %v; skipString: %d, %v", b, end, plain, err, wend, werr)
		}
		if n == 0 {
			return
		}
		for _, c := range chars {
			gen(append(prefix[:len(prefix):len(prefix)], c), n-1)
		}
	}
	gen(nil, 5)
}
