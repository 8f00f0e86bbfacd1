package graph_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// signedIn registers a customer and signs in, returning the sign-in ticket.
func (a *api) signedIn(t testing.TB, email string) *ticket {
	t.Helper()
	a.signUpCustomer(t, email)
	return mustTicket(t, a.authenticate(t, "CUSTOMER", email, "correct horse battery"))
}

// wantUnauthenticated fails unless the query with bearer answers
// UNAUTHENTICATED with the given reason.
func (a *api) wantUnauthenticated(t testing.TB, bearer, query, reason string) {
	t.Helper()
	vars := map[string]any{}
	if query == updateCustomerQ {
		vars["input"] = map[string]any{"firstName": "Mallory"}
	}
	e := a.do(t, bearer, query, vars).topLevel(t)
	if e.Extensions["code"] != "UNAUTHENTICATED" || e.Extensions["reason"] != reason {
		t.Fatalf("want UNAUTHENTICATED/%s, got %+v", reason, e)
	}
}

func TestRefreshRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		first := a.signedIn(t, "rotate@example.com")
		if first.RefreshToken == nil || first.RefreshExpiration == nil || first.SessionID == "" {
			t.Fatalf("sign-in ticket lacks a refresh token: %+v", first)
		}
		claims, err := a.Signer.Verify(first.AccessToken)
		if err != nil || claims.SessionID != first.SessionID {
			t.Fatalf("access token sid = %q, want %q (%v)", claims.SessionID, first.SessionID, err)
		}

		second := mustTicket(t, a.rotate(t, *first.RefreshToken))
		if *second.RefreshToken == *first.RefreshToken || second.AccessToken == first.AccessToken || second.SessionID != first.SessionID || second.CustomerAccount == nil {
			t.Fatalf("rotated ticket = %+v", second)
		}
		third := mustTicket(t, a.rotate(t, *second.RefreshToken))
		a.do(t, third.AccessToken, currentQ, nil).decode(t, "currentCustomer", &customer{})

		t.Run("garbage and unknown tokens", func(t *testing.T) {
			for _, tok := range []string{"garbage", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
				wantError(t, a.rotate(t, tok).Errors, "TOKEN_INVALID")
			}
		})

		// Reusing a retired token ends the session.
		t.Run("retired token reuse", func(t *testing.T) {
			p := a.rotate(t, *first.RefreshToken)
			e := wantError(t, p.Errors, "TOKEN_INVALID")
			if e.Field[1] != "refreshToken" {
				t.Fatalf("error = %+v", e)
			}
			// The live child is dead too, and so is every access token.
			wantError(t, a.rotate(t, *third.RefreshToken).Errors, "TOKEN_INVALID")
			a.wantUnauthenticated(t, third.AccessToken, currentQ, "REVOKED")
			a.wantUnauthenticated(t, third.AccessToken, updateCustomerQ, "REVOKED")
			a.wantUnauthenticated(t, third.AccessToken, refreshQ, "REVOKED")
			events, err := a.Store.Events(context.Background(), third.UserID, "", 10)
			if err != nil || len(events) == 0 || events[0].Name != gatehouse.EventRefreshTokenReused || events[0].Payload["session_id"] != first.SessionID {
				t.Fatalf("events = %+v, %v", events, err)
			}
			// Other sessions of the identity live on.
			other := mustTicket(t, a.authenticate(t, "CUSTOMER", "rotate@example.com", "correct horse battery"))
			mustTicket(t, a.rotate(t, *other.RefreshToken))
		})
	})
}

func TestRefreshGraceWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		first := a.signedIn(t, "grace@example.com")

		lost := mustTicket(t, a.rotate(t, *first.RefreshToken))
		a.Clock.Advance(9 * time.Second)
		// The response was lost: the client sends the same token again and
		// gets the same child, not a revocation.
		retry := mustTicket(t, a.rotate(t, *first.RefreshToken))
		if *retry.RefreshToken != *lost.RefreshToken {
			t.Fatal("a retry within the grace window must return the same refresh token")
		}
		next := mustTicket(t, a.rotate(t, *retry.RefreshToken))

		// The parent of a used child is reuse, even within the window.
		t.Run("reuse within window", func(t *testing.T) {
			wantError(t, a.rotate(t, *first.RefreshToken).Errors, "TOKEN_INVALID")
			wantError(t, a.rotate(t, *next.RefreshToken).Errors, "TOKEN_INVALID")
		})

		// After the window it is reuse.
		t.Run("reuse after window", func(t *testing.T) {
			s := a.signedIn(t, "grace2@example.com")
			mustTicket(t, a.rotate(t, *s.RefreshToken))
			a.Clock.Advance(11 * time.Second)
			wantError(t, a.rotate(t, *s.RefreshToken).Errors, "TOKEN_INVALID")
			a.wantUnauthenticated(t, s.AccessToken, currentQ, "REVOKED")
		})
	})
}

