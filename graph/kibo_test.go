package graph_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	kiboTicketFields = `ticket { accessToken accessTokenExpiration refreshToken refreshTokenExpiration userId sessionId actorType actorId mergedAnonymousUserId
		customerAccount { id email emailAddress isAnonymous hasAccount userName } } errors { code type message field }`
	anonymousQ     = `mutation { createAnonymousShopperAuthTicket { ` + kiboTicketFields + ` } }`
	userTicketQ    = `mutation($input: CreateUserAuthTicketInput!) { createUserAuthTicket(input: $input) { ` + kiboTicketFields + ` } }`
	refreshKiboQ   = `mutation($t: String!) { refreshUserAuthTicket(input: {refreshToken: $t}) { ` + kiboTicketFields + ` } }`
	registerKiboQ  = `mutation($input: RegisterInput!) { register(actor: CUSTOMER, provider: "emailpass", input: $input) { ` + kiboTicketFields + ` } }`
	authenticateKQ = `mutation($input: AuthenticateInput) { authenticate(actor: CUSTOMER, provider: "emailpass", input: $input) { ` + kiboTicketFields + ` } }`
)

type kiboTicket struct {
	AccessToken           string  `json:"accessToken"`
	RefreshToken          *string `json:"refreshToken"`
	RefreshExpiration     *string `json:"refreshTokenExpiration"`
	UserID                string  `json:"userId"`
	SessionID             string  `json:"sessionId"`
	ActorID               *string `json:"actorId"`
	MergedAnonymousUserID *string `json:"mergedAnonymousUserId"`
	CustomerAccount       *struct {
		ID           string  `json:"id"`
		Email        *string `json:"email"`
		EmailAddress *string `json:"emailAddress"`
		IsAnonymous  bool    `json:"isAnonymous"`
		HasAccount   bool    `json:"hasAccount"`
	} `json:"customerAccount"`
}

type kiboPayload struct {
	Ticket *kiboTicket `json:"ticket"`
	Errors []authError `json:"errors"`
}

func (a *api) kibo(t testing.TB, bearer, query, field string, vars map[string]any) kiboPayload {
	t.Helper()
	var p kiboPayload
	a.do(t, bearer, query, vars).decode(t, field, &p)
	return p
}

func mustKibo(t testing.TB, p kiboPayload) *kiboTicket {
	t.Helper()
	if len(p.Errors) > 0 || p.Ticket == nil {
		t.Fatalf("want a ticket, got %+v", p.Errors)
	}
	return p.Ticket
}

func TestAnonymousShopper(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		anon := mustKibo(t, a.kibo(t, "", anonymousQ, "createAnonymousShopperAuthTicket", nil))
		c := anon.CustomerAccount
		if anon.UserID == "" || anon.RefreshToken == nil || anon.RefreshExpiration == nil || c == nil || !c.IsAnonymous || c.HasAccount || c.Email != nil || *anon.ActorID != c.ID {
			t.Fatalf("anonymous ticket = %+v / %+v", anon, c)
		}
		claims, err := a.Signer.Verify(anon.AccessToken)
		if err != nil || claims.AppMetadata[gatehouse.AnonymousKey] != true {
			t.Fatalf("claims = %+v, %v", claims, err)
		}
		// It is a customer like any other: it can keep addresses and refresh.
		var added addressPayload
		a.do(t, anon.AccessToken, addAddressQ, map[string]any{"input": map[string]any{"city": "Paris"}}).decode(t, "addCustomerAddress", &added)
		if len(added.Errors) > 0 {
			t.Fatalf("add address: %+v", added.Errors)
		}
		next := mustKibo(t, a.kibo(t, "", refreshKiboQ, "refreshUserAuthTicket", map[string]any{"t": *anon.RefreshToken}))
		if next.UserID != anon.UserID || *next.RefreshToken == *anon.RefreshToken {
			t.Fatalf("refreshed = %+v", next)
		}
		second := mustKibo(t, a.kibo(t, "", anonymousQ, "createAnonymousShopperAuthTicket", nil))
		if second.UserID == anon.UserID {
			t.Fatal("two anonymous shoppers share an id")
		}
	})
}

