package password

import "runtime"

// A workspace with a thread runs its derivations on an OS thread of its
// own whose scheduling priority is lowered (Options.Nice): hashing then
// takes the CPU that nothing else wants, and everything else (reads,
// refreshes, the database on the same host) runs first. On two cores,
// with both hash workers busy, a refresh's p99 rose from 10 ms to 80 ms at
// normal priority.
type thread struct {
	jobs chan func()
}

// startThread starts the worker's thread: locked to its goroutine, niced,
// serving jobs one at a time for the life of the process.
func startThread(nice int) *thread {
	t := &thread{jobs: make(chan func())}
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread keeps its priority
		setThreadNice(nice)
		close(ready)
		for job := range t.jobs {
			job()
		}
	}()
	<-ready
	return t
}

// run runs job on the thread and waits for it.
func (t *thread) run(job func()) {
	done := make(chan struct{})
	t.jobs <- func() { job(); close(done) }
	<-done
}
