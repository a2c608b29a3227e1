"""Writing decisions out: JSON Lines, one JSON array, CSV or Parquet.

One row per (record, agreement); an invalid record is one error row in its
place, so the output keeps the input's order. The JSON Lines row is the
decision record of the case-record reference, byte for byte: fields kept
from the input (`--keep`) come after the decision's own fields, and the trace
(`--explain`) last. CSV writes lists as JSON text and booleans as true/false,
the conventions of CSV input; Parquet gives every column its type.

A writer is a sink: `record(evaluated)` (an object with `.decisions` and the
typed record `.value`), `invalid(invalid_record, raw_data)`, `close()`.
"""

from __future__ import annotations

import json
from typing import IO

from rulelang.runtime import Unknown, to_json_value
from rulelang.semantics import types as T

DECISION_FIELDS = ("case", "agreement", "as_of", "status", "outcome", "returns_to", "exceptions",
                   "missing", "unestablished")
RESERVED = frozenset(DECISION_FIELDS) | {"assumed", "trace", "error", "errors", "error_code",
                                         "error_field", "error_message", "rules", "rules_unknown"}
FORMATS = ("jsonl", "json", "csv", "parquet")


def kept_values(keep: tuple[str, ...], value: dict) -> dict:
    """The `--keep` fields of a valid record, as JSON values (unknown: null)."""
    return {name: to_json_value(value.get(name)) for name in keep}


def rule_columns(values: dict) -> dict:
    """`--rule` values of a record, as JSON: `rules` (unknown: null), and `rules_unknown`,
    the facts each unknown one is missing, when there are any."""
    out = {"rules": {name: to_json_value(value) for name, value in values.items()}}
    unknown = {name: sorted(value.facts) for name, value in values.items()
               if type(value) is Unknown}
    if unknown:
        out["rules_unknown"] = unknown
    return out


def kept_raw(keep: tuple[str, ...], data) -> dict:
    """The `--keep` fields of an invalid record, as read (it has no typed value)."""
    data = data if isinstance(data, dict) else {}
    return {name: _jsonable(data.get(name)) for name in keep}


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError, RecursionError):
        return None


class JsonWriter:
    """JSON Lines (`jsonl`) or one JSON array (`json`)."""

    def __init__(self, out: IO[str], fmt: str, keep: tuple[str, ...] = (), trace: bool = False) -> None:
        self.out, self.fmt, self.keep, self.trace = out, fmt, keep, trace
        self.first = True
        # the columnar engine writes JSON Lines rows itself (backends/sql/output.py)
        self.columnar_format = "jsonl" if fmt == "jsonl" and not keep and not trace else None
        if fmt == "json":
            out.write("[")

    def _emit(self, obj: dict) -> None:
        try:
            self._write(json.dumps(obj, ensure_ascii=False))
        except UnicodeEncodeError:  # a lone surrogate (a "\ud800" escape) or a non-UTF-8 stdout
            self._write(json.dumps(obj))
        self.first = False

    def _write(self, text: str) -> None:
        if self.fmt == "json":
            self.out.write(("\n" if self.first else ",\n") + text)
        else:
            self.out.write(text + "\n")

    def record(self, evaluated) -> None:
        kept = kept_values(self.keep, evaluated.value) if self.keep else None
        if getattr(evaluated, "rules", None) is not None:
            kept = {**(kept or {}), **rule_columns(evaluated.rules)}
        for decision in evaluated.decisions:
            if kept is None:
                self._emit(decision.to_json(trace=self.trace))
                continue
            row = decision.to_json(trace=False)
            row.update(kept)
            if self.trace:
                row["trace"] = [step.to_json() for step in decision.trace]
            self._emit(row)

    def bulk(self, rows) -> None:
        """Rows the columnar engine wrote (an Arrow table with a `_line` column)."""
        _write_lines(self.out, rows, self._emit)

    def invalid(self, invalid, data=None) -> None:
        row = invalid.to_json()
        if self.keep:
            row.update(kept_raw(self.keep, data))
        self._emit(row)

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n")
        self.out.flush()


def _write_lines(out: IO[str], rows, emit=None) -> None:
    lines = rows.column("_line").to_pylist()
    if not lines:
        return
    try:
        out.write("\n".join(lines) + "\n")
    except UnicodeEncodeError:    # JSON to an output that is not UTF-8: escaped, as Python writes
        if emit is None:
            raise
        for line in lines:
            emit(json.loads(line))


