package deploy_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// unit is a systemd unit file: section, key, the values in order.
type unit map[string]map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u, section := unit{}, ""
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: %q is not key=value in a section", path, n+1, line)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return u
}

func TestSystemdUnit(t *testing.T) {
	u := readUnit(t, "gatehouse.service")
	svc := u["Service"]
	t.Run("hardening", func(t *testing.T) {
		for _, tc := range []struct{ key, want string }{
			{"DynamicUser", "yes"},
			{"NoNewPrivileges", "yes"},
			{"ProtectSystem", "strict"},
			{"ProtectHome", "yes"},
			{"PrivateTmp", "yes"},
			{"PrivateDevices", "yes"},
			{"CapabilityBoundingSet", ""},
			{"AmbientCapabilities", ""},
			{"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
			{"MemoryDenyWriteExecute", "yes"},
			{"SystemCallArchitectures", "native"},
			{"StateDirectory", "gatehouse"},
		} {
			if v, ok := svc[tc.key]; !ok || v[len(v)-1] != tc.want {
				t.Errorf("[Service] %s=%q, want %q", tc.key, v, tc.want)
			}
		}
		if len(svc["EnvironmentFile"]) == 0 {
			t.Error("[Service] has no EnvironmentFile")
		}
	})
	t.Run("credential", func(t *testing.T) {
		// The key-encryption key is a credential, read from %d, never an
		// environment value.
		var creds []string
		for _, lc := range svc["LoadCredential"] {
			name, _, _ := strings.Cut(lc, ":")
			creds = append(creds, name)
		}
		found := false
		for _, e := range svc["Environment"] {
			for _, kv := range strings.Fields(e) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "GATEHOUSE_KEY_ENCRYPTION_KEY":
					t.Errorf("Environment=%s: the key belongs in a credential", kv)
				case "GATEHOUSE_KEY_ENCRYPTION_KEY_FILE":
					name, ok := strings.CutPrefix(v, "%d/")
					found = true
					if !ok || !slices.Contains(creds, name) {
						t.Errorf("%s is not %%d/ and one of the LoadCredential names %q", kv, creds)
					}
				}
			}
		}
		if !found {
			t.Errorf("no Environment=GATEHOUSE_KEY_ENCRYPTION_KEY_FILE=%%d/…")
		}
	})
	t.Run("syscalls", func(t *testing.T) {
		// The hash workers call setpriority (GATEHOUSE_HASH_NICE), in
		// @resources, which @system-service includes.
		filters := svc["SystemCallFilter"]
		if len(filters) == 0 || filters[0] != "@system-service" {
			t.Errorf("SystemCallFilter=%q, want @system-service first", filters)
		}
		for _, f := range filters {
			if deny, ok := strings.CutPrefix(f, "~"); ok {
				for _, w := range strings.Fields(deny) {
					if w == "@resources" || w == "setpriority" {
						t.Errorf("SystemCallFilter=%s denies setpriority, which the hash workers call", f)
					}
				}
			}
		}
	})
	t.Run("no-exec-memory", func(t *testing.T) {
		// MemoryDenyWriteExecute=yes kills a process that maps memory
		// executable: none of gatehouse's code does (argon2 maps its
		// buffers PROT_READ|PROT_WRITE).
		root := moduleRoot(t)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte("PROT_EXEC")) {
				t.Errorf("%s maps executable memory: MemoryDenyWriteExecute=yes would kill the service", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stop-timeout", func(t *testing.T) {
		env := envFile(t, "gatehouse.env")
		shutdown := mustDuration(t, setting(t, env, "GATEHOUSE_SHUTDOWN_TIMEOUT"))
		stop := svc["TimeoutStopSec"]
		if len(stop) == 0 || mustDuration(t, stop[len(stop)-1]) <= shutdown {
			t.Errorf("TimeoutStopSec=%q, want more than GATEHOUSE_SHUTDOWN_TIMEOUT %s", stop, shutdown)
		}
	})
	t.Run("env-file-loads", func(t *testing.T) {
		env := envFile(t, "gatehouse.env")
		for _, e := range svc["Environment"] {
			for _, kv := range strings.Fields(e) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
		loadProduction(t, env, "%d/")
	})
	t.Run("verify", func(t *testing.T) {
		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("SKIPPED: systemd-analyze is not installed; the unit's keys were not checked by systemd")
		}
		// verify wants ExecStart to exist; everything else is the unit's.
		b, err := os.ReadFile("gatehouse.service")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "gatehouse.service")
		b = bytes.ReplaceAll(b, []byte("ExecStart=/usr/local/bin/gatehouse"), []byte("ExecStart="+os.Args[0]))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(analyze, "verify", path).CombinedOutput()
		// verify exits 0 on an unknown key, but says so.
		if err != nil || bytes.Contains(out, []byte("gatehouse.service:")) {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	})
}

// envFile reads a systemd EnvironmentFile: NAME=value lines.
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not NAME=value", path, line)
		}
		env[k] = v
	}
	return env
}
