package graph_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const mergeTicketFields = `ticket { accessToken refreshToken userId actorId mergedAnonymousUserId mergedAnonymousCustomerId
	customerAccount { id firstName lastName phone } } errors { code type message field }`

type mergeTicket struct {
	AccessToken               string  `json:"accessToken"`
	UserID                    string  `json:"userId"`
	ActorID                   *string `json:"actorId"`
	MergedAnonymousUserID     *string `json:"mergedAnonymousUserId"`
	MergedAnonymousCustomerID *string `json:"mergedAnonymousCustomerId"`
	CustomerAccount           *struct {
		ID        string  `json:"id"`
		FirstName *string `json:"firstName"`
		LastName  *string `json:"lastName"`
		Phone     *string `json:"phone"`
	} `json:"customerAccount"`
}

// shopper makes an anonymous shopper with a profile, metadata and
// addresses, and answers its ticket.
func (a *api) shopper(t *testing.T, profile map[string]any, addresses ...map[string]any) *kiboTicket {
	t.Helper()
	anon := mustKibo(t, a.kibo(t, "", anonymousQ, "createAnonymousShopperAuthTicket", nil))
	var p customerPayload
	a.do(t, anon.AccessToken, updateCustomerQ, map[string]any{"input": profile}).decode(t, "updateCustomer", &p)
	if len(p.Errors) > 0 {
		t.Fatalf("updateCustomer: %+v", p.Errors)
	}
	for _, in := range addresses {
		var ap addressPayload
		a.do(t, anon.AccessToken, addAddressQ, map[string]any{"input": in}).decode(t, "addCustomerAddress", &ap)
		if len(ap.Errors) > 0 {
			t.Fatalf("addCustomerAddress: %+v", ap.Errors)
		}
	}
	return anon
}

// rowExists reports whether table has a row with the id.
func rowExists(t *testing.T, db *store.DB, table, id string) bool {
	t.Helper()
	var n int
	if err := db.Bun().NewRaw("SELECT count(*) FROM "+table+" WHERE id = ?", id).Scan(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestAnonymousMergeKeepsData: the anonymous shopper's addresses (but
// exact copies), the profile fields the customer has empty and the
// metadata keys it lacks move to the customer who signs in (or registers)
// with the shopper's token, and the shopper is deleted.
func TestAnonymousMergeKeepsData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		paris := map[string]any{"city": "Paris", "countryCode": "fr"}

		t.Run("sign-in", func(t *testing.T) {
			bearer, c := a.signUpCustomer(t, "keeper@example.com")
			var p customerPayload
			a.do(t, bearer, updateCustomerQ, map[string]any{"input": map[string]any{"metadata": map[string]any{"source": "organic"}}}).decode(t, "updateCustomer", &p)
			var ap addressPayload
			a.do(t, bearer, addAddressQ, map[string]any{"input": paris}).decode(t, "addCustomerAddress", &ap)
			anon := a.shopper(t,
				map[string]any{"firstName": "Bob", "lastName": "Lovelace", "phone": "+33 1 23", "metadata": map[string]any{"source": "ad", "cart": "cart_1"}},
				paris, map[string]any{"city": "Lyon", "countryCode": "fr", "isDefaultShipping": true})

			var tp struct {
				Ticket *mergeTicket `json:"ticket"`
				Errors []authError  `json:"errors"`
			}
			a.do(t, anon.AccessToken, `mutation($input: AuthenticateInput) { authenticate(actor: CUSTOMER, provider: "emailpass", input: $input) { `+mergeTicketFields+` } }`,
				map[string]any{"input": map[string]any{"email": "keeper@example.com", "password": "correct horse battery"}}).decode(t, "authenticate", &tp)
			tk := tp.Ticket
			if tk == nil || tk.MergedAnonymousCustomerID == nil || *tk.MergedAnonymousCustomerID != anon.CustomerAccount.ID || *tk.MergedAnonymousUserID != anon.UserID {
				t.Fatalf("ticket %+v (errors %+v), want the anonymous customer %s", tk, tp.Errors, anon.CustomerAccount.ID)
			}
			if ca := tk.CustomerAccount; deref(ca.FirstName) != "Ada" || deref(ca.LastName) != "Lovelace" || deref(ca.Phone) != "+33 1 23" {
				t.Fatalf("ticket's customer: %+v", ca)
			}
			var got customer
			a.do(t, tk.AccessToken, `{ currentCustomer { `+customerFields+` } }`, nil).decode(t, "currentCustomer", &got)
			if got.Metadata["source"] != "organic" || got.Metadata["cart"] != "cart_1" {
				t.Fatalf("metadata %v", got.Metadata)
			}
			var cities []string
			var lyon string
			for _, ad := range got.Addresses {
				cities = append(cities, deref(ad.City))
				if deref(ad.City) == "Lyon" {
					lyon = ad.ID
				}
			}
			if len(cities) != 2 || lyon == "" || deref(got.DefaultShippingAddressID) != lyon {
				t.Fatalf("addresses %v, default shipping %v (Lyon %s)", cities, got.DefaultShippingAddressID, lyon)
			}
			if rowExists(t, db, "customer", anon.CustomerAccount.ID) || rowExists(t, db, "auth_identity", anon.UserID) {
				t.Fatal("the anonymous customer or identity is still there")
			}
			es := a.events(t, gatehouse.EventCustomerMerged)
			e := es[len(es)-1]
			if e.Payload["anonymous_customer_id"] != anon.CustomerAccount.ID || e.Payload["merged_into_customer_id"] != c.ID || e.Payload["anonymous_user_id"] != anon.UserID {
				t.Fatalf("customer.anonymous_merged: %v", e.Payload)
			}
			a.wantUnauthenticated(t, anon.AccessToken, currentQ, "REVOKED")
		})

		t.Run("registration", func(t *testing.T) {
			anon := a.shopper(t, map[string]any{"firstName": "Cy", "companyName": "Cy & Co"}, map[string]any{"city": "Nice", "countryCode": "fr"})
			reg := mustKibo(t, a.kibo(t, anon.AccessToken, registerKiboQ, "register",
				map[string]any{"input": map[string]any{"email": "newcomer@example.com", "password": "correct horse battery"}}))
			if reg.MergedAnonymousUserID == nil || *reg.MergedAnonymousUserID != anon.UserID {
				t.Fatalf("register: mergedAnonymousUserId %v", reg.MergedAnonymousUserID)
			}
			var p customerPayload
			a.do(t, reg.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{"firstName": "Dee"}}).decode(t, "createCustomer", &p)
			if len(p.Errors) > 0 {
				t.Fatalf("createCustomer: %+v", p.Errors)
			}
			c := p.Customer
			if deref(c.FirstName) != "Dee" || deref(c.CompanyName) != "Cy & Co" || len(c.Addresses) != 1 || deref(c.Addresses[0].City) != "Nice" {
				t.Fatalf("created customer: %+v", c)
			}
			if rowExists(t, db, "customer", anon.CustomerAccount.ID) || rowExists(t, db, "auth_identity", anon.UserID) {
				t.Fatal("the anonymous customer or identity is still there")
			}
			tk := mustTicket(t, a.refresh(t, reg.AccessToken))
			if md, _ := jwtClaims(t, tk.AccessToken)["app_metadata"].(map[string]any); md["merge_anonymous"] != nil || md["customer_id"] != c.ID {
				t.Fatalf("app_metadata after createCustomer: %v", md)
			}
		})
	})
}
