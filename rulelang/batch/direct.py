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
  and TSV are read otherwise in some files: DuckDB drops a blank between a delimiter
  and a quote (`a, "b"`, `"b" ,c`), where Python keeps or refuses it, and empty
  cells past the last column (`a,b,c,`), where Python refuses the row. A file whose
  bytes (counted first, `_scan`) hold a control character, a carriage return that
  does not end a line or a quote in the header line is not tried. DuckDB reads a
  column more than the header's, and a row with a cell too few or too many stops
  the statement (`_doubtful`), as does a row Python would skip as blank or refuse
  (a cell over the csv module's size limit). What is left is the blanks beside
  quotes. Most files hold none where DuckDB might take the quote for a cell's own
  (`_loose`: the JSON of a list in a cell, `"[""a"", ""b""]"`, holds blanks beside
  escaped quotes only): for them it is left to prove that DuckDB read a row a line,
  which a run writing a row for each record and agreement checks from the rows it
  wrote. The others go with a proof computed by the statement itself over the same
  reading of the file (one row, in a branch beside the decisions that writes
  nothing: when it fails, the statement stops as for a bad record): every
  blank-and-quote pair in the file's bytes is one in the values DuckDB read (so
  DuckDB dropped none), and there are as many rows as lines. DuckDB's reading of
  the file is shared by the proof and the decisions when the file is small enough
  (256 MiB), else read twice.

