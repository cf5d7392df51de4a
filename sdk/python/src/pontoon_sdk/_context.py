"""What an attempt knows about itself: ids, attempt number, deadline and a logger."""

from __future__ import annotations

import os
import re  # free: json, which every attempt needs, imports it too
from datetime import datetime, timedelta, timezone

from ._contract import ATTEMPT, DEADLINE, EXECUTION_ID, FUNCTION, NAMESPACE, TRACEPARENT, TRACESTATE, VERSION, ContractError
from ._logger import Logger
from ._value import Value

# typing is imported for type checkers only: it costs ~4 ms at run time where nothing else loads it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Mapping, Optional

UNBOUNDED = timedelta.max
"""What :meth:`Context.remaining` returns when the attempt has no deadline."""


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Context(Value):
    """The context of one attempt; a warm replica builds one per execution.

    Immutable (assigning raises :class:`FrozenInstanceError`, an AttributeError); equal, hashed and
    shown by every attribute but ``clock``. A plain class rather than a frozen dataclass, so that
    importing the SDK does not import ``dataclasses`` (see _value.py).
    """

    __slots__ = ("execution_id", "attempt", "function", "namespace", "version", "deadline", "logger", "clock", "traceparent", "tracestate")
    _compared = ("execution_id", "attempt", "function", "namespace", "version", "deadline", "logger", "traceparent", "tracestate")
    __match_args__ = __slots__  # positional patterns, as the dataclass allowed

    execution_id: str
    attempt: int
    function: str
    namespace: str
    version: str
    deadline: Optional[datetime]
    logger: Logger
    clock: Callable[[], datetime]
    traceparent: Optional[str]
    """The W3C traceparent of this attempt's span (``00-<trace id>-<span id>-<flags>``), or None
    when the execution has no trace: start your own spans under it to join the execution's trace."""
    tracestate: Optional[str]
    """The W3C tracestate that goes with traceparent, when the caller sent one."""

    def __init__(
        self,
        execution_id: str = "",
        attempt: int = 1,
        function: str = "",
        namespace: str = "",
        version: str = "",
        deadline: Optional[datetime] = None,
        logger: Optional[Logger] = None,
        clock: Callable[[], datetime] = _utc_now,
        traceparent: Optional[str] = None,
        tracestate: Optional[str] = None,
    ) -> None:
        """A context; without a logger it gets a new :class:`Logger` to stdout and stderr.

        A malformed traceparent is ignored (with its tracestate), as the W3C recommendation asks.
        """
        self._set("execution_id", execution_id)
        self._set("attempt", attempt)
        self._set("function", function)
        self._set("namespace", namespace)
        self._set("version", version)
        self._set("deadline", deadline)
        self._set("logger", Logger() if logger is None else logger)
        self._set("clock", clock)
        valid = _trace_id(traceparent) is not None
        self._set("traceparent", traceparent.strip() if valid and traceparent else None)
        self._set("tracestate", tracestate.strip() if valid and tracestate and tracestate.strip() else None)

    @property
    def trace_id(self) -> Optional[str]:
        """The trace id (32 hex digits) of traceparent, or None without one."""
        return _trace_id(self.traceparent)

    @classmethod
    def from_env(
        cls,
        env: Optional[Mapping[str, str]] = None,
        logger: Optional[Logger] = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> "Context":
        """The context an environment describes; missing values are empty, attempt defaults to 1."""
        env = os.environ if env is None else env
        return cls(
            execution_id=env.get(EXECUTION_ID, ""),
            attempt=_parse_attempt(env.get(ATTEMPT)),
            function=env.get(FUNCTION, ""),
            namespace=env.get(NAMESPACE, ""),
            version=env.get(VERSION, ""),
            deadline=_parse_deadline(env.get(DEADLINE)),
            logger=logger or Logger(),
            clock=clock,
            traceparent=env.get(TRACEPARENT),
            tracestate=env.get(TRACESTATE),
        )

    def remaining(self) -> timedelta:
        """Time left before the deadline (zero once past it), or :data:`UNBOUNDED` without one."""
        if self.deadline is None:
            return UNBOUNDED
        return max(timedelta(0), self.deadline - self.clock())


def _parse_attempt(value: Optional[str]) -> int:
    try:
        attempt = int((value or "").strip())
    except ValueError:
        return 1
    return attempt if attempt >= 1 else 1


_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")


def _trace_id(traceparent: Optional[str]) -> Optional[str]:
    """The trace id of a well-formed W3C traceparent, else None."""
    match = _TRACEPARENT.fullmatch((traceparent or "").strip())
    if match is None:
        return None
    version, trace_id, span_id, _, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None) or not trace_id.strip("0") or not span_id.strip("0"):
        return None
    return trace_id


_FRACTION = re.compile(r"\.(\d+)")


def _parse_deadline(value: Optional[str]) -> Optional[datetime]:
    if value is None or not value.strip():
        return None
    text = value.strip()
    # Python before 3.11 accepts neither `Z` nor fractions other than 3 or 6 digits.
    text = re.sub(r"[zZ]$", "+00:00", text)
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        deadline = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ContractError(f"{DEADLINE} is not an ISO 8601 timestamp: {value}") from exc
    return deadline if deadline.tzinfo else deadline.replace(tzinfo=timezone.utc)
