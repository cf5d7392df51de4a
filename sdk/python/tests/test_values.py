"""Context and Outcome: immutable values, equal by content, and an SDK that imports little."""

import copy
import os
import subprocess
import sys
import types
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pontoon_sdk import Context, FrozenInstanceError, Logger, Outcome, invoke

SRC = Path(__file__).resolve().parent.parent / "src"
DEADLINE = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def early() -> datetime:
    return datetime(2029, 1, 1, tzinfo=timezone.utc)


def late() -> datetime:
    return datetime(2031, 1, 1, tzinfo=timezone.utc)


def test_a_context_takes_its_attributes_by_position_or_keyword_with_the_former_defaults() -> None:
    logger = Logger()
    ctx = Context("ex-1", 2, "primes", "team-a", "7", DEADLINE, logger, early)
    assert (ctx.execution_id, ctx.attempt, ctx.function, ctx.namespace, ctx.version) == ("ex-1", 2, "primes", "team-a", "7")
    assert (ctx.deadline, ctx.logger, ctx.clock) == (DEADLINE, logger, early)
    bare = Context()
    assert (bare.execution_id, bare.attempt, bare.function, bare.namespace, bare.version, bare.deadline) == ("", 1, "", "", "", None)
    assert isinstance(bare.logger, Logger)
    assert Context(logger=None).logger is not None


def test_contexts_with_the_same_attributes_are_equal_and_hash_alike_whatever_their_clock() -> None:
    logger = Logger()
    a = Context(execution_id="ex-1", attempt=2, deadline=DEADLINE, logger=logger, clock=early)
    b = Context(execution_id="ex-1", attempt=2, deadline=DEADLINE, logger=logger, clock=late)
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != Context(execution_id="ex-1", attempt=3, deadline=DEADLINE, logger=logger)
    # Each context made without a logger has one of its own, so they differ, as the dataclass did.
    assert Context() != Context()
    assert a != ("ex-1", 2) and a.__eq__(object()) is NotImplemented


def test_a_context_cannot_be_changed_assigning_or_deleting_raises_an_attribute_error() -> None:
    ctx = Context(execution_id="ex-1")
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'attempt'"):
        ctx.attempt = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ctx.execution_id = "ex-2"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        ctx.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError):
        del ctx.function
    assert (ctx.execution_id, ctx.attempt, ctx.function) == ("ex-1", 1, "")
    assert issubclass(FrozenInstanceError, AttributeError)
    assert not hasattr(ctx, "__dict__")


def test_a_context_shows_every_attribute_but_its_clock() -> None:
    text = repr(Context(execution_id="ex-1", attempt=2, function="primes", deadline=DEADLINE, clock=early))
    assert text.startswith(
        "Context(execution_id='ex-1', attempt=2, function='primes', namespace='', version='', "
        "deadline=datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.timezone.utc), logger=<"
    )
    assert text.endswith(">, traceparent=None, tracestate=None)") and "clock" not in text


def test_a_context_copies_to_an_equal_context() -> None:
    ctx = Context(execution_id="ex-1", deadline=DEADLINE, clock=early)
    twin = copy.copy(ctx)
    assert twin == ctx and twin is not ctx and twin.clock is early


def test_outcomes_are_equal_by_ok_output_and_error_and_immutable() -> None:
    assert Outcome.succeeded("[2,3]") == Outcome(True, "[2,3]") == Outcome(ok=True, output="[2,3]", error=None)
    assert hash(Outcome.failed("no")) == hash(Outcome(False, None, "no"))
    assert Outcome.succeeded("1") != Outcome.succeeded("2") and Outcome.succeeded("1") != Outcome.failed("1")
    outcome = Outcome.failed("no")
    with pytest.raises(FrozenInstanceError):
        outcome.ok = True  # type: ignore[misc]
    assert repr(outcome) == "Outcome(ok=False, output=None, error='no')"
    assert copy.deepcopy(outcome) == outcome


def test_a_handler_returning_a_generator_based_coroutine_is_awaited_and_a_plain_generator_is_not() -> None:
    @types.coroutine
    def legacy() -> object:
        yield from ()
        return 5

    assert invoke(lambda data, ctx: legacy(), "null", Context(logger=Logger(print, print))) == Outcome.succeeded("5")
    plain = invoke(lambda data, ctx: (n for n in ()), "null", Context(logger=Logger(print, print)))
    assert not plain.ok and plain.error is not None and plain.error.startswith("result is not JSON-serializable")


def test_importing_the_sdk_imports_none_of_the_slow_standard_modules() -> None:
    # -S: without site, whose .pth files may import typing themselves; what is left is the SDK's own doing.
    probe = (
        "import sys, pontoon_sdk; "
        "print(sorted(m for m in ('typing', 'dataclasses', 'inspect', 'traceback', 'asyncio') if m in sys.modules)); "
        "from pontoon_sdk import Handler; print(Handler.__module__)"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SRC)}
    child = subprocess.run([sys.executable, "-S", "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines() == ["[]", "typing"]


def test_outcomes_and_contexts_match_positional_patterns_in_constructor_order() -> None:
    # Asserted on __match_args__ rather than with `match`, which Python 3.9 (still supported) cannot parse.
    assert Outcome.__match_args__ == ("ok", "output", "error")
    assert Context.__match_args__ == (
        "execution_id", "attempt", "function", "namespace", "version", "deadline", "logger", "clock", "traceparent", "tracestate",
    )
