package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the client's address: the peer's, unless the peer is a
// trusted proxy, in which case the right-most address of X-Forwarded-For
// that is not itself a trusted proxy. A forwarded address from an
// untrusted peer is ignored, so a client cannot choose its own rate-limit
// bucket by sending the header.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !trustedAddr(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !trustedAddr(a, trusted) {
			return a.String()
		}
	}
	return peer.String()
}

func trustedAddr(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
