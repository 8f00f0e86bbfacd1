package password

import (
	"fmt"
	"strings"
)

// Params are argon2id parameters.
type Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// OWASP is the production default: 19 MiB, t=2, p=1.
var OWASP = Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}

// Bounds for the parameters a Hasher is configured with. They are wider than
// the caps on stored hashes (see caps.go): an operator may choose expensive
// parameters on purpose; a stored hash may not impose them.
const (
	maxConfigMemoryKiB   = 4 << 20 // 4 GiB
	maxConfigIterations  = 100
	maxConfigParallelism = 64
)

// Validate reports every parameter outside sane bounds: memory from 8 KiB per
// lane up to 4 GiB, iterations 1..100, parallelism 1..64.
func (p Params) Validate() error {
	var problems []string
	if p.Parallelism < 1 || p.Parallelism > maxConfigParallelism {
		problems = append(problems, fmt.Sprintf("parallelism %d is outside 1..%d", p.Parallelism, maxConfigParallelism))
	}
	if p.Iterations < 1 || p.Iterations > maxConfigIterations {
		problems = append(problems, fmt.Sprintf("iterations %d is outside 1..%d", p.Iterations, maxConfigIterations))
	}
	// argon2 needs 8 KiB per lane; below that x/crypto silently raises the
	// memory, so the hash would not have the parameters it claims.
	minMemory := 8 * max(uint32(p.Parallelism), 1)
	if p.MemoryKiB < minMemory || p.MemoryKiB > maxConfigMemoryKiB {
		problems = append(problems, fmt.Sprintf("memory %d KiB is outside %d..%d KiB", p.MemoryKiB, minMemory, maxConfigMemoryKiB))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("password: invalid argon2id params: %s", strings.Join(problems, "; "))
}
