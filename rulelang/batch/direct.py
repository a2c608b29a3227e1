"""A run from file to Parquet file in one DuckDB statement, when that is certain to
write what the careful run (columnar.py) would write.

The careful run streams the input through Python in batches, so that a record SQL
does not take can be read, checked and decided by Python in its place. Most files
hold no such record, and for them that streaming is most of the cost: DuckDB can
read the file itself, in parallel, and write the decisions with one `COPY`. So a
run to a Parquet file first tries that, on these terms:

- any row SQL does not take as valid, or might decide otherwise than the
  interpreter, stops the statement at once (`error()` in its filter), and so does
  any error DuckDB meets reading the file (a line that is not UTF-8, a ragged CSV
  row, a damaged gzip stream): the careful run then starts from the beginning, and
  nothing of the attempt is kept (it wrote to a file of its own);
- DuckDB's readers must read the file as the Python reader does. For Parquet they
  do (typed columns; only plain column types are tried). JSON Lines: DuckDB reads
  each line whole as the Python reader does, provided no line holds a byte DuckDB's
  line reader could split it at (`\\x00`, `\\x01`: such files are not tried). CSV
  and TSV are read otherwise in some files: DuckDB drops blanks between a delimiter
  and a quote (`a, "b"`, `"b" ,c`), where Python keeps or refuses them. A file is
  tried only when every blank-and-quote pair in its bytes is one in the values
  DuckDB read (so DuckDB dropped none: `_read_alike`), it has as many rows as lines,
  and no row is one Python would skip as blank or refuse (a cell over the csv
  module's size limit, a control character).

The output is the careful run's, table for table (tests/test_direct.py); the
Parquet file itself is DuckDB's (its row groups, its metadata).
"""

from __future__ import annotations

import os
import tempfile

from sqlglot import exp

from rulelang.backends.sql.compile import DECISION_COLUMNS


_IN = "_rulelang_direct_in"        # the input as DuckDB reads it (a view)
_CELL_LIMIT = 100_000              # characters in a cell (Python's csv module refuses 131,072)
_SCAN = 1 << 24                    # bytes of the file counted at a time
# what Python's str.strip() takes for blank (a row of blank cells is skipped as blank): all
# below U+3001 (tests/test_direct.py checks the whole of Unicode)
PY_BLANKS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def attempt(run, stats, events) -> bool:
    """Run `run` (a ColumnarRun) in one statement if its input and output allow it; True
    when the whole output is written, False when the careful run must do it."""
    reader, sink, options = run.reader, run.sink, run.options
    if run.fmt != "parquet" or not hasattr(sink, "adopt") or getattr(reader, "path", None) is None:
        return False
    import duckdb

    from rulelang.backends.sql.output import formatted

    connection = run.engine.connection
    try:
        relation = reader.direct_relation(connection)
    except duckdb.Error:        # a file DuckDB cannot open: the careful run says why
        relation = None
    if relation is None:
        connection.execute(f"DROP VIEW IF EXISTS {_IN}")
        return False
    first = run.engine.sql_program.agreements[0].name

    decisions = formatted(run.engine.query(options.as_of, options.assume), "parquet", options.outcomes,
                          options.agreements, options.hide_not_in_force, marker=first)
    # (a CASE, so that DuckDB writes every column as one that may be null, as pyarrow does:
    # it writes a column it knows cannot be, such as a constant, as required)
    columns = ", ".join(f'CASE WHEN NOT _special THEN "{f.name}" END AS "{f.name}"' if f.name in DECISION_COLUMNS
                        else f'CAST(NULL AS VARCHAR) AS "{f.name}"' for f in sink.schema)
    statement = (f"SELECT {columns} FROM ({decisions}) AS _d "
                 "WHERE CASE WHEN _special THEN error('rulelang: a record for the careful run') ELSE true END")
    handle, target = tempfile.mkstemp(suffix=".parquet", prefix="rulelang-")
    os.close(handle)
    try:
        connection.execute(f"CREATE OR REPLACE TEMP VIEW _rulelang_cases AS {relation}")
        rows = _with_progress(connection, f"COPY ({statement}) TO '{_quoted(target)}' "
                                          f"(FORMAT parquet, ROW_GROUP_SIZE {sink.ROW_GROUP})", events.share)
        unfiltered = options.outcomes is None and options.agreements is None and not options.hide_not_in_force
        # (every record has a row for each agreement unless rows were filtered out)
        records = rows // len(run.engine.sql_program.agreements) if unfiltered else \
            connection.execute(f"SELECT count(*) FROM {_IN}").fetchone()[0]
        sink.adopt(target)
    except duckdb.Error:
        return False
    finally:
        connection.execute("DROP VIEW IF EXISTS _rulelang_cases")
        connection.execute(f"DROP VIEW IF EXISTS {_IN}")
        os.unlink(target)
    stats.records += records
    reader.records = records
    events.advanced(records)
    return True


