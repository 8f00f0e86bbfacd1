package token_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/token"
)

// FuzzVerify feeds Verify any text: it must never panic, accept only the
// tokens the service signed (the fuzzer cannot forge a signature, so
// anything else accepted is a parsing hole: a second spelling of a token,
// a header or claim read two ways), refuse with ErrInvalid or ErrExpired
// only, never echo the token in its error, and answer the same with its
// verified-token cache as without.
func FuzzVerify(f *testing.F) {
	var (
		genuine = map[string]bool{}
		pairs   []struct{ cached, plain *token.Signer }
	)
	// The fuzzer runs this function again in each worker process: the
	// tokens must come out the same in each (a fixed clock, a fixed HMAC
	// secret, token ids from a stream of zeros), or a token one process
	// signed is "not signed" in another. The EdDSA key is new in each
	// process, so its token is refused in the others, as a forgery is.
	for _, alg := range []keys.Alg{keys.HS256, keys.EdDSA} {
		fx := newFixture(f, alg)
		cfg := testConfig(fx.clock, ring(f, fx.key))
		cfg.Rand = zeros{}
		cached := mustSigner(f, cfg)
		cfg.VerifyCacheSize = -1
		pairs = append(pairs, struct{ cached, plain *token.Signer }{cached, mustSigner(f, cfg)})
		raw := mustSign(f, cached, customerSubject())
		genuine[raw] = true
		f.Add(raw)
		h, p, _ := strings.Cut(raw, ".")
		f.Add(h + "." + p + ".")
		f.Add(h + "." + p)
		f.Add(raw + "=")
		f.Add(strings.ToUpper(raw[:1]) + raw[1:])
	}
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("")
	f.Add("...")
	f.Fuzz(func(t *testing.T, raw string) {
		for _, p := range pairs {
			c, err := p.cached.Verify(raw)
			_, perr := p.plain.Verify(raw)
			if (err == nil) != (perr == nil) {
				t.Fatalf("cached: %v, uncached: %v", err, perr)
			}
			if err == nil {
				if !genuine[raw] {
					t.Fatalf("accepted a token the service did not sign: %q (claims %+v)", raw, c)
				}
				continue
			}
			if !errors.Is(err, token.ErrInvalid) && !errors.Is(err, token.ErrExpired) {
				t.Fatalf("refused with %v", err)
			}
			if len(raw) >= 8 && strings.Contains(err.Error(), raw) {
				t.Fatalf("the error repeats the token: %v", err)
			}
		}
	})
}

// zeros reads as an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