// 50 concurrent refreshes of one token yield one child and no errors.
func TestConcurrentRefresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		first := a.signedIn(t, "herd@example.com")
		const n = 50
		resps := make([]*response, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				resps[i], errs[i] = a.post("", refreshQ, map[string]any{"input": map[string]any{"refreshToken": *first.RefreshToken}})
			})
		}
		close(start)
		wg.Wait()
		child := ""
		for i, r := range resps {
			if errs[i] != nil {
				t.Fatalf("refresh %d: %v", i, errs[i])
			}
			var p ticketPayload
			r.decode(t, "refreshToken", &p)
			tk := mustTicket(t, p)
			if child == "" {
				child = *tk.RefreshToken
			}
			if *tk.RefreshToken != child {
				t.Fatalf("result %d has another child", i)
			}
		}
		mustTicket(t, a.rotate(t, child))
		if logs := a.log.String(); contains(logs, "internal error") {
			t.Fatalf("internal errors:\n%s", logs)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)

		t.Run("idle", func(t *testing.T) {
			s := a.signedIn(t, "idle@example.com")
			a.Clock.Advance(30*24*time.Hour + time.Second)
			wantError(t, a.rotate(t, *s.RefreshToken).Errors, "TOKEN_EXPIRED")
		})

		// Refreshing keeps the session alive until the absolute lifetime.
		t.Run("absolute lifetime", func(t *testing.T) {
			s := a.signedIn(t, "busy@example.com")
			tok := *s.RefreshToken
			for range 3 {
				a.Clock.Advance(29 * 24 * time.Hour)
				tok = *mustTicket(t, a.rotate(t, tok)).RefreshToken
			}
			// 87 days in; the next rotation's token may not pass day 90.
			a.Clock.Advance(2 * 24 * time.Hour)
			last := mustTicket(t, a.rotate(t, tok))
			c, err := a.Signer.Verify(last.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if limit := c.AuthTime.Add(90 * 24 * time.Hour); last.RefreshExpiration == nil || c.ExpiresAt.After(limit) {
				t.Fatalf("access token expires %v, refresh %v; session ends %v", c.ExpiresAt, *last.RefreshExpiration, limit)
			}
			a.Clock.Advance(24*time.Hour + time.Second)
			wantError(t, a.rotate(t, *last.RefreshToken).Errors, "TOKEN_EXPIRED")
		})
	})
}

// A second service on the same database (a restart, another instance)
// continues the first one's rotations and sees its revocations.
func TestRotationAfterRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		before := newAPI(t, db)
		first := before.signedIn(t, "restart@example.com")
		second := mustTicket(t, before.rotate(t, *first.RefreshToken))

		after := newAPI(t, db)
		after.Clock.Advance(time.Minute)
		third := mustTicket(t, after.rotate(t, *second.RefreshToken))
		// Reuse detected by the new instance, of a token the old one rotated.
		wantError(t, after.rotate(t, *first.RefreshToken).Errors, "TOKEN_INVALID")
		wantError(t, before.rotate(t, *third.RefreshToken).Errors, "TOKEN_INVALID")
	})
}

func TestLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		one := a.signedIn(t, "logout@example.com")
		two := mustTicket(t, a.authenticate(t, "CUSTOMER", "logout@example.com", "correct horse battery"))
		three := mustTicket(t, a.authenticate(t, "CUSTOMER", "logout@example.com", "correct horse battery"))

		var p struct {
			RevokedSessions int         `json:"revokedSessions"`
			Errors          []authError `json:"errors"`
		}
		a.do(t, one.AccessToken, logoutQ, nil).decode(t, "logout", &p)
		if p.RevokedSessions != 1 || len(p.Errors) != 0 {
			t.Fatalf("logout = %+v", p)
		}
		a.wantUnauthenticated(t, one.AccessToken, currentQ, "REVOKED")
		a.wantUnauthenticated(t, one.AccessToken, logoutQ, "REVOKED")
		wantError(t, a.rotate(t, *one.RefreshToken).Errors, "TOKEN_INVALID")
		a.do(t, two.AccessToken, currentQ, nil).decode(t, "currentCustomer", &customer{})

		a.do(t, two.AccessToken, logoutQ, map[string]any{"all": true}).decode(t, "logout", &p)
		if p.RevokedSessions < 2 {
			t.Fatalf("logout all = %+v", p)
		}
		for _, tk := range []*ticket{two, three} {
			a.wantUnauthenticated(t, tk.AccessToken, updateCustomerQ, "REVOKED")
			wantError(t, a.rotate(t, *tk.RefreshToken).Errors, "TOKEN_INVALID")
		}
		a.wantUnauthenticated(t, "", logoutQ, "MISSING")
	})
}
