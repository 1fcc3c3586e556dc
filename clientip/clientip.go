// Package clientip finds the address of the client behind a request when
// proxies you trust stand in between: rate limits need the client, not
// the load balancer. X-Forwarded-For is read only from trusted proxies, so
// a client cannot choose its address by sending the header itself.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds client addresses. The zero value trusts no proxy and
// answers the host of RemoteAddr.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that trusts the proxies in cidrs (e.g.
// "10.0.0.0/8", "127.0.0.1/32"; a bare address means just that address).
func New(cidrs []string) (*Resolver, error) {
	r := &Resolver{}
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return nil, fmt.Errorf("clientip: %q is neither an address nor a CIDR range", c)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// FromTrustedProxy reports whether req came straight from one of the
// trusted proxies, whose X-Forwarded-* headers may then be believed.
func (r *Resolver) FromTrustedProxy(req *http.Request) bool {
	if r == nil || len(r.trusted) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && r.isTrusted(peer)
}

// IP returns the client's address: the connection's peer, or, when that
// is a trusted proxy, the right-most address of X-Forwarded-For that is not
// a trusted proxy.
func (r *Resolver) IP(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || r == nil || !r.isTrusted(peer) {
		return host
	}
	var hops []string
	for _, h := range req.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: the last good one is the best we know
		}
		client = a
		if !r.isTrusted(a) {
			break
		}
	}
	return client.Unmap().String()
}

// Key is the rate-limit key of a client address: an IPv4 address (also
// when written IPv4-mapped, ::ffff:a.b.c.d) as itself, an IPv6 address as
// its /64 network, which one client typically controls whole, so that it
// cannot step past a limit by rotating addresses. Zones are dropped;
// anything that is not an address is returned unchanged. Every limit
// keyed by client address should use it, so that they agree.
func Key(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
