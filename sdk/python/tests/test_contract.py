"""Contract: the files of the function contract."""

from pathlib import Path

import pytest

from pontoon_sdk import Contract, ContractError


def test_reads_the_input_json_text_from_the_file_named_by_pontoon_input(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[1, 10]")
    assert Contract({"PONTOON_INPUT": str(tmp_path / "input.json")}).read_input_json() == "[1, 10]"


def test_treats_a_program_run_outside_pontoon_as_having_a_null_input() -> None:
    assert Contract({}).read_input_json() == "null"


def test_says_which_file_it_could_not_read_when_the_input_file_is_missing(tmp_path: Path) -> None:
    path = str(tmp_path / "absent.json")
    with pytest.raises(ContractError, match="absent.json"):
        Contract({"PONTOON_INPUT": path}).read_input_json()


def test_writes_the_result_to_pontoon_output_and_the_failure_message_to_pontoon_error(tmp_path: Path) -> None:
    printed: list = []
    env = {"PONTOON_OUTPUT": str(tmp_path / "output.json"), "PONTOON_ERROR": str(tmp_path / "error.txt")}
    contract = Contract(env, out=printed.append, err=printed.append)
    contract.write_output_json("[2,3,5]")
    contract.write_error("no primes today")
    assert (tmp_path / "output.json").read_text() == "[2,3,5]"
    assert (tmp_path / "error.txt").read_text() == "no primes today"
    assert printed == []


def test_prints_the_result_to_stdout_and_the_failure_to_stderr_outside_pontoon(
    capsys: pytest.CaptureFixture,
) -> None:
    contract = Contract({})
    contract.write_output_json("42")
    contract.write_error("broken")
    captured = capsys.readouterr()
    assert captured.out == "42\n"
    assert captured.err == "broken\n"
