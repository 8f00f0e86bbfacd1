package proctest

import (
	"context"
	"database/sql"
	"net"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// Each scratch peer starts, dies and starts again on its port, as the
// fault tests need.
func TestScratchServices(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *Service
	}{
		{"redis", Redis},
		{"nats", NATS},
		{"postgres", Postgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.start(t)
			s.Kill()
			if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
				c.Close()
				t.Fatal("still listening after a kill")
			}
			s.Start()
			if tc.name == "postgres" {
				db, err := sql.Open("postgres", s.PostgresURL("postgres"))
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				var one int
				if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Fatalf("query after restart: %v", err)
				}
			}
		})
	}
}