The output is the careful run's, table for table (tests/test_direct.py); the
Parquet file itself is DuckDB's (its row groups, its metadata).
"""

from __future__ import annotations

import os
import tempfile

from sqlglot import exp

from rulelang.backends.sql.compile import DECISION_COLUMNS


_IN = "_rulelang_direct_in"        # the input as DuckDB reads it (a view, or a CTE of the statement)
_READ = "_rulelang_direct_read"    # DuckDB's reading of a CSV file, kept (a CTE of the statement)
_KEEP = 1 << 28                    # bytes of a CSV file up to which DuckDB's reading is kept
_CASES = "_rulelang_cases"         # the checked records (the relation the compiled query reads)
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
    if isinstance(relation, str):
        relation = Relation(relation)
    first = run.engine.sql_program.agreements[0].name

    decisions = formatted(run.engine.query(options.as_of, options.assume), "parquet", options.outcomes,
                          options.agreements, options.hide_not_in_force, marker=first)
    # (a CASE, so that DuckDB writes every column as one that may be null, as pyarrow does:
    # it writes a column it knows cannot be, such as a constant, as required)
    columns = ", ".join(f'CASE WHEN NOT _special THEN "{f.name}" END AS "{f.name}"' if f.name in DECISION_COLUMNS
                        else f'CAST(NULL AS VARCHAR) AS "{f.name}"' for f in sink.schema)
    statement = (f"SELECT {columns} FROM ({decisions}) AS _d "
                 f"WHERE CASE WHEN _special THEN error('rulelang: a record for the careful run') ELSE true END")
    # (every record has a row for each agreement unless rows were filtered out)
    unfiltered = options.outcomes is None and options.agreements is None and not options.hide_not_in_force
    counted_after = unfiltered and relation.rows is not None
    if relation.proof and not counted_after:
        # (a proof, one row: a branch of its own that writes nothing and stops the statement
        # when the proof fails. Joined to every decision, it made DuckDB keep the whole
        # reading until the proof was done; beside them, both are fed as the file is read)
        nothing = ", ".join(f'NULL AS "{f.name}"' for f in sink.schema)
        statement += (f" UNION ALL SELECT {nothing} FROM ({relation.proof}) AS _proof WHERE CASE WHEN _fine "
                      "THEN false ELSE error('rulelang: DuckDB might read the file otherwise') END")
    if relation.ctes:   # (the input read in the statement itself: no view can read its CTEs)
        statement = f"WITH {relation.ctes}, {_CASES} AS ({relation.sql}) {statement}"
    handle, target = tempfile.mkstemp(suffix=".parquet", prefix="rulelang-")
    os.close(handle)
    try:
        if not relation.ctes:
            connection.execute(f"CREATE OR REPLACE TEMP VIEW {_CASES} AS {relation.sql}")
        rows = _with_progress(connection, f"COPY ({statement}) TO '{_quoted(target)}' "
                                          f"(FORMAT parquet, ROW_GROUP_SIZE {sink.ROW_GROUP})", events.share)
        if unfiltered:
            records = rows // len(run.engine.sql_program.agreements)
            if counted_after and records != relation.rows:
                return False
        elif relation.records is not None:
            records = relation.records
        else:
            records = connection.execute(f"SELECT count(*) FROM {_IN}").fetchone()[0]
        sink.adopt(target)
    except duckdb.Error:
        return False
    finally:
        connection.execute(f"DROP VIEW IF EXISTS {_CASES}")
        connection.execute(f"DROP VIEW IF EXISTS {_IN}")
        os.unlink(target)
    stats.records += records
    reader.records = records
    events.advanced(records)
    return True


class Relation:
    """The checked records of an input as DuckDB reads it (`sql`, reading `_IN`), with,
    for an input proved alike only by counting over DuckDB's reading of it (CSV), the
    `proof`: SQL of one row whose `_fine` says whether that reading is the Python
    reader's; `ctes`, the statement's own CTEs (`_IN` among them) when the input is
    read by the statement rather than through a view; `records`, how many records
    there are when that is known; `rows`, when the proof is only that DuckDB reads
    so many rows: a run writing a row for each record and agreement checks that from
    the rows it wrote, and reads nothing twice."""

    def __init__(self, sql: str, proof: str | None = None, ctes: str = "", records: int | None = None,
                 rows: int | None = None) -> None:
        self.sql, self.proof, self.ctes, self.records, self.rows = sql, proof, ctes, records, rows


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
        raise failed.pop()      # not kept: the list is a local of the frames it passed through
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
                       columns: list[str], places: list[int], record_type, typed) -> Relation | None:
    """The checked relation of a CSV or TSV file read by DuckDB's CSV reader, with the
    proof that it reads the file as the Python reader does (`_proof`), or None when the
    file's bytes already show it might not (see the module's notes)."""
    from rulelang.backends.sql.ingest import cell_holds_no_quote, cell_is_short, validated_cells
    from rulelang.semantics import types as T

    pairs = _beside_quotes(delimiter)
    scan = _scan(path, gzipped, tuple(p.encode() for p in pairs) + _LINE_ENDS, header=True, delimiter=delimiter)
    if scan is None or scan.header_quoted or scan.control or scan.counts[b"\r"] != scan.counts[b"\r\n"]:
        return None
    cells = [f"c{i}" for i in range(width)]
    kinds = {place: T.strip(record_type.fields[name]) for name, place in zip(columns, places)}
    # (the cells a value SQL takes may be too long in: every other cell SQL reads as a
    # type it takes only short)
    unbounded = [c for i, c in enumerate(cells) if i not in kinds or not cell_is_short(kinds[i])]
    doubtful = _doubtful(cells, unbounded)
    reader = csv_reader(path, gzipped, delimiter, width)
    lines = scan.counts[b"\n"] + (0 if scan.ends_with_newline else 1)
    picked = ", ".join(f'c{place} AS "{name}"' for name, place in zip(columns, places))
    checked = typed(record_type, validated_cells(_IN, columns, record_type).sql("duckdb"))
    if not scan.loose_quotes:
        # no blank beside a quote DuckDB reads as a cell's own: what is left to prove is
        # row by row (a row stops the statement when Python might read it otherwise) but
        # the count of rows, which is one a line (measured on the 1M-row file: the run's
        # statement 4.5 s CPU against 5.1 with the proof beside it)
        connection.execute(f"CREATE OR REPLACE TEMP VIEW {_IN} AS SELECT 1 AS _row, {picked} FROM {reader} "
                           f"WHERE CASE WHEN {doubtful} THEN error('rulelang: a row Python might read otherwise') "
                           "ELSE true END")
        return Relation(checked, f"SELECT count(*) = {lines} AS _fine FROM {reader}", records=lines, rows=lines)
    # (the cells a value SQL takes may hold a quote in: every other cell SQL reads as a
    # type it takes only without a quote)
    quotable = [c for i, c in enumerate(cells) if i not in kinds or not cell_holds_no_quote(kinds[i])]
    proof_columns = f"{_pairs(quotable, scan, pairs)} AS _pairs, {doubtful} AS _doubtful"
    wanted = (f"count(*) = {lines} AND coalesce(sum(_pairs), 0) = {_wanted_pairs(scan, pairs)} "
              f"AND NOT coalesce(bool_or(_doubtful), false) AS _fine")
    if scan.size <= _KEEP:
        # DuckDB's reading shared (a CTE) by the proof and the decisions, which it feeds
        # both from as the file is read (the proof is a branch beside the decisions, see
        # `attempt`). Measured on the 1M-row file: 4.8 s CPU for the whole run against 6.7
        # when the proof read the file again; 0.52 GB peak RSS against 0.41
        names = ", ".join(f'"{name}"' for name in columns)
        ctes = (f"{_READ} AS MATERIALIZED (SELECT {picked}, {proof_columns} FROM {reader}), "
                f"{_IN} AS (SELECT 1 AS _row, {names} FROM {_READ})")
        return Relation(checked, f"SELECT {wanted} FROM {_READ}", ctes, lines)
    # a larger file is read twice, so that memory does not grow with it (shared, the run
    # over 3M rows took 1.1 GB peak RSS, 0.45 GB read twice)
    connection.execute(f"CREATE OR REPLACE TEMP VIEW {_IN} AS SELECT 1 AS _row, {picked} FROM {reader}")
    proof = f"SELECT {wanted} FROM (SELECT {proof_columns} FROM {reader})"
    return Relation(checked, proof, records=lines)


def csv_reader(path: str, gzipped: bool, delimiter: str, width: int) -> str:
    """DuckDB's reader of the rows of a CSV or TSV file after its header line (of `width`
    cells), as text cells `c0`, `c1`, …, and one more, `c{width}`. Even in strict mode,
    DuckDB drops empty cells past the last column (`a,b,c,` read as three cells: Python
    reads four, and refuses the row). So it reads a column more, every cell a row does
    not have as NULL and every other as text (an empty one too: `nullstr` is a control
    character, which the scan keeps out of the file): a row of as many cells as the
    header has the extra one NULL and the last one not (`_doubtful`)."""
    types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width + 1))
    compression = "gzip" if gzipped else "none"
    return (f"read_csv('{_quoted(path)}', header = false, skip = 1, delim = {_literal(delimiter)}, "
            "quote = '\"', escape = '\"', strict_mode = true, null_padding = true, auto_detect = false, "
            f"nullstr = {_literal(chr(1))}, compression = '{compression}', columns = {{{types}}})")


def _pairs(quotable: list[str], scan: "_Scan", pairs: tuple) -> str:
    """The blank-and-quote pairs in the values of a row of DuckDB's reading of a CSV
    file, for the proof that it is the Python reader's, with the row count (one row a
    line). DuckDB dropped no blank beside a quote when the file has as many as all the
    values: each pair of a value stands for one in the file (inside a quoted cell as a
    blank and the quote's pair, in an unquoted cell as written), so the file has as many
    as the values unless a pair was syntax: a blank before an opening quote or after a
    closing one, which DuckDB drops and Python keeps or refuses (a quoted value that
    starts or ends with a blank counts so too: such a file takes the careful run). A pair
    the file does not hold no value holds: only the others are counted in the values,
    and only in the cells `quotable` (any other cell holding a quote stops the statement
    as an invalid record; measured on the 1M-row file, `contains` over 12 cells cost 0.3
    s CPU)."""
    pairs = tuple(pair for pair in pairs if scan.counts[pair.encode()])
    if not pairs or not quotable:
        return "0"
    return " + ".join(
        f"CASE WHEN contains({c}, '\"') THEN "
        + " + ".join(f"(strlen({c}) - strlen(replace({c}, {_literal(pair)}, ''))) // 2" for pair in pairs)
        + " ELSE 0 END" for c in quotable)


def _doubtful(cells: list[str], unbounded: list[str]) -> str:
    """Whether a row of DuckDB's reading of a CSV file (`csv_reader`: its cells `cells`
    and one more) is one Python might read otherwise: a row of fewer or more cells than
    the header, a row blank to Python (every cell blank: the Python reader skips it), or
    one with a cell of `unbounded` longer than the csv module's limit (a longer cell of
    another stops the statement as an invalid record)."""
    blank = _literal(f"[{_class(PY_BLANKS)}]*")
    blank_row = " AND ".join(f"regexp_full_match({c}, {blank})" for c in cells)
    too_long = f"greatest({', '.join(f'strlen({c})' for c in unbounded)}) > {_CELL_LIMIT}" if unbounded else "false"
    ragged = f"{cells[-1]} IS NULL OR c{len(cells)} IS NOT NULL"
    # (a first cell that starts with a visible ASCII character is not blank: the regular
    # expressions are not computed for its row)
    return (f"CASE WHEN {ragged} THEN true WHEN ord({cells[0]}) BETWEEN 33 AND 126 THEN {too_long} "
            f"ELSE ({blank_row}) OR {too_long} END")


def _wanted_pairs(scan: "_Scan", pairs: tuple) -> int:
    return sum(scan.counts[pair.encode()] for pair in pairs)


def _class(chars: str) -> str:
    """A regular-expression character class of `chars` (RE2 syntax)."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


