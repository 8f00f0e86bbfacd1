package oauth_test

import (
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/oauth"
)

var allowList = []string{
	"https://shop.example/auth/callback",
	"http://localhost:3000/callback",
	"https://shop.example/auth/callback?from=google",
}

func TestAllowedRedirect(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		want bool
	}{
		{"listed", "https://shop.example/auth/callback", true},
		{"listed on localhost", "http://localhost:3000/callback", true},
		{"listed with its query", "https://shop.example/auth/callback?from=google", true},
		{"empty", "", false},
		{"another path", "https://shop.example/auth/callback2", false},
		{"a prefix", "https://shop.example/auth/", false},
		{"another query", "https://shop.example/auth/callback?next=https://evil.example", false},
		{"a fragment", "https://shop.example/auth/callback#x", false},
		{"userinfo", "https://shop.example@evil.example/auth/callback", false},
		{"userinfo on a listed host", "https://evil@shop.example/auth/callback", false},
		{"backslash", "https://shop.example\\@evil.example/auth/callback", false},
		{"scheme-relative", "//evil.example/auth/callback", false},
		{"javascript", "javascript:alert(1)//https://shop.example/auth/callback", false},
		{"data", "data:text/html,<script>", false},
		{"upper-case scheme", "HTTPS://shop.example/auth/callback", false},
		{"encoded traversal", "https://shop.example/auth/callback/%2e%2e/admin", false},
		{"dot segments", "https://shop.example/auth/../auth/callback", false},
		{"encoded slash", "https://shop.example/auth%2fcallback", false},
		{"look-alike host", "https://shop.examp1e/auth/callback", false},
		{"unicode look-alike", "https://shоp.example/auth/callback", false},
		{"port added", "https://shop.example:443/auth/callback", false},
		{"trailing space", "https://shop.example/auth/callback ", false},
		{"newline", "https://shop.example/auth/callback\n", false},
		{"tab in host", "https://shop.\texample/auth/callback", false},
		{"listed host as subdomain", "https://shop.example.evil.example/auth/callback", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := oauth.AllowedRedirect(tc.raw, allowList); got != tc.want {
				t.Errorf("AllowedRedirect(%q) = %v, want %v", tc.raw, got, tc.want)
			}
		})
	}
	// A bad entry in the list is still refused.
	t.Run("bad list entry", func(t *testing.T) {
		if oauth.AllowedRedirect("https://a@evil.example/", []string{"https://a@evil.example/"}) {
			t.Error("accepted a URL with userinfo because the list held it")
		}
	})
}

// FuzzAllowedRedirect checks that whatever is accepted is on the list.
func FuzzAllowedRedirect(f *testing.F) {
	for _, s := range append(slices.Clone(allowList), "//evil.example", "https://shop.example@evil.example/auth/callback", "https://shop.example/auth/callback/..", "https:/\\evil.example") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if oauth.AllowedRedirect(raw, allowList) && !slices.Contains(allowList, raw) {
			t.Fatalf("accepted %q, which is not on the list", raw)
		}
	})
}
