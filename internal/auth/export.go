package auth

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Data export: one JSON document of what gatehouse holds about a
// customer or user, documented field by field in docs/privacy.md. Secrets
// (password hashes, factor secrets, token hashes, sealed event secrets)
// are never in it.

// ExportFormat names the document's version: a field removed or renamed
// is a new version.
const ExportFormat = "gatehouse.account-export/v1"

// exportEventLimit bounds the events a document carries, newest first.
const exportEventLimit = 1000

// ExportAccountData answers the signed-in customer's or user's data. It
// needs the step-up: the document holds more than any one screen shows.
// actor names whose cookie to use when no bearer token is sent.
func (s *Service) ExportAccountData(ctx context.Context, cred Credential, actor gatehouse.ActorType) (map[string]any, error) {
	actor = s.credentialActor(cred, actor)
	p, err := s.principal(ctx, cred, actor, linked)
	if err != nil {
		return nil, err
	}
	if err := p.notImpersonating("export the account's data"); err != nil {
		return nil, err
	}
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return nil, err
	}
	if err := s.requireRecent(p, a); err != nil {
		return nil, err
	}
	doc, err := s.exportData(ctx, actor, p.ActorID, a)
	if err != nil {
		return nil, err
	}
	return doc, s.store.Tx(ctx, func(st Store) error {
		return s.emit(ctx, st, s.selfEvent(p, gatehouse.EventAccountDataExported, map[string]any{"by": "self"}))
	})
}

// ExportCustomerData answers a customer's data for an admin who may view
// customers, and records who asked.
func (s *Service) ExportCustomerData(ctx context.Context, adm *Admin, id string) (map[string]any, error) {
	if err := adm.require(gatehouse.PermViewCustomers); err != nil {
		return nil, err
	}
	a, err := s.store.AuthIdentityByActor(ctx, gatehouse.ActorCustomer, id)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		a = nil
	case err != nil:
		return nil, err
	}
	doc, err := s.exportData(ctx, gatehouse.ActorCustomer, id, a)
	if err != nil {
		return nil, err
	}
	return doc, s.store.Tx(ctx, func(st Store) error {
		return s.adminEvent(ctx, st, adm, gatehouse.EventAccountDataExported, id, map[string]any{"customer_id": id, "by": "admin"})
	})
}