class _Scan:
    """What the bytes of a file hold, after any byte-order mark (and after the header
    line, when there is one): its size, how many times each of some byte strings occurs, whether
    a control character occurs (other than tab, line feed and carriage return), whether
    the header line holds a quote or a carriage return before its end, whether the body
    ends with a line end; with a delimiter, `loose_quotes`: the places where a blank
    might stand beside a quote DuckDB reads as opening or closing a cell (`_loose`)."""

    def __init__(self, needles: tuple) -> None:
        self.counts = dict.fromkeys(needles, 0)
        self.control = self.header_quoted = False
        self.ends_with_newline = True
        self.size = 0           # bytes (after the header line)
        self.loose_quotes = 0


# every byte but the control characters a cell may not hold (deleted, what is left is those)
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0a, 0x0d)))
_CONTEXT = 3    # bytes of a block kept before the next, so that a pattern may straddle the two


def _loose(delimiter: str) -> tuple:
    """Patterns (byte classes, see `_counter`) of the places where a blank might stand
    beside a quote DuckDB reads as opening or closing a cell: where it reads a file
    otherwise than Python (`a, "b"`, `"b" ,c`: it drops the blank). DuckDB opens a cell's
    quotes only at the cell's start (after a delimiter, a line end, or the one blank it
    drops), and stops with an error at a closing quote followed by anything but a
    delimiter, a line end or blanks. So a blank B beside an enclosing quote Q is either
    in `B Q x` with x not a quote, `x Q B` with x not a quote, or in `B Q Q x`, `x Q Q B`
    with x a quote, a delimiter, a line end or a blank (an empty quoted cell, or an
    escaped quote beside the cell's own); any other `B Q Q` or `Q Q B` is an escaped
    quote inside a quoted cell (`"[1, ""a""]"`), or DuckDB stops at it. A file holding
    none of these is read alike by both, as far as blanks go."""
    d = delimiter.encode()
    blanks = bytes(b for b in b" \t" if b != d[0])
    quote = b'"'
    edge = quote + d + b"\n\r" + blanks       # (the start and end of the file count as line ends)
    return ((blanks, quote, (quote, True)), ((quote, True), quote, blanks),
            (blanks, quote, quote, edge), (edge, quote, quote, blanks))


