package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
)

// t0 is the tests' "now": in UTC, to the microsecond, as the databases keep
// times.
var t0 = time.Date(2026, 11, 22, 10, 4, 5, 123456000, time.UTC)

func newID() string { return ulid.Make().String() }

func ptr[T any](v T) *T { return &v }

// wantCode fails the test unless err is a *gatehouse.Error with code, or
// nil when code is "".
func wantCode(t *testing.T, err error, code gatehouse.Code) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
	var e *gatehouse.Error
	if err != nil && errors.As(err, &e) && e.Message == "" {
		t.Fatalf("error %v has no message for the client", err)
	}
}

// wantDuplicate fails the test unless err is CodeDuplicate with message.
func wantDuplicate(t *testing.T, err error, message string) {
	t.Helper()
	wantCode(t, err, gatehouse.CodeDuplicate)
	if got := gatehouse.AsError(err).Message; got != message {
		t.Fatalf("message = %q, want %q", got, message)
	}
}

func mustNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newCustomer returns a registered customer with the given email and the
// fields the schema requires.
func newCustomer(email string) *gatehouse.Customer {
	return &gatehouse.Customer{
		ID:         newID(),
		Email:      ptr(email),
		HasAccount: true,
		IsActive:   true,
		Metadata:   map[string]any{},
		Attributes: []gatehouse.CustomerAttribute{},
		CreatedAt:  t0,
		UpdatedAt:  t0,
	}
}

func mustCreateCustomer(t *testing.T, s *store.Store, c *gatehouse.Customer) *gatehouse.Customer {
	t.Helper()
	mustNoError(t, s.CreateCustomer(t.Context(), c))
	return c
}

func newAddress(customerID, name string) *gatehouse.Address {
	return &gatehouse.Address{
		ID:          newID(),
		CustomerID:  customerID,
		AddressName: ptr(name),
		Metadata:    map[string]any{},
		CreatedAt:   t0,
		UpdatedAt:   t0,
	}
}

func newUser(email string) *gatehouse.User {
	return &gatehouse.User{
		ID:        newID(),
		Email:     email,
		Metadata:  map[string]any{},
		CreatedAt: t0,
		UpdatedAt: t0,
	}
}

func newInvite(email, tokenHash string, expiresAt time.Time) *gatehouse.Invite {
	return &gatehouse.Invite{
		ID:        newID(),
		Email:     email,
		TokenHash: tokenHash,
		ExpiresAt: expiresAt,
		Metadata:  map[string]any{},
		CreatedAt: t0,
		UpdatedAt: t0,
	}
}

// newIdentity returns an emailpass identity pair for actor and email.
func newIdentity(actor gatehouse.ActorType, email string) (*gatehouse.AuthIdentity, *gatehouse.ProviderIdentity) {
	a := &gatehouse.AuthIdentity{
		ID:          newID(),
		ActorType:   actor,
		AppMetadata: map[string]any{},
		CreatedAt:   t0,
		UpdatedAt:   t0,
	}
	p := &gatehouse.ProviderIdentity{
		ID:               newID(),
		AuthIdentityID:   a.ID,
		ActorType:        actor,
		Provider:         gatehouse.ProviderEmailPass,
		EntityID:         email,
		ProviderMetadata: map[string]any{"password": "hash"},
		UserMetadata:     map[string]any{},
		CreatedAt:        t0,
		UpdatedAt:        t0,
	}
	return a, p
}
