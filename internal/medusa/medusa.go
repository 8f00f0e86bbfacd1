// Package medusa reads the accounts of a Medusa v2 database (its auth,
// customer and user modules' tables, as their migrations create them) for
// gatehouse import medusa: customers with their addresses, admin users,
// and the auth and provider identities that sign them in. It only reads.
package medusa

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	_ "github.com/lib/pq" // the postgres driver

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Open connects to the Medusa database at a postgres:// URL.
func Open(ctx context.Context, url string) (*sql.DB, error) {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("medusa: open: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("medusa: connect: %w", err)
	}
	return db, nil
}

// Accounts reads every undeleted customer and user of the Medusa
// database, each with its addresses and identities, ordered by id
// (customers first). A provider identity whose auth identity names no
// undeleted customer or user, and an auth identity without one, are
// orphans: Orphans reports them.
func Accounts(ctx context.Context, db *sql.DB) ([]auth.ImportedAccount, []Orphan, error) {
	ids, err := identities(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	addresses, err := addresses(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	var out []auth.ImportedAccount
	rows, err := db.QueryContext(ctx, `SELECT id, email, first_name, last_name, company_name, phone, has_account, metadata, created_at, updated_at
FROM customer WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, nil, fmt.Errorf("medusa: read customers: %w", err)
	}
	for rows.Next() {
		c := &gatehouse.Customer{}
		var md []byte
		if err := rows.Scan(&c.ID, &c.Email, &c.FirstName, &c.LastName, &c.CompanyName, &c.Phone, &c.HasAccount, &md, &c.CreatedAt, &c.UpdatedAt); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("medusa: read customers: %w", err)
		}
		if c.Metadata, err = object(md); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("medusa: customer %s metadata: %w", c.ID, err)
		}
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		acc := auth.ImportedAccount{ActorType: gatehouse.ActorCustomer, Customer: c, Addresses: addresses[c.ID]}
		ids.attach(&acc, c.ID)
		out = append(out, acc)
	}
	if err := rows.Close(); err != nil {
		return nil, nil, fmt.Errorf("medusa: read customers: %w", err)
	}
	rows, err = db.QueryContext(ctx, `SELECT id, email, first_name, last_name, avatar_url, metadata, created_at, updated_at
FROM "user" WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, nil, fmt.Errorf("medusa: read users: %w", err)
	}
	for rows.Next() {
		u := &gatehouse.User{}
		var md []byte
		if err := rows.Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.AvatarURL, &md, &u.CreatedAt, &u.UpdatedAt); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("medusa: read users: %w", err)
		}
		if u.Metadata, err = object(md); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("medusa: user %s metadata: %w", u.ID, err)
		}
		u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
		acc := auth.ImportedAccount{ActorType: gatehouse.ActorUser, User: u}
		ids.attach(&acc, u.ID)
		out = append(out, acc)
	}
	if err := rows.Close(); err != nil {
		return nil, nil, fmt.Errorf("medusa: read users: %w", err)
	}
	return out, ids.orphans(), nil
}

// Orphan is an auth identity no undeleted customer or user claims.
type Orphan struct {
	AuthIdentityID string
	// ActorID is the customer or user its app metadata names, if any.
	ActorID string
}

type identity struct {
	id, actorID string
	actor       gatehouse.ActorType
	providers   []auth.ImportedIdentity
	claimed     bool
}

type identitySet struct {
	byActor map[string]*identity
	all     []*identity
}

// attach gives acc the auth identity whose app metadata names actorID.
func (s *identitySet) attach(acc *auth.ImportedAccount, actorID string) {
	i := s.byActor[string(acc.ActorType)+"/"+actorID]
	if i == nil {
		return
	}
	i.claimed = true
	acc.AuthIdentityID, acc.Identities = i.id, i.providers
}

