package jsonobj

import (
	"bytes"
	"encoding/json"
	"reflect"
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
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"b","c":[1,2,{"d":null}],"e":{"f":true}}`, `{"\u00e9":"\ud83d\ude00"}`, ` { "a" : 1 } `} {
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
			got[m.Key()] = m.Value
		}
		if len(got) != len(want) {
			return // duplicate keys: encoding/json keeps the last
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
