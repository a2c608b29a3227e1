"""Record validation: the fast path for valid records gives exactly what the
general path gives, on valid and invalid records alike."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulelang
import importlib

from rulelang.records import RawRecord, validate

records = importlib.import_module("rulelang.records.validate")  # the module, not the function

from record_strategies import record_of

POLICY = rulelang.load("stdlib:all").program
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                 st.text(max_size=12), st.just("2023-02-30"), st.just("Ünïcödé"), st.just("XXX"),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(),
                                                                       max_size=2))


@st.composite
def maybe_broken_records(draw):
    record = draw(record_of(POLICY.input_type))
    for _ in range(draw(st.integers(0, 2))):
        action = draw(st.sampled_from(["junk", "drop", "extra", "float"]))
        key = draw(st.sampled_from(sorted(POLICY.input_type.fields)))
        if action == "junk":
            record[key] = draw(JUNK)
        elif action == "drop":
            record.pop(key, None)
        elif action == "extra":
            record[draw(st.text(min_size=1, max_size=8))] = draw(JUNK)
        elif isinstance(record.get("age"), int):
            record["age"] = float(record["age"])
    return record


def general_path_only(raw):
    saved = records._fast_validator
    records._fast_validator = lambda record_type: (lambda data, prefix: records._SLOW)
    try:
        return validate(raw, POLICY.input_type)
    finally:
        records._fast_validator = saved


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(maybe_broken_records())
def test_the_fast_path_agrees_with_the_general_path(record):
    raw = RawRecord("line 1", data=record)
    assert validate(raw, POLICY.input_type) == general_path_only(raw)


@pytest.mark.parametrize("value, ok", [("2024-02-29", True), ("2023-02-29", False), ("20240229", False),
                                       ("２０２４-02-29", False), (20240229, False)])
def test_dates_take_the_same_answer_either_way(value, ok):
    raw = RawRecord("line 1", data={"id": "x", "nationalities": [], "claim_country": "USA",
                                    "claim_date": value})
    fast, general = validate(raw, POLICY.input_type), general_path_only(raw)
    assert fast == general
    assert hasattr(fast, "value") is ok
