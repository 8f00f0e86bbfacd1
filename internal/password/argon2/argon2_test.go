package argon2

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// implementations returns the block functions this machine can run, by
// name, and restores useSSE4 when the test ends.
func implementations(t *testing.T) []struct {
	name string
	sse4 bool
} {
	t.Helper()
	saved := useSSE4
	t.Cleanup(func() { useSSE4 = saved })
	impls := []struct {
		name string
		sse4 bool
	}{{"generic", false}}
	if saved {
		impls = append(impls, struct {
			name string
			sse4 bool
		}{"SSE4.1", true})
	} else {
		t.Log("SKIPPED: no SSE4.1 on this machine (or not amd64); only the generic block function is tested")
	}
	return impls
}

// dirty fills w with memory KiB of noise, as if a derivation had stopped
// before its wipe.
func dirty(w *Workspace, memory uint32, r *rand.Rand) {
	for i := range w.take(memory) {
		for j := range w.blocks[i] {
			w.blocks[i][j] = r.Uint64()
		}
	}
}

func TestRFC9106Vector(t *testing.T) {
	// RFC 9106 section 5.3: Argon2id, m=32 KiB, t=3, p=4, a 32-byte tag.
	var (
		password = bytes.Repeat([]byte{0x01}, 32)
		salt     = bytes.Repeat([]byte{0x02}, 16)
		secret   = bytes.Repeat([]byte{0x03}, 8)
		ad       = bytes.Repeat([]byte{0x04}, 12)
	)
	const want = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
	r := rand.New(rand.NewPCG(1, 2))
	workspaces := []struct {
		name string
		w    func() *Workspace
	}{
		{"new workspace", func() *Workspace { return new(Workspace) }},
		{"larger dirty workspace", func() *Workspace {
			w := new(Workspace)
			dirty(w, 1024, r)
			return w
		}},
	}
	for _, impl := range implementations(t) {
		for _, ws := range workspaces {
			t.Run(impl.name+"/"+ws.name, func(t *testing.T) {
				useSSE4 = impl.sse4
				w := ws.w()
				got := w.deriveKey(argon2id, password, salt, secret, ad, 3, 32, 4, 32)
				if hex.EncodeToString(got) != want {
					t.Errorf("tag = %x, want %s", got, want)
				}
			})
		}
	}
}

// idKeyCase is one set of IDKey inputs.
type idKeyCase struct {
	password, salt []byte
	time, memory   uint32
	threads        uint8
	keyLen         uint32
}

func (c idKeyCase) String() string {
	return fmt.Sprintf("pw=%d,salt=%d,t=%d,m=%d,p=%d,key=%d", len(c.password), len(c.salt), c.time, c.memory, c.threads, c.keyLen)
}

func randomCase(r *rand.Rand) idKeyCase {
	bytesN := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	threads := uint8(1 + r.IntN(4))
	return idKeyCase{
		password: bytesN(r.IntN(80)),
		salt:     bytesN(8 + r.IntN(57)),
		time:     uint32(1 + r.IntN(3)),
		// Below 8 KiB per lane x/crypto raises the memory; not a
		// multiple of 4 lanes it rounds down: cover both.
		memory:  uint32(1 + r.IntN(1500)),
		threads: threads,
		// Over 64 bytes blake2bHash chains several hashes.
		keyLen: uint32(4 + r.IntN(130)),
	}
}

// TestMatchesXCrypto compares with x/crypto on random inputs, through one
// Workspace reused in that order, so that it keeps growing and shrinking.
func TestMatchesXCrypto(t *testing.T) {
	r := rand.New(rand.NewPCG(9106, 5))
	for _, impl := range implementations(t) {
		w := new(Workspace)
		for i := range 60 {
			c := randomCase(r)
			t.Run(fmt.Sprintf("%s/%02d/%v", impl.name, i, c), func(t *testing.T) {
				useSSE4 = impl.sse4
				want := xargon2.IDKey(c.password, c.salt, c.time, c.memory, c.threads, c.keyLen)
				if got := w.IDKey(c.password, c.salt, c.time, c.memory, c.threads, c.keyLen); !bytes.Equal(got, want) {
					t.Errorf("reused workspace: key %x, want %x", got, want)
				}
				if got := IDKey(c.password, c.salt, c.time, c.memory, c.threads, c.keyLen); !bytes.Equal(got, want) {
					t.Errorf("IDKey: key %x, want %x", got, want)
				}
			})
		}
	}
}

// TestWorkspaceAcrossSizes reuses one Workspace for a run of memory sizes,
// larger then smaller then larger, each time over noise left where a
// derivation could have stopped before its wipe.
func TestWorkspaceAcrossSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pw, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	// The steps are one workspace's life; each subtest replays the steps
	// before it on a fresh workspace, then checks its own, so that it
	// runs alone.
	steps := []struct {
		name     string
		memory   uint32
		threads  uint8
		wantSize uint32 // KiB held afterwards: the largest asked for so far
	}{
		{"first 1 MiB", 1024, 1, 1024},
		{"smaller 64 KiB", 64, 1, 1024},
		{"larger 4 MiB", 4096, 1, 4096},
		{"smaller 4 lanes", 512, 4, 4096},
		{"odd size rounds down", 1023, 4, 4096},
		{"largest 8 MiB 2 lanes", 8192, 2, 8192},
		{"same as first", 1024, 1, 8192},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			w := new(Workspace)
			for _, prev := range steps[:i] {
				// As the step ran: clean, over noise (which wipes).
				w.IDKey(pw, salt, 2, prev.memory, prev.threads, 32)
				dirty(w, w.SizeKiB(), r)
				w.IDKey(pw, salt, 2, prev.memory, prev.threads, 32)
			}
			want := xargon2.IDKey(pw, salt, 2, st.memory, st.threads, 32)
			if got := w.IDKey(pw, salt, 2, st.memory, st.threads, 32); !bytes.Equal(got, want) {
				t.Errorf("clean: key %x, want %x", got, want)
			}
			dirty(w, w.SizeKiB(), r)
			if got := w.IDKey(pw, salt, 2, st.memory, st.threads, 32); !bytes.Equal(got, want) {
				t.Errorf("over noise: key %x, want %x", got, want)
			}
			if got := w.SizeKiB(); got != st.wantSize {
				t.Errorf("SizeKiB = %d, want %d", got, st.wantSize)
			}
			// What deriveKey uses: whole segments, at least two per lane.
			lanes := 4 * uint32(st.threads)
			used := max(st.memory/lanes*lanes, 2*lanes)
			for i := range used {
				if w.blocks[i] != (block{}) {
					t.Fatalf("block %d of the %d used not wiped after IDKey", i, used)
				}
			}
		})
	}
}

func BenchmarkIDKeyOWASP(b *testing.B) {
	pw, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	w := new(Workspace)
	w.IDKey(pw, salt, 2, 19456, 1, 32) // allocate it once, outside the loop
	benchmarks := []struct {
		name  string
		idKey func() []byte
	}{
		{"x-crypto", func() []byte { return xargon2.IDKey(pw, salt, 2, 19456, 1, 32) }},
		{"one-off", func() []byte { return IDKey(pw, salt, 2, 19456, 1, 32) }},
		{"workspace", func() []byte { return w.IDKey(pw, salt, 2, 19456, 1, 32) }},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bm.idKey()
			}
		})
	}
}
