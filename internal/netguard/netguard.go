// Package netguard tells public internet addresses from the ones beside a
// service (loopback, private, link-local, special-purpose), for the
// outbound requests whose destination someone else names: the webhook
// endpoints admins manage through the API.
package netguard

import "net/netip"

// Public reports whether a is an address a webhook endpoint
// managed through the API may be delivered to: not loopback, private
// (RFC 1918, fc00::/7), link-local (cloud metadata services sit at
// 169.254.169.254), unspecified, multicast, shared (100.64.0.0/10) or
// another special-purpose block. Anyone with MANAGE_WEBHOOKS names the
// URL; without this check they could have every instance POST to the
// services beside it and read which answer in lastError.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range specialPurpose {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// specialPurpose are the blocks of the IANA special-purpose registries that
// netip's predicates do not cover and that no public receiver uses.
var specialPurpose = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"), // documentation
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 maps IPv4, private ones too
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"), // 6to4 embeds an IPv4 address
}
