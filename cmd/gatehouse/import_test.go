package main

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// medusaSchema is a Medusa v2 database's auth, customer and user tables
// as the modules' migrations leave them (auth: Migration20240205025924
// through Migration20241202100304, with the entities' timestamps;
// customer: Migration20240124154000 through Migration20241211074630;
// user: Migration20240214033943), with the columns gatehouse import
// medusa reads and those it ignores.
const medusaSchema = `
create table "auth_identity" ("id" text not null, "app_metadata" jsonb null, "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "auth_identity_pkey" primary key ("id"));
create table "provider_identity" ("id" text not null, "entity_id" text not null, "provider" text not null, "auth_identity_id" text not null,
  "user_metadata" jsonb null, "provider_metadata" jsonb null, "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "provider_identity_pkey" primary key ("id"));
create unique index "IDX_provider_identity_provider_entity_id" on "provider_identity" (entity_id, provider);
alter table "provider_identity" add constraint "provider_identity_auth_identity_id_foreign" foreign key ("auth_identity_id")
  references "auth_identity" ("id") on update cascade on delete cascade;
create table "customer" ("id" text not null, "company_name" text null, "first_name" text null, "last_name" text null, "email" text null,
  "phone" text null, "has_account" boolean not null default false, "metadata" jsonb null, "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, "created_by" text null, constraint "customer_pkey" primary key ("id"));
create table "customer_address" ("id" text not null, "customer_id" text not null, "address_name" text null,
  "is_default_shipping" boolean not null default false, "is_default_billing" boolean not null default false, "company" text null,
  "first_name" text null, "last_name" text null, "address_1" text null, "address_2" text null, "city" text null, "country_code" text null,
  "province" text null, "postal_code" text null, "phone" text null, "metadata" jsonb null, "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "customer_address_pkey" primary key ("id"));
alter table "customer_address" add constraint "customer_address_customer_id_foreign" foreign key ("customer_id")
  references "customer" ("id") on update cascade on delete cascade;
create table "user" ("id" text not null, "first_name" text null, "last_name" text null, "email" text not null, "avatar_url" text null,
  "metadata" jsonb null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "deleted_at" timestamptz null, constraint "user_pkey" primary key ("id"));
`

// medusaPassword's real Medusa scrypt-kdf hash (Medusa's own emailpass
// provider made it).
const (
	medusaPassword = "correct horse battery staple"
	medusaHash     = "c2NyeXB0AA8AAAAIAAAAAbMS3gcyFMmJSauy4Eu5U+Aji5N5Z/sV64XR4qIF/Xqa6P+DzLdyppZAOjpfNS+CvO2fSipXXDH6W3DTtDe8dzaYGcktD9/fRnVtmYxLJbnj"
)

