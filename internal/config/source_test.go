package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/config"
)

// A secret setting's <NAME>_FILE names a file holding its value.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secret := strings.Repeat("f", 40)
	const bad = "not-a-kek-but-a-passphrase-in-a-file"
	for _, tc := range []struct {
		name    string
		env     []string
		check   func(*config.Config) bool
		wantErr []string
	}{
		{"file", []string{"GATEHOUSE_JWT_SECRET_FILE", file("lf", secret+"\n")}, func(c *config.Config) bool { return c.JWTSecret.Reveal() == secret }, nil},
		{"CRLF", []string{"GATEHOUSE_JWT_SECRET_FILE", file("crlf", secret+"\r\n")}, func(c *config.Config) bool { return c.JWTSecret.Reveal() == secret }, nil},
		{"no newline", []string{"GATEHOUSE_JWT_SECRET_FILE", file("bare", secret)}, func(c *config.Config) bool { return c.JWTSecret.Reveal() == secret }, nil},
		{"inner whitespace kept", []string{"GATEHOUSE_JWT_SECRET_FILE", file("spaces", " "+secret+" \n")}, func(c *config.Config) bool { return c.JWTSecret.Reveal() == " "+secret+" " }, nil},
		{"provider client secret", []string{"GATEHOUSE_PROVIDERS", "github", "GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID", "id",
			"GATEHOUSE_PROVIDER_GITHUB_CLIENT_SECRET_FILE", file("gh", "gh-secret\n"), "GATEHOUSE_PROVIDER_GITHUB_REDIRECT_URLS", "https://shop.example/cb"},
			func(c *config.Config) bool {
				return len(c.Providers) == 1 && c.Providers[0].ClientSecret.Reveal() == "gh-secret"
			}, nil},
		{"both", []string{"GATEHOUSE_JWT_SECRET", secret, "GATEHOUSE_JWT_SECRET_FILE", file("both", secret)}, nil,
			[]string{"GATEHOUSE_JWT_SECRET and GATEHOUSE_JWT_SECRET_FILE: set one, not both"}},
		{"missing", []string{"GATEHOUSE_JWT_SECRET_FILE", filepath.Join(dir, "nope")}, nil, []string{"GATEHOUSE_JWT_SECRET_FILE: open ", "no such file"}},
		{"unreadable", []string{"GATEHOUSE_JWT_SECRET_FILE", dir}, nil, []string{"GATEHOUSE_JWT_SECRET_FILE: read " + dir}},
		{"empty", []string{"GATEHOUSE_JWT_SECRET_FILE", file("empty", "\n")}, nil, []string{"GATEHOUSE_JWT_SECRET_FILE: " + dir + "/empty is empty"}},
		{"too large", []string{"GATEHOUSE_JWT_SECRET_FILE", file("large", strings.Repeat("x", 65<<10))}, nil, []string{"GATEHOUSE_JWT_SECRET_FILE: ", "larger than 64 KiB"}},
		// The content is checked as the variable's would be, and never
		// echoed.
		{"invalid content", []string{"GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", file("kek", bad+"\n")}, nil, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY: must be 32 bytes"}},
		{"problems at once", []string{"GATEHOUSE_JWT_SECRET_FILE", filepath.Join(dir, "nope"), "GATEHOUSE_REDIS_URL_FILE", file("redis", "http://x\n"), "GATEHOUSE_ADDR", "nowhere"}, nil,
			[]string{"GATEHOUSE_JWT_SECRET_FILE", "GATEHOUSE_REDIS_URL: must be", "GATEHOUSE_ADDR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(env(tc.env...), environ(tc.env...))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !tc.check(c) || len(c.Warnings) > 0 {
					t.Fatalf("config = %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), bad) {
				t.Fatalf("error echoes the file's content:\n%v", err)
			}
		})
	}
}

// Every secret setting reads its _FILE: a value the setting refuses, read
// from the file, is reported under the setting's name (unread, it would
// be no error at all), and the README says so.
func TestEverySecretHasAFileForm(t *testing.T) {
	const bad = "x-not-valid-for-any-secret"
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(bad+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range config.Settings() {
		if !s.Secret {
			continue
		}
		n++
		t.Run(s.Name, func(t *testing.T) {
			if !strings.Contains(s.Description, "`"+s.Name+"_FILE`") {
				t.Errorf("description does not name %s_FILE: %s", s.Name, s.Description)
			}
			_, err := config.Load(env(s.Name+"_FILE", path), environ(s.Name+"_FILE", path))
			if err == nil || !strings.Contains(err.Error(), s.Name+": ") {
				t.Fatalf("the file's value was not parsed as %s: %v", s.Name, err)
			}
			if strings.Contains(err.Error(), bad) {
				t.Fatalf("error echoes the file's content:\n%v", err)
			}
		})
	}
	if n < 5 {
		t.Fatalf("only %d secret settings", n)
	}
}
