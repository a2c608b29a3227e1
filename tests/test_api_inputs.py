"""What the embedding API takes (issue 10 §3): records built in Python, unknown
fields reported (never silently ignored), and arguments and rule sources checked
with errors that say what would be valid."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulelang
from record_strategies import record_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
POLICY = rulelang.load(FIXTURES / "api_policy.rules")


def case(**fields) -> dict:
    base = {"id": "a", "claim_date": "2024-05-01", "entry_date": "2024-04-25",
            "nationalities": ["HND"], "route": ["GTM", "CAN"],
            "relatives": [{"relation": "parent", "since": "2021-01-01"}], "income": "10.5",
            "age": 30, "waited": "3 days"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def fields_of(decisions) -> list[dict]:
    return [d.to_json(trace=False) for d in decisions]


# ---- records from Python -------------------------------------------------------------

PYTHON_VALUES = {
    "claim_date": _dt.date(2024, 5, 1),
    "entry_date": _dt.datetime(2024, 4, 25),             # a date-only datetime (pandas, drivers)
    "nationalities": {"HND"},
    "route": ("GTM", "CAN"),
    "relatives": ({"relation": "parent", "since": _dt.date(2021, 1, 1)},),
    "income": Decimal("10.5"),
    "age": Decimal("30"),
    "waited": _dt.timedelta(days=3),
}


@pytest.mark.parametrize("field", sorted(PYTHON_VALUES))
def test_a_python_value_decides_as_its_json_equivalent(field):
    python = case(**{field: PYTHON_VALUES[field]})
    assert fields_of(POLICY.evaluate(python)) == fields_of(POLICY.evaluate(case()))
    assert POLICY.rule_values(python) == POLICY.rule_values(case())
    [many] = POLICY.evaluate_many([python])
    assert fields_of(many) == fields_of(POLICY.evaluate(case()))


def test_all_python_values_at_once_and_the_record_is_not_modified():
    python = case(**PYTHON_VALUES)
    before = repr(python)
    assert fields_of(POLICY.evaluate(python)) == fields_of(POLICY.evaluate(case()))
    assert repr(python) == before


def test_an_int_is_a_decimal():
    assert POLICY.rule_values(case(income=2000), ["well_off"]) == {"well_off": True}


@pytest.mark.parametrize("fields,field,words", [
    ({"claim_date": _dt.datetime(2024, 5, 1, 13, 30)}, "claim_date", "calendar day"),
    ({"claim_date": _dt.datetime(2024, 5, 1, tzinfo=_dt.timezone.utc)}, "claim_date", "calendar day"),
    ({"route": {"CAN"}}, "route", "no order"),
    ({"relatives": [{"relation": "parent", "since": _dt.datetime(2021, 1, 1, 9)}]},
     "relatives[0].since", "calendar day"),
    ({"waited": _dt.timedelta(days=1, hours=2)}, "waited", "whole days"),
])
def test_python_values_that_would_be_a_guess_are_errors(fields, field, words):
    with pytest.raises(rulelang.RecordError) as raised:
        POLICY.evaluate(case(**fields))
    assert raised.value.field == field and words in raised.value.message
    [invalid] = POLICY.evaluate_many([case(**fields)])
    assert (invalid.field, invalid.code) == (field, "RL0701")


@pytest.mark.parametrize("fields,field", [
    ({"age": Decimal("30.5")}, "age"),                  # not a whole number
    ({"income": Decimal("NaN")}, "income"),
    ({"route": ("GTM", "XXX")}, "route[1]"),            # converted, then validated as JSON is
    ({"claim_date": _dt.date(2024, 5, 1), "age": "old"}, "age"),
])
def test_python_values_are_validated_like_json(fields, field):
    with pytest.raises(rulelang.RecordError) as raised:
        POLICY.evaluate(case(**fields))
    assert raised.value.field == field


def _as_python(value, rng):
    """A JSON record as embedding code might build it: dates, durations and decimals as
    Python values, lists as tuples."""
    if isinstance(value, dict):
        return {key: _as_python(item, rng) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_as_python(item, rng) for item in value)
    if isinstance(value, str) and value.endswith(" days") and rng.random() < 0.8:
        return _dt.timedelta(days=int(value.split()[0]))
    if isinstance(value, str) and value.replace(".", "").lstrip("-").isdigit() and rng.random() < 0.8:
        return Decimal(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and rng.random() < 0.8:
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


@settings(max_examples=60, deadline=None)
@given(record=record_of(POLICY.program.input_type), data=st.randoms(use_true_random=False))
def test_generated_records_decide_the_same_from_python_values(record, data):
    from_json = POLICY.evaluate_many([record])
    from_python = POLICY.evaluate_many([_as_python(record, data)])
    for a, b in zip(from_json, from_python):
        if isinstance(a, rulelang.InvalidRecord):
            assert isinstance(b, rulelang.InvalidRecord) and (a.code, a.field) == (b.code, b.field)
        else:
            assert fields_of(a) == fields_of(b)


# ---- unknown fields are reported ---------------------------------------------------

def test_an_unknown_field_is_a_warning_on_the_result():
    """The issue's example: a misspelt field must not silently change an outcome."""
    decisions = POLICY.evaluate(case(age=None, agee=15))
    assert decisions.warnings == ("unknown field `agee` is ignored (did you mean `age`?)",)
    assert POLICY.evaluate(case()).warnings == ()
    [many] = POLICY.evaluate_many([case(agee=15)])
    assert many.warnings == decisions.warnings
    assert isinstance(decisions, list) and isinstance(decisions, rulelang.Decisions)


