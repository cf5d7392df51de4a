"""What an attempt knows about itself: ids, attempt number, deadline and a logger."""

from __future__ import annotations

import os
import re  # free: json, which every attempt needs, imports it too
from datetime import datetime, timedelta, timezone

from ._contract import ATTEMPT, DEADLINE, EXECUTION_ID, FUNCTION, NAMESPACE, VERSION, ContractError
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

    __slots__ = ("execution_id", "attempt", "function", "namespace", "version", "deadline", "logger", "clock")
    _compared = ("execution_id", "attempt", "function", "namespace", "version", "deadline", "logger")
    __match_args__ = __slots__  # positional patterns, as the dataclass allowed

    execution_id: str
    attempt: int
    function: str
    namespace: str
    version: str
    deadline: Optional[datetime]
    logger: Logger
    clock: Callable[[], datetime]

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
    ) -> None:
        """A context; without a logger it gets a new :class:`Logger` to stdout and stderr."""
        self._set("execution_id", execution_id)
        self._set("attempt", attempt)
        self._set("function", function)
        self._set("namespace", namespace)
        self._set("version", version)
        self._set("deadline", deadline)
        self._set("logger", Logger() if logger is None else logger)
        self._set("clock", clock)

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
