package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Provider kinds.
const (
	ProviderGoogle = "google"
	ProviderGitHub = "github"
	ProviderOIDC   = "oidc"
)

// Provider is one third-party provider for one actor type.
type Provider struct {
	// ID is the name clients pass as `provider`: google, github, or an
	// operator's name for an OpenID Connect issuer (oidc-okta).
	ID string
	// Type is google, github or oidc.
	Type        string
	Actor       string // customer or user
	DisplayName string

	ClientID     string
	ClientSecret Secret
	Scopes       []string
	// RedirectURLs are where the provider may send the browser back to:
	// exact matches only.
	RedirectURLs []string
	// SignUp lets the provider create new identities; without it only
	// identities that exist already (or link by email) sign in.
	SignUp bool
	// LinkByEmail attaches a new provider identity to the existing
	// identity with the same email, when the provider says it verified it.
	LinkByEmail bool

	// Issuer is the OpenID Connect issuer (google's by default).
	Issuer string
	// AuthURL, TokenURL and APIURL override GitHub's endpoints (or any
	// provider's authorization and token endpoints).
	AuthURL, TokenURL, APIURL string
}

// providerFile is the YAML form of GATEHOUSE_CONFIG_FILE.
type providerFile struct {
	Providers map[string]providerSection `yaml:"providers"`
}

type providerSection struct {
	actorSection `yaml:",inline"`
	Type         string        `yaml:"type"`
	DisplayName  string        `yaml:"display_name"`
	Issuer       string        `yaml:"issuer"`
	AuthURL      string        `yaml:"auth_url"`
	TokenURL     string        `yaml:"token_url"`
	APIURL       string        `yaml:"api_url"`
	Customer     *actorSection `yaml:"customer"`
	User         *actorSection `yaml:"user"`
}

type actorSection struct {
	ClientID     string   `yaml:"client_id"`
	ClientSecret string   `yaml:"client_secret"`
	Scopes       []string `yaml:"scopes"`
	RedirectURLs []string `yaml:"redirect_urls"`
	SignUp       *bool    `yaml:"sign_up"`
	LinkByEmail  *bool    `yaml:"link_by_email"`
}

var providerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// providerPrefix begins every provider variable.
const providerPrefix = "GATEHOUSE_PROVIDER_"

// envName is a provider's variable: GATEHOUSE_PROVIDER_OIDC_OKTA_ISSUER
// for oidc-okta's ISSUER.
func envName(id string, parts ...string) string {
	return providerPrefix + strings.ToUpper(strings.ReplaceAll(id, "-", "_")) + "_" + strings.Join(parts, "_")
}

// providerFields are a provider's own variables; actorFields are also
// read per actor type (GATEHOUSE_PROVIDER_GOOGLE_USER_CLIENT_ID).
var (
	providerFields = []string{"TYPE", "DISPLAY_NAME", "ISSUER", "AUTH_URL", "TOKEN_URL", "API_URL", "ACTORS"}
	actorFields    = []string{"CLIENT_ID", "CLIENT_SECRET", "SCOPES", "REDIRECT_URLS", "SIGN_UP", "LINK_BY_EMAIL"}
)

// providerVariables are every variable that provider id reads.
func providerVariables(id string) []string {
	var out []string
	for _, f := range providerFields {
		out = append(out, envName(id, f))
	}
	for _, f := range actorFields {
		for _, parts := range [][]string{{f}, {"CUSTOMER", f}, {"USER", f}} {
			out = append(out, envName(id, parts...))
			if secretName(envName(id, parts...)) {
				out = append(out, envName(id, parts...)+fileSuffix)
			}
		}
	}
	return out
}

