"""Record validation: the validator generated per record type (records/fastpath.py)
gives exactly what the general path gives — the value, or the same errors (code,
field, message, position) — on valid, broken and Python-built records alike.

The general path is the validator as it was before the generated one (the old
fast path was held equal to it by this file), so the differential tests below
hold the generated validator to today's answers."""

from __future__ import annotations

import datetime as _dt
import gc
import importlib
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from record_strategies import complete_record_of, record_of, value_of

import rulelang
from rulelang.records import RawRecord, validate, validate_dict
from rulelang.runtime import EvaluationError
from rulelang.semantics import types as T

records = importlib.import_module("rulelang.records.validate")  # the module, not the function

FIXTURES = "tests/fixtures"
# the fast paths' differential tests run 10 times as many examples in the slow profile
SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 1
POLICY = rulelang.load("stdlib:all").program
ALL_TYPES = rulelang.load(f"{FIXTURES}/all_field_types.rules").program
SIMPLIFIED = rulelang.load("benchmarks/simplified_stca.rules").program
RECORD_TYPES = {"stdlib": POLICY.input_type, "all_types": ALL_TYPES.input_type,
                "simplified": SIMPLIFIED.input_type}
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                 st.text(max_size=12), st.just("2023-02-30"), st.just("Ünïcödé"), st.just("XXX"),
                 st.just("\ud800"), st.just("2024-05-01"), st.just("20240501"), st.just("14 days"),
                 st.just("USA"), st.just("red"), st.just("1.5"), st.just([]), st.just({}),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(),
                                                                       max_size=2))


