"""The compiled Python backend against the reference interpreter.

Decisions must be equal on every field but the trace (or both backends must
fail with the same error code), on the shipped agreements with generated
records, and on generated programs.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import rulelang
from rulelang.backends.python import KNOWN, compile_field_decider, compile_program
from rulelang.interpret import Evaluation
from rulelang.records import InvalidRecord, validate_dict
from rulelang.records.fastpath import SLOW
from rulelang.runtime import EvaluationError

from record_strategies import DATES, complete_record_of, record_of


@pytest.fixture(scope="module")
def stdlib():
    policy = rulelang.load("stdlib:all")
    return policy.program, compile_program(policy.program)


def decide_both(program, compiled, record: dict, as_of=None, assume=None):
    checked = validate_dict(record, program.input_type)
    assert not isinstance(checked, InvalidRecord), checked.describe()
    value = checked.value
    when = as_of or value[program.as_of_field]
    results = []
    for backend in ("interpreter", "compiled"):
        try:
            if backend == "interpreter":
                evaluation = Evaluation(program, value, when, assume)
                decisions = [evaluation.decision(a) for a in program.agreements]
            else:
                decisions = compiled.decide(value, as_of, assume)
            results.append([d.to_json(trace=False) for d in decisions])
            for d in decisions:  # an undetermined decision always says what it hangs on
                assert d.outcome != "undetermined" or d.missing, d
        except EvaluationError as error:
            results.append(("error", error.code))
    return results


# 2,100 examples in CI (1,500 shipped-agreement records + 600 generated programs, 8 records
# each); HYPOTHESIS_PROFILE=slow multiplies them by 20.
SCALE = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 1


@settings(max_examples=1500 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_equals_interpreter_on_the_shipped_agreements(stdlib, data):
    program, compiled = stdlib
    record = data.draw(record_of(program.input_type))
    as_of = data.draw(st.one_of(st.none(), DATES))
    assume = data.draw(st.sampled_from([None, "in_force"]))
    interpreted, fast = decide_both(program, compiled, record, as_of, assume)
    assert fast == interpreted


def test_generated_source_holds_no_user_text():
    text = '''
enum Kind { a, b }
record Case { id: text, claim_date: date, kind: Kind?, note: text? }
input case: Case as_of claim_date
agreement evil "\\"); import os; os.system(\\"echo pwned\\") #" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "__import__('os').system('echo pwned')" }
  applies when {
    case.note == "'); __import__('os').system('echo pwned'); ('" cite "x"
  }
  exception __class__ when case.kind == a cite "__globals__"
}
'''
    policy = rulelang.load(text)
    compiled = compile_program(policy.program)
    for dangerous in ("import", "system", "pwned", "__globals__", "__class__", "note =="):
        assert dangerous not in compiled.source.replace("'__class__'", "")
    record = {"id": "c", "claim_date": "2020-01-01", "kind": "a",
              "note": "'); __import__('os').system('echo pwned'); ('"}
    decisions = compiled.decide(validate_dict(record, policy.program.input_type).value)
    assert decisions[0].outcome == "exempt"
    assert decisions[0].exceptions == ("__class__",)


from program_strategies import SCHEMA, programs  # noqa: E402


@settings(max_examples=600 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_compiled_equals_interpreter_on_generated_programs(data):
    source = data.draw(programs(), label="program")
    diagnostics = rulelang.check(source)
    errors = [d for d in diagnostics if d.is_error]
    assert not errors, "generated program does not check:\n" + "\n".join(
        f"{d.code} {d.message} at {d.span.location() if d.span else ''}: "
        f"{d.span.text if d.span else ''}" for d in errors)
    policy = rulelang.load(source)
    compiled = compile_program(policy.program)
    for record, as_of, assume in _cases(data, policy.program.input_type):
        interpreted, fast = decide_both(policy.program, compiled, record, as_of, assume)
        assert fast == interpreted, compiled.source


def _cases(data, record_type, count: int = 8):
    """`count` drawn (record, as_of, assume) for one generated program."""
    for _ in range(count):
        yield (data.draw(record_of(record_type), label="record"),
               data.draw(st.one_of(st.none(), DATES), label="as_of"),
               data.draw(st.sampled_from([None, "in_force"]), label="assume"))


def decide_fieldwise(program, decider, record: dict, as_of=None, assume=None):
    """`decide_both`'s answer of the field decider, given the record's values field by field."""
    value = validate_dict(record, program.input_type).value
    try:
        decisions = decider(as_of, assume, *(value[field] for field in program.input_type.fields))
    except EvaluationError as error:
        return ("error", error.code)
    assert type(decisions) is list
    return [d.to_json(trace=False) for d in decisions]


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_field_decider_equals_interpreter_on_the_shipped_agreements(stdlib, data):
    program, _ = stdlib
    decider = _stdlib_decider(program)
    record = data.draw(record_of(program.input_type))
    as_of = data.draw(st.one_of(st.none(), DATES))
    assume = data.draw(st.sampled_from([None, "in_force"]))
    interpreted, _ = decide_both(*stdlib, record, as_of, assume)
    assert decide_fieldwise(program, decider, record, as_of, assume) == interpreted


_DECIDERS: dict = {}


def _stdlib_decider(program):
    if id(program) not in _DECIDERS:   # several agreements, called with every field
        _DECIDERS[id(program)] = compile_field_decider(program)
    return _DECIDERS[id(program)]


@settings(max_examples=300 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_the_field_decider_equals_interpreter_on_generated_programs(data):
    policy = rulelang.load(data.draw(programs(), label="program"))
    decider = compile_field_decider(policy.program)
    if decider is None:   # an agreement reads another's decision: decided from the dict
        assert "decision_value(" in compile_program(policy.program).source
        return
    compiled = compile_program(policy.program)
    for record, as_of, assume in _cases(data, policy.program.input_type):
        interpreted, _ = decide_both(policy.program, compiled, record, as_of, assume)
        assert decide_fieldwise(policy.program, decider, record, as_of, assume) == interpreted, \
            decider.source


def test_the_field_decider_reads_fields_from_its_parameters():
    policy = rulelang.load("benchmarks/simplified_stca.rules")
    source = compile_field_decider(policy.program).source
    assert "r[" not in source and "r = {" not in source and "def decide0" not in source  # inlined


def test_the_reader_holds_the_checks_then_the_decision_with_no_call_between():
    from rulelang.records.validate import fused_checks

    policy = rulelang.load("benchmarks/simplified_stca.rules")
    record_type = policy.program.input_type
    reader = compile_field_decider(policy.program, list,
                                   lambda variables, known: fused_checks(record_type, variables, known))
    source = reader.source
    assert source.startswith("def decide_record(data, as_of, assume):")
    assert source.index("except Exception:") < source.index("d = as_of or fld3")
    assert "decide_fields(" not in source and "data[" in source
    record = {"id": "r-1", "nationalities": ["HND"], "claim_country": "USA", "claim_date": "2024-05-01",
              "arrived_from": "CAN", "entry_type": "land_port_of_entry"}
    interpreted, _ = decide_both(policy.program, compile_program(policy.program), record)
    assert [d.to_json(trace=False) for d in reader(record, None, None)] == interpreted
    assert reader({**record, "age": "16"}, None, None) is SLOW     # the general path words it


def _reader(program):
    """Policy.evaluate_many's reader for `program` (checks, then the decision)."""
    from rulelang.records.validate import fused_checks

    return compile_field_decider(program, list,
                                 lambda variables, known: fused_checks(program.input_type, variables, known))


