"""Run the compiled SQL on DuckDB, embedded: the default columnar engine.

`DuckDBEngine(program)` compiles the policy once; `decide_batch(records, as_of,
assume)` decides a batch of validated records (the values records.validate
gives) and returns, for each, its list of Decisions — the same, field for
field, as the interpreter's. Rows the SQL marks suspect, and agreements the
SQL compiler does not map, are decided by the Python backend.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from sqlglot import exp

from rulelang import runtime as R
from rulelang.backends.sql.compile import DECISION_COLUMNS, SqlProgram, compile_sql
from rulelang.backends.sql.ingest import declare_enums
from rulelang.core import ir
from rulelang.decision import Decision, Unestablished
from rulelang.errors import detached
from rulelang.semantics import types as T

_TABLE = "_rulelang_cases"
DECIMAL_PLACES = 18   # the scale of DECIMAL(38, 18)
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)


def arrow_type(t: T.Type):
    import pyarrow as pa

    t = T.strip(t)
    if t == T.BOOL:
        return pa.bool_()
    if t == T.INT:
        return pa.int64()
    if t == T.DECIMAL:
        return pa.decimal128(38, DECIMAL_PLACES)
    if t in (T.TEXT, T.COUNTRY) or isinstance(t, T.EnumType):
        return pa.string()
    if t == T.DATE:
        return pa.date32()
    if t == T.DURATION:     # as the SQL types it (dialects.py)
        return pa.struct([("months", pa.int64()), ("days", pa.int64())])
    if isinstance(t, (T.ListType, T.SetType)):
        return pa.list_(arrow_type(t.elem))
    if isinstance(t, T.RecordType):
        return pa.struct([(name, arrow_type(ft)) for name, ft in t.fields.items()])
    raise TypeError(f"no Arrow type for {t}")


class _NotRepresentable(Exception):
    """A value SQL cannot hold exactly (a decimal with more than 18 places)."""


def to_arrow_value(value, t: T.Type):
    """A validated rulelang value as a Python value pyarrow takes (unknown: None)."""
    if type(value) is R.Unknown:
        return None
    t = T.strip(t)
    if isinstance(t, T.RecordType):
        return {name: to_arrow_value(value[name], ft) for name, ft in t.fields.items()}
    if isinstance(t, (T.ListType, T.SetType)):
        items = sorted(value, key=lambda v: (str(type(v)), repr(v))) if isinstance(value, frozenset) \
            else value
        return [to_arrow_value(item, t.elem) for item in items]
    if t == T.DECIMAL:
        exact = Decimal(value).quantize(_QUANTUM)
        if exact != value or len(exact.as_tuple().digits) > 38:
            raise _NotRepresentable(value)
        return exact
    if t == T.DURATION:
        return {"months": value.months, "days": value.days}
    return value


class DuckDBEngine:
    """A policy compiled to SQL once, run on an embedded DuckDB connection."""

    dialect = "duckdb"

    def __init__(self, program: ir.Program, fallback=None) -> None:
        import duckdb

        self.program = program
        self.sql_program: SqlProgram = compile_sql(program, self.dialect)
        self.fallback = fallback          # CompiledProgram (Python) for suspect rows
        self.connection = duckdb.connect()
        # DuckDB draws its own progress bar on stdout for a query that takes a few seconds:
        # in the middle of decisions written to stdout. Its progress is kept for our bar.
        self.connection.execute("SET enable_progress_bar = true")
        self.connection.execute("SET enable_progress_bar_print = false")
        record_type = program.input_type
        if record_type is not None:     # the types the checks of records read values with
            declare_enums(self.connection, record_type)
        self.fields = list(record_type.fields.items())
        self._queries: dict = {}
        self._prepared: dict = {}

    @property
    def unsupported(self) -> dict:
        return self.sql_program.unsupported

    def source(self, table: str, as_of: _dt.date | None = None, assume: str | None = None):
        return source_relation(self.program, table, as_of, assume)

    def to_sql(self, as_of=None, assume=None, table: str = "cases", pretty: bool = True) -> str:
        """The query, for a person to read and audit (`Policy.to_sql`)."""
        return self.sql_program.sql(self.source(table, as_of, assume), pretty=pretty)

    def query(self, as_of=None, assume=None) -> str:
        """The query the engine runs, with the as-of date and assumption written in (so
        DuckDB folds them), built once per pair."""
        key = (as_of, assume)
        if key not in self._queries:
            self._queries[key] = self.sql_program.sql(self.source(_TABLE, as_of, assume), pretty=False)
        return self._queries[key]

    def prepared(self, as_of=None, assume=None, wrap=None) -> str:
        """The name of the prepared query for this as-of date and assumption (and output
        wrapper: a function of the query's text, see output.formatted): planning a
        policy's query takes about a second, so it is planned once per run, not per batch."""
        key = (as_of, assume, wrap)
        if key not in self._prepared:
            name = f"_rulelang_q{len(self._prepared)}"
            query = self.query(as_of, assume)
            self.connection.execute(f"PREPARE {name} AS {wrap(query) if wrap else query}")
            self._prepared[key] = name
        return self._prepared[key]

    def decide_arrow(self, table, as_of=None, assume=None, wrap=None):
        """The decision rows of a table of validated records (`_row` and a column per
        field, of the types `arrow_type` gives), as an Arrow table: `wrap`'s columns."""
        self.connection.register(_TABLE, table)
        try:
            return self.connection.sql(f"EXECUTE {self.prepared(as_of, assume, wrap)}").to_arrow_table()
        finally:
            self.connection.unregister(_TABLE)

    def decide_batch(self, records: list[dict], as_of=None, assume=None) -> list:
        """For each record, its Decisions, or the EvaluationError deciding it raises."""
        import pyarrow as pa

        columns = {name: [] for name, _ in self.fields}
        rows, in_python = [], []
        for index, record in enumerate(records):
            try:
                values = [to_arrow_value(record[name], t) for name, t in self.fields]
            except _NotRepresentable:
                in_python.append(index)
                continue
            for (name, _), value in zip(self.fields, values):
                columns[name].append(value)
            rows.append(index)
        table = pa.table({"_row": pa.array(rows, pa.int64()),
                          **{name: pa.array(columns[name], arrow_type(t)) for name, t in self.fields}})
        self.connection.register(_TABLE, table)
        try:
            result = self.connection.sql(f"EXECUTE {self.prepared(as_of, assume)}").to_arrow_table()
        finally:
            self.connection.unregister(_TABLE)
        out: list = [[] for _ in records]
        suspect = collect_decisions(result, out)
        for index in list(suspect) + in_python:
            out[index] = None
        complete_in_python(self, records, out, as_of, assume)
        return out


def complete_in_python(engine, records: list, out: list, as_of, assume) -> None:
    """Decide in Python what SQL did not: the records whose decisions are None in `out`
    (suspect, or not representable in SQL), and the agreements SQL does not map."""
    program = engine.program
    missing = [a.name for a in program.agreements if a.name in engine.unsupported]
    for index, decisions in enumerate(out):
        try:
            if decisions is None:
                out[index] = engine.fallback(records[index], as_of, assume, None)
            elif missing:
                extra = {d.agreement: d for d in engine.fallback(records[index], as_of, assume, missing)}
                done = {d.agreement: d for d in decisions}
                out[index] = [extra.get(a.name) or done[a.name] for a in program.agreements]
        except R.EvaluationError as error:   # the interpreter's error, for this record
            out[index] = detached(error)


def collect_decisions(result, out: list) -> set:
    """The decisions of a result table (`_row`, `_suspect`, DECISION_COLUMNS) appended to
    `out[_row]`, in order; the rows marked suspect returned (their decisions are not)."""
    suspect = set()
    rows = result.column("_row").to_pylist()
    flags = result.column("_suspect").to_pylist()
    fields = zip(*(result.column(name).to_pylist() for name in DECISION_COLUMNS))
    new, unestablished = tuple.__new__, Unestablished
    for row, flagged, (case, agreement, as_of, status, outcome, returns_to, exceptions, missing,
                       unest, assumed) in zip(rows, flags, fields):
        if flagged:
            suspect.add(row)
            continue
        out[row].append(new(Decision, (
            case, agreement, as_of, status, outcome, returns_to, tuple(exceptions), tuple(missing),
            tuple(unestablished(u["exception"], tuple(u["facts"])) for u in unest) if unest else (),
            assumed, ())))
    return suspect


def source_relation(program: ir.Program, table: str, as_of: _dt.date | None = None,
                    assume: str | None = None) -> exp.Expression:
    """The relation the query reads: the records of `table`, the as-of date of each
    (`_d`: `as_of`, or the record's own as-of field) and whether in force is assumed."""
    as_of_field = exp.column(program.as_of_field, quoted=True)
    day = exp.cast(exp.Literal.string(as_of.isoformat()), "DATE") if as_of else as_of_field
    assumed = exp.true() if assume == "in_force" else exp.false()
    return exp.select(exp.Star(), exp.alias_(day, "_d"), exp.alias_(assumed, "_assume")).from_(
        exp.to_table(table))
