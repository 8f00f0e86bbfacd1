package token_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/token"
)

// cachedSigner returns a Signer on ks and c whose cache holds size tokens
// (token.Config's rules: 0 is the default, negative is none).
func cachedSigner(tb testing.TB, c *clocktest.Clock, ks token.KeySource, size int) *token.Signer {
	tb.Helper()
	cfg := testConfig(c, ks)
	cfg.VerifyCacheSize = size
	return mustSigner(tb, cfg)
}

// checksDuring returns how many signatures s checked while f ran.
func checksDuring(s *token.Signer, f func()) int64 {
	before := token.SignatureChecks(s)
	f()
	return token.SignatureChecks(s) - before
}

// sameRefusal fails unless got and want, the errors of a cached and an
// uncached Signer for one token at one moment, are the same answer.
func sameRefusal(tb testing.TB, got, want error) {
	tb.Helper()
	switch {
	case (got == nil) != (want == nil):
		tb.Fatalf("cached Verify: %v, uncached: %v", got, want)
	case got == nil:
		return
	case got.Error() != want.Error(),
		errors.Is(got, token.ErrExpired) != errors.Is(want, token.ErrExpired),
		errors.Is(got, token.ErrInvalid) != errors.Is(want, token.ErrInvalid):
		tb.Fatalf("cached Verify: %v, uncached: %v", got, want)
	}
}

func TestVerifyCacheHit(t *testing.T) {
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			for _, tt := range []struct {
				name string
				// warm are verified first, on a fresh signer: each case
				// builds the state it needs and runs alone.
				warm       func(raw, other string) []string
				verify     func(raw, other string) string
				wantChecks int64
			}{
				{"first verification checks the signature", nil, func(raw, _ string) string { return raw }, 1},
				{"second verification is a hit", func(raw, _ string) []string { return []string{raw} }, func(raw, _ string) string { return raw }, 0},
				{"another token checks its own", func(raw, _ string) []string { return []string{raw} }, func(_, other string) string { return other }, 1},
				// The first token is still a hit.
				{"first token again", func(raw, other string) []string { return []string{raw, other} }, func(raw, _ string) string { return raw }, 0},
			} {
				t.Run(tt.name, func(t *testing.T) {
					f := newFixture(t, alg)
					raw := mustSign(t, f.signer, customerSubject())
					other := mustSign(t, f.signer, customerSubject())
					var warmed []*token.Claims
					if tt.warm != nil {
						for _, w := range tt.warm(raw, other) {
							c, err := f.signer.Verify(w)
							if err != nil {
								t.Fatalf("Verify (warming): %v", err)
							}
							warmed = append(warmed, c)
						}
					}
					var (
						c   *token.Claims
						err error
					)
					n := checksDuring(f.signer, func() { c, err = f.signer.Verify(tt.verify(raw, other)) })
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if n != tt.wantChecks {
						t.Errorf("Verify checked %d signatures, want %d", n, tt.wantChecks)
					}
					if tt.wantChecks == 0 {
						// A hit answers an equal copy of what the first
						// verification answered.
						first := warmed[0]
						if !reflect.DeepEqual(first, c) {
							t.Errorf("hit returned %+v, want %+v", c, first)
						}
						if first == c || first.ActorID != "cus_01" || first.SessionID != testSession {
							t.Errorf("claims %p %+v and %p: want equal copies of cus_01's", first, first, c)
						}
					}
				})
			}
		})
	}
}

// TestVerifyCacheRefusals: a token that fails is never remembered, so
// each try checks it again.
func TestVerifyCacheRefusals(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	for _, tt := range []struct {
		name string
		raw  string
		want error
	}{
		{name: "forged", raw: forge(t, goodHeader(f), goodClaims(), f.other), want: token.ErrInvalid},
		{name: "expired", raw: forge(t, goodHeader(f), with(goodClaims(), "exp", epoch.Add(-time.Hour).Unix()), f.sign), want: token.ErrExpired},
		{name: "wrong audience", raw: forge(t, goodHeader(f), with(goodClaims(), "aud", []string{"elsewhere"}), f.sign), want: token.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for try := 1; try <= 2; try++ {
				var err error
				n := checksDuring(f.signer, func() { _, err = f.signer.Verify(tt.raw) })
				if !errors.Is(err, tt.want) {
					t.Fatalf("try %d: Verify: %v, want %v", try, err, tt.want)
				}
				if n != 1 {
					t.Fatalf("try %d: Verify checked %d signatures, want 1", try, n)
				}
			}
			if n := token.CacheLen(f.signer); n != 0 {
				t.Errorf("the cache holds %d tokens, want none", n)
			}
		})
	}
}

