package pontoon

import "time"

// PreemptStartFor makes whatever goroutine starts invocations yield for d first, as the scheduler
// may preempt it there under load.
func PreemptStartFor(d time.Duration) {
	preemptStart = func() { time.Sleep(d) }
}

// LaneSlots is laneSlots, for the tests of how a replica splits its slots.
var LaneSlots = laneSlots
