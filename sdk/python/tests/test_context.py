"""Context: what an attempt knows about itself."""

from datetime import datetime, timedelta, timezone

import pytest

from pontoon_sdk import UNBOUNDED, Context, ContractError, Logger

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def clock() -> datetime:
    return NOW


def test_reads_ids_attempt_function_namespace_version_and_deadline_from_the_environment() -> None:
    ctx = Context.from_env(
        {
            "PONTOON_EXECUTION_ID": "ex-1",
            "PONTOON_ATTEMPT": "3",
            "PONTOON_FUNCTION": "primes",
            "PONTOON_NAMESPACE": "team-a",
            "PONTOON_VERSION": "7",
            "PONTOON_DEADLINE": "2030-01-01T12:00:30Z",
        },
        clock=clock,
    )
    assert (ctx.execution_id, ctx.attempt, ctx.function, ctx.namespace, ctx.version) == (
        "ex-1",
        3,
        "primes",
        "team-a",
        "7",
    )
    assert ctx.deadline == datetime(2030, 1, 1, 12, 0, 30, tzinfo=timezone.utc)
    assert ctx.remaining() == timedelta(seconds=30)


def test_accepts_a_deadline_with_a_numeric_offset_and_any_fraction() -> None:
    ctx = Context.from_env({"PONTOON_DEADLINE": "2030-01-01T13:00:10.5+01:00"}, clock=clock)
    assert ctx.remaining() == timedelta(seconds=10.5)


def test_has_no_time_left_once_the_deadline_is_past() -> None:
    assert Context.from_env({"PONTOON_DEADLINE": "2030-01-01T11:00:00Z"}, clock=clock).remaining() == timedelta(0)


def test_is_unbounded_and_attempt_1_when_run_outside_pontoon() -> None:
    ctx = Context.from_env({})
    assert ctx.deadline is None
    assert ctx.remaining() == UNBOUNDED
    assert ctx.attempt == 1
    assert ctx.execution_id == ""


def test_rejects_a_deadline_that_is_not_iso_8601_naming_the_variable() -> None:
    with pytest.raises(ContractError, match="PONTOON_DEADLINE"):
        Context.from_env({"PONTOON_DEADLINE": "tomorrow"})


def test_logs_plain_lines_with_a_level_prefix_debug_and_info_to_stdout_warn_and_error_to_stderr() -> None:
    out: list = []
    err: list = []
    logger = Logger(out.append, err.append)
    logger.info("found %d primes", 4)
    logger.debug("two\nlines")
    logger.warn("slow")
    logger.error("50% done")
    assert out == ["[INFO] found 4 primes\n", "[DEBUG] two\n[DEBUG] lines\n"]
    assert err == ["[WARN] slow\n", "[ERROR] 50% done\n"]
