package proctest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Service is a scratch peer a test started on a free port: its own
// process, which the test may stop, kill and start again. It is stopped
// when the test ends.
type Service struct {
	Name string
	// Port is where it listens.
	Port int
	tb   testing.TB
	// argv starts it; run as user when set (PostgreSQL refuses root).
	argv []string
	user *syscall.Credential
	dir  string
	// ready, when set, is asked after the port accepts connections until
	// it answers nil: listening is not always serving (PostgreSQL in
	// crash recovery listens and refuses).
	ready func() error

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	output output
}

// output is a process's output, written by its copier goroutine while the
// test may read it.
type output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// FreePort returns a TCP port nothing listens on now.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr is the service's host:port.
func (s *Service) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// need returns the path of a binary. Without it the test is skipped,
// loudly, on a developer's machine, and fails in CI, which never skips
// (.ci/run installs every peer the tests use).
func need(tb testing.TB, names ...string) string {
	tb.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		if _, err := os.Stat(n); err == nil {
			return n
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s is not installed, and CI never skips the tests that need it (.ci/run installs it)", names[0])
	}
	tb.Skipf("!!! %s is not installed: SKIPPED; apt-get install it to run this test !!!", names[0])
	return ""
}

func newService(tb testing.TB, name string, port int, dir string, argv ...string) *Service {
	s := &Service{Name: name, Port: port, tb: tb, argv: argv, dir: dir}
	tb.Cleanup(func() {
		s.Kill()
		if tb.Failed() {
			tb.Logf("%s output:\n%s", name, s.output.String())
		}
	})
	return s
}

// Start starts the service and waits until its port accepts connections
// and it is ready (failing the test after 30 s).
func (s *Service) Start() {
	s.tb.Helper()
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		s.tb.Fatalf("%s is already running", s.Name)
	}
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Stdout = &s.output
	cmd.Stderr = &s.output
	// Its own process group, so that a kill reaches its children too
	// (the postmaster's backends).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.user}
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		s.tb.Fatalf("start %s: %v", s.Name, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	done := s.done
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			if s.ready == nil {
				return
			}
			if err = s.ready(); err == nil {
				return
			}
		}
		select {
		case <-done:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			s.tb.Fatalf("%s exited at start:\n%s", s.Name, s.output.String())
		default:
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("%s was not ready on %s within 30 s: %v", s.Name, s.Addr(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the service with SIGTERM (a clean shutdown) and waits for it.
func (s *Service) Stop() { s.Signal(syscall.SIGTERM) }

// Kill ends the service and its children with SIGKILL (a crash) and
// waits for it; a service that is not running is left alone.
func (s *Service) Kill() { s.Signal(syscall.SIGKILL) }

// Signal sends sig to the service's process group and waits for it to
// end (PostgreSQL: SIGINT is its fast shutdown, SIGQUIT its immediate
// one); after 30 s it is killed.
func (s *Service) Signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Redis starts a scratch Redis, without persistence.
func Redis(tb testing.TB) *Service {
	tb.Helper()
	bin := need(tb, "redis-server")
	port := FreePort(tb)
	s := newService(tb, "redis", port, tb.TempDir(), bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no")
	s.Start()
	return s
}

// RedisURL is the URL gatehouse takes for s.
func (s *Service) RedisURL() string { return "redis://" + s.Addr() + "/0" }

// NATS starts a scratch NATS server with JetStream, its store in a
// directory that outlives a restart within the test.
func NATS(tb testing.TB) *Service {
	tb.Helper()
	bin := need(tb, "nats-server", "/usr/sbin/nats-server")
	port := FreePort(tb)
	dir := tb.TempDir()
	s := newService(tb, "nats", port, dir, bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(dir, "js"))
	s.Start()
	return s
}

// NATSURL is the URL gatehouse takes for s.
func (s *Service) NATSURL() string { return "nats://" + s.Addr() }

// pgBin is where Debian puts the newest PostgreSQL's programs.
func pgBin(tb testing.TB) string {
	tb.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(dirs) == 0 {
		tb.Fatal("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")
	}
	// The glob sorts 15 after 14 but 9 after 15; the machines have one.
	return dirs[len(dirs)-1]
}

// Postgres starts a scratch PostgreSQL cluster of its own (initdb in a
// temporary directory, trust authentication), as the postgres user when
// the test runs as root.
func Postgres(tb testing.TB) *Service {
	tb.Helper()
	bin := pgBin(tb)
	port := FreePort(tb)
	dir, err := os.MkdirTemp("", "gatehouse-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	runAs := asPostgres(tb)
	if runAs != nil {
		if err := os.Chown(dir, int(runAs.Uid), int(runAs.Gid)); err != nil {
			tb.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: runAs}
	if out, err := initdb.CombinedOutput(); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	s := newService(tb, "postgres", port, dir, filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir, "-c", "fsync=off",
		"-c", "max_connections=200")
	s.user = runAs
	s.ready = func() error {
		out, err := exec.Command(filepath.Join(bin, "pg_isready"), "-q", "-U", "postgres", "-h", "127.0.0.1", "-p", strconv.Itoa(port)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pg_isready: %v %s", err, out)
		}
		return nil
	}
	s.Start()
	return s
}

// asPostgres is the credential of the postgres user when the test runs as
// root (PostgreSQL, Patroni and pgbouncer refuse root), nil otherwise.
func asPostgres(tb testing.TB) *syscall.Credential {
	tb.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		tb.Fatalf("running as root needs a postgres user for the scratch peers: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// PostgresURL is a URL for the database name on the scratch cluster s.
func (s *Service) PostgresURL(database string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", s.Addr(), database)
}

// HAProxy starts a load balancer on a free port that sends HTTP requests
// round robin to backends (host:port each), health-checking their
// /healthz every 200 ms and retrying a request on another backend when
// its connection is refused.
func HAProxy(tb testing.TB, backends []string) *Service {
	tb.Helper()
	bin := need(tb, "haproxy", "/usr/sbin/haproxy")
	port := FreePort(tb)
	dir := tb.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, `global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
  # Only failed connections: a request that reached an instance may
  # have written, and is not sent twice.
  retry-on conn-failure
frontend fleet
  bind 127.0.0.1:%d
  default_backend gatehouse
backend gatehouse
  balance roundrobin
  option httpchk GET /healthz
`, port)
	for i, addr := range backends {
		fmt.Fprintf(&b, "  server g%d %s check inter 200ms fall 2 rise 1\n", i, addr)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	s := newService(tb, "haproxy", port, dir, bin, "-db", "-f", cfg)
	s.Start()
	return s
}

// URL is the service's http:// base URL.
func (s *Service) URL() string { return "http://" + s.Addr() }
