package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/authtest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

type invitePayload struct {
	Invite *struct {
		ID        string `json:"id"`
		Email     string `json:"email"`
		Accepted  bool   `json:"accepted"`
		ExpiresAt string `json:"expiresAt"`
	} `json:"invite"`
	InviteToken *string     `json:"inviteToken"`
	Errors      []authError `json:"errors"`
}

type userPayload struct {
	User *struct {
		ID        string  `json:"id"`
		Email     string  `json:"email"`
		FirstName *string `json:"firstName"`
	} `json:"user"`
	Errors []authError `json:"errors"`
}

const (
	createInviteQ = `mutation($email: String!) { createInvite(input: {email: $email}) { invite { id email accepted expiresAt createdAt updatedAt } inviteToken errors { code type message field } } }`
	acceptInviteQ = `mutation($token: String!) { acceptInvite(input: {inviteToken: $token, firstName: "Grace", lastName: "Hopper"}) { user { id email firstName lastName avatarUrl metadata createdAt updatedAt deletedAt } errors { code type message field } } }`
	currentUserQ  = `{ currentUser { id email firstName } }`
)

// admin bootstraps an admin user as `gatehouse users create` does and signs in.
func (a *api) admin(t *testing.T) string {
	t.Helper()
	if _, err := a.Service.CreateAccount(context.Background(), gatehouse.ActorUser, auth.Account{Email: "root@example.com", Password: "the first admin passphrase"}); err != nil {
		t.Fatal(err)
	}
	return mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase")).AccessToken
}

func (a *api) invite(t *testing.T, bearer, email string) string {
	t.Helper()
	var p invitePayload
	a.do(t, bearer, createInviteQ, map[string]any{"email": email}).decode(t, "createInvite", &p)
	if len(p.Errors) > 0 || p.InviteToken == nil {
		t.Fatalf("createInvite: %+v", p.Errors)
	}
	return *p.InviteToken
}

func TestUserInviteFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)

		var inv invitePayload
		a.do(t, root, createInviteQ, map[string]any{"email": " New.Admin@Example.com"}).decode(t, "createInvite", &inv)
		if len(inv.Errors) > 0 || inv.Invite.Email != "new.admin@example.com" || inv.Invite.Accepted || len(*inv.InviteToken) < 43 {
			t.Fatalf("invite = %+v", inv)
		}
		tok := *inv.InviteToken

		// Registering with another email's invite is refused.
		t.Run("another email's invite", func(t *testing.T) {
			wantError(t, a.register(t, "USER", "squatter@example.com", "correct horse battery", tok).Errors, "TOKEN_INVALID")
		})
		// Registering with a garbage invite is refused.
		t.Run("garbage invite", func(t *testing.T) {
			wantError(t, a.register(t, "USER", "new.admin@example.com", "correct horse battery", "garbage").Errors, "TOKEN_INVALID")
		})

		reg := mustTicket(t, a.register(t, "USER", "new.admin@example.com", "correct horse battery", tok))
		if reg.ActorID != nil || reg.ActorType != "USER" {
			t.Fatalf("registration = %+v", reg)
		}

		// A customer token cannot accept an invite.
		t.Run("accept as customer", func(t *testing.T) {
			cust := mustTicket(t, a.register(t, "CUSTOMER", "new.admin@example.com", "correct horse battery", ""))
			e := a.do(t, cust.AccessToken, acceptInviteQ, map[string]any{"token": tok}).topLevel(t)
			if e.Extensions["code"] != "FORBIDDEN" {
				t.Fatalf("error = %+v", e)
			}
		})

		var acc userPayload
		a.do(t, reg.AccessToken, acceptInviteQ, map[string]any{"token": tok}).decode(t, "acceptInvite", &acc)
		if len(acc.Errors) > 0 || acc.User.Email != "new.admin@example.com" || *acc.User.FirstName != "Grace" || !strings.HasPrefix(acc.User.ID, "user_") {
			t.Fatalf("acceptInvite = %+v", acc)
		}

		// An invite is single use.
		t.Run("invite reuse", func(t *testing.T) {
			other := mustTicket(t, a.register(t, "USER", "late@example.com", "correct horse battery", a.invite(t, root, "late@example.com")))
			var p userPayload
			a.do(t, other.AccessToken, acceptInviteQ, map[string]any{"token": tok}).decode(t, "acceptInvite", &p)
			wantError(t, p.Errors, "TOKEN_INVALID")
		})

		linked := mustTicket(t, a.refresh(t, reg.AccessToken))
		if linked.User == nil || linked.User.ID != acc.User.ID {
			t.Fatalf("refreshed = %+v", linked)
		}
		var me struct{ ID, Email string }
		a.do(t, linked.AccessToken, currentUserQ, nil).decode(t, "currentUser", &me)
		if me.ID != acc.User.ID {
			t.Fatalf("currentUser = %+v", me)
		}

		// Inviting an existing admin is a duplicate.
		t.Run("existing admin", func(t *testing.T) {
			var p invitePayload
			a.do(t, root, createInviteQ, map[string]any{"email": "ROOT@example.com"}).decode(t, "createInvite", &p)
			wantError(t, p.Errors, "DUPLICATE")
			if p.InviteToken != nil {
				t.Fatal("a refused invite must not return a token")
			}
		})
		// A customer cannot invite.
		t.Run("invite as customer", func(t *testing.T) {
			cust, _ := a.signUpCustomer(t, "shopper@example.com")
			e := a.do(t, cust, createInviteQ, map[string]any{"email": "x@example.com"}).topLevel(t)
			if e.Extensions["code"] != "FORBIDDEN" {
				t.Fatalf("error = %+v", e)
			}
		})
	})
}

func TestInviteMismatchRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)
		aliceTok := a.invite(t, root, "alice@example.com")
		bob := mustTicket(t, a.register(t, "USER", "bob@example.com", "correct horse battery", a.invite(t, root, "bob@example.com")))

		// Bob tries Alice's invite: refused, and nothing of it is kept.
		var p userPayload
		a.do(t, bob.AccessToken, acceptInviteQ, map[string]any{"token": aliceTok}).decode(t, "acceptInvite", &p)
		wantError(t, p.Errors, "TOKEN_INVALID")
		if _, err := a.Store.UserByEmail(context.Background(), "bob@example.com"); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			t.Fatalf("a user was left behind: %v", err)
		}

		// Alice's invite is still hers.
		alice := mustTicket(t, a.register(t, "USER", "alice@example.com", "correct horse battery", aliceTok))
		a.do(t, alice.AccessToken, acceptInviteQ, map[string]any{"token": aliceTok}).decode(t, "acceptInvite", &p)
		if len(p.Errors) > 0 {
			t.Fatalf("alice: %+v", p.Errors)
		}
	})
}

func TestInviteExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)
		tok := a.invite(t, root, "slow@example.com")
		mustTicket(t, a.register(t, "USER", "slow@example.com", "correct horse battery", tok))

		a.Clock.Advance(authtest.Lifetimes.Invite)
		// The registration token has expired by now too; signing in again
		// gives a fresh registration ticket.
		reg := mustTicket(t, a.authenticate(t, "USER", "slow@example.com", "correct horse battery"))
		var p userPayload
		a.do(t, reg.AccessToken, acceptInviteQ, map[string]any{"token": tok}).decode(t, "acceptInvite", &p)
		wantError(t, p.Errors, "TOKEN_EXPIRED")
		wantError(t, a.register(t, "USER", "slow@example.com", "correct horse battery", tok).Errors, "TOKEN_EXPIRED")
	})
}