// TestVerifyCacheExpiresOnTheClock moves one clock under a cached and an
// uncached Signer on the same keys: every answer must be the same, and a
// hit must not check the signature. Cases run in order on one cache.
func TestVerifyCacheExpiresOnTheClock(t *testing.T) {
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			exp := customerSubject().ExpiresAt
			// The steps are a timeline; each subtest replays the steps
			// before it on a fresh cache, then checks its own, so that
			// it runs alone.
			steps := []struct {
				name       string
				at         time.Time
				want       error // nil: accepted
				wantChecks int64
			}{
				{name: "at issue, first", at: epoch, wantChecks: 1},
				{name: "at issue, hit", at: epoch},
				{name: "at exp", at: exp},
				{name: "one second before exp plus leeway", at: exp.Add(testLeeway - time.Second)},
				{name: "one nanosecond before exp plus leeway", at: exp.Add(testLeeway - time.Nanosecond)},
				{name: "at exp plus leeway", at: exp.Add(testLeeway), want: token.ErrExpired, wantChecks: 1},
				{name: "still expired", at: exp.Add(testLeeway), want: token.ErrExpired, wantChecks: 1},
				{name: "clock set back, verified again", at: epoch, wantChecks: 1},
				{name: "clock set back, hit", at: epoch},
				{name: "before issue within leeway", at: epoch.Add(-testLeeway)},
				{name: "before issue beyond leeway", at: epoch.Add(-testLeeway - time.Nanosecond), want: token.ErrInvalid, wantChecks: 1},
				{name: "at issue again, verified again", at: epoch, wantChecks: 1},
				{name: "a day later", at: exp.Add(24 * time.Hour), want: token.ErrExpired, wantChecks: 1},
			}
			key := newKey(t, alg)
			for i, tt := range steps {
				t.Run(tt.name, func(t *testing.T) {
					clk := clocktest.New(epoch)
					r := ring(t, key)
					cached, plain := cachedSigner(t, clk, r, 0), cachedSigner(t, clk, r, -1)
					raw := mustSign(t, cached, customerSubject())
					for _, prev := range steps[:i] {
						clk.Set(prev.at)
						_, _ = cached.Verify(raw)
					}
					clk.Set(tt.at)
					var (
						got *token.Claims
						err error
					)
					n := checksDuring(cached, func() { got, err = cached.Verify(raw) })
					want, wantErr := plain.Verify(raw)
					if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
						t.Fatalf("Verify at %v: %v, want %v", tt.at, err, tt.want)
					}
					sameRefusal(t, err, wantErr)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("cached Verify returned %+v, uncached %+v", got, want)
					}
					if n != tt.wantChecks {
						t.Errorf("Verify checked %d signatures, want %d", n, tt.wantChecks)
					}
				})
			}
		})
	}
}

// TestVerifyCacheEachDate: a token whose nbf, iat or auth_time alone is
// later than the rest, cached while within the leeway of it, is refused
// once the clock is set back beyond it, as an uncached Signer refuses it.
func TestVerifyCacheEachDate(t *testing.T) {
	later := epoch.Add(30 * time.Second).Unix()
	for _, tt := range []struct {
		claim  string
		reason string
	}{
		{claim: "nbf", reason: "not valid yet"},
		{claim: "iat", reason: "issued in the future"},
		{claim: "auth_time", reason: "auth_time in the future"},
	} {
		t.Run(tt.claim, func(t *testing.T) {
			f := newFixture(t, keys.EdDSA)
			plain := cachedSigner(t, f.clock, ring(t, f.key), -1)
			raw := forge(t, goodHeader(f), with(goodClaims(), tt.claim, later), f.sign)
			f.clock.Set(time.Unix(later, 0).Add(-testLeeway))
			for i := 1; i <= 2; i++ {
				if _, err := f.signer.Verify(raw); err != nil {
					t.Fatalf("Verify %d within the leeway: %v", i, err)
				}
			}
			f.clock.Set(f.clock.Now().Add(-time.Nanosecond))
			var err error
			n := checksDuring(f.signer, func() { _, err = f.signer.Verify(raw) })
			_, want := plain.Verify(raw)
			if !errors.Is(err, token.ErrInvalid) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Verify beyond the leeway: %v, want %v (%s)", err, token.ErrInvalid, tt.reason)
			}
			sameRefusal(t, err, want)
			if n != 1 {
				t.Errorf("Verify beyond the leeway checked %d signatures, want 1", n)
			}
			if got := token.SignatureChecks(f.signer); got != 2 {
				t.Errorf("%d signature checks in all, want 2 (the second Verify a hit)", got)
			}
		})
	}
}

