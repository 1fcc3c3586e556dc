package clientip_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/latchauth/latch/clientip"
)

func TestIP(t *testing.T) {
	r, err := clientip.New([]string{"10.0.0.0/8", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"direct client lying", "203.0.113.7:5000", []string{"1.2.3.4"}, "203.0.113.7"},
		{"behind the proxy", "10.0.0.2:443", []string{"198.51.100.9"}, "198.51.100.9"},
		{"spoofed left part ignored", "10.0.0.2:443", []string{"1.1.1.1, 198.51.100.9"}, "198.51.100.9"},
		{"two trusted hops", "127.0.0.1:80", []string{"198.51.100.9, 10.1.2.3"}, "198.51.100.9"},
		{"several headers", "10.0.0.2:443", []string{"1.1.1.1", "198.51.100.9"}, "198.51.100.9"},
		{"all trusted", "10.0.0.2:443", []string{"10.9.9.9"}, "10.9.9.9"},
		{"garbage hop", "10.0.0.2:443", []string{"nonsense"}, "10.0.0.2"},
		{"IPv6 client", "10.0.0.2:443", []string{"2001:db8::1"}, "2001:db8::1"},
		{"no header", "10.0.0.2:443", nil, "10.0.0.2"},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		for _, h := range tc.xff {
			req.Header.Add("X-Forwarded-For", h)
		}
		if got := r.IP(req); got != tc.want {
			t.Errorf("%s: IP = %q; want %q", tc.name, got, tc.want)
		}
	}
	var zero clientip.Resolver
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:1"
	req.Header.Set("X-Forwarded-For", "1.2.3.4")
	if got := zero.IP(req); got != "10.0.0.2" {
		t.Errorf("zero Resolver = %q; want the peer", got)
	}
	if _, err := clientip.New([]string{"not-a-cidr"}); err == nil {
		t.Error("New(not-a-cidr): want error")
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::/64"},
		{"2001:db8:0:0:ffff::1", "2001:db8::/64"},
		{"2001:db8:0:1::1", "2001:db8:0:1::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an ip", "not an ip"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := clientip.Key(tt.in); got != tt.want {
			t.Errorf("Key(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func ExampleKey() {
	fmt.Println(clientip.Key("2001:db8:1:2::1"))
	fmt.Println(clientip.Key("2001:db8:1:2:ffff::9"))
	fmt.Println(clientip.Key("::ffff:192.0.2.1"))
	// Output:
	// 2001:db8:1:2::/64
	// 2001:db8:1:2::/64
	// 192.0.2.1
}
