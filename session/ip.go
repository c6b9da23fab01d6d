package session

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// RemoteIP returns the address of the peer that sent the request, without
// its port: the client itself, or the last proxy in front of the
// application. It is the default of Config.ClientIP and web's ClientIP.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ForwardedIP returns a ClientIP function for an application behind
// reverse proxies. When the peer is one of the trusted proxies (addresses
// or CIDR prefixes such as "10.0.0.0/8"), it walks X-Forwarded-For from
// the right and returns the first address that is not a trusted proxy;
// otherwise it returns the peer, so that a client cannot choose its
// address by sending the header itself.
func ForwardedIP(trusted ...string) (func(*http.Request) string, error) {
	var prefixes []netip.Prefix
	for _, t := range trusted {
		if p, err := netip.ParsePrefix(t); err == nil {
			prefixes = append(prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(t)
		if err != nil {
			return nil, fmt.Errorf("session: trusted proxy %q is neither an address nor a CIDR prefix", t)
		}
		prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) string {
		peer := RemoteIP(r)
		if !isTrusted(peer) {
			return peer
		}
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := strings.TrimSpace(hops[i])
			if hop == "" {
				continue
			}
			if _, err := netip.ParseAddr(hop); err != nil {
				return peer // a malformed hop: trust nothing beyond it
			}
			if !isTrusted(hop) {
				return hop
			}
		}
		return peer
	}, nil
}
