package password

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestCheckEncodedAcceptsSupportedFormats(t *testing.T) {
	h := newTestHasher(t, Options{})
	hash2a := mustBcrypt(t, "correct horse")
	tests := []struct {
		name    string
		encoded string
	}{
		{"argon2id", mustHash(t, h, "correct horse")},
		{"argon2id at the caps", "$argon2id$v=19$m=1048576,t=16,p=16$c2FsdHNhbHQ$" + strings.Repeat("A", 43)},
		{"bcrypt 2a", hash2a},
		{"bcrypt 2b", "$2b$" + hash2a[4:]},
		{"bcrypt 2y", "$2y$" + hash2a[4:]},
		{"bcrypt cost 16", "$2a$16$" + hash2a[7:]},
		{"medusa scrypt", loadMedusaVectors(t)[0].HashBase64},
		{"scrypt at the caps", scryptHeader(t, 20, 8, 16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckEncoded(tt.encoded); err != nil {
				t.Errorf("CheckEncoded: %v", err)
			}
		})
	}
}

func TestMalformedHashes(t *testing.T) {
	h := newTestHasher(t, Options{})
	good := mustHash(t, h, "correct horse") // $argon2id$v=19$m=64,t=1,p=1$<salt>$<key>
	fields := strings.Split(good, "$")
	salt, key := fields[4], fields[5]
	argon2 := func(variant, version, params, salt, key string) string {
		return "$" + variant + "$" + version + "$" + params + "$" + salt + "$" + key
	}
	hash2a := mustBcrypt(t, "correct horse")
	medusa := loadMedusaVectors(t)[0].HashBase64
	raw, err := base64.StdEncoding.DecodeString(medusa)
	if err != nil {
		t.Fatal(err)
	}
	badChecksum := append([]byte(nil), raw...)
	badChecksum[50] ^= 1
	badVersion := append([]byte(nil), raw...)
	badVersion[6] = 1

	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"garbage", "definitely not a password hash"},
		{"plain text password", "correct horse battery staple"},
		{"overlong", good + strings.Repeat("A", maxEncodedLen)},
		{"truncated PHC", good[:len(good)/2]},
		{"PHC without key", strings.Join(fields[:5], "$")},
		{"PHC with extra field", good + "$extra"},
		{"argon2i", argon2("argon2i", "v=19", "m=64,t=1,p=1", salt, key)},
		{"argon2d", argon2("argon2d", "v=19", "m=64,t=1,p=1", salt, key)},
		{"argon2 version 16", argon2("argon2id", "v=16", "m=64,t=1,p=1", salt, key)},
		{"argon2 without version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"huge memory", argon2("argon2id", "v=19", "m=4194304,t=1,p=1", salt, key)},
		{"memory overflowing uint32", argon2("argon2id", "v=19", "m=99999999999,t=1,p=1", salt, key)},
		{"memory below 8 KiB per lane", argon2("argon2id", "v=19", "m=31,t=1,p=4", salt, key)},
		{"all params zero", argon2("argon2id", "v=19", "m=0,t=0,p=0", salt, key)},
		{"zero iterations", argon2("argon2id", "v=19", "m=64,t=0,p=1", salt, key)},
		{"17 iterations", argon2("argon2id", "v=19", "m=64,t=17,p=1", salt, key)},
		{"zero parallelism", argon2("argon2id", "v=19", "m=64,t=1,p=0", salt, key)},
		{"parallelism 17", argon2("argon2id", "v=19", "m=1024,t=1,p=17", salt, key)},
		{"parallelism over a byte", argon2("argon2id", "v=19", "m=4096,t=1,p=257", salt, key)},
		{"params out of order", argon2("argon2id", "v=19", "t=1,m=64,p=1", salt, key)},
		{"param with a leading zero", argon2("argon2id", "v=19", "m=064,t=1,p=1", salt, key)},
		{"negative param", argon2("argon2id", "v=19", "m=-64,t=1,p=1", salt, key)},
		{"bad base64 salt", argon2("argon2id", "v=19", "m=64,t=1,p=1", "!!!not-base64!!!", key)},
		{"padded base64 key", argon2("argon2id", "v=19", "m=64,t=1,p=1", salt, key+"=")},
		{"salt too short", argon2("argon2id", "v=19", "m=64,t=1,p=1", "c2FsdA", key)},
		{"key too short", argon2("argon2id", "v=19", "m=64,t=1,p=1", salt, key[:20])},
		{"bcrypt truncated", hash2a[:59]},
		{"bcrypt 2x", "$2x$" + hash2a[4:]},
		{"bcrypt version 3", "$3a$" + hash2a[4:]},
		{"bcrypt cost 3", "$2a$03$" + hash2a[7:]},
		{"bcrypt cost 17", "$2a$17$" + hash2a[7:]},
		{"bcrypt cost 31", "$2a$31$" + hash2a[7:]},
		{"bcrypt cost not digits", "$2a$1x$" + hash2a[7:]},
		{"bcrypt bad alphabet", hash2a[:59] + "+"},
		{"scrypt logN 30", scryptHeader(t, 30, 8, 1)},
		{"scrypt logN 0", scryptHeader(t, 0, 8, 1)},
		{"scrypt r 0", scryptHeader(t, 15, 0, 1)},
		{"scrypt r 33", scryptHeader(t, 15, 33, 1)},
		{"scrypt p 0", scryptHeader(t, 15, 8, 0)},
		{"scrypt p 17", scryptHeader(t, 15, 8, 17)},
		{"scrypt memory above 1 GiB", scryptHeader(t, 20, 32, 1)},
		{"scrypt wrong checksum", base64.StdEncoding.EncodeToString(badChecksum)},
		{"scrypt version 1", base64.StdEncoding.EncodeToString(badVersion)},
		{"scrypt truncated", base64.StdEncoding.EncodeToString(raw[:95])},
		{"scrypt with trailing bytes", base64.StdEncoding.EncodeToString(append(raw[:96:96], 0, 0, 0))},
		{"scrypt base64 damaged", medusa[:len(medusa)-1] + "*"},
		{"scrypt with a line break", medusa[:40] + "\r\n" + medusa[40:]},
		{"argon2id salt with a line break", argon2("argon2id", "v=19", "m=64,t=1,p=1", salt[:4]+"\n"+salt[4:], key)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckEncoded(tt.encoded)
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("CheckEncoded = %v, want ErrMalformedHash", err)
			}
			assertNoLeak(t, err, tt.encoded)

			before := h.Derivations()
			ok, rehash, err := h.Verify(context.Background(), "correct horse", tt.encoded)
			if ok || rehash || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify = %v, %v, %v; want false, false, ErrMalformedHash", ok, rehash, err)
			}
			assertNoLeak(t, err, tt.encoded)
			if got := h.Derivations(); got != before {
				t.Errorf("Verify ran %d derivations on a malformed hash, want none", got-before)
			}
		})
	}
}