// exportData is the document for the customer or user with the id, whose
// auth identity is a (nil for none).
func (s *Service) exportData(ctx context.Context, actor gatehouse.ActorType, id string, a *gatehouse.AuthIdentity) (map[string]any, error) {
	now := s.clock()
	doc := map[string]any{"format": ExportFormat, "exportedAt": now, "actorType": actor}
	ids := []string{id}
	if actor == gatehouse.ActorUser {
		u, err := s.store.User(ctx, id)
		if err != nil {
			return nil, asField(err, "id")
		}
		doc["profile"] = map[string]any{"id": u.ID, "email": u.Email, "emailVerified": u.EmailVerified, "firstName": u.FirstName,
			"lastName": u.LastName, "avatarUrl": u.AvatarURL, "metadata": u.Metadata, "createdAt": u.CreatedAt, "updatedAt": u.UpdatedAt,
			"deactivatedAt": u.DeactivatedAt}
		rs, err := s.store.UserRoles(ctx, id)
		if err != nil {
			return nil, err
		}
		roles := make([]string, len(rs))
		for i, r := range rs {
			roles[i] = r.Name
		}
		doc["roles"] = roles
	} else {
		c, err := s.store.Customer(ctx, id)
		if err != nil {
			return nil, asField(err, "id")
		}
		if c.DeletedAt != nil {
			return nil, gatehouse.FieldError(gatehouse.CodeNotFound, []string{"id"}, "The customer is deleted; nothing is left to export.")
		}
		doc["profile"] = map[string]any{"id": c.ID, "email": c.Email, "emailVerified": c.EmailVerified, "firstName": c.FirstName,
			"lastName": c.LastName, "companyName": c.CompanyName, "phone": c.Phone, "userName": c.UserName, "localeCode": c.LocaleCode,
			"taxId": c.TaxID, "taxExempt": c.TaxExempt, "accountType": c.AccountType, "customerSet": c.CustomerSet,
			"externalId": c.ExternalID, "metadata": c.Metadata, "attributes": c.Attributes, "hasAccount": c.HasAccount,
			"isActive": c.IsActive, "isLocked": c.IsLocked, "isAnonymous": c.IsAnonymous, "createdAt": c.CreatedAt,
			"updatedAt": c.UpdatedAt, "lastSignInAt": c.LastSignInAt}
		doc["consents"] = map[string]any{"acceptsMarketing": c.AcceptsMarketing}
		as, err := s.store.Addresses(ctx, id)
		if err != nil {
			return nil, err
		}
		addresses := make([]map[string]any, len(as))
		for i, ad := range as {
			addresses[i] = map[string]any{"id": ad.ID, "addressName": ad.AddressName, "company": ad.Company, "firstName": ad.FirstName,
				"lastName": ad.LastName, "address1": ad.Address1, "address2": ad.Address2, "city": ad.City, "countryCode": ad.CountryCode,
				"province": ad.Province, "postalCode": ad.PostalCode, "phone": ad.Phone, "metadata": ad.Metadata,
				"isDefaultShipping": ad.IsDefaultShipping, "isDefaultBilling": ad.IsDefaultBilling, "createdAt": ad.CreatedAt, "updatedAt": ad.UpdatedAt}
		}
		doc["addresses"] = addresses
	}
	identities, factors, sessions := []map[string]any{}, []map[string]any{}, []map[string]any{}
	if a != nil {
		ids = append(ids, a.ID)
		ps, err := s.store.ProviderIdentities(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			identities = append(identities, map[string]any{"id": p.ID, "provider": p.Provider, "subject": p.EntityID,
				"email": nonEmpty(p.Email()), "createdAt": p.CreatedAt, "lastSignInAt": p.LastSignInAt})
		}
		fs, err := s.store.Factors(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			factors = append(factors, map[string]any{"id": f.ID, "kind": f.Kind, "name": f.Name, "createdAt": f.CreatedAt,
				"confirmedAt": f.ConfirmedAt, "lastUsedAt": f.LastUsedAt})
		}
		ss, err := s.store.SessionsOf(ctx, a.ID, now)
		if err != nil {
			return nil, err
		}
		for _, x := range ss {
			sessions = append(sessions, map[string]any{"id": x.ID, "createdAt": x.CreatedAt, "lastActiveAt": x.LastActiveAt,
				"expiresAt": x.ExpiresAt, "ip": nonEmpty(x.IP), "userAgent": nonEmpty(x.UserAgent), "device": nonEmpty(x.DeviceLabel),
				"signInMethod": nonEmpty(x.SignInMethod), "aal": x.Assurance(), "impersonatedBy": nonEmpty(x.ImpersonatedBy)})
		}
	}
	doc["identities"], doc["factors"], doc["sessions"] = identities, factors, sessions
	es, err := s.store.EventsAbout(ctx, ids, "", exportEventLimit+1)
	if err != nil {
		return nil, err
	}
	doc["eventsTruncated"] = len(es) > exportEventLimit
	es = es[:min(len(es), exportEventLimit)]
	events := make([]map[string]any, len(es))
	for i, e := range es {
		events[i] = map[string]any{"id": e.ID, "type": e.Name, "createdAt": e.CreatedAt, "data": e.Payload,
			"ip": nonEmpty(e.Origin.IP), "userAgent": nonEmpty(e.Origin.UserAgent), "byAdmin": e.ActorKind == gatehouse.ActorUser && e.ActorID != id}
	}
	doc["events"] = events
	return doc, nil
}

// nonEmpty is s, or nil (JSON null) for "".
func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