// medusaFixture fills a Medusa database: two customers who sign in with
// their passwords (one with two addresses, a company and metadata), one
// whose hash is broken, a guest of a past order, a deleted customer whose
// identity is left behind, and an admin user.
const medusaFixture = `
insert into customer (id, company_name, first_name, last_name, email, phone, has_account, metadata, created_at) values
  ('cus_01JMEDUSAADA000000000000', 'Analytical Engines', 'Ada', 'Lovelace', 'ada@example.com', '+44 20 7946 0001', true, '{"tier": "gold"}', '2025-03-01T10:00:00Z'),
  ('cus_01JMEDUSAGRACE0000000000', null, 'Grace', 'Hopper', 'grace@example.com', null, true, null, '2025-04-01T10:00:00Z'),
  ('cus_01JMEDUSABROKEN000000000', null, 'Bro', 'Ken', 'broken@example.com', null, true, null, '2025-05-01T10:00:00Z'),
  ('cus_01JMEDUSAGUEST000000000', null, null, null, 'guest@example.com', null, false, null, '2025-06-01T10:00:00Z');
insert into customer (id, email, has_account, deleted_at) values ('cus_01JMEDUSAGONE0000000000', 'gone@example.com', true, now());
insert into customer_address (id, customer_id, address_name, is_default_shipping, is_default_billing, company, first_name, last_name,
  address_1, city, country_code, postal_code, metadata) values
  ('cuaddr_01JMEDUSAHOME000000000', 'cus_01JMEDUSAADA000000000000', 'Home', true, true, null, 'Ada', 'Lovelace', '12 St James''s Square', 'London', 'gb', 'SW1Y 4JH', null),
  ('cuaddr_01JMEDUSAWORK000000000', 'cus_01JMEDUSAADA000000000000', 'Work', false, false, 'Analytical Engines', 'Ada', 'Lovelace', '1 Engine Row', 'London', 'gb', 'EC1A 1AA', '{"floor": 3}');
insert into customer_address (id, customer_id, city, deleted_at) values ('cuaddr_01JMEDUSAOLD0000000000', 'cus_01JMEDUSAADA000000000000', 'Bath', now());
insert into auth_identity (id, app_metadata) values
  ('authid_01JMEDUSAADA0000000000', '{"customer_id": "cus_01JMEDUSAADA000000000000"}'),
  ('authid_01JMEDUSAGRACE00000000', '{"customer_id": "cus_01JMEDUSAGRACE0000000000"}'),
  ('authid_01JMEDUSABROKEN0000000', '{"customer_id": "cus_01JMEDUSABROKEN000000000"}'),
  ('authid_01JMEDUSAGONE000000000', '{"customer_id": "cus_01JMEDUSAGONE0000000000"}'),
  ('authid_01JMEDUSAADMIN00000000', '{"user_id": "user_01JMEDUSAADMIN0000000000"}');
insert into provider_identity (id, entity_id, provider, auth_identity_id, provider_metadata) values
  ('01JMEDUSAPADA000000000000', 'ada@example.com', 'emailpass', 'authid_01JMEDUSAADA0000000000', '{"password": "` + medusaHash + `"}'),
  ('01JMEDUSAPGRACE0000000000', 'Grace@Example.com', 'emailpass', 'authid_01JMEDUSAGRACE00000000', '{"password": "` + medusaHash + `"}'),
  ('01JMEDUSAPGRACEGOOGLE0000', '109876543210987654321', 'google', 'authid_01JMEDUSAGRACE00000000', null),
  ('01JMEDUSAPBROKEN000000000', 'broken@example.com', 'emailpass', 'authid_01JMEDUSABROKEN0000000', '{"password": "bm90IGEgaGFzaA=="}'),
  ('01JMEDUSAPGONE00000000000', 'gone@example.com', 'emailpass', 'authid_01JMEDUSAGONE000000000', '{"password": "` + medusaHash + `"}'),
  ('01JMEDUSAPADMIN0000000000', 'admin@example.com', 'emailpass', 'authid_01JMEDUSAADMIN00000000', '{"password": "` + medusaHash + `"}');
insert into "user" (id, first_name, last_name, email, created_at) values ('user_01JMEDUSAADMIN0000000000', 'Mona', 'Admin', 'admin@example.com', '2025-01-01T10:00:00Z');
`

