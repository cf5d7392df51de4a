"""Plain log lines with a level prefix; the observer timestamps them."""

from __future__ import annotations

import _thread  # builtin, unlike threading: importing it costs a cold start nothing
import sys

# typing for type checkers only: importing the SDK must not import it (see _handler.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional


TAG = "\x1e"
"""Starts a line that belongs to one invocation of a warm replica: the tag, the invocation id, a space."""


class Logger:
    """Writes ``[LEVEL] message`` lines: debug and info to stdout, warn and error to stderr.

    A warm replica's logger for one invocation has that invocation's ``tag`` (its id): every line
    then starts with :data:`TAG`, the id and a space, so that Pontoon files it under that
    invocation's attempt however many run at once (docs/warm-replicas.md, "Logs").
    """

    def __init__(
        self,
        out: Optional[Callable[[str], None]] = None,
        err: Optional[Callable[[str], None]] = None,
        tag: Optional[str] = None,
    ) -> None:
        self._out = out or _stream("stdout")
        self._err = err or _stream("stderr")
        self._prefix = f"{TAG}{tag} " if tag else ""

    def debug(self, message: object, *args: Any) -> None:
        """Logs at debug level; ``args`` are %-formatted into the message, as with ``logging``."""
        self._out(_lines(self._prefix, "DEBUG", message, args))

    def info(self, message: object, *args: Any) -> None:
        """Logs at info level."""
        self._out(_lines(self._prefix, "INFO", message, args))

    def warn(self, message: object, *args: Any) -> None:
        """Logs at warn level."""
        self._err(_lines(self._prefix, "WARN", message, args))

    warning = warn

    def error(self, message: object, *args: Any) -> None:
        """Logs at error level."""
        self._err(_lines(self._prefix, "ERROR", message, args))


# One writer at a time: a warm replica's handlers log from several threads, and a line cut by
# another thread's would lose its tag.
_write_lock = _thread.allocate_lock()


def _stream(name: str) -> Callable[[str], None]:
    # Flushed on every line: a piped stdout is block-buffered and would hold logs back until exit.
    def write(text: str) -> None:
        stream = getattr(sys, name)
        with _write_lock:
            stream.write(text)
            stream.flush()

    return write


def _lines(prefix: str, level: str, message: object, args: tuple[Any, ...]) -> str:
    text = str(message) % args if args else str(message)
    # Each physical line carries the level (and the tag), because the observer splits logs into lines.
    return "".join(f"{prefix}[{level}] {line}\n" for line in text.splitlines() or [""])
