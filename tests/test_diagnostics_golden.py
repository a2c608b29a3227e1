"""Golden diagnostics: one bad rule file per code, rendered as users see it.

Each `tests/golden/diagnostics/<CODE>_<slug>.rules` must produce a diagnostic
with <CODE>; every diagnostic it produces is rendered with `render()` and
compared with `<CODE>_<slug>.txt` (rewrite with `pytest --update-goldens`).
Runtime codes (RL06xx) and record codes (RL07xx) are reached through the
embedding API, with the rule text passed as a string so spans name `<string>`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import rulelang
from rulelang.diagnostics import CODES, render
from rulelang.resources import stdlib_dir

DIAG_DIR = Path(__file__).resolve().parent / "golden" / "diagnostics"
CASES = sorted(DIAG_DIR.glob("RL*.rules"))

# Codes a rule file cannot produce through `rulelang.check`: runtime, records, internal.
NOT_FROM_CHECK = {"RL0601", "RL0602", "RL0701", "RL0702", "RL0703", "RL0704", "RL0999",
                  # the solver's, from `check --deep`: tests/test_analysis.py has their goldens
                  "RL0409", "RL0410", "RL0411", "RL0412"}


def _code_of(path: Path) -> str:
    match = re.match(r"(RL\d{4})_", path.name)
    assert match, f"{path.name} does not start with a diagnostic code"
    return match.group(1)


def _stable(text: str) -> str:
    """Absolute paths (in imported modules' names and `looked for` help) vary by checkout."""
    text = text.replace(str(DIAG_DIR) + "/", "").replace(str(DIAG_DIR), ".")
    return text.replace(str(stdlib_dir()), "<stdlib>")


def test_every_checkable_code_has_a_golden_file():
    covered = {_code_of(p) for p in CASES}
    missing = sorted(set(CODES) - NOT_FROM_CHECK - covered)
    assert not missing, f"no golden rule file for {missing}"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden_diagnostic(path, golden, monkeypatch):
    monkeypatch.chdir(DIAG_DIR)  # relative names keep spans (`--> RL0101_x.rules:3:5`) stable
    diagnostics = rulelang.check(path.name)
    code = _code_of(path)
    assert code in {d.code for d in diagnostics}, \
        f"{path.name} should produce {code}, got {[d.code for d in diagnostics]}"
    rendered = "\n\n".join(_stable(render(d)) for d in diagnostics) + "\n"
    golden(f"diagnostics/{path.stem}.txt", rendered)


# ---- runtime diagnostics, through the API ---------------------------------------------

_SCHEMA = """\
enum Entry { port_of_entry, between_ports }
record Case {
  id: text
  age: int?
  claim_date: date
  entry_date: date
  entry: Entry
  waiting: duration?
  family_size: int?
}
input case: Case as_of claim_date
"""

_RECORD = {"id": "c-1", "age": 15, "claim_date": "2024-05-01", "entry_date": "2024-04-20",
           "entry": "port_of_entry"}


def _runtime_golden(golden, name: str, rules: str, record: dict, error_class) -> None:
    policy = rulelang.load(_SCHEMA + rules)
    with pytest.raises(error_class) as raised:
        policy.evaluate(record, trace=True)
    diagnostics = raised.value.diagnostics
    assert diagnostics, "a runtime error must carry its diagnostic"
    code = name.split("_")[0]
    assert diagnostics[0].code == code
    golden(f"diagnostics/{name}.txt", render(diagnostics[0]) + "\n")


def test_RL0601_conflicting_exceptions(golden):
    rules = """
rule max_stay_days: int {
  default 30
  exception minor when (case.age ?? 99) < 18 => 90 cite "Art. 7"
  exception port_arrival when case.entry == port_of_entry => 60 cite "Art. 8"
}

agreement demo "A bilateral agreement" {
  parties USA, CAN
  returns_to CAN cite "Art. 4"
  timeline {
    2004-12-29 in_force
  }
  applies when {
    max_stay_days > 0 cite "Art. 7"
  }
}
"""
    _runtime_golden(golden, "RL0601_conflicting_exceptions", rules, _RECORD, rulelang.ConflictError)


DIVIDES_BY_ZERO = """
rule share: decimal = 100 / (case.family_size ?? 0)

agreement demo "A bilateral agreement" {
  parties USA, CAN
  returns_to CAN cite "Art. 4"
  timeline {
    2004-12-29 in_force
  }
  applies when {
    share > 10 cite "Art. 9"
  }
}
"""  # an RL0602 for a record whose family_size is 0 or unknown


def test_RL0602_evaluation_error(golden):
    rules = DIVIDES_BY_ZERO
    _runtime_golden(golden, "RL0602_evaluation_error", rules, _RECORD, rulelang.RuleEvaluationError)


def test_RL0309_days_and_months_compared_at_run_time(golden):
    # The checker cannot see the unit of a duration read from a record; the
    # interpreter refuses the comparison rather than guess.
    rules = """
agreement demo "A bilateral agreement" {
  parties USA, CAN
  returns_to CAN cite "Art. 4"
  timeline {
    2004-12-29 in_force
  }
  applies when {
    (case.waiting ?? 0 days) <= 1 month cite "Art. 3"
  }
}
"""
    record = {**_RECORD, "waiting": "10 days"}
    _runtime_golden(golden, "RL0309_runtime_days_and_months", rules, record,
                    rulelang.RuleEvaluationError)


# ---- record errors (RL07xx) ------------------------------------------------------------

_AGREEMENT = """
agreement demo "A bilateral agreement" {
  parties USA, CAN
  returns_to CAN cite "Art. 4"
  timeline {
    2004-12-29 in_force
  }
  applies when {
    case.entry == port_of_entry cite "Art. 4(1)"
  }
}
"""


def _record_report(policy, records) -> str:
    lines = []
    for result in policy.evaluate_many(records):
        if isinstance(result, list):
            lines.append(json.dumps([d.outcome for d in result]))
        else:
            lines.append(json.dumps(result.to_json(), sort_keys=True))
            lines.append(f"error[{result.code}]: {result.describe()}")
    return "\n".join(lines) + "\n"


def test_RL0701_invalid_record(golden):
    policy = rulelang.load(_SCHEMA + _AGREEMENT)
    with pytest.raises(rulelang.RecordError) as raised:
        policy.evaluate({**_RECORD, "entry": "port"})
    assert raised.value.field == "entry"
    records = [
        {**_RECORD, "entry": "port"},                # not a member of the enum
        {k: v for k, v in _RECORD.items() if k != "claim_date"},  # a required field is missing
        {**_RECORD, "entry_date": "2023-02-30"},     # not a real date
        {**_RECORD, "age": "fifteen"},               # wrong type
        ["not", "an", "object"],
        _RECORD,                                     # the batch goes on
    ]
    report = str(raised.value) + "\n\n" + _record_report(policy, records)
    assert report.count("error[RL0701]") == 5
    golden("diagnostics/RL0701_invalid_record.txt", report)


def test_RL0702_unknown_field_in_record(golden, tmp_path, monkeypatch):
    from rulelang.cli import cli
    from rulelang.records import validate_dict

    policy = rulelang.load(_SCHEMA + _AGREEMENT)
    result = validate_dict({**_RECORD, "agee": 15}, policy.program.input_type)
    assert result.warnings, "an unknown field is reported as a warning, not dropped silently"
    # the record is still valid: the field is ignored
    assert [d.outcome for d in policy.evaluate({**_RECORD, "agee": 15})] == ["applies"]
    monkeypatch.chdir(tmp_path)
    Path("policy.rules").write_text(_SCHEMA + _AGREEMENT, encoding="utf-8")
    Path("cases.jsonl").write_text(json.dumps({**_RECORD, "agee": 15}) + "\n", encoding="utf-8")
    run = CliRunner().invoke(cli, ["run", "policy.rules", "cases.jsonl", "--format", "jsonl"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["outcome"] == "applies"
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning")]
    assert warnings and all(line.startswith("warning[RL0702]") for line in warnings)
    golden("diagnostics/RL0702_unknown_field_in_record.txt", "\n".join(warnings) + "\n")


def test_RL0703_unreadable_record(golden):
    import io

    from rulelang.records import read_records, validate

    policy = rulelang.load(_SCHEMA + _AGREEMENT)
    data = (json.dumps(_RECORD) + "\n{\"id\": \"c-2\", \n" + "\"not json\n").encode()
    lines = []
    for raw in read_records(io.BytesIO(data), "jsonl"):
        result = validate(raw, policy.program.input_type)
        if hasattr(result, "value"):
            lines.append(f"ok: {result.case}")
        else:
            assert result.code == "RL0703"
            lines.append(f"error[{result.code}]: {result.describe()}")
    golden("diagnostics/RL0703_unreadable_record.txt", "\n".join(lines) + "\n")


def test_RL0704_unreadable_input_file(golden, tmp_path, monkeypatch):
    from rulelang.cli import cli

    monkeypatch.chdir(tmp_path)
    Path("policy.rules").write_text(_SCHEMA + _AGREEMENT, encoding="utf-8")
    Path("cases.csv").write_text('id,age,claimdate,entry_date,entry\nc-1,15,2024-05-01,2024-04-20,'
                                 'port_of_entry\n', encoding="utf-8")
    Path("notes.txt").write_text("not records\n", encoding="utf-8")
    lines = []
    for name in ("cases.csv", "notes.txt"):
        run = CliRunner().invoke(cli, ["run", "policy.rules", name, "--format", "jsonl"])
        assert run.exit_code == 2 and run.stdout == ""
        lines += [line for line in run.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 2 and all(line.startswith("error[RL0704]") for line in lines)
    golden("diagnostics/RL0704_unreadable_input_file.txt", "\n".join(lines) + "\n")


# ---- machine-readable formats -----------------------------------------------------------

def _cli_check(fmt: str, monkeypatch):
    from rulelang.cli import cli

    monkeypatch.chdir(DIAG_DIR)
    result = CliRunner().invoke(cli, ["check", "--format", fmt, "RL0204_not_an_enum_member.rules"])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def test_check_format_json(monkeypatch):
    items = _cli_check("json", monkeypatch)
    assert isinstance(items, list) and items
    for item in items:
        assert {"code", "severity", "message", "span", "help"} <= set(item)
        assert item["code"] in CODES
        assert item["severity"] in ("error", "warning")
    item = next(i for i in items if i["code"] == "RL0204")
    assert item["severity"] == "error"
    assert "port_of_entyr" in item["message"]
    assert item["help"] == "did you mean `port_of_entry`?"
    span = item["span"]
    assert span["file"] == "RL0204_not_an_enum_member.rules"
    assert (span["line"], span["column"]) == (11, 36)
    assert span["end_column"] - span["column"] == len("port_of_entyr")


def test_check_format_sarif(monkeypatch):
    log = _cli_check("sarif", monkeypatch)
    assert log["version"] == "2.1.0"
    assert "sarif" in log["$schema"]
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "rulelang"
    assert {rule["id"] for rule in driver["rules"]} == set(CODES)
    (result,) = [r for r in run["results"] if r["ruleId"] == "RL0204"]
    assert result["level"] == "error"
    assert "port_of_entyr" in result["message"]["text"]
    (location,) = result["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "RL0204_not_an_enum_member.rules"
    assert physical["region"]["startLine"] == 11
    assert physical["region"]["startColumn"] == 36
