package graph_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const customerFields = `id email emailAddress firstName lastName companyName companyOrOrganization phone hasAccount
	defaultBillingAddressId defaultShippingAddressId metadata createdAt updatedAt deletedAt acceptsMarketing accountType
	attributes { attributeDefinitionId fullyQualifiedName values } customerSet externalId hasExternalPassword isActive
	isAnonymous isLocked localeCode taxExempt taxId userName
	addresses { id customerId addressName isDefaultShipping isDefaultBilling company firstName lastName address1 address2 city countryCode province postalCode phone metadata createdAt updatedAt }`

type address struct {
	ID                string         `json:"id"`
	CustomerID        string         `json:"customerId"`
	AddressName       *string        `json:"addressName"`
	IsDefaultShipping bool           `json:"isDefaultShipping"`
	IsDefaultBilling  bool           `json:"isDefaultBilling"`
	City              *string        `json:"city"`
	CountryCode       *string        `json:"countryCode"`
	Metadata          map[string]any `json:"metadata"`
}

type customer struct {
	ID                       string         `json:"id"`
	Email                    *string        `json:"email"`
	EmailAddress             *string        `json:"emailAddress"`
	FirstName                *string        `json:"firstName"`
	LastName                 *string        `json:"lastName"`
	CompanyName              *string        `json:"companyName"`
	CompanyOrOrganization    *string        `json:"companyOrOrganization"`
	HasAccount               bool           `json:"hasAccount"`
	IsActive                 bool           `json:"isActive"`
	IsLocked                 bool           `json:"isLocked"`
	UserName                 *string        `json:"userName"`
	AcceptsMarketing         bool           `json:"acceptsMarketing"`
	DefaultBillingAddressID  *string        `json:"defaultBillingAddressId"`
	DefaultShippingAddressID *string        `json:"defaultShippingAddressId"`
	Metadata                 map[string]any `json:"metadata"`
	Attributes               []any          `json:"attributes"`
	Addresses                []address      `json:"addresses"`
}

type customerPayload struct {
	Customer *customer   `json:"customer"`
	Errors   []authError `json:"errors"`
}

type addressPayload struct {
	Address  *address    `json:"address"`
	Customer *customer   `json:"customer"`
	Errors   []authError `json:"errors"`
}

type deletePayload struct {
	ID       *string     `json:"id"`
	Deleted  bool        `json:"deleted"`
	Customer *customer   `json:"customer"`
	Errors   []authError `json:"errors"`
}

var (
	createCustomerQ = `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { ` + customerFields + ` } errors { code type message field } } }`
	updateCustomerQ = `mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { ` + customerFields + ` } errors { code type message field } } }`
	currentQ        = `{ currentCustomer { ` + customerFields + ` } }`
	addAddressQ     = `mutation($input: CustomerAddressInput!) { addCustomerAddress(input: $input) { address { id customerId addressName isDefaultShipping isDefaultBilling city countryCode metadata } customer { ` + customerFields + ` } errors { code type message field } } }`
	updateAddressQ  = `mutation($id: ID!, $input: CustomerAddressInput!) { updateCustomerAddress(id: $id, input: $input) { address { id customerId addressName isDefaultShipping isDefaultBilling city countryCode metadata } customer { ` + customerFields + ` } errors { code type message field } } }`
	deleteAddressQ  = `mutation($id: ID!) { deleteCustomerAddress(id: $id) { id deleted customer { ` + customerFields + ` } errors { code type message field } } }`
)

// signUpCustomer registers, creates the customer and returns a linked token.
func (a *api) signUpCustomer(t testing.TB, email string) (string, *customer) {
	t.Helper()
	reg := mustTicket(t, a.register(t, "CUSTOMER", email, "correct horse battery", ""))
	var p customerPayload
	a.do(t, reg.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{"firstName": "Ada"}}).decode(t, "createCustomer", &p)
	if len(p.Errors) > 0 {
		t.Fatalf("createCustomer: %+v", p.Errors)
	}
	tk := mustTicket(t, a.refresh(t, reg.AccessToken))
	return tk.AccessToken, p.Customer
}

func TestCustomerRegistrationFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		reg := mustTicket(t, a.register(t, "CUSTOMER", "Flow@Example.com", "correct horse battery", ""))

		// A registration token cannot read a customer.
		t.Run("read with registration token", func(t *testing.T) {
			e := a.do(t, reg.AccessToken, currentQ, nil).topLevel(t)
			if e.Extensions["code"] != "FORBIDDEN" {
				t.Fatalf("error = %+v", e)
			}
		})

		var created customerPayload
		a.do(t, reg.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{
			"firstName": " Ada ", "lastName": "Lovelace", "companyName": "Analytical", "acceptsMarketing": true,
			"userName": "ada", "metadata": map[string]any{"source": "test", "n": 1},
		}}).decode(t, "createCustomer", &created)
		if len(created.Errors) > 0 {
			t.Fatalf("createCustomer: %+v", created.Errors)
		}
		c := created.Customer
		if *c.Email != "flow@example.com" || *c.EmailAddress != *c.Email || *c.FirstName != "Ada" || *c.CompanyOrOrganization != "Analytical" ||
			!c.HasAccount || !c.IsActive || c.IsLocked || !c.AcceptsMarketing || *c.UserName != "ada" || c.Metadata["source"] != "test" ||
			c.Attributes == nil || c.Addresses == nil || !strings.HasPrefix(c.ID, "cus_") {
			b, _ := json.Marshal(c)
			t.Fatalf("customer = %s", b)
		}

		// The registration token is still unlinked; creating twice is refused.
		t.Run("create twice", func(t *testing.T) {
			var again customerPayload
			a.do(t, reg.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{}}).decode(t, "createCustomer", &again)
			wantError(t, again.Errors, "NOT_ALLOWED")
		})

		linked := mustTicket(t, a.refresh(t, reg.AccessToken))
		if linked.ActorID == nil || *linked.ActorID != c.ID || linked.CustomerAccount == nil || linked.CustomerAccount.ID != c.ID || linked.UserID != reg.UserID {
			t.Fatalf("refreshed ticket = %+v", linked)
		}
		claims, err := a.Signer.Verify(linked.AccessToken)
		if err != nil || claims.ActorID != c.ID || claims.AppMetadata["customer_id"] != c.ID {
			t.Fatalf("claims = %+v, %v", claims, err)
		}

		// A linked token cannot create another customer.
		t.Run("create with linked token", func(t *testing.T) {
			var p customerPayload
			a.do(t, linked.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{}}).decode(t, "createCustomer", &p)
			wantError(t, p.Errors, "NOT_ALLOWED")
		})

		// Sign-in now returns the customer.
		t.Run("sign-in after create", func(t *testing.T) {
			tk := mustTicket(t, a.authenticate(t, "CUSTOMER", "flow@example.com", "correct horse battery"))
			if tk.ActorID == nil || *tk.ActorID != c.ID || tk.CustomerAccount.Email != "flow@example.com" {
				t.Fatalf("ticket = %+v", tk)
			}
		})

		var cur customer
		a.do(t, linked.AccessToken, currentQ, nil).decode(t, "currentCustomer", &cur)
		if cur.ID != c.ID {
			t.Fatalf("currentCustomer = %+v", cur)
		}

		t.Run("update", func(t *testing.T) {
			var p customerPayload
			a.do(t, linked.AccessToken, updateCustomerQ, map[string]any{"input": map[string]any{
				"lastName": nil, "phone": "+44 20 7946 0000", "metadata": map[string]any{"source": nil, "tier": "gold"},
			}}).decode(t, "updateCustomer", &p)
			if len(p.Errors) > 0 {
				t.Fatalf("errors: %+v", p.Errors)
			}
			u := p.Customer
			if u.LastName != nil || *u.FirstName != "Ada" || u.Metadata["tier"] != "gold" || u.Metadata["source"] != nil || u.Metadata["n"] != float64(1) {
				b, _ := json.Marshal(u)
				t.Fatalf("updated = %s", b)
			}
		})

		for _, tc := range []struct {
			name  string
			input map[string]any
			code  string
			field string
		}{
			{"name too long", map[string]any{"firstName": strings.Repeat("a", 256)}, "INVALID_INPUT", "input.firstName"},
			{"control characters", map[string]any{"lastName": "a\x00b"}, "INVALID_INPUT", "input.lastName"},
			{"user name with @", map[string]any{"userName": "a@b"}, "INVALID_INPUT", "input.userName"},
			{"metadata too large", map[string]any{"metadata": map[string]any{"x": strings.Repeat("y", 17<<10)}}, "INVALID_INPUT", "input.metadata"},
		} {
			t.Run("update refused: "+tc.name, func(t *testing.T) {
				var p customerPayload
				a.do(t, linked.AccessToken, updateCustomerQ, map[string]any{"input": tc.input}).decode(t, "updateCustomer", &p)
				e := wantError(t, p.Errors, tc.code)
				if strings.Join(e.Field, ".") != tc.field {
					t.Fatalf("field = %v", e.Field)
				}
			})
		}

		// User names are unique, case-insensitively.
		t.Run("taken user name", func(t *testing.T) {
			other, _ := a.signUpCustomer(t, "other@example.com")
			var p customerPayload
			a.do(t, other, updateCustomerQ, map[string]any{"input": map[string]any{"userName": "ADA"}}).decode(t, "updateCustomer", &p)
			wantError(t, p.Errors, "DUPLICATE")
		})
	})
}

func TestCustomerAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		tok, _ := a.signUpCustomer(t, "addr@example.com")
		otherTok, _ := a.signUpCustomer(t, "thief@example.com")

		var added addressPayload
		a.do(t, tok, addAddressQ, map[string]any{"input": map[string]any{
			"addressName": "Home", "city": "London", "countryCode": "GB", "isDefaultShipping": true, "metadata": map[string]any{"door": "blue"},
		}}).decode(t, "addCustomerAddress", &added)
		if len(added.Errors) > 0 {
			t.Fatalf("add: %+v", added.Errors)
		}
		home := added.Address
		if *home.CountryCode != "gb" || !home.IsDefaultShipping || home.IsDefaultBilling || *added.Customer.DefaultShippingAddressID != home.ID || len(added.Customer.Addresses) != 1 {
			t.Fatalf("added = %+v / %+v", home, added.Customer)
		}

		var second addressPayload
		a.do(t, tok, addAddressQ, map[string]any{"input": map[string]any{"addressName": "Work", "isDefaultBilling": true, "isDefaultShipping": true}}).decode(t, "addCustomerAddress", &second)
		if c := second.Customer; *c.DefaultShippingAddressID != second.Address.ID || *c.DefaultBillingAddressID != second.Address.ID || len(c.Addresses) != 2 || c.Addresses[0].IsDefaultShipping {
			b, _ := json.Marshal(c)
			t.Fatalf("customer after second address = %s", b)
		}

		t.Run("update", func(t *testing.T) {
			var p addressPayload
			a.do(t, tok, updateAddressQ, map[string]any{"id": home.ID, "input": map[string]any{"city": "Leeds", "addressName": nil, "isDefaultShipping": true}}).decode(t, "updateCustomerAddress", &p)
			if len(p.Errors) > 0 {
				t.Fatalf("update: %+v", p.Errors)
			}
			if *p.Address.City != "Leeds" || p.Address.AddressName != nil || *p.Address.CountryCode != "gb" || p.Address.Metadata["door"] != "blue" || !p.Address.IsDefaultShipping {
				t.Fatalf("address = %+v", p.Address)
			}
		})

		t.Run("bad country code", func(t *testing.T) {
			var p addressPayload
			a.do(t, tok, updateAddressQ, map[string]any{"id": home.ID, "input": map[string]any{"countryCode": "GBR"}}).decode(t, "updateCustomerAddress", &p)
			wantError(t, p.Errors, "INVALID_INPUT")
		})

		// Another customer's address is not found and untouched.
		t.Run("another customer's address", func(t *testing.T) {
			var before customer
			a.do(t, tok, currentQ, nil).decode(t, "currentCustomer", &before)
			var up addressPayload
			a.do(t, otherTok, updateAddressQ, map[string]any{"id": home.ID, "input": map[string]any{"city": "Stolen"}}).decode(t, "updateCustomerAddress", &up)
			wantError(t, up.Errors, "NOT_FOUND")
			var del deletePayload
			a.do(t, otherTok, deleteAddressQ, map[string]any{"id": home.ID}).decode(t, "deleteCustomerAddress", &del)
			wantError(t, del.Errors, "NOT_FOUND")
			if del.Deleted || del.ID != nil {
				t.Fatalf("delete payload = %+v", del)
			}
			var c customer
			a.do(t, tok, currentQ, nil).decode(t, "currentCustomer", &c)
			if len(c.Addresses) != 2 || !reflect.DeepEqual(c.Addresses, before.Addresses) {
				t.Fatalf("owner's addresses changed: %+v, were %+v", c.Addresses, before.Addresses)
			}
		})

		// Delete clears the defaults the address held.
		t.Run("delete default", func(t *testing.T) {
			// Home ships by default, the second address bills: deleting
			// the second clears the billing default only.
			var p addressPayload
			a.do(t, tok, updateAddressQ, map[string]any{"id": home.ID, "input": map[string]any{"isDefaultShipping": true}}).decode(t, "updateCustomerAddress", &p)
			if len(p.Errors) > 0 {
				t.Fatalf("update: %+v", p.Errors)
			}
			var del deletePayload
			a.do(t, tok, deleteAddressQ, map[string]any{"id": second.Address.ID}).decode(t, "deleteCustomerAddress", &del)
			if len(del.Errors) > 0 || !del.Deleted || *del.ID != second.Address.ID {
				t.Fatalf("delete = %+v", del)
			}
			if c := del.Customer; c.DefaultBillingAddressID != nil || *c.DefaultShippingAddressID != home.ID || len(c.Addresses) != 1 {
				b, _ := json.Marshal(c)
				t.Fatalf("customer after delete = %s", b)
			}
			var again deletePayload
			a.do(t, tok, deleteAddressQ, map[string]any{"id": second.Address.ID}).decode(t, "deleteCustomerAddress", &again)
			wantError(t, again.Errors, "NOT_FOUND")
		})
	})
}
