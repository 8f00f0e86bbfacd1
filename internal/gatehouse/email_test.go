package gatehouse_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

func TestNormalizeEmail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		norm  string
		valid bool
	}{
		{"plain", "alice@example.com", "alice@example.com", true},
		{"upper case", "Alice@Example.COM", "alice@example.com", true},
		{"surrounding space", " \talice@example.com\u00a0", "alice@example.com", true},
		{"full-width local part", "ａｌｉｃｅ@example.com", "alice@example.com", true},
		{"full-width upper case", "ＡＬＩＣＥ@example.com", "alice@example.com", true},
		{"full-width at sign and domain", "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "alice@example.com", true},
		{"ligature", "ﬁona@example.com", "fiona@example.com", true},
		{"decomposed accent", "jose\u0301@example.com", "josé@example.com", true},
		{"composes after lower-casing", "J\u030c@example.com", "ǰ@example.com", true},
		{"non-ASCII local part", "Ünïcødé@example.com", "ünïcødé@example.com", true},
		{"U-label domain", "alice@Bücher.example", "alice@xn--bcher-kva.example", true},
		{"A-label domain", "alice@xn--bcher-kva.example", "alice@xn--bcher-kva.example", true},
		{"upper-case A-label domain", "alice@XN--BCHER-KVA.example", "alice@xn--bcher-kva.example", true},
		// Sharp s is not mapped to ss.
		{"sharp s", "alice@straße.de", "alice@xn--strae-oqa.de", true},
		{"right-to-left domain", "alice@مثال.example", "alice@xn--mgbh0fb.example", true},
		{"zero-width space", "ali\u200bce@example.com", "ali\u200bce@example.com", false},
		{"zero-width space in the domain", "alice@exa\u200bmple.com", "alice@exa\u200bmple.com", false},
		{"zero-width joiner", "ali\u200dce@example.com", "ali\u200dce@example.com", false},
		{"zero-width non-joiner", "ali\u200cce@example.com", "ali\u200cce@example.com", false},
		{"byte order mark", "\ufeffalice@example.com", "\ufeffalice@example.com", false},
		{"soft hyphen", "ali\u00adce@example.com", "ali\u00adce@example.com", false},
		{"bidi control", "alice\u202e@example.com", "alice\u202e@example.com", false},
		{"bidi control in the domain", "alice@\u202eexample.com", "alice@\u202eexample.com", false},
		{"variation selector", "alice\ufe0f@example.com", "alice\ufe0f@example.com", false},
		{"Hangul filler", "alice\u3164@example.com", "alice\u1160@example.com", false},
		{"control character", "ali\x00ce@example.com", "ali\x00ce@example.com", false},
		{"domain IDNA refuses", "alice@xn--zz.example", "alice@xn--zz.example", false},
		{"underscore in the domain", "alice@my_host.example", "alice@my_host.example", false},
		{"empty label", "alice@example..com", "alice@example..com", false},
		{"domain literal", "alice@[192.0.2.1]", "alice@[192.0.2.1]", false},
		{"label too long", "alice@" + strings.Repeat("a", 64) + ".example", "alice@" + strings.Repeat("a", 64) + ".example", false},
		{"display name refused", "Alice <alice@example.com>", "alice <alice@example.com>", false},
		{"comment refused", "alice@example.com (Alice)", "alice@example.com (alice)", false},
		{"no at sign", "alice.example.com", "alice.example.com", false},
		{"two at signs", "alice@@example.com", "alice@@example.com", false},
		{"no local part", "@example.com", "@example.com", false},
		{"no domain", "alice@", "alice@", false},
		{"empty", "", "", false},
		{"too long", strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "example", strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "example", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := gatehouse.NormalizeEmail(tc.in)
			if n != tc.norm {
				t.Errorf("NormalizeEmail(%q) = %q, want %q", tc.in, n, tc.norm)
			}
			if got := gatehouse.ValidEmail(n); got != tc.valid {
				t.Errorf("ValidEmail(%q) = %v, want %v", n, got, tc.valid)
			}
			if again := gatehouse.NormalizeEmail(n); again != n {
				t.Errorf("NormalizeEmail(%q) = %q: not idempotent", n, again)
			}
		})
	}
}

// One address however it is typed: the forms of it a person cannot tell
// apart normalize to the same string.
func TestNormalizeEmailSameAddress(t *testing.T) {
	for _, forms := range [][]string{
		{"alice@example.com", "ALICE@example.com", "ａｌｉｃｅ@example.com", "alice＠example.com", "alice@ＥＸＡＭＰＬＥ.com"},
		{"alice@bücher.example", "alice@xn--bcher-kva.example", "alice@BÜCHER.example", "alice@bu\u0308cher.example"},
	} {
		t.Run(forms[0], func(t *testing.T) {
			want := gatehouse.NormalizeEmail(forms[0])
			for _, f := range forms[1:] {
				if got := gatehouse.NormalizeEmail(f); got != want {
					t.Errorf("NormalizeEmail(%q) = %q, want %q", f, got, want)
				}
			}
		})
	}
}

// FuzzNormalizeEmail checks NormalizeEmail's promises on any input: it
// never panics, normalizing twice changes nothing, and an address
// ValidEmail accepts has no control or format character and an ASCII
// domain.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"alice@example.com", "ａｌｉｃｅ@example.com", "ali\u200bce@example.com", "alice@bücher.example",
		"alice@xn--bcher-kva.example", "Alice <alice@example.com>", "J\u030c@x.io", "\u00a8a@x.io",
		"a@\u202ex.io", "\xff@x.io", "ﬁ@ß.de", "a@b@c", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := gatehouse.NormalizeEmail(s)
		if again := gatehouse.NormalizeEmail(n); again != n {
			t.Fatalf("NormalizeEmail(%q) = %q, and again %q", s, n, again)
		}
		if !gatehouse.ValidEmail(n) {
			return
		}
		if !utf8.ValidString(n) || !norm.NFKC.IsNormalString(n) {
			t.Fatalf("valid %q (from %q) is not NFKC UTF-8", n, s)
		}
		if i := strings.IndexFunc(n, func(r rune) bool { return unicode.In(r, unicode.Cc, unicode.Cf) }); i >= 0 {
			t.Fatalf("valid %q (from %q) has control or format character at %d", n, s, i)
		}
		domain := n[strings.LastIndexByte(n, '@')+1:]
		for i := 0; i < len(domain); i++ {
			if domain[i] >= utf8.RuneSelf {
				t.Fatalf("valid %q (from %q) has a non-ASCII domain", n, s)
			}
		}
	})
}
