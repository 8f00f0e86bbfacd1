package password

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// FuzzCheckEncoded checks that CheckEncoded never panics, that what it
// refuses is ErrMalformedHash without a piece of the hash in the message,
// and that what it accepts has exactly one encoding: the parsed hash,
// written out again, is the input (a $2y$ bcrypt prefix is read as $2a$). No key derivation runs, so hashes with large parameters are cheap.
func FuzzCheckEncoded(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43))
	f.Add("$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43))
	f.Add("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy")
	f.Add("$2y$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy")
	f.Add(loadMedusaVectors(f)[0].HashBase64)
	f.Add(scryptHeader(f, 20, 8, 16))
	f.Add("")
	f.Add("correct horse battery staple")
	f.Fuzz(func(t *testing.T, encoded string) {
		err := CheckEncoded(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("CheckEncoded = %v, want ErrMalformedHash", err)
			}
			assertNoLeak(t, err, encoded)
			return
		}
		if len(encoded) > maxEncodedLen {
			t.Fatalf("CheckEncoded accepted %d bytes", len(encoded))
		}
		h, err := parse(encoded, nil)
		if err != nil {
			t.Fatalf("CheckEncoded accepted what parse refuses: %v", err)
		}
		want := encoded
		var got string
		switch h := h.(type) {
		case *argon2idHash:
			if err := checkArgon2Caps(h.params); err != nil {
				t.Fatalf("accepted argon2id parameters beyond the caps: %v", err)
			}
			got = h.encode()
		case *bcryptHash:
			if strings.HasPrefix(encoded, "$2y$") {
				want = "$2a$" + encoded[4:]
			}
			got = string(h.encoded)
		case *scryptHash:
			got = encodeScrypt(h)
		default:
			t.Fatalf("parse returned a %T", h)
		}
		if got != want {
			t.Fatalf("accepted %q, which encodes back as %q", encoded, got)
		}
	})
}

// encodeScrypt writes h back as Medusa stores it.
func encodeScrypt(h *scryptHash) string {
	raw := make([]byte, 0, scryptLen)
	raw = append(raw, scryptMagic...)
	raw = append(raw, h.logN)
	raw = binary.BigEndian.AppendUint32(raw, h.r)
	raw = binary.BigEndian.AppendUint32(raw, h.p)
	raw = append(raw, h.salt...)
	sum := sha256.Sum256(raw)
	raw = append(raw, sum[:16]...)
	raw = append(raw, h.mac...)
	return base64.StdEncoding.EncodeToString(raw)
}
