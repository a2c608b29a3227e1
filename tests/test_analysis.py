"""The solver's findings (rulelang.analysis): each on a small program that has it and
not on a near-identical one that does not; witnesses are real; what the encoding
does not model never yields a "never"; the shipped rules are analysed in time."""

from __future__ import annotations

from pathlib import Path

import pytest

import rulelang
from rulelang.analysis import analyse, findings
from rulelang.diagnostics import Severity, render
from rulelang.interpret import Evaluation
from rulelang.runtime import EvaluationError
from test_diagnostics_golden import _SCHEMA

GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "analysis"

# the diagnostics' test record, with a list to ask `in` of
SCHEMA = _SCHEMA.replace("  waiting: duration?\n", "  transit: list<country>?\n")


def agreement(scope: str, exceptions: str = "", timeline: str = "2004-12-29 in_force") -> str:
    return f"""
agreement demo "A bilateral agreement" {{
  parties USA, CAN
  returns_to CAN cite "Art. 4"
  timeline {{
    {timeline}
  }}
  applies when {{
    {scope}
  }}
  {exceptions}
}}
"""


def analysed(rules: str) -> list:
    return analyse(rulelang.load(SCHEMA + rules).program)


def codes(rules: str) -> list[str]:
    return [d.code for d in analysed(rules)]


# ---- RL0409: agreement can never apply ---------------------------------------------------------

def test_clashing_scope_conditions_are_found_and_named():
    [d] = analysed(agreement('case.entry == port_of_entry cite "A"\n'
                             '    (case.age ?? 0) >= 18 cite "B"\n'
                             '    (case.age ?? 0) < 16 cite "C"'))
    assert d.code == "RL0409" and d.severity is Severity.WARNING
    assert d.span.text == "demo"
    assert d.message == "agreement `demo` can never apply: no record meets its conditions #2, #3 together"
    # the core names the two that clash, not the one beside them
    assert [label.span.text for label in d.labels] == ["(case.age ?? 0) >= 18", "(case.age ?? 0) < 16"]
    assert d.help


def test_compatible_scope_conditions_are_not_found():
    assert codes(agreement('case.entry == port_of_entry cite "A"\n'
                           '    (case.age ?? 0) >= 18 cite "B"\n'
                           '    (case.age ?? 0) < 26 cite "C"')) == []


def test_a_condition_that_clashes_with_the_timeline():
    [d] = analysed(agreement('case.claim_date < 2000-01-01 cite "A"'))
    assert d.code == "RL0409"
    assert "on a date it is in force" in d.message
    assert [label.span.text for label in d.labels] == ["case.claim_date < 2000-01-01", "2004-12-29 in_force"]
    assert codes(agreement('case.claim_date < 2010-01-01 cite "A"')) == []


def test_a_dated_condition_counts_only_while_it_is_law():
    clash = ('case.entry == port_of_entry cite "A"\n'
             '    case.entry == between_ports from 2030-01-01 cite "B"')
    # before 2030 the second condition is not law: the agreement applies to port arrivals
    assert codes(agreement(clash)) == []
    # ended before 2030 ... still not law on any date it is in force
    assert codes(agreement(clash, timeline="2004-12-29 in_force\n    2020-01-01 terminated")) == []
    # law from 2001, and in force only from 2004: the two clash on every in-force date
    dated = clash.replace("2030-01-01", "2001-01-01")
    assert codes(agreement(dated)) == ["RL0409"]


def test_an_agreement_never_in_force_is_analysed_as_assumed_in_force():
    assert codes(agreement('case.entry == port_of_entry cite "A"', timeline="2025-10-20 signed")) == []


# ---- RL0410: exception can never hold ----------------------------------------------------------

PORT_ONLY = 'case.entry == port_of_entry cite "A"'