func TestImportMedusa(t *testing.T) {
	from := storetest.Postgres(t)
	src, err := sql.Open("postgres", from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Exec(medusaSchema + medusaFixture); err != nil {
		t.Fatalf("medusa fixture: %v", err)
	}
	eachDatabase(t, func(t *testing.T, url string) {
		run := func(t *testing.T, args ...string) (string, error) {
			t.Helper()
			var out, errOut bytes.Buffer
			err := importCmd(context.Background(), env{getenv: testEnv(url), stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, append([]string{"medusa", "--from", from}, args...))
			return out.String(), err
		}
		db := storetest.MustOpen(t, url)
		counts := func(t *testing.T) map[string]int {
			t.Helper()
			out := map[string]int{}
			for _, table := range []string{"customer", "customer_address", "auth_identity", "provider_identity", `"user"`} {
				var n int
				if err := db.Bun().NewRaw("SELECT count(*) FROM "+table).Scan(t.Context(), &n); err != nil {
					t.Fatal(err)
				}
				out[table] = n
			}
			return out
		}

		t.Run("dry run writes nothing", func(t *testing.T) {
			out, err := run(t, "--dry-run")
			if err == nil || !strings.Contains(out, "would import 3 customers and 1 users; skipped 1; failed 1") ||
				!strings.Contains(out, "would import customer cus_01JMEDUSAADA000000000000 ada@example.com, 2 addresses, emailpass\n") {
				t.Fatalf("dry run (%v):\n%s", err, out)
			}
			for table, n := range counts(t) {
				if n != 0 {
					t.Errorf("%s: %d rows after a dry run", table, n)
				}
			}
		})

		t.Run("import", func(t *testing.T) {
			out, err := run(t)
			for _, want := range []string{
				"imported 3 customers and 1 users; skipped 1; failed 1",
				"failed  customer cus_01JMEDUSABROKEN000000000: The password hash of 01JMEDUSAPBROKEN000000000 is not a supported format",
				"skipped auth identity authid_01JMEDUSAGONE000000000: cus_01JMEDUSAGONE0000000000 is not in the database",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("import output lacks %q:\n%s", want, out)
				}
			}
			if err == nil {
				t.Error("an import with a failed account exits 0")
			}
		})

		// Every account signs in with its Medusa password and keeps its
		// id, addresses and company.
		t.Run("accounts sign in as they did", func(t *testing.T) {
			e := env{getenv: testEnv(url), stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
			if err := withApp(t.Context(), e, func(a *app) error { signInImported(t, a.auth, store.New(db)); return nil }); err != nil {
				t.Fatal(err)
			}
			if c := counts(t); c["customer"] != 3 || c["provider_identity"] != 4 {
				t.Fatalf("%d customers (want 3, the guest too), %d provider identities (want 4, Grace's Google one too)", c["customer"], c["provider_identity"])
			}
		})

		t.Run("a second run changes nothing", func(t *testing.T) {
			before := counts(t)
			out, _ := run(t)
			if !strings.Contains(out, "imported 0 customers and 0 users; skipped 5; failed 1") {
				t.Fatalf("second run:\n%s", out)
			}
			for table, n := range counts(t) {
				if n != before[table] {
					t.Errorf("%s: %d rows, %d before the second run", table, n, before[table])
				}
			}
		})
	})
}

// signInImported signs every fixture account in with svc, checking what
// each keeps.
func signInImported(t *testing.T, svc *auth.Service, s *store.Store) {
	for _, c := range []struct {
		actor       gatehouse.ActorType
		email, id   string
		authID      string
		signsIn     bool
		addresses   int
		companyName string
	}{
		{gatehouse.ActorCustomer, "ada@example.com", "cus_01JMEDUSAADA000000000000", "authid_01JMEDUSAADA0000000000", true, 2, "Analytical Engines"},
		{gatehouse.ActorCustomer, "grace@example.com", "cus_01JMEDUSAGRACE0000000000", "authid_01JMEDUSAGRACE00000000", true, 0, ""},
		{gatehouse.ActorUser, "admin@example.com", "user_01JMEDUSAADMIN0000000000", "authid_01JMEDUSAADMIN00000000", true, 0, ""},
		{gatehouse.ActorCustomer, "broken@example.com", "", "", false, 0, ""},
		{gatehouse.ActorCustomer, "gone@example.com", "", "", false, 0, ""},
	} {
		t.Run(c.email, func(t *testing.T) {
			a, err := svc.Authenticate(t.Context(), auth.Credential{}, c.actor, gatehouse.ProviderEmailPass,
				auth.PasswordCredentials{Email: &c.email, Password: ptrTo(medusaPassword)})
			if !c.signsIn {
				if gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials {
					t.Fatalf("sign-in = %v, want INVALID_CREDENTIALS", err)
				}
				return
			}
			if err != nil || a.Ticket == nil || a.Ticket.ActorID == nil || *a.Ticket.ActorID != c.id || a.Ticket.UserID != c.authID {
				t.Fatalf("sign-in: %+v, %v; want actor %s, identity %s", a.Ticket, err, c.id, c.authID)
			}
			if c.actor != gatehouse.ActorCustomer {
				return
			}
			cu, err := s.Customer(t.Context(), c.id)
			if err != nil {
				t.Fatal(err)
			}
			as, err := s.Addresses(t.Context(), c.id)
			if err != nil || len(as) != c.addresses || deref(cu.CompanyName) != c.companyName {
				t.Fatalf("customer %+v, %d addresses (%v)", cu, len(as), err)
			}
			if c.addresses > 0 && (deref(cu.DefaultShippingAddressID) != "cuaddr_01JMEDUSAHOME000000000" || cu.Metadata["tier"] != "gold") {
				t.Fatalf("default shipping %v, metadata %v", cu.DefaultShippingAddressID, cu.Metadata)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// TestUsersImportKeepsIDs: a JSON line with ids, a company, Kibo fields
// and addresses imports them all; a second run skips it; a dry run
// writes nothing.
func TestUsersImportKeepsIDs(t *testing.T) {
	line := `{"id":"cus_01JIMPORTKEEP0000000000000","auth_identity_id":"authid_01JIMPORTKEEP00000000","email":"Keep@Example.com",` +
		`"password_hash":"` + medusaHash + `","company_name":"Keep & Co","tax_id":"NO123","locale_code":"nb-NO","user_name":"keeper",` +
		`"addresses":[{"id":"cuaddr_01JIMPORTOSLO000000000","city":"Oslo","country_code":"no","is_default_shipping":true},{"city":"Bergen"}]}` + "\n"
	eachDatabase(t, func(t *testing.T, url string) {
		run := func(t *testing.T, args ...string) string {
			t.Helper()
			var out, errOut bytes.Buffer
			err := runEnv(context.Background(), env{getenv: testEnv(url), stdin: strings.NewReader(line), stdout: &out, stderr: &errOut},
				append([]string{"users", "import", "--actor", "customer", "--file", "-"}, args...))
			if err != nil {
				t.Fatalf("users import %v: %v\n%s", args, err, errOut.String())
			}
			return out.String()
		}
		db := storetest.MustOpen(t, url)
		s := store.New(db)
		const id = "cus_01JIMPORTKEEP0000000000000"
		if out := run(t, "--dry-run"); !strings.Contains(out, "would import 1 customers, 0 skipped, 0 failed") {
			t.Fatalf("dry run: %s", out)
		}
		if _, err := s.Customer(t.Context(), id); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			t.Fatalf("the dry run wrote the customer (%v)", err)
		}
		if out := run(t); !strings.Contains(out, "imported 1 customers, 0 skipped, 0 failed") {
			t.Fatalf("import: %s", out)
		}
		c, err := s.Customer(t.Context(), id)
		if err != nil || deref(c.CompanyName) != "Keep & Co" || deref(c.TaxID) != "NO123" || deref(c.UserName) != "keeper" || deref(c.Email) != "keep@example.com" {
			t.Fatalf("customer %+v, %v", c, err)
		}
		as, err := s.Addresses(t.Context(), id)
		if err != nil || len(as) != 2 || deref(c.DefaultShippingAddressID) != "cuaddr_01JIMPORTOSLO000000000" {
			t.Fatalf("%d addresses (%v), default shipping %v", len(as), err, c.DefaultShippingAddressID)
		}
		if a, err := s.AuthIdentityByActor(t.Context(), gatehouse.ActorCustomer, id); err != nil || a.ID != "authid_01JIMPORTKEEP00000000" {
			t.Fatalf("auth identity %+v, %v", a, err)
		}
		if out := run(t); !strings.Contains(out, "imported 0 customers, 1 skipped, 0 failed") {
			t.Fatalf("second run: %s", out)
		}

		// An account that fails after its customer and addresses were
		// written (its email sign-in is taken by an identity with no
		// customer) leaves none of them behind.
		now := time.Now().UTC()
		taken := &gatehouse.AuthIdentity{ID: gatehouse.NewID(gatehouse.PrefixAuthIdentity), ActorType: gatehouse.ActorCustomer, AppMetadata: map[string]any{}, CreatedAt: now, UpdatedAt: now}
		if err := s.CreateIdentity(t.Context(), taken, &gatehouse.ProviderIdentity{ID: gatehouse.NewID(gatehouse.PrefixProviderIdentity), AuthIdentityID: taken.ID,
			ActorType: gatehouse.ActorCustomer, Provider: gatehouse.ProviderEmailPass, EntityID: "half@example.com",
			ProviderMetadata: map[string]any{}, UserMetadata: map[string]any{}, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		half := `{"id":"cus_01JIMPORTHALF0000000000000","email":"half@example.com","password_hash":"` + medusaHash + `","addresses":[{"id":"cuaddr_01JIMPORTHALF000000000","city":"Nowhere"}]}` + "\n"
		var out, errOut bytes.Buffer
		err = runEnv(context.Background(), env{getenv: testEnv(url), stdin: strings.NewReader(half), stdout: &out, stderr: &errOut},
			[]string{"users", "import", "--actor", "customer", "--file", "-"})
		if err == nil || !strings.Contains(out.String(), "imported 0 customers, 0 skipped, 1 failed") || !strings.Contains(errOut.String(), "already exists") {
			t.Fatalf("half import (%v): %s %s", err, out.String(), errOut.String())
		}
		if _, err := s.Customer(t.Context(), "cus_01JIMPORTHALF0000000000000"); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			t.Fatalf("the failed account's customer is there (%v)", err)
		}
		if _, err := s.AddressByID(t.Context(), "cuaddr_01JIMPORTHALF000000000"); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			t.Fatalf("the failed account's address is there (%v)", err)
		}
	})
}