def _places(value) -> list:
    """Every (container, key) in a JSON value, for a mutation to pick from."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((value, key))
            out.extend(_places(item))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((value, index))
            out.extend(_places(item))
    return out


@st.composite
def broken_records(draw, record_type: T.RecordType):
    """A valid record, then up to three mutations anywhere in it (inside lists and
    nested records too): a junk value, a key dropped, an unknown key, a float for an int."""
    record = draw(st.one_of(record_of(record_type), complete_record_of(record_type)))
    for _ in range(draw(st.integers(0, 3))):
        places = _places(record)
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["junk", "drop", "extra", "float", "null"]))
        if action == "junk":
            container[key] = draw(JUNK)
        elif action == "null":
            container[key] = None
        elif action == "drop" and isinstance(container, dict):
            del container[key]
        elif action == "extra" and isinstance(container, dict):
            container[draw(st.text(min_size=1, max_size=8))] = draw(JUNK)
        elif action == "float" and type(container[key]) is int:
            container[key] = float(container[key])
    return record


def general_path_only(raw, record_type=POLICY.input_type):
    saved = records._fast_validator
    records._fast_validator = lambda record_type: (lambda data, at="": records._SLOW)
    try:
        return validate(raw, record_type)
    finally:
        records._fast_validator = saved


def _same(fast, general) -> None:
    assert type(fast) is type(general)
    assert fast == general
    if hasattr(fast, "value"):   # equal values of equal types (True == 1, 1 == 1.0 in Python)
        assert _typed(fast.value) == _typed(general.value)


def _typed(value):
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, (tuple, frozenset)):
        return (type(value), sorted((repr(_typed(v)) for v in value)))
    return (type(value), value)


@pytest.mark.parametrize("name", sorted(RECORD_TYPES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_generated_validator_agrees_with_the_general_path(name, data):
    record_type = RECORD_TYPES[name]
    record = data.draw(broken_records(record_type))
    raw = RawRecord("line 1", data=record)
    _same(validate(raw, record_type), general_path_only(raw, record_type))
    # validate_dict's shortcut (no RawRecord on the fast path) answers the same
    _same(validate_dict(record, record_type, "line 1"), general_path_only(raw, record_type))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_records(POLICY.input_type))
def test_csv_rows_take_the_same_answer_either_way(record):
    from rulelang.records.write import csv_cell

    cells = {key: csv_cell(value) for key, value in record.items()}
    raw = RawRecord("row 2", data=cells, from_text=True)
    _same(validate(raw, POLICY.input_type), general_path_only(raw))


@pytest.mark.parametrize("value, ok", [("2024-02-29", True), ("2023-02-29", False), ("20240229", False),
                                       ("２０２４-02-29", False), (20240229, False), ("2024-W01-1", False),
                                       ("+024-02-29", False), (_dt.date(2024, 2, 29), True)])
def test_dates_take_the_same_answer_either_way(value, ok):
    raw = RawRecord("line 1", data={"id": "x", "nationalities": [], "claim_country": "USA",
                                    "claim_date": value})
    fast, general = validate(raw, POLICY.input_type), general_path_only(raw)
    _same(fast, general)
    assert hasattr(fast, "value") is ok


def test_the_generated_validator_is_what_answers_a_valid_record():
    record = {"id": "x", "nationalities": ["HND"], "claim_country": "USA", "claim_date": "2024-05-01"}
    check = records._fast_validator(POLICY.input_type)
    assert check(record) is not records._SLOW
    assert check({**record, "agee": 3}) is records._SLOW      # the general path warns
    assert check({**record, "claim_date": "2024-02-30"}) is records._SLOW


def test_a_validator_goes_with_its_record_type():
    policy = rulelang.load(f"{FIXTURES}/all_field_types.rules")
    key = id(policy.program.input_type)
    records._fast_validator(policy.program.input_type)
    assert key in records._fast_cache
    del policy
    gc.collect()
    assert key not in records._fast_cache


# ---- records built in Python (issue 10, "Records from Python") -------------------------

def as_python(value, type_: T.Type):
    """The same record as embedding code would build it: dates, tuples, sets, Decimals."""
    type_ = T.strip(type_)
    if isinstance(type_, T.RecordType):
        return {k: as_python(v, type_.fields[k]) for k, v in value.items()}
    if isinstance(type_, T.ListType):
        return tuple(as_python(v, type_.elem) for v in value)
    if isinstance(type_, T.SetType):
        return {as_python(v, type_.elem) for v in value}
    if type_ == T.DATE:
        return _dt.date.fromisoformat(value)
    if type_ == T.DECIMAL:
        return Decimal(value)
    if type_ == T.DURATION:
        amount, unit = value.split()
        return _dt.timedelta(days=int(amount)) if unit.startswith("day") else value
    return value


@pytest.mark.parametrize("name", sorted(RECORD_TYPES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_python_values_get_the_decision_of_their_json_equivalents(name, data):
    record_type = RECORD_TYPES[name]
    record = data.draw(record_of(record_type))
    from_json = validate_dict(record, record_type)
    from_python = validate_dict(as_python(record, record_type), record_type)
    assert hasattr(from_json, "value")
    _same(from_python, from_json)


@given(value_of(T.DECIMAL))
def test_a_decimal_or_an_int_reads_as_its_text(text):
    record_type = ALL_TYPES.input_type
    base = {"id": "x", "day": "2024-05-01", "colors": []}
    expected = validate_dict({**base, "amount": text}, record_type).value["amount"]
    assert validate_dict({**base, "amount": Decimal(text)}, record_type).value["amount"] == expected
    assert str(validate_dict({**base, "amount": Decimal(text)}, record_type).value["amount"]) == str(expected)
    assert validate_dict({**base, "amount": 12}, record_type).value["amount"] == Decimal(12)


@pytest.mark.parametrize("field, value, message", [
    ("claim_date", _dt.datetime(2024, 5, 1, 13, 30),
     "expected a date, got the moment 2024-05-01T13:30:00: pass its calendar day"),
    ("nationalities", {"HND"}, "`list<country>` keeps its items in order and a Python set has no order"),
    ("nationalities", frozenset({"HND"}), "a Python set has no order: pass a list or a tuple"),
])
def test_python_values_that_do_not_convert_say_why(field, value, message):
    record = {"id": "x", "nationalities": ["HND"], "claim_country": "USA", "claim_date": "2024-05-01",
              field: value}
    result = validate_dict(record, POLICY.input_type)
    assert not hasattr(result, "value")
    assert result.field == field and message in result.message and result.code == "RL0701"


def test_a_date_only_datetime_is_its_day():
    record = {"id": "x", "nationalities": ("HND",), "claim_country": "USA",
              "claim_date": _dt.datetime(2024, 5, 1)}
    value = validate_dict(record, POLICY.input_type).value
    assert type(value["claim_date"]) is _dt.date and value["claim_date"] == _dt.date(2024, 5, 1)
    assert value["nationalities"] == ("HND",)


# ---- the transient validator (Policy.evaluate_many's fast path) ------------------------

def _transient(record_type: T.RecordType):
    return records.fast_validator(record_type, transient=True)


TRANSIENT = {name: _transient(record_type) for name, record_type in RECORD_TYPES.items()}


def _keyed(value):
    """`_typed`, with every dict's fields in the order of their names (a transient value
    keeps the record's order)."""
    if isinstance(value, dict):
        return (dict, tuple(sorted((k, _keyed(v)) for k, v in value.items())))
    if isinstance(value, (tuple, frozenset)):
        return (type(value), sorted(repr(_keyed(v)) for v in value))
    return (type(value), value)


def _same_or_slow(record, record_type, transient) -> None:
    """The transient validator takes exactly the records the other one takes, with an
    equal value (key order and shared dicts aside), and never changes the record."""
    import copy

    before = copy.deepcopy(record)
    value = transient(record)
    assert record == before
    fast = records._fast_validator(record_type)(record)
    assert (value is records._SLOW) is (fast is records._SLOW)
    if value is not records._SLOW:
        assert _keyed(value) == _keyed(fast)
        general = general_path_only(RawRecord("line 1", data=record), record_type)
        assert not general.warnings and _keyed(value) == _keyed(general.value)


@pytest.mark.parametrize("name", sorted(RECORD_TYPES))
@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_transient_validator_agrees_with_the_validator(name, data):
    record_type = RECORD_TYPES[name]
    _same_or_slow(data.draw(broken_records(record_type)), record_type, TRANSIENT[name])


