"""The embedding API's results (issue 10 §3): the fast path and traces, typed
outcomes and statuses, one story for invalid records, rule values, short reprs,
and the Policy as the service layer the command line calls."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

import rulelang

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE = ROOT / "examples" / "cases" / "sample.jsonl"


def case(**fields) -> dict:
    base = {"id": "a", "claim_date": "2024-05-01", "entry_date": "2024-04-25",
            "nationalities": ["HND"], "route": ["GTM", "CAN"],
            "relatives": [{"relation": "parent", "since": "2021-01-01"}], "income": "10.5",
            "age": 30}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def policy() -> rulelang.Policy:
    return rulelang.load(FIXTURES / "api_policy.rules")


@pytest.fixture(scope="module")
def stdlib() -> rulelang.Policy:
    return rulelang.load("stdlib:all")


@pytest.fixture(scope="module")
def samples() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()
            if line.strip()]


# ---- evaluate: compiled by default, traces on request ----------------------------------

def test_evaluate_is_the_compiled_path_and_traces_come_from_the_interpreter(policy, monkeypatch):
    from rulelang.interpret import Evaluation

    def no_interpreter(self, agreement):
        raise AssertionError("the interpreter ran")

    monkeypatch.setattr(Evaluation, "decision", no_interpreter)
    fast = policy.evaluate(case())                        # never reaches the interpreter
    assert [d.trace for d in fast] == [(), ()]
    with pytest.raises(AssertionError, match="interpreter ran"):
        policy.evaluate(case(), trace=True)


def test_the_fast_path_and_the_trace_give_the_same_decisions(stdlib, samples):
    for record in samples:
        try:
            fast = stdlib.evaluate(record)
        except rulelang.RecordError:
            continue
        traced = stdlib.evaluate(record, trace=True)
        assert all(d.trace for d in traced)
        assert [d.to_json(trace=False) for d in fast] == [d.to_json(trace=False) for d in traced]


def test_evaluate_takes_its_options_by_keyword_only(policy):
    with pytest.raises(TypeError):
        policy.evaluate(case(), "2024-05-01")


def test_evaluate_many_keeps_its_positional_options(policy):
    [result] = policy.evaluate_many([case()], "2004-12-28", None, ["north"])
    assert [(d.agreement, d.outcome) for d in result] == [("north", "not_in_force")]
    [traced] = policy.evaluate_many([case()], trace=True)
    assert all(d.trace for d in traced)


# ---- typed results -------------------------------------------------------------------

def test_outcome_and_status_are_members_that_equal_their_text(policy):
    north, stays = policy.evaluate(case())
    assert north.outcome is rulelang.Outcome.APPLIES and stays.status is rulelang.Status.IN_FORCE
    assert north.outcome == "applies" and "applies" == north.outcome
    assert {north.outcome: 1}["applies"] == 1                  # hashed as its text
    assert (str(north.outcome), f"{north.outcome}", f"{north.outcome:>9}") == \
        ("applies", "applies", "  applies")
    assert json.dumps(north.outcome) == '"applies"'
    assert repr(north.outcome) == "Outcome.APPLIES"


@pytest.mark.parametrize("enum,names", [
    (rulelang.Outcome, "OUTCOME"), (rulelang.Status, "STATUS")])
def test_the_enums_are_the_checkers_enums(enum, names):
    """The members are the values rules read (`x.outcome == exempt`), no more, no fewer."""
    from rulelang.semantics import types as T

    assert [m.value for m in enum] == list(getattr(T, names).members)


def test_decisions_in_json_are_the_same_text(policy):
    decision = policy.evaluate(case())[0]
    row = decision.to_json()
    assert type(row["outcome"]) is rulelang.Outcome                  # the member itself ...
    plain = {key: str.__str__(value) if isinstance(value, str) else value
             for key, value in row.items()}
    assert json.dumps(row) == json.dumps(plain)                       # ... written as its text
    assert json.dumps(row, ensure_ascii=False, indent=1) == json.dumps(plain, ensure_ascii=False,
                                                                       indent=1)


def test_decision_documents_every_field():
    doc = rulelang.Decision.__doc__
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in rulelang.Decision._fields:
        assert f"\n    {name} " in doc, f"Decision's docstring does not describe `{name}`"
        assert f"`{name}`" in api, f"docs/api.md does not describe Decision.{name}"


def test_py_typed_is_in_the_package():
    assert (ROOT / "rulelang" / "py.typed").is_file()


# ---- one story for invalid records ---------------------------------------------------

def test_evaluate_raises_what_evaluate_many_yields(policy):
    bad = case(claim_date="2024-02-30", route="CAN", age="thirty")
    [invalid] = policy.evaluate_many([bad])
    assert isinstance(invalid, rulelang.InvalidRecord)
    with pytest.raises(rulelang.RecordError) as raised:
        policy.evaluate(bad)
    error = raised.value
    assert len(invalid.errors) == 3
    assert (error.case, error.field, error.code, error.message, error.errors) == \
        (invalid.case, invalid.field, invalid.code, invalid.message, invalid.errors)
    assert error.invalid == rulelang.InvalidRecord(**{**_fields(invalid), "position": "record"})
    assert error.record == error.case == "a"                   # `record`, its first name, stays


def _fields(invalid) -> dict:
    return {name: getattr(invalid, name) for name in ("case", "position", "field", "message",
                                                        "code", "more")}


def test_a_runtime_failure_is_raised_by_evaluate_and_yielded_by_evaluate_many(policy):
    conflicting = case(age=15, route=["USA", "CAN"])           # two exceptions of stay_days hold
    with pytest.raises(rulelang.ConflictError) as raised:
        policy.evaluate(conflicting)
    [invalid] = policy.evaluate_many([conflicting])
    assert invalid.code == "RL0601" == raised.value.diagnostics[0].code
    assert str(raised.value) in invalid.message


# ---- rule values ---------------------------------------------------------------------

def test_rule_values_known_and_unknown(policy):
    values = policy.rule_values(case(income=None))
    assert list(values) == policy.rules == ["minor", "prompt_claim", "well_off", "stay_days"]
    assert values["minor"] is False and values["stay_days"] == 30
    assert isinstance(values["well_off"], rulelang.Unknown)
    assert values["well_off"].facts == {"income"}
    with pytest.raises(TypeError, match=r"isinstance\(value, rulelang.Unknown\)"):
        bool(values["well_off"])                                # never silently false


def test_rule_values_by_name_and_date(policy):
    assert policy.rule_values(case(age=12), ["stay_days", "minor"]) == {"stay_days": 90,
                                                                        "minor": True}
    assert policy.rule_values(case(), names="minor", as_of="2030-01-01") == {"minor": False}


def test_rule_values_are_the_interpreters(stdlib, samples):
    from rulelang.interpret import Evaluation

    for record in samples[:20]:
        value = stdlib.validate(record).value
        evaluation = Evaluation(stdlib.program, value, value[stdlib.program.as_of_field])
        expected = {r.name: evaluation.rule_value(r) for r in stdlib.program.rules}
        assert stdlib.rule_values(record) == expected


def test_rule_values_of_an_unknown_rule_lists_the_rules(policy):
    with pytest.raises(rulelang.UnknownNameError) as raised:
        policy.rule_values(case(), ["minr"])
    assert "`minr`" in str(raised.value) and "did you mean `minor`" in str(raised.value)
    assert "minor, prompt_claim, well_off, stay_days" in str(raised.value)


def test_rule_values_of_an_invalid_record_raise_record_error(policy):
    with pytest.raises(rulelang.RecordError) as raised:
        policy.rule_values(case(age="old"))
    assert raised.value.field == "age"


# ---- short reprs ---------------------------------------------------------------------

def test_reprs_do_not_embed_the_rule_text(policy):
    text = (FIXTURES / "api_policy.rules").read_text(encoding="utf-8")
    long_line = "rule exception_text_marker: bool = true\n"
    bad = rulelang.load(text + long_line).program      # a second copy under <string>
    diagnostic = rulelang.check(text + "rule x: bool = 1\n")[0]
    failing = rulelang.load(FIXTURES / "failing_tests.rules").run_tests()[1]
    traced = policy.evaluate(case(), trace=True)[0]
    for value in (diagnostic, failing, traced, policy, rulelang.Policy(bad)):
        shown = repr(value)
        assert "Northern agreement" not in shown and "record Case" not in shown, shown
        assert len(shown) < 600, shown
    assert "trace=<" in repr(traced) and "Span(" in repr(diagnostic)
    assert repr(policy) == "<Policy agreements=[north, stays] input=Case>"


def test_render_is_exported():
    [diagnostic] = [d for d in rulelang.check("rule x: bool = 1\n") if d.is_error]
    shown = rulelang.render(diagnostic)
    assert "error[RL0301]" in shown and "^" in shown


# ---- the service layer ---------------------------------------------------------------

def test_each_policy_owns_its_validator(policy):
    other = rulelang.load(FIXTURES / "api_policy.rules")
    policy.validate(case())
    other.validate(case())
    assert policy._validator is not None and policy._validator is not other._validator


def test_the_shared_validator_cache_lets_go_of_dropped_policies():
    import importlib

    validation = importlib.import_module("rulelang.records.validate")

    loaded = rulelang.load(FIXTURES / "api_policy.rules")
    validation.validate_dict(case(), loaded.program.input_type)      # no Policy: the cache
    assert id(loaded.program.input_type) in validation._fast_cache     # keyed by the type's id,
    before = len(validation._fast_cache)                               # held by a weak reference
    del loaded
    gc.collect()
    assert len(validation._fast_cache) == before - 1


def test_the_command_line_calls_the_policy_not_its_internals():
    for module in ("cli.py", "batch/__init__.py", "batch/columnar.py"):
        source = (ROOT / "rulelang" / module).read_text(encoding="utf-8")
        for private in ("._decide(", "._select(", "Policy(", "validate(raw, "):
            assert private not in source, f"rulelang/{module} calls {private}"
