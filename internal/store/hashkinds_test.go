package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The store cuts hashes as password.KindPrefix does, and answers one row
// per kind (scrypt: per kind and 4 bits of salt), not one per account.
func TestPasswordHashPrefixes(t *testing.T) {
	key := strings.Repeat("A", 43)
	hashes := []string{
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0b3RoZXJzYQ$" + key,
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$" + key,
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"$2a$10$abcdefghijklmnopqrstuuIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"$2y$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		// Medusa's scrypt-kdf (N=2^15, r=8, p=1), two salts.
		"c2NyeXB0AA8AAAAIAAAAAbMS3gcyFMmJSauy4Eu5U+Aji5N5Z/sV64XR4qIF/Xqa6P+DzLdyppZAOjpfNS+CvO2fSipXXDH6W3DTtDe8dzaYGcktD9/fRnVtmYxLJbnj",
		"c2NyeXB0AA8AAAAIAAAAAbnXO5YjKoIK7XIXYje7B8Vdim1mas8TSylWx7ziTBXhjbKZ1EDUqOeLoBlqb40PCf10Lo+HhVKVb4/nmPLCyOTCvqWFrv7Bnkibom0Ki2zC",
		"not a hash at all",
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()
		var want []string
		for i, h := range hashes {
			a, p := newIdentity(gatehouse.ActorCustomer, "h"+string(rune('a'+i))+"@example.com")
			p.ProviderMetadata = map[string]any{"password": h}
			mustNoError(t, s.CreateIdentity(ctx, a, p))
			if !slices.Contains(want, password.KindPrefix(h)) {
				want = append(want, password.KindPrefix(h))
			}
		}
		// Neither an identity without a password nor another provider's
		// metadata is a stored password hash.
		a, p := newIdentity(gatehouse.ActorUser, "nopassword@example.com")
		p.ProviderMetadata = map[string]any{}
		mustNoError(t, s.CreateIdentity(ctx, a, p))
		a, p = newIdentity(gatehouse.ActorCustomer, "oauth-subject")
		p.Provider = "google"
		p.ProviderMetadata = map[string]any{"password": "$2a$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}
		mustNoError(t, s.CreateIdentity(ctx, a, p))

		got, err := s.PasswordHashPrefixes(ctx)
		mustNoError(t, err)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("PasswordHashPrefixes =\n%q\nwant\n%q", got, want)
		}
		// Two argon2id kinds, two bcrypt, one scrypt (both salts share
		// their 4 bits), and the unknown format.
		if len(got) != 6 {
			t.Errorf("%d prefixes, want 6", len(got))
		}
	})
}
