package store

import (
	"context"

	"github.com/uptrace/bun/dialect"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// PasswordHashPrefixes lists the distinct beginnings of the stored password
// hashes, each cut as password.KindPrefix cuts one: as far as its kind
// (family and cost parameters) and no further, so that the answer is a few
// rows however many accounts there are. It reads every emailpass identity:
// a background refresh's statement, never a sign-in's.
func (s *Store) PasswordHashPrefixes(ctx context.Context) ([]string, error) {
	hash, position := `provider_metadata->>'password'`, `strpos(substr(h, 16), '$')`
	if s.db.Dialect().Name() != dialect.PG {
		hash, position = `json_extract(provider_metadata, '$.password')`, `instr(substr(h, 16), '$')`
	}
	// 15 is len("$argon2id$v=19$"); 7 is "$2a$10$"; 22 base64 characters
	// hold scrypt-kdf's header and parameters (and 4 bits of salt).
	q := `SELECT DISTINCT CASE
	WHEN h LIKE '$argon2%' THEN substr(h, 1, 15 + ` + position + `)
	WHEN h LIKE '$2%' THEN substr(h, 1, 7)
	ELSE substr(h, 1, 22)
END AS prefix
FROM (SELECT ` + hash + ` AS h FROM provider_identity WHERE provider = ?) AS hashes
WHERE h IS NOT NULL AND h <> ''`
	var prefixes []string
	if err := s.db.NewRaw(q, gatehouse.ProviderEmailPass).Scan(ctx, &prefixes); err != nil {
		return nil, dbError("list password hash kinds", "provider identity", err)
	}
	return prefixes, nil
}