def _with_progress(connection, statement: str, share) -> int:
    """Execute `statement` (a COPY: the rows it wrote are returned), telling `share` how far
    DuckDB has gone four times a second (it runs in a thread of its own; the wait here can
    be interrupted)."""
    import threading

    failed: list = []
    written: list = []

    def execute() -> None:
        try:
            written.append(connection.execute(statement).fetchone()[0])
        except BaseException as error:      # handed to the caller's thread
            failed.append(error)

    worker = threading.Thread(target=execute, name="rulelang-copy", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.25)
            done = connection.query_progress()
            if done >= 0:
                share(min(done, 100.0) / 100)
    except BaseException:       # Ctrl-C: DuckDB stops the statement, then the run stops
        connection.interrupt()
        worker.join()
        raise
    if failed:
        raise failed[0]
    return written[0]


def _quoted(path: str) -> str:
    return path.replace("'", "''")


def _literal(text: str) -> str:
    return exp.Literal.string(text).sql("duckdb")


# ---- Parquet -------------------------------------------------------------------------------

def parquet_relation(connection, path: str, columns: list[str], types: dict, all_names: list[str],
                     record_type, typed) -> str | None:
    """The checked relation of a Parquet file read by DuckDB, or None when the file is not
    tried: a column of a type DuckDB might read otherwise than pyarrow, or names that
    differ only in case (DuckDB's names are not case-sensitive)."""
    from rulelang.backends.sql.ingest import validated_columns

    if len({n.lower() for n in all_names}) < len(all_names) or not all(_plain(t) for t in types.values()):
        return None
    picked = ", ".join(f'"{c}"' for c in columns)
    connection.execute(f"CREATE OR REPLACE TEMP VIEW {_IN} AS SELECT 1 AS _row, {picked} "
                       f"FROM read_parquet('{_quoted(path)}')")
    return typed(record_type, validated_columns(_IN, types, record_type).sql("duckdb"))


def _plain(arrow) -> bool:
    import pyarrow as pa

    if pa.types.is_list(arrow):
        return _plain(arrow.value_type)
    if pa.types.is_struct(arrow):
        return all(_plain(arrow.field(i).type) for i in range(arrow.num_fields))
    return (pa.types.is_string(arrow) or pa.types.is_date32(arrow) or pa.types.is_boolean(arrow)
            or pa.types.is_integer(arrow))


# ---- JSON Lines ------------------------------------------------------------------------------

def jsonl_relation(connection, path: str, gzipped: bool, record_type, typed) -> str | None:
    """The checked relation of a JSON Lines file read by DuckDB's line reader, or None
    when a byte of the file could make that reader split a line."""
    from rulelang.backends.sql.ingest import jsonl_source, validated_lines
    from rulelang.records.read import MAX_LINE

    scan = _scan(path, gzipped, (b"\x00", b"\x01"))
    if scan is None or any(scan.counts.values()):
        return None
    source = jsonl_source(path, gzipped).sql("duckdb")
    # (a line the Python reader finds too long stops the statement: DuckDB's limit is a little higher)
    connection.execute(f"CREATE OR REPLACE TEMP VIEW {_IN} AS SELECT 1 AS _row, _raw FROM {source} "
                       f"WHERE _raw IS NOT NULL AND trim(_raw) <> '' AND CASE WHEN strlen(_raw) > {MAX_LINE - 2} "
                       "THEN error('rulelang: a line too long') ELSE true END")
    lines = exp.select(exp.column("_row"), exp.column("_raw")).from_(_IN)
    return typed(record_type, validated_lines(lines, record_type).sql("duckdb"))


# ---- CSV and TSV -----------------------------------------------------------------------------

def _beside_quotes(delimiter: str) -> tuple:
    """A blank next to a quote (a blank that is not the delimiter): where DuckDB's reader
    and Python's differ, they differ here."""
    return tuple(pair for blank in " \t" if blank != delimiter for pair in (f'{blank}"', f'"{blank}'))


_LINE_ENDS = (b"\n", b"\r", b"\r\n")


