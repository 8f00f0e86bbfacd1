package store

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// The row types name each domain type's table; Bun flattens the embedded
// struct, whose bun tags name the columns. Writing, a nil map or slice
// becomes '{}' or '[]' (never JSON null); reading, JSON comes back non-nil
// and times come back in UTC, whatever the driver's zone.

type authIdentityRow struct {
	bun.BaseModel `bun:"table:auth_identity,alias:ai"`
	gatehouse.AuthIdentity
}

func newAuthIdentityRow(a *gatehouse.AuthIdentity) *authIdentityRow {
	r := &authIdentityRow{AuthIdentity: *a}
	r.AppMetadata = object(r.AppMetadata)
	return r
}

func (r *authIdentityRow) domain() *gatehouse.AuthIdentity {
	a := r.AuthIdentity
	a.AppMetadata = object(a.AppMetadata)
	a.CreatedAt, a.UpdatedAt, a.LockedUntil = a.CreatedAt.UTC(), a.UpdatedAt.UTC(), utc(a.LockedUntil)
	return &a
}

type providerIdentityRow struct {
	bun.BaseModel `bun:"table:provider_identity,alias:pi"`
	gatehouse.ProviderIdentity
}

func newProviderIdentityRow(p *gatehouse.ProviderIdentity) *providerIdentityRow {
	r := &providerIdentityRow{ProviderIdentity: *p}
	r.ProviderMetadata = object(r.ProviderMetadata)
	r.UserMetadata = object(r.UserMetadata)
	return r
}

func (r *providerIdentityRow) domain() *gatehouse.ProviderIdentity {
	p := r.ProviderIdentity
	p.ProviderMetadata = object(p.ProviderMetadata)
	p.UserMetadata = object(p.UserMetadata)
	p.CreatedAt, p.UpdatedAt, p.LastSignInAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC(), utc(p.LastSignInAt)
	return &p
}

type customerRow struct {
	bun.BaseModel `bun:"table:customer,alias:c"`
	gatehouse.Customer
}

func newCustomerRow(c *gatehouse.Customer) *customerRow {
	r := &customerRow{Customer: *c}
	r.Metadata = object(r.Metadata)
	if r.Attributes == nil {
		r.Attributes = []gatehouse.CustomerAttribute{}
	}
	return r
}

func (r *customerRow) domain() *gatehouse.Customer {
	c := r.Customer
	c.Metadata = object(c.Metadata)
	if c.Attributes == nil {
		c.Attributes = []gatehouse.CustomerAttribute{}
	}
	c.CreatedAt, c.UpdatedAt, c.DeletedAt, c.LastSignInAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC(), utc(c.DeletedAt), utc(c.LastSignInAt)
	return &c
}

type addressRow struct {
	bun.BaseModel `bun:"table:customer_address,alias:a"`
	gatehouse.Address

	// The owning customer's default address ids, read with the address to
	// set its default flags.
	DefaultBillingAddressID  *string `bun:"default_billing_address_id,scanonly"`
	DefaultShippingAddressID *string `bun:"default_shipping_address_id,scanonly"`
}

func newAddressRow(a *gatehouse.Address) *addressRow {
	r := &addressRow{Address: *a}
	r.Metadata = object(r.Metadata)
	return r
}

func (r *addressRow) domain() *gatehouse.Address {
	a := r.Address
	a.Metadata = object(a.Metadata)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.MarkDefaults(&gatehouse.Customer{
		DefaultBillingAddressID:  r.DefaultBillingAddressID,
		DefaultShippingAddressID: r.DefaultShippingAddressID,
	})
	return &a
}

type userRow struct {
	bun.BaseModel `bun:"table:user,alias:u"`
	gatehouse.User
}

func newUserRow(u *gatehouse.User) *userRow {
	r := &userRow{User: *u}
	r.Metadata = object(r.Metadata)
	return r
}

func (r *userRow) domain() *gatehouse.User {
	u := r.User
	u.Metadata = object(u.Metadata)
	u.CreatedAt, u.UpdatedAt, u.DeletedAt, u.DeactivatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), utc(u.DeletedAt), utc(u.DeactivatedAt)
	return &u
}

type inviteRow struct {
	bun.BaseModel `bun:"table:invite,alias:i"`
	gatehouse.Invite
}

func newInviteRow(inv *gatehouse.Invite) *inviteRow {
	r := &inviteRow{Invite: *inv}
	r.Metadata = object(r.Metadata)
	return r
}

func (r *inviteRow) domain() *gatehouse.Invite {
	inv := r.Invite
	inv.Metadata = object(inv.Metadata)
	inv.AcceptedAt, inv.ExpiresAt = utc(inv.AcceptedAt), inv.ExpiresAt.UTC()
	inv.CreatedAt, inv.UpdatedAt, inv.DeletedAt, inv.RevokedAt = inv.CreatedAt.UTC(), inv.UpdatedAt.UTC(), utc(inv.DeletedAt), utc(inv.RevokedAt)
	return &inv
}

type settingRow struct {
	bun.BaseModel `bun:"table:gatehouse_setting,alias:s"`
	Key           string    `bun:"key,pk"`
	Value         string    `bun:"value,notnull"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
}

// object returns m, or an empty map for nil.
func object(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
