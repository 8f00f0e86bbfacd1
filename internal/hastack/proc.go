package hastack

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one daemon of the stack, in a process group of its own so that
// killing the group takes whatever it forked in that group too.
type proc struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// runAs is how the daemons are started: PostgreSQL, Patroni and pgbouncer
// refuse to run as root, so as root they run as postgres.
func runAs(args []string) []string {
	if os.Geteuid() != 0 {
		return args
	}
	return append([]string{"runuser", "-u", "postgres", "--"}, args...)
}

// spawn starts args as the daemon name, its output appended to
// dir/name.log.
func spawn(dir, name string, args ...string) (*proc, error) {
	log := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	argv := runAs(args)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	// A clean environment: Patroni must get Debian's python3 and its
	// modules, not whatever a developer's PATH puts first.
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "LANG=C.UTF-8"}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, log: log, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// kill sends SIGKILL to the process group and waits for its leader.
func (p *proc) kill() {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// postgresOwns gives dir to postgres when running as root, so that the
// daemons, running as postgres, can write there.
func postgresOwns(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs a postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

// postmasterPID reads the PID of the postmaster running on dataDir, or 0.
func postmasterPID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// processes lists every process as pid → parent pid and command line.
func processes() map[int]procInfo {
	out := map[int]procInfo{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name in parentheses may hold spaces: the fields
		// after the last ')' are state, ppid, ...
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out[pid] = procInfo{ppid: ppid, cmdline: string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))}
	}
	return out
}

type procInfo struct {
	ppid    int
	cmdline string
}

// withDescendants returns roots and every process descending from them.
func withDescendants(all map[int]procInfo, roots ...int) []int {
	seen := map[int]bool{}
	var out []int
	queue := append([]int(nil), roots...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if pid <= 1 || seen[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, pid)
		for c, info := range all {
			if info.ppid == pid {
				queue = append(queue, c)
			}
		}
	}
	return out
}

// killMentioning SIGKILLs every process whose command line names dir, and
// their descendants: the stack's daemons, and whatever they started that
// left their process groups (Patroni starts the postmaster in a session
// of its own). Only this stack's processes name its unique directory.
func killMentioning(dir string) {
	all := processes()
	var roots []int
	for pid, info := range all {
		if pid != os.Getpid() && strings.Contains(info.cmdline, dir) {
			roots = append(roots, pid)
		}
	}
	for _, pid := range withDescendants(all, roots...) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
