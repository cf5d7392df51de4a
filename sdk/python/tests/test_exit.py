"""Exit paths: a real child process under the function contract."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def run(tmp_path: Path, mode: str, input_json: str) -> subprocess.CompletedProcess:
    (tmp_path / "input.json").write_text(input_json)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)]),
        "PONTOON_INPUT": str(tmp_path / "input.json"),
        "PONTOON_OUTPUT": str(tmp_path / "output.json"),
        "PONTOON_ERROR": str(tmp_path / "error.txt"),
        "PONTOON_ATTEMPT": "2",
        "PONTOON_FUNCTION": "primes",
    }
    return subprocess.run(
        [sys.executable, str(HERE / "fixture.py"), mode], env=env, capture_output=True, text=True, timeout=60
    )


def read(tmp_path: Path, name: str) -> Optional[str]:
    path = tmp_path / name
    return path.read_text() if path.exists() else None


def test_done_writes_the_result_file_and_exits_0_and_the_loggers_lines_reach_stdout(tmp_path: Path) -> None:
    child = run(tmp_path, "watcher-done", "[10, 30]")
    assert child.returncode == 0, child.stderr
    assert read(tmp_path, "output.json") == "[11,13,17,19,23,29]"
    assert read(tmp_path, "error.txt") is None
    assert "[INFO] attempt 2 of primes\n" in child.stdout


def test_fail_writes_the_message_to_the_error_file_and_exits_1(tmp_path: Path) -> None:
    child = run(tmp_path, "watcher-fail", "null")
    assert child.returncode == 1
    assert read(tmp_path, "error.txt") == "no primes today"
    assert read(tmp_path, "output.json") is None


def test_serve_runs_the_handler_and_writes_its_result(tmp_path: Path) -> None:
    child = run(tmp_path, "serve", "[1, 10]")
    assert child.returncode == 0, child.stderr
    assert read(tmp_path, "output.json") == "[2,3,5,7]"


def test_serve_turns_an_exception_into_a_failure_with_its_message_and_exit_1(tmp_path: Path) -> None:
    child = run(tmp_path, "serve", "[10, 1]")
    assert child.returncode == 1
    assert read(tmp_path, "error.txt") == "from > to"
    assert read(tmp_path, "output.json") is None
    assert "[ERROR] ValueError: from > to\n" in child.stderr


def test_serve_fails_with_a_clear_message_when_the_input_does_not_fit(tmp_path: Path) -> None:
    child = run(tmp_path, "serve", "[1,")
    assert child.returncode == 1
    assert (read(tmp_path, "error.txt") or "").startswith("input is not valid JSON")
    child = run(tmp_path, "serve", '["a", 2]')
    assert child.returncode == 1
    assert read(tmp_path, "error.txt") == "input does not match at $[0]: expected an integer, got a string"
