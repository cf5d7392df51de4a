"""The prime finder: input [from, to], result the primes in that range."""

from typing import Any, List

from pontoon_sdk import Context, fail


def primes(bounds: Any, ctx: Context) -> List[int]:
    """Returns the primes between bounds[0] and bounds[1]; bad input fails the execution."""
    if not (isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, int) for b in bounds) and bounds[0] <= bounds[1]):
        fail("input must be [from, to] with integers from <= to")
    start, end = bounds
    ctx.logger.info("looking for primes between %d and %d", start, end)
    return [n for n in range(max(2, start), end + 1) if all(n % d for d in range(2, int(n**0.5) + 1))]
