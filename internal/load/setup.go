package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// shopper is one registered customer and its current tokens. Exactly one
// worker uses a shopper at a time, so its refresh chain never races.
type shopper struct {
	email, password string
	access, refresh string
}

// setUpAttempts bounds how often set-up retries a shed call before it
// gives up.
const setUpAttempts = 8

// setUp registers n shoppers, each a customer with one address, with
// workers calls at once. Registration costs one password hash per shopper
// (the registration token is refreshed, not signed in again), and the
// server's hash queue is short, so a shed call waits as the server asks and
// is retried.
func setUp(ctx context.Context, c *caller, n, workers int) ([]*shopper, error) {
	run := make([]byte, 6)
	_, _ = rand.Read(run)
	tag := hex.EncodeToString(run)
	shoppers := make([]*shopper, n)
	idx := make(chan int)
	errc := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				s := &shopper{email: fmt.Sprintf("load-%s-%d@example.com", tag, i), password: "a shopper's test passphrase"}
				if err := c.registerShopper(ctx, s); err != nil {
					errc <- fmt.Errorf("set-up: register shopper %d: %w", i, err)
					cancel()
					return
				}
				shoppers[i] = s
			}
		}()
	}
feed:
	for i := range n {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return shoppers, nil
}

func (c *caller) registerShopper(ctx context.Context, s *shopper) error {
	var reg ticketPayload
	err := retryShed(ctx, func() error {
		return c.post(ctx, "", registerQuery, map[string]any{"e": s.email, "p": s.password}, nil, &reg)
	})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	var cu struct {
		Customer customer `json:"customer"`
	}
	if err := retryShed(ctx, func() error { return c.post(ctx, reg.Ticket.AccessToken, createQuery, nil, nil, &cu) }); err != nil {
		return fmt.Errorf("createCustomer: %w", err)
	}
	// The registration token carries no customer; a refresh gets one that
	// does without hashing the password again.
	s.refresh = reg.Ticket.RefreshToken
	if s.refresh != "" {
		err = retryShed(ctx, func() error { return c.refreshChain(ctx, s) })
	}
	if s.refresh == "" || err != nil {
		err = retryShed(ctx, func() error { return c.signIn(ctx, s) })
	}
	if err != nil {
		return fmt.Errorf("first token: %w", err)
	}
	var addr struct {
		Address struct {
			ID string `json:"id"`
		} `json:"address"`
	}
	if err := retryShed(ctx, func() error { return c.post(ctx, s.access, addressQuery, nil, nil, &addr) }); err != nil {
		return fmt.Errorf("addCustomerAddress: %w", err)
	}
	return nil
}

// retryShed calls f until it is not shed, waiting as the server asks, at
// most setUpAttempts times.
func retryShed(ctx context.Context, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		code, wait := codeOf(err)
		if err == nil || !Shed(code) {
			return err
		}
		if attempt == setUpAttempts {
			return fmt.Errorf("%w %d times: raise GATEHOUSE_RATE_LIMIT_IP and GATEHOUSE_RATE_LIMIT_IDENTIFIER on the server under test, or lower -setup-c", err, attempt)
		}
		if err := sleep(ctx, shedWait(wait)); err != nil {
			return err
		}
	}
}

// shedWait is how long a shed client waits: what the server asked, at
// most a second (a run lasts seconds), else 100 ms.
func shedWait(asked time.Duration) time.Duration {
	if asked <= 0 {
		return 100 * time.Millisecond
	}
	return min(asked, time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
