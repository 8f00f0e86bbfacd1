package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// The admin customer list: filters, a search, keyset pages in both
// directions, and the count of the filtered set. The indexes it relies on,
// and why, are in migrations/*/20261204010000_customer_search.tx.up.sql.

// customerSearchText is the expression the search matches, the very one
// PostgreSQL's trigram index customer_search_idx is built on (a planner
// uses an expression index only for the same expression).
const customerSearchText = `lower(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '') || ' ' || coalesce(c.email, '')` +
	` || ' ' || coalesce(c.user_name, '') || ' ' || coalesce(c.company_name, '') || ' ' || coalesce(c.phone, ''))`

// neverSignedIn stands for a NULL last_sign_in_at in its sort key: the
// literal both dialects read as the Unix epoch, as Bun writes that time
// (so a cursor on such a row, bound as that time, compares equal).
var neverSignedIn = time.Unix(0, 0).UTC()

// sortKey is an order's key: the SQL expressions compared, id last, so
// that one row comparison, (keys) > (cursor), finds what follows a
// cursor. A nullable column's key starts with a flag that puts its NULLs
// at one end, then the column with NULL replaced, so that no key is NULL
// (a NULL would make the row comparison NULL).
type sortKey struct {
	flag  string // "(c.email IS NULL)", or "" for a NOT NULL column
	value string
	// text says value is text, read back from the database as it
	// compares (lower() is the database's); else it is a time, taken
	// from the customer.
	text bool
}

var sortKeys = map[gatehouse.CustomerOrderField]sortKey{
	gatehouse.CustomerOrderCreatedAt: {value: "c.created_at"},
	gatehouse.CustomerOrderEmail:     {flag: "(c.email IS NULL)", value: "lower(coalesce(c.email, ''))", text: true},
	gatehouse.CustomerOrderLastName:  {flag: "(c.last_name IS NULL)", value: "lower(coalesce(c.last_name, ''))", text: true},
	// NOT NULL first: never signed in is the earliest.
	gatehouse.CustomerOrderLastSignInAt: {flag: "(c.last_sign_in_at IS NOT NULL)", value: "coalesce(c.last_sign_in_at, '1970-01-01 00:00:00+00:00')"},
}

func (k sortKey) columns() []string {
	if k.flag == "" {
		return []string{k.value, "c.id"}
	}
	return []string{k.flag, k.value, "c.id"}
}

