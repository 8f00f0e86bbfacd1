package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
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
	// IPv6Prefix is how many leading bits of an IPv6 client address make
	// its per-IP bucket (default 64: one customer network, which holds
	// 2^64 addresses). An IPv4 address is its own bucket.
	IPv6Prefix int
	// FailOpen lets credential mutations through when the limiter cannot
	// be asked (behind a ratelimit.Breaker: it timed out, failed, or its
	// breaker is open); otherwise they are shed with UNAVAILABLE, rather than
	// allowing unlimited password guesses while it is down. The token
	// mutations (refresh, anonymous tickets) always go through then:
	// they guess nothing, and refusing them would sign every client
	// out.
	FailOpen bool
	// OnShed, when set, is told of each request shed because the
	// limiter failed.
	OnShed func()
	Logger *slog.Logger
	Now    func() time.Time
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
	"verifyMfa":                        {true},
	"reauthenticate":                   {true},
	"confirmTotp":                      {true},
	"finishPasskeySignIn":              {true},
	"beginPasskeySignIn":               {false},
	"requestEmailCode":                 {false},
	"enrollTotp":                       {false},
	"beginPasskeyRegistration":         {false},
	"requestEmailVerification":         {false},
	"refreshToken":                     {false},
	"refreshUserAuthTicket":            {false},
	"createAnonymousShopperAuthTicket": {false},
}

// clientNetwork is the per-IP bucket of a client address: an IPv4 address
// (or an IPv4-mapped IPv6 one) as itself, an IPv6 address as its network
// of prefix bits (64 when prefix is not 1 to 128), without a zone. What
// does not parse is its own bucket.
func clientNetwork(ip string, prefix int) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	if prefix < 1 || prefix > 128 {
		prefix = 64
	}
	p, err := a.Prefix(prefix)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// rateLimitExtension takes a token from each of a limited field's buckets,
// in one call to the limiter, before it resolves; every aliased use
// counts.
type rateLimitExtension struct{ RateLimits }

var (
	_ graphql.HandlerExtension = rateLimitExtension{}
	_ graphql.FieldInterceptor = rateLimitExtension{}
)

func (rateLimitExtension) ExtensionName() string                   { return "RateLimits" }
func (rateLimitExtension) Validate(graphql.ExecutableSchema) error { return nil }

// limiterDown sheds a credential mutation the limiter could not count:
// retry once the limiter's breaker may let a take through again (its
// ratelimit.UnavailableError says when), else in 5 s.
func limiterDown(err error) error {
	retry := 5 * time.Second
	if ue := (*ratelimit.UnavailableError)(nil); errors.As(err, &ue) && ue.RetryAfter > 0 {
		retry = ue.RetryAfter
	}
	return &gatehouse.Error{Code: gatehouse.CodeUnavailable, RetryAfter: retry,
		Message: "Sign-in is briefly unavailable; retry shortly."}
}

func (x rateLimitExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" {
		return next(ctx)
	}
	field, ok := limitedFields[fc.Field.Name]
	if !ok {
		return next(ctx)
	}
	op := fc.Field.Name
	takes := []ratelimit.Take{{Key: "ip:" + op + ":" + clientNetwork(request.From(ctx).ClientIP, x.IPv6Prefix), Rate: x.PerIP}}
	if id := identifier(fc.Args); id != "" {
		// Hashed: the buckets hold no email addresses.
		sum := sha256.Sum256([]byte(id))
		takes = append(takes, ratelimit.Take{Key: "id:" + op + ":" + hex.EncodeToString(sum[:16]), Rate: x.Identifier})
	}
	results, err := x.Limiter.Take(ctx, x.Now(), takes...)
	if err != nil {
		if field.credential && !x.FailOpen {
			x.Logger.ErrorContext(ctx, "rate limiter unavailable; shedding the request", "operation", op, "error", err)
			if x.OnShed != nil {
				x.OnShed()
			}
			return nil, limiterDown(err)
		}
		x.Logger.ErrorContext(ctx, "rate limiter unavailable; allowing the request", "operation", op, "error", err)
		return next(ctx)
	}
	for _, r := range results {
		if !r.OK {
			return nil, &gatehouse.Error{Code: gatehouse.CodeRateLimited, RetryAfter: r.RetryAfter,
				Message: fmt.Sprintf("Too many %s attempts; retry later.", op)}
		}
	}
	return next(ctx)
}

// identifier is the account a limited field's input names, normalized.
func identifier(args map[string]any) string {
	var id string
	if e, ok := args["email"].(*string); ok && e != nil {
		id = *e // beginPasskeySignIn
	}
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
	case model.SendEmailVerificationInput:
		id = in.Identifier
	case model.RequestEmailCodeInput:
		id = in.Email
	case model.VerifyMfaInput:
		// The challenge stands for the account it was made for.
		id = "challenge:" + in.ChallengeToken
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
