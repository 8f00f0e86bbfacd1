package main

import (
	"context"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/trace"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/housekeeping"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/store"
)

func serve(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "serve", "serve")
	usage := fs.Usage
	fs.Usage = func() { usage(); settingsHelp(fs.Output()) }
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	// The log waits for the start line (startline.go), which comes first.
	held := holdLog(e.stderr)
	defer held.release("")
	e.stderr = held
	return withDB(ctx, e, autoMigrate, func(cfg *config.Config, log *slog.Logger, db *store.DB, m *metrics.Metrics) error {
		// Tracing first, so that a wrong OTEL_* variable stops the start
		// before anything listens.
		tp, stopTracing, err := newTracer(ctx, cfg, e.getenv)
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
		if tp != nil {
			// Before anything uses the handle (readiness pings it from
			// the listener's goroutines) and before the store is built
			// on it: the hook goes on the handle the store keeps.
			db.Trace(tp.Tracer(tracerName))
		}
		// Listening before the service is built, so that probes learn
		// why it is not ready while its migrations are pending.
		ready := &readiness{db: db}
		hs, err := listen(cfg, log, ready, m)
		if err != nil {
			return err
		}
		defer hs.close()
		announce(e.stderr, startLine(cfg, hs.publicAddr, hs.managementAddr))
		if e.listening != nil {
			e.listening(hs.publicAddr)
		}
		if err := awaitMigrations(ctx, log, ready); err != nil {
			log.Info("shutting down while waiting for migrations")
			return hs.shutdown(cfg.ShutdownTimeout)
		}
		a, err := newApp(ctx, cfg, log, db, m)
		if err != nil {
			return err
		}
		defer a.close()
		return a.serve(ctx, e, hs, ready, tp)
	})
}

// awaitMigrations returns once no migration is pending, checking every
// second: with GATEHOUSE_AUTO_MIGRATE off, the service is built only
// after another process has run `gatehouse migrate up`, since nearly all
// it does at start (the signing keys, the outbox, the rate limiter's
// sweep) needs the tables. It returns ctx's error if ctx ends first.
func awaitMigrations(ctx context.Context, log *slog.Logger, r *readiness) error {
	waiting := 0
	for {
		pending, err := r.pendingMigrations(ctx)
		switch {
		case err != nil:
			log.WarnContext(ctx, "reading the pending migrations", "error", err)
		case len(pending) == 0:
			if waiting > 0 {
				log.InfoContext(ctx, "migrations applied: starting")
			}
			return nil
		case len(pending) != waiting:
			log.WarnContext(ctx, "waiting for migrations: "+pendingCount(len(pending))+": run gatehouse migrate up (GATEHOUSE_AUTO_MIGRATE is false)", "pending", pending)
			waiting = len(pending)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(migrationsCheckEvery):
		}
	}
}

// serve runs the service on hs until ctx ends, then shuts hs down
// gracefully.
func (a *app) serve(ctx context.Context, _ env, hs *httpServers, ready *readiness, tp trace.TracerProvider) error {
	cfg, log := a.cfg, a.log
	if cfg.HashNice > 0 {
		// The hash workers' threads each hold a Go processor while they
		// hash; these extra ones keep the requests' goroutines running
		// beside them, and the OS gives the CPU to whichever is not
		// niced.
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + cfg.HashWorkers)
	}
	var tracer trace.Tracer
	if tp != nil {
		tracer = tp.Tracer(tracerName)
	}
	rdb, err := newRedis(ctx, cfg)
	if err != nil {
		return err
	}
	if rdb != nil {
		defer rdb.Close()
	}
	routes, stopHTTP := a.newHandler(tracer, rdb, ready)
	defer stopHTTP()
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr)
		if err != nil {
			return err
		}
		defer stop()
		log.InfoContext(ctx, "serving profiles", "pprof", "http://"+cfg.PprofAddr+"/debug/pprof/")
	}
	addr := hs.publicAddr
	log.InfoContext(ctx, "listening", "addr", addr, "graphql", "http://"+addr+"/graphql", "playground", cfg.Playground, "database", a.db.Dialect())
	if hs.management != nil {
		log.InfoContext(ctx, "serving management", "addr", hs.managementAddr, "readyz", "http://"+hs.managementAddr+"/readyz")
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

	// The subscribers this instance is configured with join the fleet's
	// table: every instance owes them each event it writes, and those
	// configured with one deliver to it.
	if err := a.store.EnsureSubscribers(ctx, outbox.Declarations(a.subscribers), time.Now()); err != nil {
		return fmt.Errorf("declare subscribers: %w", err)
	}
	dispatcher := outbox.New(outbox.Options{
		Store: a.store, Subscribers: a.subscribers, Open: a.auth.OpenEventSecrets, Logger: log,
		OnFailure: a.metrics.OutboxFailure,
	})
	dctx, stopDispatcher := context.WithCancel(context.Background())
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		dispatcher.Run(dctx, time.Second, 5*time.Second, a.endpoints)
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
	// Housekeeping: every instance runs the loop, a lease in the
	// database lets one pass run at a time.
	ho := housekeepingOptions(cfg, log, a.metrics)
	ho.Tasks = []housekeeping.Pruner{deletionTask(a.auth)}
	hk, err := housekeeping.New(a.db, ho)
	if err != nil {
		return err
	}
	hctx, stopHousekeeping := context.WithCancel(context.Background())
	housekept := make(chan struct{})
	go func() {
		defer close(housekept)
		hk.Run(hctx)
	}()
	defer func() {
		stopHousekeeping()
		<-housekept
	}()

	// The routes, then readiness: /readyz answers 200 only once the
	// public listener serves the service.
	hs.routes.set(traceHTTP(tp, routes))
	ready.app.Store(a)
	select {
	case err := <-hs.errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	return hs.shutdown(cfg.ShutdownTimeout)
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
	// Every call heeds its context's deadline (the limiter's 100 ms), not
	// only go-redis's own 5 s read timeout.
	ratelimit.HeedContext(opt)
	c := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	return c, nil
}
