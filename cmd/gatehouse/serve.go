package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/outbox"
)

func serve(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "serve", "serve")
	usage := fs.Usage
	fs.Usage = func() { usage(); settingsHelp(fs.Output()) }
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	return withApp(ctx, e, func(a *app) error { return a.serve(ctx, e) })
}

// serve runs the HTTP server until ctx ends, then shuts it down gracefully.
func (a *app) serve(ctx context.Context, e env) error {
	cfg, log := a.cfg, a.log
	if cfg.HashNice > 0 {
		// The hash workers' threads each hold a Go processor while they
		// hash; these extra ones keep the requests' goroutines running
		// beside them, and the OS gives the CPU to whichever is not
		// niced.
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + cfg.HashWorkers)
	}
	tracer, stopTracing, err := newTracer(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			log.Warn("flushing traces", "error", err)
		}
	}()
	rdb, err := newRedis(ctx, cfg)
	if err != nil {
		return err
	}
	if rdb != nil {
		defer rdb.Close()
	}
	srv, stopHTTP := a.newHTTPServer(tracer, rdb)
	defer stopHTTP()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
		log.InfoContext(ctx, "serving profiles", "pprof", "http://"+cfg.PprofAddr+"/debug/pprof/")
	}
	addr := ln.Addr().String()
	log.InfoContext(ctx, "listening", "addr", addr, "graphql", "http://"+addr+"/graphql", "playground", cfg.Playground, "database", a.db.Dialect())
	if e.listening != nil {
		e.listening(addr)
	}

	// Every failed password check runs each kind of hash still stored
	// (equal work for every account); the kinds are listed now and every
	// few minutes, never on a sign-in. Until the first list, or should
	// it fail, a kind is added when a sign-in meets it.
	if err := a.auth.RefreshPasswordHashKinds(ctx); err != nil {
		log.WarnContext(ctx, "listing password hash kinds", "error", err)
	}
	stopKinds := sweepEvery(passwordKindsEvery, func(ctx context.Context) {
		if err := a.auth.RefreshPasswordHashKinds(ctx); err != nil {
			log.WarnContext(ctx, "listing password hash kinds", "error", err)
		}
	})
	defer stopKinds()

	dispatcher := outbox.New(outbox.Options{
		Store: a.store, Subscribers: a.subscribers, Open: a.auth.OpenEventSecrets, Logger: log,
		OnFailure: a.metrics.OutboxFailure,
	})
	dctx, stopDispatcher := context.WithCancel(context.Background())
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		dispatcher.Run(dctx, time.Second, 5*time.Second)
	}()
	// Stopped after the server: requests in flight may still emit events,
	// which the last run flushes.
	defer func() {
		stopDispatcher()
		<-dispatched
	}()
	// The keys' poller reloads them within a second of a change made by
	// `keys rotate` or another instance; stopped after the server too.
	pctx, stopPolling := context.WithCancel(context.Background())
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		a.keys.Run(pctx)
	}()
	defer func() {
		stopPolling()
		<-polled
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// passwordKindsEvery is how often serve lists the kinds of stored password
// hashes: a statement over every identity, so not often; a rehash drops a
// kind within this time, an import in another process adds its kind at
// its first sign-in.
const passwordKindsEvery = 5 * time.Minute

// servePprof serves net/http/pprof on a listener of its own (never the
// public one), until stop.
func servePprof(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("GATEHOUSE_PPROF_ADDR: listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { srv.Close() }, nil
}

// sweepEvery runs fn every interval, in the background, until the
// returned stop is called (which waits for a run in progress).
func sweepEvery(interval time.Duration, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// newRedis connects to GATEHOUSE_REDIS_URL, or returns nil when it is not
// set. Redis then holds the rate-limit buckets and the persisted queries.
func newRedis(ctx context.Context, cfg *config.Config) (*redis.Client, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	opt, err := redis.ParseURL(cfg.RedisURL.Reveal())
	if err != nil {
		return nil, errors.New("GATEHOUSE_REDIS_URL: not a valid Redis URL")
	}
	c := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	return c, nil
}
