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
else:
    raise ValueError(mode)
