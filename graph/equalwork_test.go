package graph_test

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/authtest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// hashWork runs f and returns the key derivations it ran, by kind of hash.
func hashWork(a *api, f func()) map[password.Kind]uint64 {
	before := a.Hasher.Work()
	f()
	out := map[password.Kind]uint64{}
	for k, n := range a.Hasher.Work() {
		if n -= before[k]; n > 0 {
			out[k] = n
		}
	}
	return out
}

// Equal work for every account: while an account is still on its imported
// Medusa scrypt hash, an unknown email, an unknown Kibo user name, an
// identity without a password hash, a wrong password for an argon2id
// account and a wrong password for the scrypt account each run one
// derivation of each kind still stored (the costliest, scrypt with the
// imported N, among them), and get the same answer. Once the account is
// rehashed and the kinds are listed again, they all run argon2id alone.
func TestEqualWorkForEveryAccount(t *testing.T) {
	// A real Medusa scrypt-kdf hash (N=2^15, r=8, p=1) of "correct horse
	// battery staple".
	const medusa = "c2NyeXB0AA8AAAAIAAAAAbMS3gcyFMmJSauy4Eu5U+Aji5N5Z/sV64XR4qIF/Xqa6P+DzLdyppZAOjpfNS+CvO2fSipXXDH6W3DTtDe8dzaYGcktD9/fRnVtmYxLJbnj"
	argon2id := password.Kind{Family: "argon2id", Params: "m=64,t=1,p=1"} // authtest.FastParams
	scrypt := password.Kind{Family: "scrypt", Params: "N=32768,r=8,p=1"}

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		// Imported by another process (`gatehouse users import`): this
		// service learns the kind from the store, not from the import.
		importer := authtest.New(t, db)
		if _, err := importer.Service.CreateAccount(ctx, gatehouse.ActorCustomer, auth.Account{Email: "medusa@example.com", PasswordHash: medusa}); err != nil {
			t.Fatal(err)
		}
		a := newAPI(t, db)
		mustTicket(t, a.register(t, "CUSTOMER", "argon@example.com", "correct horse battery", ""))
		nohash := &gatehouse.AuthIdentity{ID: gatehouse.NewID(gatehouse.PrefixAuthIdentity), ActorType: gatehouse.ActorCustomer,
			AppMetadata: map[string]any{}, CreatedAt: a.Clock.Now(), UpdatedAt: a.Clock.Now()}
		if err := a.Store.CreateIdentity(ctx, nohash, &gatehouse.ProviderIdentity{
			ID: gatehouse.NewID(gatehouse.PrefixProviderIdentity), AuthIdentityID: nohash.ID, ActorType: gatehouse.ActorCustomer,
			Provider: gatehouse.ProviderEmailPass, EntityID: "nohash@example.com",
			ProviderMetadata: map[string]any{}, UserMetadata: map[string]any{}, CreatedAt: a.Clock.Now(), UpdatedAt: a.Clock.Now(),
		}); err != nil {
			t.Fatal(err)
		}

		wrong := func(email string) func() []byte {
			return func() []byte {
				return a.do(t, "", authQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": email, "password": "wrong horse battery"}}).raw
			}
		}
		paths := []struct {
			name string
			run  func() []byte
		}{
			{"unknown email", wrong("nobody@example.com")},
			{"wrong password, argon2id account", wrong("argon@example.com")},
			{"wrong password, account on its imported scrypt hash", wrong("medusa@example.com")},
			{"identity without a password hash", wrong("nohash@example.com")},
			{"unknown Kibo user name", func() []byte {
				return a.do(t, "", userTicketQ, map[string]any{"input": map[string]any{"userName": "nobody", "password": "wrong horse battery"}}).raw
			}},
		}
		// checkPaths runs every path once and wants each to run exactly
		// want, and the email paths to answer byte for byte alike.
		checkPaths := func(t *testing.T, want map[password.Kind]uint64) {
			t.Helper()
			var first []byte
			for _, p := range paths {
				var raw []byte
				if got := hashWork(a, func() { raw = p.run() }); !maps.Equal(got, want) {
					t.Errorf("%s: derivations %v, want %v", p.name, got, want)
				}
				if !bytes.Contains(raw, []byte("INVALID_CREDENTIALS")) {
					t.Errorf("%s: answer %s, want INVALID_CREDENTIALS", p.name, raw)
				}
				if p.name == "unknown Kibo user name" {
					continue // another operation, another answer's shape
				}
				if first == nil {
					first = raw
				} else if !bytes.Equal(raw, first) {
					t.Errorf("%s answers\n%s\nthe unknown email\n%s", p.name, raw, first)
				}
			}
		}
		wantKinds := func(t *testing.T, want ...password.Kind) {
			t.Helper()
			if got := a.Service.PasswordHashKinds(); !slices.Equal(got, want) {
				t.Fatalf("kinds = %v, want %v", got, want)
			}
		}

		// While an account is on its imported scrypt hash.
		t.Run("scrypt account present", func(t *testing.T) {
			wantKinds(t, argon2id) // nothing listed yet
			if err := a.Service.RefreshPasswordHashKinds(ctx); err != nil {
				t.Fatal(err)
			}
			wantKinds(t, argon2id, scrypt)
			checkPaths(t, map[password.Kind]uint64{argon2id: 1, scrypt: 1})
		})

		// After the rehash, and the kinds listed again.
		t.Run("after rehash and relisting", func(t *testing.T) {
			// The right password: its own hash only, then the rehash.
			var tk ticketPayload
			got := hashWork(a, func() { tk = a.authenticate(t, "CUSTOMER", "medusa@example.com", "correct horse battery staple") })
			mustTicket(t, tk)
			if want := map[password.Kind]uint64{scrypt: 1, argon2id: 1}; !maps.Equal(got, want) {
				t.Fatalf("right password: derivations %v, want %v", got, want)
			}
			// Until the store says the kind is gone, it is still run.
			checkPaths(t, map[password.Kind]uint64{argon2id: 1, scrypt: 1})
			if err := a.Service.RefreshPasswordHashKinds(ctx); err != nil {
				t.Fatal(err)
			}
			wantKinds(t, argon2id)
			checkPaths(t, map[password.Kind]uint64{argon2id: 1})
		})
	})
}

