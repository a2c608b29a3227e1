"""The shipped library: every file checks clean, its tests pass, its page is current,
and the README's first command works on the shipped examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import rulelang
from rulelang.docgen import pages
from rulelang.interpret import run_test
from rulelang.semantics.resolve import stdlib_names

ROOT = Path(__file__).resolve().parent.parent
NAMES = stdlib_names()
AGREEMENTS = [n for n in NAMES if n != "common"]


def test_the_library_has_every_instrument_the_issue_names():
    wanted = {"stca_us", "stca_canada", "aca_guatemala_2019", "aca_honduras_2019",
              "aca_el_salvador_2019", "el_salvador_2025", "mpp", "aea_tren_de_aragua",
              "aca_honduras_2025", "aca_guatemala_2025", "aca_uganda_2025", "aca_paraguay_2025",
              "aca_belize_2025", "dublin_iii", "el_salvador_detention_2025", "ecuador_transfer_2025",
              "ammr", "proclamation_10888", "securing_the_border_2024", "lawful_pathways_2023",
              "third_country_removal"}
    assert wanted <= set(AGREEMENTS)


@pytest.mark.parametrize("name", NAMES)
def test_checks_with_no_diagnostics_at_all(name):
    diagnostics = rulelang.check(f"stdlib:{name}")
    assert diagnostics == [], "\n".join(f"{d.code} {d.message}" for d in diagnostics)


@pytest.mark.parametrize("name", NAMES)
def test_its_tests_pass(name):
    policy = rulelang.load(f"stdlib:{name}")
    tests = policy.program.tests
    if name != "common":
        assert len(tests) >= 8, f"{name} has only {len(tests)} tests"
    failures = []
    for info in tests:
        result = run_test(policy.program, info)
        if not result.passed:
            failures.append((result.name, [f.message for f in result.failures], result.error))
    assert not failures


@pytest.mark.parametrize("name", AGREEMENTS)
def test_every_clause_is_cited(name):
    policy = rulelang.load(f"stdlib:{name}")
    for info in policy.program.agreements:
        assert info.cites, f"{info.name} cites no instrument"
        for event in info.timeline.events:
            assert event.clause.cites, f"{info.name}: event {event.date} {event.kind} uncited"
        for conjunct in info.scope:
            assert conjunct.clause.cites, f"{info.name}: {conjunct.step} uncited"
        for exc in info.all_exceptions:
            assert exc.clause.cites, f"{info.name}: exception {exc.name} uncited"


@pytest.mark.parametrize("name", AGREEMENTS)
def test_its_documentation_page_is_generated_from_it(name):
    policy = rulelang.load(f"stdlib:{name}")
    for page_name, text in pages(policy.program).items():
        page = ROOT / "docs" / "agreements" / page_name
        assert page.exists(), "run `rulelang doc stdlib:all --out docs/agreements`"
        assert page.read_text(encoding="utf-8") == text, (
            f"{page} is out of date: run `rulelang doc stdlib:all --out docs/agreements`")


def test_the_readme_first_command_decides_every_sample_case():
    sample = ROOT / "examples" / "cases" / "sample.jsonl"
    records = [line for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(records) >= 60
    done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", "stdlib:all", str(sample),
                           "--format", "jsonl"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(records) * len(AGREEMENTS)
    outcomes = {line["outcome"] for line in lines}
    assert outcomes == {"not_in_force", "not_applicable", "exempt", "applies", "undetermined"}
    # the sample is spread over the instruments: each one decides some case other than "not in force"
    touched = {line["agreement"] for line in lines if line["outcome"] in ("applies", "exempt")}
    assert len(touched) >= 10, touched


def test_the_invalid_example_reports_each_broken_record_and_keeps_going():
    invalid = ROOT / "examples" / "cases" / "invalid.jsonl"
    records = [line for line in invalid.read_text(encoding="utf-8").splitlines() if line.strip()]
    done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", "stdlib:stca_us", str(invalid),
                           "--format", "jsonl"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(records)
    errors = [line for line in lines if "error" in line]
    assert len(errors) == 5
    assert all(e["error"]["message"] for e in errors)
    assert done.stderr.count("error[RL07") == 5
    assert "Traceback" not in done.stderr


def test_embed_example_runs():
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "embed.py")], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "invalid: record bad" in done.stdout
    # the typed API: outcomes as enums, the trace on request, rule values, one error story
    assert "stca_us                in_force          applies        CAN" in done.stdout
    assert "exception valid_visa: unknown" in done.stdout
    assert "rule not_in_transit_removal_from_canada: unknown, missing in_transit_removal" in done.stdout
    assert "RecordError RL0701 on `nationalities`: 3 error(s)" in done.stdout


def test_summary_counts_every_decision_once():
    sample = ROOT / "examples" / "cases" / "sample.jsonl"
    records = [line for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", "stdlib:all", str(sample),
                           "--format", "summary"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)      # not a terminal: machine-readable
    assert summary["records"] == summary["valid"] == len(records) and summary["invalid"] == 0
    assert len(summary["agreements"]) == len(AGREEMENTS)
    for row in summary["agreements"]:
        counts = [row[o]["count"] for o in summary["outcomes"]]
        assert sum(counts) == len(records), row
        assert abs(sum(row[o]["pct"] for o in summary["outcomes"]) - 100) < 0.5, row


def test_the_readme_lists_every_shipped_agreement():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The shipped agreements"):readme.index("## Where things are")]
    missing = [name for name in AGREEMENTS if f"`{name}`" not in section]
    assert not missing, f"README's list of agreements lacks {missing}"