func (s *identitySet) orphans() []Orphan {
	var out []Orphan
	for _, i := range s.all {
		if !i.claimed {
			out = append(out, Orphan{AuthIdentityID: i.id, ActorID: i.actorID})
		}
	}
	return out
}

// identities reads the auth identities and their provider identities. An
// auth identity's app metadata names its actor: customer_id or user_id.
func identities(ctx context.Context, db *sql.DB) (*identitySet, error) {
	set := &identitySet{byActor: map[string]*identity{}}
	byID := map[string]*identity{}
	rows, err := db.QueryContext(ctx, `SELECT id, app_metadata FROM auth_identity WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("medusa: read auth identities: %w", err)
	}
	for rows.Next() {
		var id string
		var md []byte
		if err := rows.Scan(&id, &md); err != nil {
			rows.Close()
			return nil, fmt.Errorf("medusa: read auth identities: %w", err)
		}
		app, err := object(md)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("medusa: auth identity %s app metadata: %w", id, err)
		}
		i := &identity{id: id}
		for _, actor := range []gatehouse.ActorType{gatehouse.ActorCustomer, gatehouse.ActorUser} {
			if v, _ := app[actor.MetadataKey()].(string); v != "" {
				i.actor, i.actorID = actor, v
			}
		}
		byID[id] = i
		set.all = append(set.all, i)
		if i.actorID != "" {
			set.byActor[string(i.actor)+"/"+i.actorID] = i
		}
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("medusa: read auth identities: %w", err)
	}
	rows, err = db.QueryContext(ctx, `SELECT id, entity_id, provider, auth_identity_id, user_metadata, provider_metadata
FROM provider_identity WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("medusa: read provider identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p auth.ImportedIdentity
		var authID string
		var user, prov []byte
		if err := rows.Scan(&p.ID, &p.EntityID, &p.Provider, &authID, &user, &prov); err != nil {
			return nil, fmt.Errorf("medusa: read provider identities: %w", err)
		}
		if p.UserMetadata, err = object(user); err != nil {
			return nil, fmt.Errorf("medusa: provider identity %s user metadata: %w", p.ID, err)
		}
		pm, err := object(prov)
		if err != nil {
			return nil, fmt.Errorf("medusa: provider identity %s provider metadata: %w", p.ID, err)
		}
		// Medusa's emailpass keeps the scrypt-kdf hash, base64, here.
		p.PasswordHash, _ = pm["password"].(string)
		if i := byID[authID]; i != nil {
			i.providers = append(i.providers, p)
		}
	}
	return set, rows.Err()
}

// addresses reads the undeleted addresses by customer id, oldest first.
func addresses(ctx context.Context, db *sql.DB) (map[string][]*gatehouse.Address, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, customer_id, address_name, is_default_shipping, is_default_billing, company, first_name,
  last_name, address_1, address_2, city, country_code, province, postal_code, phone, metadata, created_at, updated_at
FROM customer_address WHERE deleted_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("medusa: read addresses: %w", err)
	}
	defer rows.Close()
	out := map[string][]*gatehouse.Address{}
	for rows.Next() {
		a := &gatehouse.Address{}
		var md []byte
		if err := rows.Scan(&a.ID, &a.CustomerID, &a.AddressName, &a.IsDefaultShipping, &a.IsDefaultBilling, &a.Company, &a.FirstName,
			&a.LastName, &a.Address1, &a.Address2, &a.City, &a.CountryCode, &a.Province, &a.PostalCode, &a.Phone, &md, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return nil, fmt.Errorf("medusa: read addresses: %w", err)
		}
		if a.Metadata, err = object(md); err != nil {
			return nil, fmt.Errorf("medusa: address %s metadata: %w", a.ID, err)
		}
		a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
		out[a.CustomerID] = append(out[a.CustomerID], a)
	}
	return out, rows.Err()
}

// object decodes a jsonb column: NULL is an empty object.
func object(b []byte) (map[string]any, error) {
	out := map[string]any{}
	if len(b) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
