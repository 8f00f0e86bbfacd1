package hastack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver
)

// Env must be 1 for Start to run the stack; without it the test is
// skipped, loudly.
const Env = "GATEHOUSE_HA_TEST"

// Database is the database created for the test, reached through
// pgbouncer and HAProxy.
const Database = "gatehouse"

// binaries are what the stack runs, with the Debian package of each.
var binaries = []struct{ path, pkg string }{
	{"/usr/bin/etcd", "etcd-server"},
	{"/usr/bin/patroni", "patroni python3-etcd"},
	{"/usr/sbin/haproxy", "haproxy"},
	{"/usr/sbin/pgbouncer", "pgbouncer"},
	{"/usr/lib/postgresql/15/bin/postgres", "postgresql-15"},
	{"/usr/bin/python3", "python3"},
}

// Stack is a running HA stack. Its fields are read-only.
type Stack struct {
	tb    testing.TB
	dir   string
	Nodes []*Node
	// ColdStart is how long Start took, from nothing to a primary with a
	// synchronous standby, routed to by HAProxy and reached through
	// pgbouncer.
	ColdStart time.Duration

	etcdPort, haproxyPort, pgbouncerPort int
	etcd, haproxy, pgbouncer             *proc
}

// Node is one PostgreSQL server and its Patroni.
type Node struct {
	Name     string
	PGPort   int // PostgreSQL, directly
	RESTPort int // Patroni's REST API

	dir     string
	config  string
	patroni *proc
	crashed bool // by CrashPrimary, and not restarted since
}

func (n *Node) String() string { return n.Name }

// DSN reaches the node's PostgreSQL directly, bypassing HAProxy and
// pgbouncer: for checking a given node, whatever its role.
func (n *Node) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", n.PGPort, Database)
}

// DSN is what gatehouse should use: pgbouncer, in transaction mode, in
// front of HAProxy, in front of the primary.
func (s *Stack) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.pgbouncerPort, Database)
}

// DirectDSN reaches the primary through HAProxy alone, for what needs a
// session of its own (migrations take a session-level advisory lock).
func (s *Stack) DirectDSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.haproxyPort, Database)
}

