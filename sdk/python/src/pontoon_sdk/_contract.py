"""The file side of the function contract: where the input is read and the result or failure written."""

from __future__ import annotations

import json
import os
import sys

# typing for type checkers only: importing the SDK must not import it (see _handler.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Mapping, Optional

INPUT = "PONTOON_INPUT"
"""Path of the file that holds the input as JSON."""
OUTPUT = "PONTOON_OUTPUT"
"""Path where the result is written as JSON."""
ERROR = "PONTOON_ERROR"
"""Path where a failing program writes its failure message."""
EXECUTION_ID = "PONTOON_EXECUTION_ID"
"""The execution id."""
ATTEMPT = "PONTOON_ATTEMPT"
"""The attempt number, from 1."""
FUNCTION = "PONTOON_FUNCTION"
"""The function's name."""
NAMESPACE = "PONTOON_NAMESPACE"
"""The function's namespace."""
VERSION = "PONTOON_VERSION"
"""The function's version."""
DEADLINE = "PONTOON_DEADLINE"
"""The attempt's deadline, an ISO 8601 timestamp."""
TRACEPARENT = "TRACEPARENT"
"""The W3C trace context of the attempt's span, when the execution has a trace."""
TRACESTATE = "TRACESTATE"
"""The W3C tracestate that goes with TRACEPARENT, when the caller sent one."""
RUNTIME_API = "PONTOON_RUNTIME_API"
"""Set only in a warm replica: host and port of the runtime API it takes invocations from."""


class ContractError(Exception):
    """The contract cannot be honoured: an unreadable input, a result that is not JSON."""


def _print_to(stream_name: str) -> Callable[[str], None]:
    # Looked up at call time so that a replaced sys.stdout (pytest's capture) is honoured.
    def write(text: str) -> None:
        stream = getattr(sys, stream_name)
        stream.write(text)
        stream.flush()

    return write


class Contract:
    """The contract over one environment; it never exits, so it can be tested in-process."""

    def __init__(
        self,
        env: Optional[Mapping[str, str]] = None,
        out: Optional[Callable[[str], None]] = None,
        err: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.env: Mapping[str, str] = os.environ if env is None else env
        self._out = out or _print_to("stdout")
        self._err = err or _print_to("stderr")

    def read_input_json(self) -> str:
        """The input as JSON text; ``null`` when the program runs outside Pontoon (no PONTOON_INPUT)."""
        path = self.env.get(INPUT)
        if not path:
            return "null"
        try:
            with open(path, encoding="utf-8") as file:
                return file.read()
        except OSError as exc:
            raise ContractError(f"cannot read the input file {path} ({INPUT}): {exc}") from exc

    def write_output_json(self, text: str) -> None:
        """Writes the result JSON text to PONTOON_OUTPUT, or prints it when there is none."""
        self._write(OUTPUT, text, self._out)

    def write_error(self, message: str) -> None:
        """Writes the failure message to PONTOON_ERROR, or prints it when there is none."""
        self._write(ERROR, message, self._err)

    def _write(self, name: str, text: str, fallback: Callable[[str], None]) -> None:
        path = self.env.get(name)
        if not path:
            fallback(text + "\n")
            return
        try:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError as exc:
            raise ContractError(f"cannot write {path} ({name}): {exc}") from exc


def parse_input_json(text: str) -> Any:
    """Parses input JSON text; an empty text is None."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ContractError(f"input is not valid JSON: {exc}") from exc


def stringify_result(value: Any) -> str:
    """Serializes a result to JSON text (None is ``null``); NaN and Infinity are refused, as JSON has none."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ContractError(f"result is not JSON-serializable: {exc}") from exc


def message_of(exc: BaseException) -> str:
    """The message a failure carries: the exception's own text, else its class name."""
    text = str(exc)
    return text if text.strip() else type(exc).__name__