// TestVerifyCacheBound verifies many more tokens than the cache holds: it
// stays at its size, keeps the newest and lets the oldest go.
func TestVerifyCacheBound(t *testing.T) {
	for _, tt := range []struct {
		name    string
		size    int
		wantCap int
		tokens  int
	}{
		{name: "one", size: 1, wantCap: 1, tokens: 20},
		{name: "fewer than the shards", size: 7, wantCap: 7, tokens: 140},
		{name: "not a multiple of the shards", size: 100, wantCap: 100, tokens: 2000},
		{name: "zero is the default", size: 0, wantCap: token.DefaultVerifyCacheSize, tokens: 20},
		{name: "negative is none", size: -1, wantCap: 0, tokens: 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := clocktest.New(epoch)
			s := cachedSigner(t, clk, ring(t, newKey(t, keys.HS256)), tt.size)
			if got := token.CacheCap(s); got != tt.wantCap {
				t.Fatalf("cache capacity %d, want %d", got, tt.wantCap)
			}
			raws := make([]string, tt.tokens)
			for i := range raws {
				sub := customerSubject()
				sub.ActorID = fmt.Sprintf("cus_%d", i)
				raws[i] = mustSign(t, s, sub)
				c, err := s.Verify(raws[i])
				if err != nil {
					t.Fatalf("Verify token %d: %v", i, err)
				}
				if c.ActorID != sub.ActorID {
					t.Fatalf("token %d has actor %q, want %q", i, c.ActorID, sub.ActorID)
				}
				if n := token.CacheLen(s); n > tt.wantCap {
					t.Fatalf("after %d tokens the cache holds %d, more than %d", i+1, n, tt.wantCap)
				}
			}
			if n, want := token.CacheLen(s), min(tt.wantCap, tt.tokens); n != want {
				t.Errorf("the cache holds %d tokens, want %d", n, want)
			}
			wantLast, wantFirst := int64(0), int64(0)
			if tt.wantCap == 0 {
				wantLast, wantFirst = 1, 1
			}
			if tt.wantCap < tt.tokens {
				// Each shard saw twenty times its share after the first
				// token: it is gone whatever shard it fell in.
				wantFirst = 1
			}
			if n := checksDuring(s, func() { _, _ = s.Verify(raws[len(raws)-1]) }); n != wantLast {
				t.Errorf("the newest token: %d signature checks, want %d", n, wantLast)
			}
			if n := checksDuring(s, func() { _, _ = s.Verify(raws[0]) }); n != wantFirst {
				t.Errorf("the oldest token: %d signature checks, want %d", n, wantFirst)
			}
		})
	}
}

func TestVerifyCacheDisabled(t *testing.T) {
	s := cachedSigner(t, clocktest.New(epoch), ring(t, newKey(t, keys.EdDSA)), -1)
	raw := mustSign(t, s, customerSubject())
	for i := 1; i <= 3; i++ {
		if n := checksDuring(s, func() {
			if _, err := s.Verify(raw); err != nil {
				t.Fatalf("Verify %d: %v", i, err)
			}
		}); n != 1 {
			t.Fatalf("Verify %d checked %d signatures, want 1", i, n)
		}
	}
	if n := token.CacheLen(s); n != 0 {
		t.Errorf("a disabled cache holds %d tokens", n)
	}
}

// keySource is a key source whose keys a test changes under a running
// Signer, as a ring does when it reloads.
type keySource struct {
	mu      sync.Mutex
	signing *keys.Key
	byKid   map[string]*keys.Key
}

func newKeySource(ks ...*keys.Key) *keySource {
	s := &keySource{signing: ks[0], byKid: map[string]*keys.Key{}}
	for _, k := range ks {
		s.byKid[k.ID] = k
	}
	return s
}

func (s *keySource) SigningKey() (*keys.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signing, nil
}

func (s *keySource) VerificationKey(kid string) (*keys.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.byKid[kid]; k != nil {
		return k, nil
	}
	return nil, keys.ErrUnknownKey
}

