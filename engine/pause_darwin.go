package engine

import "time"

// pause sleeps for d. macOS has no nanosleep system call (its libc builds
// one on others), so this is time.Sleep, which may sleep longer when the
// runtime is otherwise idle.
func pause(d time.Duration) { time.Sleep(d) }
