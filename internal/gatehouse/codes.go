package gatehouse

// Codes that only the transport produces, about the request as a whole:
// answered as top-level GraphQL errors.
const (
	CodeBadUserInput           Code = "BAD_USER_INPUT"
	CodeParseFailed            Code = "GRAPHQL_PARSE_FAILED"
	CodeValidationFailed       Code = "GRAPHQL_VALIDATION_FAILED"
	CodeLimitExceeded          Code = "LIMIT_EXCEEDED"
	CodePersistedQueryNotFound Code = "PERSISTED_QUERY_NOT_FOUND"
)

// CodeInfo is how a code reaches a client.
type CodeInfo struct {
	Code Code
	// Type is the code's class in the seeds' vocabulary (AuthError.type,
	// extensions.type).
	Type string
	// Payload codes are answered in a mutation payload's errors list;
	// the others as top-level GraphQL errors.
	Payload bool
	// When says when a client meets it; Action (top-level codes) what
	// it does about it. docs/errors.md is generated from them.
	When, Action string
}

// codes is the one table of error codes: the closed set, how each reaches
// the wire, and its documentation. A code missing here is a bug, answered
// as an internal error. A code may be listed twice, once as a payload code
// and once as a top-level one (CONFLICT: a concurrent sign-in won, or an
// Idempotency-Key cannot be honoured), with the same type.
var codes = []CodeInfo{
	{CodeInvalidCredentials, "unauthorized", true, "Wrong email or password, an unknown email, or a locked account: always the same answer.", ""},
	{CodeInvalidInput, "invalid_data", true, "A field is missing, malformed or too long.", ""},
	{CodePasswordPolicy, "invalid_data", true, "8–1024 characters; not the email, not a common or breached password, no character four times in a row or only three different ones, no run such as abcd, 4321 or qwer, and not containing the service's name, the email or the account's names. The message says which rule.", ""},
	{CodeDuplicate, "duplicate_error", true, "The email, user name or identity is taken.", ""},
	{CodeIdentityExists, "duplicate_error", true, "A third-party sign-in's verified email belongs to an existing account that this provider may not join by itself: sign in to that account, then link the provider (linkProvider). Or linkProvider's provider account already signs in to another account. Nothing was created.", ""},
	{CodeNotFound, "not_found", true, "The object does not exist or is not yours.", ""},
	{CodeNotAllowed, "not_allowed", true, "Not allowed in this state (sign-up closed, email not verified, already linked…).", ""},
	{CodeTokenInvalid, "unauthorized", true, "A token passed as an argument (refresh, reset, verification, invite) is unknown, used or someone else's.", ""},
	{CodeTokenExpired, "unauthorized", true, "That token has expired.", ""},
	{CodeProviderNotFound, "not_found", true, "No enabled provider of that name for the actor type.", ""},
	{CodeConflict, "conflict", true, "A concurrent request won; retrying may succeed.", ""},
	{CodeProviderError, "unauthorized", true, "The third-party provider refused, failed or sent a token that does not verify.", ""},
	{CodeRedirectNotAllowed, "not_allowed", true, "The redirect URL is not on the provider's allow-list.", ""},
	{CodeStateInvalid, "unauthorized", true, "The callback's state is unknown, used, another flow's, or another client's (no matching `callbackVerifier` or pre-auth cookie).", ""},
	{CodeStateExpired, "unauthorized", true, "The callback came more than 10 minutes after `authenticate`.", ""},

	{CodeUnauthenticated, "unauthorized", false,
		"The bearer token or cookie is missing or unusable; `reason` is `MISSING`, `INVALID`, `EXPIRED` or `REVOKED`.",
		"Refresh once and retry; then sign in."},
	{CodeForbidden, "not_allowed", false,
		"A valid credential of the wrong actor type, a registration token where an account is needed, a cookie mutation without its CSRF token, a foreign origin; `reason` is `MISSING_PERMISSION` (an admin role lacks the field's permission), `IMPERSONATION` (not while impersonating), `REAUTH_REQUIRED` (authenticate again with `reauthenticate`, then retry) or `MFA_REQUIRED` (the policy needs a second factor: enroll one, or sign in with it).",
		"Do not refresh: fix the request; on `REAUTH_REQUIRED` call `reauthenticate` and retry."},
	{CodeRateLimited, "not_allowed", false,
		"Over a rate limit, or the password-hash queue is full; `retryAfterSeconds` says when to retry.",
		"Wait, then retry."},
	{CodeUnavailable, "unavailable", false,
		"The request was shed, nothing done: no database connection became free within `GATEHOUSE_DB_ACQUIRE_TIMEOUT`, the database could not be reached (then `extensions.type` is `database_error`), or the rate limiter could not be asked (with `GATEHOUSE_RATE_LIMIT_FAILURE=closed`). `retryAfterSeconds` and the `Retry-After` header say when to retry; HTTP 503 under `Accept: application/graphql-response+json` when no data is returned (200 whenever some is), 200 under `application/json`.",
		"Wait, then retry the same request."},
	{CodeConflict, "conflict", false,
		"A mutation's `Idempotency-Key` cannot be honoured: `reason` is `IDEMPOTENCY_KEY_REUSED` (the key came first with another operation or other variables) or `IN_PROGRESS` (the first request with the key is still running after a 2 s wait). HTTP 422 and 409 under `Accept: application/graphql-response+json`, 200 under `application/json`.",
		"`IN_PROGRESS`: retry with the same key. `IDEMPOTENCY_KEY_REUSED`: send a new key with a new request."},
	{CodeLimitExceeded, "invalid_data", false,
		"Over a request limit: `limit` is `bodyBytes`, `depth`, `aliases`, `rootMutationFields`, `credentialMutations`, `complexity` or `parserTokens`; `max` its value.",
		"Send a smaller operation."},
	{CodePersistedQueryNotFound, "not_found", false,
		"The persisted query's hash is unknown (message `PersistedQueryNotFound`).",
		"Send the full query with the hash."},
	{CodeBadUserInput, "invalid_data", false,
		"A variable or argument of the wrong type, a body that is not JSON, a batch, a form post, a mutation over GET, a request a browser could forge, a mutation's `Idempotency-Key` that is not 1–255 printable ASCII characters.",
		"Fix the request."},
	{CodeParseFailed, "invalid_data", false, "The document does not parse.", "Fix the document."},
	{CodeValidationFailed, "invalid_data", false, "The document does not fit the schema.", "Fix the document."},
	{CodeInternal, "unknown_error", false, "Our fault; logged with the request id, nothing of it sent.", "Retry later; report the request id."},
}

// Codes returns the table of every code, in the order docs/errors.md lists
// them.
func Codes() []CodeInfo { return append([]CodeInfo(nil), codes...) }

// Info returns a code's entry in the table: its payload entry when it is
// listed in both places (the type is the same).
func Info(c Code) (CodeInfo, bool) {
	for _, i := range codes {
		if i.Code == c {
			return i, true
		}
	}
	return CodeInfo{}, false
}