// loadProviders reads the providers of the YAML file named by
// GATEHOUSE_CONFIG_FILE and of GATEHOUSE_PROVIDERS, the environment
// overriding the file field by field, and reports every problem. listed
// holds every provider named, valid or not; it is nil when the file could
// not be read.
func loadProviders(getenv func(string) string) (providers []Provider, listed map[string]bool, errs []error) {
	sections := map[string]providerSection{}
	if path := getenv("GATEHOUSE_CONFIG_FILE"); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, []error{fmt.Errorf("GATEHOUSE_CONFIG_FILE: %w", err)}
		}
		var f providerFile
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
			// The YAML error names a line, never a value.
			return nil, nil, []error{fmt.Errorf("GATEHOUSE_CONFIG_FILE %s: %v", path, err)}
		}
		sections = f.Providers
		if sections == nil {
			sections = map[string]providerSection{}
		}
	}
	for _, id := range strings.Split(getenv("GATEHOUSE_PROVIDERS"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			if _, ok := sections[id]; !ok {
				sections[id] = providerSection{}
			}
		}
	}
	ids := make([]string, 0, len(sections))
	listed = map[string]bool{}
	for id := range sections {
		ids = append(ids, id)
		listed[id] = true
	}
	slices.Sort(ids)

	var out []Provider
	for _, id := range ids {
		sec := sections[id]
		if !providerID.MatchString(id) || id == "emailpass" {
			errs = append(errs, fmt.Errorf("provider %q: a provider's name is lower-case letters, digits and '-', at most 32, and not emailpass", id))
			continue
		}
		env := func(parts ...string) string { return getenv(envName(id, parts...)) }
		over := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		over(&sec.Type, env("TYPE"))
		over(&sec.DisplayName, env("DISPLAY_NAME"))
		over(&sec.Issuer, env("ISSUER"))
		over(&sec.AuthURL, env("AUTH_URL"))
		over(&sec.TokenURL, env("TOKEN_URL"))
		over(&sec.APIURL, env("API_URL"))
		if sec.Type == "" {
			switch {
			case id == ProviderGoogle, id == ProviderGitHub:
				sec.Type = id
			case strings.HasPrefix(id, "oidc"):
				sec.Type = ProviderOIDC
			}
		}
		if sec.Type != ProviderGoogle && sec.Type != ProviderGitHub && sec.Type != ProviderOIDC {
			errs = append(errs, fmt.Errorf("%s: provider %s needs a type: google, github or oidc", envName(id, "TYPE"), id))
			continue
		}
		if sec.Type == ProviderGoogle && sec.Issuer == "" {
			sec.Issuer = "https://accounts.google.com"
		}
		if sec.DisplayName == "" {
			sec.DisplayName = map[string]string{ProviderGoogle: "Google", ProviderGitHub: "GitHub"}[sec.Type]
			if sec.DisplayName == "" {
				sec.DisplayName = id
			}
		}
		for name, u := range map[string]string{"ISSUER": sec.Issuer, "AUTH_URL": sec.AuthURL, "TOKEN_URL": sec.TokenURL, "API_URL": sec.APIURL} {
			if u != "" && !httpURL(u) {
				errs = append(errs, fmt.Errorf("%s: must be an http(s) URL", envName(id, name)))
			}
		}
		if sec.Type == ProviderOIDC && sec.Issuer == "" {
			errs = append(errs, fmt.Errorf("%s: an OpenID Connect provider needs its issuer URL", envName(id, "ISSUER")))
		}
		actors := map[string]*actorSection{"customer": sec.Customer, "user": sec.User}
		if v := env("ACTORS"); v != "" {
			for _, a := range []string{"customer", "user"} {
				if !slices.Contains(splitList(v), a) {
					actors[a] = nil
				} else if actors[a] == nil {
					actors[a] = &actorSection{}
				}
			}
		}
		if actors["customer"] == nil && actors["user"] == nil {
			// A provider listed without actor sections serves customers.
			actors["customer"] = &actorSection{}
		}
		for _, actor := range []string{"customer", "user"} {
			as := actors[actor]
			if as == nil {
				continue
			}
			p, perrs := provider(id, actor, sec, *as, env)
			errs = append(errs, perrs...)
			if len(perrs) == 0 {
				out = append(out, p)
			}
		}
	}
	return out, listed, errs
}

// provider resolves one actor's settings: the actor's own, else the
// provider's, each overridden by the environment.
func provider(id, actor string, sec providerSection, as actorSection, env func(...string) string) (Provider, []error) {
	var errs []error
	p := Provider{ID: id, Type: sec.Type, Actor: actor, DisplayName: sec.DisplayName, Issuer: sec.Issuer,
		AuthURL: sec.AuthURL, TokenURL: sec.TokenURL, APIURL: sec.APIURL}
	A := strings.ToUpper(actor)
	pick := func(field, actorValue, providerValue string) string {
		for _, v := range []string{env(A, field), actorValue, env(field), providerValue} {
			if v != "" {
				return v
			}
		}
		return ""
	}
	p.ClientID = pick("CLIENT_ID", as.ClientID, sec.ClientID)
	p.ClientSecret = Secret(pick("CLIENT_SECRET", as.ClientSecret, sec.ClientSecret))
	p.Scopes = splitList(pick("SCOPES", strings.Join(as.Scopes, ","), strings.Join(sec.Scopes, ",")))
	p.RedirectURLs = splitList(pick("REDIRECT_URLS", strings.Join(as.RedirectURLs, ","), strings.Join(sec.RedirectURLs, ",")))
	boolOf := func(field string, actorValue, providerValue *bool, def bool) bool {
		for _, v := range []string{env(A, field), env(field)} {
			if v == "" {
				continue
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: must be true or false", envName(id, field)))
			}
			return b
		}
		for _, v := range []*bool{actorValue, providerValue} {
			if v != nil {
				return *v
			}
		}
		return def
	}
	// Customers may sign up by default; admin users come by invite, and a
	// provider only creates the identity the invite then links.
	p.SignUp = boolOf("SIGN_UP", as.SignUp, sec.SignUp, true)
	p.LinkByEmail = boolOf("LINK_BY_EMAIL", as.LinkByEmail, sec.LinkByEmail, false)
	if p.ClientID == "" {
		errs = append(errs, fmt.Errorf("%s: required for provider %s (%s)", envName(id, "CLIENT_ID"), id, actor))
	}
	if p.ClientSecret == "" {
		errs = append(errs, fmt.Errorf("%s: required for provider %s (%s)", envName(id, "CLIENT_SECRET"), id, actor))
	}
	if len(p.RedirectURLs) == 0 {
		errs = append(errs, fmt.Errorf("%s: provider %s (%s) needs the URLs it may send the browser back to", envName(id, "REDIRECT_URLS"), id, actor))
	}
	for _, u := range p.RedirectURLs {
		if !httpURL(u) {
			errs = append(errs, fmt.Errorf("%s: %q is not an absolute http(s) URL", envName(id, "REDIRECT_URLS"), u))
		}
	}
	return p, errs
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func httpURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
