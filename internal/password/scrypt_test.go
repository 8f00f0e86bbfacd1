package password

import (
	"context"
	"testing"
)

// TestVerifyMedusaScrypt checks hashes made by Medusa (scrypt-kdf v2):
// each verifies with its own password and with no other.
func TestVerifyMedusaScrypt(t *testing.T) {
	vectors := loadMedusaVectors(t)
	h := newTestHasher(t, Options{Workers: 2})
	for i, v := range vectors {
		oneCharChanged := []rune(v.Password)
		oneCharChanged[len(oneCharChanged)-1]++
		wrong := []string{string(oneCharChanged), v.Password + "x"}
		for j, other := range vectors {
			if j != i {
				wrong = append(wrong, other.Password)
			}
		}
		t.Run(v.Password, func(t *testing.T) {
			t.Parallel()
			if err := CheckEncoded(v.HashBase64); err != nil {
				t.Fatalf("CheckEncoded: %v", err)
			}
			ok, rehash, err := h.Verify(context.Background(), v.Password, v.HashBase64)
			if err != nil || !ok || !rehash {
				t.Errorf("Verify(own password) = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			for _, pw := range wrong {
				ok, _, err := h.Verify(context.Background(), pw, v.HashBase64)
				if err != nil || ok {
					t.Errorf("Verify(%q) = %v, %v; want false, nil", pw, ok, err)
				}
			}
		})
	}
}
