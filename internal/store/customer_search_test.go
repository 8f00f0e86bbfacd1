package store_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// searchNow is when the searches run: c4's lock holds then, c8's is over.
var searchNow = t0.Add(24 * time.Hour)

// searchFixture is the customers the search tests read, by name; "deleted"
// is soft-deleted and never listed.
type searchFixture map[string]*gatehouse.Customer

// newSearchFixture writes the customers every search test reads. Each
// field a filter, an order or the search looks at varies among them, with
// ties on every order key (broken by id) and NULLs in every nullable one.
func newSearchFixture(t *testing.T, s *store.Store) searchFixture {
	t.Helper()
	ctx := t.Context()
	type person struct {
		name                                          string
		first, last, email, user, company, phone      *string
		created                                       time.Duration // after t0
		account, active, verified, anonymous, deleted bool
		signIn                                        *time.Duration // after t0
		lockedFor                                     time.Duration  // from searchNow; 0: never locked
	}
	h := func(n int) *time.Duration { d := time.Duration(n) * time.Hour; return &d }
	people := []person{
		{name: "c0", first: ptr("Ann"), last: ptr("Lee"), email: ptr("ann.lee@example.com"), user: ptr("annlee"), company: ptr("Acme"), phone: ptr("+1 555 0100"),
			created: 0, account: true, active: true, verified: true, signIn: h(5)},
		{name: "c1", first: ptr("Bob"), last: ptr("Zimmer"), email: ptr("bob@shop.test"), company: ptr("Globex"), phone: ptr("555-0101"),
			created: time.Hour, account: true, active: true, signIn: h(1)},
		// A guest, created at the same time as c1.
		{name: "c2", first: ptr("Carla"), email: ptr("carla@guest.test"), created: time.Hour, active: true},
		// An anonymous shopper: no name, no email.
		{name: "c3", created: 2 * time.Hour, active: true, anonymous: true},
		// Locked now. Her last name ties c0's but for case.
		{name: "c4", first: ptr("dana"), last: ptr("lee"), email: ptr("Dana@Example.COM"), user: ptr("D_100%"), company: ptr("Initech"),
			created: 3 * time.Hour, account: true, active: true, verified: true, lockedFor: time.Hour},
		// Inactive; signed in when c0 did.
		{name: "c5", last: ptr("Adams"), email: ptr("eve@example.com"), created: 4 * time.Hour, account: true, signIn: h(5)},
		// Deleted: matches "ann" and every flag, never listed.
		{name: "deleted", first: ptr("Ann"), last: ptr("Annan"), email: ptr("ann@deleted.test"), created: 4 * time.Hour, account: true, active: true,
			verified: true, deleted: true},
		// What "_100" and "100%" would match were _ and % wildcards.
		{name: "c7", user: ptr("d1100x"), email: ptr("g@example.com"), created: 5 * time.Hour, account: true, active: true, signIn: h(2)},
		// Locked once, no longer.
		{name: "c8", last: ptr("O'Brien"), email: ptr("frank@umbrella.test"), company: ptr("Umbrella Corp"), phone: ptr("+44 20 7946 0958"),
			created: 6 * time.Hour, account: true, active: true, verified: true, lockedFor: -time.Minute, signIn: h(3)},
		{name: "c9", first: ptr("Hal"), last: ptr("Zimmer"), company: ptr(`Back\slash`), created: 7 * time.Hour, active: true},
	}
	f := searchFixture{}
	for _, p := range people {
		c := &gatehouse.Customer{
			ID: newID(), FirstName: p.first, LastName: p.last, Email: p.email, UserName: p.user, CompanyName: p.company, Phone: p.phone,
			HasAccount: p.account, IsActive: p.active, EmailVerified: p.verified, IsAnonymous: p.anonymous,
			Metadata: map[string]any{}, Attributes: []gatehouse.CustomerAttribute{},
			CreatedAt: t0.Add(p.created), UpdatedAt: t0,
		}
		if p.deleted {
			c.DeletedAt = ptr(t0)
		}
		mustCreateCustomer(t, s, c)
		a, pi := newIdentity(gatehouse.ActorCustomer, p.name+"@identity.test")
		a.AppMetadata = map[string]any{"customer_id": c.ID}
		mustNoError(t, s.CreateIdentity(ctx, a, pi))
		if p.lockedFor != 0 {
			mustNoError(t, s.Lock(ctx, a.ID, searchNow.Add(p.lockedFor), t0))
		}
		if p.signIn != nil {
			at := t0.Add(*p.signIn)
			mustNoError(t, s.RecordSignIn(ctx, pi.ID, gatehouse.ActorCustomer, c.ID, at))
			c.LastSignInAt = &at
		}
		f[p.name] = c
	}
	// A locked admin user's identity: isLocked looks at customers' only.
	a, pi := newIdentity(gatehouse.ActorUser, "admin@identity.test")
	a.AppMetadata = map[string]any{"user_id": "usr_1", "customer_id": f["c7"].ID}
	mustNoError(t, s.CreateIdentity(ctx, a, pi))
	mustNoError(t, s.Lock(ctx, a.ID, searchNow.Add(time.Hour), t0))
	return f
}

