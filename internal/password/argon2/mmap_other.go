//go:build !unix

package argon2

// mapBlocks has no mapping to offer here: the blocks live on the heap.
func mapBlocks(uint32) ([]block, bool) { return nil, false }

func unmapBlocks([]block) {}
