package graph

import "testing"

func TestClientNetwork(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ip     string
		prefix int
		want   string
	}{
		{"ipv4", "203.0.113.7", 64, "203.0.113.7"},
		{"ipv4-mapped ipv6", "::ffff:203.0.113.7", 64, "203.0.113.7"},
		{"ipv6 to its /64", "2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64"},
		{"ipv6 with a zone", "fe80::1%eth0", 64, "fe80::/64"},
		{"ipv6 to its /56", "2001:db8:1:2ff::1", 56, "2001:db8:1:200::/56"},
		{"ipv6 whole address", "2001:db8::1", 128, "2001:db8::1/128"},
		{"prefix out of range", "2001:db8:1:2::1", 0, "2001:db8:1:2::/64"},
		{"not an address", "unknown", 64, "unknown"},
		{"empty", "", 64, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := clientNetwork(tc.ip, tc.prefix); got != tc.want {
				t.Fatalf("clientNetwork(%q, %d) = %q, want %q", tc.ip, tc.prefix, got, tc.want)
			}
		})
	}
}
