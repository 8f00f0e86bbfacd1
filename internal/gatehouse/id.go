package gatehouse

import (
	"strings"

	"github.com/oklog/ulid/v2"
)

// ID prefixes, as the seeds' ids have them.
const (
	PrefixAuthIdentity     = "authid"
	PrefixProviderIdentity = "provid"
	PrefixCustomer         = "cus"
	PrefixAddress          = "cuaddr"
	PrefixUser             = "user"
	PrefixInvite           = "invite"
)

// NewID returns a new prefixed, time-sortable id such as
// "cus_01JD6Z1X6M4Q8T5V2R9N0W3B7C". Ids are not secrets.
func NewID(prefix string) string {
	return prefix + "_" + ulid.Make().String()
}

// HasPrefix reports whether id has the given prefix.
func HasPrefix(id, prefix string) bool {
	return strings.HasPrefix(id, prefix+"_")
}

// Opt is one field of a change: when Set is false the field is left as it
// is; when it is true the field takes Value, which for pointers may be nil
// to clear it.
type Opt[T any] struct {
	Set   bool
	Value T
}

// Some returns a set Opt.
func Some[T any](v T) Opt[T] { return Opt[T]{Set: true, Value: v} }