def test_strict_makes_an_unknown_field_an_error():
    with pytest.raises(rulelang.RecordError) as raised:
        POLICY.evaluate(case(agee=15, colour="red"), strict=True)
    assert raised.value.code == "RL0702" and "`agee`" in raised.value.message
    assert len(raised.value.errors) == 2
    [invalid] = POLICY.evaluate_many([case(agee=15)], strict=True)
    assert isinstance(invalid, rulelang.InvalidRecord) and invalid.code == "RL0702"
    assert POLICY.evaluate(case(), strict=True)                     # nothing to complain of


# ---- arguments -----------------------------------------------------------------------

@pytest.mark.parametrize("options,words", [
    ({"as_of": "2024-02-30"}, "February 2024 has 29 days"),
    ({"as_of": "1 May 2024"}, "YYYY-MM-DD"),
    ({"as_of": 20240501}, "not int"),
    ({"as_of": _dt.datetime(2024, 5, 1, 12)}, "calendar day"),
    ({"assume": "in force"}, "'in_force'"),
    ({"assume": True}, "'in_force'"),
    ({"agreements": ["nort"]}, "did you mean `north`?"),
    ({"agreements": ["north", "west"]}, "there are: north, stays"),
    ({"agreements": [1]}, "names (text)"),
    ({"agreements": 3}, "a list of names"),
])
def test_a_bad_argument_is_an_argument_error_that_says_what_is_valid(options, words):
    for call in (lambda: POLICY.evaluate(case(), **options),
                 lambda: list(POLICY.evaluate_many([case()], **options))):
        with pytest.raises(rulelang.ArgumentError) as raised:
            call()
        assert words in str(raised.value)
        assert isinstance(raised.value, rulelang.RulelangError)


def test_good_arguments_in_every_form():
    as_date = POLICY.evaluate(case(), as_of=_dt.date(2004, 12, 28))
    assert fields_of(as_date) == fields_of(POLICY.evaluate(case(), as_of="2004-12-28"))
    assert fields_of(as_date) == fields_of(POLICY.evaluate(case(), as_of=_dt.datetime(2004, 12, 28)))
    assert [d.agreement for d in POLICY.evaluate(case(), agreements="stays")] == ["stays"]
    assert POLICY.evaluate(case(), assume=rulelang.Status.IN_FORCE)[0].outcome == "applies"


def test_an_unknown_agreement_is_still_a_key_error():
    with pytest.raises(KeyError) as raised:
        POLICY.evaluate(case(), agreements=["west"])
    assert str(raised.value).startswith("no agreement named `west`")   # not quoted by KeyError


def test_other_bad_arguments():
    with pytest.raises(rulelang.ArgumentError, match="'duckdb' or 'spark'"):
        POLICY.to_sql("postgres")
    with pytest.raises(rulelang.ArgumentError, match="not int"):
        rulelang.load(42)


# ---- where the rules come from -------------------------------------------------------

def test_a_missing_file_is_a_source_error_not_a_syntax_error(tmp_path):
    with pytest.raises(rulelang.RuleSourceError) as raised:
        rulelang.load(tmp_path / "missing.rules")
    assert not isinstance(raised.value, rulelang.RuleSyntaxError)
    assert "missing.rules" in str(raised.value)
    assert [d.code for d in raised.value.diagnostics] == ["RL0004"]
    assert rulelang.check(tmp_path / "missing.rules")[0].code == "RL0004"    # check still reports


def test_a_file_that_is_not_text_is_a_source_error(tmp_path):
    latin1 = tmp_path / "latin1.rules"
    latin1.write_bytes("rule caf\xe9: bool = true\n".encode("latin-1"))
    with pytest.raises(rulelang.RuleSourceError) as raised:
        rulelang.load(latin1)
    assert not raised.value.empty
    assert [d.code for d in raised.value.diagnostics] == ["RL0004"]


def test_an_unknown_stdlib_name_lists_the_shipped_ones():
    from rulelang.semantics.resolve import stdlib_names

    with pytest.raises(rulelang.RuleSourceError) as raised:
        rulelang.load("stdlib:stca")
    message = str(raised.value)
    assert "did you mean `stca_us`?" in message
    assert all(f"stdlib:{name}" in message for name in stdlib_names())


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_rule_text_is_an_error(text):
    with pytest.raises(rulelang.RuleSourceError, match="declares nothing"):
        rulelang.load(text)


def test_an_empty_folder_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not rules")
    with pytest.raises(rulelang.RuleSourceError, match=r"no rule files \(\*\.rules\)"):
        rulelang.load(tmp_path)


def test_rules_with_only_a_rule_still_load():
    assert rulelang.load("rule x: bool = true").rules == ["x"]


def test_errors_in_an_import_are_still_type_errors(tmp_path):
    main = tmp_path / "main.rules"
    main.write_text("import missing_module\nrule x: bool = true\n")
    with pytest.raises(rulelang.RuleTypeError):
        rulelang.load(main)

