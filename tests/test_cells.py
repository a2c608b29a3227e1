"""A CSV cell read by SQL (backends/sql/ingest.py, validated_cells) as the Python
reader reads it: where SQL takes a cell, the Python validator takes it too, with the
same value. The quick readings are tested to be taken only where they should: a list
or record in JSON read by its pattern (json_pattern), a date by DuckDB's writing it back."""

from __future__ import annotations

import datetime as _dt

import pytest

import rulelang
from rulelang.records import RawRecord
from rulelang.records.validate import ValidRecord, validate
from rulelang.runtime import Unknown

# the agreement of both test policies: it reads only `id`, so every cell is read for the
# record's sake alone
AGREEMENT = """
input case: Case

agreement cells "an agreement for the test" {
  parties USA, CAN
  returns_to CAN cite "none"
  cite "none"
  timeline {
    2000-01-01 in_force cite "none"
  }
  applies when {
    case.id == "x" cite "none"
  }
}
"""

RULES = """
enum Kind { a, b_c }

record Item {
  kind: Kind
  place: country
  n: int
  sure: bool
  note: text
}

record Case {
  id: text
  items: list<Item>?
  codes: set<country>?
  days: list<date>?
  numbers: list<int>?
  day: date?
}
""" + AGREEMENT

ITEM = '{"kind": "a", "place": "USA", "n": 3, "sure": true, "note": "x y"}'

# (field, cell, whether its pattern takes it): each cell, whatever the pattern says, is
# read by SQL as Python reads it
CELLS = [
    ("items", f"[{ITEM}]", True),
    ("items", f"[{ITEM}, {ITEM}]", True),
    ("items", f' [ {ITEM} ,\t{ITEM} ] ', True),
    ("items", "[]", True),
    ("items", '[{"kind":"b_c","place":"HND","n":-12,"sure":false,"note":""}]', True),
    ("items", '[{"kind": "a", "place": "USA", "n": 0, "sure": true, "note": "é \u2028 ✓"}]', True),
    ("items", '[{"kind": "c", "place": "USA", "n": 3, "sure": true, "note": "x"}]', False),     # not a member
    ("items", '[{"kind": "A", "place": "USA", "n": 3, "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "usa", "n": 3, "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "XXX", "n": 3, "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "\\u0061", "place": "USA", "n": 3, "sure": true, "note": "x"}]', False),  # an escape
    ("items", '[{"kind": "a", "place": "USA", "n": 3, "sure": true, "note": "a\\"b"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 3, "sure": true, "note": "\\ud800"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 3.0, "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 1e3, "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 03, "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 1000000000000000000, "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 999999999999999999, "sure": true, "note": "x"}]', True),
    ("items", '[{"kind": "a", "place": "USA", "n": "3", "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 3, "sure": "true", "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 3, "sure": True, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 3, "sure": true, "note": null}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 3, "sure": true}]', False),                   # a field missing
    ("items", '[{"place": "USA", "kind": "a", "n": 3, "sure": true, "note": "x"}]', False),      # another order
    ("items", '[{"kind": "a", "kind": "a", "place": "USA", "n": 3, "sure": true, "note": "x"}]', False),
    ("items", '[{"kind": "a", "place": "USA", "n": 3, "sure": true, "note": "x", "more": 1}]', False),
    ("items", f"[{ITEM},]", False),
    ("items", f"[{ITEM}] x", False),
    ("items", f"[{ITEM}]\u3000", False),       # a blank JSON does not take
    ("items", "[null]", False),
    ("items", "null", False),
    ("items", "{}", False),
    ("codes", '["USA", "HND", "USA"]', True),
    ("codes", '["USA","CAN"]', True),
    ("codes", '["USA", 1]', False),
    ("codes", '"USA"', False),
    ("codes", "USA", False),
    ("numbers", "[1, -2, 30]", True),
    ("numbers", "[-0]", True),
    ("numbers", "[+1]", False),
    ("numbers", "[1, NaN]", False),
    ("days", '["2024-01-02"]', False),          # dates in JSON: no pattern (the typed checks)
    ("day", "2024-02-29", None),
    ("day", "2023-02-29", None),
    ("day", "0001-01-01", None),
    ("day", "0000-01-01", None),
    ("day", "9999-12-31", None),
    ("day", "10000-01-01", None),
    ("day", "2024-1-05", None),
    ("day", " 2024-01-05", None),
    ("day", "2024-01-05 ", None),
    ("day", "2024/01/05", None),
    ("day", "infinity", None),
    ("day", "-001-01-01", None),
    ("day", "20240105", None),
    ("day", "2024-01-05T00:00", None),
    ("day", "٢٠٢٤-01-05", None),
]


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    path = tmp_path_factory.mktemp("cells") / "cells.rules"
    path.write_text(RULES, encoding="utf-8")
    return rulelang.load(str(path))


