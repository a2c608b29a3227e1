"""The SQL backend on DuckDB against the reference interpreter.

Decisions must be equal on every field (or both backends fail the record with
the same code): on the shipped agreements with generated records, and on
generated programs (tests/program_strategies.py) with generated records,
plus the corners of NULL logic that SQL gets wrong by default.
"""

from __future__ import annotations

import datetime as _dt
import os

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulelang
from rulelang.backends.sql.duckdb import DuckDBEngine
from rulelang.interpret import Evaluation
from rulelang.records import validate_dict
from rulelang.runtime import EvaluationError
from sqlglot import exp

from program_strategies import programs
from record_strategies import DATES, record_of

SCALE = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 1


def interpreted(program, value, as_of, assume):
    try:
        evaluation = Evaluation(program, value, as_of or value[program.as_of_field], assume)
        return [evaluation.decision(a).to_json(trace=False) for a in program.agreements]
    except EvaluationError as error:
        return ("error", error.code)


def on_duckdb(engine, values, as_of, assume):
    out = []
    for result in engine.decide_batch(values, as_of, assume):
        if isinstance(result, EvaluationError):
            out.append(("error", result.code))
        else:
            out.append([d.to_json(trace=False) for d in result])
    return out


def engine_for(policy) -> DuckDBEngine:
    return DuckDBEngine(policy.program, policy.compiled.decide)


def check_batch(policy, engine, records, as_of, assume):
    values = [validate_dict(r, policy.program.input_type).value for r in records]
    expected = [interpreted(policy.program, v, as_of, assume) for v in values]
    got = on_duckdb(engine, values, as_of, assume)
    for record, want, have in zip(records, expected, got):
        assert have == want, (record, as_of, assume)


@pytest.fixture(scope="module")
def stdlib():
    policy = rulelang.load("stdlib:all")
    return policy, engine_for(policy)


