package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/authtest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// Racing createCustomer calls with one registration token make one customer.
func TestCreateCustomerRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := authtest.New(t, db)
		ctx := context.Background()
		reg, err := env.Service.Register(ctx, auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, auth.Registration{Email: "race@example.com", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 10
		var wg sync.WaitGroup
		codes := make([]gatehouse.Code, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := env.Service.CreateCustomer(ctx, auth.Credential{Bearer: reg.AccessToken}, auth.CustomerFields{})
				codes[i] = gatehouse.ErrorCode(err)
			}()
		}
		wg.Wait()
		won := 0
		for _, c := range codes {
			switch c {
			case "":
				won++
			case gatehouse.CodeDuplicate, gatehouse.CodeNotAllowed:
			default:
				t.Errorf("unexpected outcome %s", c)
			}
		}
		if won != 1 {
			t.Fatalf("%d createCustomer calls won, want 1 (%v)", won, codes)
		}
		ticket, err := env.Service.Refresh(ctx, auth.Credential{Bearer: reg.AccessToken}, "")
		if err != nil || ticket.CustomerAccount == nil {
			t.Fatalf("refresh: %+v, %v", ticket, err)
		}
	})
}

// When the hash queue is full, sign-in answers RATE_LIMITED with a retry
// hint instead of queueing without bound.
func TestHashQueueFullIsRateLimited(t *testing.T) {
	db := storetest.MustOpen(t, storetest.SQLite(t))
	env := authtest.New(t, db)
	ctx := context.Background()
	if _, err := env.Service.CreateAccount(ctx, gatehouse.ActorCustomer, auth.Account{Email: "busy@example.com", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	// One worker, one waiting place, production-cost hashes, many callers.
	h, err := password.NewHasher(password.Options{Params: password.OWASP, Workers: 1, Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Twelve sign-ins of one account at once count twelve attempts in
	// flight: above the lockout's limit, the later ones would be refused
	// as if locked (count-before-check stops parallel guessing). This test
	// is about the queue, so the limit is out of its way.
	svc, err := auth.New(auth.Options{Store: env.Store, Hasher: h, Signer: env.Signer, Lifetimes: authtest.Lifetimes, RefreshKey: []byte(authtest.RefreshKey), Now: env.Clock.Now,
		Lockout: auth.LockoutPolicy{MaxAttempts: 100, Base: time.Minute, Max: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = svc.Authenticate(ctx, auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, auth.PasswordCredentials{Email: ptr("busy@example.com"), Password: ptr("correct horse battery")})
		}()
	}
	close(start)
	wg.Wait()
	var ok, limited int
	for _, err := range errs {
		switch e := gatehouse.AsError(err); {
		case err == nil:
			ok++
		case e.Code == gatehouse.CodeRateLimited && e.RetryAfter > 0:
			limited++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok == 0 || limited == 0 {
		t.Fatalf("%d signed in, %d rate limited: want some of each", ok, limited)
	}
}

func TestCreateAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := authtest.New(t, db)
		ctx := context.Background()
		// The duplicate row's account, made here so that each row runs alone.
		if _, err := env.Service.CreateAccount(ctx, gatehouse.ActorUser, auth.Account{Email: "taken@example.com", Password: "long enough"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			actor gatehouse.ActorType
			acc   auth.Account
			code  gatehouse.Code
		}{
			{"user with password", gatehouse.ActorUser, auth.Account{Email: "u@example.com", Password: "long enough"}, ""},
			{"same email as customer", gatehouse.ActorCustomer, auth.Account{Email: "u@example.com", PasswordHash: "$2a$04$wYhj1jqzKmSbd7vCS0A1duxM3QwhCoBdpC0nsYv6gBwXHcb/3mWGK"}, ""},
			{"duplicate user", gatehouse.ActorUser, auth.Account{Email: "Taken@Example.com", Password: "long enough"}, gatehouse.CodeDuplicate},
			{"both password and hash", gatehouse.ActorUser, auth.Account{Email: "b@example.com", Password: "long enough", PasswordHash: "x"}, gatehouse.CodeInvalidInput},
			{"neither", gatehouse.ActorUser, auth.Account{Email: "n@example.com"}, gatehouse.CodeInvalidInput},
			{"unsupported hash", gatehouse.ActorCustomer, auth.Account{Email: "h@example.com", PasswordHash: "md5:abc"}, gatehouse.CodeInvalidInput},
			{"short password", gatehouse.ActorUser, auth.Account{Email: "s@example.com", Password: "short"}, gatehouse.CodePasswordPolicy},
			{"bad email", gatehouse.ActorUser, auth.Account{Email: "nope", Password: "long enough"}, gatehouse.CodeInvalidInput},
			{"bad actor", gatehouse.ActorType("robot"), auth.Account{Email: "r@example.com", Password: "long enough"}, gatehouse.CodeInvalidInput},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, err := env.Service.CreateAccount(ctx, tc.actor, tc.acc)
				if gatehouse.ErrorCode(err) != tc.code {
					t.Fatalf("err = %v, want code %q", err, tc.code)
				}
				if tc.code != "" {
					return
				}
				p, err := env.Store.ProviderIdentity(ctx, tc.actor, gatehouse.ProviderEmailPass, gatehouse.NormalizeEmail(tc.acc.Email))
				if err != nil {
					t.Fatal(err)
				}
				a, err := env.Store.AuthIdentity(ctx, p.AuthIdentityID)
				if err != nil || a.ActorID() != id {
					t.Fatalf("identity %+v links %q, want %q (%v)", a, a.ActorID(), id, err)
				}
			})
		}
	})
}

// A sign-in shed because the hash queue is full reached no verdict on the
// password: it must not count toward the lockout, or a busy moment would
// lock real customers out with their right password.
func TestShedSignInsDoNotLock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := authtest.New(t, db)
		ctx := context.Background()
		if _, err := env.Service.CreateAccount(ctx, gatehouse.ActorCustomer, auth.Account{Email: "busy@example.com", Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		// One worker and one waiting place, held by two slow hashes
		// while the account's attempts are shed.
		h, err := password.NewHasher(password.Options{Params: password.Params{MemoryKiB: 8192, Iterations: 60, Parallelism: 1}, Workers: 1, Queue: 1})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := auth.New(auth.Options{Store: env.Store, Hasher: h, Signer: env.Signer, Lifetimes: authtest.Lifetimes, RefreshKey: []byte(authtest.RefreshKey), Now: env.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		signIn := func(email string) error {
			_, err := svc.Authenticate(ctx, auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, auth.PasswordCredentials{Email: ptr(email), Password: ptr("correct horse battery")})
			return err
		}
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { _, _ = h.Hash(ctx, "a password holding a worker") })
		}
		for deadline := time.Now().Add(30 * time.Second); ; {
			if waiting, busy := h.Stats(); waiting == 1 && busy == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the hash pool never filled")
			}
			time.Sleep(time.Millisecond)
		}
		shed := 0
		for range 8 {
			if gatehouse.ErrorCode(signIn("busy@example.com")) == gatehouse.CodeRateLimited {
				shed++
			}
		}
		wg.Wait()
		if shed < 6 {
			t.Fatalf("%d of 8 sign-ins shed, want at least 6 (the pool emptied too soon)", shed)
		}
		p, err := env.Store.ProviderIdentity(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, "busy@example.com")
		if err != nil {
			t.Fatal(err)
		}
		a, err := env.Store.AuthIdentity(ctx, p.AuthIdentityID)
		if err != nil {
			t.Fatal(err)
		}
		if a.FailedAttempts != 0 || a.Locked(env.Clock.Now()) {
			t.Fatalf("after %d shed sign-ins: %d failed attempts, locked %v; want none", shed, a.FailedAttempts, a.Locked(env.Clock.Now()))
		}
		if err := signIn("busy@example.com"); err != nil {
			t.Fatalf("the right password after the sheds: %v", err)
		}
	})
}
