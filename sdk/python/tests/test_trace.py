"""The trace context of an attempt: TRACEPARENT in a cold run, the invocation's traceparent in a replica."""

import json
import os
import subprocess
import sys
from pathlib import Path

from runtime_api import FakeRuntimeApi
from test_replica import run_replica

from pontoon_sdk import Context

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


def test_reads_traceparent_and_tracestate_from_the_environment_with_the_trace_id() -> None:
    ctx = Context.from_env({"TRACEPARENT": TRACEPARENT, "TRACESTATE": "vendor=abc"})
    assert (ctx.traceparent, ctx.tracestate, ctx.trace_id) == (TRACEPARENT, "vendor=abc", TRACE_ID)


def test_has_none_without_a_trace_and_ignores_a_malformed_traceparent_with_its_tracestate() -> None:
    for env in ({}, {"TRACEPARENT": "00-xyz-01", "TRACESTATE": "a=1"}, {"TRACEPARENT": "00-" + "0" * 32 + "-b7ad6b7169203331-01"}):
        ctx = Context.from_env(env)
        assert (ctx.traceparent, ctx.tracestate, ctx.trace_id) == (None, None, None), env


def test_a_cold_run_handler_sees_its_traceparent(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("null")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)]),
        "PONTOON_INPUT": str(tmp_path / "input.json"),
        "PONTOON_OUTPUT": str(tmp_path / "output.json"),
        "TRACEPARENT": TRACEPARENT,
    }
    child = subprocess.run([sys.executable, str(HERE / "fixture.py"), "trace"], env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert json.loads((tmp_path / "output.json").read_text()) == {"traceparent": TRACEPARENT, "tracestate": None, "traceId": TRACE_ID}


def test_a_replica_gives_each_invocation_the_traceparent_it_carries_and_none_to_one_without() -> None:
    api = FakeRuntimeApi([None, None], concurrency=2)
    api.pending[0].update(traceparent=TRACEPARENT, tracestate="vendor=abc")
    child = run_replica(api, "trace")
    assert child.returncode == 0, child.stderr
    assert api.violations == []
    assert api.results["ex-0#1"]["result"] == {"traceparent": TRACEPARENT, "tracestate": "vendor=abc", "traceId": TRACE_ID}
    assert api.results["ex-1#1"]["result"] == {"traceparent": None, "tracestate": None, "traceId": None}