// cursor is a place in one order: a customer's key. Encoded, it is
// base64url of its JSON.
type cursor struct {
	Order gatehouse.CustomerOrderField `json:"o"`
	Flag  bool                         `json:"f,omitempty"`
	Value string                       `json:"v"` // text, or a time in RFC 3339
	ID    string                       `json:"id"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // strings and a bool: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads the cursor s for order o, with the key's values as
// the row comparison binds them. Anything but a cursor this order made is
// CodeInvalidInput, naming field.
func decodeCursor(s string, o gatehouse.CustomerOrderField, key sortKey, field string) ([]any, error) {
	invalid := gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{field}, "The %s cursor is not valid for this list and order.", field)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, invalid
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Order != o || c.ID == "" {
		return nil, invalid
	}
	for _, s := range []string{c.Value, c.ID} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return nil, invalid
		}
	}
	var value any = c.Value
	if !key.text {
		t, err := time.Parse(time.RFC3339Nano, c.Value)
		if err != nil {
			return nil, invalid
		}
		value = t.UTC()
	}
	if key.flag == "" {
		if c.Flag {
			return nil, invalid
		}
		return []any{value, c.ID}, nil
	}
	return []any{c.Flag, value, c.ID}, nil
}

// searchRow is a customer with its sort key's text, when it has one.
type searchRow struct {
	customerRow
	SortKey string `bun:"sort_key,scanonly"`
}

// cursorOf is the cursor of a customer r loaded in order o.
func cursorOf(o gatehouse.CustomerOrderField, r *searchRow, c *gatehouse.Customer) string {
	cur := cursor{Order: o, ID: c.ID}
	switch o {
	case gatehouse.CustomerOrderCreatedAt:
		cur.Value = c.CreatedAt.Format(time.RFC3339Nano)
	case gatehouse.CustomerOrderEmail:
		cur.Flag, cur.Value = c.Email == nil, r.SortKey
	case gatehouse.CustomerOrderLastName:
		cur.Flag, cur.Value = c.LastName == nil, r.SortKey
	case gatehouse.CustomerOrderLastSignInAt:
		t := neverSignedIn
		if c.LastSignInAt != nil {
			t = *c.LastSignInAt
		}
		cur.Flag, cur.Value = c.LastSignInAt != nil, t.UTC().Format(time.RFC3339Nano)
	}
	return cur.encode()
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SearchCustomers lists a page of the undeleted customers f matches, in
// order o, and counts all that it matches: two statements, the page and
// the count. Pages are keyset pages: a cursor names a customer's place in
// the order, so a page after it is an index range however deep, and
// customers added or deleted meanwhile shift nothing. A page size over
// MaxPageSize, a cursor this order did not make or a search too long is
// CodeInvalidInput. now decides who is locked.
//
// The page and the count are read one after the other, not in one
// snapshot: a customer added in between may be counted and not listed.
func (s *Store) SearchCustomers(ctx context.Context, f gatehouse.CustomerFilter, o gatehouse.CustomerOrder, p gatehouse.Page, now time.Time) (gatehouse.CustomerPage, error) {
	size, err := p.Size()
	if err != nil {
		return gatehouse.CustomerPage{}, err
	}
	term, err := f.SearchTerm()
	if err != nil {
		return gatehouse.CustomerPage{}, err
	}
	field := o.Field
	if field == "" {
		field = gatehouse.CustomerOrderCreatedAt
	}
	key, ok := sortKeys[field]
	if !ok {
		return gatehouse.CustomerPage{}, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"orderBy", "field"}, "Unknown order %q.", string(o.Field))
	}
	// greater is the comparison that finds what follows a cursor in the
	// order; the other one finds what precedes it.
	greater, less := ">", "<"
	if o.Desc {
		greater, less = less, greater
	}
	var bounds []func(*bun.SelectQuery) *bun.SelectQuery
	row := "(" + strings.Join(key.columns(), ", ") + ")"
	for _, b := range []struct{ cursor, field, op string }{{p.After, "after", greater}, {p.Before, "before", less}} {
		if b.cursor == "" {
			continue
		}
		args, err := decodeCursor(b.cursor, field, key, b.field)
		if err != nil {
			return gatehouse.CustomerPage{}, err
		}
		where := row + " " + b.op + " (?" + strings.Repeat(", ?", len(args)-1) + ")"
		bounds = append(bounds, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where(where, args...) })
	}

	// The scan runs in the order, or against it for a page counted from
	// its end (then reversed); one more row than the page says whether
	// there are more.
	backward := p.Backward()
	dir := " ASC"
	if o.Desc != backward {
		dir = " DESC"
	}
	order := make([]string, 0, 3)
	for _, c := range key.columns() {
		order = append(order, c+dir)
	}
	filter := s.customerFilter(term, f, now)

	var rows []searchRow
	err = s.read(ctx, func(q bun.IDB) error {
		rows = nil
		sel := q.NewSelect().TableExpr("customer AS c").ColumnExpr("c.*")
		if key.text {
			sel = sel.ColumnExpr(key.value + " AS sort_key")
		}
		sel = filter(sel)
		for _, b := range bounds {
			sel = b(sel)
		}
		return sel.OrderExpr(strings.Join(order, ", ")).Limit(int64(size+1)).Scan(ctx, &rows)
	})
	if err != nil {
		return gatehouse.CustomerPage{}, dbError("search customers", "customer", err)
	}
	var total int
	err = s.read(ctx, func(q bun.IDB) error {
		return filter(q.NewSelect().TableExpr("customer AS c").ColumnExpr("count(*)")).Scan(ctx, &total)
	})
	if err != nil {
		return gatehouse.CustomerPage{}, dbError("count customers", "customer", err)
	}

	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	if backward {
		slices.Reverse(rows)
	}
	page := gatehouse.CustomerPage{
		Customers: make([]*gatehouse.Customer, len(rows)),
		Cursors:   make([]string, len(rows)),
		Total:     total,
		// Past a cursor there is at least the customer it names.
		HasNext:     p.Before != "",
		HasPrevious: p.After != "",
	}
	if backward {
		page.HasPrevious = page.HasPrevious || more
	} else {
		page.HasNext = page.HasNext || more
	}
	for i := range rows {
		c := rows[i].domain()
		c.LastSignInAt = utc(c.LastSignInAt)
		page.Customers[i], page.Cursors[i] = c, cursorOf(field, &rows[i], c)
	}
	return page, nil
}

// customerFilter returns what narrows a select on customer AS c to the
// undeleted customers term and f match, for the page and the count alike.
func (s *Store) customerFilter(term string, f gatehouse.CustomerFilter, now time.Time) func(*bun.SelectQuery) *bun.SelectQuery {
	customerID := "json_extract(ai.app_metadata, '$.customer_id')"
	if s.db.Dialect().Name() == dialect.PG {
		customerID = "(ai.app_metadata->>'customer_id')"
	}
	locked := "EXISTS (SELECT 1 FROM auth_identity AS ai WHERE ai.actor_type = 'customer' AND " + customerID +
		" = c.id AND ai.locked_until > ?)"
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("c.deleted_at IS NULL")
		if term != "" {
			q = q.Where(customerSearchText+` LIKE lower(?) ESCAPE '\'`, "%"+escapeLike(term)+"%")
		}
		if f.CreatedAfter != nil {
			q = q.Where("c.created_at > ?", f.CreatedAfter.UTC())
		}
		if f.CreatedBefore != nil {
			q = q.Where("c.created_at < ?", f.CreatedBefore.UTC())
		}
		if f.IsLocked != nil {
			if *f.IsLocked {
				q = q.Where(locked, now)
			} else {
				q = q.Where("NOT "+locked, now)
			}
		}
		for _, b := range []struct {
			column string
			value  *bool
		}{
			{"c.is_active", f.IsActive},
			{"c.email_verified", f.EmailVerified},
			{"c.has_account", f.HasAccount},
			{"c.is_anonymous", f.IsAnonymous},
		} {
			if b.value != nil {
				q = q.Where(b.column+" = ?", *b.value)
			}
		}
		return q
	}
}

