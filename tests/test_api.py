"""The embedding API: rulelang.load / check, Policy.evaluate / evaluate_many /
run_tests, and the typed errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import rulelang
from rulelang.records import InvalidRecord

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
POLICY_PATH = FIXTURES / "cli_policy.rules"


def case(**fields) -> dict:
    base = {"id": "api-1", "nationalities": ["HND"], "claim_country": "USA",
            "claim_date": "2024-05-01", "arrived_from": "CAN",
            "entry_type": "land_port_of_entry", "age": 30, "public_interest_waiver": False}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def policy() -> rulelang.Policy:
    return rulelang.load(POLICY_PATH)


# ---- load ---------------------------------------------------------------------------

def test_public_names():
    for name in ("load", "check", "Policy", "Decision", "Diagnostic", "Severity", "RuleSyntaxError",
                 "RuleTypeError", "RecordError", "ConflictError", "RuleEvaluationError",
                 "RulelangError"):
        assert name in rulelang.__all__ and hasattr(rulelang, name)
    for cls in (rulelang.RuleSyntaxError, rulelang.RuleTypeError, rulelang.RecordError,
                rulelang.ConflictError, rulelang.RuleEvaluationError):
        assert issubclass(cls, rulelang.RulelangError)
    assert issubclass(rulelang.ConflictError, rulelang.RuleEvaluationError)


@pytest.mark.parametrize("target", [POLICY_PATH, str(POLICY_PATH)], ids=["Path", "str"])
def test_load_from_a_path(target):
    policy = rulelang.load(target)
    assert isinstance(policy, rulelang.Policy)
    assert policy.agreements == ["north", "south"]


def test_load_from_a_relative_path(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert rulelang.load("tests/fixtures/cli_policy.rules").agreements == ["north", "south"]


def test_load_from_source_text():
    policy = rulelang.load(POLICY_PATH.read_text(encoding="utf-8"))
    assert policy.agreements == ["north", "south"]
    [north, south] = policy.evaluate(case())
    assert (north.outcome, north.returns_to) == ("applies", "CAN")
    assert south.outcome == "not_in_force"


def test_load_one_line_of_rule_text_is_text_not_a_path():
    # a single line without braces must still be read as rules
    policy = rulelang.load("rule x: bool = true")
    assert policy.agreements == []
    with pytest.raises(rulelang.RuleTypeError):
        rulelang.load("rule x: bool = 1")


def test_load_from_stdlib():
    policy = rulelang.load("stdlib:common")   # the shared schema: it checks clean by CI rule 9
    assert policy.agreements == []
    assert policy.program.input_type is not None
    # and an agreement file, whichever of them checks clean today
    stdlib = ROOT / "stdlib_policies"
    for path in sorted(stdlib.glob("*.rules")):
        if path.stem == "common":
            continue
        if not any(d.is_error for d in rulelang.check(f"stdlib:{path.stem}")):
            loaded = rulelang.load(f"stdlib:{path.stem}")
            assert loaded.agreements, path.stem
            break


def test_load_unknown_stdlib_name_raises():
    with pytest.raises(rulelang.RulelangError) as info:
        rulelang.load("stdlib:no_such_agreement_anywhere")
    assert info.value.diagnostics


def test_load_rejects_non_text():
    with pytest.raises(rulelang.ArgumentError, match="not int"):
        rulelang.load(42)


def test_load_syntax_error_carries_diagnostics():
    with pytest.raises(rulelang.RuleSyntaxError) as info:
        rulelang.load("record Case {\n  id: text\n\nrule x: bool = (\n")
    error = info.value
    assert error.diagnostics and all(isinstance(d, rulelang.Diagnostic) for d in error.diagnostics)
    assert error.diagnostics[0].code.startswith("RL000")
    assert "syntax error" in str(error)


def test_load_type_error_carries_diagnostics():
    with pytest.raises(rulelang.RuleTypeError) as info:
        rulelang.load(FIXTURES / "bad_type.rules")
    codes = [d.code for d in info.value.diagnostics if d.is_error]
    assert codes == ["RL0307"]
    assert "bad_type.rules:9" in str(info.value)


def test_load_keeps_warnings():
    policy = rulelang.load("record Case {\n  id: text\n  claim_date: date\n}\n"
                           "input case: Case as_of claim_date\n"
                           "agreement a \"A\" {\n  parties USA, CAN\n  timeline {\n"
                           "    2000-01-01 in_force\n  }\n  applies when {\n    true\n  }\n}\n")
    assert "RL0407" in [w.code for w in policy.warnings]    # a scope condition without citation
    assert all(not w.is_error for w in policy.warnings)


# ---- check ----------------------------------------------------------------------------

def test_check_clean_file_returns_no_errors():
    diags = rulelang.check(POLICY_PATH)
    assert isinstance(diags, list)
    assert [d for d in diags if d.is_error] == []


@pytest.mark.parametrize("text,code_prefix", [
    ("record Case {\n  id: text\n\nrule x: bool = (\n", "RL000"),    # syntax
    ("rule x: bool = 1\n", "RL0301"),                                # type
    ("rule x: bool = 1", "RL0301"),                                  # one line
    ("rule x: bool = y\n", "RL0101"),                                # unknown name
    ("const d: date = 2023-02-30\n", "RL0201"),                      # impossible date
    ("const c: country = XYZ\n", "RL0202"),                          # unknown country
    ("\x00\x01\xff\ufffd{{{ ]]] \n", "RL000"),                       # binary junk as text
    ("agreement {", "RL0001"),
])
def test_check_never_raises_for_bad_text(text, code_prefix):
    diags = rulelang.check(text)
    assert diags and all(isinstance(d, rulelang.Diagnostic) for d in diags)
    errors = [d for d in diags if d.is_error]
    assert errors and errors[0].code.startswith(code_prefix), [(d.code, d.message) for d in diags]
    assert errors[0].span is not None


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "# only a comment\n"])
def test_check_empty_text(text):
    assert [d for d in rulelang.check(text) if d.is_error] == []


def test_check_binary_file(tmp_path):
    junk = tmp_path / "junk.rules"
    junk.write_bytes(bytes(range(256)) * 3 + os.urandom(64))
    diags = rulelang.check(junk)
    assert any(d.is_error for d in diags)
    with pytest.raises(rulelang.RuleSourceError):        # not UTF-8: it cannot be read as text
        rulelang.load(junk)


def test_check_missing_file_is_a_diagnostic(tmp_path):
    [diag] = rulelang.check(tmp_path / "absent.rules")
    assert diag.code == "RL0004" and diag.is_error


# ---- evaluate -------------------------------------------------------------------------

def test_evaluate_returns_one_decision_per_agreement(policy):
    decisions = policy.evaluate(case())
    assert [d.agreement for d in decisions] == ["north", "south"]
    north = decisions[0]
    assert isinstance(north, rulelang.Decision)
    assert north.case == "api-1" and north.as_of.isoformat() == "2024-05-01"
    assert list(north.to_json()) == ["case", "agreement", "as_of", "status", "outcome", "returns_to",
                                     "exceptions", "missing", "unestablished", "trace"]
    assert "trace" not in north.to_json(trace=False)


def test_evaluate_options(policy):
    [north] = policy.evaluate(case(), as_of="2004-12-28", agreements=["north"])
    assert north.status == "not_yet_in_force" and north.outcome == "not_in_force"
    [south] = policy.evaluate(case(), assume="in_force", agreements=["south"])
    assert south.outcome == "applies" and south.returns_to == "GTM" and south.assumed == "in_force"
    with pytest.raises(KeyError):
        policy.evaluate(case(), agreements=["west"])


def test_evaluate_does_not_modify_the_record(policy):
    record = case()
    before = dict(record)
    policy.evaluate(record)
    assert record == before


@pytest.mark.parametrize("fields,field", [
    ({"claim_country": None}, "claim_country"),
    ({"claim_country": "USX"}, "claim_country"),
    ({"claim_date": "2023-02-30"}, "claim_date"),
    ({"claim_date": "1 May 2024"}, "claim_date"),
    ({"age": "thirty"}, "age"),
    ({"age": True}, "age"),
    ({"entry_type": "port"}, "entry_type"),
    ({"nationalities": "HND"}, "nationalities"),
    ({"nationalities": ["HND", "ZZZ"]}, "nationalities[1]"),
])
def test_evaluate_invalid_record_raises_record_error(policy, fields, field):
    with pytest.raises(rulelang.RecordError) as info:
        policy.evaluate(case(**fields))
    assert info.value.field == field
    assert info.value.record == "api-1"
    assert field in str(info.value)


def test_evaluate_non_object_record(policy):
    with pytest.raises(rulelang.RecordError) as info:
        policy.evaluate(["not", "a", "record"])
    assert info.value.field is None


def test_evaluate_without_an_input_declaration():
    policy = rulelang.load("rule x: bool = true\n")
    with pytest.raises(rulelang.RuleTypeError):
        policy.evaluate({"id": "x"})


# ---- evaluate_many ---------------------------------------------------------------------------

def test_evaluate_many_is_lazy(policy):
    pulled = []

    def records():
        for i in range(3):
            pulled.append(i)
            yield case(id=f"lazy-{i}")
        raise RuntimeError("the source broke after three records")

    results = policy.evaluate_many(records())
    assert pulled == []                                  # nothing read before asking
    first = next(results)
    assert pulled == [0]                                 # one record read per result
    assert first[0].case == "lazy-0"
    assert next(results)[0].case == "lazy-1"
    assert pulled == [0, 1]
    assert next(results)[0].case == "lazy-2"
    with pytest.raises(RuntimeError, match="broke"):
        next(results)


def test_evaluate_many_yields_invalid_records_and_goes_on(policy):
    records = [case(id="a"), case(id="b", claim_date="2023-02-30"), "junk", case(id="d", age=16)]
    results = list(policy.evaluate_many(records))
    assert len(results) == len(records)
    assert [d.outcome for d in results[0]] == ["applies", "not_in_force"]
    bad = results[1]
    assert isinstance(bad, InvalidRecord)
    assert (bad.case, bad.field, bad.position) == ("b", "claim_date", "record 2")
    assert isinstance(results[2], InvalidRecord) and results[2].position == "record 3"
    assert results[2].to_json()["case"] == "record 3"
    assert results[3][0].outcome == "exempt" and results[3][0].exceptions == ("minor",)


def test_evaluate_many_applies_options(policy):
    results = list(policy.evaluate_many([case(), case(id="x2")], as_of="2004-12-28",
                                        agreements=["north"]))
    assert [[d.outcome for d in r] for r in results] == [["not_in_force"], ["not_in_force"]]


# ---- run_tests ------------------------------------------------------------------------------

def test_run_tests(policy):
    results = policy.run_tests()
    assert [r.name for r in results] == ["an adult at a land port is returned to Canada",
                                         "a 16-year-old is exempt",
                                         "the southern agreement is only proposed"]
    assert all(r.passed for r in results)


def test_run_tests_reports_failures():
    results = rulelang.load(FIXTURES / "failing_tests.rules").run_tests()
    assert [r.passed for r in results] == [True, False]
    [failure] = results[1].failures
    assert "case.age >= 18" in failure.message and "16" in failure.message


@pytest.mark.parametrize("part", ["compile_program", "compile_field_decider"])
def test_a_compiler_failure_is_a_warning_and_the_decisions_stay_the_same(monkeypatch, part):
    """A bug in a code generator must not fail a batch: a slower way serves, and the
    warning asks for a report."""
    from rulelang.backends import python as backend

    records = [{"id": "b-1", "nationalities": ["HND"], "claim_country": "USA", "claim_date": "2024-05-01",
                "arrived_from": "CAN", "entry_type": "land_port_of_entry", "age": 16, "accompanied": False}]
    expected = [[d.to_json(trace=False) for d in ds] for ds in
                rulelang.load("benchmarks/simplified_stca.rules").evaluate_many(records)]

    def broken(*args, **kwargs):
        raise ValueError("a generator bug")

    monkeypatch.setattr(backend, part, broken)
    policy = rulelang.load("benchmarks/simplified_stca.rules")
    with pytest.warns(RuntimeWarning, match="could not compile these rules .*a generator bug.*Please report"):
        got = [[d.to_json(trace=False) for d in ds] for ds in policy.evaluate_many(records)]
    assert got == expected


def test_rules_whose_input_names_no_as_of_field_need_the_date(tmp_path):
    policy = rulelang.load("record C { id: text, age: int? }\ninput c: C\n"
                           "rule adult: bool? = c.age >= 18\n")
    for call in (lambda: policy.evaluate({"id": "a"}), lambda: policy.to_sql(),
                 lambda: policy.evaluate_table([{"id": "a"}])):
        with pytest.raises(rulelang.ArgumentError, match="names no as-of field"):
            call()
    assert policy.rule_values({"id": "a", "age": 20}, as_of="2024-01-01") == {"adult": True}
