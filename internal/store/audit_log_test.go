package store_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/housekeeping"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The audit tests' cast: a customer signed in by identity authA, another
// customer, an admin user who acts on them and a user they invite.
const (
	authA, authB, authY = "authid_a", "authid_b", "authid_y"
	cusA, cusB          = "cus_a", "cus_b"
	admin, invitee      = "user_admin", "user_invitee"
	sealedSecret        = "sealed-SECRET-bytes"
)

// auditEvent is an event of the audit tests, created minutes after t0.
func auditEvent(minutes int, name, identity, actor string, kind gatehouse.ActorType, subject string) gatehouse.Event {
	return gatehouse.Event{
		ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: name, AuthIdentityID: identity, ActorType: gatehouse.ActorCustomer,
		Payload: map[string]any{"n": float64(minutes)}, CreatedAt: t0.Add(time.Duration(minutes) * time.Minute),
		ActorID: actor, ActorKind: kind, SubjectID: subject,
	}
}

func TestAuditLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()

		// Oldest first; ids are time-ordered, so each is greater than the
		// one before.
		events := []gatehouse.Event{
			// An anonymous identity's event about itself: in both of
			// EventsAbout's branches.
			auditEvent(0, gatehouse.EventCustomerCreated, authA, "", "", authA),
			auditEvent(1, gatehouse.EventLoginSucceeded, authA, cusA, gatehouse.ActorCustomer, cusA),
			auditEvent(2, gatehouse.EventPasswordReset, authA, admin, gatehouse.ActorUser, cusA),
			auditEvent(3, gatehouse.EventLoginFailed, authB, "", "", cusB),
			auditEvent(4, gatehouse.EventInviteCreated, authY, admin, gatehouse.ActorUser, invitee),
			auditEvent(5, gatehouse.EventCustomerCreated, authB, cusB, gatehouse.ActorCustomer, cusB),
			// As events were before the audit trail: no actor, subject
			// or origin.
			auditEvent(6, gatehouse.EventRefreshTokenReused, authA, "", "", ""),
		}
		reset := &events[2]
		reset.SessionID = "sess_admin"
		reset.Origin = gatehouse.Origin{IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Firefox/133.0", RequestID: "req-reset"}
		reset.Secrets = map[string]string{"token": "plain-SECRET-token"}
		events[3].Origin = gatehouse.Origin{IP: "198.51.100.1", UserAgent: strings.Repeat("x", 700), RequestID: "req-failed"}
		for i := range events {
			sealed := ""
			if events[i].Secrets != nil {
				sealed = sealedSecret
			}
			mustNoError(t, s.AppendEvent(ctx, &events[i], sealed, []string{"webhook"}))
		}
		// ev are the events by name, as the store gives them back: no
		// secrets, the user agent cut to 512 characters.
		ev := map[string]gatehouse.Event{}
		for i, name := range []string{"created a", "login a", "reset a", "failed b", "invite", "created b", "old a"} {
			e := events[i]
			e.Secrets = nil
			e.Origin.UserAgent = e.Origin.UserAgent[:min(len(e.Origin.UserAgent), 512)]
			ev[name] = e
		}
		ids := func(es []gatehouse.Event) []string {
			out := make([]string, len(es))
			for i, e := range es {
				out[i] = e.ID
			}
			return out
		}
		of := func(names ...string) []string {
			out := make([]string, len(names))
			for i, n := range names {
				out[i] = ev[n].ID
			}
			return out
		}
		at := func(minutes int) *time.Time { return ptr(t0.Add(time.Duration(minutes) * time.Minute)) }

		for _, tc := range []struct {
			name string
			f    gatehouse.AuditFilter
			want []string
		}{
			{"no filter", gatehouse.AuditFilter{}, of("old a", "created b", "invite", "failed b", "reset a", "login a", "created a")},
			{"actor", gatehouse.AuditFilter{ActorID: admin}, of("invite", "reset a")},
			{"subject", gatehouse.AuditFilter{SubjectID: cusA}, of("reset a", "login a")},
			{"one type", gatehouse.AuditFilter{Types: []string{gatehouse.EventLoginFailed}}, of("failed b")},
			{"types", gatehouse.AuditFilter{Types: []string{gatehouse.EventLoginFailed, gatehouse.EventCustomerCreated}}, of("created b", "failed b", "created a")},
			{"from, included", gatehouse.AuditFilter{From: at(5)}, of("old a", "created b")},
			{"to, excluded", gatehouse.AuditFilter{To: at(2)}, of("login a", "created a")},
			{"from and to", gatehouse.AuditFilter{From: at(2), To: at(4)}, of("failed b", "reset a")},
			{"actor and subject", gatehouse.AuditFilter{ActorID: admin, SubjectID: cusA}, of("reset a")},
			{"actor and type", gatehouse.AuditFilter{ActorID: admin, Types: []string{gatehouse.EventInviteCreated}}, of("invite")},
			{"subject, types and time", gatehouse.AuditFilter{SubjectID: cusB, Types: []string{gatehouse.EventCustomerCreated, gatehouse.EventLoginFailed}, From: at(4)}, of("created b")},
			{"nothing matches", gatehouse.AuditFilter{ActorID: cusA, Types: []string{gatehouse.EventPasswordReset}}, of()},
			{"unknown actor", gatehouse.AuditFilter{ActorID: "user_nobody"}, of()},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.AuditLog(ctx, tc.f, "", 100)
				mustNoError(t, err)
				if !reflect.DeepEqual(ids(got), tc.want) {
					t.Errorf("AuditLog = %q, want %q", ids(got), tc.want)
				}
				n, err := s.AuditLogCount(ctx, tc.f)
				mustNoError(t, err)
				if n != len(tc.want) {
					t.Errorf("AuditLogCount = %d, want %d", n, len(tc.want))
				}
			})
		}

		t.Run("columns round trip", func(t *testing.T) {
			got, err := s.AuditLog(ctx, gatehouse.AuditFilter{}, "", 100)
			mustNoError(t, err)
			byID := map[string]gatehouse.Event{}
			for _, e := range got {
				byID[e.ID] = e
			}
			for name, want := range ev {
				if !reflect.DeepEqual(byID[want.ID], want) {
					t.Errorf("%s: got %+v\nwant %+v", name, byID[want.ID], want)
				}
			}
			if n := len(byID[ev["failed b"].ID].Origin.UserAgent); n != 512 {
				t.Errorf("a user agent of 700 characters is stored with %d", n)
			}
		})

		t.Run("no secrets", func(t *testing.T) {
			// The secret is there to leak: the store kept it sealed.
			stored, err := s.Events(ctx, authA, "", 100)
			mustNoError(t, err)
			kept := false
			for _, e := range stored {
				kept = kept || e.Sealed == sealedSecret
			}
			if !kept {
				t.Fatal("the reset's sealed secret was not stored")
			}
			lists := map[string]func() ([]gatehouse.Event, error){
				"AuditLog": func() ([]gatehouse.Event, error) {
					return s.AuditLog(ctx, gatehouse.AuditFilter{SubjectID: cusA}, "", 100)
				},
				"EventsAbout": func() ([]gatehouse.Event, error) { return s.EventsAbout(ctx, []string{authA}, "", 100) },
			}
			for name, list := range lists {
				got, err := list()
				mustNoError(t, err)
				if len(got) == 0 {
					t.Fatalf("%s listed nothing", name)
				}
				for _, e := range got {
					if text := fmt.Sprintf("%#v", e); strings.Contains(text, "SECRET") || e.Secrets != nil {
						t.Errorf("%s gives a secret: %s", name, text)
					}
				}
			}
		})

		t.Run("paging", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				f    gatehouse.AuditFilter
				want [][]string
			}{
				{"no filter", gatehouse.AuditFilter{}, [][]string{of("old a", "created b"), of("invite", "failed b"), of("reset a", "login a"), of("created a")}},
				{"subject", gatehouse.AuditFilter{SubjectID: cusB}, [][]string{of("created b", "failed b")}},
				{"actor", gatehouse.AuditFilter{ActorID: admin, To: at(10)}, [][]string{of("invite", "reset a")}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := ""
					for i, want := range append(tc.want, of()) {
						got, err := s.AuditLog(ctx, tc.f, before, 2)
						mustNoError(t, err)
						if !reflect.DeepEqual(ids(got), want) {
							t.Fatalf("page %d (before %q) = %q, want %q", i+1, before, ids(got), want)
						}
						if len(got) > 0 {
							before = got[len(got)-1].ID
						}
					}
				})
			}
		})

		t.Run("events about", func(t *testing.T) {
			for _, tc := range []struct {
				name, id string
				want     []string
			}{
				// The identity's, with the one about itself once.
				{"identity", authA, of("old a", "reset a", "login a", "created a")},
				{"customer", cusA, of("reset a", "login a")},
				{"user", invitee, of("invite")},
				{"identity and customer alike", authB, of("created b", "failed b")},
				{"nobody", "cus_nobody", of()},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := s.EventsAbout(ctx, []string{tc.id}, "", 100)
					mustNoError(t, err)
					if !reflect.DeepEqual(ids(got), tc.want) {
						t.Fatalf("EventsAbout(%s) = %q, want %q", tc.id, ids(got), tc.want)
					}
					// One at a time, each page after the last.
					before := ""
					for i, want := range tc.want {
						page, err := s.EventsAbout(ctx, []string{tc.id}, before, 1)
						mustNoError(t, err)
						if len(page) != 1 || page[0].ID != want {
							t.Fatalf("page %d (before %q) = %q, want %q", i+1, before, ids(page), want)
						}
						before = want
					}
					rest, err := s.EventsAbout(ctx, []string{tc.id}, before, 1)
					mustNoError(t, err)
					if len(rest) != 0 && len(tc.want) > 0 {
						t.Fatalf("after the last page: %q", ids(rest))
					}
				})
			}
			got, err := s.EventsAbout(ctx, []string{authA}, "", 100)
			mustNoError(t, err)
			if len(got) < 2 || !reflect.DeepEqual(got[1], ev["reset a"]) {
				t.Errorf("EventsAbout gives %+v, want second %+v", got, ev["reset a"])
			}
		})

		// The audit trail's columns are auth_event's: the audit retention
		// deletes them with the rest of the row.
		t.Run("retention", func(t *testing.T) {
			old := gatehouse.Event{ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: gatehouse.EventLoginSucceeded, AuthIdentityID: "authid_old",
				ActorType: gatehouse.ActorCustomer, CreatedAt: t0.Add(-housekeeping.DefaultAuditRetention - time.Hour),
				ActorID: "cus_old", ActorKind: gatehouse.ActorCustomer, SubjectID: "cus_old", Origin: gatehouse.Origin{IP: "192.0.2.1", UserAgent: "curl/8.4.0"}}
			mustNoError(t, s.AppendEvent(ctx, &old, "", nil))
			f := gatehouse.AuditFilter{ActorID: "cus_old"}
			if n, err := s.AuditLogCount(ctx, f); err != nil || n != 1 {
				t.Fatalf("before the pass: %d events of the old actor (%v), want 1", n, err)
			}
			h, err := housekeeping.New(db, housekeeping.Options{Now: clocktest.New(t0.Add(time.Hour)).Now})
			mustNoError(t, err)
			if _, err := h.PassNow(ctx); err != nil {
				t.Fatal(err)
			}
			n, err := s.AuditLogCount(ctx, f)
			mustNoError(t, err)
			var left int
			mustNoError(t, db.Bun().NewRaw("SELECT count(*) FROM auth_event WHERE ip = ? OR subject_id = ?", "192.0.2.1", "cus_old").Scan(ctx, &left))
			if n != 0 || left != 0 {
				t.Fatalf("after the pass: AuditLogCount = %d, rows left = %d, want none", n, left)
			}
			all, err := s.AuditLogCount(ctx, gatehouse.AuditFilter{})
			mustNoError(t, err)
			if all != len(events) {
				t.Fatalf("the pass left %d events, want the %d within the retention", all, len(events))
			}
		})
	})
}
