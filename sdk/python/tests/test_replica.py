"""A warm replica: serve() speaks the runtime API to a real HTTP server playing the controller."""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

from primes import primes_between
from runtime_api import TOKEN, FakeRuntimeApi

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def run_replica(api: FakeRuntimeApi, mode: str, **env: str) -> subprocess.CompletedProcess:
    variables = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)]),
        "PONTOON_RUNTIME_API": api.address,
        "PONTOON_REPLICA_TOKEN": TOKEN,
        "PONTOON_REPLICA_ID": "r-test",
        "PONTOON_REPLICA_CONCURRENCY": str(api.concurrency),
        "PONTOON_REPLICA_PROTOCOL": "1",
        "PONTOON_FUNCTION": "primes",
        "PONTOON_NAMESPACE": "default",
        "PONTOON_VERSION": "3",
        **env,
    }
    api.start()
    try:
        return subprocess.run([sys.executable, str(HERE / "fixture.py"), mode], env=variables, capture_output=True, text=True, timeout=60)
    finally:
        api.stop()


def ranges(count: int) -> List[List[int]]:
    return [[i, i + 20] for i in range(count)]


def results_by_input(api: FakeRuntimeApi) -> Dict[str, Any]:
    return {str(api.inputs[id_]): result for id_, result in api.results.items()}


def test_runs_every_invocation_taking_and_posting_them_in_batches_and_exits_0_when_drained() -> None:
    api = FakeRuntimeApi(ranges(24), concurrency=4, hold_first_results_s=0.3)
    child = run_replica(api, "serve-busy")
    assert child.returncode == 0, child.stderr
    assert api.violations == []
    assert len(api.results) == 24
    for id_, result in api.results.items():
        start, end = api.inputs[id_]
        assert result["status"] == "succeeded"
        assert result["result"]["primes"] == primes_between(start, end)
    assert max(api.batches_handed) > 1, api.batches_handed
    assert max(len(post) for post in api.results_posts) > 1, api.results_posts
    assert api.handed_with_results > 0, "results posts asked for the next batch (results?next=N)"


def test_from_eight_slots_two_lanes_post_at_once_unless_one_is_asked() -> None:
    for lanes, posting_at_once in (("", 2), ("1", 1)):
        api = FakeRuntimeApi(ranges(64), concurrency=8, hold_every_results_s=0.02)
        child = run_replica(api, "serve-quick", PONTOON_REPLICA_LANES=lanes)
        assert child.returncode == 0, child.stderr
        assert api.violations == []
        assert len(api.results) == 64
        assert api.most_results_at_once == posting_at_once, (lanes, api.most_results_at_once)
        assert max(api.batches_handed) <= 8 // posting_at_once, (lanes, api.batches_handed)


def test_with_prefetch_it_asks_for_more_than_its_slots_and_runs_the_extra_ones_as_slots_free() -> None:
    for prefetch, asked in (("3", 4), (None, 1)):
        # Pontoon would hand out four either way: what the replica asks for is its own doing.
        api = FakeRuntimeApi(ranges(4), concurrency=1, prefetch=3)
        child = run_replica(api, "serve-busy", **({"PONTOON_REPLICA_PREFETCH": prefetch} if prefetch else {}))
        assert child.returncode == 0, child.stderr
        assert api.violations == []
        assert api.nexts_asked[0] == asked, (prefetch, api.nexts_asked)
        assert max(api.batches_handed) == asked, (prefetch, api.batches_handed)
        assert len(api.results) == 4 and all(r["status"] == "succeeded" for r in api.results.values())
        peaks = [result["result"]["peak"] for result in api.results.values()]
        assert max(peaks) == 1, (prefetch, peaks)


def test_prefetch_splits_across_lanes_as_the_slots_do_and_is_none_unless_a_count() -> None:
    from pontoon_sdk._replica import replica_prefetch, split_evenly

    assert split_evenly(3, 2) == [2, 1]
    assert split_evenly(1, 2) == [1, 0]
    assert [replica_prefetch(asked) for asked in (None, "", "3", "-2", "three")] == [0, 0, 3, 0, 0]


def test_lanes_split_the_slots_evenly() -> None:
    from pontoon_sdk._replica import lane_slots

    assert lane_slots(8, None) == [4, 4]
    assert lane_slots(7, None) == [7]
    assert lane_slots(16, "") == [8, 8]
    assert lane_slots(8, "1") == [8]
    assert lane_slots(5, "2") == [3, 2]
    assert lane_slots(1, "2") == [1]
    assert lane_slots(4, "two") == [4]


