"""invoke: the handler core a warm replica calls many times."""

from dataclasses import dataclass
from typing import List, Optional, Tuple

from primes import primes_between

from pontoon_sdk import Context, Logger, Outcome, invoke


def new_context(errors: Optional[list] = None) -> Context:
    sink = errors if errors is not None else []
    return Context(execution_id="ex-1", attempt=1, function="primes", logger=Logger(lambda _: None, sink.append))


@dataclass
class Range:
    start: int
    end: int
    label: str = "range"


def test_returns_the_handlers_result_as_json_text() -> None:
    outcome = invoke(lambda bounds, ctx: primes_between(*bounds), "[1, 20]", new_context())
    assert outcome == Outcome.succeeded("[2,3,5,7,11,13,17,19]")


def test_converts_the_input_to_a_declared_type_ignoring_unknown_fields() -> None:
    outcome = invoke(lambda r, ctx: [r.end - r.start, r.label], '{"start": 3, "end": 10, "extra": 1}', new_context(), Range)
    assert outcome == Outcome.succeeded('[7,"range"]')
    pairs = invoke(lambda p, ctx: sum(a * b for a, b in p), "[[1, 2], [3, 4]]", new_context(), List[Tuple[int, int]])
    assert pairs == Outcome.succeeded("14")


def test_fails_on_input_that_does_not_fit_the_type_naming_where() -> None:
    outcome = invoke(lambda r, ctx: r, '{"start": "3", "end": 10}', new_context(), Range)
    assert not outcome.ok
    assert outcome.error == "input does not match at $.start: expected an integer, got a string"
    missing = invoke(lambda r, ctx: r, '{"start": 3}', new_context(), Range)
    assert missing.error == "input does not match Range at $: missing end"


def test_runs_an_async_handler_to_completion_and_passes_it_the_context() -> None:
    async def handler(data: object, ctx: Context) -> str:
        return f"{ctx.function}#{ctx.attempt}"

    assert invoke(handler, "null", new_context()) == Outcome.succeeded('"primes#1"')


def test_turns_an_exception_into_a_failure_with_its_message_and_logs_its_traceback() -> None:
    errors: list = []

    def handler(data: object, ctx: Context) -> None:
        raise ValueError("range too large")

    assert invoke(handler, "null", new_context(errors)) == Outcome.failed("range too large")
    logs = "".join(errors)
    assert logs.startswith("[ERROR] Traceback (most recent call last):\n")
    assert "[ERROR] ValueError: range too large\n" in logs


def test_names_the_exception_class_when_it_has_no_message() -> None:
    def handler(data: object, ctx: Context) -> None:
        raise KeyError()

    assert invoke(handler, "null", new_context()) == Outcome.failed("KeyError")


def test_fails_on_input_that_is_not_json_without_calling_the_handler() -> None:
    calls = []
    outcome = invoke(lambda data, ctx: calls.append(data), "[1,", new_context())
    assert not outcome.ok and outcome.error is not None
    assert outcome.error.startswith("input is not valid JSON")
    assert calls == []


def test_fails_on_a_result_that_cannot_be_written_as_json() -> None:
    outcome = invoke(lambda data, ctx: {1, 2}, "null", new_context())
    assert not outcome.ok and outcome.error is not None
    assert outcome.error.startswith("result is not JSON-serializable")
    assert invoke(lambda data, ctx: float("nan"), "null", new_context()).ok is False


def test_can_be_called_many_times_in_one_process_each_call_independent() -> None:
    def handler(bounds: list, ctx: Context) -> list:
        if bounds[0] < 0:
            raise ValueError("negative")
        return primes_between(*bounds)

    for i in range(50):
        outcome = invoke(handler, "[1, 10]" if i % 2 == 0 else "[-1, 10]", new_context())
        assert outcome == (Outcome.succeeded("[2,3,5,7]") if i % 2 == 0 else Outcome.failed("negative"))
