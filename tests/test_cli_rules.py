"""Rule values on the command line: `run --rule NAME` and `explain` (issue 10 §3)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import rulelang
from rulelang.cli import cli
from rulelang.runtime import to_json_value

ROOT = Path(__file__).resolve().parent.parent
POLICY = str(ROOT / "tests" / "fixtures" / "api_policy.rules")
RECORDS = [
    {"id": "known", "claim_date": "2024-05-01", "entry_date": "2024-04-25", "nationalities": ["HND"],
     "route": ["CAN"], "relatives": [], "income": "2000", "age": 30},
    {"id": "unknown", "claim_date": "2024-05-01", "nationalities": ["HND"], "route": ["CAN"],
     "relatives": []},
]


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def cases(tmp_path) -> str:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    return str(path)


def test_run_rule_writes_the_values_the_api_gives(cases):
    result = invoke("run", POLICY, cases, "--rule", "well_off,prompt_claim", "--rule", "minor")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    policy = rulelang.load(POLICY)
    for record in RECORDS:
        values = policy.rule_values(record, ["well_off", "prompt_claim", "minor"])
        mine = [row for row in rows if row["case"] == record["id"]]
        assert len(mine) == 2                                   # one row per agreement
        for row in mine:
            assert row["rules"] == {name: to_json_value(v) for name, v in values.items()}
            unknown = {name: sorted(v.facts) for name, v in values.items()
                       if isinstance(v, rulelang.Unknown)}
            assert row.get("rules_unknown", {}) == unknown
    assert rows[-1]["rules_unknown"] == {"well_off": ["income"], "prompt_claim": ["entry_date"],
                                         "minor": ["age"]}


def test_run_rule_in_csv(cases):
    result = invoke("run", POLICY, cases, "--rule", "well_off", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["rule:well_off"] for row in rows] == ["true", "true", "", ""]


def test_run_rule_keeps_the_jsonl_row_otherwise_unchanged(cases):
    plain = invoke("run", POLICY, cases).stdout.splitlines()
    with_rules = invoke("run", POLICY, cases, "--rule", "minor").stdout.splitlines()
    for a, b in zip(plain, with_rules):
        b = json.loads(b)
        b.pop("rules")
        b.pop("rules_unknown", None)
        assert json.loads(a) == b


def test_run_unknown_rule_lists_the_rules(cases):
    result = invoke("run", POLICY, cases, "--rule", "minr")
    assert result.exit_code == 2
    assert "did you mean `minor`" in result.output
    assert "minor, prompt_claim, well_off, stay_days" in result.output


def test_run_rule_is_for_record_formats(cases):
    result = invoke("run", POLICY, cases, "--rule", "minor", "--format", "table")
    assert result.exit_code == 2 and "jsonl, json or csv" in result.output


def test_explain_shows_the_rules_the_agreements_read(cases):
    result = invoke("explain", POLICY, cases, "--id", "unknown", "--agreement", "north")
    assert result.exit_code == 0, result.output
    rules = result.stdout.split("\nrules:\n", 1)[1].splitlines()
    # north reads minor, prompt_claim and well_off; stay_days is read by `stays` only
    assert [line.split(":")[0].strip() for line in rules] == ["? minor", "? prompt_claim", "? well_off"]
    assert "unknown (missing: income)" in rules[2]


def test_explain_rule_chooses_the_rules(cases):
    result = invoke("explain", POLICY, cases, "--rule", "stay_days")
    assert result.stdout.rstrip().endswith("rules:\n  • stay_days: 30")
