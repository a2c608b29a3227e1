"""Decision rows written by DuckDB: the JSON Lines and CSV text of records/write.py,
byte for byte, and the typed columns of its Parquet table.

A run from file to file (batch/columnar.py) formats the decisions in the same
query that makes them, so no decision becomes a Python object. Where DuckDB
would write a row otherwise than Python — `to_json` escapes a control
character as `\\u001F`, Python as `\\u001f` — the row is flagged `_fix` and the
run has Python write it.
"""

from __future__ import annotations

from sqlglot import exp

def _json_list(items: str) -> str:
    """A list of text as json.dumps writes it: `["a", "b"]`."""
    return f"('[' || array_to_string(list_transform({items}, lambda _s: to_json(_s)), ', ') || ']')"


_UNESTABLISHED = ("('[' || array_to_string(list_transform(unestablished, lambda _u: "
                  "'{\"exception\": ' || to_json(_u.exception) || ', \"facts\": ' || "
                  + _json_list("_u.facts") + " || '}'), ', ') || ']')")

_JSON_LINE = ("'{\"case\": ' || coalesce(to_json(\"case\"), 'null') || "
              "', \"agreement\": ' || to_json(agreement) || "
              "', \"as_of\": \"' || strftime(as_of, '%Y-%m-%d') || "
              "'\", \"status\": ' || to_json(status) || "
              "', \"outcome\": ' || to_json(outcome) || "
              "', \"returns_to\": ' || coalesce(to_json(returns_to), 'null') || "
              "', \"exceptions\": ' || " + _json_list("exceptions") + " || "
              "', \"missing\": ' || " + _json_list("missing") + " || "
              "', \"unestablished\": ' || " + _UNESTABLISHED + " || "
              "CASE WHEN coalesce(assumed, '') <> '' THEN ', \"assumed\": ' || to_json(assumed) "
              "ELSE '' END || '}'")


def _csv_cell(text: str) -> str:
    """A cell as Python's csv writer writes it (quoted when it holds , \" CR or LF)."""
    return (f"(CASE WHEN regexp_matches({text}, '[,\"\\r\\n]') "
            f"THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END)")


_CSV_LINE = " || ',' || ".join([
    _csv_cell("coalesce(\"case\", '')"), _csv_cell("agreement"), "strftime(as_of, '%Y-%m-%d')",
    _csv_cell("status"), _csv_cell("outcome"), _csv_cell("coalesce(returns_to, '')"),
    _csv_cell(_json_list("exceptions")), _csv_cell(_json_list("missing")), _csv_cell(_UNESTABLISHED),
    _csv_cell("coalesce(assumed, '')")]) + " || ',,,'"

# to_json writes a control character as \u00XX with capitals, Python with small letters
# (no other text of a decision row than the case id can hold one)
_ESCAPED = {"jsonl": "regexp_matches(coalesce(\"case\", ''), '[\\x00-\\x1f]')"}

_COLUMNS = {
    "jsonl": f"{_JSON_LINE} AS _line",
    "csv": f"{_CSV_LINE} AS _line",
    "parquet": "\"case\", agreement, as_of, status, outcome, returns_to, exceptions, missing, "
               "unestablished, assumed",
    "summary": "agreement, outcome, missing, exceptions, "
               "list_transform(unestablished, lambda _u: _u.exception) AS unproven",
}


def formatted(query: str, fmt: str, outcomes=None, agreements=None, hide_not_in_force: bool = False,
              marker: str | None = None) -> str:
    """The decisions of `query` (the compiled program's) written as `fmt`, after `_row`
    and `_special`, keeping the decisions the filters select.

    A record whose `_row` is negative (SQL did not take it as valid), `_suspect` (SQL
    might decide it otherwise than the interpreter) or whose row DuckDB would write
    otherwise than Python is special: it keeps one row, its decision of the agreement
    `marker`, with `_special` true, and Python decides and writes it."""
    tests = []
    if outcomes is not None:
        tests.append(exp.column("outcome").isin(*[exp.Literal.string(o) for o in sorted(outcomes)]))
    if hide_not_in_force:
        tests.append(exp.column("outcome").neq(exp.Literal.string("not_in_force")))
    if agreements is not None:
        tests.append(exp.column("agreement").isin(*[exp.Literal.string(a) for a in agreements]))
    chosen = exp.and_(*tests).sql("duckdb") if tests else "true"
    special = "(_row < 0 OR _suspect" + (f" OR {_ESCAPED[fmt]})" if fmt in _ESCAPED else ")")
    first = exp.Literal.string(marker).sql("duckdb") if marker is not None else "NULL"
    return (f"SELECT abs(_row) AS _row, {special} AS _special, {_COLUMNS[fmt]} FROM ({query}) AS _q "
            f"WHERE CASE WHEN {special} THEN agreement = {first} ELSE {chosen} END")
