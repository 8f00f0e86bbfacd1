package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

func usersCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		w := e.stdout
		if len(args) == 0 {
			w = e.stderr
		}
		fmt.Fprintln(w, "Usage: gatehouse users create|import [flags]")
		fmt.Fprintln(w, "\n  create  create an admin user with a password, without an invite (the first admin)")
		fmt.Fprintln(w, "  import  import customers or users with existing password hashes from JSON lines")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "create":
		return quiet(usersCreate(ctx, e, args[1:]))
	case "import":
		return quiet(usersImport(ctx, e, args[1:]))
	}
	return fmt.Errorf("unknown users command %q", args[0])
}

func usersCreate(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "users create", "users create --email EMAIL --password-stdin [--first-name NAME] [--last-name NAME]")
	email := fs.String("email", "", "the admin user's email address (required)")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required: passwords never go on the command line)")
	first := fs.String("first-name", "", "first name")
	last := fs.String("last-name", "", "last name")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *email == "" || !*stdin || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	pw, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	return withApp(ctx, e, func(a *app) error {
		id, err := a.auth.CreateAccount(ctx, gatehouse.ActorUser, auth.Account{
			Email:     *email,
			Password:  pw,
			FirstName: nonEmpty(*first),
			LastName:  nonEmpty(*last),
		})
		if err != nil {
			return userFacing(err)
		}
		fmt.Fprintf(e.stdout, "created admin user %s (%s)\n", id, gatehouse.NormalizeEmail(*email))
		return nil
	})
}

// importRecord is one line of an import file: an account with its own
// ids (generated when absent), as `import medusa` reads them.
type importRecord struct {
	ID             string         `json:"id"`
	AuthIdentityID string         `json:"auth_identity_id"`
	Email          string         `json:"email"`
	PasswordHash   string         `json:"password_hash"`
	FirstName      *string        `json:"first_name"`
	LastName       *string        `json:"last_name"`
	Phone          *string        `json:"phone"`
	Metadata       map[string]any `json:"metadata"`
	CreatedAt      *time.Time     `json:"created_at"`
	// Customers only.
	CompanyName      *string                       `json:"company_name"`
	HasAccount       *bool                         `json:"has_account"`
	AcceptsMarketing bool                          `json:"accepts_marketing"`
	AccountType      *string                       `json:"account_type"`
	CustomerSet      *string                       `json:"customer_set"`
	ExternalID       *string                       `json:"external_id"`
	LocaleCode       *string                       `json:"locale_code"`
	TaxExempt        bool                          `json:"tax_exempt"`
	TaxID            *string                       `json:"tax_id"`
	UserName         *string                       `json:"user_name"`
	Attributes       []gatehouse.CustomerAttribute `json:"attributes"`
	Addresses        []importAddress               `json:"addresses"`
	// Users only.
	AvatarURL *string `json:"avatar_url"`
}

// importAddress is one address of an import line.
type importAddress struct {
	ID                string         `json:"id"`
	AddressName       *string        `json:"address_name"`
	Company           *string        `json:"company"`
	FirstName         *string        `json:"first_name"`
	LastName          *string        `json:"last_name"`
	Address1          *string        `json:"address_1"`
	Address2          *string        `json:"address_2"`
	City              *string        `json:"city"`
	CountryCode       *string        `json:"country_code"`
	Province          *string        `json:"province"`
	PostalCode        *string        `json:"postal_code"`
	Phone             *string        `json:"phone"`
	Metadata          map[string]any `json:"metadata"`
	IsDefaultShipping bool           `json:"is_default_shipping"`
	IsDefaultBilling  bool           `json:"is_default_billing"`
}

