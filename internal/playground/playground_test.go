package playground_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/playground"
)

func TestPage(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", playground.Page())
	mux.Handle("GET /playground/", playground.Assets())
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	page := get("/")
	body, _ := io.ReadAll(page.Body)
	if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", page.Code, page.Header().Get("Content-Type"))
	}
	csp := page.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 6 {
		t.Fatalf("the page references %d assets", len(refs))
	}
	for _, ref := range refs {
		url := ref[1]
		t.Run(url, func(t *testing.T) {
			if !strings.HasPrefix(url, "/playground/") {
				t.Fatalf("the page loads %s from outside the binary", url)
			}
			rec := get(url)
			ct := rec.Header().Get("Content-Type")
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 || (!strings.Contains(ct, "javascript") && !strings.Contains(ct, "css")) {
				t.Fatalf("GET %s = %d %q, %d bytes", url, rec.Code, ct, rec.Body.Len())
			}
		})
	}
	for _, path := range []string{"/playground/fetch.sh", "/playground/../playground.go", "/playground/nope.js"} {
		if rec := get(path); rec.Code == http.StatusOK {
			t.Errorf("GET %s = %d", path, rec.Code)
		}
	}
}
