package hastack

import (
	"fmt"
	"strings"
)

// Patroni's timing: the leader key lives ttl seconds and a node acts
// every loop_wait seconds, so a crashed primary is replaced about ttl
// seconds after its last renewal. Patroni requires
// ttl >= loop_wait + 2*retry_timeout.
const (
	patroniTTL          = 10
	patroniLoopWait     = 2
	patroniRetryTimeout = 4
)

// scope is the Patroni cluster's name, also PostgreSQL's cluster_name.
const scope = "gatehouse-ha"

func etcdArgs(dir string, client, peer int) []string {
	c := fmt.Sprintf("http://127.0.0.1:%d", client)
	p := fmt.Sprintf("http://127.0.0.1:%d", peer)
	return []string{"/usr/bin/etcd",
		"--name", "etcd0",
		"--data-dir", dir + "/etcd",
		"--listen-client-urls", c, "--advertise-client-urls", c,
		"--listen-peer-urls", p, "--initial-advertise-peer-urls", p,
		"--initial-cluster", "etcd0=" + p,
		"--initial-cluster-state", "new",
		"--log-level", "warn",
	}
}

// patroniConfig is one node's patroni.yml. Authentication is trust on
// 127.0.0.1 only: the stack is a throwaway on loopback. The node dir
// holds the data directory and the sockets.
func patroniConfig(n *Node, etcdPort int) string {
	return fmt.Sprintf(`scope: %[1]s
namespace: /gatehouse/
name: %[2]s
log:
  level: INFO
restapi:
  listen: 127.0.0.1:%[3]d
  connect_address: 127.0.0.1:%[3]d
etcd3:
  hosts: 127.0.0.1:%[4]d
bootstrap:
  dcs:
    ttl: %[5]d
    loop_wait: %[6]d
    retry_timeout: %[7]d
    maximum_lag_on_failover: 1048576
    # The primary commits only once the standby has the WAL, and Patroni
    # fails over only to that standby: an acknowledged write survives the
    # primary. Not strict: alone, the primary keeps accepting writes.
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      # A crashed primary that cannot be rewound is copied afresh: the
      # node rejoins either way.
      remove_data_directory_on_rewind_failure: true
      remove_data_directory_on_diverged_timelines: true
      parameters:
        max_connections: 100
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 64MB
        hot_standby: "on"
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
postgresql:
  listen: 127.0.0.1:%[8]d
  connect_address: 127.0.0.1:%[8]d
  data_dir: %[9]s/data
  bin_dir: /usr/lib/postgresql/15/bin
  pgpass: %[9]s/pgpass
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
      password: replicator
  parameters:
    unix_socket_directories: %[9]s
    shared_buffers: 16MB
    logging_collector: "on"
    log_directory: %[9]s/log
    log_filename: postgresql.log
`, scope, n.Name, n.RESTPort, etcdPort, patroniTTL, patroniLoopWait, patroniRetryTimeout, n.PGPort, n.dir)
}

// haproxyConfig routes to the node whose Patroni answers GET /primary
// with 200, checking every second; a node marked down has its sessions
// cut, so no client stays on a demoted or dead primary.
func haproxyConfig(dir string, port int, nodes []*Node) string {
	var servers strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&servers, "  server %s 127.0.0.1:%d check port %d\n", n.Name, n.PGPort, n.RESTPort)
	}
	return fmt.Sprintf(`global
  maxconn 200
  stats socket %[1]s/haproxy.sock mode 600 level user

defaults
  mode tcp
  retries 2
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 2s

listen primary
  bind 127.0.0.1:%[2]d
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 1s fastinter 500ms downinter 1s rise 2 fall 2 on-marked-down shutdown-sessions
%[3]s`, dir, port, servers.String())
}

// pgbouncerConfig pools, in transaction mode, connections to the one
// database through HAProxy. It retries a failed server login after a
// second (the default, 15 s, would outlast the failover).
func pgbouncerConfig(dir string, port, haproxyPort int) string {
	return fmt.Sprintf(`[databases]
%[4]s = host=127.0.0.1 port=%[3]d dbname=%[4]s user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %[2]d
unix_socket_dir = %[1]s
auth_type = trust
auth_file = %[1]s/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
server_login_retry = 1
server_connect_timeout = 3
server_reset_query =
ignore_startup_parameters = extra_float_digits
`, dir, port, haproxyPort, Database)
}
