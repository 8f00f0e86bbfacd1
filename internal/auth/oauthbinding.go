package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// A third-party sign-in's state is bound to the client that started it,
// or anyone could start a flow, sign in at the provider as themselves,
// and hand their code and state to a victim's callback page, which would
// sign the victim in to the attacker's account (login CSRF, RFC 6749
// §10.12). The client proves it is the same one in one of two ways:
//
//   - with a challenge (an app, or a browser page on another site than
//     gatehouse): authenticate receives callbackChallenge, the base64url
//     SHA-256 of a random verifier the client keeps, as in PKCE, and
//     validateCallback must receive that verifier;
//   - with a pre-auth cookie (a browser page on gatehouse's site): when no
//     challenge was given, authenticate makes a fresh secret for an
//     HttpOnly, SameSite=Lax cookie, and validateCallback must come with
//     it. A Lax cookie only comes back when the page and gatehouse are
//     same-site.
//
// The state row keeps only hashes: the challenge as given, or the
// cookie's SHA-256.
const (
	bindingChallenge = "challenge:"
	bindingCookie    = "cookie:"
)

// s256 is PKCE's S256: the base64url (unpadded) SHA-256 of v.
func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// checkChallenge accepts what s256 makes: 43 base64url characters that
// decode to 32 bytes.
func checkChallenge(c string) error {
	if b, err := base64.RawURLEncoding.Strict().DecodeString(c); len(c) != 43 || err != nil || len(b) != sha256.Size {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "callbackChallenge"},
			"Must be the base64url SHA-256 (43 characters, no padding) of the verifier you keep.")
	}
	return nil
}

// checkVerifier accepts a PKCE code verifier (RFC 7636 §4.1): 43 to 128
// characters of A-Z, a-z, 0-9, "-", ".", "_" and "~".
func checkVerifier(v string) error {
	ok := len(v) >= 43 && len(v) <= 128
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0
	}
	if !ok {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "callbackVerifier"},
			"Must be the verifier whose challenge went to authenticate: 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'.")
	}
	return nil
}

// bindClient returns the binding of a new state and, when the client gave
// no challenge, the value of the pre-auth cookie to set.
func (s *Service) bindClient(challenge *string) (binding, cookie string, err error) {
	if challenge != nil {
		if err := checkChallenge(*challenge); err != nil {
			return "", "", err
		}
		return bindingChallenge + *challenge, "", nil
	}
	cookie, err = secret.New(s.rand)
	if err != nil {
		return "", "", gatehouse.Internal(err)
	}
	return bindingCookie + s256(cookie), cookie, nil
}

// boundTo reports whether the callback comes from the client the state is
// bound to: the verifier of its challenge, or its pre-auth cookie. A state
// without a binding (made before bindings existed) belongs to nobody.
func boundTo(binding, verifier, cookie string) bool {
	var want string
	switch {
	case strings.HasPrefix(binding, bindingChallenge) && verifier != "":
		want = bindingChallenge + s256(verifier)
	case strings.HasPrefix(binding, bindingCookie) && secret.WellFormed(cookie):
		want = bindingCookie + s256(cookie)
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(binding), []byte(want)) == 1
}
