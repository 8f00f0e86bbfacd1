// Package gatehouse holds the domain of the authentication service: the
// actors (customers and admin users), their identities, invites, and the one
// error type every layer speaks.
//
// It imports nothing heavier than the standard library and must never know
// about HTTP, GraphQL, SQL drivers or JWT libraries: the transport and the
// storage translate to and from these types.
package gatehouse
