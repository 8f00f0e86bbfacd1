package outbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/internal/netguard"
)

// errPrivateAddress is why a delivery to a managed endpoint was refused:
// its host resolved to an address that is not on the public internet.
var errPrivateAddress = errors.New("the endpoint's address is not public")

// guardedClient is the client for managed endpoints: as the default one,
// and its dialer refuses every address netguard.Public refuses. The check
// runs on the address actually dialled, after DNS, so a name that
// resolves (or is rebound) to a private address is refused too. It uses
// no proxy: the proxy's own address would be the one checked.
func guardedClient(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !netguard.Public(ap.Addr()) {
			return fmt.Errorf("%w (%s)", errPrivateAddress, address)
		}
		return nil
	}}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: timeout, Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}
