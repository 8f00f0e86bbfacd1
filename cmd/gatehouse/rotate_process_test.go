package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestRotateNowReachesARunningProcess: `gatehouse keys rotate --now`, run
// while a server process runs on the same database, makes that process
// sign with the new key within about a second: its ring polls the keys'
// generation and reloads when it moved. The server is a process of its
// own; the rotation runs in this one. The wait is polled, and its length
// reported, not asserted.
func TestRotateNowReachesARunningProcess(t *testing.T) {
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run("database="+d.name, func(t *testing.T) {
			url := d.url(t)
			// Migrate once, so the server starts on a ready database.
			storetest.MustOpen(t, url)
			base := startProcess(t, url)
			const email = "rotate-now@example.com"
			old := tokenKid(t, signIn(t, base, email))

			out := runKeys(t, testEnv(url), "rotate", "--now")
			rotated := time.Now()
			f := strings.Fields(out)
			if len(f) < 4 || !strings.HasPrefix(out, "added signing key ") {
				t.Fatalf("keys rotate --now printed %q", out)
			}
			next := f[3]
			if next == old {
				t.Fatalf("keys rotate --now added %s, the key already signing", next)
			}

			const (
				every    = 50 * time.Millisecond
				deadline = 30 * time.Second
			)
			for tries := 1; ; tries++ {
				switch kid := tokenKid(t, authenticate(t, base, email)); kid {
				case next:
					t.Logf("the server signs with the new key %v after keys rotate --now (%d sign-ins, every %v)", time.Since(rotated), tries, every)
					return
				case old:
				default:
					t.Fatalf("the server signs with %s, neither the old key %s nor the new %s", kid, old, next)
				}
				if time.Since(rotated) > deadline {
					t.Fatalf("the server still signs with the old key %s %v after keys rotate --now", old, deadline)
				}
				time.Sleep(every)
			}
		})
	}
}

// tokenKid returns the kid of a JWT's header.
func tokenKid(t *testing.T, raw string) string {
	t.Helper()
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(b, &h); err != nil || h.Kid == "" {
		t.Fatalf("token header %s: no kid (%v)", b, err)
	}
	return h.Kid
}