// names returns the fixture names of cs, in order.
func (f searchFixture) names(cs []*gatehouse.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = "?" + c.ID
		for name, fc := range f {
			if fc.ID == c.ID {
				out[i] = name
			}
		}
	}
	return out
}

// listed is every customer the list may show, in no order.
func (f searchFixture) listed() []*gatehouse.Customer {
	var out []*gatehouse.Customer
	for _, c := range f {
		if c.DeletedAt == nil {
			out = append(out, c)
		}
	}
	return out
}

// sorted is the documented order, written apart from the store's SQL:
// a missing email or last name after every other ascending, a missing
// sign-in before every other ascending, text compared in lower case
// (the fixture is ASCII), ties broken by id.
func sorted(cs []*gatehouse.Customer, o gatehouse.CustomerOrder) []*gatehouse.Customer {
	cs = slices.Clone(cs)
	text := func(s *string) (bool, string) {
		if s == nil {
			return true, ""
		}
		return false, strings.ToLower(*s)
	}
	cmpText := func(a, b *string) int {
		an, av := text(a)
		bn, bv := text(b)
		switch {
		case an != bn && an:
			return 1
		case an != bn:
			return -1
		}
		return strings.Compare(av, bv)
	}
	slices.SortFunc(cs, func(a, b *gatehouse.Customer) int {
		var c int
		switch o.Field {
		case gatehouse.CustomerOrderCreatedAt:
			c = a.CreatedAt.Compare(b.CreatedAt)
		case gatehouse.CustomerOrderEmail:
			c = cmpText(a.Email, b.Email)
		case gatehouse.CustomerOrderLastName:
			c = cmpText(a.LastName, b.LastName)
		case gatehouse.CustomerOrderLastSignInAt:
			switch {
			case a.LastSignInAt == nil && b.LastSignInAt == nil:
			case a.LastSignInAt == nil:
				c = -1
			case b.LastSignInAt == nil:
				c = 1
			default:
				c = a.LastSignInAt.Compare(*b.LastSignInAt)
			}
		}
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if o.Desc {
			c = -c
		}
		return c
	})
	return cs
}

var customerOrders = []gatehouse.CustomerOrder{
	{Field: gatehouse.CustomerOrderCreatedAt}, {Field: gatehouse.CustomerOrderCreatedAt, Desc: true},
	{Field: gatehouse.CustomerOrderEmail}, {Field: gatehouse.CustomerOrderEmail, Desc: true},
	{Field: gatehouse.CustomerOrderLastName}, {Field: gatehouse.CustomerOrderLastName, Desc: true},
	{Field: gatehouse.CustomerOrderLastSignInAt}, {Field: gatehouse.CustomerOrderLastSignInAt, Desc: true},
}

func orderName(o gatehouse.CustomerOrder) string {
	if o.Desc {
		return string(o.Field) + " desc"
	}
	return string(o.Field) + " asc"
}

func TestCustomerSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		f := newSearchFixture(t, s)
		search := func(t *testing.T, filter gatehouse.CustomerFilter, o gatehouse.CustomerOrder, p gatehouse.Page) gatehouse.CustomerPage {
			t.Helper()
			page, err := s.SearchCustomers(t.Context(), filter, o, p, searchNow)
			mustNoError(t, err)
			if len(page.Cursors) != len(page.Customers) {
				t.Fatalf("%d cursors for %d customers", len(page.Cursors), len(page.Customers))
			}
			return page
		}

		t.Run("filters", func(t *testing.T) {
			yes, no := ptr(true), ptr(false)
			for _, tc := range []struct {
				name   string
				filter gatehouse.CustomerFilter
				want   []string // by created_at, then id
			}{
				{"none", gatehouse.CustomerFilter{}, nil}, // every listed customer
				{"created after", gatehouse.CustomerFilter{CreatedAfter: ptr(t0.Add(4 * time.Hour))}, []string{"c7", "c8", "c9"}},
				{"created before", gatehouse.CustomerFilter{CreatedBefore: ptr(t0.Add(2 * time.Hour))}, []string{"c0", "c1", "c2"}},
				{"created between, bounds excluded", gatehouse.CustomerFilter{CreatedAfter: ptr(t0.Add(time.Hour)), CreatedBefore: ptr(t0.Add(4 * time.Hour))}, []string{"c3", "c4"}},
				{"created after, another zone", gatehouse.CustomerFilter{CreatedAfter: ptr(t0.Add(4 * time.Hour).In(time.FixedZone("UTC-5", -5*3600)))}, []string{"c7", "c8", "c9"}},
				{"locked", gatehouse.CustomerFilter{IsLocked: yes}, []string{"c4"}},
				{"not locked", gatehouse.CustomerFilter{IsLocked: no}, []string{"c0", "c1", "c2", "c3", "c5", "c7", "c8", "c9"}},
				{"active", gatehouse.CustomerFilter{IsActive: yes}, []string{"c0", "c1", "c2", "c3", "c4", "c7", "c8", "c9"}},
				{"inactive", gatehouse.CustomerFilter{IsActive: no}, []string{"c5"}},
				{"email verified", gatehouse.CustomerFilter{EmailVerified: yes}, []string{"c0", "c4", "c8"}},
				{"email not verified", gatehouse.CustomerFilter{EmailVerified: no}, []string{"c1", "c2", "c3", "c5", "c7", "c9"}},
				{"has account", gatehouse.CustomerFilter{HasAccount: yes}, []string{"c0", "c1", "c4", "c5", "c7", "c8"}},
				{"no account", gatehouse.CustomerFilter{HasAccount: no}, []string{"c2", "c3", "c9"}},
				{"anonymous", gatehouse.CustomerFilter{IsAnonymous: yes}, []string{"c3"}},
				{"not anonymous", gatehouse.CustomerFilter{IsAnonymous: no}, []string{"c0", "c1", "c2", "c4", "c5", "c7", "c8", "c9"}},
				{"all at once", gatehouse.CustomerFilter{Search: "example", HasAccount: yes, IsActive: yes, EmailVerified: yes, IsLocked: no, IsAnonymous: no,
					CreatedBefore: ptr(t0.Add(5 * time.Hour))}, []string{"c0"}},
				{"nothing matches", gatehouse.CustomerFilter{IsAnonymous: yes, HasAccount: yes}, []string{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					want := tc.want
					if want == nil {
						want = f.names(sorted(f.listed(), gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderCreatedAt}))
					}
					page := search(t, tc.filter, gatehouse.CustomerOrder{}, gatehouse.Page{First: 100})
					if got := f.names(page.Customers); !slices.Equal(got, want) {
						t.Errorf("customers = %v, want %v", got, want)
					}
					if page.Total != len(want) {
						t.Errorf("total = %d, want %d", page.Total, len(want))
					}
					if page.HasNext || page.HasPrevious {
						t.Errorf("hasNext %v, hasPrevious %v on the only page", page.HasNext, page.HasPrevious)
					}
				})
			}
		})

		t.Run("search", func(t *testing.T) {
			for _, tc := range []struct {
				name, search string
				want         []string
			}{
				{"first name", "CARL", []string{"c2"}},
				{"last name", "zimm", []string{"c1", "c9"}},
				{"email", "shop.TEST", []string{"c1"}},
				{"email stored in upper case", "dana@example.com", []string{"c4"}},
				{"user name", "annle", []string{"c0"}},
				{"company name", "inITech", []string{"c4"}},
				{"phone", "7946 09", []string{"c8"}},
				{"first and last name", "ann lee", []string{"c0"}},
				{"a quote", "o'bri", []string{"c8"}},
				{"% is literal", "100%", []string{"c4"}},
				{"_ is literal", "_100", []string{"c4"}},
				{`\ is literal`, `k\s`, []string{"c9"}},
				{"only wildcards", "%", []string{"c4"}},
				{"surrounding space", "  globex ", []string{"c1"}},
				{"deleted customers are not found", "annan", []string{}},
				{"no match", "zzz", []string{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					page := search(t, gatehouse.CustomerFilter{Search: tc.search}, gatehouse.CustomerOrder{}, gatehouse.Page{})
					if got := f.names(page.Customers); !slices.Equal(got, tc.want) {
						t.Errorf("search %q = %v, want %v", tc.search, got, tc.want)
					}
					if page.Total != len(tc.want) {
						t.Errorf("total = %d, want %d", page.Total, len(tc.want))
					}
				})
			}
		})

		t.Run("orders", func(t *testing.T) {
			for _, o := range customerOrders {
				t.Run(orderName(o), func(t *testing.T) {
					want := f.names(sorted(f.listed(), o))
					page := search(t, gatehouse.CustomerFilter{}, o, gatehouse.Page{First: 100})
					if got := f.names(page.Customers); !slices.Equal(got, want) {
						t.Errorf("customers = %v, want %v", got, want)
					}
				})
			}
		})

		// The documented places of NULLs and ties, spelled out apart
		// from sorted.
		t.Run("null places", func(t *testing.T) {
			for _, tc := range []struct {
				order gatehouse.CustomerOrder
				first []string // the first customers listed
				last  []string // the last ones
			}{
				{gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderEmail}, []string{"c0", "c1", "c2"}, []string{"c3", "c9"}},
				{gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderEmail, Desc: true}, []string{"c9", "c3"}, []string{"c1", "c0"}},
				{gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderLastName}, []string{"c5", "c0", "c4"}, []string{"c2", "c3", "c7"}},
				{gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderLastName, Desc: true}, []string{"c7", "c3", "c2"}, []string{"c4", "c0", "c5"}},
				{gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderLastSignInAt, Desc: true}, []string{"c5", "c0", "c8", "c7", "c1"}, []string{"c9", "c4", "c3", "c2"}},
				{gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderLastSignInAt}, []string{"c2", "c3", "c4", "c9"}, []string{"c1", "c7", "c8", "c0", "c5"}},
				{gatehouse.CustomerOrder{}, []string{"c0", "c1", "c2"}, []string{"c9"}},
			} {
				t.Run(orderName(tc.order), func(t *testing.T) {
					got := f.names(search(t, gatehouse.CustomerFilter{}, tc.order, gatehouse.Page{First: 100}).Customers)
					if len(got) < len(tc.first)+len(tc.last) {
						t.Fatalf("only %v", got)
					}
					if head := got[:len(tc.first)]; !slices.Equal(head, tc.first) {
						t.Errorf("first %v, want %v (all: %v)", head, tc.first, got)
					}
					if tail := got[len(got)-len(tc.last):]; !slices.Equal(tail, tc.last) {
						t.Errorf("last %v, want %v (all: %v)", tail, tc.last, got)
					}
				})
			}
		})

		t.Run("paging", func(t *testing.T) {
			filters := []struct {
				name   string
				filter gatehouse.CustomerFilter
			}{
				{"unfiltered", gatehouse.CustomerFilter{}},
				{"filtered", gatehouse.CustomerFilter{IsActive: ptr(true), Search: "e"}},
			}
			for _, fl := range filters {
				for _, o := range customerOrders {
					t.Run(fl.name+"/"+orderName(o), func(t *testing.T) {
						all := search(t, fl.filter, o, gatehouse.Page{First: 100})
						want := f.names(all.Customers)
						if len(want) < 5 {
							t.Fatalf("only %d customers to page through", len(want))
						}
						const size = 2

						// Forward, from the start.
						var got []string
						var forwardCursors []string
						after := ""
						for i := 0; ; i++ {
							if i > len(want) {
								t.Fatal("paging forward does not end")
							}
							page := search(t, fl.filter, o, gatehouse.Page{First: size, After: after})
							if page.Total != len(want) {
								t.Errorf("page %d: total = %d, want %d", i, page.Total, len(want))
							}
							if page.HasPrevious != (i > 0) {
								t.Errorf("page %d: hasPrevious = %v", i, page.HasPrevious)
							}
							got = append(got, f.names(page.Customers)...)
							forwardCursors = append(forwardCursors, page.Cursors...)
							if page.HasNext != (len(got) < len(want)) {
								t.Errorf("page %d: hasNext = %v with %d of %d seen", i, page.HasNext, len(got), len(want))
							}
							if !page.HasNext {
								break
							}
							if len(page.Customers) != size {
								t.Fatalf("page %d holds %d, want %d", i, len(page.Customers), size)
							}
							after = page.Cursors[len(page.Cursors)-1]
						}
						if !slices.Equal(got, want) {
							t.Errorf("forward pages = %v, want %v", got, want)
						}
						if !slices.Equal(forwardCursors, all.Cursors) {
							t.Errorf("a customer's cursor differs between pages")
						}

						// Backward, from the end.
						got = nil
						before := ""
						for i := 0; ; i++ {
							if i > len(want) {
								t.Fatal("paging backward does not end")
							}
							page := search(t, fl.filter, o, gatehouse.Page{Last: size, Before: before})
							if page.Total != len(want) {
								t.Errorf("page %d from the end: total = %d, want %d", i, page.Total, len(want))
							}
							if page.HasNext != (i > 0) {
								t.Errorf("page %d from the end: hasNext = %v", i, page.HasNext)
							}
							got = append(f.names(page.Customers), got...)
							if page.HasPrevious != (len(got) < len(want)) {
								t.Errorf("page %d from the end: hasPrevious = %v with %d of %d seen", i, page.HasPrevious, len(got), len(want))
							}
							if !page.HasPrevious {
								break
							}
							before = page.Cursors[0]
						}
						if !slices.Equal(got, want) {
							t.Errorf("backward pages = %v, want %v", got, want)
						}

						// Between two cursors, both ways; and back from a
						// cursor met going forward.
						c1, c4 := all.Cursors[1], all.Cursors[4]
						between := search(t, fl.filter, o, gatehouse.Page{After: c1, Before: c4})
						if got := f.names(between.Customers); !slices.Equal(got, want[2:4]) {
							t.Errorf("between 1 and 4 = %v, want %v", got, want[2:4])
						}
						if !between.HasNext || !between.HasPrevious {
							t.Errorf("between: hasNext %v, hasPrevious %v", between.HasNext, between.HasPrevious)
						}
						lastBetween := search(t, fl.filter, o, gatehouse.Page{Last: 1, After: c1, Before: c4})
						if got := f.names(lastBetween.Customers); !slices.Equal(got, want[3:4]) {
							t.Errorf("last 1 between 1 and 4 = %v, want %v", got, want[3:4])
						}
						back := search(t, fl.filter, o, gatehouse.Page{Last: 3, Before: c4})
						if got := f.names(back.Customers); !slices.Equal(got, want[1:4]) {
							t.Errorf("last 3 before 4 = %v, want %v", got, want[1:4])
						}
						if !back.HasPrevious || !back.HasNext {
							t.Errorf("last 3 before 4: hasPrevious %v, hasNext %v", back.HasPrevious, back.HasNext)
						}
						first := search(t, fl.filter, o, gatehouse.Page{Last: 3, Before: all.Cursors[1]})
						if got := f.names(first.Customers); !slices.Equal(got, want[:1]) || first.HasPrevious {
							t.Errorf("last 3 before 1 = %v (hasPrevious %v), want %v", got, first.HasPrevious, want[:1])
						}
						end := search(t, fl.filter, o, gatehouse.Page{First: 3, After: all.Cursors[len(want)-1]})
						if len(end.Customers) != 0 || end.HasNext || !end.HasPrevious {
							t.Errorf("after the last = %v, hasNext %v, hasPrevious %v", f.names(end.Customers), end.HasNext, end.HasPrevious)
						}
					})
				}
			}
		})

		// A cursor names a place, not a row: the page after the cursor
		// of a customer no longer listed starts where it would have.
		t.Run("cursor of a row gone", func(t *testing.T) {
			o := gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderLastName}
			all := search(t, gatehouse.CustomerFilter{}, o, gatehouse.Page{First: 100})
			want := f.names(all.Customers)
			// The filter drops the cursor's own customer.
			i := slices.Index(want, "c5")
			page := search(t, gatehouse.CustomerFilter{IsActive: ptr(true)}, o, gatehouse.Page{First: 2, After: all.Cursors[i]})
			if got := f.names(page.Customers); !slices.Equal(got, want[i+1:i+3]) {
				t.Errorf("after c5's cursor, c5 filtered out = %v, want %v", got, want[i+1:i+3])
			}
		})

		t.Run("page size", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				page gatehouse.Page
				want gatehouse.Code
			}{
				{"first over 100", gatehouse.Page{First: 101}, gatehouse.CodeInvalidInput},
				{"last over 100", gatehouse.Page{Last: 101}, gatehouse.CodeInvalidInput},
				{"negative first", gatehouse.Page{First: -1}, gatehouse.CodeInvalidInput},
				{"negative last", gatehouse.Page{Last: -1}, gatehouse.CodeInvalidInput},
				{"first and last", gatehouse.Page{First: 1, Last: 1}, gatehouse.CodeInvalidInput},
				{"first 100", gatehouse.Page{First: 100}, ""},
				{"last 100", gatehouse.Page{Last: 100}, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := s.SearchCustomers(t.Context(), gatehouse.CustomerFilter{}, gatehouse.CustomerOrder{}, tc.page, searchNow)
					wantCode(t, err, tc.want)
				})
			}
		})

		t.Run("invalid input", func(t *testing.T) {
			b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
			byEmail := gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderEmail}
			emailCursor := search(t, gatehouse.CustomerFilter{}, byEmail, gatehouse.Page{First: 1}).Cursors[0]
			created := gatehouse.CustomerOrder{}
			for _, tc := range []struct {
				name   string
				filter gatehouse.CustomerFilter
				order  gatehouse.CustomerOrder
				page   gatehouse.Page
				field  string
			}{
				{"after not base64", gatehouse.CustomerFilter{}, created, gatehouse.Page{After: "!!!"}, "after"},
				{"before not base64", gatehouse.CustomerFilter{}, created, gatehouse.Page{Before: "!!!"}, "before"},
				{"not JSON", gatehouse.CustomerFilter{}, created, gatehouse.Page{After: b64("nope")}, "after"},
				{"no id", gatehouse.CustomerFilter{}, created, gatehouse.Page{After: b64(`{"o":"CREATED_AT","v":"2026-11-22T10:04:05Z"}`)}, "after"},
				{"not a time", gatehouse.CustomerFilter{}, created, gatehouse.Page{After: b64(`{"o":"CREATED_AT","v":"yesterday","id":"x"}`)}, "after"},
				{"a flag on a NOT NULL key", gatehouse.CustomerFilter{}, created, gatehouse.Page{After: b64(`{"o":"CREATED_AT","f":true,"v":"2026-11-22T10:04:05Z","id":"x"}`)}, "after"},
				{"a NUL", gatehouse.CustomerFilter{}, byEmail, gatehouse.Page{After: b64(`{"o":"EMAIL","v":"a\u0000","id":"x"}`)}, "after"},
				{"another order's cursor", gatehouse.CustomerFilter{}, created, gatehouse.Page{After: emailCursor}, "after"},
				{"unknown order", gatehouse.CustomerFilter{}, gatehouse.CustomerOrder{Field: "PHONE"}, gatehouse.Page{}, "field"},
				{"search too long", gatehouse.CustomerFilter{Search: strings.Repeat("a", gatehouse.MaxSearchLength+1)}, created, gatehouse.Page{}, "search"},
				{"search with a NUL", gatehouse.CustomerFilter{Search: "a\x00b"}, created, gatehouse.Page{}, "search"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := s.SearchCustomers(t.Context(), tc.filter, tc.order, tc.page, searchNow)
					wantCode(t, err, gatehouse.CodeInvalidInput)
					if e := gatehouse.AsError(err); len(e.Field) == 0 || e.Field[len(e.Field)-1] != tc.field {
						t.Errorf("field = %v, want it to end in %q", e.Field, tc.field)
					}
				})
			}
			// The same cursor is fine with its own order.
			if _, err := s.SearchCustomers(t.Context(), gatehouse.CustomerFilter{}, byEmail, gatehouse.Page{After: emailCursor}, searchNow); err != nil {
				t.Errorf("the email cursor with its order: %v", err)
			}
		})

		t.Run("two statements", func(t *testing.T) {
			n := countStatements(t, db)
			search(t, gatehouse.CustomerFilter{Search: "example", IsLocked: ptr(false)}, gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderEmail}, gatehouse.Page{First: 2})
			if got := n.Load(); got != 2 {
				t.Errorf("SearchCustomers ran %d statements, want 2", got)
			}
		})
	})
}

