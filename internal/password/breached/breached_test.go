package breached_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/password/breached"
)

// The count recorded in SOURCE.md: a truncated or doubled list fails here.
const wantCount = 49233

func TestCount(t *testing.T) {
	if got := breached.Count(); got != wantCount {
		t.Fatalf("the list holds %d passwords, SOURCE.md says %d", got, wantCount)
	}
}

func TestContains(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{"password", true},
		{"PassWord", true},
		{"123456789", true},
		{"iloveyou", true},
		{"correct horse battery staple of gatehouse", false},
		{"", false},
	} {
		t.Run(tc.pw, func(t *testing.T) {
			if got := breached.Contains(tc.pw); got != tc.want {
				t.Errorf("Contains(%q) = %v", tc.pw, got)
			}
		})
	}
}