def _read(reader, record, as_of, assume):
    try:
        decisions = reader(record, as_of, assume)
    except EvaluationError as error:
        return ("error", error.code)
    assert decisions is not SLOW, "a valid record refused by the reader: decided in two steps"
    return [d.to_json(trace=False) for d in decisions]


@settings(max_examples=200 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_record_with_every_field_known_is_read_as_the_interpreter_decides_it(data):
    """The reader's second body, for records whose every field has a value (core/known.py),
    on generated programs (their record types read as narrow ones)."""
    from rulelang.records import fastpath

    program = rulelang.load(data.draw(programs(), label="program")).program
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastpath, "WIDE", 64)
        reader = _reader(program)
    if reader is None:   # an agreement reads another's decision: no reader
        return
    compiled = compile_program(program)
    event(f"a body for known fields: {KNOWN in reader.source}")
    for _ in range(4):
        record = data.draw(complete_record_of(program.input_type), label="record")
        as_of = data.draw(st.one_of(st.none(), DATES), label="as_of")
        assume = data.draw(st.sampled_from([None, "in_force"]), label="assume")
        interpreted, _ = decide_both(program, compiled, record, as_of, assume)
        assert _read(reader, record, as_of, assume) == interpreted, reader.source


def test_a_record_with_every_field_known_is_decided_without_tests_for_unknown_values():
    program = rulelang.load("benchmarks/simplified_stca.rules").program
    source = _reader(program).source
    known = source[source.index(f"if {KNOWN}:"):source.index("\n    status = ")]
    assert "is U" not in known and "unknown_of" not in known and "Unestablished" not in known
    record = {"id": "r-1", "nationalities": ["HND"], "claim_country": "USA", "claim_date": "2024-05-01",
              "arrived_from": "CAN", "entry_type": "land_port_of_entry", "entry_date": "2024-05-01",
              "age": 16, "accompanied": False, "relatives": [], "valid_us_visa": True,
              "public_interest_waiver": False}
    reader, compiled = _reader(program), compile_program(program)
    for each in (record, {**record, "age": None}, {**record, "relatives": None}):
        assert _read(reader, each, None, None) == decide_both(program, compiled, each)[0]
    assert _read(reader, record, None, None)[0]["exceptions"] == ["unaccompanied_minor", "valid_visa"]


