"""A run from file to file on DuckDB: records read in columns, checked, decided and
written by SQL, with no record becoming a Python object unless SQL leaves it to Python.

`plan(policy, source, sink, options)` says whether a run can go this way: the
columnar engine, a JSON Lines, CSV, TSV or Parquet input, a JSON Lines, CSV,
Parquet or ungrouped summary output, no traces, no `--keep`, `--case`, `--rule`.
Then:

1. the input's rows stream to DuckDB as Arrow batches (JSON Lines: each line's
   text and its line number; CSV: each row's cells as text, split by the Python
   reader, and its row number; Parquet: its typed columns and row numbers);
2. SQL checks every field (backends/sql/ingest.py) and stores the checked rows;
   a row it is not certain the Python validator accepts with the same values gets
   a negative `_row`;
3. the compiled policy decides the rows and formats their decisions
   (backends/sql/output.py); the rows come back in input order;
4. a record SQL did not take, one it might decide otherwise than the interpreter
   (`_suspect`), or one DuckDB would write otherwise than Python, comes back as one
   row marked `_special`, and is read, checked, decided and written by the Python
   path in its place; so are the rows that never reached SQL (a line not UTF-8 or
   too long, a CSV row that is ragged or badly quoted).

So the output is the Python engine's, byte for byte (tests/test_columnar.py).
Memory holds a few batches of rows, and DuckDB's state for one query; a query
decides 250,000 records and the next one goes on (docs/engines.md).
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from operator import itemgetter

from rulelang.api import Policy
from rulelang.records import RawRecord
from rulelang.records.read import MAX_LINE, cells_record, jsonl_record, parquet_row
from rulelang.records.read import _reason as reason

_STREAM = "_rulelang_stream"    # the input's batches, as DuckDB reads them
_CASES = "_rulelang_cases"      # the checked records: the relation the compiled query reads
_BLOCK = 1 << 22                # bytes of JSON Lines read at a time
_ROWS = 65_536                  # decision rows handed back at a time
_RECORDS_PER_QUERY = 250_000    # records one query decides (then it is run again on the next)
_PARQUET_ROWS = 65_536          # Parquet rows read at a time


def plan(policy: Policy, source, sink, options) -> "ColumnarRun | None":
    fmt = getattr(sink, "columnar_format", None)
    if (options.engine != "duckdb" or options.trace or options.case is not None
            or options.limit is not None or options.rules or fmt is None):
        return None
    engine = policy.columnar
    if engine.unsupported or not engine.sql_program.agreements:
        return None
    if source.kind == "jsonl" and source.body is not None:
        return ColumnarRun(policy, sink, options, fmt, _JsonLines(source, policy))
    if source.kind in ("csv", "tsv") and source.delimited is not None:
        return ColumnarRun(policy, sink, options, fmt, _Delimited(source, policy))
    if source.kind == "parquet" and source.parquet is not None:
        reader = _Parquet.open(source, policy)
        if reader is not None:
            return ColumnarRun(policy, sink, options, fmt, reader)
    return None


class ColumnarRun:
    """One query per 250,000 records: DuckDB pulls the input's batches from the reader
    (a Python generator behind an Arrow stream), checks, decides and formats them,
    and hands back decision rows in input order; Python writes them, and decides and
    writes in place the records SQL leaves to it."""

    def __init__(self, policy: Policy, sink, options, fmt: str, reader) -> None:
        self.policy, self.sink, self.options = policy, sink, options
        self.reader, self.fmt = reader, fmt
        self.engine = policy.columnar
        self.in_python = 0              # records Python decided and wrote
        self.in_one_statement = False   # whether the run went in one statement (direct.py)

    def query(self) -> str:
        from rulelang.backends.sql.output import formatted

        options = self.options
        first = self.engine.sql_program.agreements[0].name
        return formatted(self.engine.query(options.as_of, options.assume), self.fmt, options.outcomes,
                         options.agreements, options.hide_not_in_force, marker=first)

    def run(self, stats, events) -> None:
        import pyarrow as pa

        from rulelang.batch import direct

        self.in_one_statement = direct.attempt(self, stats, events)
        if self.in_one_statement:
            return
        connection = self.engine.connection
        batches = self.reader.batches()
        query = self.query()
        done = 0
        while True:
            # one query per so many records: DuckDB's memory for a query of a policy's
            # size grows as it runs (measured: about 2 KB a record for stdlib:all) and
            # is given back when the query ends; planning again costs about 2 seconds
            part = _first_records(batches, self.reader, _RECORDS_PER_QUERY)
            first = next(part, None)
            if first is None:
                break
            stream = pa.RecordBatchReader.from_batches(self.reader.schema, _chain(first, part))
            # the checked records are stored before they are decided: read through a
            # view, DuckDB inlines each field's check and conversion wherever the query
            # reads the field (measured: 36 times slower on a CSV's JSON cells)
            connection.register(_STREAM, stream)
            try:
                connection.execute(f"CREATE OR REPLACE TEMP TABLE {_CASES} AS "
                                   f"{self.reader.validation_sql(_STREAM)}")
            finally:
                connection.unregister(_STREAM)
            try:
                for rows in connection.sql(query).to_arrow_reader(_ROWS):
                    self._deliver(rows, stats, events)
                    events.advanced(self.reader.records - done)
                    done = self.reader.records
            finally:
                connection.execute(f"DROP TABLE IF EXISTS {_CASES}")
        self._flush_unread(None, stats, events)
        stats.records += self.reader.records
        if hasattr(self.sink, "bulk_records"):
            self.sink.bulk_records(self.reader.records - self.in_python)

    def _deliver(self, rows, stats, events) -> None:
        """Write a batch of decision rows; records marked `_special` (one row each) are
        decided and written by Python in their place, and so are the records the
        reader kept from SQL (undecodable lines) that come before the batch's last row."""
        import pyarrow.compute as pc

        special = rows.column("_special")
        order = rows.column("_row")
        if not pc.any(special).as_py() and not self._unread_before(order):
            self.sink.bulk(rows)
            if len(order):
                self.reader.forget_before(order[-1].as_py())
            return
        marked = pc.indices_nonzero(special).to_pylist()
        numbers = order.to_pylist()
        start = 0
        for index in marked + [rows.num_rows]:
            end = index
            if end > start:
                self._flush_unread(numbers[start], stats, events)
                self._bulk_until_unread(rows, numbers, start, end, stats, events)
            if index < rows.num_rows:
                self._flush_unread(numbers[index], stats, events)
                self._in_python(self.reader.raw(numbers[index]), stats, events)
            start = index + 1
        self.reader.forget_before(numbers[-1] if numbers else None)

    def _bulk_until_unread(self, rows, numbers, start, end, stats, events) -> None:
        """Rows start..end, with any record the reader kept from SQL written in between."""
        while start < end:
            nxt = self.reader.next_unread()
            if nxt is None or nxt > numbers[end - 1]:
                self.sink.bulk(rows.slice(start, end - start))
                return
            cut = bisect_left(numbers, nxt, start, end)
            if cut > start:
                self.sink.bulk(rows.slice(start, cut - start))
            self._flush_unread(nxt + 1, stats, events)
            start = cut

    def _unread_before(self, order) -> bool:
        nxt = self.reader.next_unread()
        return nxt is not None and len(order) > 0 and nxt <= order[-1].as_py()

    def _flush_unread(self, before: int | None, stats, events) -> None:
        """Records the reader kept from SQL with a row number below `before` (all: None)."""
        while (nxt := self.reader.next_unread()) is not None and (before is None or nxt < before):
            self._in_python(self.reader.take_unread(), stats, events)

    def _in_python(self, raw: RawRecord, stats, events) -> None:
        from rulelang.batch import count_warnings, decide_one, deliver

        self.in_python += 1
        checked = self.policy.validate(raw)
        count_warnings(stats, checked)
        deliver(self.policy, [(raw, checked)], decide_one, self.sink, self.options, events, stats)


