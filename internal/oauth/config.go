package oauth

import (
	"fmt"
	"log/slog"
)

// Provider types.
const (
	TypeGoogle = "google"
	TypeGitHub = "github"
	TypeOIDC   = "oidc"
)

// Config is one provider for one actor type, as the operator configured
// it. internal/config reads it from the environment and a YAML file; this
// package takes it as it is, so that the service depends on neither.
type Config struct {
	// ID is the name clients pass as `provider`: google, github, or an
	// operator's name for an OpenID Connect issuer (oidc-okta).
	ID string
	// Type is TypeGoogle, TypeGitHub or TypeOIDC.
	Type        string
	Actor       string // customer or user
	DisplayName string

	ClientID string
	// ClientSecret never prints: String, GoString and LogValue redact it.
	ClientSecret string
	Scopes       []string
	// RedirectURLs are where the provider may send the browser back to:
	// exact matches only.
	RedirectURLs []string
	// SignUp lets the provider create new identities; without it only
	// identities that exist already (or link by email) sign in.
	SignUp bool
	// LinkByEmail attaches a new provider identity to the existing
	// identity with the same email, when the provider says it verified it.
	LinkByEmail bool

	// Issuer is the OpenID Connect issuer (google's by default).
	Issuer string
	// AuthURL, TokenURL and APIURL override GitHub's endpoints (or any
	// provider's authorization and token endpoints).
	AuthURL, TokenURL, APIURL string
}

func (c Config) redacted() Config {
	if c.ClientSecret != "" {
		c.ClientSecret = "[REDACTED]"
	}
	return c
}

func (c Config) String() string {
	type plain Config // without the methods, so Sprintf does not recurse
	return fmt.Sprintf("%+v", plain(c.redacted()))
}

func (c Config) GoString() string { return c.String() }

// LogValue logs the provider without its secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", c.ID), slog.String("type", c.Type), slog.String("actor", c.Actor),
		slog.String("client_id", c.ClientID), slog.Bool("client_secret_set", c.ClientSecret != ""))
}
