package password

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// With Nice, derivations run on threads at that niceness: the process
// has a thread at it once a hash has run, and none without.
func TestHashThreadsNiced(t *testing.T) {
	const nice = 7
	if n := threadsAt(t, nice); n != 0 {
		t.Skipf("%d threads of the test process are already at niceness %d", n, nice)
	}
	h, err := NewHasher(Options{Params: testParams, Workers: 2, Nice: nice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Hash(context.Background(), "a password on a niced thread"); err != nil {
		t.Fatal(err)
	}
	if n := threadsAt(t, nice); n != 2 {
		t.Fatalf("%d threads at niceness %d, want the 2 workers'", n, nice)
	}
}

// threadsAt counts the process's threads at a niceness
// (/proc/self/task/*/stat, field 19).
func threadsAt(t *testing.T, nice int) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Skip("no /proc/self/task:", err)
	}
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name, in parentheses, may hold spaces: count
		// fields after its closing parenthesis (field 3 onwards).
		rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
		f := strings.Fields(rest)
		if len(f) > 16 {
			if v, err := strconv.Atoi(f[16]); err == nil && v == nice {
				n++
			}
		}
	}
	return n
}
