"""Immutable value classes (Context, Outcome) without the dataclasses module.

Both were frozen dataclasses; ``import dataclasses`` pulls in ``inspect`` and cost 14 of the SDK's
27 ms of import time (``python3 -X importtime``), paid by every cold start of a Python function.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Tuple


class FrozenInstanceError(AttributeError):
    """Raised on assigning or deleting an attribute of a Context or an Outcome, which are immutable.

    An AttributeError, as ``dataclasses.FrozenInstanceError`` is, so code written against the
    former dataclasses still catches it.
    """


class Value:
    """Base of an immutable value: slots set once by ``__init__``, equal and hashed by ``_compared``."""

    __slots__ = ()

    _compared: Tuple[str, ...] = ()
    """The attributes that take part in ``==``, ``hash`` and ``repr``, in order."""

    def _set(self, name: str, value: Any) -> None:
        # The only way in: ``__setattr__`` below refuses every assignment.
        object.__setattr__(self, name, value)

    def _values(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._compared)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._compared)
        return f"{type(self).__qualname__}({fields})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> Tuple[Any, ...]:
        # copy.copy and pickle would restore slots with setattr, which is refused; rebuild through
        # __init__ instead, whose parameters are the slots in order.
        return (type(self), tuple(getattr(self, name) for name in self.__slots__))
