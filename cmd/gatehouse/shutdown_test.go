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
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:half])
	// The server has read the headers once it answers a later request
	// on another connection; the in-flight request is then active.
	waitHealthy(t, base)

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
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
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
