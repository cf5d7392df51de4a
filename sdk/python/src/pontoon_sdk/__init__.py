"""The Pontoon SDK for Python.

The watcher API (get_input, done, fail), the context, and the handler form: ``serve`` for one
execution per process, ``invoke`` for a warm replica's many.

Importing it loads only os, sys, json and datetime from the standard library: a Python function's
cold start pays for every import here (see _value.py and _handler.py for what was moved out).
"""

from __future__ import annotations

from ._context import UNBOUNDED, Context
from ._contract import Contract, ContractError
from ._handler import Outcome, invoke, serve
from ._logger import Logger
from ._value import FrozenInstanceError
from ._watcher import context, done, fail, get_input, get_input_as_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._handler import Handler


def __getattr__(name: str) -> Any:
    # Handler is a typing alias, made on first use so that importing the SDK does not import typing.
    if name == "Handler":
        from . import _handler

        return _handler.Handler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "UNBOUNDED",
    "Context",
    "Contract",
    "ContractError",
    "FrozenInstanceError",
    "Handler",
    "Logger",
    "Outcome",
    "context",
    "done",
    "fail",
    "get_input",
    "get_input_as_json",
    "invoke",
    "serve",
]
