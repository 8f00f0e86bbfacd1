package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		version, commit, date string
		want, wantNot         string
	}{
		{"link-time values", "v0.2.0", "0123456789abcdef0123", "2026-12-02T07:00:00Z", "gatehouse v0.2.0 (commit 0123456789ab, built 2026-12-02T07:00:00Z, " + runtime.Version(), ""},
		{"nothing set", "", "", "", "gatehouse devel (", "built"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(v, c, d string) { buildVersion, buildCommit, buildDate = v, c, d }(buildVersion, buildCommit, buildDate)
			buildVersion, buildCommit, buildDate = tc.version, tc.commit, tc.date
			got := buildInfo().String()
			if !strings.HasPrefix(got, tc.want) || tc.wantNot != "" && strings.Contains(got, tc.wantNot) {
				t.Fatalf("version line %q, want it to begin %q", got, tc.want)
			}
		})
	}
}
