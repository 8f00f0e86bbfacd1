package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Codes the tool itself gives an operation that got no GraphQL error code.
const (
	codeTransport = "TRANSPORT" // no answer, or not a GraphQL one
	codeNull      = "NULL"      // the root field was null without an error
)

// Shed reports whether code means the server turned the request away to
// protect itself (too much hashing queued, no database connection free)
// rather than failed it.
func Shed(code string) bool { return code == "RATE_LIMITED" || code == "UNAVAILABLE" }

// caller speaks GraphQL over HTTP. Every operation's root field is aliased
// p, so that one decoder reads them all.
type caller struct {
	url  string
	http *http.Client
}

// gqlError is a GraphQL error code, top-level or from a payload's errors
// list, with the wait the server asked for, if any.
type gqlError struct {
	code       string
	retryAfter time.Duration
}

func (e *gqlError) Error() string { return e.code }

// codeOf returns err's GraphQL code, or TRANSPORT.
func codeOf(err error) (string, time.Duration) {
	var ge *gqlError
	if errors.As(err, &ge) {
		return ge.code, ge.retryAfter
	}
	return codeTransport, 0
}

const ticketFields = `ticket { accessToken refreshToken } errors { code }`

const (
	registerQuery = `mutation($e: String!, $p: String!) { p: register(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ` + ticketFields + ` } }`
	signInQuery   = `mutation($e: String!, $p: String!) { p: authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ` + ticketFields + ` } }`
	refreshQuery  = `mutation($t: String) { p: refreshToken(input: {refreshToken: $t}) { ` + ticketFields + ` } }`
	createQuery   = `mutation { p: createCustomer(input: {firstName: "Load"}) { customer { id } errors { code } } }`
	addressQuery  = `mutation { p: addCustomerAddress(input: {addressName: "Home", firstName: "Load", lastName: "Shopper", address1: "1 Load Street", city: "Loadville", countryCode: "us", postalCode: "10001"}) { address { id } errors { code } } }`
	// meQuery is what a storefront's account page asks for; the APQ
	// scenario sends its SHA-256 instead of its text.
	meQuery = `query Me { p: currentCustomer { id email firstName addresses { id city } } }`
)

// meHash is meQuery's persisted-query hash.
func meHash() string {
	sum := sha256.Sum256([]byte(meQuery))
	return hex.EncodeToString(sum[:])
}

type ticketPayload struct {
	Ticket struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
	} `json:"ticket"`
}

type customer struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Addresses []struct {
		ID string `json:"id"`
	} `json:"addresses"`
}

func (c *caller) signIn(ctx context.Context, s *shopper) error {
	var p ticketPayload
	if err := c.post(ctx, "", signInQuery, map[string]any{"e": s.email, "p": s.password}, nil, &p); err != nil {
		return err
	}
	s.access, s.refresh = p.Ticket.AccessToken, p.Ticket.RefreshToken
	return nil
}

func (c *caller) refreshChain(ctx context.Context, s *shopper) error {
	var p ticketPayload
	if err := c.post(ctx, "", refreshQuery, map[string]any{"t": s.refresh}, nil, &p); err != nil {
		return err
	}
	s.access, s.refresh = p.Ticket.AccessToken, p.Ticket.RefreshToken
	return nil
}

func (c *caller) me(ctx context.Context, s *shopper) error {
	var cu customer
	return c.post(ctx, s.access, meQuery, nil, nil, &cu)
}

func apqExtensions() map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": meHash()}}
}

// registerMe sends meQuery once with its hash, as an Apollo client does
// after PERSISTED_QUERY_NOT_FOUND, so that the server caches it.
func (c *caller) registerMe(ctx context.Context, s *shopper) error {
	var cu customer
	return c.post(ctx, s.access, meQuery, nil, apqExtensions(), &cu)
}

// meGet sends only meQuery's hash, over GET (automatic persisted queries).
// The bearer token is also what tells the server's browser guard that the
// request could not come from another site's page.
func (c *caller) meGet(ctx context.Context, s *shopper) error {
	ext, _ := json.Marshal(apqExtensions())
	q := url.Values{"extensions": {string(ext)}, "operationName": {"Me"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.access)
	var cu customer
	return c.send(req, &cu)
}

// post sends one operation as JSON and decodes its root field p into v.
func (c *caller) post(ctx context.Context, bearer, query string, vars, ext map[string]any, v any) error {
	doc := map[string]any{"query": query}
	if vars != nil {
		doc["variables"] = vars
	}
	if ext != nil {
		doc["extensions"] = ext
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return c.send(req, v)
}

// send does req and decodes the root field p into v; a top-level or
// payload error comes back as a *gqlError.
func (c *caller) send(req *http.Request, v any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data struct {
			P json.RawMessage `json:"p"`
		} `json:"data"`
		Errors []struct {
			Extensions struct {
				Code              string  `json:"code"`
				RetryAfterSeconds float64 `json:"retryAfterSeconds"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("HTTP %d: not a GraphQL response", resp.StatusCode)
	}
	if len(r.Errors) > 0 {
		e := r.Errors[0].Extensions
		code := e.Code
		if code == "" {
			code = fmt.Sprintf("HTTP_%d", resp.StatusCode)
		}
		return &gqlError{code: code, retryAfter: time.Duration(e.RetryAfterSeconds * float64(time.Second))}
	}
	var pe struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(r.Data.P, &pe) == nil && len(pe.Errors) > 0 {
		return &gqlError{code: pe.Errors[0].Code}
	}
	if len(r.Data.P) == 0 || string(r.Data.P) == "null" {
		return &gqlError{code: codeNull}
	}
	return json.Unmarshal(r.Data.P, v)
}

// origin returns the scheme and host of a URL, for /metrics beside
// /graphql.
func origin(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return "", fmt.Errorf("not an absolute URL: %q", u)
	}
	return strings.TrimSuffix(p.Scheme+"://"+p.Host, "/"), nil
}
