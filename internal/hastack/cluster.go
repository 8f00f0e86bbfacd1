package hastack

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Member is one node as Patroni's /cluster endpoint describes it.
type Member struct {
	Name  string `json:"name"`
	Role  string `json:"role"`  // leader, sync_standby, replica
	State string `json:"state"` // running, streaming, starting, ...
}

var httpClient = &http.Client{Timeout: 2 * time.Second}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return nil
}

// Cluster asks the nodes' Patroni, in turn, for the cluster's members as
// the DCS has them.
func (s *Stack) Cluster(ctx context.Context) ([]Member, error) {
	var errs []error
	for _, n := range s.Nodes {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/cluster", n.RESTPort), nil)
		if err != nil {
			return nil, err
		}
		res, err := httpClient.Do(req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var c struct {
			Members []Member `json:"members"`
		}
		err = json.NewDecoder(res.Body).Decode(&c)
		res.Body.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: /cluster: %w", n, err))
			continue
		}
		return c.Members, nil
	}
	return nil, errors.Join(errs...)
}

// Primary returns the node the DCS names leader, once its Patroni also
// answers /primary with 200 (what HAProxy checks).
func (s *Stack) Primary(ctx context.Context) (*Node, error) {
	members, err := s.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if m.Role == "leader" && m.State == "running" {
			n := s.Node(m.Name)
			if n == nil {
				return nil, fmt.Errorf("unknown leader %q", m.Name)
			}
			if err := httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/primary", n.RESTPort)); err != nil {
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("no running leader: %+v", members)
}

// CrashPrimary kills -9, all at once, the primary's Patroni, its
// postmaster and every backend, and returns the node. Killing only the
// postmaster would not do: Patroni restarts it in place instead of
// failing over. The node stays down until Restart.
func (s *Stack) CrashPrimary(ctx context.Context) (*Node, error) {
	n, err := s.Primary(ctx)
	if err != nil {
		return nil, err
	}
	all := processes()
	pids := withDescendants(all, n.patroni.cmd.Process.Pid)
	if pm := postmasterPID(filepath.Join(n.dir, "data")); pm > 0 {
		pids = append(pids, withDescendants(all, pm)...)
	} else {
		return nil, fmt.Errorf("%s: no postmaster.pid", n)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	n.patroni.kill()
	n.crashed = true
	return n, nil
}

// killPostmaster kills the postmaster running on dataDir and every
// process it started.
func killPostmaster(dataDir string) {
	pm := postmasterPID(dataDir)
	if pm <= 0 {
		return
	}
	for _, pid := range withDescendants(processes(), pm) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// WaitRoles polls until leader is the primary and standby its
// synchronous standby, streaming, and HAProxy routes to leader alone; it
// returns what it last saw when ctx ends first.
func (s *Stack) WaitRoles(ctx context.Context, leader, standby *Node) error {
	return poll(ctx, 200*time.Millisecond, func() error {
		if err := s.died(); err != nil {
			return err
		}
		members, err := s.Cluster(ctx)
		if err != nil {
			return err
		}
		roles := map[string]Member{}
		for _, m := range members {
			roles[m.Name] = m
		}
		if m := roles[leader.Name]; m.Role != "leader" || m.State != "running" {
			return fmt.Errorf("%s is not the running leader: %+v", leader, members)
		}
		if m := roles[standby.Name]; m.Role != "sync_standby" || (m.State != "running" && m.State != "streaming") {
			return fmt.Errorf("%s is not a running synchronous standby: %+v", standby, members)
		}
		if err := streaming(ctx, standby); err != nil {
			return err
		}
		if s.haproxy == nil {
			return nil
		}
		up, err := s.routed(ctx)
		if err != nil {
			return err
		}
		if len(up) != 1 || up[0] != leader.Name {
			return fmt.Errorf("HAProxy routes to %v, not to %s alone", up, leader)
		}
		return nil
	})
}

// streaming checks, on the standby's own PostgreSQL, that it is in
// recovery and receiving WAL.
func streaming(ctx context.Context, n *Node) error {
	db, err := sql.Open("postgres", strings.Replace(n.DSN(), "/"+Database+"?", "/postgres?", 1))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var recovery bool
	var status sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT pg_is_in_recovery(), (SELECT status FROM pg_stat_wal_receiver)").Scan(&recovery, &status); err != nil {
		return fmt.Errorf("%s: %w", n, err)
	}
	if !recovery || status.String != "streaming" {
		return fmt.Errorf("%s: in recovery %v, WAL receiver %q", n, recovery, status.String)
	}
	return nil
}

// routed returns the servers HAProxy's "primary" proxy has up, from its
// stats socket.
func (s *Stack) routed(ctx context.Context) ([]string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", filepath.Join(s.dir, "haproxy.sock"))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("show stat\n")); err != nil {
		return nil, err
	}
	var up []string
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		// pxname,svname,...; status is the 18th field.
		f := strings.Split(sc.Text(), ",")
		if len(f) > 17 && f[0] == "primary" && f[1] != "FRONTEND" && f[1] != "BACKEND" && strings.HasPrefix(f[17], "UP") {
			up = append(up, f[1])
		}
	}
	return up, sc.Err()
}