def _scan(path: str, gzipped: bool, needles: tuple, header: bool = False, delimiter: str | None = None) -> _Scan | None:
    """The _Scan of a file; None when it cannot be read."""
    import gzip
    import zlib

    scan = _Scan(needles)
    patterns = _loose(delimiter) if delimiter is not None else ()
    try:
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as stream:
            data = stream.read(_SCAN).removeprefix(b"\xef\xbb\xbf")
            if header:
                end = data.find(b"\n")
                line = data[:end] if end >= 0 else data
                scan.header_quoted = end < 0 or b'"' in line or b"\r" in line[:-1]
                data = data[end + 1:]
            before = b"\n" * _CONTEXT     # (the start of the body counts as a line end)
            while data:
                count = _counter(before + data, len(before))
                for needle in needles:
                    scan.counts[needle] += count(needle)
                scan.loose_quotes += sum(count(pattern) for pattern in patterns)
                scan.control = scan.control or (header and len(data.translate(None, _NOT_CONTROL)) > 0)
                scan.size += len(data)
                before = (before + data)[-_CONTEXT:]
                data = stream.read(_SCAN)
            scan.ends_with_newline = before[-1:] == b"\n"
            if patterns:    # (the end of the file counts as a line end)
                count = _counter(before + b"\n" * _CONTEXT, len(before))
                scan.loose_quotes += sum(count(pattern) for pattern in patterns)
    except (OSError, EOFError, zlib.error):
        return None
    return scan