// countStatements counts the statements db runs from now on, until the
// test ends.
func countStatements(t *testing.T, db *store.DB) *atomic.Int64 {
	t.Helper()
	h := &statementCounter{}
	//lint:ignore SA1019 the hook must reach the *bun.DB the store already holds; WithQueryHook returns a copy
	db.Bun().AddQueryHook(h)
	t.Cleanup(func() { h.off.Store(true) })
	return &h.n
}

type statementCounter struct {
	n   atomic.Int64
	off atomic.Bool
}

func (h *statementCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	if !h.off.Load() {
		h.n.Add(1)
	}
	return ctx
}

func (*statementCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// The default page is 20 customers.
func TestCustomerSearchDefaultPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		for i := range 25 {
			c := newCustomer(fmt.Sprintf("p%02d@example.com", i))
			c.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
			mustCreateCustomer(t, s, c)
		}
		page, err := s.SearchCustomers(t.Context(), gatehouse.CustomerFilter{}, gatehouse.CustomerOrder{}, gatehouse.Page{}, t0)
		mustNoError(t, err)
		if len(page.Customers) != gatehouse.DefaultPageSize || !page.HasNext || page.HasPrevious || page.Total != 25 {
			t.Errorf("default page: %d customers, hasNext %v, hasPrevious %v, total %d; want 20, true, false, 25",
				len(page.Customers), page.HasNext, page.HasPrevious, page.Total)
		}
		if got := *page.Customers[0].Email; got != "p00@example.com" {
			t.Errorf("first customer %s, want p00@example.com", got)
		}
		// Before alone counts back from the cursor.
		back, err := s.SearchCustomers(t.Context(), gatehouse.CustomerFilter{}, gatehouse.CustomerOrder{}, gatehouse.Page{Before: page.Cursors[len(page.Cursors)-1]}, t0)
		mustNoError(t, err)
		if len(back.Customers) != 19 || *back.Customers[0].Email != "p00@example.com" || back.HasPrevious || !back.HasNext {
			t.Errorf("before the 20th: %d customers from %s, hasPrevious %v, hasNext %v; want 19 from p00, false, true",
				len(back.Customers), *back.Customers[0].Email, back.HasPrevious, back.HasNext)
		}
	})
}

func TestRecordSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()
		at := t0.Add(time.Hour)

		t.Run("customer", func(t *testing.T) {
			c := mustCreateCustomer(t, s, newCustomer("signin@example.com"))
			a, p := newIdentity(gatehouse.ActorCustomer, "signin@example.com")
			a.AppMetadata = map[string]any{"customer_id": c.ID}
			mustNoError(t, s.CreateIdentity(ctx, a, p))
			other := mustCreateCustomer(t, s, newCustomer("other@example.com"))

			n := countStatements(t, db)
			mustNoError(t, s.RecordSignIn(ctx, p.ID, gatehouse.ActorCustomer, c.ID, at))
			if db.Dialect() == store.Postgres && n.Load() != 1 {
				t.Errorf("RecordSignIn ran %d statements on PostgreSQL, want 1", n.Load())
			}
			got, err := s.Customer(ctx, c.ID)
			mustNoError(t, err)
			if got.LastSignInAt == nil || !got.LastSignInAt.Equal(at) {
				t.Errorf("customer's last sign-in = %v, want %v", got.LastSignInAt, at)
			}
			gotP, err := s.ProviderIdentity(ctx, gatehouse.ActorCustomer, p.Provider, p.EntityID)
			mustNoError(t, err)
			if gotP.LastSignInAt == nil || !gotP.LastSignInAt.Equal(at) {
				t.Errorf("provider identity's last sign-in = %v, want %v", gotP.LastSignInAt, at)
			}
			gotOther, err := s.Customer(ctx, other.ID)
			mustNoError(t, err)
			if gotOther.LastSignInAt != nil {
				t.Errorf("another customer's last sign-in = %v, want none", gotOther.LastSignInAt)
			}

			// An update of a customer loaded before the sign-in
			// leaves the sign-in.
			c.FirstName = ptr("Stale")
			mustNoError(t, s.UpdateCustomer(ctx, c))
			got, err = s.Customer(ctx, c.ID)
			mustNoError(t, err)
			if got.LastSignInAt == nil || !got.LastSignInAt.Equal(at) || *got.FirstName != "Stale" {
				t.Errorf("after an update: last sign-in %v, first name %v; want %v, Stale", got.LastSignInAt, got.FirstName, at)
			}
		})

		t.Run("user", func(t *testing.T) {
			// A user's actor id names no customer, even one with
			// that id.
			c := mustCreateCustomer(t, s, newCustomer("same-id@example.com"))
			a, p := newIdentity(gatehouse.ActorUser, "admin@example.com")
			mustNoError(t, s.CreateIdentity(ctx, a, p))
			mustNoError(t, s.RecordSignIn(ctx, p.ID, gatehouse.ActorUser, c.ID, at))
			got, err := s.Customer(ctx, c.ID)
			mustNoError(t, err)
			if got.LastSignInAt != nil {
				t.Errorf("customer's last sign-in = %v after a user's sign-in", got.LastSignInAt)
			}
			gotP, err := s.ProviderIdentity(ctx, gatehouse.ActorUser, p.Provider, p.EntityID)
			mustNoError(t, err)
			if gotP.LastSignInAt == nil || !gotP.LastSignInAt.Equal(at) {
				t.Errorf("provider identity's last sign-in = %v, want %v", gotP.LastSignInAt, at)
			}
		})

		t.Run("no such provider identity", func(t *testing.T) {
			c := mustCreateCustomer(t, s, newCustomer("nopi@example.com"))
			wantCode(t, s.RecordSignIn(ctx, "nope", gatehouse.ActorCustomer, c.ID, at), gatehouse.CodeNotFound)
			got, err := s.Customer(ctx, c.ID)
			mustNoError(t, err)
			if got.LastSignInAt != nil {
				t.Errorf("customer's last sign-in = %v without a provider identity", got.LastSignInAt)
			}
		})
	})
}
