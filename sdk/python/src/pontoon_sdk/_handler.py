"""The handler form: a function of (input, context) run once per execution, many times per process."""

from __future__ import annotations

import inspect
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable, NoReturn, Optional, Type, TypeVar

from ._context import Context
from ._contract import Contract, ContractError, message_of, parse_input_json, stringify_result
from ._convert import convert

I = TypeVar("I")

Handler = Callable[[Any, Context], Any]
"""A function taking the input and the context and returning the result (or an awaitable of it)."""


@dataclass(frozen=True)
class Outcome:
    """How one call of a handler ended: the result as JSON text, or a failure message."""

    ok: bool
    output: Optional[str] = None
    error: Optional[str] = None

    @staticmethod
    def succeeded(output: str) -> "Outcome":
        """A success with the result as JSON text."""
        return Outcome(ok=True, output=output)

    @staticmethod
    def failed(error: str) -> "Outcome":
        """A failure with its message."""
        return Outcome(ok=False, error=error)


def invoke(handler: Handler, input_json: str, ctx: Context, input_type: Optional[Type[Any]] = None) -> Outcome:
    """Calls a handler with input JSON text; never raises on bad input, an exception or a non-JSON result.

    An async handler is run to completion with ``asyncio.run``. A raised exception's traceback is
    logged through the context's logger, and its message becomes the failure.
    """
    try:
        value = parse_input_json(input_json)
        data = convert(value, input_type) if input_type is not None else value
    except ContractError as exc:
        return Outcome.failed(str(exc))
    try:
        result = handler(data, ctx)
        if inspect.isawaitable(result):
            # Imported here: asyncio is two thirds of the SDK's import time (30 of 47 ms), and
            # only async handlers need it.
            import asyncio

            result = asyncio.run(_await(result))
    except Exception as exc:  # noqa: BLE001 - every failure of user code becomes the attempt's failure
        ctx.logger.error("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
        return Outcome.failed(message_of(exc))
    try:
        return Outcome.succeeded(stringify_result(result))
    except ContractError as exc:
        return Outcome.failed(str(exc))


async def _await(awaitable: Any) -> Any:
    return await awaitable


def serve(handler: Handler, input_type: Optional[Type[Any]] = None) -> NoReturn:
    """Reads this process's input, runs the handler, writes its result or failure, and exits (0 or 1)."""
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