def _counter(data: bytes, start: int):
    """A function counting the occurrences in `data` of a pattern that end at `start` or
    after (the bytes before are the end of the block before, for the patterns that
    straddle the two). A pattern is a byte string, or a tuple of byte classes: a bytes
    (any of them) or (bytes, True) (any byte but them). With Arrow's vectorised
    comparisons: each byte compared once, each class and pattern a bitwise OR or AND of
    those (measured over the 148 MB file: 0.3 s CPU for two pairs and the line ends,
    against 0.5 s for bytes.count, which searches the whole of `data` for each)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    size = len(data)
    values = pa.Array.from_buffers(pa.uint8(), size, [None, pa.py_buffer(data)])
    equal: dict = {}

    def at(byte: int):
        if byte not in equal:
            equal[byte] = (pc.equal(values, pa.scalar(byte, pa.uint8())) if bytes([byte]) in data
                           else pa.Array.from_buffers(pa.bool_(), size, [None, pa.py_buffer(bytes((size + 7) // 8))]))
        return equal[byte]

    classes: dict = {}

    def of(cls):
        if cls not in classes:
            taken, negated = cls if isinstance(cls, tuple) else (cls, False)
            hits = at(taken[0])
            for byte in taken[1:]:
                hits = pc.or_(hits, at(byte))
            classes[cls] = pc.invert(hits) if negated else hits
        return classes[cls]

    def count(pattern) -> int:
        sequence = [bytes([b]) for b in pattern] if isinstance(pattern, bytes) else list(pattern)
        width = len(sequence)
        first = max(0, start - width + 1)       # the first place whose pattern ends at `start` or after
        places = size - width + 1 - first
        if places <= 0:
            return 0
        hits = None
        for offset, cls in enumerate(sequence):
            part = of(cls).slice(first + offset, places)
            hits = part if hits is None else pc.and_(hits, part)
        return pc.sum(hits).as_py() or 0

    return count
