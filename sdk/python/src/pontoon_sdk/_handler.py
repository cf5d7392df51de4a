"""The handler form: a function of (input, context) run once per execution, many times per process."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Awaitable

from ._context import Context
from ._contract import RUNTIME_API, Contract, ContractError, message_of, parse_input_json, stringify_result
from ._value import Value

# Imported when needed rather than here, each measured with `python3 -X importtime`: inspect
# (10 ms; isawaitable is replaced below), traceback (2 ms; only a raising handler needs it),
# typing and the input conversion (4 ms; only a declared input type needs them), asyncio (30 ms;
# only async handlers need it).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, NoReturn, Optional, Type

    Handler = Callable[[Any, Context], Any]
    """A function taking the input and the context and returning the result (or an awaitable of it)."""


def __getattr__(name: str) -> Any:
    # Handler is a typing alias, built on first use so that importing the SDK does not import typing.
    if name == "Handler":
        from typing import Any, Callable

        handler = globals()["Handler"] = Callable[[Any, Context], Any]
        return handler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Outcome(Value):
    """How one call of a handler ended: the result as JSON text, or a failure message.

    Immutable (assigning raises :class:`FrozenInstanceError`, an AttributeError), equal and hashed
    by all three attributes.
    """

    __slots__ = ("ok", "output", "error")
    _compared = ("ok", "output", "error")
    __match_args__ = __slots__  # positional patterns, as the dataclass allowed

    ok: bool
    output: Optional[str]
    error: Optional[str]

    def __init__(self, ok: bool, output: Optional[str] = None, error: Optional[str] = None) -> None:
        """An outcome; prefer :meth:`succeeded` and :meth:`failed`."""
        self._set("ok", ok)
        self._set("output", output)
        self._set("error", error)

    @staticmethod
    def succeeded(output: str) -> Outcome:
        """A success with the result as JSON text."""
        return Outcome(ok=True, output=output)

    @staticmethod
    def failed(error: str) -> Outcome:
        """A failure with its message."""
        return Outcome(ok=False, error=error)


def invoke(handler: Handler, input_json: str, ctx: Context, input_type: Optional[Type[Any]] = None) -> Outcome:
    """Calls a handler with input JSON text; never raises on bad input, an exception or a non-JSON result.

    An async handler is run to completion with ``asyncio.run``. A raised exception's traceback is
    logged through the context's logger, and its message becomes the failure.
    """
    try:
        data = parse_input_json(input_json)
    except ContractError as exc:
        return Outcome.failed(str(exc))
    return invoke_parsed(handler, data, ctx, input_type)


def invoke_parsed(handler: Handler, data: Any, ctx: Context, input_type: Optional[Type[Any]] = None) -> Outcome:
    """Like :func:`invoke`, with the input already parsed from JSON (a replica's invocation carries it so)."""
    try:
        if input_type is not None:
            from ._convert import convert

            data = convert(data, input_type)
    except ContractError as exc:
        return Outcome.failed(str(exc))
    try:
        result = handler(data, ctx)
        if _is_awaitable(result):
            import asyncio

            result = asyncio.run(_await(result))
    except Exception as exc:  # noqa: BLE001 - every failure of user code becomes the attempt's failure
        import traceback

        ctx.logger.error("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
        return Outcome.failed(message_of(exc))
    try:
        return Outcome.succeeded(stringify_result(result))
    except ContractError as exc:
        return Outcome.failed(str(exc))


_ITERABLE_COROUTINE = 0x100  # inspect.CO_ITERABLE_COROUTINE: a generator made a coroutine by types.coroutine


def _is_awaitable(value: Any) -> bool:
    # What inspect.isawaitable answers, without importing inspect.
    if isinstance(value, types.GeneratorType):
        return bool(value.gi_code.co_flags & _ITERABLE_COROUTINE)
    return isinstance(value, Awaitable)


async def _await(awaitable: Any) -> Any:
    return await awaitable


def serve(handler: Handler, input_type: Optional[Type[Any]] = None) -> NoReturn:
    """Reads this process's input, runs the handler, writes its result or failure, and exits (0 or 1).

    Started as a warm replica (PONTOON_RUNTIME_API set), it runs the handler for every invocation
    the runtime API hands out instead, until Pontoon drains the replica (docs/warm-replicas.md).
    """
    if os.environ.get(RUNTIME_API):
        from ._replica import serve_replica

        serve_replica(handler, input_type)
    contract = Contract()
    try:
        outcome = invoke(handler, contract.read_input_json(), Context.from_env(), input_type)
    except ContractError as exc:
        outcome = Outcome.failed(str(exc))
    finish(contract, outcome)


def finish(contract: Contract, outcome: Outcome) -> NoReturn:
    """Writes an outcome through the contract and exits; a result that cannot be written fails."""
    if outcome.ok:
        try:
            contract.write_output_json(outcome.output or "null")
            _exit(0)
        except ContractError as exc:
            outcome = Outcome.failed(str(exc))
    try:
        contract.write_error(outcome.error or "failed")
    except ContractError:
        # The error file is unwritable; the message still reaches the logs and the exit code fails.
        sys.stderr.write(f"{outcome.error}\n")
    _exit(1)


def _exit(code: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)
