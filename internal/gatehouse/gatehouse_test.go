package gatehouse_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

func TestEmail(t *testing.T) {
	for _, tc := range []struct {
		in    string
		norm  string
		valid bool
	}{
		{" Ada@Example.COM ", "ada@example.com", true},
		{"a.b+tag@sub.example.io", "a.b+tag@sub.example.io", true},
		{"no-at-sign", "no-at-sign", false},
		{"Ada <ada@example.com>", "ada <ada@example.com>", false},
		{"two@@example.com", "two@@example.com", false},
		{"@example.com", "@example.com", false},
		{"ada@", "ada@", false},
		{"", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			n := gatehouse.NormalizeEmail(tc.in)
			if n != tc.norm || gatehouse.ValidEmail(n) != tc.valid {
				t.Fatalf("NormalizeEmail(%q) = %q valid %v", tc.in, n, gatehouse.ValidEmail(n))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	cause := errors.New("driver: connection refused")
	wrapped := fmt.Errorf("load: %w", gatehouse.Errorf(gatehouse.CodeNotFound, "No such thing."))
	for _, tc := range []struct {
		name string
		err  error
		code gatehouse.Code
	}{
		{"nil", nil, ""},
		{"plain error is internal", cause, gatehouse.CodeInternal},
		{"wrapped domain error keeps its code", wrapped, gatehouse.CodeNotFound},
		{"internal wraps", gatehouse.Internal(cause), gatehouse.CodeInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gatehouse.ErrorCode(tc.err); got != tc.code {
				t.Fatalf("ErrorCode = %q, want %q", got, tc.code)
			}
		})
	}
	if e := gatehouse.Internal(cause); e.Message != "An internal error occurred." || !errors.Is(e, cause) {
		t.Fatalf("Internal = %+v", e)
	}
}

func TestActorID(t *testing.T) {
	a := &gatehouse.AuthIdentity{ActorType: gatehouse.ActorCustomer, AppMetadata: map[string]any{"customer_id": "cus_1", "user_id": "user_1"}}
	if a.ActorID() != "cus_1" {
		t.Fatalf("ActorID = %q", a.ActorID())
	}
	a.ActorType = gatehouse.ActorUser
	if a.ActorID() != "user_1" {
		t.Fatalf("ActorID = %q", a.ActorID())
	}
	if (&gatehouse.AuthIdentity{ActorType: gatehouse.ActorUser}).ActorID() != "" {
		t.Fatal("unlinked identity has an actor")
	}
}
