package password

import "golang.org/x/sys/unix"

// setThreadNice sets the calling thread's niceness: on Linux a thread's
// priority is its own (setpriority on its thread id). Raising niceness
// needs no privilege; a failure leaves the thread at normal priority.
func setThreadNice(nice int) {
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), nice)
}
