package hastack_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/hastack"
)

// The stack alone: it starts with a primary and a synchronous standby, a
// crashed primary is replaced by the standby, and once restarted it
// follows the new primary.
func TestFailover(t *testing.T) {
	s := hastack.Start(t)
	t.Logf("cold start: %.1fs", s.ColdStart.Seconds())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	old, err := s.CrashPrimary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	crashed := time.Now()
	var next *hastack.Node
	for next == nil || next == old {
		if ctx.Err() != nil {
			t.Fatalf("no new primary after %s", time.Since(crashed))
		}
		next, _ = s.Primary(ctx)
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s took over from %s after %.1fs", next, old, time.Since(crashed).Seconds())
	if err := s.Restart(old); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitRoles(ctx, next, old); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s follows %s %.1fs after the crash", old, next, time.Since(crashed).Seconds())
}
