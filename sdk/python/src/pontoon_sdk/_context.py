"""What an attempt knows about itself: ids, attempt number, deadline and a logger."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Optional

from ._contract import ATTEMPT, DEADLINE, EXECUTION_ID, FUNCTION, NAMESPACE, VERSION, ContractError
from ._logger import Logger

UNBOUNDED = timedelta.max
"""What :meth:`Context.remaining` returns when the attempt has no deadline."""


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Context:
    """The context of one attempt; a warm replica builds one per execution."""

    execution_id: str = ""
    attempt: int = 1
    function: str = ""
    namespace: str = ""
    version: str = ""
    deadline: Optional[datetime] = None
    logger: Logger = field(default_factory=Logger)
    clock: Callable[[], datetime] = field(default=_utc_now, repr=False, compare=False)

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
