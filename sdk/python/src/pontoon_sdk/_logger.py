"""Plain log lines with a level prefix; the observer timestamps them."""

from __future__ import annotations

import sys

# typing for type checkers only: importing the SDK must not import it (see _handler.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional


class Logger:
    """Writes ``[LEVEL] message`` lines: debug and info to stdout, warn and error to stderr."""

    def __init__(
        self,
        out: Optional[Callable[[str], None]] = None,
        err: Optional[Callable[[str], None]] = None,
    ) -> None:
        self._out = out or _stream("stdout")
        self._err = err or _stream("stderr")

    def debug(self, message: object, *args: Any) -> None:
        """Logs at debug level; ``args`` are %-formatted into the message, as with ``logging``."""
        self._out(_lines("DEBUG", message, args))

    def info(self, message: object, *args: Any) -> None:
        """Logs at info level."""
        self._out(_lines("INFO", message, args))

    def warn(self, message: object, *args: Any) -> None:
        """Logs at warn level."""
        self._err(_lines("WARN", message, args))

    warning = warn

    def error(self, message: object, *args: Any) -> None:
        """Logs at error level."""
        self._err(_lines("ERROR", message, args))


def _stream(name: str) -> Callable[[str], None]:
    # Flushed on every line: a piped stdout is block-buffered and would hold logs back until exit.
    def write(text: str) -> None:
        stream = getattr(sys, name)
        stream.write(text)
        stream.flush()

    return write


def _lines(level: str, message: object, args: tuple[Any, ...]) -> str:
    text = str(message) % args if args else str(message)
    # Each physical line carries the level, because the observer splits logs into lines.
    return "".join(f"[{level}] {line}\n" for line in text.splitlines() or [""])
