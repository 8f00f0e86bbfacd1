//go:build unix

package argon2

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapBlocks returns n blocks in an anonymous private mapping (zeroed, never
// seen by the collector), or false when the mapping fails. Blocks hold no
// pointers, so memory the collector does not scan is safe for them.
func mapBlocks(n uint32) ([]block, bool) {
	mem, err := unix.Mmap(-1, 0, int(n)*int(unsafe.Sizeof(block{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil || len(mem) == 0 {
		return nil, false
	}
	return unsafe.Slice((*block)(unsafe.Pointer(&mem[0])), n), true
}

// unmapBlocks gives back blocks mapBlocks returned.
func unmapBlocks(b []block) {
	_ = unix.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), len(b)*int(unsafe.Sizeof(block{}))))
}
