package config

import (
	"fmt"
	"slices"
	"strings"
)

// A GATEHOUSE_ variable that gatehouse does not read is a mistake that
// would otherwise go unnoticed (GATEHOUSE_DATABSE_URL, and the server runs
// on the default database): development warns, production refuses to
// start.

const envPrefix = "GATEHOUSE_"

// ignoredPrefixes hold the variables of gatehouse's own tests and
// benchmarks (GATEHOUSE_TEST_POSTGRES_URL, GATEHOUSE_BENCH_POSTGRES_URL),
// which a developer's shell may hold while it runs the server.
var ignoredPrefixes = []string{"GATEHOUSE_TEST_", "GATEHOUSE_BENCH_"}

// unknownVariable is a GATEHOUSE_ variable that nothing reads, and why.
type unknownVariable struct {
	name   string
	reason string
}

// unknownVariables returns the GATEHOUSE_ variables of environ (NAME=value
// entries) that gatehouse does not read, sorted by name. listed holds the
// providers named by GATEHOUSE_PROVIDERS and the config file, whose
// variables are read; when it is nil (the file could not be read, which
// is reported already) no provider variable is blamed. configFile says
// whether GATEHOUSE_CONFIG_FILE is set, for the message.
func unknownVariables(environ []string, listed map[string]bool, configFile bool) []unknownVariable {
	known := knownNames(listed)
	var names []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, envPrefix) && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []unknownVariable
	for _, name := range names {
		if slices.Contains(known, name) || slices.ContainsFunc(ignoredPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		if listed == nil && strings.HasPrefix(name, providerPrefix) {
			continue
		}
		out = append(out, unknownVariable{name, unknownReason(name, known, listed, configFile)})
	}
	return out
}

func unknownReason(name string, known []string, listed map[string]bool, configFile bool) string {
	suggest := ""
	if n := nearest(name, known); n != "" {
		suggest = "; did you mean " + n + "?"
	}
	if base, ok := strings.CutSuffix(name, fileSuffix); ok && slices.Contains(known, base) && !secretName(base) {
		return base + " is not a secret and has no " + fileSuffix + " form: set it directly"
	}
	if id, ok := providerOf(name); ok && !listed[id] {
		if configFile {
			return fmt.Sprintf("neither GATEHOUSE_PROVIDERS nor GATEHOUSE_CONFIG_FILE lists provider %s%s", id, suggest)
		}
		return fmt.Sprintf("GATEHOUSE_PROVIDERS does not list %s%s", id, suggest)
	}
	if suggest == "" {
		return "not a setting (`gatehouse serve --help` lists them)"
	}
	return "not a setting" + suggest
}

// knownNames are the variables gatehouse reads, settings first (the
// earlier wins a tie for the nearest name).
func knownNames(listed map[string]bool) []string {
	var out []string
	for _, s := range settings {
		if strings.Contains(s.Name, "<") {
			continue // the pattern of the provider variables
		}
		out = append(out, s.Name)
		if s.Secret {
			out = append(out, s.Name+fileSuffix)
		}
	}
	ids := make([]string, 0, len(listed))
	for id := range listed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, providerVariables(id)...)
	}
	return out
}

// providerOf returns the provider a provider variable names: github for
// GATEHOUSE_PROVIDER_GITHUB_CUSTOMER_CLIENT_ID.
func providerOf(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, providerPrefix)
	if !ok {
		return "", false
	}
	fields := append(append([]string{"CLIENT_SECRET" + fileSuffix}, providerFields...), actorFields...)
	for _, f := range fields {
		head, ok := strings.CutSuffix(rest, "_"+f)
		if !ok || head == "" {
			continue
		}
		if !slices.Contains(providerFields, f) {
			for _, actor := range []string{"_CUSTOMER", "_USER"} {
				if h, ok := strings.CutSuffix(head, actor); ok && h != "" {
					head = h
					break
				}
			}
		}
		return strings.ToLower(strings.ReplaceAll(head, "_", "-")), true
	}
	return "", false
}

// nearest returns the known name closest to name, when it is close
// enough to be the one meant.
func nearest(name string, known []string) string {
	best, bestDist := "", -1
	for _, k := range known {
		if d := editDistance(name, k); bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist < 0 || bestDist > max(2, (len(name)-len(envPrefix))/3) {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent letters (the
// usual typing mistakes) count one each.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
