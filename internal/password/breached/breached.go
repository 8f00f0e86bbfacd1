// Package breached holds a list of commonly used and breached passwords,
// compiled into the binary, for the password policy (NIST SP 800-63B asks
// that such passwords be refused). See SOURCE.md for where it comes from.
package breached

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed passwords.txt
var passwords string

// set is built on first use from the embedded list, and never changes.
var set = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 50000)
	for _, p := range strings.Split(passwords, "\n") {
		if p != "" {
			m[p] = struct{}{}
		}
	}
	return m
})

// Contains reports whether pw is on the list, ignoring case (the list is
// lower-cased: "Password1" is as guessable as "password1").
func Contains(pw string) bool {
	_, ok := set()[strings.ToLower(pw)]
	return ok
}

// Count is how many passwords the list holds.
func Count() int { return len(set()) }
