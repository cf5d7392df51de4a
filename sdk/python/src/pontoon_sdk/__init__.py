"""The Pontoon SDK for Python.

The watcher API (get_input, done, fail), the context, and the handler form: ``serve`` for one
execution per process, ``invoke`` for a warm replica's many.
"""

from ._context import UNBOUNDED, Context
from ._contract import Contract, ContractError
from ._handler import Handler, Outcome, invoke, serve
from ._logger import Logger
from ._watcher import context, done, fail, get_input, get_input_as_json

__all__ = [
    "UNBOUNDED",
    "Context",
    "Contract",
    "ContractError",
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
