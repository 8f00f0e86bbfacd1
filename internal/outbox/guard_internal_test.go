package outbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The default client of managed endpoints refuses to connect to a
// loopback receiver, by address and by a name that resolves to one,
// before anything is sent; with PrivateNetworks it delivers.
func TestEndpointsClientRefusesPrivateAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	guarded := NewEndpoints(EndpointsOptions{}).o.Client
	for _, u := range []string{srv.URL, byName} {
		t.Run(u, func(t *testing.T) {
			resp, err := guarded.Post(u, "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("POST %s went through", u)
			}
			if !errors.Is(err, errPrivateAddress) {
				t.Errorf("POST %s: %v, want the private-address refusal", u, err)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver got %d requests", hits.Load())
	}
	open := NewEndpoints(EndpointsOptions{PrivateNetworks: true}).o.Client
	resp, err := open.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("with PrivateNetworks the receiver got %d requests, want 1", hits.Load())
	}
	if guarded.Timeout != 10*time.Second || guarded.CheckRedirect == nil {
		t.Errorf("guarded client %+v lost its timeout or its redirect rule", guarded)
	}
}
