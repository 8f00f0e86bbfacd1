//go:build !linux

package password

// setThreadNice does nothing where a thread's priority is not its own.
func setThreadNice(int) {}
