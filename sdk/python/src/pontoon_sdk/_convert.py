"""Turns parsed JSON into a declared type: dataclasses, lists, tuples, dicts, unions and scalars.

Imported only once an input type is declared, as it needs typing; dataclasses only once the type is
one (its module has imported dataclasses already), as importing it costs 14 ms.
"""

from __future__ import annotations

import sys
import typing
from typing import Any, Type, TypeVar, Union

from ._contract import ContractError

T = TypeVar("T")

_UNION_TYPES: tuple[Any, ...] = (Union,)
if sys.version_info >= (3, 10):
    import types

    _UNION_TYPES = (Union, types.UnionType)


def convert(value: Any, type_: Type[T]) -> T:
    """Converts parsed JSON to ``type_``, or raises ContractError naming where it does not fit."""
    return typing.cast(T, _convert(value, type_, "$"))


def _convert(value: Any, type_: Any, path: str) -> Any:
    if type_ is Any or type_ is object:
        return value
    if type_ is None or type_ is type(None):
        return _expect(value is None, value, "null", path)
    # A pydantic-style model validates itself; the SDK does not depend on pydantic to honour it.
    validate = getattr(type_, "model_validate", None)
    if callable(validate):
        return validate(value)
    origin = typing.get_origin(type_)
    args = typing.get_args(type_)
    if origin in _UNION_TYPES:
        return _convert_union(value, args, type_, path)
    if origin is typing.Literal:
        return _expect(value in args, value, f"one of {list(args)}", path)
    if isinstance(type_, type) and hasattr(type_, "__dataclass_fields__"):  # dataclasses.is_dataclass
        return _convert_dataclass(value, type_, path)
    if origin in (list, typing.List) or type_ is list:
        _expect(isinstance(value, list), value, "an array", path)
        item = args[0] if args else Any
        return [_convert(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin in (tuple, typing.Tuple) or type_ is tuple:
        return _convert_tuple(value, args, path)
    if origin in (dict, typing.Dict) or type_ is dict:
        _expect(isinstance(value, dict), value, "an object", path)
        item = args[1] if len(args) == 2 else Any
        return {k: _convert(v, item, f"{path}.{k}") for k, v in value.items()}
    return _convert_scalar(value, type_, path)


def _convert_union(value: Any, args: tuple[Any, ...], type_: Any, path: str) -> Any:
    for arm in args:
        try:
            return _convert(value, arm, path)
        except (ContractError, TypeError, ValueError):
            continue
    raise ContractError(f"input does not match {_name(type_)} at {path}: got {_kind(value)}")


def _convert_dataclass(value: Any, type_: type, path: str) -> Any:
    import dataclasses

    _expect(isinstance(value, dict), value, f"an object for {type_.__name__}", path)
    hints = typing.get_type_hints(type_)
    fields = {f.name: f for f in dataclasses.fields(type_) if f.init}
    # Unknown keys are ignored so that an input can grow a field without breaking older functions.
    kwargs = {
        name: _convert(value[name], hints.get(name, Any), f"{path}.{name}") for name in fields if name in value
    }
    missing = [
        name
        for name, f in fields.items()
        if name not in value and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ContractError(f"input does not match {type_.__name__} at {path}: missing {', '.join(missing)}")
    return type_(**kwargs)


def _convert_tuple(value: Any, args: tuple[Any, ...], path: str) -> Any:
    _expect(isinstance(value, list), value, "an array", path)
    if not args or (len(args) == 2 and args[1] is Ellipsis):
        item = args[0] if args else Any
        return tuple(_convert(v, item, f"{path}[{i}]") for i, v in enumerate(value))
    _expect(len(value) == len(args), value, f"an array of {len(args)}", path)
    return tuple(_convert(v, a, f"{path}[{i}]") for i, (v, a) in enumerate(zip(value, args)))


def _convert_scalar(value: Any, type_: Any, path: str) -> Any:
    if type_ is bool:
        return _expect(isinstance(value, bool), value, "a boolean", path)
    if type_ is int:
        return _expect(isinstance(value, int) and not isinstance(value, bool), value, "an integer", path)
    if type_ is float:
        _expect(isinstance(value, (int, float)) and not isinstance(value, bool), value, "a number", path)
        return float(value)
    if type_ is str:
        return _expect(isinstance(value, str), value, "a string", path)
    if isinstance(type_, type):
        return _expect(isinstance(value, type_), value, type_.__name__, path)
    raise ContractError(f"cannot convert input to {_name(type_)}")


def _expect(ok: bool, value: Any, wanted: str, path: str) -> Any:
    if not ok:
        raise ContractError(f"input does not match at {path}: expected {wanted}, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _name(type_: Any) -> str:
    return getattr(type_, "__name__", None) or repr(type_)
