package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/authtest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	deviceIP = "203.0.113.9"
	deviceUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
	devicePW = "correct horse battery"
)

// deviceAccount creates an account of actor and returns its id.
func deviceAccount(t *testing.T, env *authtest.Env, actor gatehouse.ActorType, email string) string {
	t.Helper()
	id, err := env.Service.CreateAccount(context.Background(), actor, auth.Account{Email: email, Password: devicePW})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// deviceSignIn signs in with email and password from ctx's origin; the
// clock moves a second first, so that sessions sort by sign-in.
func deviceSignIn(t *testing.T, ctx context.Context, env *authtest.Env, actor gatehouse.ActorType, email string) *gatehouse.Ticket {
	t.Helper()
	env.Clock.Advance(time.Second)
	a, err := env.Service.Authenticate(ctx, auth.Credential{}, actor, gatehouse.ProviderEmailPass, auth.PasswordCredentials{Email: ptr(email), Password: ptr(devicePW)})
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	return a.Ticket
}

func bearer(t *gatehouse.Ticket) auth.Credential { return auth.Credential{Bearer: t.AccessToken} }

// sessionIDs are the ids of a list, and which one is current ("" for none).
func sessionIDs(ss []auth.DeviceSession) (ids []string, current string) {
	for _, s := range ss {
		ids = append(ids, s.ID)
		if s.Current {
			current = s.ID
		}
	}
	return ids, current
}

// wantSessions fails unless ss are the sessions want, in that order, with
// current ("" for none) the one marked Current.
func wantSessions(t *testing.T, ss []auth.DeviceSession, err error, current string, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	ids, cur := sessionIDs(ss)
	if len(ids) != len(want) {
		t.Fatalf("sessions %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("sessions %v, want %v", ids, want)
		}
	}
	if cur != current {
		t.Fatalf("current session %q, want %q", cur, current)
	}
	marked := 0
	for _, s := range ss {
		if s.Current {
			marked++
		}
	}
	if marked > 1 {
		t.Fatalf("%d sessions marked current", marked)
	}
}

// wantDead fails unless an ended session's tokens are refused: its
// refresh token, and its access token for a bearer refresh.
func wantDead(t *testing.T, env *authtest.Env, tk *gatehouse.Ticket) {
	t.Helper()
	ctx := context.Background()
	if _, err := env.Service.Refresh(ctx, auth.Credential{}, *tk.RefreshToken); gatehouse.ErrorCode(err) != gatehouse.CodeTokenInvalid {
		t.Fatalf("refresh with the ended session's refresh token: %v, want TOKEN_INVALID", err)
	}
	if _, err := env.Service.Refresh(ctx, bearer(tk), ""); gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
		t.Fatalf("refresh with the ended session's access token: %v, want UNAUTHENTICATED", err)
	}
}

// wantLive fails unless a session's tokens still work.
func wantLive(t *testing.T, env *authtest.Env, tk *gatehouse.Ticket) {
	t.Helper()
	if _, err := env.Service.Refresh(context.Background(), bearer(tk), ""); err != nil {
		t.Fatalf("refresh with a live session's access token: %v", err)
	}
}

