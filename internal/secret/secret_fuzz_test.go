package secret_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/secret"
)

// FuzzWellFormed holds the parser every opaque token passes before it is
// looked up (refresh, reset, verification, invite and session-cookie
// tokens): it accepts exactly the 43-character base64url strings New makes,
// in the one encoding New writes, so that no other text (a line break, a
// padding character, a second spelling of the same bytes) reaches a
// lookup.
func FuzzWellFormed(f *testing.F) {
	tok, err := secret.New(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(tok[:42] + "\n")
	f.Add(tok[:21] + "\r\n" + tok[21:41])
	f.Add(tok[:42] + "=")
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("_", 43))
	f.Add(strings.Repeat("A", 42) + "B") // not canonical: the last character's spare bits are set
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if !secret.WellFormed(s) {
			return
		}
		b, err := base64.RawURLEncoding.Strict().DecodeString(s)
		if err != nil || len(b) != secret.Size {
			t.Fatalf("accepted %q: %d bytes, %v", s, len(b), err)
		}
		if again := base64.RawURLEncoding.EncodeToString(b); again != s {
			t.Fatalf("accepted %q, which New would write %q", s, again)
		}
		if !bytes.Equal([]byte(s), []byte(strings.TrimSpace(s))) {
			t.Fatalf("accepted %q with white space", s)
		}
	})
}
