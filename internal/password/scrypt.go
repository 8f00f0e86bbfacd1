package password

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"golang.org/x/crypto/scrypt"
)

// Medusa stores the output of the scrypt-kdf npm package (v2), base64
// encoded. That package writes Colin Percival's scrypt header:
//
//	0..5    "scrypt"
//	6       version, 0
//	7       logN
//	8..11   r, big-endian
//	12..15  p, big-endian
//	16..47  salt
//	48..63  SHA-256(bytes 0..47)[:16]
//	64..95  HMAC-SHA256(key: dk[32:64], bytes 0..63)
//
// where dk = scrypt(password, salt, N=2^logN, r, p, 64).
const (
	scryptMagic  = "scrypt\x00"
	scryptLen    = 96
	scryptKeyLen = 64
)

type scryptHash struct {
	logN   uint8
	r, p   uint32
	header []byte // bytes 0..63, what the HMAC covers
	salt   []byte
	mac    []byte
}

func (h *scryptHash) matches(pw string, _ *workspace) (bool, error) {
	dk, err := scrypt.Key([]byte(pw), h.salt, 1<<h.logN, int(h.r), int(h.p), scryptKeyLen)
	if err != nil {
		// Unreachable: parseScrypt enforced parameters scrypt accepts.
		return false, malformed("scrypt parameters refused")
	}
	mac := hmac.New(sha256.New, dk[32:])
	mac.Write(h.header)
	return hmac.Equal(mac.Sum(nil), h.mac), nil
}

func (h *scryptHash) current(Params) bool { return false }

// parseScrypt parses the decoded bytes; the caller has seen scryptMagic.
func parseScrypt(raw []byte) (*scryptHash, error) {
	if len(raw) != scryptLen {
		return nil, malformed("scrypt hash has wrong length")
	}
	sum := sha256.Sum256(raw[:48])
	if !hmac.Equal(sum[:16], raw[48:64]) {
		return nil, malformed("scrypt header checksum mismatch")
	}
	h := &scryptHash{
		logN:   raw[7],
		r:      binary.BigEndian.Uint32(raw[8:12]),
		p:      binary.BigEndian.Uint32(raw[12:16]),
		header: raw[:64],
		salt:   raw[16:48],
		mac:    raw[64:96],
	}
	switch {
	case h.logN < 1 || h.logN > maxScryptLogN:
		return nil, malformed("scrypt logN out of range")
	case h.r < 1 || h.r > maxScryptR:
		return nil, malformed("scrypt r out of range")
	case h.p < 1 || h.p > maxScryptP:
		return nil, malformed("scrypt p out of range")
	case uint64(h.r)*uint64(h.p) >= 1<<30:
		return nil, malformed("scrypt r*p out of range")
	case 128*uint64(h.r)<<h.logN > maxScryptMemory:
		return nil, malformed("scrypt memory out of range")
	}
	return h, nil
}