func wantCode(t *testing.T, err error, code gatehouse.Code) {
	t.Helper()
	if gatehouse.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func TestDeviceSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := authtest.New(t, db)
		ctx := context.Background()
		id := deviceAccount(t, env, gatehouse.ActorCustomer, "devices@example.com")
		deviceAccount(t, env, gatehouse.ActorCustomer, "other@example.com")
		first := deviceSignIn(t, ctx, env, gatehouse.ActorCustomer, "devices@example.com")
		origin := gatehouse.WithOrigin(ctx, gatehouse.Origin{IP: deviceIP, UserAgent: deviceUA})
		second := deviceSignIn(t, origin, env, gatehouse.ActorCustomer, "devices@example.com")
		other := deviceSignIn(t, ctx, env, gatehouse.ActorCustomer, "other@example.com")

		t.Run("two sign-ins, the current marked", func(t *testing.T) {
			ss, err := env.Service.MySessions(ctx, bearer(second), gatehouse.ActorCustomer)
			wantSessions(t, ss, err, second.SessionID, second.SessionID, first.SessionID)
			if s := ss[0]; s.IP != deviceIP || s.UserAgent != deviceUA || s.DeviceLabel != "Safari on macOS" || s.SignInMethod != gatehouse.ProviderEmailPass {
				t.Fatalf("origin ip %q, agent %q, label %q, method %q", s.IP, s.UserAgent, s.DeviceLabel, s.SignInMethod)
			}
			if s := ss[1]; s.IP != "" {
				t.Fatalf("the session without an origin has ip %q", s.IP)
			}
			ss, err = env.Service.MySessions(ctx, bearer(first), gatehouse.ActorCustomer)
			wantSessions(t, ss, err, first.SessionID, second.SessionID, first.SessionID)
		})
		t.Run("of an actor, for a field", func(t *testing.T) {
			ss, err := env.Service.SessionsOfActor(ctx, gatehouse.ActorCustomer, id, second.SessionID)
			wantSessions(t, ss, err, second.SessionID, second.SessionID, first.SessionID)
			ss, err = env.Service.SessionsOfActor(ctx, gatehouse.ActorCustomer, "cust_nobody", "")
			wantSessions(t, ss, err, "")
			if ss == nil {
				t.Fatal("nil list for an actor without an identity, want empty")
			}
		})
		t.Run("another actor type's token", func(t *testing.T) {
			_, err := env.Service.MySessions(ctx, bearer(second), gatehouse.ActorUser)
			wantCode(t, err, gatehouse.CodeForbidden)
		})
		t.Run("not another's session", func(t *testing.T) {
			wantCode(t, revoke(env.Service.RevokeSession(ctx, bearer(other), nil, first.SessionID)), gatehouse.CodeNotFound)
			wantCode(t, revoke(env.Service.RevokeSession(ctx, bearer(other), nil, "sess_nonexistent")), gatehouse.CodeNotFound)
			// "" names no session, rather than every one.
			wantCode(t, revoke(env.Service.RevokeSession(ctx, bearer(other), nil, "")), gatehouse.CodeNotFound)
			wantLive(t, env, first)
			wantLive(t, env, other)
		})
		t.Run("revoke one", func(t *testing.T) {
			if err := revoke(env.Service.RevokeSession(ctx, bearer(second), nil, first.SessionID)); err != nil {
				t.Fatal(err)
			}
			ss, err := env.Service.MySessions(ctx, bearer(second), gatehouse.ActorCustomer)
			wantSessions(t, ss, err, second.SessionID, second.SessionID)
			wantDead(t, env, first)
			sess, err := env.Store.Session(ctx, first.SessionID)
			if err != nil || sess.RevokedReason == nil || *sess.RevokedReason != gatehouse.RevokedByUser {
				t.Fatalf("revoked session %+v (%v), want reason %q", sess, err, gatehouse.RevokedByUser)
			}
			// Ended already: no such live session.
			wantCode(t, revoke(env.Service.RevokeSession(ctx, bearer(second), nil, first.SessionID)), gatehouse.CodeNotFound)
		})
		t.Run("revoke the current one", func(t *testing.T) {
			if err := revoke(env.Service.RevokeSession(ctx, bearer(second), nil, second.SessionID)); err != nil {
				t.Fatal(err)
			}
			_, err := env.Service.MySessions(ctx, bearer(second), gatehouse.ActorCustomer)
			wantCode(t, err, gatehouse.CodeUnauthenticated)
			wantDead(t, env, second)
			wantLive(t, env, other)
		})
	})
}

func TestLogoutKeepCurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := authtest.New(t, db)
		ctx := context.Background()
		deviceAccount(t, env, gatehouse.ActorUser, "staff@example.com")
		deviceAccount(t, env, gatehouse.ActorCustomer, "bystander@example.com")
		var tks []*gatehouse.Ticket
		for range 3 {
			tks = append(tks, deviceSignIn(t, ctx, env, gatehouse.ActorUser, "staff@example.com"))
		}
		bystander := deviceSignIn(t, ctx, env, gatehouse.ActorCustomer, "bystander@example.com")
		current := tks[1]

		_, err := env.Service.LogoutSessions(ctx, bearer(current), auth.LogoutInput{KeepCurrent: true})
		wantCode(t, err, gatehouse.CodeInvalidInput)

		n, err := env.Service.LogoutSessions(ctx, bearer(current), auth.LogoutInput{All: true, KeepCurrent: true})
		if err != nil || n != 2 {
			t.Fatalf("ended %d sessions (%v), want 2", n, err)
		}
		ss, err := env.Service.MySessions(ctx, bearer(current), gatehouse.ActorUser)
		wantSessions(t, ss, err, current.SessionID, current.SessionID)
		wantDead(t, env, tks[0])
		wantDead(t, env, tks[2])
		wantLive(t, env, current)
		wantLive(t, env, bystander)

		// Plain logout still ends only the current session.
		n, err = env.Service.Logout(ctx, bearer(current), false)
		if err != nil || n != 1 {
			t.Fatalf("logout ended %d sessions (%v), want 1", n, err)
		}
		wantDead(t, env, current)
		wantLive(t, env, bystander)
	})
}

func TestDeviceAdminCustomerSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := authtest.New(t, db)
		ctx := context.Background()
		deviceAccount(t, env, gatehouse.ActorUser, "owner@example.com")
		viewerID := deviceAccount(t, env, gatehouse.ActorUser, "viewer@example.com")
		if err := env.Store.SetUserRoles(ctx, viewerID, []string{gatehouse.RoleViewer}, env.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		admin := func(email string) *auth.Admin {
			t.Helper()
			adm, err := env.Service.Authorize(ctx, bearer(deviceSignIn(t, ctx, env, gatehouse.ActorUser, email)))
			if err != nil {
				t.Fatal(err)
			}
			return adm
		}
		owner, viewer := admin("owner@example.com"), admin("viewer@example.com")
		custID := deviceAccount(t, env, gatehouse.ActorCustomer, "shopper@example.com")
		otherID := deviceAccount(t, env, gatehouse.ActorCustomer, "neighbour@example.com")
		var tks []*gatehouse.Ticket
		for range 3 {
			tks = append(tks, deviceSignIn(t, ctx, env, gatehouse.ActorCustomer, "shopper@example.com"))
		}
		neighbour := deviceSignIn(t, ctx, env, gatehouse.ActorCustomer, "neighbour@example.com")

		t.Run("list", func(t *testing.T) {
			ss, err := env.Service.CustomerSessions(ctx, owner, custID)
			wantSessions(t, ss, err, "", tks[2].SessionID, tks[1].SessionID, tks[0].SessionID)
			_, err = env.Service.CustomerSessions(ctx, owner, "cust_nobody")
			wantCode(t, err, gatehouse.CodeNotFound)
		})
		t.Run("a viewer cannot read them", func(t *testing.T) {
			_, err := env.Service.CustomerSessions(ctx, viewer, custID)
			wantCode(t, err, gatehouse.CodeForbidden)
		})
		t.Run("a viewer cannot end them", func(t *testing.T) {
			_, err := env.Service.RevokeCustomerSessions(ctx, viewer, custID, nil)
			wantCode(t, err, gatehouse.CodeForbidden)
			_, err = env.Service.RevokeCustomerSessions(ctx, viewer, custID, &tks[0].SessionID)
			wantCode(t, err, gatehouse.CodeForbidden)
			wantLive(t, env, tks[0])
		})
		t.Run("not found", func(t *testing.T) {
			_, err := env.Service.RevokeCustomerSessions(ctx, owner, "cust_nobody", nil)
			wantCode(t, err, gatehouse.CodeNotFound)
			_, err = env.Service.RevokeCustomerSessions(ctx, owner, otherID, &tks[0].SessionID)
			wantCode(t, err, gatehouse.CodeNotFound)
			_, err = env.Service.RevokeCustomerSessions(ctx, owner, custID, &neighbour.SessionID)
			wantCode(t, err, gatehouse.CodeNotFound)
			wantLive(t, env, tks[0])
			wantLive(t, env, neighbour)
		})
		t.Run("end one", func(t *testing.T) {
			n, err := env.Service.RevokeCustomerSessions(ctx, owner, custID, &tks[1].SessionID)
			if err != nil || n != 1 {
				t.Fatalf("ended %d sessions (%v), want 1", n, err)
			}
			ss, err := env.Service.CustomerSessions(ctx, owner, custID)
			wantSessions(t, ss, err, "", tks[2].SessionID, tks[0].SessionID)
			wantDead(t, env, tks[1])
			sess, err := env.Store.Session(ctx, tks[1].SessionID)
			if err != nil || sess.RevokedReason == nil || *sess.RevokedReason != gatehouse.RevokedByAdmin {
				t.Fatalf("revoked session %+v (%v), want reason %q", sess, err, gatehouse.RevokedByAdmin)
			}
		})
		t.Run("end all", func(t *testing.T) {
			n, err := env.Service.RevokeCustomerSessions(ctx, owner, custID, nil)
			if err != nil || n != 2 {
				t.Fatalf("ended %d sessions (%v), want 2", n, err)
			}
			ss, err := env.Service.CustomerSessions(ctx, owner, custID)
			wantSessions(t, ss, err, "")
			wantDead(t, env, tks[0])
			wantDead(t, env, tks[2])
			wantLive(t, env, neighbour)
		})
		t.Run("events", func(t *testing.T) {
			es, err := env.Store.EventsAbout(ctx, []string{custID}, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []gatehouse.Event
			for _, e := range es {
				if e.Name == gatehouse.EventCustomerSessionsRevoked {
					got = append(got, e)
				}
			}
			// Newest first: all, then one. Refused attempts record none.
			if len(got) != 2 {
				t.Fatalf("%d %s events, want 2", len(got), gatehouse.EventCustomerSessionsRevoked)
			}
			for i, want := range []struct {
				session any
				n       float64
			}{{nil, 2}, {tks[1].SessionID, 1}} {
				p := got[i].Payload
				if p["customer_id"] != custID || p["session_id"] != want.session || p["revoked_sessions"] != want.n || p["actor_id"] != owner.UserID() {
					t.Errorf("event %d payload %v, want session %v, %v revoked", i, p, want.session, want.n)
				}
			}
		})
	})
}

// revoke drops RevokeSession's count, which is 1 whenever it succeeds.
func revoke(_ int, err error) error { return err }