// RecordSignIn records a sign-in at now: on the provider identity it went
// through and, for a customer, on the customer (an undeleted one). On
// PostgreSQL it is one statement; on SQLite two, in one transaction.
// CodeNotFound when there is no such provider identity.
func (s *Store) RecordSignIn(ctx context.Context, providerIdentityID string, actor gatehouse.ActorType, actorID string, now time.Time) error {
	customerID := ""
	if actor == gatehouse.ActorCustomer {
		customerID = actorID
	}
	if s.db.Dialect().Name() == dialect.PG {
		var found bool
		// Setting a time is idempotent: it may run twice.
		err := s.read(ctx, func(q bun.IDB) error {
			return q.NewRaw(`WITH p AS (
	UPDATE provider_identity SET last_sign_in_at = ?0 WHERE id = ?1 RETURNING 1
), c AS (
	UPDATE customer SET last_sign_in_at = ?0 WHERE id = ?2 AND deleted_at IS NULL AND EXISTS (SELECT 1 FROM p) RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM p) AS found, (SELECT count(*) FROM c) AS customers`, now, providerIdentityID, customerID).Scan(ctx, &found, new(int))
		})
		if err != nil {
			return dbError("record sign-in", "provider identity", err)
		}
		if !found {
			return notFound("provider identity")
		}
		return nil
	}
	return s.tx(ctx, func(tx *Store) error {
		res, err := tx.db.NewUpdate().Model((*providerIdentityRow)(nil)).Set("last_sign_in_at = ?", now).Where("id = ?", providerIdentityID).Exec(ctx)
		if err != nil {
			return dbError("record sign-in", "provider identity", err)
		}
		if err := affected("record sign-in", "provider identity", res); err != nil {
			return err
		}
		if customerID == "" {
			return nil
		}
		_, err = tx.db.NewUpdate().Model((*customerRow)(nil)).Set("last_sign_in_at = ?", now).
			Where("id = ?", customerID).Where("deleted_at IS NULL").Exec(ctx)
		return dbError("record sign-in", "customer", err)
	})
}
