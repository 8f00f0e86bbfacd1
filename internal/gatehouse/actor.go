package gatehouse

// ActorType names who an identity acts for: a storefront customer or an
// admin user. Its values are the ones the seeds use in JWT claims.
type ActorType string

// Actor types.
const (
	ActorCustomer ActorType = "customer"
	ActorUser     ActorType = "user"
)

// Valid reports whether a is a known actor type.
func (a ActorType) Valid() bool { return a == ActorCustomer || a == ActorUser }

// MetadataKey is the app_metadata key that holds the actor's id, as in the
// seeds: "customer_id" or "user_id".
func (a ActorType) MetadataKey() string { return string(a) + "_id" }