def _first_records(batches, reader, count: int):
    """Batches from `batches` until the reader has read `count` records more."""
    until = reader.records + count
    for batch in batches:
        yield batch
        if reader.records >= until:
            return


def _chain(first, rest):
    yield first
    yield from rest


def _typed(record_type, validated: str) -> str:
    """The checked relation as the compiled query reads it: each field cast to its
    type, and `_row` negative for a row SQL does not take as valid."""
    from rulelang.backends.sql.dialects import DIALECTS

    sql_type = DIALECTS["duckdb"].sql_type
    columns = ", ".join(f'CAST("{name}" AS {sql_type(t)}) AS "{name}"'
                        for name, t in record_type.fields.items())
    return f"SELECT CASE WHEN _ok THEN _row ELSE -_row END AS _row, {columns} FROM ({validated}) AS _checked"


class _Reader:
    """What a run needs of its input besides the stream DuckDB reads: the raw record of
    any row SQL leaves to Python, and the records that never reach SQL (`unread`: a
    line that is not UTF-8, or too long), in row order. The stream runs ahead of the
    decisions by a few batches, so batches are kept until the decisions pass them."""

    def __init__(self, source) -> None:
        from collections import deque

        self.name, self.path, self.gzipped = source.name, source.path, source.gzipped
        self.records = 0                  # records read so far
        self.kept: deque = deque()        # (first row, last row, the rows as read)
        self.unread: deque = deque()      # (row, RawRecord), in row order

    def next_unread(self) -> int | None:
        return self.unread[0][0] if self.unread else None

    def take_unread(self) -> RawRecord:
        return self.unread.popleft()[1]

    def forget_before(self, row: int | None) -> None:
        while self.kept and row is not None and self.kept[0][1] < row:
            self.kept.popleft()

    def raw(self, row: int) -> RawRecord:
        for first, last, rows in self.kept:
            if first <= row <= last:
                return self.raw_of(rows, first, row)
        raise LookupError(f"row {row} is no longer held")   # a bug: decisions come in row order

    def raw_of(self, rows, first: int, row: int) -> RawRecord:
        raise NotImplementedError

    def direct_relation(self, connection) -> str | None:
        """The checked relation of the whole file read by DuckDB itself, for a run in one
        statement (direct.py); None when DuckDB might read the file otherwise."""
        return None

    def broke_off(self, row: int, after: str, error: BaseException) -> None:
        """The input breaks off after `after`: one error in row `row`, as the Python reader says."""
        self.records += 1
        self.unread.append((row, RawRecord(
            f"after {after}", read_error=f"the rest of {self.name} could not be read ({reason(error)})")))