def test_an_exception_outside_the_scope_is_found():
    [d] = analysed(agreement(PORT_ONLY, 'exception crossed when case.entry == between_ports cite "E"'))
    assert d.code == "RL0410"
    assert d.span.text == "crossed"
    assert d.message == ("exception `crossed` can never hold: no record within the scope of `demo` "
                         "meets its condition")
    assert [label.span.text for label in d.labels] == ["case.entry == between_ports"]


def test_an_exception_within_the_scope_is_not_found():
    assert codes(agreement(PORT_ONLY, 'exception minor when (case.age ?? 99) < 18 cite "E"')) == []


def test_a_counter_exception_is_read_with_its_parent():
    exceptions = ('exception minor when (case.age ?? 99) < 18 cite "E"\n'
                  '  exception adult_minor of minor when (case.age ?? 0) > 40 cite "F"')
    [d] = analysed(agreement(PORT_ONLY, exceptions))
    assert d.code == "RL0410" and d.span.text == "adult_minor"
    assert "with its parent `minor`" in d.message
    assert codes(agreement(PORT_ONLY, exceptions.replace("> 40", "< 5"))) == []


def test_an_exception_dated_after_the_agreement_ended():
    timeline = "2004-12-29 in_force\n    2019-07-01 terminated"
    late = 'exception late when (case.age ?? 99) < 18 from 2020-01-01 cite "E"'
    assert codes(agreement(PORT_ONLY, late, timeline)) == ["RL0410"]
    assert codes(agreement(PORT_ONLY, late.replace("2020-01-01", "2018-01-01"), timeline)) == []


# ---- RL0411: exception holds for everyone in scope ---------------------------------------------

def test_an_exception_everyone_in_scope_meets_is_found():
    [d] = analysed(agreement('(case.age ?? 0) < 18 cite "A"',
                             'exception minor when (case.age ?? 0) < 18 cite "E"'))
    assert d.code == "RL0411"
    assert d.span.text == "minor"
    assert d.message == ("exception `minor` holds for everyone within the scope of `demo`: "
                         "the agreement can never end in `applies`")


def test_an_exception_some_in_scope_escape_is_not_found():
    assert codes(agreement('(case.age ?? 0) < 18 cite "A"',
                           'exception minor when (case.age ?? 0) < 14 cite "E"')) == []
    # the exception's fact may be unknown: an unknown age is not `true`
    assert codes(agreement('(case.age ?? 0) < 18 cite "A"',
                           'exception minor when case.age < 18 cite "E"')) == []


# ---- RL0412: exceptions can conflict -------------------------------------------------------------

CONFLICTING = """
rule max_stay_days: int {
  default 30
  exception minor when (case.age ?? 99) < 18 => 90 cite "Art. 7"
  exception port_arrival when case.entry == port_of_entry => 60 cite "Art. 8"
}
"""


def test_conflicting_exceptions_are_found_with_a_record_that_conflicts():
    program = rulelang.load(SCHEMA + CONFLICTING).program
    [found] = findings(program)
    d = found.diagnostic
    assert d.code == "RL0412"
    assert d.span.text == "port_arrival"
    assert [label.span.text for label in d.labels] == ["minor"]
    assert d.message == ("exceptions `minor` and `port_arrival` of rule `max_stay_days` can both hold "
                         "and give different values")
    assert "RL0601" in d.help
    # the witness is real: the reference interpreter stops on it with the conflict
    witness = found.witness
    policy = rulelang.load(SCHEMA + CONFLICTING)
    assert policy.validate(witness.record) is not None
    [rule] = program.rules
    with pytest.raises(EvaluationError) as raised:
        Evaluation(program, witness.value, witness.as_of).rule_value(rule)
    assert raised.value.code == "RL0601"


def test_exceptions_with_a_priority_or_the_same_value_are_not_found():
    ordered = CONFLICTING.replace("exception port_arrival when", "exception port_arrival of minor when")
    assert codes(ordered) == []
    agreeing = CONFLICTING.replace("=> 60", "=> 90")
    assert codes(agreeing) == []
    disjoint = CONFLICTING.replace("(case.age ?? 99) < 18", "case.entry == between_ports")
    assert codes(disjoint) == []


