// Package playground serves GraphiQL from the binary: its page and every
// asset (GraphiQL, React, React DOM, fetched from the npm registry by
// assets/fetch.sh and committed with their licences) are embedded, so the
// playground works with no internet. It must never load anything from
// another origin: its Content-Security-Policy forbids it.
package playground

import (
	"bytes"
	"embed"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets/*.js assets/*.css assets/index.html
var assets embed.FS

// CSP fits the playground: scripts, styles and connections from this
// origin only (GraphiQL sets inline styles), no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Page serves the playground page.
func Page() http.Handler {
	page, _ := assets.ReadFile("assets/index.html")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", CSP)
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(page))
	})
}

// Assets serves /playground/<file>: the embedded scripts and styles.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Base(r.URL.Path)
		if !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".css") {
			http.NotFound(w, r)
			return
		}
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("Cache-Control", "public, max-age=3600")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}