// A kind imported after the last listing (in this process, or met at a
// sign-in) is run from then on, without waiting for the next listing.
func TestEqualWorkBeforeTheNextListing(t *testing.T) {
	const medusa = "c2NyeXB0AA8AAAAIAAAAAbnXO5YjKoIK7XIXYje7B8Vdim1mas8TSylWx7ziTBXhjbKZ1EDUqOeLoBlqb40PCf10Lo+HhVKVb4/nmPLCyOTCvqWFrv7Bnkibom0Ki2zC"
	argon2id := password.Kind{Family: "argon2id", Params: "m=64,t=1,p=1"}
	scrypt := password.Kind{Family: "scrypt", Params: "N=32768,r=8,p=1"}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		for _, tc := range []struct {
			name string
			// meet makes the service meet the imported hash.
			meet func(a *api)
		}{
			{"imported here", func(a *api) {
				if _, err := a.Service.CreateAccount(ctx, gatehouse.ActorCustomer, auth.Account{Email: "here@example.com", PasswordHash: medusa}); err != nil {
					t.Fatal(err)
				}
			}},
			{"met at a sign-in", func(a *api) {
				other := authtest.New(t, db)
				if _, err := other.Service.CreateAccount(ctx, gatehouse.ActorCustomer, auth.Account{Email: "elsewhere@example.com", PasswordHash: medusa}); err != nil {
					t.Fatal(err)
				}
				a.authenticate(t, "CUSTOMER", "elsewhere@example.com", "wrong horse battery")
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := newAPI(t, db)
				tc.meet(a)
				want := map[password.Kind]uint64{argon2id: 1, scrypt: 1}
				if got := hashWork(a, func() { a.authenticate(t, "CUSTOMER", "nobody@example.com", "wrong horse battery") }); !maps.Equal(got, want) {
					t.Errorf("unknown email: derivations %v, want %v", got, want)
				}
			})
		}
	})
}
