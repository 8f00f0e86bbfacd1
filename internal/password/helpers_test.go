package password

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// testParams keep argon2id fast; TestHashVerifyOWASP covers the real ones.
var testParams = Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func newTestHasher(tb testing.TB, o Options) *Hasher {
	tb.Helper()
	if o.Params == (Params{}) {
		o.Params = testParams
	}
	h, err := NewHasher(o)
	if err != nil {
		tb.Fatalf("NewHasher: %v", err)
	}
	return h
}

func mustHash(tb testing.TB, h *Hasher, pw string) string {
	tb.Helper()
	encoded, err := h.Hash(context.Background(), pw)
	if err != nil {
		tb.Fatalf("Hash: %v", err)
	}
	return encoded
}

type medusaVector struct {
	Password   string `json:"password"`
	HashBase64 string `json:"hash_base64"`
}

func loadMedusaVectors(tb testing.TB) []medusaVector {
	tb.Helper()
	data, err := os.ReadFile("testdata/medusa-scrypt-vectors.json")
	if err != nil {
		tb.Fatalf("read vectors: %v", err)
	}
	var file struct {
		Vectors []medusaVector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		tb.Fatalf("decode vectors: %v", err)
	}
	if len(file.Vectors) == 0 {
		tb.Fatal("no vectors in testdata")
	}
	return file.Vectors
}

// scryptHeader builds a scrypt-kdf blob with the given parameters, a
// correct checksum and a zero HMAC, base64-encoded as Medusa stores it.
func scryptHeader(tb testing.TB, logN uint8, r, p uint32) string {
	tb.Helper()
	raw := make([]byte, 96)
	copy(raw, "scrypt\x00")
	raw[7] = logN
	binary.BigEndian.PutUint32(raw[8:12], r)
	binary.BigEndian.PutUint32(raw[12:16], p)
	copy(raw[16:48], strings.Repeat("s", 32))
	sum := sha256.Sum256(raw[:48])
	copy(raw[48:64], sum[:16])
	return base64.StdEncoding.EncodeToString(raw)
}

// assertNoLeak fails if err's text contains encoded or any piece of it as
// long as a salt or key field (11 characters encode the shortest salt);
// shorter pieces are names like "argon2id", which an error may mention.
func assertNoLeak(tb testing.TB, err error, encoded string) {
	tb.Helper()
	if err == nil || encoded == "" {
		return
	}
	msg := err.Error()
	pieces := append([]string{encoded}, strings.FieldsFunc(encoded, func(r rune) bool { return r == '$' || r == ',' })...)
	for _, piece := range pieces {
		if len(piece) >= 11 && strings.Contains(msg, piece) {
			tb.Errorf("error %q contains part of the hash %q", msg, piece)
		}
	}
}