// account is the line as an imported account of actor type at.
func (rec importRecord) account(at gatehouse.ActorType, now time.Time) auth.ImportedAccount {
	created := now
	if rec.CreatedAt != nil {
		created = rec.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	id, prefix := rec.ID, gatehouse.PrefixCustomer
	if at == gatehouse.ActorUser {
		prefix = gatehouse.PrefixUser
	}
	if id == "" {
		id = gatehouse.NewID(prefix)
	}
	acc := auth.ImportedAccount{ActorType: at, AuthIdentityID: rec.AuthIdentityID}
	if acc.AuthIdentityID == "" {
		acc.AuthIdentityID = gatehouse.NewID(gatehouse.PrefixAuthIdentity)
	}
	acc.Identities = []auth.ImportedIdentity{{ID: gatehouse.NewID(gatehouse.PrefixProviderIdentity), Provider: gatehouse.ProviderEmailPass,
		EntityID: rec.Email, PasswordHash: rec.PasswordHash}}
	if at == gatehouse.ActorUser {
		acc.User = &gatehouse.User{ID: id, Email: rec.Email, FirstName: rec.FirstName, LastName: rec.LastName, AvatarURL: rec.AvatarURL,
			Metadata: rec.Metadata, CreatedAt: created, UpdatedAt: now}
		return acc
	}
	email := rec.Email
	acc.Customer = &gatehouse.Customer{ID: id, Email: &email, FirstName: rec.FirstName, LastName: rec.LastName, CompanyName: rec.CompanyName,
		Phone: rec.Phone, HasAccount: rec.HasAccount == nil || *rec.HasAccount, Metadata: rec.Metadata, AcceptsMarketing: rec.AcceptsMarketing,
		AccountType: rec.AccountType, CustomerSet: rec.CustomerSet, ExternalID: rec.ExternalID, LocaleCode: rec.LocaleCode,
		TaxExempt: rec.TaxExempt, TaxID: rec.TaxID, UserName: rec.UserName, Attributes: rec.Attributes, CreatedAt: created, UpdatedAt: now}
	for _, a := range rec.Addresses {
		aid := a.ID
		if aid == "" {
			aid = gatehouse.NewID(gatehouse.PrefixAddress)
		}
		acc.Addresses = append(acc.Addresses, &gatehouse.Address{ID: aid, AddressName: a.AddressName, Company: a.Company,
			FirstName: a.FirstName, LastName: a.LastName, Address1: a.Address1, Address2: a.Address2, City: a.City,
			CountryCode: a.CountryCode, Province: a.Province, PostalCode: a.PostalCode, Phone: a.Phone, Metadata: a.Metadata,
			IsDefaultShipping: a.IsDefaultShipping, IsDefaultBilling: a.IsDefaultBilling, CreatedAt: created, UpdatedAt: now})
	}
	return acc
}

func usersImport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "users import", `users import --actor customer|user --file FILE [--dry-run]

Each line of FILE (or standard input for "-") is a JSON object:
  {"email": "a@example.com", "password_hash": "<argon2id, bcrypt or Medusa scrypt base64>",
   "id": "cus_…", "auth_identity_id": "authid_…",
   "first_name": "…", "last_name": "…", "phone": "…", "metadata": {…}, "created_at": "RFC 3339",
   customers: "company_name", "has_account", "accepts_marketing", "account_type", "customer_set",
   "external_id", "locale_code", "tax_exempt", "tax_id", "user_name", "attributes": [Kibo's],
   "addresses": [{"id", "address_name", "company", "first_name", "last_name", "address_1",
     "address_2", "city", "country_code", "province", "postal_code", "phone", "metadata",
     "is_default_shipping", "is_default_billing"}]; users: "avatar_url"}
Ids are kept (generated when absent): a line whose id is already imported is
skipped, so a second run changes nothing. Each line is imported in its own
transaction; failures are reported by line and do not stop the import.
--dry-run does the work and rolls it back. Legacy hashes are upgraded to
argon2id at the first sign-in.
`)
	actor := fs.String("actor", "customer", "customer or user")
	file := fs.String("file", "", `JSON lines file, or "-" for standard input (required)`)
	dry := fs.Bool("dry-run", false, "report what would be imported, writing nothing")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	at := gatehouse.ActorType(*actor)
	if !at.Valid() || *file == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	var r io.Reader = e.stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	return withApp(ctx, e, func(a *app) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var imported, skipped, failed int
		for line := 1; sc.Scan(); line++ {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var rec importRecord
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				failed++
				fmt.Fprintf(e.stderr, "line %d: not a JSON object\n", line)
				continue
			}
			if rec.PasswordHash == "" {
				failed++
				fmt.Fprintf(e.stderr, "line %d: password_hash is required\n", line)
				continue
			}
			outcome, err := a.auth.ImportAccount(ctx, rec.account(at, time.Now().UTC()), *dry)
			switch {
			case err != nil:
				failed++
				fmt.Fprintf(e.stderr, "line %d: %v\n", line, userFacing(err))
			case outcome == auth.AlreadyImported:
				skipped++
				fmt.Fprintf(e.stderr, "line %d: %s already imported\n", line, rec.ID)
			default:
				imported++
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read import file: %w", err)
		}
		verb := "imported"
		if *dry {
			verb = "would import"
		}
		fmt.Fprintf(e.stdout, "%s %d %ss, %d skipped, %d failed\n", verb, imported, at, skipped, failed)
		if failed > 0 {
			return fmt.Errorf("%d lines failed", failed)
		}
		return nil
	})
}

// userFacing keeps a domain error's safe message for the terminal; internal
// causes keep their detail, since the operator is the reader here.
func userFacing(err error) error {
	var ge *gatehouse.Error
	if errors.As(err, &ge) && ge.Code != gatehouse.CodeInternal {
		return errors.New(ge.Message)
	}
	return err
}

func nonEmpty(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}
