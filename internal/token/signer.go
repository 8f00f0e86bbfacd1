package token

import (
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// methods maps each key algorithm to golang-jwt's signing method for it.
var methods = map[keys.Alg]jwt.SigningMethod{
	keys.EdDSA: jwt.SigningMethodEdDSA,
	keys.RS256: jwt.SigningMethodRS256,
	keys.HS256: jwt.SigningMethodHS256,
}

// Signer signs and verifies access tokens with the keys of a KeySource.
// It is safe for concurrent use.
type Signer struct {
	keys      KeySource
	issuer    string
	audiences map[gatehouse.ActorType]string
	leeway    time.Duration
	now       func() time.Time
	rand      io.Reader
	// parsers holds one parser per algorithm, each accepting that
	// algorithm only: a token is parsed by the parser of its key's.
	parsers map[keys.Alg]*jwt.Parser
	// cache remembers verified tokens; nil when disabled.
	cache *verifyCache
	// signatureChecks counts the tokens parsed with a key, which is
	// where the signature is checked: what the cache saves, and what
	// tests count. A pointer, so that String's copy of the Signer copies
	// no atomic.
	signatureChecks *atomic.Int64
}

// NewSigner checks c and returns a Signer for it.
func NewSigner(c Config) (*Signer, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Signer{
		keys:   c.Keys,
		issuer: c.Issuer,
		// Copied, so a caller reusing its map cannot change the
		// audiences under a running Signer.
		audiences: maps.Clone(c.Audiences),
		leeway:    c.Leeway,
		now:       c.Now,
		rand:      c.Rand,
		parsers:   map[keys.Alg]*jwt.Parser{},

		signatureChecks: new(atomic.Int64),
	}
	if s.leeway == 0 {
		s.leeway = DefaultLeeway
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	switch {
	case c.VerifyCacheSize == 0:
		s.cache = newVerifyCache(DefaultVerifyCacheSize)
	case c.VerifyCacheSize > 0:
		s.cache = newVerifyCache(c.VerifyCacheSize)
	}
	for alg, m := range methods {
		s.parsers[alg] = jwt.NewParser(
			jwt.WithValidMethods([]string{m.Alg()}),
			jwt.WithIssuer(s.issuer),
			jwt.WithExpirationRequired(),
			jwt.WithNotBeforeRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(s.leeway),
			jwt.WithTimeFunc(s.now),
			// Non-canonical base64 would let one signature be written
			// several ways.
			jwt.WithStrictDecoding(),
		)
	}
	return s, nil
}

// Audience returns the configured audience of an actor type, or "" for an
// unknown one.
func (s *Signer) Audience(a gatehouse.ActorType) string { return s.audiences[a] }

// Issuer returns the issuer written to every token.
func (s *Signer) Issuer() string { return s.issuer }

// String describes s without its keys; without it, %v would walk into the
// key source.
func (s Signer) String() string {
	return fmt.Sprintf("token.Signer{issuer:%q audiences:%v leeway:%s}", s.issuer, s.audiences, s.leeway)
}

// GoString keeps %#v from walking into the key source.
func (s Signer) GoString() string { return s.String() }