def csv_cell(value) -> str:
    """A CSV cell: text as is, true/false, lists and objects as JSON, unknown empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class CsvWriter:
    """One CSV row per decision, a fixed header; error rows fill the error columns."""

    def __init__(self, out: IO[str], keep: tuple[str, ...] = (), trace: bool = False,
                 rules: tuple[str, ...] = ()) -> None:
        import csv

        self.out, self.keep, self.trace, self.rules = out, keep, trace, rules
        self.writer = csv.writer(out, lineterminator="\n")
        self.header = (list(DECISION_FIELDS) + ["assumed"] + list(keep)
                       + [f"rule:{name}" for name in rules] + (["trace"] if trace else [])
                       + ["error_code", "error_field", "error_message"])
        self._row(self.header)
        self.columnar_format = "csv" if not keep and not trace else None

    def bulk(self, rows) -> None:
        """Rows the columnar engine wrote (an Arrow table with a `_line` column)."""
        _write_lines(self.out, rows)

    def _row(self, cells: list[str]) -> None:
        try:
            self.writer.writerow(cells)
        except UnicodeEncodeError:
            self.writer.writerow([c.encode("utf-8", "backslashreplace").decode("utf-8") for c in cells])

    def record(self, evaluated) -> None:
        kept = kept_values(self.keep, evaluated.value)
        for decision in evaluated.decisions:
            row = decision.to_json(trace=False)
            cells = [csv_cell(row.get(name)) for name in DECISION_FIELDS]
            cells.append(csv_cell(row.get("assumed")))
            cells.extend(csv_cell(kept[name]) for name in self.keep)
            cells.extend(csv_cell(to_json_value(evaluated.rules[name])) for name in self.rules)
            if self.trace:
                cells.append(csv_cell([step.to_json() for step in decision.trace]))
            self._row(cells + ["", "", ""])

    def invalid(self, invalid, data=None) -> None:
        kept = kept_raw(self.keep, data)
        cells = [invalid.case] + [""] * (len(DECISION_FIELDS) - 1) + [""]
        cells.extend(csv_cell(kept[name]) for name in self.keep)
        cells.extend("" for _ in self.rules)
        if self.trace:
            cells.append("")
        message = invalid.message if not invalid.more else invalid.describe().split(": ", 1)[1]
        self._row(cells + [invalid.code, invalid.field or "", message])

    def close(self) -> None:
        self.out.flush()


class ParquetWriter:
    """Decisions as a typed Parquet table, written in row groups of ROW_GROUP rows as
    they come: the rows of the columnar engine (Arrow) and of the Python path (dicts)
    gathered in order until there are enough. (Written as they came, a columnar run
    with a bad record in every few thousand wrote a row group at each one: over 10M
    records, 200,000 row groups whose metadata the writer holds until it closes.)"""

    BATCH = 16_384          # dict rows made into a table at a time
    ROW_GROUP = 131_072

    def __init__(self, path, keep: tuple[str, ...] = (), keep_types: dict | None = None,
                 trace: bool = False) -> None:
        pa, _ = _pyarrow()
        self.pa, self.keep, self.trace = pa, keep, trace
        strings = pa.list_(pa.string())
        fields = [("case", pa.string()), ("agreement", pa.string()), ("as_of", pa.date32()),
                  ("status", pa.string()), ("outcome", pa.string()), ("returns_to", pa.string()),
                  ("exceptions", strings), ("missing", strings),
                  ("unestablished", pa.list_(pa.struct([("exception", pa.string()), ("facts", strings)]))),
                  ("assumed", pa.string())]
        self.kept_types = {name: _arrow_type(pa, T.strip((keep_types or {}).get(name, T.TEXT)))
                           for name in keep}
        fields += [(name, arrow) for name, (arrow, _) in self.kept_types.items()]
        if trace:
            fields.append(("trace", pa.string()))
        fields += [("error_code", pa.string()), ("error_field", pa.string()), ("error_message", pa.string())]
        self.schema = pa.schema(fields)
        self.out, self.writer = path, None     # the writer is made when a row group is written
        self.adopted = False
        self.rows: list[dict] = []
        self.pieces: list = []      # tables not yet written, in order
        self.pending = 0            # their rows
        self.columnar_format = "parquet" if not keep and not trace else None

    def bulk(self, rows) -> None:
        """Decisions the columnar engine made (an Arrow table with the decision columns)."""
        if rows.num_rows:
            pa = self.pa
            self._table_of_rows()
            columns = [rows.column(f.name) if f.name in rows.column_names else pa.nulls(rows.num_rows, f.type)
                       for f in self.schema]
            self._gather(pa.Table.from_arrays(columns, names=self.schema.names).cast(self.schema))

    def record(self, evaluated) -> None:
        kept = {name: convert(evaluated.value.get(name))
                for name, (_, convert) in self.kept_types.items()}
        for d in evaluated.decisions:
            row = {"case": d.case, "agreement": d.agreement, "as_of": d.as_of, "status": d.status,
                   "outcome": d.outcome, "returns_to": d.returns_to, "exceptions": list(d.exceptions),
                   "missing": list(d.missing), "unestablished": [u.to_json() for u in d.unestablished],
                   "assumed": d.assumed, **kept}
            if self.trace:
                row["trace"] = json.dumps([step.to_json() for step in d.trace], ensure_ascii=False)
            self._add(row)

    def invalid(self, invalid, data=None) -> None:
        message = invalid.message if not invalid.more else invalid.describe().split(": ", 1)[1]
        row = {"case": invalid.case, "error_code": invalid.code, "error_field": invalid.field,
               "error_message": message}
        row.update({name: None for name in self.keep})
        self._add(row)

    def _add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.BATCH:
            self._table_of_rows()

    def _table_of_rows(self) -> None:
        if self.rows:
            rows, self.rows = self.rows, []
            self._gather(self.pa.Table.from_pylist(rows, schema=self.schema))

    def _gather(self, table) -> None:
        self.pieces.append(table)
        self.pending += table.num_rows
        if self.pending >= self.ROW_GROUP:
            self._write()

    def _write(self) -> None:
        if self.pieces:
            self._writer().write_table(self.pa.concat_tables(self.pieces), row_group_size=self.ROW_GROUP)
            self.pieces, self.pending = [], 0

    def _writer(self):
        if self.writer is None:
            _, pq = _pyarrow()
            self.writer = pq.ParquetWriter(self.out, self.schema)
        return self.writer

    def adopt(self, path) -> None:
        """The whole output is the Parquet file at `path`, written by DuckDB in one
        statement with this writer's schema (batch/direct.py): copied to the output, and
        nothing else is written."""
        import shutil

        assert self.writer is None and not self.rows and not self.pieces, "rows were written before"
        with open(path, "rb") as written:
            if isinstance(self.out, (str, bytes)) or hasattr(self.out, "__fspath__"):
                with open(self.out, "wb") as out:
                    shutil.copyfileobj(written, out, 1 << 20)
            else:
                shutil.copyfileobj(written, self.out, 1 << 20)
        self.adopted = True

    def close(self) -> None:
        if self.adopted:
            return
        self._table_of_rows()
        self._write()
        self._writer().close()


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise RuntimeError("writing Parquet needs pyarrow: pip install 'rulelang[parquet]'") from None
    return pa, pq


def _arrow_type(pa, type_: T.Type):
    """(Arrow type, converter from a runtime value) for a kept field."""
    from rulelang.runtime import Unknown

    def plain(value):
        return None if type(value) is Unknown else value

    def as_json(value):
        value = to_json_value(value)
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def as_text(value):
        value = to_json_value(value)
        return None if value is None else str(value)

    if type_ == T.BOOL:
        return pa.bool_(), plain
    if type_ == T.INT:
        return pa.int64(), plain
    if type_ == T.DATE:
        return pa.date32(), plain
    if type_ in (T.TEXT, T.COUNTRY) or isinstance(type_, T.EnumType):
        return pa.string(), plain
    if isinstance(type_, (T.ListType, T.SetType)) and (
            T.strip(type_.elem) in (T.TEXT, T.COUNTRY) or isinstance(T.strip(type_.elem), T.EnumType)):
        return pa.list_(pa.string()), lambda value: None if type(value) is Unknown else to_json_value(value)
    if isinstance(type_, (T.ListType, T.SetType, T.RecordType)):
        return pa.string(), as_json
    return pa.string(), as_text
