package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// SIGTERM stops the server from accepting, lets a request already in
// flight finish, and exits cleanly.
func TestGracefulShutdown(t *testing.T) {
	base, cmd := startProcessCmd(t, storetest.SQLite(t))
	addr := strings.TrimPrefix(base, "http://")

	body := `{"query":"{ authProviders(actor: CUSTOMER) { id } }"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := len(body) / 2
	// Expect: 100-continue makes the server say when its handler starts
	// reading the body: from then on the request is in flight, not an
	// idle connection that shutdown may close.
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, len(body))
	br := bufio.NewReader(conn)
	if cont, err := http.ReadResponse(br, nil); err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %v, %v", cont, err)
	}
	fmt.Fprint(conn, body[:half])

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Wait until the listener is closed: new connections are refused.
	refused := false
	for range 200 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			refused = true
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Fatal("the server kept accepting connections after SIGTERM")
	}

	// The request in flight still completes.
	if _, err := conn.Write([]byte(body[half:])); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&sb)
	if resp.StatusCode != http.StatusOK || !strings.Contains(sb.String(), `"emailpass"`) {
		t.Fatalf("in-flight request = %d %s", resp.StatusCode, sb.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("server exit: %v", err)
	}
}