def test_nested_siblings_can_conflict_too():
    nested = """
rule max_stay_days: int {
  default 30
  exception minor when (case.age ?? 99) < 18 => 90 cite "Art. 7"
  exception young of minor when (case.age ?? 99) < 10 => 120 cite "Art. 7(2)"
  exception at_port of minor when case.entry == port_of_entry => 60 cite "Art. 7(3)"
}
"""
    [d] = analysed(nested)
    assert d.code == "RL0412" and d.span.text == "at_port"
    assert [label.span.text for label in d.labels] == ["young"]


# ---- what the encoding does not model --------------------------------------------------------------

@pytest.mark.parametrize("condition", [
    "len(case.transit ?? []) > 3",                      # len: abstracted
    "100 / (case.family_size ?? 1) > 10",               # decimal division: abstracted
    "case.entry_date + 1 month > case.claim_date",      # month arithmetic: abstracted
])
def test_a_construct_not_encoded_never_yields_a_never(condition):
    # satisfiable at run time, with the exception: the solver must not prove otherwise
    scope = f'{condition} cite "A"\n    case.entry == port_of_entry cite "B"'
    assert codes(agreement(scope, 'exception minor when (case.age ?? 99) < 18 cite "E"')) == []


def test_an_abstracted_construct_never_yields_a_conflict_without_a_witness():
    # `len` is any value to the solver: it finds a "conflict" the interpreter refuses
    rules = """
rule stay: int {
  default 30
  exception a when len(case.transit ?? []) > 3 => 90 cite "Art. 7"
  exception b when len(case.transit ?? []) < 2 => 60 cite "Art. 8"
}
"""
    assert codes(rules) == []


# ---- the printed form, and the shipped rules --------------------------------------------------------

@pytest.mark.parametrize("path", sorted(GOLDEN_DIR.glob("RL*.rules")), ids=lambda p: p.stem)
def test_golden_analysis(path, golden, monkeypatch):
    monkeypatch.chdir(GOLDEN_DIR)
    diagnostics = analyse(rulelang.load(path.name).program)
    assert path.name[:6] in {d.code for d in diagnostics}
    golden(f"analysis/{path.stem}.txt", "\n\n".join(render(d) for d in diagnostics) + "\n")


def test_the_shipped_rules_have_no_finding():
    """Every shipped agreement can apply, and each of its exceptions can hold and can
    fail to hold within its scope (as far as the encoding can prove: docs/analysis.md)."""
    assert analyse(rulelang.load("stdlib:all").program) == []


# ---- where users meet it: rulelang check --deep, rulelang.check(deep=True) -----------------

def test_the_deep_check_adds_the_solvers_warnings(tmp_path):

    from click.testing import CliRunner

    from rulelang.cli import cli

    [example] = sorted(GOLDEN_DIR.glob("RL0409_*.rules"))
    shallow = CliRunner().invoke(cli, ["check", str(example)])
    deep = CliRunner().invoke(cli, ["check", "--deep", str(example)])
    assert shallow.exit_code == deep.exit_code == 0  # warnings, not errors
    assert "RL0409" not in shallow.output and "warning[RL0409]" in deep.output
    assert [d.code for d in rulelang.check(str(example), deep=True)] == ["RL0409"]
    assert rulelang.check(str(example)) == []


def test_without_z3_the_deep_check_says_which_extra_to_install(monkeypatch):
    import sys

    from click.testing import CliRunner

    from rulelang.cli import cli

    monkeypatch.setitem(sys.modules, "z3", None)
    result = CliRunner().invoke(cli, ["check", "--deep", "stdlib:all"])
    assert result.exit_code == 2 and "pip install 'rulelang[analysis]'" in result.output
