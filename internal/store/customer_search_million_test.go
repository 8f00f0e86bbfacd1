package store_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// millionEnv turns on TestCustomerSearchMillion: it takes minutes and a
// gigabyte of disk, so it runs only when asked, never in CI.
const millionEnv = "GATEHOUSE_SEARCH_MILLION"

// millionNow is when the million-customer searches run (who is locked).
var millionNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// TestCustomerSearchMillion fills a database of its own with 1,000,000
// customers (and as many auth identities, one in a thousand locked),
// then prints, for each kind of search the admin list makes, the plans
// of its two statements (EXPLAIN (ANALYZE, BUFFERS)) and the time
// SearchCustomers takes, best and median of five. It measures; it
// asserts only that the searches work.
//
//	GATEHOUSE_SEARCH_MILLION=1 go test -count=1 -v -timeout 30m -run TestCustomerSearchMillion ./internal/store
func TestCustomerSearchMillion(t *testing.T) {
	if os.Getenv(millionEnv) == "" {
		t.Skip("SKIPPED: set " + millionEnv + "=1 to fill PostgreSQL with 1,000,000 customers and measure the customer search")
	}
	ctx := context.Background()
	db := storetest.MustOpen(t, storetest.PostgresDatabase(t))
	fillMillion(t, db)
	s := store.New(db)

	var term string
	err := db.Bun().NewRaw("SELECT lower(substr(last_name, 2, 6)) FROM customer WHERE id = 'cus_0424242'").Scan(ctx, &term)
	mustNoError(t, err)

	// A cursor half way down the email order, for a deep page: the
	// cursor of the customer in the middle, found by its email.
	byEmail := gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderEmail}
	var midEmail string
	err = db.Bun().NewRaw("SELECT email FROM customer WHERE id = 'cus_0500001'").Scan(ctx, &midEmail)
	mustNoError(t, err)
	mid, err := s.SearchCustomers(ctx, gatehouse.CustomerFilter{Search: midEmail}, byEmail, gatehouse.Page{First: 1}, millionNow)
	mustNoError(t, err)
	deep := mid.Cursors[0]

	yes := true
	for _, tc := range []struct {
		name   string
		filter gatehouse.CustomerFilter
		order  gatehouse.CustomerOrder
		page   gatehouse.Page
	}{
		{"selective search (" + term + "), newest first", gatehouse.CustomerFilter{Search: term}, gatehouse.CustomerOrder{Desc: true}, gatehouse.Page{First: 20}},
		{"selective search (" + term + ") and filters", gatehouse.CustomerFilter{Search: term, HasAccount: &yes, IsActive: &yes}, gatehouse.CustomerOrder{Desc: true}, gatehouse.Page{First: 20}},
		{"unselective search (example.com)", gatehouse.CustomerFilter{Search: "example.com"}, gatehouse.CustomerOrder{Desc: true}, gatehouse.Page{First: 20}},
		{"two-letter search (qz)", gatehouse.CustomerFilter{Search: "qz"}, gatehouse.CustomerOrder{Desc: true}, gatehouse.Page{First: 20}},
		{"no filter, newest first", gatehouse.CustomerFilter{}, gatehouse.CustomerOrder{Desc: true}, gatehouse.Page{First: 20}},
		{"no filter, by email, a page half way down", gatehouse.CustomerFilter{}, byEmail, gatehouse.Page{First: 20, After: deep}},
		{"no filter, by email descending, the page before that", gatehouse.CustomerFilter{}, gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderEmail, Desc: true}, gatehouse.Page{Last: 20, Before: deep}},
		{"no filter, by last name", gatehouse.CustomerFilter{}, gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderLastName}, gatehouse.Page{First: 20}},
		{"no filter, by last sign-in, most recent first (no index)", gatehouse.CustomerFilter{}, gatehouse.CustomerOrder{Field: gatehouse.CustomerOrderLastSignInAt, Desc: true}, gatehouse.Page{First: 20}},
		{"locked", gatehouse.CustomerFilter{IsLocked: &yes}, gatehouse.CustomerOrder{Desc: true}, gatehouse.Page{First: 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The statements SearchCustomers runs, explained as they are.
			hook := &statementRecorder{}
			//lint:ignore SA1019 the hook must reach the *bun.DB the store already holds; WithQueryHook returns a copy
			db.Bun().AddQueryHook(hook)
			page, err := s.SearchCustomers(ctx, tc.filter, tc.order, tc.page, millionNow)
			hook.stop()
			mustNoError(t, err)
			queries := hook.list()
			if len(queries) != 2 {
				t.Fatalf("%d statements, want 2", len(queries))
			}
			var out strings.Builder
			out.WriteString("\n### " + tc.name + "\n")
			for _, q := range queries {
				var plan []string
				mustNoError(t, db.Bun().NewRaw("EXPLAIN (ANALYZE, BUFFERS) "+q).Scan(ctx, &plan))
				out.WriteString("\n" + q + "\n\n" + strings.Join(plan, "\n") + "\n")
			}
			var took []time.Duration
			for range 5 {
				start := time.Now()
				_, err := s.SearchCustomers(ctx, tc.filter, tc.order, tc.page, millionNow)
				took = append(took, time.Since(start))
				mustNoError(t, err)
			}
			slices.Sort(took)
			out.WriteString("\nSearchCustomers (page + count): " + strconv.Itoa(len(page.Customers)) + " customers of " + strconv.Itoa(page.Total) +
				"; best " + took[0].Round(10*time.Microsecond).String() + ", median " + took[2].Round(10*time.Microsecond).String() + "\n")
			t.Log(out.String())
		})
	}
}

