"""The prime finder the tests run, as in the README."""

from __future__ import annotations


def primes_between(start: int, end: int) -> list[int]:
    """The primes in [start, end]."""
    primes = []
    for n in range(max(2, start), end + 1):
        if all(n % d for d in range(2, int(n**0.5) + 1)):
            primes.append(n)
    return primes