ITEMS = SCHEMA + """
agreement a "items" {
  returns_to USA
  timeline { 2019-01-31 in_force cite "t" }
  applies when { all x in case.items: x.n > 3 cite "s" }
}
"""


@pytest.mark.parametrize(("items", "outcome", "missing"), [
    ([{"kind": "red", "n": 4}], "applies", []),
    ([{"kind": "red", "n": 4}, {"kind": "green"}], "undetermined", ["items[1].n"]),
    (None, "undetermined", ["items"]),
])
def test_the_reader_reads_a_list_of_records_with_optional_fields(items, outcome, missing, monkeypatch):
    # (its checks once named the path of the record's top as a variable the reader lacks,
    # so every such record was decided in two steps)
    from rulelang.records import fastpath

    monkeypatch.setattr(fastpath, "WIDE", 64)   # (read as a narrow record type)
    program = rulelang.load(ITEMS).program
    record = {"id": "c", "claim_date": "2024-05-01", "nb": True, "ni": 1, "nkind": "red", "nitems": [],
              "items": items}
    decided = _read(_reader(program), record, None, None)
    assert decided == decide_both(program, compile_program(program), record)[0]
    assert (decided[0]["outcome"], decided[0]["missing"]) == (outcome, missing)


def test_a_reader_whose_checks_give_another_meaning_to_a_global_is_refused():
    program = rulelang.load("benchmarks/simplified_stca.rules").program
    with pytest.raises(RuntimeError, match="two meanings for the global `U`"):
        compile_field_decider(program, list, lambda variables, known: ([], {"U": object()}))


def _nested_program(depth: int) -> str:
    cond = "case.b"
    for i in range(depth):
        cond = f"(case.b and not not {cond})" if i % 2 else f"(any x in case.items: x > {i} or {cond})"
    return ("record Case {\n id: text\n claim_date: date\n b: bool?\n items: list<int>?\n}\n"
            "input case: Case as_of claim_date\n"
            'agreement a "deep" {\n returns_to USA\n timeline { 2000-01-01 in_force cite "t" }\n'
            f' applies when {{\n  {cond} cite "x"\n }}\n}}\n')


