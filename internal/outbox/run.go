package outbox

import (
	"context"
	"sync"
	"time"
)

// Run delivers to each subscriber in a loop of its own, every interval,
// until ctx ends, and so to each subscriber the sources list while they
// list it (the webhook endpoints, added and deleted on any instance);
// then it flushes what is due within flush. A delivery in flight when ctx
// ends may finish within flush; one still running then is cut short, and
// it and everything claimed but not delivered is handed back without
// counting an attempt, so that another instance delivers it at once. Run
// returns when all of that is done.
func (d *Dispatcher) Run(ctx context.Context, interval, flush time.Duration, sources ...Source) {
	// work outlives ctx by flush: deliveries and their records run under it.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	go func() {
		select {
		case <-ctx.Done():
		case <-work.Done():
			return
		}
		t := time.NewTimer(flush)
		defer t.Stop()
		select {
		case <-t.C:
			stopWork()
		case <-work.Done():
		}
	}()
	stopHeartbeat := d.startHeartbeat(work)
	defer stopHeartbeat()
	var wg sync.WaitGroup
	for _, sub := range d.o.Subscribers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.loop(ctx, work, sub, interval)
		}()
	}
	for _, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.follow(ctx, work, src, interval)
		}()
	}
	wg.Wait()
}

// loop delivers to sub every interval until ctx ends, then once more, and
// stops when that flush is done or work ends.
func (d *Dispatcher) loop(ctx, work context.Context, sub Subscriber, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.drain(work, sub); err != nil && work.Err() == nil {
			d.o.Logger.ErrorContext(ctx, "outbox dispatcher", "subscriber", sub.Name(), "error", err)
		}
		select {
		case <-ctx.Done():
			if _, err := d.drain(work, sub); err != nil {
				d.o.Logger.Warn("outbox flush at shutdown", "subscriber", sub.Name(), "error", err)
			}
			return
		case <-work.Done():
			return
		case <-t.C:
		}
	}
}

// startHeartbeat renews the leases this dispatcher holds, every Renew,
// until ctx ends or the returned stop is called (which waits for it).
func (d *Dispatcher) startHeartbeat(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(d.o.Renew)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if d.held.Load() <= 0 {
				continue
			}
			now := d.o.Now()
			if _, err := d.o.Store.RenewLeases(ctx, d.o.Owner, now.Add(d.o.Lease), now); err != nil && ctx.Err() == nil {
				// Leases that lapse pass to another instance: the
				// event is delivered twice, never lost.
				d.o.Logger.WarnContext(ctx, "outbox lease renewal", "owner", d.o.Owner, "error", err)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