def delimited_relation(connection, path: str, gzipped: bool, delimiter: str, width: int,
                       columns: list[str], places: list[int], record_type, typed) -> str | None:
    """The checked relation of a CSV or TSV file read by DuckDB's CSV reader, or None when
    that reader might not read it as the Python reader does (see the module's notes)."""
    from rulelang.backends.sql.ingest import validated_cells

    pairs = _beside_quotes(delimiter)
    scan = _scan(path, gzipped, tuple(p.encode() for p in pairs) + _LINE_ENDS, header=True)
    if scan is None or scan.header_quoted or scan.control or scan.counts[b"\r"] != scan.counts[b"\r\n"]:
        return None
    cells = [f"c{i}" for i in range(width)]
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in cells)
    compression = "gzip" if gzipped else "none"
    reader = (f"read_csv('{_quoted(path)}', header = false, skip = 1, delim = {_literal(delimiter)}, "
              "quote = '\"', escape = '\"', strict_mode = true, null_padding = false, auto_detect = false, "
              f"compression = '{compression}', columns = {{{types}}})")
    if not _read_alike(connection, reader, cells, scan, pairs):
        return None
    picked = ", ".join(f'c{place} AS "{name}"' for name, place in zip(columns, places))
    connection.execute(f"CREATE OR REPLACE TEMP VIEW {_IN} AS SELECT 1 AS _row, {picked} FROM {reader}")
    return typed(record_type, validated_cells(_IN, columns, record_type).sql("duckdb"))


def _read_alike(connection, reader: str, cells: list[str], scan: "_Scan", pairs: tuple) -> bool:
    """Whether DuckDB's rows of the file are the Python reader's.

    - One row a line: as many rows as lines (so no cell holds a line break; a file with
      a blank line, which both readers skip, takes the careful run).
    - DuckDB dropped no blank beside a quote: each blank-and-quote pair of a value stands
      for one in the file (inside a quoted cell as a blank and the quote's pair, in an
      unquoted cell as written), so the file has as many as the values unless a pair
      was syntax: a blank before an opening quote or after a closing one, which DuckDB
      drops and Python keeps or refuses (a quoted value that starts or ends with a blank
      counts so too: such a file takes the careful run). A pair the file does not hold
      no value holds: only the others are counted in the values.
    - No row is blank to Python (every cell blank: the Python reader skips it)."""
    import duckdb

    counts = scan.counts
    pairs = tuple(pair for pair in pairs if counts[pair.encode()])
    counted = " + ".join(
        f"CASE WHEN contains({c}, '\"') THEN "
        + " + ".join(f"(strlen({c}) - strlen(replace({c}, {_literal(pair)}, ''))) // 2" for pair in pairs)
        + " ELSE 0 END" for c in cells) if pairs else "0"
    blank = _literal(f"[{_class(PY_BLANKS)}]*")
    blank_row = " AND ".join(f"({c} IS NULL OR regexp_full_match({c}, {blank}))" for c in cells)
    too_long = " OR ".join(f"strlen({c}) > {_CELL_LIMIT}" for c in cells)
    try:
        rows, value_pairs, doubtful = connection.execute(
            f"SELECT count(*), coalesce(sum({counted}), 0), count(*) FILTER (WHERE ({blank_row}) OR {too_long}) "
            f"FROM {reader}").fetchall()[0]
    except duckdb.Error:
        return False
    lines = counts[b"\n"] + (0 if scan.ends_with_newline else 1)
    return (doubtful == 0 and rows == lines
            and value_pairs == sum(counts[pair.encode()] for pair in pairs))


def _class(chars: str) -> str:
    """A regular-expression character class of `chars` (RE2 syntax)."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


class _Scan:
    """What the bytes of a file hold, after any byte-order mark (and after the header
    line, when there is one): how many times each of some byte strings occurs, whether
    a control character occurs (other than tab, line feed and carriage return), whether
    the header line holds a quote or a carriage return before its end, whether the body
    ends with a line end."""

    def __init__(self, needles: tuple) -> None:
        self.counts = dict.fromkeys(needles, 0)
        self.control = self.header_quoted = False
        self.ends_with_newline = True


# every byte but the control characters a cell may not hold (deleted, what is left is those)
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0a, 0x0d)))


def _scan(path: str, gzipped: bool, needles: tuple, header: bool = False) -> _Scan | None:
    """The _Scan of a file; None when it cannot be read."""
    import gzip
    import zlib

    scan = _Scan(needles)
    try:
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as stream:
            data = stream.read(_SCAN).removeprefix(b"\xef\xbb\xbf")
            if header:
                end = data.find(b"\n")
                line = data[:end] if end >= 0 else data
                scan.header_quoted = end < 0 or b'"' in line or b"\r" in line[:-1]
                data = data[end + 1:]
            last = b""
            while data:
                absent = {byte for byte in (b"\t", b"\r") if byte not in data}
                for needle in needles:
                    if not any(byte in needle for byte in absent):     # (a pass less)
                        scan.counts[needle] += data.count(needle)
                    if last and len(needle) > 1:    # a pair that straddles two blocks
                        scan.counts[needle] += (last + data[:1]).count(needle)
                scan.control = scan.control or (header and len(data.translate(None, _NOT_CONTROL)) > 0)
                last = data[-1:]
                data = stream.read(_SCAN)
            scan.ends_with_newline = last[-1:] == b"\n" or not last
    except (OSError, EOFError, zlib.error):
        return None
    return scan
