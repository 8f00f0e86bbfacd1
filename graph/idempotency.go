package graph

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/request"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// Safe retries of mutations. A mutation sent with an Idempotency-Key
// header runs once per key and credential: its first answer is kept,
// sealed, in the database, and a retry with the same key is answered
// with it, byte for byte, on whichever instance it lands.
//
// Two hooks, because neither alone sees everything. The layer wraps the
// POST transport, which is where the final status and body are written:
// it buffers them, keeps them, or writes a kept answer in their place.
// Whether the request is a mutation, and what its fingerprint is, is
// known only once gqlgen has parsed and validated it (and found a
// persisted query's text): the extension claims the key there, just
// before the mutation runs, so that a request that never reaches the
// resolvers (parse, validation, a limit, unknown variables) claims
// nothing.

// Header names.
const (
	// IdempotencyKeyHeader carries the client's key for a mutation.
	IdempotencyKeyHeader = "Idempotency-Key"
	// IdempotentReplayedHeader marks an answer replayed from the first
	// request with the key.
	IdempotentReplayedHeader = "Idempotent-Replayed"
)

// Idempotency configures the Idempotency-Key layer.
type Idempotency struct {
	// Store keeps the records; nil turns the layer off, and the header
	// is then ignored.
	Store IdempotencyStore
	// Key (at least 32 bytes, derived from the key-encryption key) keys
	// the hashes of credentials, keys and requests and seals the kept
	// answers.
	Key []byte
	// TTL is how long an answer is kept (default 24 h).
	TTL time.Duration
	// Lock is how long a request holds its key before a retry may take
	// it over, its owner presumed dead (default 30 s).
	Lock time.Duration
	// Wait is how long a retry waits for the first request to finish
	// before it is answered CONFLICT IN_PROGRESS (default 2 s), polling
	// every Poll (default 50 ms).
	Wait, Poll time.Duration
	Now        func() time.Time
}

// IdempotencyStore keeps the records of mutations sent with a key
// (internal/store implements it).
type IdempotencyStore interface {
	// ClaimIdempotency claims r's id for r.Owner unless another live
	// request holds it or its answer is kept, and returns the record as
	// it stands: r's own when the claim won.
	ClaimIdempotency(ctx context.Context, r *gatehouse.IdempotencyRecord, now time.Time) (*gatehouse.IdempotencyRecord, error)
	// CompleteIdempotency keeps the answer of the request holding id.
	CompleteIdempotency(ctx context.Context, id, owner string, status int, body, authIdentityID string) error
	// ReleaseIdempotency frees id, held by owner, without an answer.
	ReleaseIdempotency(ctx context.Context, id, owner string) error
}

// conflictMessage is the seeds' API's answer to a retry that conflicts
// with the request still running, word for word.
const conflictMessage = "The request conflicted with another request. You may retry the request with the provided Idempotency-Key."

var (
	errKeyInProgress = &gatehouse.Error{Code: gatehouse.CodeConflict, Reason: gatehouse.ReasonInProgress, Message: conflictMessage}
	errKeyReused     = &gatehouse.Error{Code: gatehouse.CodeConflict, Reason: gatehouse.ReasonIdempotencyKeyReused,
		Message: "This Idempotency-Key was sent first with another request: send a new key with a new request."}
)

// idempotency is the layer: a transport wrapper and a gqlgen extension
// sharing a per-request idemRequest through the context.
type idempotency struct {
	Idempotency
	log                      *slog.Logger
	idKey, fpKey, sealingKey []byte
}

var (
	_ graphql.HandlerExtension        = (*idempotency)(nil)
	_ graphql.OperationContextMutator = (*idempotency)(nil)
	_ graphql.ResponseInterceptor     = (*idempotency)(nil)
)

func newIdempotency(o Idempotency, log *slog.Logger) *idempotency {
	if len(o.Key) < 32 {
		// A wiring mistake, found at start.
		panic("graph: Idempotency.Key must be at least 32 bytes")
	}
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Lock <= 0 {
		o.Lock = 30 * time.Second
	}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 50 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	derive := func(label string) []byte {
		k, err := hkdf.Key(sha256.New, o.Key, nil, "gatehouse idempotency "+label, 32)
		if err != nil {
			panic("graph: derive idempotency key: " + err.Error())
		}
		return k
	}
	return &idempotency{Idempotency: o, log: log, idKey: derive("record id"), fpKey: derive("fingerprint"), sealingKey: derive("seal")}
}

func (*idempotency) ExtensionName() string                   { return "Idempotency" }
func (*idempotency) Validate(graphql.ExecutableSchema) error { return nil }

// idemRequest is what the layer knows of one request sent with the
// header, and what the extension decided for it.
type idemRequest struct {
	values []string // the header's values, as sent
	scope  string   // the credential the request carries ("" for none)
	// actedFor is the identity the request acted for, once it ran.
	actedFor string

	// Set by the extension.
	id, owner string  // the record this request holds (owner "" for none)
	keep      bool    // the answer is to be kept
	replay    *answer // the kept answer to send instead
	refused   gatehouse.Reason
}

