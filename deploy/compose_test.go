package deploy_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type composeFile struct {
	Services map[string]struct {
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Environment map[string]string `yaml:"environment"`
		Secrets     []string          `yaml:"secrets"`
		Ports       []string          `yaml:"ports"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// composeEnv is the gatehouse service's environment with compose's
// interpolation done from the defaults (${NAME:-default}) and required
// values (${NAME:?}) set to stand-ins.
func composeEnv(t *testing.T, cf composeFile) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(:-([^}]*)|:\?[^}]*)?\}`)
	env := map[string]string{}
	for k, v := range cf.Services["gatehouse"].Environment {
		env[k] = re.ReplaceAllStringFunc(v, func(m string) string {
			sm := re.FindStringSubmatch(m)
			if strings.HasPrefix(sm[2], ":-") {
				return sm[3]
			}
			return "stand-in"
		})
	}
	return env
}

func TestCompose(t *testing.T) {
	var cf composeFile
	if err := yamlDocs(t, "compose.yaml")[0].Decode(&cf); err != nil {
		t.Fatal(err)
	}
	gh, ok := cf.Services["gatehouse"]
	if !ok {
		t.Fatal("compose.yaml has no gatehouse service")
	}
	t.Run("depends-on", func(t *testing.T) {
		for name, s := range cf.Services {
			if name == "gatehouse" {
				continue
			}
			if gh.DependsOn[name].Condition != "service_healthy" {
				t.Errorf("gatehouse depends_on %s: condition %q, want service_healthy", name, gh.DependsOn[name].Condition)
			}
			if len(s.Healthcheck.Test) == 0 {
				t.Errorf("%s has no healthcheck, so service_healthy never holds", name)
			}
		}
	})
	t.Run("settings", func(t *testing.T) {
		env := composeEnv(t, cf)
		if env["GATEHOUSE_ENV"] != "production" {
			t.Errorf("gatehouse GATEHOUSE_ENV=%q, want production", env["GATEHOUSE_ENV"])
		}
		for _, name := range []string{"GATEHOUSE_ISSUER", "GATEHOUSE_REDIS_URL", "GATEHOUSE_NATS_URL", "GATEHOUSE_MANAGEMENT_ADDR"} {
			if env[name] == "" {
				t.Errorf("gatehouse has no %s", name)
			}
		}
		// Secrets holding a password or a key come from compose secrets.
		for _, name := range []string{"GATEHOUSE_KEY_ENCRYPTION_KEY", "GATEHOUSE_DATABASE_URL"} {
			if _, ok := env[name]; ok || env[name+"_FILE"] == "" {
				t.Errorf("gatehouse has %s in the environment or no %s_FILE: use the _FILE form and a compose secret", name, name)
			}
		}
	})
	t.Run("secrets", func(t *testing.T) {
		for name, v := range composeEnv(t, cf) {
			if !strings.HasSuffix(name, "_FILE") {
				continue
			}
			secret, ok := strings.CutPrefix(v, "/run/secrets/")
			if !ok || !slices.Contains(gh.Secrets, secret) {
				t.Errorf("%s=%s is no secret of the gatehouse service (%q)", name, v, gh.Secrets)
			}
			if cf.Secrets[secret].File == "" {
				t.Errorf("%s: top-level secret %q has no file", name, secret)
			}
		}
	})
	t.Run("management-port", func(t *testing.T) {
		// /metrics and the probes are published on loopback only.
		mgmt := strconv.Itoa(portOf(t, composeEnv(t, cf)["GATEHOUSE_MANAGEMENT_ADDR"]))
		for _, p := range gh.Ports {
			parts := strings.Split(p, ":")
			if parts[len(parts)-1] == mgmt && (len(parts) != 3 || parts[0] != "127.0.0.1") {
				t.Errorf("port %q publishes the management listener beyond 127.0.0.1", p)
			}
		}
	})
	t.Run("loads", func(t *testing.T) {
		env := composeEnv(t, cf)
		loadProduction(t, env, "/run/secrets/")
	})
}
