package pontoon

import "time"

// PreemptStartFor makes whatever goroutine starts invocations yield for d first, as the scheduler
// may preempt it there under load.
func PreemptStartFor(d time.Duration) {
	preemptStart = func() { time.Sleep(d) }
}
