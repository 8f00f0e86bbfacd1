package auth

import "github.com/gatehouse/gatehouse/internal/gatehouse"

// ProviderKind says how a provider signs people in.
type ProviderKind string

// Provider kinds.
const (
	KindPassword ProviderKind = "PASSWORD"
	KindOAuth2   ProviderKind = "OAUTH2"
	KindOIDC     ProviderKind = "OIDC"
	// KindEmailCode: a one-time code sent to the email address.
	KindEmailCode ProviderKind = "EMAIL_CODE"
)

// Provider describes an enabled authentication provider.
type Provider struct {
	ID            string
	Kind          ProviderKind
	DisplayName   string
	SignUpAllowed bool
}

// Providers lists the providers enabled for an actor type.
func (s *Service) Providers(actor gatehouse.ActorType) []Provider {
	out := []Provider{{
		ID:          gatehouse.ProviderEmailPass,
		Kind:        KindPassword,
		DisplayName: "Email and password",
		// Admin identities need an invite.
		SignUpAllowed: actor == gatehouse.ActorCustomer,
	}, {
		ID:            gatehouse.ProviderEmailCode,
		Kind:          KindEmailCode,
		DisplayName:   "A code sent by email",
		SignUpAllowed: actor == gatehouse.ActorCustomer,
	}}
	for _, p := range s.oauth {
		if p.Actor() != string(actor) {
			continue
		}
		kind := KindOAuth2
		if p.OIDC() {
			kind = KindOIDC
		}
		out = append(out, Provider{ID: p.ID(), Kind: kind, DisplayName: p.DisplayName(), SignUpAllowed: p.SignUp()})
	}
	return out
}