// set puts k under kid; nil removes kid.
func (s *keySource) set(kid string, k *keys.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k == nil {
		delete(s.byKid, kid)
		return
	}
	s.byKid[kid] = k
}

// TestVerifyCacheKeyLife: once a token's key stops verifying (it expires,
// leaves the key source, or the kid comes to name another key), the
// cached token is refused exactly as an uncached Signer refuses it.
func TestVerifyCacheKeyLife(t *testing.T) {
	at := func(d time.Duration) *time.Time { v := epoch.Add(d); return &v }
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			for _, tt := range []struct {
				name   string
				change func(clk *clocktest.Clock, ks *keySource, k *keys.Key)
				reason string
			}{
				{name: "retired key expires", change: func(clk *clocktest.Clock, _ *keySource, _ *keys.Key) {
					clk.Set(epoch.Add(time.Second))
				}, reason: "key expired"},
				{name: "key leaves the key source", change: func(_ *clocktest.Clock, ks *keySource, k *keys.Key) {
					ks.set(k.ID, nil)
				}, reason: "unknown key id"},
				{name: "key source marks the key expired", change: func(_ *clocktest.Clock, ks *keySource, k *keys.Key) {
					c := *k
					c.ExpiresAt = at(0)
					ks.set(k.ID, &c)
				}, reason: "key expired"},
				{name: "kid names another key", change: func(_ *clocktest.Clock, ks *keySource, k *keys.Key) {
					c := *otherServiceKey(t, alg)
					c.ID = k.ID
					ks.set(k.ID, &c)
				}, reason: "bad signature"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					current := newKey(t, keys.EdDSA)
					retired := newKey(t, alg)
					if alg == keys.EdDSA {
						retired = otherServiceKey(t, alg)
					}
					retired.RetiredAt, retired.ExpiresAt = at(-time.Hour), at(time.Second)
					clk := clocktest.New(epoch)
					ks := newKeySource(current, retired)
					cached, plain := cachedSigner(t, clk, ks, 0), cachedSigner(t, clk, ks, -1)
					raw := forge(t, map[string]any{"alg": string(alg), "typ": "JWT", "kid": retired.ID}, goodClaims(), signerOf(t, retired))
					for i := 1; i <= 2; i++ {
						if _, err := cached.Verify(raw); err != nil {
							t.Fatalf("Verify %d before the change: %v", i, err)
						}
					}
					if n := token.SignatureChecks(cached); n != 1 {
						t.Fatalf("%d signature checks before the change, want 1", n)
					}
					tt.change(clk, ks, retired)
					_, err := cached.Verify(raw)
					_, want := plain.Verify(raw)
					if !errors.Is(err, token.ErrInvalid) || !strings.Contains(err.Error(), tt.reason) {
						t.Fatalf("Verify after the change: %v, want %v (%s)", err, token.ErrInvalid, tt.reason)
					}
					sameRefusal(t, err, want)
					if n := token.CacheLen(cached); n != 0 {
						t.Errorf("the cache still holds %d tokens", n)
					}
				})
			}
		})
	}
}