def _plain(value):
    """A value as JSON would hold it (lists for tuples and sets, ISO text for dates)."""
    if isinstance(value, Unknown) or value is None:
        return None
    if isinstance(value, frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def _sql_reading(policy, field: str, cell: str):
    """(ok, value) of SQL's reading of the row {id: "x", field: cell}."""
    import pyarrow as pa

    from rulelang.backends.sql.ingest import declare_enums, validated_cells

    connection = policy.columnar.connection
    record_type = policy.program.input_type
    declare_enums(connection, record_type)
    table = pa.table({"_row": [1], "id": ["x"], field: [cell]})
    connection.register("_cells_test", table)
    try:
        sql = validated_cells("_cells_test", ["id", field], record_type).sql("duckdb")
        ok, value = connection.execute(f'SELECT _ok, "{field}" FROM ({sql})').fetchall()[0]
    finally:
        connection.unregister("_cells_test")
    return ok, _plain(value)


@pytest.mark.parametrize("field, cell, plain", CELLS, ids=[f"{f}:{c}" for f, c, _ in CELLS])
def test_sql_takes_a_cell_only_as_python_reads_it(policy, field, cell, plain):
    record_type = policy.program.input_type
    python = validate(RawRecord("row 2", data={"id": "x", field: cell}, from_text=True), record_type)
    ok, value = _sql_reading(policy, field, cell)
    if ok:
        assert isinstance(python, ValidRecord) and not python.warnings, cell
        assert value == _plain(python.value[field]), cell
    if field == "day":      # every date Python takes, SQL takes
        assert bool(ok) == (isinstance(python, ValidRecord) and not python.warnings), cell


@pytest.mark.parametrize("field, cell, plain", [c for c in CELLS if c[2] is not None],
                         ids=[f"{f}:{c}" for f, c, p in CELLS if p is not None])
def test_a_json_cell_is_read_by_its_pattern_only_when_written_plainly(policy, field, cell, plain):
    from rulelang.backends.sql.ingest import JsonCell, JsonFields
    from rulelang.semantics import types as T

    record_type = policy.program.input_type
    reading = JsonCell(field, 0, T.strip(record_type.fields[field]), JsonFields(record_type))
    matched = reading.pattern is not None and policy.columnar.connection.execute(
        "SELECT regexp_full_match($1, $2)", [cell, reading.pattern]).fetchall()[0][0]
    assert matched == plain, cell
    if plain:       # and what it reads is what Python reads
        assert _sql_reading(policy, field, cell)[0]


LINES = ['{"id": "x", "numbers": [1, 2]}', '{"id": "x", "numbers": [1, 2],}', '{"id": "x", "numbers": [1, 2,]}',
         '{"id": "x", "items": [{"kind": "a", "place": "USA", "n": 3, "sure": true, "note": "x",}]}',
         '{"id": "x", "numbers": [1, 2] ,\t}', '{"id": "x", "codes": ["USA", "CAN"]}']


@pytest.mark.parametrize("line", LINES)
def test_sql_takes_a_json_line_only_as_python_reads_it(policy, line):
    """(DuckDB's json_valid takes a comma before a closing bracket or brace.)"""
    import pyarrow as pa

    from rulelang.backends.sql.ingest import declare_enums, validated_lines
    from rulelang.records.read import strict_json

    record_type = policy.program.input_type
    connection = policy.columnar.connection
    declare_enums(connection, record_type)
    connection.register("_lines_test", pa.table({"_row": [1], "_raw": [line]}))
    try:
        sql = validated_lines(sqlglot_table("_lines_test"), record_type).sql("duckdb")
        ok = connection.execute(f"SELECT _ok FROM ({sql})").fetchall()[0][0]
    finally:
        connection.unregister("_lines_test")
    try:
        python = validate(RawRecord("line 1", data=strict_json(line)), record_type)
    except ValueError:
        python = None
    assert ok == (isinstance(python, ValidRecord) and not python.warnings), line


def sqlglot_table(name: str):
    from sqlglot import exp

    return exp.select(exp.column("_row"), exp.column("_raw")).from_(name)


PLAIN = """
enum Kind { a, b_c }

record Case {
  id: text
  kind: Kind?
  place: country?
  n: int?
  sure: bool?
  day: date?
  note: text?
}
""" + AGREEMENT

# (field, a cell it takes): each written with a quote, a blank and a quote, or padded
# past the limit, must be refused where ingest says it is (the one-statement run of a
# CSV file counts neither pairs nor lengths in such cells, batch/direct.py)
PLAIN_CELLS = [("kind", "b_c"), ("place", "USA"), ("n", "12"), ("sure", "true"), ("day", "2024-01-05"),
               ("note", "x y")]


def _quoted_forms(cell: str) -> list[str]:
    return [f'"{cell}"', f' "{cell}"', f'"{cell}" ', f'{cell}"', f'{cell[:1]}"{cell[1:]}', f'" {cell}', '"']


@pytest.fixture(scope="module")
def plain_policy(tmp_path_factory):
    path = tmp_path_factory.mktemp("plain") / "plain.rules"
    path.write_text(PLAIN, encoding="utf-8")
    return rulelang.load(str(path))


@pytest.mark.parametrize("field, cell", PLAIN_CELLS, ids=[f for f, _ in PLAIN_CELLS])
def test_a_cell_of_a_quote_free_type_with_a_quote_is_refused(plain_policy, field, cell):
    from rulelang.backends.sql.ingest import cell_holds_no_quote
    from rulelang.semantics import types as T

    record_type = plain_policy.program.input_type
    assert _sql_reading(plain_policy, field, cell)[0]       # the cell itself is taken
    quote_free = cell_holds_no_quote(T.strip(record_type.fields[field]))
    assert quote_free == (field != "note")
    for form in _quoted_forms(cell):
        ok, value = _sql_reading(plain_policy, field, form)
        python = validate(RawRecord("row 2", data={"id": "x", field: form}, from_text=True), record_type)
        if quote_free:
            assert not ok, form
            assert not isinstance(python, ValidRecord), form     # Python refuses it too
        elif ok:
            assert isinstance(python, ValidRecord) and value == _plain(python.value[field]), form


@pytest.mark.parametrize("field, cell", PLAIN_CELLS, ids=[f for f, _ in PLAIN_CELLS])
def test_a_cell_of_a_short_type_past_the_limit_is_refused(plain_policy, field, cell):
    from rulelang.backends.sql.ingest import MAX_TEXT, cell_is_short
    from rulelang.semantics import types as T

    record_type = plain_policy.program.input_type
    if not cell_is_short(T.strip(record_type.fields[field])):
        assert field in ("n", "sure")      # taken with blanks around: the run checks their length
        assert _sql_reading(plain_policy, field, " " * MAX_TEXT + cell)[0]
        return
    for form in (cell * (MAX_TEXT // len(cell) + 1), " " * MAX_TEXT + cell, cell + " " * MAX_TEXT):
        assert len(form) > MAX_TEXT
        assert not _sql_reading(plain_policy, field, form)[0], field
