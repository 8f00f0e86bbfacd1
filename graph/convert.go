package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/gatehouse/gatehouse/graph/model"
	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// customerFields maps the fields shared by CreateCustomerInput and
// UpdateCustomerInput.
func customerFields(first, last, company, phone graphql.Omittable[*string], marketing graphql.Omittable[*bool], locale, userName graphql.Omittable[*string], md graphql.Omittable[map[string]any]) auth.CustomerFields {
	return auth.CustomerFields{
		FirstName:        opt(first),
		LastName:         opt(last),
		CompanyName:      opt(company),
		Phone:            opt(phone),
		AcceptsMarketing: opt(marketing),
		LocaleCode:       opt(locale),
		UserName:         opt(userName),
		Metadata:         opt(md),
	}
}

func addressFields(in model.CustomerAddressInput) auth.AddressFields {
	return auth.AddressFields{
		AddressName:       opt(in.AddressName),
		IsDefaultShipping: opt(in.IsDefaultShipping),
		IsDefaultBilling:  opt(in.IsDefaultBilling),
		Company:           opt(in.Company),
		FirstName:         opt(in.FirstName),
		LastName:          opt(in.LastName),
		Address1:          opt(in.Address1),
		Address2:          opt(in.Address2),
		City:              opt(in.City),
		CountryCode:       opt(in.CountryCode),
		Province:          opt(in.Province),
		PostalCode:        opt(in.PostalCode),
		Phone:             opt(in.Phone),
		Metadata:          opt(in.Metadata),
	}
}

// authEvent is an event as the audit trail shows it.
func authEvent(e gatehouse.Event) *model.AuthEvent {
	out := &model.AuthEvent{ID: e.ID, Type: e.Name, CreatedAt: e.CreatedAt, Data: e.Payload}
	if e.AuthIdentityID != "" {
		out.AuthIdentityID = &e.AuthIdentityID
	}
	if e.ActorType != "" {
		out.ActorType = &e.ActorType
	}
	return out
}

// deletePayload answers a mutation that deletes the object with the id.
func deletePayload(id string, err error) (*model.DeletePayload, error) {
	errs, err := payloadErrors(err)
	ok := len(errs) == 0 && err == nil
	p := &model.DeletePayload{Deleted: ok, Errors: errs}
	if ok {
		p.ID = &id
	}
	return p, err
}