// otherServiceKey is a second service key of alg, unlike newKey's.
func otherServiceKey(tb testing.TB, alg keys.Alg) *keys.Key {
	tb.Helper()
	switch alg {
	case keys.RS256:
		return rsaKey2(tb)
	case keys.HS256:
		k, err := keys.NewHMAC(otherSecret)
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
	return newKey(tb, alg)
}

// richSubject has app metadata with an object and an array in it, for
// the tests that change what Verify returns.
func richSubject() token.Subject {
	sub := customerSubject()
	sub.AppMetadata = map[string]any{
		"customer_id": "cus_01",
		"roles":       []any{"buyer", map[string]any{"tier": "gold"}},
		"prefs":       map[string]any{"lang": "nb"},
	}
	sub.AMR, sub.AAL = []string{"pwd", "otp", "mfa"}, "aal2"
	return sub
}

// scribble changes every part of c a caller could change in place.
func scribble(c *token.Claims) {
	c.ActorID = "cus_99"
	c.AppMetadata["customer_id"] = "cus_99"
	c.AppMetadata["added"] = true
	c.AppMetadata["roles"].([]any)[0] = "admin"
	c.AppMetadata["roles"].([]any)[1].(map[string]any)["tier"] = "none"
	c.AppMetadata["prefs"].(map[string]any)["lang"] = "xx"
	c.Audience[0] = "admin"
	c.AMR[0] = "none"
	later := epoch.Add(1000 * time.Hour)
	for _, d := range []*jwt.NumericDate{c.ExpiresAt, c.NotBefore, c.IssuedAt, c.AuthTime} {
		d.Time = later
	}
}

// TestVerifyCacheClaimsAreCopies: a caller changing the claims it got,
// from a miss or from a hit, changes nothing for the next caller.
func TestVerifyCacheClaimsAreCopies(t *testing.T) {
	for _, tt := range []struct {
		name string
		// before is how many verifications (each scribbled on) precede
		// the one checked, on a fresh cache: each case runs alone.
		before     int
		wantChecks int64
	}{
		{name: "miss", before: 0, wantChecks: 1},
		{name: "hit after the miss's claims changed", before: 1},
		{name: "hit after a hit's claims changed", before: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := clocktest.New(epoch)
			r := ring(t, newKey(t, keys.EdDSA))
			cached, plain := cachedSigner(t, clk, r, 0), cachedSigner(t, clk, r, -1)
			raw := mustSign(t, cached, richSubject())
			want, err := plain.Verify(raw)
			if err != nil {
				t.Fatal(err)
			}
			for range tt.before {
				c, err := cached.Verify(raw)
				if err != nil {
					t.Fatal(err)
				}
				scribble(c)
			}
			var got *token.Claims
			n := checksDuring(cached, func() { got, err = cached.Verify(raw) })
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if n != tt.wantChecks {
				t.Errorf("Verify checked %d signatures, want %d", n, tt.wantChecks)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Verify returned %+v, want %+v", got, want)
			}
			scribble(got)
			if reflect.DeepEqual(got, want) {
				t.Fatal("scribble changed nothing")
			}
		})
	}
}

// TestClaimsReferenceFields lists the fields of Claims that share memory
// when copied: the cache's copy must copy each, so a new one has to be
// added there and here.
func TestClaimsReferenceFields(t *testing.T) {
	var got []string
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for i := range ty.NumField() {
			f := ty.Field(i)
			switch f.Type.Kind() {
			case reflect.Struct:
				walk(f.Type)
			case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func, reflect.Array:
				got = append(got, f.Name)
			}
		}
	}
	walk(reflect.TypeFor[token.Claims]())
	slices.Sort(got)
	want := []string{"AMR", "Act", "AppMetadata", "Audience", "AuthTime", "ExpiresAt", "IssuedAt", "NotBefore"}
	if !slices.Equal(got, want) {
		t.Errorf("Claims has reference fields %v, want %v: teach Claims.clone the new ones", got, want)
	}
}

// TestVerifyCacheConcurrent runs many goroutines over more tokens than
// the cache holds, with forgeries among them; run it with -race.
func TestVerifyCacheConcurrent(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	s := cachedSigner(t, f.clock, ring(t, f.key), 8)
	type tok struct {
		raw   string
		actor string // "": a forgery
	}
	var toks []tok
	for i := range 24 {
		sub := richSubject()
		sub.ActorID = fmt.Sprintf("cus_%d", i)
		toks = append(toks, tok{raw: mustSign(t, s, sub), actor: sub.ActorID})
		if i%6 == 0 {
			toks = append(toks, tok{raw: forge(t, goodHeader(f), goodClaims(), f.other)})
		}
	}
	const workers, rounds = 8, 30
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				for i := range toks {
					tk := toks[(i+w*5+r)%len(toks)]
					c, err := s.Verify(tk.raw)
					switch {
					case tk.actor == "" && err == nil:
						errs <- errors.New("a forgery was accepted")
						return
					case tk.actor == "":
					case err != nil:
						errs <- fmt.Errorf("Verify %s: %v", tk.actor, err)
						return
					case c.ActorID != tk.actor || c.AppMetadata["roles"].([]any)[0] != "buyer":
						errs <- fmt.Errorf("Verify %s returned %+v", tk.actor, c)
						return
					default:
						scribble(c)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	calls := int64(workers * rounds * len(toks))
	if n := token.SignatureChecks(s); n <= 0 || n > calls {
		t.Errorf("%d signature checks for %d calls", n, calls)
	}
	// Eight shards of one entry: a shard no token hashed to stays empty.
	if n := token.CacheLen(s); n < 1 || n > 8 {
		t.Errorf("the cache holds %d tokens, want 1 to 8", n)
	}
}
