"""A record read by SQL (backends/sql/ingest.py) as the Python reader reads it: where
SQL takes a record, the Python validator takes it too."""

from __future__ import annotations

import pytest

import rulelang
from rulelang.records import RawRecord
from rulelang.records.validate import ValidRecord, validate

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

@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    path = tmp_path_factory.mktemp("cells") / "cells.rules"
    path.write_text(RULES, encoding="utf-8")
    return rulelang.load(str(path))



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
