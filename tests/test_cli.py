"""The command line: click's CliRunner on `rulelang.cli.cli`, plus a few real
runs of the installed `rulelang` command (exit codes go through `main()`).

Fixtures live in tests/fixtures/ and are named by paths relative to the
repository root (the tests chdir there), so goldens do not depend on where the
checkout is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rulelang.cli import cli

ROOT = Path(__file__).resolve().parent.parent
POLICY = "tests/fixtures/cli_policy.rules"
CASES = "tests/fixtures/cases.jsonl"
INVALID = "tests/fixtures/invalid_cases.jsonl"
DECISION_FIELDS = ["case", "agreement", "as_of", "status", "outcome", "returns_to", "exceptions",
                   "missing", "unestablished"]


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def invoke(*args, input=None):
    runner = CliRunner()
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_jsonl(*args):
    result = invoke("run", POLICY, *args, "--format", "jsonl")
    return result, jsonl(result.stdout)


# ---- check ---------------------------------------------------------------------------

def test_check_clean_file_exits_0():
    result = invoke("check", POLICY)
    assert result.exit_code == 0, result.output
    assert "no errors" in result.stderr
    assert "error[" not in result.stderr


def test_check_bad_file_exits_1_with_a_snippet():
    result = invoke("check", "tests/fixtures/bad_type.rules")
    assert result.exit_code == 1
    assert "error[RL0307]" in result.stderr
    assert "tests/fixtures/bad_type.rules:9:" in result.stderr
    assert 'rule adult: bool = case.age >= "eighteen"' in result.stderr
    assert "^^" in result.stderr


def test_check_syntax_error_exits_1(tmp_path):
    bad = tmp_path / "broken.rules"
    bad.write_text("record Case {\n  id: text\n\nrule x: bool = (\n")
    result = invoke("check", str(bad))
    assert result.exit_code == 1
    assert "error[RL000" in result.stderr


def test_check_missing_file_exits_1_not_a_crash(tmp_path):
    result = invoke("check", str(tmp_path / "nope.rules"))
    assert result.exit_code == 1
    assert "RL0004" in result.stderr


def test_check_format_json():
    result = invoke("check", "tests/fixtures/bad_type.rules", "--format", "json")
    assert result.exit_code == 1
    items = json.loads(result.stdout)
    assert [d["code"] for d in items] == ["RL0307"]
    [item] = items
    assert item["severity"] == "error"
    assert item["span"]["file"] == "tests/fixtures/bad_type.rules"
    assert item["span"]["line"] == 9
    clean = invoke("check", POLICY, "--format", "json")
    assert clean.exit_code == 0
    assert [d for d in json.loads(clean.stdout) if d["severity"] == "error"] == []


def test_check_format_sarif():
    result = invoke("check", "tests/fixtures/bad_type.rules", "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "rulelang"
    [res] = run["results"]
    assert res["ruleId"] == "RL0307" and res["level"] == "error"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 9
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "tests/fixtures/bad_type.rules"


# ---- run -------------------------------------------------------------------------------

def test_run_jsonl_gives_the_decision_fields_in_order():
    result, rows = run_jsonl(CASES)
    assert result.exit_code == 0, result.stderr
    assert len(rows) == 3 * 2       # three records, two agreements
    for row in rows:
        assert list(row) == DECISION_FIELDS
    by = {(r["case"], r["agreement"]): r for r in rows}
    assert [(r["case"], r["agreement"]) for r in rows] == [
        ("c-1", "north"), ("c-1", "south"), ("c-2", "north"), ("c-2", "south"),
        ("c-3", "north"), ("c-3", "south")]
    c1 = by["c-1", "north"]
    assert (c1["status"], c1["outcome"], c1["returns_to"]) == ("in_force", "applies", "CAN")
    assert c1["as_of"] == "2024-05-01"
    c2 = by["c-2", "north"]
    assert c2["outcome"] == "exempt" and c2["exceptions"] == ["minor"]
    assert c2["unestablished"] == [{"exception": "waiver", "facts": ["public_interest_waiver"]}]
    c3 = by["c-3", "north"]
    assert c3["outcome"] == "undetermined" and c3["missing"] == ["arrived_from"]
    for case in ("c-1", "c-2", "c-3"):
        assert by[case, "south"]["status"] == "proposed"
        assert by[case, "south"]["outcome"] == "not_in_force"


def test_run_explain_adds_the_trace_last():
    result, rows = run_jsonl(CASES, "--explain")
    assert result.exit_code == 0
    for row in rows:
        assert list(row) == DECISION_FIELDS + ["trace"]
    steps = [s["step"] for s in rows[0]["trace"]]
    assert steps[0] == "status"
    assert "applies when #1" in steps and "returns_to" in steps
    cited = {s["step"]: s["cite"] for s in rows[0]["trace"]}
    assert cited["applies when #3"] == "Art. 4(1)(a)"


def test_run_invalid_records_become_error_lines_in_place():
    result, rows = run_jsonl(INVALID)
    assert result.exit_code == 1
    # 2 valid records x 2 agreements + 6 invalid records, in input order
    assert len(rows) == 2 * 2 + 6
    cases = [r["case"] for r in rows]
    assert cases == ["ok-1", "ok-1", "no-country", "bad-country", "bad-date", "line 5", "bad-age",
                     "bad-entry", "ok-2", "ok-2"]
    errors = {r["case"]: r["error"] for r in rows if "error" in r}
    for row in rows:
        if "error" in row:
            assert list(row) == ["case", "error"]
    expected = {"no-country": ("claim_country", "line 2"), "bad-country": ("claim_country", "line 3"),
                "bad-date": ("claim_date", "line 4"), "line 5": (None, "line 5"),
                "bad-age": ("age", "line 6"), "bad-entry": ("entry_type", "line 7")}
    for case, (field, at) in expected.items():
        assert errors[case]["field"] == field, case
        assert errors[case]["at"] == at, case
        assert errors[case]["message"]
    assert "missing" in errors["no-country"]["message"]
    assert "USX" in errors["bad-country"]["message"]
    assert "2023-02-30" in errors["bad-date"]["message"]
    assert "JSON" in errors["line 5"]["message"]
    assert "port" in errors["bad-entry"]["message"]
    assert errors["line 5"]["code"] == "RL0703"
    assert errors["bad-age"]["code"] == "RL0701"
    # one message per invalid record on stderr, naming the record and the field
    for case, (field, at) in expected.items():
        named = f"record {case}:" if case == at else f"record {case} ({at})"
        line = next(l for l in result.stderr.splitlines() if named in l)
        if field:
            assert f"`{field}`" in line
    assert "6 record(s) could not be evaluated" in result.stderr
    assert [r["outcome"] for r in rows if r.get("case") == "ok-2"] == ["not_applicable", "not_in_force"]


def test_run_csv_input_with_nested_fields_as_json_text():
    result, rows = run_jsonl("tests/fixtures/cases.csv")
    assert result.exit_code == 0, result.stderr
    assert len(rows) == 3 * 2
    by = {(r["case"], r["agreement"]): r for r in rows}
    assert by["csv-1", "north"]["outcome"] == "applies"
    # csv-2: empty age cell is unknown; public_interest_waiver "true" is a boolean
    csv2 = by["csv-2", "north"]
    assert csv2["outcome"] == "exempt" and csv2["exceptions"] == ["waiver"]
    assert csv2["unestablished"] == [{"exception": "minor", "facts": ["age"]}]
    # csv-3: [] parses as an empty list; an empty arrived_from cell is unknown
    assert by["csv-3", "north"]["outcome"] == "undetermined"
    assert by["csv-3", "north"]["missing"] == ["arrived_from"]


def test_run_csv_nationalities_list_is_used():
    # `GTM not in case.nationalities`: csv-2 holds GTM, so south does not apply to it
    result, rows = run_jsonl("tests/fixtures/cases.csv", "--assume", "in_force", "--agreement", "south")
    by = {r["case"]: r for r in rows}
    assert by["csv-2"]["outcome"] == "not_applicable"
    assert by["csv-1"]["outcome"] == "applies" and by["csv-1"]["returns_to"] == "GTM"
    assert by["csv-3"]["outcome"] == "applies"


def test_run_json_array_input():
    result, rows = run_jsonl("tests/fixtures/cases.json")
    assert result.exit_code == 0
    assert [(r["case"], r["agreement"]) for r in rows] == [
        ("j-1", "north"), ("j-1", "south"), ("j-2", "north"), ("j-2", "south")]
    assert rows[0]["outcome"] == "applies"
    assert rows[2]["outcome"] == "not_applicable"   # claim made in Canada


def test_run_json_output_format_is_one_array():
    result = invoke("run", POLICY, CASES, "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 6 and list(rows[0]) == DECISION_FIELDS


def test_run_reads_jsonl_from_stdin():
    text = Path(CASES).read_text()
    result = invoke("run", POLICY, "-", "--format", "jsonl", input=text)
    assert result.exit_code == 0
    assert len(jsonl(result.stdout)) == 6


def test_run_as_of():
    result, rows = run_jsonl(CASES, "--as-of", "2004-12-28")
    assert result.exit_code == 0
    north = [r for r in rows if r["agreement"] == "north"]
    assert {r["as_of"] for r in rows} == {"2004-12-28"}
    assert {(r["status"], r["outcome"]) for r in north} == {("not_yet_in_force", "not_in_force")}
    result, rows = run_jsonl(CASES, "--as-of", "2004-12-29")
    assert rows[0]["status"] == "in_force" and rows[0]["outcome"] == "applies"


def test_run_assume_in_force():
    result, rows = run_jsonl(CASES, "--assume", "in_force")
    assert result.exit_code == 0
    south = {r["case"]: r for r in rows if r["agreement"] == "south"}
    assert south["c-1"]["status"] == "proposed"            # reported as it is
    assert south["c-1"]["outcome"] == "applies" and south["c-1"]["returns_to"] == "GTM"
    assert south["c-3"]["outcome"] == "not_applicable"     # a Guatemalan national
    north = {r["case"]: r for r in rows if r["agreement"] == "north"}
    assert north["c-1"]["outcome"] == "applies"


def test_run_agreement_filter():
    result, rows = run_jsonl(CASES, "--agreement", "north")
    assert result.exit_code == 0
    assert [r["agreement"] for r in rows] == ["north"] * 3


def test_run_unknown_agreement_is_a_usage_error():
    result = invoke("run", POLICY, CASES, "--agreement", "west")
    assert result.exit_code == 2
    assert "west" in result.stderr and "north" in result.stderr


def test_run_unknown_field_warns_on_stderr(tmp_path):
    cases = tmp_path / "typo.jsonl"
    cases.write_text(json.dumps({"id": "typo", "nationalities": [], "claim_country": "USA",
                                 "claim_date": "2024-05-01", "arived_from": "CAN"}) + "\n")
    result, rows = run_jsonl(str(cases))
    assert result.exit_code == 0
    assert "warning" in result.stderr and "arived_from" in result.stderr
    assert "arrived_from" in result.stderr      # did you mean
    # the typo made arrived_from unknown, and the decision says so
    north = next(r for r in rows if r["agreement"] == "north")
    assert north["outcome"] == "undetermined" and "arrived_from" in north["missing"]


def test_run_table_format_summarises():
    result = invoke("run", POLICY, CASES, "--format", "table")
    assert result.exit_code == 0
    assert "c-1" in result.stdout and "decisions:" in result.stdout
    assert "1 applies" in result.stdout and "1 exempt" in result.stdout


def test_run_missing_cases_file_is_a_usage_error():
    result = invoke("run", POLICY, "tests/fixtures/no_such_cases.jsonl")
    assert result.exit_code == 2


def test_run_with_a_bad_policy_exits_1():
    result = invoke("run", "tests/fixtures/bad_type.rules", CASES)
    assert result.exit_code == 1
    assert "RL0307" in result.stderr
    assert result.stdout == ""


# ---- test ----------------------------------------------------------------------------------

def test_test_command_passing():
    result = invoke("test", POLICY)
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines()[-1] == "3 passed, 0 failed"


def test_test_command_verbose_lists_each_test():
    result = invoke("test", POLICY, "-v")
    assert result.stdout.count("PASS") == 3
    assert "a 16-year-old is exempt" in result.stdout


def test_test_command_failing_exits_1():
    result = invoke("test", "tests/fixtures/failing_tests.rules")
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert any("FAIL" in l and "fails on purpose" in l for l in lines)
    assert not any("FAIL" in l and "passes" in l for l in lines)
    assert "case.age >= 18" in result.stdout


def test_test_command_two_files():
    result = invoke("test", POLICY, "tests/fixtures/failing_tests.rules")
    # The files are checked as one program; these two each declare an input, which is
    # reported (RL0102) rather than run. Either way: exit 1, never a crash.
    assert result.exit_code == 1
    assert "Traceback" not in result.output


# ---- explain and list ------------------------------------------------------------------------

def test_explain_golden(golden):
    result = invoke("explain", POLICY, "tests/fixtures/one_case.json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("case explain-1 · as of 2024-05-01")
    assert "\nnorth: APPLIES → return to CAN" in result.stdout
    golden("cli/explain_cli_policy.txt", result.stdout)


def test_explain_picks_a_record_by_id():
    result = invoke("explain", POLICY, CASES, "--id", "c-2", "--agreement", "north")
    assert result.exit_code == 0
    assert "\nnorth: EXEMPT" in result.stdout
    assert "exceptions that hold: minor" in result.stdout
    assert "south" not in result.stdout
    result = invoke("explain", POLICY, CASES, "--id", "c-404")
    assert result.exit_code == 2


def test_explain_invalid_record_exits_1():
    result = invoke("explain", POLICY, INVALID, "--id", "bad-date")
    assert result.exit_code == 1
    assert "claim_date" in result.stderr


def test_list():
    result = invoke("list", POLICY, "--on", "2024-01-01")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    north = next(l for l in lines if "north" in l)
    south = next(l for l in lines if "south" in l)
    assert "in_force" in north and "proposed" in south
    assert "2024-01-01" in result.stdout
    earlier = invoke("list", POLICY, "--on", "2003-01-01")
    assert "not_yet_in_force" in next(l for l in earlier.stdout.splitlines() if "north" in l)


# ---- usage errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["run", POLICY],                                   # missing CASES
    ["run", POLICY, CASES, "--format", "xml"],
    ["run", POLICY, CASES, "--as-of", "2024-13-01"],
    ["run", POLICY, CASES, "--assume", "suspended"],
    ["check"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, (args, result.output)


# ---- the installed command, through main() ----------------------------------------------------------

def _rulelang(*args):
    exe = shutil.which("rulelang")
    cmd = [exe] if exe else [sys.executable, "-m", "rulelang.cli"]
    return subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"})


def test_sigterm_stops_a_run_as_ctrl_c_does(tmp_path):
    """A run killed (SIGTERM) stops as on Ctrl-C: its clean-up done (a folder made for
    the run and removed after it, as the Spark engine's), 143, no traceback."""
    import signal
    import time

    folder = tmp_path / "run-folder"
    # (the command line with batch.run wrapped in the making and removing of a folder)
    script = f"""
import pathlib
import rulelang.batch as batch
from rulelang import cli
folder, real = pathlib.Path({str(folder)!r}), batch.run
def run(*args, **kwargs):
    folder.mkdir()
    try:
        return real(*args, **kwargs)
    finally:
        folder.rmdir()
batch.run = run
cli.main()
"""
    process = subprocess.Popen([sys.executable, "-c", script, "run", POLICY, "-"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "NO_COLOR": "1"})
    try:
        # one record, and the pipe left open: the run waits for more when the signal comes
        process.stdin.write(Path(ROOT / CASES).read_text(encoding="utf-8").splitlines()[0] + "\n")
        process.stdin.flush()
        for _ in range(1200):
            if folder.exists():
                break
            time.sleep(0.05)
        assert folder.exists(), "the run did not start"
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert not folder.exists(), "the run's clean-up was not done"


def test_installed_command_exit_codes():
    assert _rulelang("check", POLICY).returncode == 0
    bad = _rulelang("check", "tests/fixtures/bad_type.rules")
    assert bad.returncode == 1 and "RL0307" in bad.stderr and "Traceback" not in bad.stderr
    usage = _rulelang("run", POLICY, CASES, "--as-of", "yesterday")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    assert _rulelang("frobnicate").returncode == 2
    assert _rulelang("run", POLICY, CASES, "--agreement", "west").returncode == 2


def test_installed_command_run_invalid_records():
    proc = _rulelang("run", POLICY, INVALID, "--format", "jsonl")
    assert proc.returncode == 1
    assert len(jsonl(proc.stdout)) == 10
    assert "record bad-age (line 6)" in proc.stderr and "Traceback" not in proc.stderr


def test_installed_command_test_failure_exit_1():
    proc = _rulelang("test", "tests/fixtures/failing_tests.rules")
    assert proc.returncode == 1
    assert "1 passed, 1 failed" in proc.stdout


# ---- rules whose input names no as-of field --------------------------------------------

UNDATED = """\
record C { id: text, age: int? }
input c: C

agreement adults "Adults" {
  parties USA
  returns_to USA cite "Art. 1"
  cite "An agreement"
  timeline {
    2000-01-01 in_force
  }
  applies when {
    c.age >= 18 cite "Art. 2"
  }
}
"""


@pytest.mark.parametrize("command", [["run", "--format", "jsonl"], ["run", "--engine", "duckdb"],
                                     ["explain"], ["report", "--out", "report.html"]])
def test_rules_with_no_as_of_field_need_the_date_on_the_command_line(tmp_path, command):
    rules, cases = tmp_path / "undated.rules", tmp_path / "cases.jsonl"
    rules.write_text(UNDATED)
    cases.write_text('{"id": "a", "age": 20}\n')
    result = invoke(command[0], str(rules), str(cases), *command[1:])
    assert result.exit_code == 2, result.output
    assert "names no as-of field" in result.output and "--as-of" in result.output


def test_rules_with_no_as_of_field_are_decided_on_the_date_given(tmp_path):
    rules, cases = tmp_path / "undated.rules", tmp_path / "cases.jsonl"
    rules.write_text(UNDATED)
    cases.write_text('{"id": "a", "age": 20}\n')
    for engine in ("python", "duckdb"):
        result = invoke("run", str(rules), str(cases), "--as-of", "2024-01-01", "--engine", engine,
                        "--format", "jsonl")
        assert result.exit_code == 0, result.output
        [decision] = jsonl(result.stdout)
        assert (decision["as_of"], decision["outcome"]) == ("2024-01-01", "applies")


def test_a_test_with_no_input_runs_on_its_date(tmp_path):
    rules = tmp_path / "constants.rules"
    rules.write_text('const x: int = 3\ntest "x" {\n  as_of 2024-01-01\n  expect x == 4\n}\n')
    result = invoke("test", str(rules))
    assert result.exit_code == 1 and "`x == 4` is false" in result.output
