package password

import (
	"context"
	"runtime"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// workerMemory reports the memory each idle worker of h keeps, in KiB.
func workerMemory(t *testing.T, h *Hasher) []uint32 {
	t.Helper()
	var sizes []uint32
	var ws []*workspace
	for range cap(h.pool.sem) {
		w := <-h.pool.sem
		ws = append(ws, w)
		sizes = append(sizes, w.mem.SizeKiB())
	}
	for _, w := range ws {
		h.pool.sem <- w
	}
	return sizes
}

// importedHash encodes pw hashed by x/crypto with params p, as another
// system would have stored it.
func importedHash(p Params, pw string) string {
	salt := []byte("0123456789abcdef")
	key := xargon2.IDKey([]byte(pw), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
	return (&argon2idHash{params: p, salt: salt, key: key}).encode()
}

// Every derivation runs in a worker's memory, which keeps the Hasher's own
// size whatever the hashes it has verified.
func TestWorkspaceKeepsOwnMemory(t *testing.T) {
	own := Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1}
	const pw = "correct horse battery staple"
	tests := []struct {
		name       string
		call       func(ctx context.Context, h *Hasher) (ok bool, err error)
		wantRehash bool
	}{
		{"Hash then Verify", func(ctx context.Context, h *Hasher) (bool, error) {
			encoded, err := h.Hash(ctx, pw)
			if err != nil {
				return false, err
			}
			ok, _, err := h.Verify(ctx, pw, encoded)
			return ok, err
		}, false},
		{"VerifyDummy", func(ctx context.Context, h *Hasher) (bool, error) {
			return true, h.VerifyDummy(ctx, pw)
		}, false},
		{"imported with less memory", importedVerify(Params{MemoryKiB: 64, Iterations: 2, Parallelism: 1}, pw), true},
		{"imported with four lanes", importedVerify(Params{MemoryKiB: 256, Iterations: 1, Parallelism: 4}, pw), true},
		{"imported with more memory", importedVerify(Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 2}, pw), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHasher(t, Options{Params: own, Workers: 2})
			if got := workerMemory(t, h); got[0]+got[1] != own.MemoryKiB {
				t.Fatalf("after NewHasher workers hold %v KiB, want one of them %d", got, own.MemoryKiB)
			}
			for range 3 {
				ok, err := tt.call(context.Background(), h)
				if err != nil || !ok {
					t.Fatalf("call = %v, %v; want true, nil", ok, err)
				}
			}
			for i, got := range workerMemory(t, h) {
				if got > own.MemoryKiB {
					t.Errorf("worker %d keeps %d KiB, want at most the Hasher's %d", i, got, own.MemoryKiB)
				}
			}
		})
	}
}

// importedVerify verifies pw against importedHash(p, pw) and checks that a
// rehash is asked for.
func importedVerify(p Params, pw string) func(ctx context.Context, h *Hasher) (bool, error) {
	encoded := importedHash(p, pw)
	return func(ctx context.Context, h *Hasher) (bool, error) {
		ok, rehash, err := h.Verify(ctx, pw, encoded)
		return ok && rehash, err
	}
}

// Hashing and verifying with the Hasher's own params allocate nothing near
// the argon2 memory; before workspaces each call allocated all of it.
func TestOwnParamsDoNotAllocateMemory(t *testing.T) {
	params := Params{MemoryKiB: 4096, Iterations: 1, Parallelism: 1}
	h := newTestHasher(t, Options{Params: params, Workers: 1})
	ctx := context.Background()
	const pw = "correct horse battery staple"
	encoded := mustHash(t, h, pw)
	tests := []struct {
		name string
		call func() error
	}{
		{"Hash", func() error { _, err := h.Hash(ctx, pw); return err }},
		{"Verify", func() error { _, _, err := h.Verify(ctx, pw, encoded); return err }},
		{"VerifyDummy", func() error { return h.VerifyDummy(ctx, pw) }},
	}
	// 1/16 of the argon2 memory: far above the few hundred bytes of salt,
	// key and encoding, far below one fresh buffer.
	const limit = 4096 * 1024 / 16
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const calls = 4
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range calls {
				if err := tt.call(); err != nil {
					t.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			if perCall := (after.TotalAlloc - before.TotalAlloc) / calls; perCall > limit {
				t.Errorf("%s allocated %d bytes per call, want at most %d", tt.name, perCall, limit)
			}
		})
	}
}
