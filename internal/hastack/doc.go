// Package hastack starts, for one test, a real high-availability
// PostgreSQL stack from Debian's packages: etcd, two PostgreSQL nodes
// managed by Patroni with synchronous replication, HAProxy routing to
// whichever node Patroni's REST API calls the primary, and pgbouncer in
// transaction mode in front of HAProxy. A test can crash the primary
// (kill -9 of Patroni, the postmaster and its backends), bring the node
// back as a supervisor would, and poll until the roles have settled.
//
// Everything runs in a temporary directory on free ports and is killed
// when the test ends, passed or failed. It must never touch the machine's
// shared services (PostgreSQL on 5432, Redis, NATS), and it runs only
// when GATEHOUSE_HA_TEST=1: it needs the packages etcd-server, patroni,
// python3-etcd, haproxy, pgbouncer and postgresql-15, and takes tens of
// seconds.
//
// It is test support: the binary never imports it.
package hastack
