package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// startLine is the one line of plain text the server prints before its
// JSON log, for the person at the terminal: its version and mode, where
// GraphQL and the playground are, which database, and what development
// generated in place of configuration.
//
//	gatehouse v0.3.0 (development) on http://127.0.0.1:8080 — GraphQL http://127.0.0.1:8080/graphql, playground http://127.0.0.1:8080/ — SQLite gatehouse.db — development key-encryption key: generated, kept in the database
func startLine(cfg *config.Config, addr, managementAddr string) string {
	base, where := "http://"+addr, ""
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
			base, where = "http://"+net.JoinHostPort("localhost", port), " (every interface)"
		}
	}
	playground := "playground off"
	if cfg.Playground {
		playground = "playground " + base + "/"
	}
	parts := []string{
		fmt.Sprintf("gatehouse %s (%s) on %s%s", version(), cfg.Env, base, where),
		"GraphQL " + base + "/graphql, " + playground,
		databaseLabel(cfg.DatabaseURL.Reveal()),
	}
	if managementAddr != "" {
		parts = append(parts, "probes and metrics on http://"+managementAddr)
	}
	// What secretOrDevelopment (secrets.go) generates on the first start
	// and keeps in the database; production requires them instead.
	if !cfg.Production() {
		var generated []string
		if cfg.KeyEncryptionKey == "" {
			generated = append(generated, "key-encryption key")
		}
		if cfg.SigningAlg == keys.HS256 && cfg.JWTSecret == "" {
			generated = append(generated, "JWT secret")
		}
		if len(generated) > 0 {
			parts = append(parts, "development "+strings.Join(generated, " and ")+": generated, kept in the database")
		}
	}
	return strings.Join(parts, " — ")
}

// databaseLabel names the database without its credentials: "SQLite
// gatehouse.db", "PostgreSQL db.internal:5432/gatehouse".
func databaseLabel(dsn string) string {
	switch {
	case dsn == "sqlite::memory:":
		return "SQLite in memory"
	case strings.HasPrefix(dsn, "sqlite:"):
		return "SQLite " + strings.TrimPrefix(dsn, "sqlite:")
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return "PostgreSQL"
	}
	return "PostgreSQL " + u.Host + u.Path
}

// heldLog holds what the log writes until the start line is printed, so
// that the line comes first; after holdFor it lets the log through
// anyway, so that a start that hangs (a database that does not answer,
// migrations awaited) still says why.
type heldLog struct {
	mu       sync.Mutex
	w        io.Writer
	held     bytes.Buffer
	released bool
	timer    *time.Timer
}

const holdFor = 3 * time.Second

func holdLog(w io.Writer) *heldLog {
	h := &heldLog{w: w}
	h.timer = time.AfterFunc(holdFor, func() { h.release("") })
	return h
}

func (h *heldLog) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return h.w.Write(p)
	}
	return h.held.Write(p)
}

// release prints first (unless empty) and what was held, then lets every
// write through; only the first call holds anything back, so a line
// printed after the hold ran out still prints.
func (h *heldLog) release(first string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timer.Stop()
	if first != "" {
		fmt.Fprintln(h.w, first)
	}
	if !h.released {
		_, _ = h.w.Write(h.held.Bytes())
		h.held = bytes.Buffer{}
		h.released = true
	}
}

// announce prints the start line first on w: ahead of what a heldLog
// held.
func announce(w io.Writer, line string) {
	if h, ok := w.(*heldLog); ok {
		h.release(line)
		return
	}
	fmt.Fprintln(w, line)
}
