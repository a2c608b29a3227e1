"""Decisions as a table: `Policy.evaluate_table` over Arrow tables, data frames, DuckDB
relations or records, on the columnar engine (or the Python one, to compare)."""

from __future__ import annotations

import datetime as _dt

from rulelang import runtime as R
from rulelang.backends.sql.compile import DECISION_COLUMNS
from rulelang.errors import detached


def _records_of(source):
    """The records of a pyarrow Table or RecordBatchReader, a pandas/polars DataFrame, a
    DuckDB relation, or an iterable of dicts, as dicts of JSON values (dates as text), one
    at a time."""
    import pyarrow as pa

    table = None
    if isinstance(source, pa.RecordBatchReader):
        for batch in source:
            for row in batch.to_pylist():
                yield {key: _json_value(value) for key, value in row.items()}
        return
    if isinstance(source, pa.Table):
        table = source
    elif hasattr(source, "to_arrow") and callable(source.to_arrow):          # polars
        table = source.to_arrow()
    elif hasattr(source, "arrow") and callable(source.arrow):                # a DuckDB relation
        yield from _records_of(source.arrow())
        return
    elif type(source).__module__.startswith("pandas"):
        table = pa.Table.from_pandas(source, preserve_index=False)
    if table is None:
        yield from source
        return
    for batch in table.to_batches():
        for row in batch.to_pylist():
            yield {key: _json_value(value) for key, value in row.items()}


def _json_value(value):
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json_value(v) for key, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def decide_table(policy, source, *, engine: str = "duckdb", as_of=None, assume=None,
                 batch_size: int = 100_000):
    import pyarrow as pa

    from rulelang.records import InvalidRecord

    policy._input_type()  # no input record: a RuleTypeError before any work
    decide = policy.columnar.decide_batch if engine == "duckdb" else (
        lambda values, as_of, assume: [_python(policy, v, as_of, assume) for v in values])
    columns = {name: [] for name in DECISION_COLUMNS + ("error",)}

    def add(decision=None, invalid=None):
        if decision is not None:
            row = decision.to_json(trace=False)
            row["as_of"] = decision.as_of
            row.setdefault("assumed", None)
            for name in DECISION_COLUMNS:
                columns[name].append(row[name])
            columns["error"].append(None)
        else:
            for name in DECISION_COLUMNS:
                columns[name].append(invalid.case if name == "case" else None)
            columns["error"].append({"code": invalid.code, "field": invalid.field,
                                     "message": invalid.message, "at": invalid.position})

    batch: list = []

    def flush() -> None:
        valid = [checked for checked in batch if not isinstance(checked, InvalidRecord)]
        results = iter(decide([c.value for c in valid], as_of, assume)) if valid else iter(())
        for checked in batch:
            if isinstance(checked, InvalidRecord):
                add(invalid=checked)
                continue
            result = next(results)
            if isinstance(result, R.EvaluationError):
                add(invalid=InvalidRecord(checked.case, checked.position, None, result.message, result.code))
            else:
                for decision in result:
                    add(decision)
        batch.clear()

    for index, record in enumerate(_records_of(source), 1):
        batch.append(policy.validate(record, f"record {index}"))  # Python values too
        if len(batch) >= batch_size:
            flush()
    flush()
    return pa.table({name: columns[name] for name in columns})


def _python(policy, value, as_of, assume):
    try:
        return policy.compiled.decide(value, as_of, assume)
    except R.EvaluationError as error:
        return detached(error)
