package store_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// startPgbouncer runs pgbouncer in transaction mode in front of the
// server dbURL names, for that database, and returns the URL through it.
// Without pgbouncer the test is skipped, loudly; with CI set it fails.
func startPgbouncer(t *testing.T, dbURL string) string {
	t.Helper()
	bin := "/usr/sbin/pgbouncer"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pgbouncer is not installed, and CI never skips the tests that need it: apt-get install pgbouncer")
		}
		t.Skip("!!! pgbouncer is not installed: SKIPPED; apt-get install pgbouncer to run it !!!")
	}
	u, _ := url.Parse(dbURL)
	host, port, _ := net.SplitHostPort(u.Host)
	name := u.Path[1:]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	// Not t.TempDir: pgbouncer runs as postgres, which must read it.
	dir, err := os.MkdirTemp("", "pgbouncer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	ini := fmt.Sprintf(`[databases]
%s = host=%s port=%s dbname=%s user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s/userlist.txt
pool_mode = transaction
default_pool_size = 4
server_reset_query =
ignore_startup_parameters = extra_float_digits
`, name, host, port, name, listen, dir)
	for file, text := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": `"postgres" ""` + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	if os.Geteuid() == 0 {
		// pgbouncer refuses to run as root. Set here rather than with
		// runuser, which would stand between the test and the process
		// it must kill.
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgbouncer refuses root, and there is no postgres user to run it as: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	out := &lockedLog{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(listen)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer did not listen on %s within 30 s: %s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	u.Host = addr
	return u.String()
}

type lockedLog struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return string(l.b) }

// TestThroughPgbouncer: through pgbouncer in transaction mode, where no
// session outlives a transaction, two processes migrate one database at
// once (the lock is a transaction's), and the store's statements work.
func TestThroughPgbouncer(t *testing.T) {
	dbURL, _, _ := scratchDatabase(t)
	bounced := startPgbouncer(t, dbURL)
	ctx := context.Background()
	dbs := make([]*store.DB, 2)
	for i := range dbs {
		db, err := store.Open(ctx, bounced)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	applied := make([][]string, len(dbs))
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { applied[i], errs[i] = db.Migrate(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		mustNoError(t, err)
	}
	if n := len(applied[0]) + len(applied[1]); n != len(allMigrations) {
		t.Fatalf("the two Migrate calls applied %d migrations between them, want each of %d once", n, len(allMigrations))
	}
	wantPending(t, dbs[0], nil)

	rl := dbs[1].RateLimiter()
	rate := ratelimit.Rate{Burst: 2, Per: time.Minute}
	for i, want := range []bool{true, true, false} {
		res, err := rl.Take(ctx, time.Now(), ratelimit.Take{Key: "bounced", Rate: rate})
		mustNoError(t, err)
		if res[0].OK != want {
			t.Fatalf("take %d: ok %v, want %v", i+1, res[0].OK, want)
		}
	}
	s := store.New(dbs[0])
	c := mustCreateCustomer(t, s, newCustomer("bounced@example.com"))
	got, err := s.Customer(ctx, c.ID)
	mustNoError(t, err)
	if got.ID != c.ID || *got.Email != *c.Email {
		t.Fatalf("customer %+v, want %+v", got, c)
	}
}