// Node returns the node named name, or nil.
func (s *Stack) Node(name string) *Node {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Start builds the stack in a temporary directory on free ports and
// returns once a primary with a synchronous standby is reachable through
// pgbouncer. Everything is killed when tb ends. Without GATEHOUSE_HA_TEST=1
// it skips tb; with it, a missing package fails tb.
func Start(tb testing.TB) *Stack {
	tb.Helper()
	if os.Getenv(Env) != "1" {
		tb.Skipf("!!! %s is not 1: the high-availability test (etcd, Patroni, HAProxy, pgbouncer) was SKIPPED; run it with make ha-test !!!", Env)
	}
	for _, b := range binaries {
		if _, err := os.Stat(b.path); err != nil {
			tb.Fatalf("hastack: %s is missing: apt-get install %s", b.path, b.pkg)
		}
	}
	begin := time.Now()
	dir, err := os.MkdirTemp("", "gatehouse-ha-")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Stack{tb: tb, dir: dir}
	tb.Cleanup(s.stop)
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	ports, err := freePorts(8)
	if err != nil {
		tb.Fatal(err)
	}
	s.etcdPort, s.haproxyPort, s.pgbouncerPort = ports[0], ports[2], ports[3]
	for i := range 2 {
		s.Nodes = append(s.Nodes, &Node{Name: fmt.Sprintf("pg%d", i), PGPort: ports[4+2*i], RESTPort: ports[5+2*i]})
	}

	if err := s.writeConfigs(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	if s.etcd, err = spawn(dir, "etcd", etcdArgs(dir, s.etcdPort, ports[1])...); err != nil {
		tb.Fatal(err)
	}
	if err := poll(ctx, 100*time.Millisecond, func() error {
		if err := s.died(); err != nil {
			return err
		}
		return httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/health", s.etcdPort))
	}); err != nil {
		tb.Fatalf("hastack: etcd did not start: %v", err)
	}
	// Both at once: one wins the race to initialise the cluster, the
	// other copies it and follows.
	for _, n := range s.Nodes {
		if err := s.Restart(n); err != nil {
			tb.Fatal(err)
		}
	}
	var leader *Node
	if err := poll(ctx, 200*time.Millisecond, func() error {
		if err := s.died(); err != nil {
			return err
		}
		var err error
		leader, err = s.Primary(ctx)
		return err
	}); err != nil {
		tb.Fatalf("hastack: no primary: %v", err)
	}
	if err := createDatabase(ctx, leader); err != nil {
		tb.Fatal(err)
	}
	if err := s.WaitRoles(ctx, leader, s.other(leader)); err != nil {
		tb.Fatalf("hastack: the standby did not follow: %v", err)
	}
	if s.haproxy, err = spawn(dir, "haproxy", "/usr/sbin/haproxy", "-db", "-f", filepath.Join(dir, "haproxy.cfg")); err != nil {
		tb.Fatal(err)
	}
	if s.pgbouncer, err = spawn(dir, "pgbouncer", "/usr/sbin/pgbouncer", filepath.Join(dir, "pgbouncer.ini")); err != nil {
		tb.Fatal(err)
	}
	// A freshly started HAProxy counts every server up until its checks
	// have run: wait until it routes to the primary alone.
	if err := s.WaitRoles(ctx, leader, s.other(leader)); err != nil {
		tb.Fatalf("hastack: HAProxy does not route to the primary alone: %v", err)
	}
	if err := poll(ctx, 100*time.Millisecond, func() error {
		if err := s.died(); err != nil {
			return err
		}
		return writable(ctx, s.DSN())
	}); err != nil {
		tb.Fatalf("hastack: the primary is not writable through pgbouncer: %v", err)
	}
	s.ColdStart = time.Since(begin)
	return s
}

// errDied marks the error of a daemon that exited.
var errDied = errors.New("exited")

// died names the first daemon that has exited, but for crashed nodes not
// yet restarted.
func (s *Stack) died() error {
	procs := []*proc{s.etcd, s.haproxy, s.pgbouncer}
	for _, n := range s.Nodes {
		if !n.crashed {
			procs = append(procs, n.patroni)
		}
	}
	for _, p := range procs {
		if p != nil && p.exited() {
			return fmt.Errorf("%s %w (the end of its log follows)", p.name, errDied)
		}
	}
	return nil
}

func (s *Stack) other(n *Node) *Node {
	for _, o := range s.Nodes {
		if o != n {
			return o
		}
	}
	return nil
}

func (s *Stack) writeConfigs() error {
	files := map[string]string{
		"haproxy.cfg":   haproxyConfig(s.dir, s.haproxyPort, s.Nodes),
		"pgbouncer.ini": pgbouncerConfig(s.dir, s.pgbouncerPort, s.haproxyPort),
		"userlist.txt":  `"postgres" ""` + "\n",
	}
	for _, n := range s.Nodes {
		n.dir = filepath.Join(s.dir, n.Name)
		if err := os.Mkdir(n.dir, 0o700); err != nil {
			return err
		}
		n.config = filepath.Join(s.dir, n.Name+".yml")
		files[n.Name+".yml"] = patroniConfig(n, s.etcdPort)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return postgresOwns(s.dir)
}

// Restart starts Patroni on n, as a supervisor would after a crash; it
// starts or recovers the node's PostgreSQL itself.
func (s *Stack) Restart(n *Node) error {
	p, err := spawn(s.dir, "patroni-"+n.Name, "/usr/bin/patroni", n.config)
	if err != nil {
		return err
	}
	n.patroni, n.crashed = p, false
	return nil
}

// stop kills everything the stack started and removes its directory,
// showing the end of every log first when the test failed.
func (s *Stack) stop() {
	for _, p := range []*proc{s.pgbouncer, s.haproxy} {
		p.kill()
	}
	for _, n := range s.Nodes {
		n.patroni.kill()
	}
	for _, n := range s.Nodes {
		if n.dir != "" {
			killPostmaster(filepath.Join(n.dir, "data"))
		}
	}
	s.etcd.kill()
	// Whatever escaped its process group: only this stack's processes
	// name its directory.
	killMentioning(s.dir)
	if s.tb.Failed() {
		s.dumpLogs()
	}
	if err := os.RemoveAll(s.dir); err != nil {
		s.tb.Errorf("hastack: remove %s: %v", s.dir, err)
	}
}

func (s *Stack) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(s.dir, "*.log"))
	more, _ := filepath.Glob(filepath.Join(s.dir, "pg*", "log", "*.log"))
	for _, l := range append(logs, more...) {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		lines = lines[max(0, len(lines)-40):]
		s.tb.Logf("hastack: the end of %s:\n%s", strings.TrimPrefix(l, s.dir+"/"), strings.Join(lines, "\n"))
	}
}

func createDatabase(ctx context.Context, n *Node) error {
	db, err := sql.Open("postgres", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", n.PGPort))
	if err != nil {
		return err
	}
	defer db.Close()
	return poll(ctx, 200*time.Millisecond, func() error {
		var exists bool
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		_, err := db.ExecContext(ctx, "CREATE DATABASE "+Database)
		return err
	})
}

// writable reports whether dsn reaches a primary that commits a write.
func writable(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var recovery bool
	if err := db.QueryRowContext(ctx, "SELECT pg_is_in_recovery()").Scan(&recovery); err != nil {
		return err
	}
	if recovery {
		return fmt.Errorf("%s reaches a standby", dsn)
	}
	// A transaction id is only given out by a primary, and its commit
	// waits for the synchronous standby.
	_, err = db.ExecContext(ctx, "SELECT txid_current()")
	return err
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// poll calls try every interval until it returns nil, or returns its
// last error once ctx is done, or at once when a daemon of the stack has
// died (waiting on would only hide why).
func poll(ctx context.Context, every time.Duration, try func() error) error {
	for {
		err := try()
		if err == nil {
			return nil
		}
		if errors.Is(err, errDied) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(every):
		}
	}
}
