"""The watcher API, for a program that runs top to bottom: read the input, then done() or fail()."""

from __future__ import annotations

import os

from ._context import Context
from ._contract import RUNTIME_API, Contract, ContractError, parse_input_json, stringify_result
from ._handler import Outcome, finish

# typing for type checkers only: importing the SDK must not import it (see _handler.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn, Type, TypeVar

    T = TypeVar("T")


def get_input() -> Any:
    """The input, parsed from JSON. Raises ContractError if it cannot be read or parsed.

    In a warm replica there is no input to read (each invocation brings its own to the handler),
    so it raises ContractError rather than give a program form a null input.
    """
    if os.environ.get(RUNTIME_API):
        raise ContractError(IN_REPLICA)
    return parse_input_json(Contract().read_input_json())


IN_REPLICA = (
    "get_input() reads an on-demand attempt's input, and this process is a warm replica: a program "
    "runs on demand only (a handler gets its input as its first argument)"
)


def get_input_as_json(type_: Type[T]) -> T:
    """The input converted to ``type_`` (a dataclass, ``list[int]``, ``tuple[int, int]``, a pydantic model...)."""
    from ._convert import convert

    return convert(get_input(), type_)


def context() -> Context:
    """The context of this attempt, from the environment."""
    return Context.from_env()


def done(result: Any = None) -> NoReturn:
    """Writes the result as JSON and exits 0; a result that cannot be written is a failure (exit 1)."""
    try:
        outcome = Outcome.succeeded(stringify_result(result))
    except ContractError as exc:
        outcome = Outcome.failed(str(exc))
    finish(Contract(), outcome)


def fail(message: str) -> NoReturn:
    """Writes the failure message and exits 1.

    In a warm replica (PONTOON_RUNTIME_API set), where no attempt is under way before ``serve``,
    the message is the replica's start failure: it is posted to the runtime API's init/error.
    """
    if os.environ.get(RUNTIME_API):
        from ._replica import fail_start

        fail_start(message)
    finish(Contract(), Outcome.failed(message))
