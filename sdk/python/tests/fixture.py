"""A tiny function program the exit tests run as a child process; the argument picks what it does."""

import sys
from typing import Tuple

from primes import primes_between

import pontoon_sdk as pontoon

mode = sys.argv[1]
if mode == "watcher-done":
    start, end = pontoon.get_input_as_json(Tuple[int, int])
    ctx = pontoon.context()
    ctx.logger.info("attempt %d of %s", ctx.attempt, ctx.function)
    pontoon.done(primes_between(start, end))
    raise AssertionError("done() returned")
elif mode == "watcher-fail":
    pontoon.fail("no primes today")
    raise AssertionError("fail() returned")
elif mode == "serve":

    def handler(bounds: Tuple[int, int], ctx: pontoon.Context) -> list:
        start, end = bounds
        if start > end:
            raise ValueError("from > to")
        return primes_between(start, end)

    pontoon.serve(handler, Tuple[int, int])
elif mode == "serve-busy":
    # A handler that logs through its context, takes a while and reports how many ran at once.
    import threading
    import time

    lock = threading.Lock()
    running = [0]

    def busy(bounds: object, ctx: pontoon.Context) -> object:
        if bounds == "not json":
            return {1, 2}
        start, end = bounds  # type: ignore[misc]
        if start > end:
            raise ValueError("from > to")
        ctx.logger.info("primes between %d and %d, attempt %d of %s", start, end, ctx.attempt, ctx.execution_id)
        with lock:
            running[0] += 1
            peak = running[0]
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return {"primes": primes_between(start, end), "peak": peak}

    pontoon.serve(busy)
elif mode == "serve-quick":
    # Returns at once: each results post's answer refills the slots it frees. Whatever thread
    # starts invocations yields first, as the OS may preempt it anywhere (the GIL makes that rare
    # here, not impossible; a free-threaded build or another SDK's threads hit it under load).
    import time

    from pontoon_sdk import _replica

    start = _replica.Replica._start

    def preempted_start(self: _replica.Replica, invocations: list) -> None:
        time.sleep(0.001)
        start(self, invocations)

    _replica.Replica._start = preempted_start  # type: ignore[method-assign]
    pontoon.serve(lambda _input, _ctx: None)
elif mode == "trace":
    # What the context says of the trace: once per process (cold) or per invocation (warm).
    pontoon.serve(lambda _input, ctx: {"traceparent": ctx.traceparent, "tracestate": ctx.tracestate, "traceId": ctx.trace_id})
elif mode == "missing-handler":
    pontoon.fail("handler fixture.nothing: fixture has no function nothing")
else:
    raise ValueError(mode)