def test_the_deepest_expression_the_checker_accepts_compiles_and_agrees():
    # Python refuses source nested more than 200 parentheses deep; the compiler moves
    # deep subexpressions into functions of their own
    depth = next(d for d in range(120, 0, -1)
                 if not any(x.is_error for x in rulelang.check(_nested_program(d))))
    assert depth >= 60
    policy = rulelang.load(_nested_program(depth))
    compiled = compile_program(policy.program)
    assert "def sub" in compiled.source
    decider = compile_field_decider(policy.program)   # a helper reads the record's dict
    assert "def sub" in decider.source and "r = {" in decider.source
    for record in ({"id": "1", "claim_date": "2020-01-01", "b": True, "items": [1, 2, 300]},
                   {"id": "2", "claim_date": "2020-01-01", "items": [1]},
                   {"id": "3", "claim_date": "2020-01-01", "b": False}):
        interpreted, fast = decide_both(policy.program, compiled, record)
        assert fast == interpreted
        assert decide_fieldwise(policy.program, decider, record) == interpreted


EDGES = """
record Item { seen: date, n: int? }
record Case { id: text, claim_date: date, day: date?, n: int?, wait: duration?, items: list<Item>? }
input case: Case as_of claim_date
""" + "".join(f"""
agreement a{number} "a date moved" {{
  returns_to USA
  timeline {{ 2000-01-01 in_force cite "t" }}
  applies when {{ {condition} cite "a" }}
}}""" for number, condition in enumerate([
    "case.day + 1 month > 2000-01-01", "1 year + case.day > 2000-01-01",
    "case.day - (case.n ?? 0) * 1 week < 3000-01-01", "case.day + (case.wait ?? 0 days) > 2000-01-01",
    "any it in case.items: it.seen + 1 month > 2000-01-01",
    "all it in case.items: it.seen - (it.n ?? 0) * 1 day < 3000-01-01",
    "(count it in case.items: 1 year + it.seen > 2000-01-01) > 0"]))


def _failure(decide):
    try:
        return [d.to_json(trace=False) for d in decide()]
    except EvaluationError as error:
        return (error.code, error.message, error.span.location(), error.span.text)


@pytest.mark.parametrize("record", [
    {"day": "9999-12-31"}, {"day": "9999-12-01"}, {"day": "0001-01-01", "n": 1}, {"day": "2024-01-01", "n": -10**18},
    {"day": "9999-12-15", "wait": "1 month"}, {"day": "9999-11-30", "wait": "1 month"},
    {"items": [{"seen": "9999-12-31"}, {"seen": "2024-01-01"}]},
    {"items": [{"seen": "2024-01-01"}, {"seen": "0001-01-01", "n": 1}]},
    {"items": [{"seen": "1999-01-01"}, {"seen": "9999-01-01"}]},
    {"items": [{"seen": "2024-01-01", "n": -10**18}]},
])
def test_a_date_moved_past_the_calendar_fails_alike_in_every_backend(record):
    """Each compiled form of `date ± duration` fails as the interpreter does: the same
    code, message and span, at the top and inside `any`, `all` and `count`."""
    policy = rulelang.load(EDGES)
    program = policy.program
    value = validate_dict({"id": "e", "claim_date": "2024-05-01", **record}, program.input_type).value
    expected = _failure(lambda: [Evaluation(program, value, value["claim_date"]).decision(a)
                                 for a in program.agreements])
    assert isinstance(expected, tuple) or record.get("day") == "9999-11-30"
    assert _failure(lambda: compile_program(program).decide(value, None, None)) == expected
    decider = compile_field_decider(program)
    assert _failure(lambda: decider(None, None, *(value[f] for f in program.input_type.fields))) == expected