@pytest.mark.parametrize("name", sorted(RECORD_TYPES))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_transient_validator_takes_python_values(name, data):
    record_type = RECORD_TYPES[name]
    record = as_python(data.draw(record_of(record_type)), record_type)
    _same_or_slow(record, record_type, TRANSIENT[name])


def test_the_transient_validator_shares_what_it_does_not_change():
    relative = {"relation": "spouse", "location": "USA", "status": "citizen"}
    record = {"id": "x", "nationalities": ["HND"], "claim_country": "USA",
              "claim_date": "2024-05-01", "relatives": [relative]}
    value = TRANSIENT["simplified"](record)
    assert value["relatives"][0] is relative               # read as is: not copied
    assert value["claim_date"] == _dt.date(2024, 5, 1) and value["nationalities"] == ("HND",)
    assert value["age"] == records._fast_validator(SIMPLIFIED.input_type)(record)["age"]
    for broken in ({**record, "relatives": [{**relative, "cousin": 1}]},   # an unknown field
                   {**record, "relatives": [{"relation": "spouse", "location": "USA"}]},
                   {**record, "claim_date": "2024-02-30"}, {**record, "agee": 3}):
        assert TRANSIENT["simplified"](broken) is records._SLOW


POLICIES = {"stdlib": "stdlib:all", "all_types": f"{FIXTURES}/all_field_types.rules",
            "simplified": "benchmarks/simplified_stca.rules"}


def _results(policy, records, **options) -> list:
    return [(type(r), r, getattr(r, "warnings", None)) for r in policy.evaluate_many(records, **options)]


def _general_only(policy) -> None:
    """No fast path in `policy.evaluate_many`: neither reader nor transient validator."""
    policy._reader = False
    policy._transient_validator = lambda record: records._SLOW


def _batch(data, record_type) -> list:
    batch = data.draw(st.lists(st.one_of(broken_records(record_type), JUNK), max_size=6))
    batch += data.draw(st.lists(complete_record_of(record_type), max_size=2))
    return batch + data.draw(st.lists(record_of(record_type).map(lambda r: as_python(r, record_type)),
                                      max_size=2))


@pytest.mark.parametrize(("name", "fast_path"), [(name, "transient") for name in sorted(POLICIES)]
                         + [("all_types", "reader"), ("simplified", "reader")])
@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_evaluate_many_answers_as_it_does_without_its_fast_path(name, fast_path, data):
    """The same Decisions (and warnings), InvalidRecords (code, field, message, position)
    and runtime failures, record for record, as the general path gives: by the reader
    that decides where the policy has one (not for stdlib's wide record type), and by
    the transient validator and the compiled decide."""
    fast, general = rulelang.load(POLICIES[name]), rulelang.load(POLICIES[name])
    _general_only(general)
    if fast_path == "transient":
        fast._reader = False
    batch = _batch(data, fast.program.input_type)
    strict = data.draw(st.booleans())
    assert _results(fast, batch, strict=strict) == _results(general, batch, strict=strict)
    assert bool(fast._reader) is (fast_path == "reader")


@settings(max_examples=200 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_the_reader_takes_every_record_the_transient_validator_takes(data):
    """A record the reader refuses is decided in two steps: the right answer, slowly. So
    the reader's checks must take what the transient validator takes (generated programs,
    their record types read as narrow ones; valid, complete and broken records)."""
    from program_strategies import programs
    from rulelang.records import fastpath

    policy = rulelang.load(data.draw(programs(), label="program"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastpath, "WIDE", 64)
        reader = policy._fused_reader()
        transient = _transient(policy.program.input_type)
    if reader is None:   # an agreement reads another's decision
        return
    for record in data.draw(st.lists(st.one_of(record_of(policy.program.input_type),
                                               broken_records(policy.program.input_type)), max_size=4)):
        try:
            refused = reader(record, None, None) is records._SLOW
        except EvaluationError:   # decided, and failed at run time
            refused = False
        assert refused is (transient(record) is records._SLOW), (record, reader.source)


def test_a_wide_record_type_is_decided_the_transient_way():
    policy = rulelang.load(POLICIES["stdlib"])
    assert len(list(policy.evaluate_many([{}]))) == 1 and policy._reader is False


@settings(max_examples=200 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_the_reader_that_decides_answers_as_the_general_path_on_generated_programs(data):
    """Generated programs (their record type is read as a narrow one here, so that the
    reader is built), generated and broken records, every option."""
    from program_strategies import programs
    from rulelang.records import fastpath

    source = data.draw(programs(), label="program")
    fast, general = rulelang.load(source), rulelang.load(source)
    _general_only(general)
    batch = _batch(data, fast.program.input_type)
    options = {"as_of": data.draw(st.sampled_from([None, "2020-02-29", "2024-05-01"])),
               "assume": data.draw(st.sampled_from([None, "in_force"])),
               "strict": data.draw(st.booleans())}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastpath, "WIDE", 64)
        assert _results(fast, batch, **options) == _results(general, batch, **options)
    # (a program whose agreement reads another's decision is decided the transient way)
    event(f"decided by the reader: {bool(fast._reader)}, agreements: {len(fast.agreements)}")
