package oauth

import (
	"net/url"
	"strings"
)

// AllowedRedirect reports whether raw may receive the browser after a
// sign-in: it must be exactly one of allowed, and be a plain absolute
// http(s) URL. Exact matching is the rule; the checks before it refuse the
// shapes that have fooled prefix and host matching elsewhere (userinfo,
// backslashes, scheme-relative and non-http URLs, encoded traversal,
// control characters), so that a mistake in the allow-list itself cannot
// be leveraged either.
func AllowedRedirect(raw string, allowed []string) bool {
	if raw == "" || len(raw) > 2048 || !plainURL(raw) {
		return false
	}
	for _, a := range allowed {
		if raw == a {
			return true
		}
	}
	return false
}

// plainURL reports whether raw is an absolute http(s) URL with a host and
// nothing that browsers and servers could read differently.
func plainURL(raw string) bool {
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r == '\\' || r > 0x7e {
			return false
		}
	}
	if strings.HasPrefix(raw, "//") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return false
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return false
	}
	if !strings.HasPrefix(raw, u.Scheme+"://") || strings.Contains(u.Host, "@") {
		return false
	}
	lower := strings.ToLower(raw)
	for _, bad := range []string{"%2e", "%2f", "%5c", "%00", "%40", "/./", "/../"} {
		if strings.Contains(lower, bad) {
			return false
		}
	}
	if strings.HasSuffix(u.Path, "/..") || strings.HasSuffix(u.Path, "/.") {
		return false
	}
	return true
}
