package auth

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/password"
)

// Input limits.
const (
	maxTextLength     = 255      // names, phone, address lines…
	maxMetadataBytes  = 16 << 10 // metadata, as JSON
	maxAddresses      = 50       // per customer
	maxProviderLength = 64
)

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func checkEmail(email string, field []string) error {
	if email == "" {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "An email address is required.")
	}
	if !gatehouse.ValidEmail(email) {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "The email address is not valid.")
	}
	return nil
}

// checkNewPassword checks a new password against the policy, with what is
// known of the account (see passwordContext), and says which rule refused
// it.
func checkNewPassword(pw string, c password.Context, field []string) error {
	switch err := password.Validate(pw, c); {
	case errors.Is(err, password.ErrTooShort):
		return gatehouse.FieldError(gatehouse.CodePasswordPolicy, field, "A password has at least %d characters.", password.MinLength)
	case errors.Is(err, password.ErrTooLong):
		return gatehouse.FieldError(gatehouse.CodePasswordPolicy, field, "A password has at most %d characters.", password.MaxLength)
	case errors.Is(err, password.ErrIsEmail):
		return gatehouse.FieldError(gatehouse.CodePasswordPolicy, field, "A password may not be the account's email address.")
	case errors.Is(err, password.ErrCommon):
		return gatehouse.FieldError(gatehouse.CodePasswordPolicy, field, "This password is among the most common and breached ones; choose another.")
	case errors.Is(err, password.ErrContext):
		return gatehouse.FieldError(gatehouse.CodePasswordPolicy, field, "A password may not contain the service's name, your email address or your name.")
	case errors.Is(err, password.ErrRepetitive):
		return gatehouse.FieldError(gatehouse.CodePasswordPolicy, field, "A password may not repeat one character four times in a row or use only three different characters.")
	case errors.Is(err, password.ErrSequential):
		return gatehouse.FieldError(gatehouse.CodePasswordPolicy, field, "A password may not contain a run such as “abcd”, “4321” or a keyboard row.")
	case err != nil:
		return gatehouse.FieldError(gatehouse.CodePasswordPolicy, field, "The password is not allowed.")
	}
	return nil
}

// passwordContext is what the password policy is told of an account: the
// token issuer, the email and the names that are set.
func (s *Service) passwordContext(email string, names ...*string) password.Context {
	c := password.Context{Email: email, Issuer: s.signer.Issuer()}
	for _, n := range names {
		if n != nil && *n != "" {
			c.Names = append(c.Names, *n)
		}
	}
	return c
}

// storedPasswordContext is passwordContext for an existing account, with
// the names of its customer (user name, first and last name) or admin user
// (first and last name). A registration identity, linked to no actor yet,
// has none.
func (s *Service) storedPasswordContext(ctx context.Context, email string, actor gatehouse.ActorType, actorID string) (password.Context, error) {
	var (
		names []*string
		err   error
	)
	switch {
	case actorID == "":
	case actor == gatehouse.ActorCustomer:
		var c *gatehouse.Customer
		if c, err = s.store.Customer(ctx, actorID); err == nil {
			names = []*string{c.UserName, c.FirstName, c.LastName}
		}
	case actor == gatehouse.ActorUser:
		var u *gatehouse.User
		if u, err = s.store.User(ctx, actorID); err == nil {
			names = []*string{u.FirstName, u.LastName}
		}
	}
	if err != nil && gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return password.Context{}, err
	}
	return s.passwordContext(email, names...), nil
}

// text applies an optional text field: trimmed, empty meaning null, at most
// maxTextLength characters, no control characters.
func text(dst **string, o gatehouse.Opt[*string], field ...string) error {
	if !o.Set {
		return nil
	}
	if o.Value == nil {
		*dst = nil
		return nil
	}
	v := strings.TrimSpace(*o.Value)
	switch {
	case !utf8.ValidString(v):
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, inputField(field), "Must be valid UTF-8.")
	case utf8.RuneCountInString(v) > maxTextLength:
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, inputField(field), "Must be at most %d characters.", maxTextLength)
	case strings.ContainsFunc(v, isControl):
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, inputField(field), "Must not contain control characters.")
	}
	if v == "" {
		*dst = nil
		return nil
	}
	*dst = &v
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// flag applies an optional boolean; null means false.
func flag(dst *bool, o gatehouse.Opt[*bool]) {
	if o.Set {
		*dst = deref(o.Value)
	}
}

// mergeMetadata merges patch into md: a key set to null is removed. The
// result must stay within maxMetadataBytes.
func mergeMetadata(md map[string]any, o gatehouse.Opt[map[string]any], field ...string) (map[string]any, error) {
	out := maps.Clone(md)
	if out == nil {
		out = map[string]any{}
	}
	if !o.Set {
		return out, nil
	}
	for k, v := range o.Value {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	b, err := json.Marshal(out)
	if err != nil || len(b) > maxMetadataBytes {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, inputField(field), "Metadata must be a JSON object of at most %d bytes.", maxMetadataBytes)
	}
	return out, nil
}

func inputField(field []string) []string {
	return append([]string{"input"}, field...)
}