// statementRecorder keeps the text of the statements run until stop.
type statementRecorder struct {
	mu      sync.Mutex
	queries []string
	off     bool
}

func (h *statementRecorder) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.off {
		h.queries = append(h.queries, e.Query)
	}
	return ctx
}

func (*statementRecorder) AfterQuery(context.Context, *bun.QueryEvent) {}

func (h *statementRecorder) stop() { h.mu.Lock(); h.off = true; h.mu.Unlock() }

func (h *statementRecorder) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.queries)
}

// fillMillion writes 1,000,000 customers with one INSERT … SELECT over
// generate_series, and an auth identity for each with another, then
// analyzes. The customer indexes (the migration's) are dropped for the
// insert and built again after it, from their own definitions: building
// an index once is much faster than a million inserts into it.
//
// The names are md5 digits turned into letters, so that their trigrams
// spread as real names' do; one customer in 20 is an anonymous guest with
// no email, one in 10 has no first name, one in 12 no last name; one in
// 5 has a company, one in 3 a phone, one in 4 a user name, 3 in 5 have
// signed in; one in 100 is deleted.
func fillMillion(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	var defs []struct {
		Name string `bun:"indexname"`
		Def  string `bun:"indexdef"`
	}
	mustNoError(t, db.Bun().NewRaw(`SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'customer' AND indexname <> 'customer_pkey'`).Scan(ctx, &defs))
	for _, d := range defs {
		_, err := db.Bun().ExecContext(ctx, "DROP INDEX "+d.Name)
		mustNoError(t, err)
	}
	_, err := db.Bun().ExecContext(ctx, `INSERT INTO customer (id, email, first_name, last_name, company_name, phone,
	has_account, is_active, is_anonymous, email_verified, user_name, created_at, updated_at, last_sign_in_at, deleted_at)
SELECT 'cus_' || lpad(n::text, 7, '0'),
	CASE WHEN n % 20 = 0 THEN NULL
		ELSE lower(f) || '.' || lower(l) || n || '@' || (ARRAY['gmail.com', 'example.com', 'shop.test', 'mail.example.org'])[1 + n % 4] END,
	CASE WHEN n % 10 = 0 THEN NULL ELSE f END,
	CASE WHEN n % 12 = 0 THEN NULL ELSE l END,
	CASE WHEN n % 5 = 0 THEN initcap(translate(substr(h, 13, 8), '0123456789', 'aeiouybdrk')) || ' Ltd' END,
	CASE WHEN n % 3 = 0 THEN '+1 555 ' || lpad((n * 7919 % 10000000)::text, 7, '0') END,
	n % 20 <> 0, n % 50 <> 0, n % 20 = 0, n % 2 = 0,
	CASE WHEN n % 4 = 0 THEN 'user' || substr(h, 20, 4) || n END,
	created, created,
	CASE WHEN n % 5 < 3 THEN timestamptz '2026-01-01 00:00:00+00' + (n * 7919 % 1000003) * interval '13 seconds' END,
	CASE WHEN n % 100 = 0 THEN created + interval '1 day' END
FROM (
	SELECT n, h, timestamptz '2024-01-01 00:00:00+00' + n * interval '50 seconds' AS created,
		initcap(translate(substr(h, 1, 7), '0123456789', 'aeiouybdrk')) AS f,
		initcap(translate(substr(md5(h), 1, 9), '0123456789', 'aeiouybdrk')) AS l
	FROM (SELECT n, md5(n::text) AS h FROM generate_series(1::bigint, 1000000) AS n) AS s
) AS g`)
	mustNoError(t, err)
	_, err = db.Bun().ExecContext(ctx, `INSERT INTO auth_identity (id, actor_type, app_metadata, created_at, updated_at, locked_until)
SELECT 'ai_' || n, 'customer', jsonb_build_object('customer_id', 'cus_' || lpad(n::text, 7, '0')), t, t,
	CASE WHEN n % 1000 = 7 THEN ?0::timestamptz + interval '1 hour' WHEN n % 1000 = 8 THEN ?0::timestamptz - interval '1 hour' END
FROM generate_series(1, 1000000) AS n, (SELECT timestamptz '2024-01-01 00:00:00+00' AS t) AS c`, millionNow)
	mustNoError(t, err)
	filled := time.Since(start)
	for _, d := range defs {
		_, err := db.Bun().ExecContext(ctx, d.Def)
		mustNoError(t, err)
	}
	indexed := time.Since(start) - filled
	_, err = db.Bun().ExecContext(ctx, "VACUUM ANALYZE customer, auth_identity")
	mustNoError(t, err)
	var size string
	mustNoError(t, db.Bun().NewRaw("SELECT pg_size_pretty(pg_total_relation_size('customer')) || ' customer, search index ' || pg_size_pretty(pg_relation_size('customer_search_idx'))").Scan(ctx, &size))
	t.Logf("filled 1,000,000 customers and identities in %s, built %d indexes in %s, vacuumed in %s; %s",
		filled.Round(time.Second), len(defs), indexed.Round(time.Second), (time.Since(start) - filled - indexed).Round(time.Second), size)
}
