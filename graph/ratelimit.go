package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/gatehouse/gatehouse/graph/model"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/request"
)

// RateLimits configure the limits on the mutations that check credentials
// or make tokens: a bucket per operation and client IP, and one per
// operation and identifier (the email or user name tried).
type RateLimits struct {
	Limiter    ratelimit.Limiter
	PerIP      ratelimit.Rate
	Identifier ratelimit.Rate
	Logger     *slog.Logger
	Now        func() time.Time
}

// limitedFields are the root mutation fields under rate limits; the
// credential-checking ones are also limited to one per operation, so
// aliases and batches cannot multiply attempts.
var limitedFields = map[string]struct{ credential bool }{
	"authenticate":                     {true},
	"register":                         {true},
	"createUserAuthTicket":             {true},
	"validateCallback":                 {true},
	"generateResetPasswordToken":       {true},
	"sendEmailVerification":            {true},
	"resetPassword":                    {true},
	"changePassword":                   {true},
	"verifyEmail":                      {true},
	"requestEmailVerification":         {false},
	"refreshToken":                     {false},
	"refreshUserAuthTicket":            {false},
	"createAnonymousShopperAuthTicket": {false},
}

// rateLimitExtension takes a token from each of a limited field's buckets
// before it resolves; every aliased use counts.
type rateLimitExtension struct{ RateLimits }

var (
	_ graphql.HandlerExtension = rateLimitExtension{}
	_ graphql.FieldInterceptor = rateLimitExtension{}
)

func (rateLimitExtension) ExtensionName() string                   { return "RateLimits" }
func (rateLimitExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (x rateLimitExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" {
		return next(ctx)
	}
	if _, ok := limitedFields[fc.Field.Name]; !ok {
		return next(ctx)
	}
	now := x.Now()
	op := fc.Field.Name
	buckets := []struct {
		key  string
		rate ratelimit.Rate
	}{{"ip:" + op + ":" + request.From(ctx).ClientIP, x.PerIP}}
	if id := identifier(fc.Args); id != "" {
		// Hashed: the buckets hold no email addresses.
		sum := sha256.Sum256([]byte(id))
		buckets = append(buckets, struct {
			key  string
			rate ratelimit.Rate
		}{"id:" + op + ":" + hex.EncodeToString(sum[:16]), x.Identifier})
	}
	// The buckets are independent: take them at once, so a second bucket
	// costs no second round trip.
	type result struct {
		ok    bool
		retry time.Duration
		err   error
	}
	results := make([]result, len(buckets))
	var wg sync.WaitGroup
	for i, b := range buckets {
		wg.Go(func() {
			ok, retry, err := x.Limiter.Take(ctx, b.key, b.rate, now)
			results[i] = result{ok, retry, err}
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			// A limiter outage must not stop every sign-in: the lockout
			// still guards each account.
			x.Logger.ErrorContext(ctx, "rate limiter unavailable; allowing the request", "error", r.err)
			continue
		}
		if !r.ok {
			return nil, &gatehouse.Error{Code: gatehouse.CodeRateLimited, RetryAfter: r.retry,
				Message: fmt.Sprintf("Too many %s attempts; retry later.", op)}
		}
	}
	return next(ctx)
}

// identifier is the account a limited field's input names, normalized.
func identifier(args map[string]any) string {
	var id string
	switch in := args["input"].(type) {
	case *model.AuthenticateInput:
		if in != nil {
			id = deref(in.Email.Value())
		}
	case model.RegisterInput:
		id = in.Email
	case model.CreateUserAuthTicketInput:
		id = deref(in.EmailAddress.Value())
		if id == "" {
			id = "username:" + deref(in.UserName.Value())
		}
	case model.ResetPasswordTokenInput:
		id = in.Identifier
	}
	return strings.ToLower(strings.TrimSpace(id))
}

// credentialFields counts an operation's credential-checking root
// fields, each alias apart.
func credentialFields(names []string) int {
	n := 0
	for _, name := range names {
		if f, ok := limitedFields[name]; ok && f.credential {
			n++
		}
	}
	return n
}
