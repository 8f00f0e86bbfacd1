package password

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ServiceName is always a context word.
const ServiceName = "gatehouse"

// minContextWord is the shortest context word looked for: shorter ones
// ("ann", "bob", "com") are parts of too many good passwords.
const minContextWord = 4

// maxContextWords bounds the words looked for, so that a context of any
// size keeps Validate linear in the password's length. Real contexts have
// about ten.
const maxContextWords = 64

// Context is what Validate knows about the account and the service, for
// NIST SP 800-63B's context-specific words: a password containing one of
// them, ignoring case, is refused (ErrContext). The words are ServiceName,
// the issuer's host, the email, its local part and the names, the last two
// also split at punctuation and spaces ("mary-jane.doe" gives "mary" and
// "jane"); words shorter than 4 characters are ignored. The issuer's host
// is taken whole: its labels ("auth", "shop", "test") would refuse too many
// good passwords.
type Context struct {
	// Email is the account's email address.
	Email string
	// Issuer is the token issuer, a URL ("https://auth.example.com/") or
	// a host; only its host is used.
	Issuer string
	// Names are what is known of the account's user name, first name and
	// last name; empty ones are skipped.
	Names []string
}

// words returns the lower-cased context words of c, without duplicates,
// at most maxContextWords of them.
func (c Context) words() []string {
	ws := []string{ServiceName}
	add := func(w string) {
		w = strings.ToLower(strings.TrimSpace(w))
		if len(ws) < maxContextWords && utf8.RuneCountInString(w) >= minContextWord && !slices.Contains(ws, w) {
			ws = append(ws, w)
		}
	}
	addWithParts := func(w string) {
		add(w)
		for part := range strings.FieldsFuncSeq(w, isSeparator) {
			if len(ws) == maxContextWords {
				return
			}
			add(part)
		}
	}
	add(issuerHost(c.Issuer))
	email := strings.TrimSpace(c.Email)
	add(email)
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		addWithParts(email[:at])
	}
	for _, n := range c.Names {
		if len(ws) == maxContextWords {
			break
		}
		addWithParts(n)
	}
	return ws
}

// contained reports whether folded, a lower-cased password, contains one
// of c's words.
func (c Context) contained(folded string) bool {
	for _, w := range c.words() {
		if len(w) <= len(folded) && strings.Contains(folded, w) {
			return true
		}
	}
	return false
}

func isSeparator(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// issuerHost returns the host of an issuer URL or of a bare host, without
// a port; "" when there is none.
func issuerHost(issuer string) string {
	issuer = strings.TrimSpace(issuer)
	if !strings.Contains(issuer, "://") {
		issuer = "//" + issuer
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
