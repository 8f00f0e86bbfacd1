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

// importRecord is one line of an import file.
type importRecord struct {
	Email        string         `json:"email"`
	PasswordHash string         `json:"password_hash"`
	FirstName    *string        `json:"first_name"`
	LastName     *string        `json:"last_name"`
	Phone        *string        `json:"phone"`
	Metadata     map[string]any `json:"metadata"`
	CreatedAt    *time.Time     `json:"created_at"`
}

func usersImport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "users import", `users import --actor customer|user --file FILE

Each line of FILE (or standard input for "-") is a JSON object:
  {"email": "a@example.com", "password_hash": "<argon2id, bcrypt or Medusa scrypt base64>",
   "first_name": "…", "last_name": "…", "phone": "…", "metadata": {…}, "created_at": "RFC 3339"}
Each line is imported in its own transaction; failures are reported by line
and do not stop the import. Legacy hashes are upgraded to argon2id at the
first sign-in.
`)
	actor := fs.String("actor", "customer", "customer or user")
	file := fs.String("file", "", `JSON lines file, or "-" for standard input (required)`)
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
		var imported, failed int
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
			acc := auth.Account{
				Email: rec.Email, PasswordHash: rec.PasswordHash,
				FirstName: rec.FirstName, LastName: rec.LastName, Phone: rec.Phone, Metadata: rec.Metadata,
			}
			if rec.CreatedAt != nil {
				acc.CreatedAt = *rec.CreatedAt
			}
			if _, err := a.auth.CreateAccount(ctx, at, acc); err != nil {
				failed++
				fmt.Fprintf(e.stderr, "line %d: %v\n", line, userFacing(err))
				continue
			}
			imported++
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read import file: %w", err)
		}
		fmt.Fprintf(e.stdout, "imported %d %ss, %d failed\n", imported, at, failed)
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
