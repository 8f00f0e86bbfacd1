package proctest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// PgBouncer starts pgbouncer in transaction mode (the mode that shares a
// server connection between clients transaction by transaction) on a
// free port, in front of the PostgreSQL database dbURL names, and returns
// it and the URL through it. It runs as the postgres user when the test
// runs as root (pgbouncer refuses root).
func PgBouncer(tb testing.TB, dbURL string) (*Service, string) {
	tb.Helper()
	bin := need(tb, "pgbouncer", "/usr/sbin/pgbouncer")
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(u.Host)
	name := u.Path[1:]
	listen := FreePort(tb)
	// Not tb.TempDir: pgbouncer, as postgres, must read it.
	dir, err := os.MkdirTemp("", "gatehouse-pgbouncer-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		tb.Fatal(err)
	}
	ini := fmt.Sprintf(`[databases]
%s = host=%s port=%s dbname=%s user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s/userlist.txt
pool_mode = transaction
default_pool_size = 4
server_reset_query =
ignore_startup_parameters = extra_float_digits
`, name, host, port, name, listen, dir)
	for file, text := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": `"postgres" ""` + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	s := newService(tb, "pgbouncer", listen, dir, bin, filepath.Join(dir, "pgbouncer.ini"))
	s.user = asPostgres(tb)
	s.Start()
	u.Host = s.Addr()
	return s, u.String()
}
