package gatehouse

import (
	"strings"
	"time"
	"unicode/utf8"
)

// CustomerFilter narrows the admin customer list. Every condition set must
// hold; a nil one does not apply. Deleted customers are never listed.
type CustomerFilter struct {
	// Search is a case-insensitive substring of the customer's first
	// name, last name, email, user name, company name or phone; % and _
	// are themselves, not wildcards. Surrounding space is ignored; ""
	// does not filter.
	Search string
	// CreatedAfter and CreatedBefore bound created_at, each excluded.
	CreatedAfter, CreatedBefore *time.Time
	// IsLocked: whether the customer's auth identity is locked now (the
	// password lockout), as Customer.isLocked answers.
	IsLocked *bool
	// The customer's own flags.
	IsActive, EmailVerified, HasAccount, IsAnonymous *bool
}

// MaxSearchLength bounds CustomerFilter.Search, in characters.
const MaxSearchLength = 200

// SearchTerm returns f.Search trimmed; CodeInvalidInput when it is longer
// than MaxSearchLength, not UTF-8 or holds a NUL.
func (f CustomerFilter) SearchTerm() (string, error) {
	s := strings.TrimSpace(f.Search)
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", FieldError(CodeInvalidInput, []string{"filter", "search"}, "The search is not valid text.")
	}
	if utf8.RuneCountInString(s) > MaxSearchLength {
		return "", FieldError(CodeInvalidInput, []string{"filter", "search"},
			"The search is longer than %d characters.", MaxSearchLength)
	}
	return s, nil
}

// CustomerOrderField is what the customer list is ordered by; the
// customer id breaks ties, so the order is total.
type CustomerOrderField string

// The orders of the customer list. A customer with no email or last name
// comes after every other in ascending order (before them descending); one
// who never signed in counts as the earliest sign-in: first ascending,
// last descending, so the most recent sign-ins lead LAST_SIGN_IN_AT
// descending. Email and last name compare case-insensitively.
const (
	CustomerOrderCreatedAt    CustomerOrderField = "CREATED_AT"
	CustomerOrderEmail        CustomerOrderField = "EMAIL"
	CustomerOrderLastName     CustomerOrderField = "LAST_NAME"
	CustomerOrderLastSignInAt CustomerOrderField = "LAST_SIGN_IN_AT"
)

// CustomerOrder orders the customer list; the zero value is CREATED_AT,
// oldest first.
type CustomerOrder struct {
	Field CustomerOrderField
	Desc  bool
}

// Page sizes of a list.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Page asks for one page of a list, as a GraphQL connection's arguments:
// the first First after the cursor After, or the last Last before the
// cursor Before. Cursors are opaque: they come from an earlier page of the
// same order. After and Before may both be set, to page within the two.
type Page struct {
	First, Last   int
	After, Before string
}

// Backward reports whether the page is counted from the end (Last, or
// Before without First).
func (p Page) Backward() bool {
	return p.Last > 0 || (p.First == 0 && p.Before != "" && p.After == "")
}

// Size returns how many items the page holds: First or Last, at most
// MaxPageSize, DefaultPageSize when neither is set. Both set, a negative
// one or one over MaxPageSize is CodeInvalidInput.
func (p Page) Size() (int, error) {
	switch {
	case p.First < 0:
		return 0, FieldError(CodeInvalidInput, []string{"first"}, "first must not be negative.")
	case p.Last < 0:
		return 0, FieldError(CodeInvalidInput, []string{"last"}, "last must not be negative.")
	case p.First > 0 && p.Last > 0:
		return 0, FieldError(CodeInvalidInput, []string{"last"}, "Pass first or last, not both.")
	case p.First > MaxPageSize:
		return 0, FieldError(CodeInvalidInput, []string{"first"}, "first must be at most %d.", MaxPageSize)
	case p.Last > MaxPageSize:
		return 0, FieldError(CodeInvalidInput, []string{"last"}, "last must be at most %d.", MaxPageSize)
	case p.First > 0:
		return p.First, nil
	case p.Last > 0:
		return p.Last, nil
	}
	return DefaultPageSize, nil
}

// CustomerPage is one page of the customer list, in the list's order.
type CustomerPage struct {
	Customers []*Customer
	// Cursors[i] is the cursor of Customers[i], for After or Before.
	Cursors []string
	// HasNext: there are customers after this page. Paging backward, it
	// is whether Before was given (the customer it names comes after).
	// HasPrevious: there are customers before it; paging forward,
	// whether After was given.
	HasNext, HasPrevious bool
	// Total is how many customers the filter matches, on every page.
	Total int
}
