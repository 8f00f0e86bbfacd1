package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// GATEHOUSE_PPROF_ADDR serves Go's profiles on a listener of its own; the
// public listener never serves them.
func TestPprofListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base, _ := startServer(t, testEnv(storetest.SQLite(t), "GATEHOUSE_PPROF_ADDR", addr))
	for _, tc := range []struct {
		name, url string
		status    int
		body      string
	}{
		{"profiles on their listener", "http://" + addr + "/debug/pprof/", 200, "goroutine"},
		{"a heap profile", "http://" + addr + "/debug/pprof/heap?debug=1", 200, "heap profile"},
		{"not on the public listener", base + "/debug/pprof/", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
				t.Fatalf("GET %s = %d %.200s", tc.url, resp.StatusCode, b)
			}
		})
	}
}
