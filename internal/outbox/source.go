package outbox

import (
	"context"
	"sync"
	"time"
)

// Source is a set of subscribers that changes while the dispatcher runs:
// the webhook endpoints managed through the API, which any instance may
// add or delete (Endpoints). Run asks it every interval, and it may
// answer from a cache; each subscriber it lists gets a loop of its own
// until it is no longer listed. It lists the same Subscriber value for
// the same name for as long as it lists it.
type Source interface {
	Subscribers(ctx context.Context) ([]Subscriber, error)
}

// follow gives each subscriber src lists a delivery loop, as loop does for
// the configured ones, and stops the loop of one no longer listed (after
// one more drain, which finds nothing owed to a deleted endpoint). It
// returns when ctx ends and every loop it started has flushed, or when
// work ends.
func (d *Dispatcher) follow(ctx, work context.Context, src Source, interval time.Duration) {
	running := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	defer func() {
		for _, stop := range running {
			stop()
		}
		wg.Wait()
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		subs, err := src.Subscribers(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			// The loops running go on; a new endpoint waits for the
			// next answer.
			d.o.Logger.ErrorContext(ctx, "outbox subscribers", "error", err)
		case err == nil:
			listed := make(map[string]bool, len(subs))
			for _, sub := range subs {
				listed[sub.Name()] = true
				if _, ok := running[sub.Name()]; ok {
					continue
				}
				lctx, stop := context.WithCancel(ctx)
				running[sub.Name()] = stop
				wg.Add(1)
				go func() {
					defer wg.Done()
					d.loop(lctx, work, sub, interval)
				}()
			}
			for name, stop := range running {
				if !listed[name] {
					stop()
					delete(running, name)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-work.Done():
			return
		case <-t.C:
		}
	}
}