func TestCreateUserAuthTicket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		tok, c := a.signUpCustomer(t, "kibo@example.com")
		var p customerPayload
		a.do(t, tok, updateCustomerQ, map[string]any{"input": map[string]any{"userName": "Shopper1"}}).decode(t, "updateCustomer", &p)

		for _, tc := range []struct {
			name  string
			input map[string]any
		}{
			{"by email", map[string]any{"emailAddress": "KIBO@example.com", "password": "correct horse battery"}},
			{"by user name", map[string]any{"userName": "shopper1", "password": "correct horse battery"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tk := mustKibo(t, a.kibo(t, "", userTicketQ, "createUserAuthTicket", map[string]any{"input": tc.input}))
				if tk.CustomerAccount == nil || tk.CustomerAccount.ID != c.ID || *tk.CustomerAccount.EmailAddress != "kibo@example.com" || tk.RefreshToken == nil {
					t.Fatalf("ticket = %+v", tk)
				}
			})
		}

		// An unknown user name answers as a wrong password, with the same work.
		t.Run("unknown user name", func(t *testing.T) {
			before := a.Hasher.Derivations()
			unknown := a.do(t, "", userTicketQ, map[string]any{"input": map[string]any{"userName": "nobody", "password": "wrong horse battery"}})
			wrong := a.do(t, "", userTicketQ, map[string]any{"input": map[string]any{"userName": "shopper1", "password": "wrong horse battery"}})
			if n := a.Hasher.Derivations() - before; n != 2 {
				t.Fatalf("%d key derivations for two attempts, want 2", n)
			}
			if !bytes.Equal(unknown.raw, wrong.raw) {
				t.Fatalf("answers differ:\n%s\n%s", unknown.raw, wrong.raw)
			}
			var p kiboPayload
			wrong.decode(t, "createUserAuthTicket", &p)
			wantError(t, p.Errors, "INVALID_CREDENTIALS")
		})

		t.Run("neither email nor user name", func(t *testing.T) {
			wantError(t, a.kibo(t, "", userTicketQ, "createUserAuthTicket", map[string]any{"input": map[string]any{"password": "x"}}).Errors, "INVALID_INPUT")
		})

		// refreshUserAuthTicket detects reuse.
		t.Run("refreshUserAuthTicket reuse", func(t *testing.T) {
			first := mustKibo(t, a.kibo(t, "", userTicketQ, "createUserAuthTicket", map[string]any{"input": map[string]any{"userName": "SHOPPER1", "password": "correct horse battery"}}))
			mustKibo(t, a.kibo(t, "", refreshKiboQ, "refreshUserAuthTicket", map[string]any{"t": *first.RefreshToken}))
			a.Clock.Advance(11 * time.Second)
			wantError(t, a.kibo(t, "", refreshKiboQ, "refreshUserAuthTicket", map[string]any{"t": *first.RefreshToken}).Errors, "TOKEN_INVALID")
			wantError(t, a.kibo(t, "", refreshKiboQ, "refreshUserAuthTicket", map[string]any{"t": ""}).Errors, "TOKEN_INVALID")
		})
	})
}

func TestAnonymousMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		a.signUpCustomer(t, "merge@example.com")
		signIn := map[string]any{"input": map[string]any{"email": "merge@example.com", "password": "correct horse battery"}}

		for _, tc := range []struct {
			name, query, field string
			vars               func() map[string]any
		}{
			{"authenticate", authenticateKQ, "authenticate", func() map[string]any { return signIn }},
			{"createUserAuthTicket", userTicketQ, "createUserAuthTicket", func() map[string]any {
				return map[string]any{"input": map[string]any{"emailAddress": "merge@example.com", "password": "correct horse battery"}}
			}},
			{"register", registerKiboQ, "register", func() map[string]any {
				return map[string]any{"input": map[string]any{"email": "new." + gatehouse.NewID("x") + "@example.com", "password": "correct horse battery"}}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				anon := mustKibo(t, a.kibo(t, "", anonymousQ, "createAnonymousShopperAuthTicket", nil))
				tk := mustKibo(t, a.kibo(t, anon.AccessToken, tc.query, tc.field, tc.vars()))
				if tk.MergedAnonymousUserID == nil || *tk.MergedAnonymousUserID != anon.UserID {
					t.Fatalf("mergedAnonymousUserId = %v, want %s", tk.MergedAnonymousUserID, anon.UserID)
				}
				a.wantUnauthenticated(t, anon.AccessToken, currentQ, "REVOKED")
				wantError(t, a.rotate(t, *anon.RefreshToken).Errors, "TOKEN_INVALID")
				events, err := a.Store.Events(context.Background(), anon.UserID, "", 10)
				if err != nil || len(events) != 1 || events[0].Name != gatehouse.EventCustomerMerged || events[0].Payload["merged_into_user_id"] != tk.UserID {
					t.Fatalf("events = %+v, %v", events, err)
				}
			})
		}

		// A registered customer's token is not merged.
		t.Run("registered customer token", func(t *testing.T) {
			other := a.signedIn(t, "other@example.com")
			tk := mustKibo(t, a.kibo(t, other.AccessToken, authenticateKQ, "authenticate", signIn))
			if tk.MergedAnonymousUserID != nil {
				t.Fatal("merged a registered customer")
			}
			a.do(t, other.AccessToken, currentQ, nil).decode(t, "currentCustomer", &customer{})
		})

		// An unusable token does not fail the sign-in.
		t.Run("unusable token", func(t *testing.T) {
			tk := mustKibo(t, a.kibo(t, "not-a-token", authenticateKQ, "authenticate", signIn))
			if tk.MergedAnonymousUserID != nil {
				t.Fatal("merged garbage")
			}
		})
	})
}
