// Package migrations holds the SQL migrations of the gatehouse schema, one
// directory per dialect, embedded in the binary.
//
// Both directories hold the same migrations under the same names, so a
// database of either dialect records the same history. A migration named
// NAME.tx.up.sql runs in one transaction and is recorded only once it has
// succeeded; statements are separated by "--bun:split" lines. Files are never
// edited once released: a change to the schema is a new migration.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// FS returns the migrations of dialect, "postgres" or "sqlite".
func FS(dialect string) (fs.FS, error) {
	switch dialect {
	case "postgres", "sqlite":
		return fs.Sub(files, dialect)
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q (want postgres or sqlite)", dialect)
	}
}
