package load

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A fake server sheds some refreshes with UNAVAILABLE and fails others:
// the tool counts the shed ones apart from the failures, keeps both out
// of the successes, and keeps each worker's chain its own.
func TestPhaseCountsShedApart(t *testing.T) {
	var n atomic.Int64
	var mu sync.Mutex
	seen := map[string]bool{} // refresh tokens sent: a chain that raced would send one twice
	var reused atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if !strings.Contains(req.Query, "refreshToken") {
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		i := n.Add(1)
		switch {
		case i%3 == 0:
			_, _ = w.Write([]byte(`{"errors":[{"message":"busy","extensions":{"code":"UNAVAILABLE","retryAfterSeconds":0.01}}],"data":null}`))
			return
		case i%5 == 0:
			_, _ = w.Write([]byte(`{"errors":[{"message":"oops","extensions":{"code":"INTERNAL_SERVER_ERROR"}}],"data":null}`))
			return
		}
		tok, _ := req.Variables["t"].(string)
		mu.Lock()
		if seen[tok] {
			reused.Add(1)
		}
		seen[tok] = true
		mu.Unlock()
		next, _ := json.Marshal(tok + "+")
		_, _ = w.Write([]byte(`{"data":{"p":{"ticket":{"accessToken":"a","refreshToken":` + string(next) + `},"errors":[]}}}`))
	}))
	defer srv.Close()

	c := &caller{url: srv.URL, http: srv.Client()}
	shoppers := []*shopper{{refresh: "one"}, {refresh: "two"}, {refresh: "three"}, {refresh: "four"}}
	run, err := c.scenario(context.Background(), Refresh, 2, shoppers, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	s := run.Op(Refresh)
	if s == nil || s.OK == 0 || s.Shed == 0 || s.Failures == 0 {
		t.Fatalf("want ok, shed and failures all > 0: %+v", s)
	}
	if s.Errors["UNAVAILABLE"] != s.Shed || s.Errors["INTERNAL_SERVER_ERROR"] != s.Failures {
		t.Errorf("errors %v; shed %d, failures %d", s.Errors, s.Shed, s.Failures)
	}
	if got := int64(s.OK + s.Shed + s.Failures); got != n.Load() {
		t.Errorf("%d operations recorded, %d answered", got, n.Load())
	}
	if reused.Load() > 0 {
		t.Errorf("%d refresh tokens sent twice after they were rotated", reused.Load())
	}
}