type idemKey struct{}

func idemFrom(ctx context.Context) *idemRequest {
	st, _ := ctx.Value(idemKey{}).(*idemRequest)
	return st
}

// validKey reports whether the header is one value of 1 to 255 printable
// ASCII characters.
func validKey(values []string) bool {
	if len(values) != 1 || len(values[0]) < 1 || len(values[0]) > 255 {
		return false
	}
	for i := 0; i < len(values[0]); i++ {
		if c := values[0][i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// MutateOperationContext refuses a mutation whose key is malformed, as a
// request error: nothing ran. Queries ignore the header.
func (x *idempotency) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	st := idemFrom(ctx)
	if st == nil || oc.Operation == nil || oc.Operation.Operation != ast.Mutation || validKey(st.values) {
		return nil
	}
	return badUserInput("The " + IdempotencyKeyHeader + " header must be one value of 1 to 255 printable ASCII characters.")
}

// InterceptResponse claims the key of a mutation just before it runs:
// it runs the mutation when the claim wins, replays the kept answer of
// the same request, refuses another request's key, and waits (polling)
// for the first request while it runs.
func (x *idempotency) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	st := idemFrom(ctx)
	if st == nil || !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	fp, err := x.fingerprint(oc)
	if err != nil {
		return errorResponse(ctx, gatehouse.Internal(err))
	}
	owner := make([]byte, 16)
	_, _ = rand.Read(owner)
	rec := &gatehouse.IdempotencyRecord{ID: x.recordID(st), Fingerprint: fp, Owner: hex.EncodeToString(owner), State: gatehouse.IdempotencyInProgress}
	// The wait is real time, whatever the clock says: a retry is not to
	// hang.
	wait, cancel := context.WithTimeout(ctx, x.Wait)
	defer cancel()
	for {
		now := x.Now()
		rec.CreatedAt, rec.LockedUntil, rec.ExpiresAt = now, now.Add(x.Lock), now.Add(x.TTL)
		got, err := x.Store.ClaimIdempotency(ctx, rec, now)
		switch {
		case err != nil:
			return errorResponse(ctx, err)
		case got.Owner == rec.Owner:
			st.id, st.owner = rec.ID, rec.Owner
			resp := next(ctx)
			st.keep = keepable(ctx, resp)
			return resp
		case !hmac.Equal([]byte(got.Fingerprint), []byte(fp)):
			st.refused = gatehouse.ReasonIdempotencyKeyReused
			return errorResponse(ctx, errKeyReused)
		case got.State == gatehouse.IdempotencyDone:
			a, err := x.open(got)
			if err != nil {
				return errorResponse(ctx, gatehouse.Internal(fmt.Errorf("open the kept answer: %w", err)))
			}
			st.replay = a
			// Never sent: the transport wrapper writes the kept answer.
			return &graphql.Response{Data: json.RawMessage("null")}
		}
		select {
		case <-ctx.Done():
			return errorResponse(ctx, ctx.Err())
		case <-wait.Done():
			st.refused = gatehouse.ReasonInProgress
			return errorResponse(ctx, errKeyInProgress)
		case <-time.After(x.Poll):
		}
	}
}

// errorResponse answers an operation that did not run with err as its one
// top-level error, through the presenter.
func errorResponse(ctx context.Context, err error) *graphql.Response {
	graphql.AddError(ctx, err)
	return &graphql.Response{Errors: graphql.GetErrors(ctx)}
}

// keepable reports whether an answer is one to keep: the mutation ran,
// and was not shed (RATE_LIMITED, UNAVAILABLE) nor failed on our side
// (INTERNAL_SERVER_ERROR), which a retry may get past.
func keepable(ctx context.Context, resp *graphql.Response) bool {
	if resp == nil || request.From(ctx).Shedding() {
		return false
	}
	for _, e := range resp.Errors {
		switch e.Extensions["code"] {
		case string(gatehouse.CodeRateLimited), string(gatehouse.CodeUnavailable), string(gatehouse.CodeInternal):
			return false
		}
	}
	return true
}

// refusedStatus is the status of a mutation refused for its key under
// application/graphql-response+json (as the Idempotency-Key draft gives
// them), or 0.
func refusedStatus(ctx context.Context) int {
	st := idemFrom(ctx)
	if st == nil {
		return 0
	}
	switch st.refused {
	case gatehouse.ReasonInProgress:
		return http.StatusConflict
	case gatehouse.ReasonIdempotencyKeyReused:
		return http.StatusUnprocessableEntity
	}
	return 0
}

// keyed is HMAC-SHA256 under key of parts, each length-prefixed so that
// no two lists of parts hash alike.
func keyed(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		_ = binary.Write(m, binary.BigEndian, uint64(len(p)))
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// credentialScope is the credential a request carries, which scopes its
// keys: the bearer token and session cookies, "" for none. It only ever
// enters a keyed hash.
func credentialScope(st *request.State) string {
	parts := []string{st.Bearer, st.Cookies[gatehouse.ActorCustomer], st.Cookies[gatehouse.ActorUser]}
	if parts[0] == "" && parts[1] == "" && parts[2] == "" {
		return ""
	}
	var b bytes.Buffer
	for _, p := range parts {
		_ = binary.Write(&b, binary.BigEndian, uint64(len(p)))
		b.WriteString(p)
	}
	return b.String()
}

// recordID is the record's primary key: a keyed hash of the credential
// and the key, so that neither is stored.
func (x *idempotency) recordID(st *idemRequest) string {
	return keyed(x.idKey, st.scope, st.values[0])
}

// fingerprint is a keyed hash of the operation (its document, which for
// a persisted query is the text its hash names, and its name) and its
// variables as JSON with sorted keys, after coercion: a retry must send
// the same. The variables hold passwords and tokens, so only this hash
// of them is stored.
func (x *idempotency) fingerprint(oc *graphql.OperationContext) (string, error) {
	vars, err := json.Marshal(oc.Variables)
	if err != nil {
		return "", fmt.Errorf("encode variables for the idempotency fingerprint: %w", err)
	}
	return keyed(x.fpKey, oc.RawQuery, oc.OperationName, string(vars)), nil
}

// answer is what is kept of an answer, and replayed: its status, the
// headers a client needs (Set-Cookie: a cookie sign-in's session) and its
// body.
type answer struct {
	Status      int      `json:"status"`
	ContentType string   `json:"contentType"`
	SetCookie   []string `json:"setCookie,omitempty"`
	Body        string   `json:"body"`
}

// seal encrypts a, bound to its record's id, so that a copy of the table
// reveals no token and a record moved to another id does not open.
func (x *idempotency) seal(id string, a *answer) (string, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	return secret.Seal(x.sealingKey, id, b)
}

func (x *idempotency) open(r *gatehouse.IdempotencyRecord) (*answer, error) {
	b, err := secret.Open(x.sealingKey, r.ID, r.Body)
	if err != nil {
		return nil, err
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// transport wraps the POST transport: a request with the header has its
// answer buffered, then kept, replaced by a kept one, or passed on.
func (x *idempotency) transport(t graphql.Transport) graphql.Transport {
	return idemTransport{Transport: t, x: x}
}

type idemTransport struct {
	graphql.Transport
	x *idempotency
}

func (t idemTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	values := r.Header.Values(IdempotencyKeyHeader)
	if len(values) == 0 {
		t.Transport.Do(w, r, exec)
		return
	}
	ctx := r.Context()
	st := &idemRequest{values: values, scope: credentialScope(request.From(ctx))}
	// Resolvers set cookies on the response's own header map (through
	// request.State), which the buffer shares: those past here are this
	// answer's.
	cookies := len(w.Header().Values("Set-Cookie"))
	buf := &bufferedWriter{header: w.Header(), status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			if st.owner != "" {
				t.x.release(ctx, st)
			}
			panic(p)
		}
	}()
	actx, acted := gatehouse.WithActedFor(context.WithValue(ctx, idemKey{}, st))
	t.Transport.Do(buf, r.WithContext(actx), exec)
	st.actedFor = acted.ID()

	switch {
	case st.replay != nil:
		h := w.Header()
		h.Set("Content-Type", st.replay.ContentType)
		for _, c := range st.replay.SetCookie {
			h.Add("Set-Cookie", c)
		}
		h.Set(IdempotentReplayedHeader, "true")
		w.WriteHeader(st.replay.Status)
		_, _ = io.WriteString(w, st.replay.Body)
		return
	case st.owner != "" && st.keep:
		t.x.complete(ctx, st, &answer{
			Status:      buf.status,
			ContentType: w.Header().Get("Content-Type"),
			SetCookie:   w.Header().Values("Set-Cookie")[cookies:],
			Body:        buf.body.String(),
		})
	case st.owner != "":
		t.x.release(ctx, st)
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body.Bytes())
}

// storeTimeout bounds keeping or releasing a record, which goes on when
// the client has gone: the mutation ran, and its retry is to find the
// answer.
const storeTimeout = 5 * time.Second

func (x *idempotency) complete(ctx context.Context, st *idemRequest, a *answer) {
	sealed, err := x.seal(st.id, a)
	if err == nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		err = x.Store.CompleteIdempotency(sctx, st.id, st.owner, a.Status, sealed, st.actedFor)
	}
	if err != nil {
		// The answer still goes out; a retry runs the mutation again.
		x.log.WarnContext(ctx, "keeping an idempotent answer", "error", err)
	}
}

func (x *idempotency) release(ctx context.Context, st *idemRequest) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := x.Store.ReleaseIdempotency(sctx, st.id, st.owner); err != nil {
		// The lock lapses on its own.
		x.log.WarnContext(ctx, "releasing an idempotency key", "error", err)
	}
}

// bufferedWriter holds an answer's status and body; its headers are the
// response's own.
type bufferedWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if !b.wrote {
		b.wrote, b.status = true, code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
