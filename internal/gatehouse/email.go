package gatehouse

import (
	"net/mail"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest address accepted (RFC 5321's path limit).
const MaxEmailLength = 254

// emailDomain converts a domain to its A-label form as a lookup would
// (RFC 5891 section 5, UTS #46 non-transitional mapping, so "ß" stays
// "ß"), with the Bidi rule and DNS lengths checked. Hyphen placement is not
// checked, as browsers do not: a domain that worked before keeps working.
var emailDomain = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
	idna.CheckHyphens(false),
)

// NormalizeEmail returns the one form of an address that every lookup and
// every stored email uses, so that addresses a person cannot tell apart
// are one address:
//
//   - the whole address is put in Unicode NFKC form and lower-cased (then
//     NFKC again, as lower-casing can make a composable pair), and
//     surrounding white space is trimmed. NFKC folds compatibility forms:
//     full-width "ａｌｉｃｅ＠example.com" is "alice@example.com". The
//     local part may stay non-ASCII (RFC 6532); it is not case-folded
//     beyond lower-casing, nor are look-alike scripts mapped.
//   - the domain, after the last '@', becomes its lower-case A-label, so
//     "bücher.example" and "xn--bcher-kva.example" are one domain.
//
// NormalizeEmail never fails: an address with an invisible character (see
// ValidEmail), or whose domain IDNA refuses, is returned with its domain
// unconverted, a form ValidEmail refuses. Normalizing twice changes
// nothing.
func NormalizeEmail(s string) string {
	// Invalid UTF-8 first becomes U+FFFD: NFKC leaves an invalid byte
	// and the character after it alone, but lower-casing does not, so
	// without this a second pass would change the result.
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFKC.String(s)
	s = norm.NFKC.String(strings.ToLower(s))
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at < 0 || strings.ContainsFunc(s, invisible) {
		return s
	}
	d, err := emailDomain.ToASCII(s[at+1:])
	if err != nil {
		return s
	}
	return s[:at+1] + strings.ToLower(d)
}

// ValidEmail reports whether s (already normalized) is a plain address
// "local@domain", without a display name or comments, without control,
// format or other invisible characters (zero-width space and joiners, byte
// order mark, bidi controls, variation selectors: they would make
// addresses that look the same), and whose domain is an A-label IDNA
// accepts.
func ValidEmail(s string) bool {
	if s == "" || len(s) > MaxEmailLength || strings.ContainsFunc(s, invisible) {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at >= len(s)-1 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	d, err := emailDomain.ToASCII(s[at+1:])
	return err == nil && d == s[at+1:]
}

// invisible reports whether r is a control or format character (Unicode
// Cc, Cf) or another default-ignorable one (variation selectors, Hangul
// fillers): characters that show as nothing, or as nothing different.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}
