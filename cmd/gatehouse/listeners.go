package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/server"
)

// httpServers are the process's HTTP servers: the public one and, when
// GATEHOUSE_MANAGEMENT_ADDR is set, the management one, which then alone
// serves /healthz, /readyz and /metrics. They listen from before the
// service is built, so that probes get an answer while it waits for its
// migrations; the public one answers 503 (server.Starting) until serve
// hands it the service's routes.
type httpServers struct {
	public         *http.Server
	publicAddr     string
	routes         swapHandler
	management     *http.Server // nil without GATEHOUSE_MANAGEMENT_ADDR
	managementAddr string
	// errc receives what each server's Serve returns.
	errc chan error
}

// listen opens the listeners and serves on them: the management routes
// answer from now on, from ready and m (nil without metrics).
func listen(cfg *config.Config, log *slog.Logger, ready server.Checker, m *metrics.Metrics) (*httpServers, error) {
	o := server.Options{
		Logger:          log,
		Ready:           ready,
		Production:      cfg.Production(),
		TrustedProxies:  cfg.TrustedProxies,
		ManagementApart: cfg.ManagementAddr != "",
	}
	if m != nil {
		o.Metrics = m.Handler()
	}
	hs := &httpServers{errc: make(chan error, 2)}
	hs.routes.set(server.Starting(o))
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	hs.public, hs.publicAddr = httpServer(cfg, &hs.routes), ln.Addr().String()
	if cfg.ManagementAddr != "" {
		mln, err := net.Listen("tcp", cfg.ManagementAddr)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("GATEHOUSE_MANAGEMENT_ADDR: listen: %w", err)
		}
		hs.management, hs.managementAddr = httpServer(cfg, server.Management(o)), mln.Addr().String()
		go func() { hs.errc <- hs.management.Serve(mln) }()
	}
	go func() { hs.errc <- hs.public.Serve(ln) }()
	return hs, nil
}

func httpServer(cfg *config.Config, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// servers are the running servers.
func (hs *httpServers) servers() []*http.Server {
	if hs.management == nil {
		return []*http.Server{hs.public}
	}
	return []*http.Server{hs.public, hs.management}
}

// shutdown stops every server from accepting at once and waits, within
// timeout, for the requests in flight.
func (hs *httpServers) shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	servers := hs.servers()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { errs[i] = s.Shutdown(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	for range servers {
		if err := <-hs.errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// close stops every server at once, dropping the requests in flight: for
// a start that failed.
func (hs *httpServers) close() {
	for _, s := range hs.servers() {
		_ = s.Close()
	}
}

// swapHandler serves the handler last set: the public server's routes
// change from server.Starting to the service's once it is built.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}
