package keys_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/keys"
)

func TestParseKEK(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32] // encodes with + / - _
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"standard padded", base64.StdEncoding.EncodeToString(raw), true},
		{"standard raw", base64.RawStdEncoding.EncodeToString(raw), true},
		{"url padded", base64.URLEncoding.EncodeToString(raw), true},
		{"url raw", base64.RawURLEncoding.EncodeToString(raw), true},
		{"31 bytes", base64.StdEncoding.EncodeToString(raw[:31]), false},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(raw, 1)), false},
		{"not base64", "this is not a key, it is a sentence!!", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keys.ParseKEK(tc.in)
			if !tc.ok {
				if err == nil {
					t.Fatal("ParseKEK accepted it")
				}
				if tc.in != "" && strings.Contains(err.Error(), tc.in) {
					t.Errorf("error %q quotes the value", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("ParseKEK = %x, %v", got, err)
			}
		})
	}
	k, err := keys.NewKEK(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.ParseKEK(k); err != nil {
		t.Errorf("NewKEK made a key ParseKEK refuses: %v", err)
	}
}

func TestDeriveKey(t *testing.T) {
	// RFC 5869, test case 3 (no salt, no info): the first 32 bytes of its
	// output.
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	if got, want := hex.EncodeToString(keys.DeriveKey(ikm, "")), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"; got != want {
		t.Fatalf("DeriveKey(RFC 5869 case 3) = %s, want %s", got, want)
	}
	a := keys.DeriveKey(testKEK, "refresh token")
	if len(a) != 32 {
		t.Fatalf("derived %d bytes, want 32", len(a))
	}
	if !bytes.Equal(a, keys.DeriveKey(testKEK, "refresh token")) {
		t.Error("DeriveKey is not deterministic")
	}
	for name, other := range map[string][]byte{
		"other label": keys.DeriveKey(testKEK, "refresh token "),
		"other KEK":   keys.DeriveKey(otherKEK, "refresh token"),
		"the KEK":     testKEK,
	} {
		if bytes.Equal(a, other) {
			t.Errorf("derived key equals the one for %s", name)
		}
	}
	if keys.KEKFingerprint(testKEK) == keys.KEKFingerprint(otherKEK) || len(keys.KEKFingerprint(testKEK)) != 11 {
		t.Errorf("fingerprints %q and %q", keys.KEKFingerprint(testKEK), keys.KEKFingerprint(otherKEK))
	}
}

// TestSealedKeys stores keys through Rotate and opens them through a
// Ring: the private half is stored only sealed, opens only under its KEK
// and only in its own row.
func TestSealedKeys(t *testing.T) {
	for _, alg := range []keys.Alg{keys.EdDSA, keys.RS256} {
		t.Run(string(alg), func(t *testing.T) {
			st := &memStore{}
			clk := newClock()
			ro := rotateOptions(clk)
			ro.Alg = alg
			k := mustRotate(t, st, ro)
			if k.CanSign() {
				t.Error("Rotate returned the private half")
			}
			rec := st.records()[0]
			if rec.KEKFingerprint != keys.KEKFingerprint(testKEK) {
				t.Errorf("fingerprint = %q", rec.KEKFingerprint)
			}
			o := ringOptions(st, clk)
			o.Alg = alg
			r := mustRing(t, o)
			signing := mustSigningKey(t, r)
			if signing.ID != k.ID || !signing.CanSign() {
				t.Fatalf("ring signs with %v, want the stored key opened", signing)
			}
			for _, form := range privateForms(t, signing) {
				for _, field := range []string{rec.PrivateKey, rec.PublicKey} {
					if strings.Contains(field, form) {
						t.Fatal("the stored key holds the private half in the clear")
					}
				}
			}
		})
	}
}

func TestSealedKeyRefusals(t *testing.T) {
	clk := newClock()
	// Each store holds two keys: the first retired by the second, which
	// signs and so is the one the ring opens.
	for _, tc := range []struct {
		name string
		edit func(st *memStore)
		kek  []byte
		want func(signing *keys.Record) []string
	}{
		{name: "wrong KEK", kek: otherKEK, want: func(signing *keys.Record) []string {
			return []string{
				"GATEHOUSE_KEY_ENCRYPTION_KEY does not open signing key " + signing.ID,
				keys.KEKFingerprint(testKEK), keys.KEKFingerprint(otherKEK),
			}
		}},
		{name: "sealed key moved to another row", edit: func(st *memStore) {
			st.recs[0].PrivateKey, st.recs[1].PrivateKey = st.recs[1].PrivateKey, st.recs[0].PrivateKey
		}, want: func(signing *keys.Record) []string { return []string{signing.ID, "does not open", "damaged"} }},
		{name: "tampered ciphertext", edit: func(st *memStore) {
			b, _ := base64.StdEncoding.DecodeString(st.recs[1].PrivateKey)
			b[len(b)/2] ^= 1
			st.recs[1].PrivateKey = base64.StdEncoding.EncodeToString(b)
		}, want: func(signing *keys.Record) []string { return []string{signing.ID, "does not open", "damaged"} }},
		{name: "public key of another kid", edit: func(st *memStore) {
			st.recs[1].PublicKey = st.recs[0].PublicKey
		}, want: func(signing *keys.Record) []string { return []string{signing.ID, "does not match"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &memStore{}
			ro := rotateOptions(clk)
			ro.Delay = 0
			mustRotate(t, st, ro)
			mustRotate(t, st, ro)
			signing := copyRecord(st.recs[1])
			if tc.edit != nil {
				tc.edit(st)
			}
			o := ringOptions(st, clk)
			if tc.kek != nil {
				o.KEK = tc.kek
			}
			_, err := keys.NewRing(context.Background(), o)
			if err == nil {
				t.Fatal("NewRing succeeded")
			}
			for _, w := range tc.want(signing) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	t.Run("retired key under an old KEK", func(t *testing.T) {
		// After `keys rotate --now` under a new KEK, the old key only
		// verifies: it need not open.
		st := &memStore{}
		ro := rotateOptions(clk)
		ro.Delay = 0
		old := mustRotate(t, st, ro)
		ro.KEK = otherKEK
		current := mustRotate(t, st, ro)
		o := ringOptions(st, clk)
		o.KEK = otherKEK
		r := mustRing(t, o)
		if k := mustSigningKey(t, r); k.ID != current.ID {
			t.Fatalf("signs with %s, want %s", k.ID, current.ID)
		}
		if _, err := r.VerificationKey(old.ID); err != nil {
			t.Fatalf("the retired key does not verify: %v", err)
		}
	})
}
