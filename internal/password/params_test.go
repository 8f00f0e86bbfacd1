package password

import (
	"strings"
	"testing"
)

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name     string
		params   Params
		problems []string // substrings the error must contain; none means valid
	}{
		{"OWASP", OWASP, nil},
		{"smallest", Params{MemoryKiB: 8, Iterations: 1, Parallelism: 1}, nil},
		{"largest", Params{MemoryKiB: 4 << 20, Iterations: 100, Parallelism: 64}, nil},
		{"zero value", Params{}, []string{"parallelism 0", "iterations 0", "memory 0 KiB"}},
		{"memory below 8 KiB per lane", Params{MemoryKiB: 31, Iterations: 1, Parallelism: 4}, []string{"memory 31 KiB is outside 32.."}},
		{"memory above 4 GiB", Params{MemoryKiB: 4<<20 + 1, Iterations: 1, Parallelism: 1}, []string{"memory"}},
		{"iterations above 100", Params{MemoryKiB: 64, Iterations: 101, Parallelism: 1}, []string{"iterations 101"}},
		{"parallelism above 64", Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 65}, []string{"parallelism 65"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.params.Validate()
			if len(tt.problems) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil, want an error")
			}
			for _, p := range tt.problems {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("Validate = %q, want it to mention %q", err, p)
				}
			}
		})
	}
}

func TestNewHasherRefusesInvalidParams(t *testing.T) {
	if _, err := NewHasher(Options{Params: Params{MemoryKiB: 64}}); err == nil {
		t.Fatal("NewHasher with zero iterations and parallelism: want an error")
	}
}
