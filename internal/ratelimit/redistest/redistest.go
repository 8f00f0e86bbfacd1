// Package redistest starts a Redis server of a test's own, for tests that
// stop it (an outage) and must leave the shared test Redis alone.
//
// Without a redis-server binary the test is skipped, loudly; with CI set
// it fails instead, so CI never skips it.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server the test started, on a port of its own, with
// no persistence: a restart starts empty.
type Server struct {
	tb   testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
}

// Start starts a server on a free port; it is killed when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/redis-server"); serr == nil {
			bin = "/usr/bin/redis-server"
		} else if os.Getenv("CI") != "" {
			tb.Fatal("redis-server is not installed, and CI never skips the tests that need it: apt-get install redis-server")
		} else {
			tb.Skip("!!! redis-server is not installed: SKIPPED; apt-get install redis-server to run it !!!")
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{tb: tb, bin: bin, port: port}
	tb.Cleanup(s.Kill)
	s.Restart()
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Kill stops the server at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port, empty, and waits
// until it answers.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Kill()
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.tb.TempDir())
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	s.cmd = cmd
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.tb.Fatal(fmt.Errorf("redis-server on %s did not answer within 30 s: %w", s.Addr(), err))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
