package store_test

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestSessionsOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()
		// mustSession's sessions are live until t0+1h.
		now := t0.Add(30 * time.Minute)

		// at makes a session of identity created at created, live at now
		// unless edit changes it.
		at := func(identity string, created time.Time, edit func(*gatehouse.Session)) *gatehouse.Session {
			t.Helper()
			sess := newSession(identity)
			sess.CreatedAt, sess.LastActiveAt = created, created
			sess.IdleExpiresAt, sess.ExpiresAt = now.Add(time.Hour), now.Add(24*time.Hour)
			if edit != nil {
				edit(sess)
			}
			mustNoError(t, s.CreateSession(ctx, sess))
			return sess
		}
		ids := func(ss []*gatehouse.Session) []string {
			out := make([]string, len(ss))
			for i, x := range ss {
				out[i] = x.ID
			}
			return out
		}

		t.Run("live sessions newest first", func(t *testing.T) {
			a := mustSession(t, s, "devices@example.com")
			other := mustSession(t, s, "someone-else@example.com")
			oldest := at(a.AuthIdentityID, t0.Add(-3*time.Hour), nil)
			middle := at(a.AuthIdentityID, t0.Add(-2*time.Hour), nil)
			newest := at(a.AuthIdentityID, t0.Add(-time.Hour), nil)
			revoked := at(a.AuthIdentityID, t0.Add(-30*time.Minute), nil)
			_, err := s.RevokeSessions(ctx, a.AuthIdentityID, revoked.ID, gatehouse.RevokedLogout, t0)
			mustNoError(t, err)
			// Expired exactly at now, as Session.State says.
			at(a.AuthIdentityID, t0.Add(-20*time.Minute), func(x *gatehouse.Session) { x.IdleExpiresAt = now })
			at(a.AuthIdentityID, t0.Add(-10*time.Minute), func(x *gatehouse.Session) { x.ExpiresAt, x.IdleExpiresAt = now, now })
			at(other.AuthIdentityID, t0, nil)

			got, err := s.SessionsOf(ctx, a.AuthIdentityID, now)
			mustNoError(t, err)
			// mustSession's own session (created at t0) is the newest.
			want := []string{a.ID, newest.ID, middle.ID, oldest.ID}
			if !reflect.DeepEqual(ids(got), want) {
				t.Fatalf("sessions = %q, want %q", ids(got), want)
			}
			for _, x := range got {
				if x.State(now) != gatehouse.SessionLive {
					t.Errorf("session %s listed in state %v", x.ID, x.State(now))
				}
			}
		})

		t.Run("columns round trip", func(t *testing.T) {
			a := mustSession(t, s, "columns@example.com")
			sess := at(a.AuthIdentityID, t0.Add(time.Minute), func(x *gatehouse.Session) {
				x.IP = "2001:db8::1"
				x.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1"
				x.DeviceLabel = "Safari on iPhone"
				x.SignInMethod = "impersonation"
				x.ImpersonatedBy = "user_" + newID()
			})
			got, err := s.SessionsOf(ctx, a.AuthIdentityID, now)
			mustNoError(t, err)
			if len(got) != 2 || !reflect.DeepEqual(got[0], sess) {
				t.Fatalf("got %+v, want first %+v", got, sess)
			}
			if got[1].IP != "" || got[1].UserAgent != "" || got[1].SignInMethod != "" || got[1].ImpersonatedBy != "" {
				t.Errorf("a session without an origin reads back %+v", got[1])
			}
			loaded, err := s.Session(ctx, sess.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(loaded, sess) {
				t.Errorf("Session = %+v, want %+v", loaded, sess)
			}
		})

		for _, tc := range []struct {
			name, ua string
			want     int // characters kept
		}{
			{"long user agent truncated", strings.Repeat("é", 600), 512},
			{"user agent of 512 kept", strings.Repeat("a", 512), 512},
			{"invalid utf-8 and nul kept as text", "Mozilla\xff/5.0\x00 (X11)", len("Mozilla\uFFFD/5.0 (X11)") - 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := mustSession(t, s, strings.ReplaceAll(tc.name, " ", "-")+"@example.com")
				sess := at(a.AuthIdentityID, t0.Add(time.Minute), func(x *gatehouse.Session) { x.UserAgent = tc.ua })
				got, err := s.Session(ctx, sess.ID)
				mustNoError(t, err)
				if n := utf8.RuneCountInString(got.UserAgent); n != tc.want || !utf8.ValidString(got.UserAgent) || strings.Contains(got.UserAgent, "\x00") {
					t.Fatalf("stored user agent %q: %d characters, want %d of valid text", got.UserAgent, n, tc.want)
				}
				if !strings.HasPrefix(got.UserAgent, tc.ua[:7]) {
					t.Errorf("stored user agent %q does not begin as %q", got.UserAgent, tc.ua)
				}
				if sess.UserAgent != got.UserAgent {
					t.Errorf("CreateSession left %q in its argument, stored %q", sess.UserAgent, got.UserAgent)
				}
			})
		}

		t.Run("at most 100", func(t *testing.T) {
			a := mustSession(t, s, "many@example.com")
			for i := range 100 {
				at(a.AuthIdentityID, t0.Add(time.Duration(i+1)*time.Second), nil)
			}
			got, err := s.SessionsOf(ctx, a.AuthIdentityID, now)
			mustNoError(t, err)
			if len(got) != 100 {
				t.Fatalf("listed %d sessions, want 100", len(got))
			}
			for _, x := range got {
				if x.ID == a.ID {
					t.Fatalf("the oldest of 101 sessions is listed")
				}
			}
		})

		t.Run("none", func(t *testing.T) {
			got, err := s.SessionsOf(ctx, "authid_nobody", now)
			mustNoError(t, err)
			if got == nil || len(got) != 0 {
				t.Fatalf("got %#v, want an empty list", got)
			}
		})
	})
}