def test_does_not_ask_next_for_the_slots_a_results_answer_filled() -> None:
    # Each post's answer refills every slot: a next sent then waits (on Pontoon) for slots only the
    # following post frees, and takes part of its batch.
    api = FakeRuntimeApi(ranges(400), concurrency=4)
    child = run_replica(api, "serve-quick")
    assert child.returncode == 0, child.stderr
    assert api.violations == []
    assert len(api.results) == 400
    assert api.nexts_with_no_slot == 0, ("next requests with every slot in flight", api.requests)


def test_runs_up_to_its_concurrency_at_once_and_tags_every_line_with_its_invocation() -> None:
    api = FakeRuntimeApi(ranges(12), concurrency=4)
    child = run_replica(api, "serve-busy")
    assert child.returncode == 0, child.stderr
    peaks = [result["result"]["peak"] for result in api.results.values()]
    assert 1 < max(peaks) <= 4, peaks
    tagged = re.findall(r"^\x1e(\S+) \[INFO\] primes between (\d+) and (\d+), attempt 1 of (\S+)$", child.stdout, re.M)
    assert len(tagged) == 12, child.stdout
    for id_, start, end, execution_id in tagged:
        assert api.inputs[id_] == [int(start), int(end)]
        assert id_ == f"{execution_id}#1"
    # split("\n"), not splitlines(): Python counts U+001E, the tag, as a line boundary.
    assert all(line.startswith("\x1e") for line in child.stdout.rstrip("\n").split("\n")), child.stdout


def test_on_410_it_finishes_the_invocations_in_flight_posts_them_and_exits_0() -> None:
    api = FakeRuntimeApi(ranges(3), concurrency=8)
    child = run_replica(api, "serve-busy")
    assert child.returncode == 0, child.stderr
    assert api.in_flight_at_drain == 3, "the 410 came while all three ran"
    assert len(api.results) == 3 and all(r["status"] == "succeeded" for r in api.results.values())


def test_a_raised_error_and_a_result_that_is_not_json_are_failed_results_and_the_traceback_is_tagged() -> None:
    api = FakeRuntimeApi([[10, 1], "not json", [1, 10]], concurrency=2)
    child = run_replica(api, "serve-busy")
    assert child.returncode == 0, child.stderr
    by_input = results_by_input(api)
    assert by_input["[10, 1]"] == {"id": "ex-0#1", "status": "failed", "error": "from > to"}
    assert by_input["not json"]["status"] == "failed"
    assert by_input["not json"]["error"].startswith("result is not JSON-serializable")
    assert by_input["[1, 10]"]["result"]["primes"] == [2, 3, 5, 7]
    assert "\x1eex-0#1 [ERROR] Traceback (most recent call last):\n" in child.stderr
    assert "\x1eex-0#1 [ERROR] ValueError: from > to\n" in child.stderr


def test_a_handler_that_cannot_be_loaded_is_reported_to_init_error_and_the_replica_exits_1() -> None:
    api = FakeRuntimeApi(ranges(1), concurrency=1)
    child = run_replica(api, "missing-handler")
    assert child.returncode == 1
    assert api.init_errors == ["handler fixture.nothing: fixture has no function nothing"]
    assert api.requests["next"] == 0


def test_a_protocol_version_it_does_not_speak_is_an_init_error() -> None:
    api = FakeRuntimeApi(ranges(1), concurrency=1)
    child = run_replica(api, "serve-busy", PONTOON_REPLICA_PROTOCOL="2")
    assert child.returncode == 1
    assert len(api.init_errors) == 1 and "protocol 1" in api.init_errors[0]
    assert api.requests["next"] == 0


def test_5xx_answers_are_retried_and_every_result_arrives_once() -> None:
    api = FakeRuntimeApi(ranges(4), concurrency=1, failures={"next": 2, "results": 2})
    child = run_replica(api, "serve-busy")
    assert child.returncode == 0, child.stderr
    assert api.violations == []
    assert len(api.results) == 4
    assert sum(len(post) for post in api.results_posts) == 4
    assert api.requests["results"] == len(api.results_posts) + 2


def test_a_token_the_api_refuses_makes_the_replica_exit_non_zero() -> None:
    api = FakeRuntimeApi(ranges(1), concurrency=1)
    child = run_replica(api, "serve-busy", PONTOON_REPLICA_TOKEN="wrong")
    assert child.returncode != 0
    assert "401" in child.stderr
    assert api.results == {}


def test_a_program_form_started_as_a_replica_gets_no_input_and_fails_before_asking_for_work() -> None:
    api = FakeRuntimeApi(ranges(1), concurrency=1)
    child = run_replica(api, "watcher-done")
    assert child.returncode != 0
    assert "a program runs on demand only" in child.stderr
    assert api.requests["next"] == 0 and api.results == {}