class _JsonLines(_Reader):
    """JSON Lines in blocks: each line's text with its line number (blank lines left
    out, as the Python reader leaves them)."""

    def __init__(self, source, policy: Policy) -> None:
        import pyarrow as pa

        super().__init__(source)
        self.body, self.record_type = source.body, policy.program.input_type
        self.schema = pa.schema([("_row", pa.int64()), ("_raw", pa.string())])

    def validation_sql(self, stream: str) -> str:
        from sqlglot import exp

        from rulelang.backends.sql.ingest import validated_lines

        lines = exp.select(exp.column("_row"), exp.column("_raw")).from_(stream)
        return _typed(self.record_type, validated_lines(lines, self.record_type).sql("duckdb"))

    def raw_of(self, lines, first: int, row: int) -> RawRecord:
        return jsonl_record(lines[row - first].encode("utf-8"), row)

    def direct_relation(self, connection) -> str | None:
        from rulelang.batch import direct

        return direct.jsonl_relation(connection, self.path, self.gzipped, self.record_type, _typed)

    def batches(self):
        import pyarrow as pa

        line_no, last = 0, "the start"
        chunks = self._chunks()
        while True:
            try:
                chunk = next(chunks, None)
            except (OSError, EOFError, zlib.error) as error:   # a damaged gzip stream, a failing disk
                self.broke_off(line_no + 1, last, error)
                return
            if chunk is None:
                return
            lines, special = self._lines(chunk, line_no)
            first = line_no + 1
            line_no += len(lines)
            numbers = [n for n, line in enumerate(lines, first) if n not in special and line.strip()]
            self.unread.extend(sorted(special.items()))
            self.records += len(numbers) + len(special)
            self.kept.append((first, line_no, lines))
            if numbers or special:
                last = f"line {max(numbers[-1] if numbers else 0, max(special, default=0))}"
            if numbers:
                texts = [lines[n - first] for n in numbers]
                yield pa.record_batch([pa.array(numbers, pa.int64()), pa.array(texts, pa.string())],
                                      schema=self.schema)

    def _chunks(self):
        """The input in pieces of whole lines (without their last "\n"); a line too long
        to hold is cut after MAX_LINE + 1 bytes (the reader then says it is too long).
        When the input breaks off (a damaged gzip stream), the whole lines before the
        break come first, then the error, as the Python reader has them."""
        read = getattr(self.body, "read1", self.body.read)   # gzip: what is there, not 4 MB or nothing
        data, first = b"", True
        while True:
            try:
                block = read(_BLOCK)
            except BaseException:
                cut = data.rfind(b"\n")
                if cut >= 0:
                    yield data[:cut]
                raise
            data += block
            if first and len(data) >= 3:
                data, first = data.removeprefix(b"\xef\xbb\xbf"), False
            if not block:
                if data:
                    yield data
                return
            if len(data) < _BLOCK:
                continue
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > MAX_LINE:
                    yield data[:MAX_LINE + 1]
                    data = self._skip_rest_of_line()
                continue
            yield data[:cut]
            data = data[cut + 1:]

    def _skip_rest_of_line(self) -> bytes:
        while True:
            block = self.body.read(_BLOCK)
            if not block:
                return b""
            cut = block.find(b"\n")
            if cut >= 0:
                return block[cut + 1:]

    def _lines(self, chunk: bytes, line_no: int) -> tuple[list, dict]:
        """The lines of a chunk as text, and the RawRecords of those that are not text
        or too long (their place in the list is left blank)."""
        try:
            lines = chunk.decode("utf-8").split("\n")
            if not any(len(line) > MAX_LINE // 4 for line in lines):
                return lines, {}
        except UnicodeDecodeError:
            lines = chunk.split(b"\n")
        special = {}
        for index, line in enumerate(lines):
            raw = line if isinstance(line, bytes) else line.encode("utf-8")
            if isinstance(line, bytes) or len(raw) > MAX_LINE:
                record = jsonl_record(raw, line_no + index + 1)
                if record is not None:
                    special[line_no + index + 1] = record
                lines[index] = ""
        return lines, special


class _Delimited(_Reader):
    """CSV or TSV: the rows as the Python reader splits them (its own csv module: one
    meaning of a row), in batches of their cells as text, read and checked by SQL as
    the Python reader reads a cell (backends/sql/ingest.py, validated_cells)."""

    def __init__(self, source, policy: Policy) -> None:
        import pyarrow as pa

        super().__init__(source)
        self.header, self.blocks = source.delimited
        self.delimiter = "\t" if source.kind == "tsv" else ","
        self.record_type = policy.program.input_type
        self.columns = [c for c in self.header.cells if c in self.record_type.fields]   # (none twice)
        self.places = [self.header.cells.index(c) for c in self.columns]
        self.schema = pa.schema([("_row", pa.int64())] + [(c, pa.string()) for c in self.columns])

    def validation_sql(self, stream: str) -> str:
        from rulelang.backends.sql.ingest import validated_cells

        return _typed(self.record_type, validated_cells(stream, self.columns, self.record_type).sql("duckdb"))

    def direct_relation(self, connection) -> str | None:
        from rulelang.batch import direct

        return direct.delimited_relation(connection, self.path, self.gzipped, self.delimiter, len(self.header.cells),
                                         self.columns, self.places, self.record_type, _typed)

    def raw_of(self, kept, first: int, row: int) -> RawRecord:
        """The record the Python reader makes of the row (from its cells of fields)."""
        numbers, batch = kept
        index = bisect_left(numbers, row)
        cells = [""] * len(self.header.cells)
        for column, place in zip(self.columns, self.places):
            cells[place] = batch.column(column)[index].as_py()
        return cells_record(row, cells, self.header.cells, self.header.keep)

    def batches(self):
        last = 0
        blocks = iter(self.blocks)
        while True:
            try:
                block = next(blocks, None)
            except (OSError, EOFError, zlib.error) as error:   # a damaged gzip stream, a failing disk
                self.broke_off(last + 1, f"row {last}" if last else "the start", error)
                return
            if block is None:
                return
            numbers, items, errors = block
            self.records += len(numbers)
            last = numbers[-1]
            if errors:
                rows = [(n, item) for n, item in zip(numbers, items) if not isinstance(item, RawRecord)]
                self.unread.extend((n, item) for n, item in zip(numbers, items) if isinstance(item, RawRecord))
                numbers, items = [n for n, _ in rows], [item for _, item in rows]
            if numbers:
                yield self._batch(numbers, items)

    def _batch(self, numbers: list, rows: list):
        """The batch of these rows; a row with a cell that is not UTF-8 (read with
        surrogate escapes) is kept from SQL, for the Python reader's error."""
        import pyarrow as pa

        try:
            arrays = [pa.array(list(map(itemgetter(p), rows)), pa.string()) for p in self.places]
        except UnicodeEncodeError:
            good = [i for i, row in enumerate(rows) if _encodes(row[p] for p in self.places)]
            bad = sorted(set(range(len(rows))) - set(good))
            self.unread.extend((numbers[i], cells_record(numbers[i], rows[i], self.header.cells,
                                                         self.header.keep)) for i in bad)
            self.unread = type(self.unread)(sorted(self.unread, key=lambda pair: pair[0]))
            rows, numbers = [rows[i] for i in good], [numbers[i] for i in good]
            arrays = [pa.array(list(map(itemgetter(p), rows)), pa.string()) for p in self.places]
        batch = pa.record_batch([pa.array(numbers, pa.int64()), *arrays], schema=self.schema)
        if numbers:
            self.kept.append((numbers[0], numbers[-1], (numbers, batch)))
        return batch


def _encodes(cells) -> bool:
    try:
        for cell in cells:
            cell.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


class _Parquet(_Reader):
    """A Parquet file in batches of rows: its typed columns, checked in SQL."""

    def __init__(self, source, record_type, size: int) -> None:
        import pyarrow as pa

        super().__init__(source)
        self.parquet, self.columns, _ = source.parquet
        self.record_type, self.size = record_type, size
        file_schema = self.parquet.schema_arrow
        self.schema = pa.schema([("_row", pa.int64())] + [file_schema.field(c) for c in self.columns])

    @classmethod
    def open(cls, source, policy: Policy) -> "_Parquet | None":
        from rulelang.backends.sql.ingest import validated_columns

        parquet, columns, from_text = source.parquet
        record_type = policy.program.input_type
        types = {c: parquet.schema_arrow.field(c).type for c in columns}
        if from_text or validated_columns("t", types, record_type) is None:
            return None
        return cls(source, record_type, _PARQUET_ROWS)

    def validation_sql(self, stream: str) -> str:
        from rulelang.backends.sql.ingest import validated_columns

        types = {c: self.schema.field(c).type for c in self.columns}
        return _typed(self.record_type, validated_columns(stream, types, self.record_type).sql("duckdb"))

    def raw_of(self, batch, first: int, row: int) -> RawRecord:
        return parquet_row(batch, row - first, row)

    def direct_relation(self, connection) -> str | None:
        from rulelang.batch import direct

        types = {c: self.schema.field(c).type for c in self.columns}
        return direct.parquet_relation(connection, self.path, self.columns, types,
                                       self.parquet.schema_arrow.names, self.record_type, _typed)

    def batches(self):
        import pyarrow as pa

        try:
            for batch in self.parquet.iter_batches(batch_size=self.size, columns=self.columns):
                first = self.records + 1
                self.records += batch.num_rows
                self.kept.append((first, self.records, batch))
                rows = pa.array(range(first, self.records + 1), pa.int64())
                yield pa.RecordBatch.from_arrays([rows, *batch.columns], schema=self.schema)
        except (pa.ArrowException, ValueError) as error:   # a damaged file: as the Python reader says
            self.records += 1
            self.unread.append((self.records, RawRecord(
                f"row {self.records}", read_error=f"the rest of {self.name} could not be read ({error})")))
