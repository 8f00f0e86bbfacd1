package outbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublicAddress(t *testing.T) {
	for _, c := range []struct {
		addr   string
		public bool
	}{
		{"93.184.215.14", true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true},
		{"127.0.0.1", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fd00:ec2::254", false}, // AWS metadata over IPv6
		{"0.0.0.0", false},
		{"::", false},
		{"100.64.0.1", false},
		{"224.0.0.1", false},
		{"::ffff:127.0.0.1", false}, // IPv4-mapped loopback
		{"::ffff:10.0.0.1", false},
		{"64:ff9b::a00:1", false}, // NAT64 of 10.0.0.1
		{"2002:a00:1::", false},   // 6to4 of 10.0.0.1
		{"198.51.100.7", false},
	} {
		t.Run(c.addr, func(t *testing.T) {
			if got := publicAddress(netip.MustParseAddr(c.addr)); got != c.public {
				t.Errorf("publicAddress(%s) = %t, want %t", c.addr, got, c.public)
			}
		})
	}
}

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
