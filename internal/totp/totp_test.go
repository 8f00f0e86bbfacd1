package totp

import (
	"crypto/rand"
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSecret is RFC 6238 appendix B's SHA-1 seed, "12345678901234567890".
var rfcSecret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

// The RFC's SHA-1 test vectors (8 digits there; a 6-digit code is the
// last six, as the truncation is the same value modulo 10^6).
func TestRFC6238Vectors(t *testing.T) {
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		t.Run(v.code, func(t *testing.T) {
			at := time.Unix(v.unix, 0)
			got, err := Code(rfcSecret, at)
			if err != nil || got != v.code[2:] {
				t.Fatalf("Code at %d = %q, %v; want %q", v.unix, got, err, v.code[2:])
			}
			if step, ok := Verify(rfcSecret, v.code[2:], at, 0); !ok || step != Step(at) {
				t.Errorf("Verify = %d, %t; want step %d", step, ok, Step(at))
			}
		})
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	code := func(at time.Time) string {
		c, err := Code(rfcSecret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cur := Step(now)
	for _, c := range []struct {
		name     string
		code     string
		lastStep int64
		want     bool
	}{
		{"current step", code(now), 0, true},
		{"one step behind", code(now.Add(-Period)), 0, true},
		{"one step ahead", code(now.Add(Period)), 0, true},
		{"two steps behind", code(now.Add(-2 * Period)), 0, false},
		{"two steps ahead", code(now.Add(2 * Period)), 0, false},
		{"replayed in its window", code(now), cur, false},
		{"an older step after a newer one was used", code(now.Add(-Period)), cur, false},
		{"a later step after an earlier one was used", code(now.Add(Period)), cur, true},
		{"too short", "12345", 0, false},
		{"too long", "1234567", 0, false},
		{"not digits", "abcdef", 0, false},
		{"spaces around", " " + code(now) + " ", 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := Verify(rfcSecret, c.code, now, c.lastStep); ok != c.want {
				t.Errorf("Verify(%q, last %d) = %t, want %t", c.code, c.lastStep, ok, c.want)
			}
		})
	}
}

func TestGenerateAndQRCode(t *testing.T) {
	k, err := Generate("gatehouse shop", "ada@example.com", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(k.Secret)
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret %q: %d bytes, %v; want 20", k.Secret, len(raw), err)
	}
	u, err := url.Parse(k.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != k.Secret || u.Query().Get("issuer") != "gatehouse shop" ||
		u.Query().Get("digits") != "6" || u.Query().Get("period") != "30" {
		t.Errorf("URI %q", k.URI)
	}
	now := time.Now()
	c, err := Code(k.Secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Verify(k.Secret, c, now, 0); !ok {
		t.Error("the new key's own code is refused")
	}
	qr, err := QRCode(k.URI)
	if err != nil || !strings.HasPrefix(qr, "data:image/png;base64,iVBOR") {
		t.Errorf("QR code %.40q, %v", qr, err)
	}
}
