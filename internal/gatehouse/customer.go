package gatehouse

import "time"

// Customer is a storefront shopper. It carries every field of the seeds'
// customer and of Kibo's customerAccount; where the two name one thing
// (email/emailAddress, companyName/companyOrOrganization) one field serves
// both.
type Customer struct {
	ID                       string              `bun:"id,pk"`
	Email                    *string             `bun:"email"`
	FirstName                *string             `bun:"first_name"`
	LastName                 *string             `bun:"last_name"`
	CompanyName              *string             `bun:"company_name"`
	Phone                    *string             `bun:"phone"`
	HasAccount               bool                `bun:"has_account,notnull"`
	DefaultBillingAddressID  *string             `bun:"default_billing_address_id"`
	DefaultShippingAddressID *string             `bun:"default_shipping_address_id"`
	Metadata                 map[string]any      `bun:"metadata,type:jsonb,notnull"`
	AcceptsMarketing         bool                `bun:"accepts_marketing,notnull"`
	AccountType              *string             `bun:"account_type"`
	Attributes               []CustomerAttribute `bun:"attributes,type:jsonb,notnull"`
	CustomerSet              *string             `bun:"customer_set"`
	ExternalID               *string             `bun:"external_id"`
	HasExternalPassword      bool                `bun:"has_external_password,notnull"`
	IsActive                 bool                `bun:"is_active,notnull"`
	IsAnonymous              bool                `bun:"is_anonymous,notnull"`
	IsLocked                 bool                `bun:"is_locked,notnull"`
	EmailVerified            bool                `bun:"email_verified,notnull"`
	LocaleCode               *string             `bun:"locale_code"`
	TaxExempt                bool                `bun:"tax_exempt,notnull"`
	TaxID                    *string             `bun:"tax_id"`
	UserName                 *string             `bun:"user_name"`
	CreatedAt                time.Time           `bun:"created_at,notnull"`
	UpdatedAt                time.Time           `bun:"updated_at,notnull"`
	DeletedAt                *time.Time          `bun:"deleted_at"`
	// LastSignInAt is when the customer last signed in; nil for never.
	// Only RecordSignIn writes it: an update of the customer leaves it.
	LastSignInAt *time.Time `bun:"last_sign_in_at,skipupdate"`
}

// EmailAddress is Kibo's name for Email.
func (c *Customer) EmailAddress() *string { return c.Email }

// CompanyOrOrganization is Kibo's name for CompanyName.
func (c *Customer) CompanyOrOrganization() *string { return c.CompanyName }

// CustomerAttribute is one of Kibo's customer attributes.
type CustomerAttribute struct {
	AttributeDefinitionID int    `json:"attributeDefinitionId"`
	FullyQualifiedName    string `json:"fullyQualifiedName"`
	Values                []any  `json:"values"`
}

// Address is one of a customer's addresses. Whether it is a default is
// derived from the customer's default address ids, so the two cannot
// disagree.
type Address struct {
	ID          string         `bun:"id,pk"`
	CustomerID  string         `bun:"customer_id,notnull"`
	AddressName *string        `bun:"address_name"`
	Company     *string        `bun:"company"`
	FirstName   *string        `bun:"first_name"`
	LastName    *string        `bun:"last_name"`
	Address1    *string        `bun:"address_1"`
	Address2    *string        `bun:"address_2"`
	City        *string        `bun:"city"`
	CountryCode *string        `bun:"country_code"`
	Province    *string        `bun:"province"`
	PostalCode  *string        `bun:"postal_code"`
	Phone       *string        `bun:"phone"`
	Metadata    map[string]any `bun:"metadata,type:jsonb,notnull"`
	CreatedAt   time.Time      `bun:"created_at,notnull"`
	UpdatedAt   time.Time      `bun:"updated_at,notnull"`

	// Set from the owning customer when the address is loaded.
	IsDefaultShipping bool `bun:"-"`
	IsDefaultBilling  bool `bun:"-"`
}

// MarkDefaults sets the address's default flags from its customer.
func (a *Address) MarkDefaults(c *Customer) {
	a.IsDefaultBilling = c.DefaultBillingAddressID != nil && *c.DefaultBillingAddressID == a.ID
	a.IsDefaultShipping = c.DefaultShippingAddressID != nil && *c.DefaultShippingAddressID == a.ID
}