# 25 records an example: Hypothesis holds an example's choices in a fixed buffer, and
# 40 or more records of this type overrun it (all but a few examples are thrown away)
@settings(max_examples=24 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_duckdb_equals_interpreter_on_the_shipped_agreements(stdlib, data):
    policy, engine = stdlib
    assert not engine.unsupported, engine.unsupported
    records = data.draw(st.lists(record_of(policy.program.input_type), min_size=25, max_size=25))
    as_of = data.draw(st.one_of(st.none(), DATES))
    assume = data.draw(st.sampled_from([None, "in_force"]))
    check_batch(policy, engine, records, as_of, assume)


@settings(max_examples=150 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_duckdb_equals_interpreter_on_generated_programs(data):
    source = data.draw(programs(), label="program")
    policy = rulelang.load(source)
    engine = engine_for(policy)
    records = data.draw(st.lists(record_of(policy.program.input_type), min_size=12, max_size=12),
                        label="records")
    as_of = data.draw(st.one_of(st.none(), DATES), label="as_of")
    assume = data.draw(st.sampled_from([None, "in_force"]), label="assume")
    check_batch(policy, engine, records, as_of, assume)


# ---- the corners of NULL logic -----------------------------------------------------------------

CORNERS = """
enum Kind { red, green }
record Item { kind: Kind, n: int? }
record Case {
  id: text
  claim_date: date
  kinds: set<Kind>?
  numbers: list<int>?
  items: list<Item>?
  i: int?
  day: date?
  x: decimal?
  kind: Kind?
}
input case: Case as_of claim_date
rule empty_all: bool? = all it in case.items: it.n > 3 cite "r"
rule unknown_item: bool? = any it in case.items: it.n > 3 cite "r"
rule matched: bool? = match case.kind { red => false, _ => true } cite "r"
agreement corners "the corners of NULL logic" {
  returns_to CAN cite "r"
  timeline { 2000-01-01 in_force cite "t" }
  applies when {
    empty_all cite "a"
    not (case.i in case.numbers) cite "b"
    red not in case.kinds cite "c"
    case.day + 1 month >= 2024-02-29 cite "d"
    case.x < 10.5 cite "e"
    case.i * 3 < 1000000000000000000 cite "f"
    not (case.i in []) cite "h"
  }
  exception unknown_any when unknown_item cite "g"
  exception by_kind when matched cite "i"
}
"""


@pytest.mark.parametrize("record", [
    {"items": []},                                         # `all` over an empty list is true
    {"items": [{"kind": "red"}]},                          # unknown inside a list: all unknown
    {"items": [{"kind": "red", "n": 1}, {"kind": "green"}]},   # false and unknown: all false
    {"items": [{"kind": "red", "n": 9}, {"kind": "green"}]},   # any: true beats unknown
    {"numbers": [1, 2], "i": 3},                           # NOT IN without NULLs
    {"numbers": [1, 2]},                                   # NOT IN with an unknown item: unknown
    {"kinds": []}, {"kinds": ["red"]},
    {"kind": "red"}, {"kind": "green"},                    # `match` on an unknown member: unknown
    {"day": "2024-01-31"}, {"day": "2023-01-31"}, {"day": "2024-01-29"},   # month ends
    {"x": "10.49999999999999999"}, {"x": "10.5"},          # decimals near a boundary
    {"i": 10**18}, {"i": -(10**18)}, {"i": 333333333333333333},           # 64-bit limits
])
def test_corners_of_null_logic(record):
    policy = rulelang.load(CORNERS)
    engine = engine_for(policy)
    record = {"id": "c", "claim_date": "2024-05-01", **record}
    check_batch(policy, engine, [record], None, None)
    check_batch(policy, engine, [record], _dt.date(2030, 1, 1), "in_force")


# ---- a decision's lists: written out, without lambdas ----------------------------------------

LISTS = """
record Case {
  id: text
  claim_date: date
  a: bool?
  b: bool?
  c: bool?
  n: int?
  m: int?
}
input case: Case as_of claim_date
rule near: bool? = case.n + case.m > 10 or case.n * 2 > case.m + 3 or case.a
agreement lists "the decision's lists" {
  returns_to CAN
  timeline { 2000-01-01 in_force }
  applies when {
    case.a
    near
  }
  exception by_b "b" when case.b
  exception by_c "c" when case.c
  exception by_both "b and near" when case.b and near
  exception by_state "c, for the state to show" when case.c and case.n > 1 burden state
}
"""

# every list empty, one item, several, facts from the parts of a stored facts column
LIST_RECORDS = [
    {}, {"a": False}, {"a": True}, {"a": True, "n": 1}, {"a": True, "m": 1},
    {"a": True, "n": 20, "m": 1}, {"a": True, "n": 0, "m": 20},
    {"a": True, "n": 20, "m": 1, "b": True}, {"a": True, "n": 20, "m": 1, "b": False, "c": False},
    {"a": True, "n": 20, "m": 1, "b": True, "c": True}, {"a": True, "n": 20, "m": 1, "c": True},
    {"b": True, "c": True}, {"n": 0, "m": 20, "b": True}, {"a": True, "b": True, "c": True},
]


def list_records():
    return [{"id": f"l{i}", "claim_date": "2024-05-01", **r} for i, r in enumerate(LIST_RECORDS)]


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_a_decisions_lists_are_written_without_lambdas_or_sorts(tmp_path, dialect):
    """Where the items a list can hold are known, it is built from one-item lists and
    tests, with no sort per record, and on DuckDB with no lambda (a function called per
    item; Spark generates code for its `filter`, and keeps it for the facts)."""
    path = tmp_path / "lists.rules"
    path.write_text(LISTS, encoding="utf-8")
    text = rulelang.load(str(path)).to_sql(dialect=dialect)
    tree = sqlglot.parse_one(text, read="duckdb" if dialect == "duckdb" else "spark")
    names = {f.name.lower() for f in tree.find_all(exp.Anonymous)}
    assert not names & {"list_filter", "list_select", "list_sort", "array_sort", "sort_array"}
    assert ("CONCAT(" if dialect == "spark" else "LIST_CONCAT(") in text
    if dialect == "duckdb":
        assert not list(tree.find_all(exp.Lambda))


@pytest.mark.parametrize("assume", [None, "in_force"])
def test_a_decisions_lists_are_the_interpreters(tmp_path, assume):
    path = tmp_path / "lists.rules"
    path.write_text(LISTS, encoding="utf-8")
    policy = rulelang.load(str(path))
    check_batch(policy, engine_for(policy), list_records(), None, assume)


SHARED_READERS = """
record Case {
  id: text
  claim_date: date
  ages: list<int>?
}
input case: Case as_of claim_date

rule has_adult: bool? = any a in case.ages: a >= 18

def adult_present(): bool? = has_adult

agreement a "A" {
  returns_to USA
  timeline {
    2019-01-01 in_force
  }
  applies when {
    adult_present() from 2024-01-01 until 2024-12-31
    has_adult
  }
  exception elder "someone over 65" when has_adult and (any a in case.ages: a > 65)
}
"""


@pytest.mark.parametrize("claim_date", ["2018-06-01", "2023-06-01", "2024-06-01", "2025-06-01"])
@pytest.mark.parametrize("ages", [None, [], [10], [30], [30, 70]])
def test_a_rule_is_computed_wherever_a_step_reads_it(tmp_path, claim_date, ages):
    """A rule (costly enough to be computed only where read) read by a dated scope
    condition, a later condition and an exception: computed wherever any of them is read
    (the dated condition does not cover the steps after it off its dates)."""
    path = tmp_path / "shared.rules"
    path.write_text(SHARED_READERS, encoding="utf-8")
    policy = rulelang.load(str(path))
    record = {"id": "s", "claim_date": claim_date, **({"ages": ages} if ages is not None else {})}
    for assume in (None, "in_force"):
        check_batch(policy, engine_for(policy), [record], None, assume)


def test_the_sql_holds_no_user_text():
    text = '''
enum Kind { a, b }
record Case { id: text, claim_date: date, kind: Kind?, note: text? }
input case: Case as_of claim_date
agreement evil "'); DROP TABLE cases; --" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "'; DROP TABLE x; --" }
  applies when {
    case.note == "'); DROP TABLE cases; --" cite "x"
  }
  exception a when case.kind == a cite "y"
}
'''
    policy = rulelang.load(text)
    engine = engine_for(policy)
    sql = engine.to_sql()
    statements = sqlglot.parse(sql, read="duckdb")
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    assert not list(statements[0].find_all(exp.Drop))
    literals = {lit.this for lit in statements[0].find_all(exp.Literal) if lit.is_string}
    assert "'); DROP TABLE cases; --" in literals          # the user's text is one quoted literal
    assert "DROP TABLE x" not in sql                        # citations are not in the query at all
    record = {"id": "c", "claim_date": "2020-01-01", "kind": "a", "note": "'); DROP TABLE cases; --"}
    check_batch(policy, engine, [record], None, None)


# ---- the embedding API ---------------------------------------------------------------------------

def _sample_records():
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "cases"
    lines = (root / "sample.jsonl").read_text(encoding="utf-8").splitlines()
    lines += (root / "invalid.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_evaluate_table_gives_the_python_engines_decisions_and_errors_in_order():
    import duckdb

    policy = rulelang.load("stdlib:all")
    records = _sample_records()
    expected = policy.evaluate_table(records, engine="python").to_pylist()
    from_dicts = policy.evaluate_table(records)
    assert from_dicts.to_pylist() == expected
    errors = [row for row in expected if row["error"]]
    assert errors and all(row["agreement"] is None for row in errors)
    # the valid ones read by DuckDB (dates as DATE), as a relation and as an Arrow table
    import json
    import tempfile

    valid = [r for r in records if not r["id"].startswith(("bad", "warn"))]
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/valid.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(json.dumps(r) + "\n" for r in valid)
        connection = duckdb.connect()
        relation = connection.sql(f"SELECT * FROM read_json('{path}', format='newline_delimited')")
        want = policy.evaluate_table(valid, engine="python").to_pylist()
        assert policy.evaluate_table(relation).to_pylist() == want
        assert policy.evaluate_table(relation.arrow()).to_pylist() == want


# durations read from the record: as fields, in lists, in records (SQL: STRUCT(months, days))
WAITED = """\
record Stay {
  length: duration
}
record Case {
  id: text
  claim_date: date
  waited: duration?
  stays: list<Stay>?
  gaps: list<duration>?
}
input case: Case as_of claim_date

agreement demo "A bilateral agreement" {
  parties USA, CAN
  returns_to CAN cite "Art. 4"
  timeline {
    2004-12-29 in_force
  }
  applies when {
    case.waited > 14 days cite "Art. 2"
  }
  exception long_stay "a stay of over a year"
    when any s in case.stays: s.length > 12 months
    cite "Art. 3"
  exception gap "a gap in the record"
    when any g in case.gaps: case.claim_date + g > 2025-01-01
    cite "Art. 5"
}
"""
WAITED_RECORDS = [
    {"id": "a", "claim_date": "2024-05-01", "waited": "30 days", "stays": [{"length": "2 years"}], "gaps": ["1 month"]},
    {"id": "b", "claim_date": "2024-05-01", "waited": "3 days", "stays": [], "gaps": ["1 year"]},
    {"id": "c", "claim_date": "2024-05-01"},
    {"id": "d", "claim_date": "2024-05-01", "waited": "2 weeks", "stays": [{"length": "400 days"}]},
    {"id": "e", "claim_date": "2024-05-01", "waited": "1 month"},     # months against days: RL0309
]


def test_a_duration_read_from_the_record_is_decided_as_by_the_interpreter():
    """Durations in the input record reach SQL as STRUCT(months, days), in lists and
    records too; a table of them is decided, and as the interpreter decides it (it
    was refused with a Python error: no Arrow type for a duration)."""
    policy = rulelang.load(WAITED)
    check_batch(policy, engine_for(policy), WAITED_RECORDS, None, None)
    assert (policy.evaluate_table(WAITED_RECORDS).to_pylist()
            == policy.evaluate_table(WAITED_RECORDS, engine="python").to_pylist())


def test_to_sql_is_a_query_to_read_in_either_dialect():
    policy = rulelang.load("stdlib:stca_us")
    for dialect in ("duckdb", "spark"):
        text = policy.to_sql(dialect, as_of="2024-05-01", assume="in_force")
        statement = sqlglot.parse_one(text, read=dialect)
        assert isinstance(statement, exp.Select)
        assert "2024-05-01" in text
    with pytest.raises(ValueError, match="duckdb"):
        policy.to_sql("oracle")


# ---- the command line ----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["--format", "jsonl"],
    ["--format", "csv"],
    ["--format", "summary", "--summary-format", "json"],
    ["--format", "jsonl", "--as-of", "2025-03-01", "--assume", "in_force", "--outcome", "applies,exempt"],
    ["--format", "jsonl", "--agreement", "stca_us,mpp", "--hide-not-in-force"],
])
def test_run_on_duckdb_writes_what_the_python_engine_writes(tmp_path, args):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    cases = tmp_path / "cases.jsonl"
    cases.write_text((root / "examples/cases/sample.jsonl").read_text(encoding="utf-8")
                     + (root / "examples/cases/invalid.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    outputs = []
    for engine in ("python", "duckdb"):
        done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", "stdlib:all", str(cases),
                               *args, "--engine", engine], capture_output=True, timeout=300)
        outputs.append((done.returncode, done.stdout, done.stderr))
    assert outputs[0][0] == 1                           # the invalid records
    assert outputs[1] == outputs[0]


def test_run_on_duckdb_writes_the_same_parquet(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    import pyarrow.parquet as pq

    root = Path(__file__).resolve().parent.parent
    tables = []
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.parquet"
        done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", "stdlib:all",
                               str(root / "examples/cases/sample.jsonl"), "--out", str(out),
                               "--engine", engine], capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr
        tables.append(pq.read_table(out))
    assert tables[0].num_rows > 2000 and tables[1].equals(tables[0])


# ---- records read and validated inside DuckDB -------------------------------------------------------

def _ingest_agrees(policy, lines, tmp_path):
    """Every row the SQL takes as valid is valid for the Python reader, with the same values
    and no warning; every line the reader gives a record is a row of the SQL's."""
    import duckdb

    from rulelang.backends.sql.duckdb import to_arrow_value
    from rulelang.backends.sql.ingest import declare_enums, validated_jsonl
    from rulelang.records import read_records, validate

    record_type = policy.program.input_type
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    connection = duckdb.connect()
    declare_enums(connection, record_type)
    result = connection.sql(validated_jsonl(str(path), record_type))
    names = result.columns
    rows = {row[0]: dict(zip(names, row)) for row in result.fetchall()}
    with open(path, "rb") as stream:
        python = list(read_records(stream, "jsonl"))
    assert sorted(rows) == sorted(int(raw.position.split()[1]) for raw in python)
    taken = 0
    for raw in python:
        row = rows[int(raw.position.split()[1])]
        if not row["_ok"]:
            continue
        taken += 1
        checked = validate(raw, record_type)
        assert hasattr(checked, "value") and not checked.warnings, (raw, checked)
        for name, field_type in record_type.fields.items():
            assert row[name] == to_arrow_value(checked.value[name], field_type), (raw, name)
    return taken


def test_records_read_in_duckdb_agree_with_the_python_reader(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "cases"
    policy = rulelang.load("stdlib:all")
    lines = (root / "sample.jsonl").read_bytes().splitlines() + (root / "invalid.jsonl").read_bytes().splitlines()
    lines += [b"", b"   ", b'{"id": "x", "claim_date": "2024-02-30"}', b'{"id": 7}', b"[1, 2]", b"{bad",
              b'{"id": "n", "age": NaN}', b'{"id": "s", "note": "\\ud800"}', b'{"id": "d", "id": "e"}',
              b'{"id": "f", "age": 1.0}', b"\xff\xfe not utf-8"[:0] + b'{"id": "\\u0001"}']
    assert _ingest_agrees(policy, lines, tmp_path) > 100


@settings(max_examples=10 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_records_read_in_duckdb_agree_with_the_python_reader(tmp_path_factory, data):
    import json

    policy = rulelang.load(CORNERS)
    records = data.draw(st.lists(record_of(policy.program.input_type), min_size=30, max_size=30))
    mutate = st.sampled_from([None, None, ("i", "7"), ("i", 10**19), ("day", "2023-13-01"),
                              ("kinds", ["red", "red"]), ("items", [{"kind": "blue"}]), ("extra", 1),
                              ("numbers", [1, "2"]), ("x", 1e400)])
    lines = []
    for record in records:
        change = data.draw(mutate)
        if change is not None:
            record = {**record, change[0]: change[1]}
        lines.append(json.dumps(record, allow_nan=True).encode())
    _ingest_agrees(policy, lines, tmp_path_factory.mktemp("ingest"))


CALENDAR_ENDS = """
record Item { seen: date, n: int? }
record Case { id: text, claim_date: date, day: date?, n: int?, m: int?, k: int?, items: list<Item>? }
input case: Case as_of claim_date
rule later: date? = case.day + (1 month - 30 days) cite "r"
rule earlier: date? = case.day - (1 month - 30 days) cite "r"
agreement top "a date moved at the top" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "t" }
  applies when {
    later > 0001-01-01 cite "a"
    earlier < 9999-12-31 cite "b"
    case.day - (case.n ?? 0) * 1 week < 9999-12-31 cite "c"
    case.day + ((case.m ?? 0) * 1 month + (case.k ?? 0) * 1 day) < 3800-01-01 cite "d"
  }
}
agreement nested "a date moved inside a quantifier" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "t" }
  applies when { any it in case.items: it.seen + 1 month > (it.seen - (it.n ?? 0) * 1 year) cite "a" }
}
"""


@pytest.mark.parametrize("record", [
    {"day": "9999-12-15"}, {"day": "9999-12-31"}, {"day": "0001-01-15"}, {"day": "0001-01-01"},
    {"day": "2024-01-01", "n": 10**6}, {"day": "2024-01-01", "n": -(10**18)}, {"day": "2024-01-01", "n": -1},
    {"day": "2024-01-01", "m": 156_000, "k": -4_100_000},    # months and days past what SQL takes
    {"day": "2024-01-01", "m": -400_000, "k": 12_174_000}, {"day": "2024-01-01", "m": 10**18, "k": -(10**18)},
    {"items": [{"seen": "9999-11-30"}, {"seen": "9999-12-31"}]},
    {"items": [{"seen": "9999-12-31"}, {"seen": "2024-01-01"}]},
    {"items": [{"seen": "2024-01-01", "n": 2024}]}, {"items": [{"seen": "2024-01-01", "n": 2023}]},
])
def test_dates_moved_to_and_past_the_ends_of_the_calendar_are_decided_as_the_interpreter_does(record):
    """A date moved past years 1..9999 is the interpreter's RL0602 (the row is suspect in SQL,
    decided in Python), at the top or inside a quantifier; one whose month step leaves them
    and whose days bring it back (9999-12-15 + (1 month - 30 days), or by more months and
    days than SQL's INTs take) is a date in both."""
    policy = rulelang.load(CALENDAR_ENDS)
    check_batch(policy, engine_for(policy), [{"id": "c", "claim_date": "2024-05-01", **record}], None, None)
