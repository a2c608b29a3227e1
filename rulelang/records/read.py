"""Reading case records: JSON Lines, JSON, CSV, TSV and Parquet, plain or gzipped.

`open_records(path, kind, record_type)` opens an input and says what it is
before a record is read: its kind (from the extension, from `--input-format`,
or, for stdin and unknown extensions, from its first bytes), and, for the
formats with a header (CSV, TSV, Parquet), whether its columns fit the input
record. A file that cannot be read as records at all raises `InputError`
(the command line exits 2: the input, not a record, is wrong). Everything
else is per record: a record that cannot be read becomes a RawRecord with a
`read_error` at its position and the batch goes on.

Reading streams (JSON arrays excepted): one record at a time, so memory does
not grow with the input.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zlib
from pathlib import Path
from typing import IO, Callable, Iterator

import attrs

from rulelang.diagnostics import did_you_mean
from rulelang.semantics import types as T

MAX_LINE = 10_000_000       # characters in one JSONL line or CSV cell
KINDS = ("jsonl", "json", "csv", "tsv", "parquet")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
               ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
KNOWN_KINDS = ("JSON Lines (.jsonl), JSON (.json), CSV (.csv), TSV (.tsv) and Parquet (.parquet); "
               "the text ones may be gzipped (.jsonl.gz, .csv.gz, ...)")
_PARQUET_BATCH = 4096


class InputError(Exception):
    """The input as a whole cannot be read as records: an unknown kind of file, a
    CSV header without a required column, a damaged Parquet file."""


@attrs.frozen
class RawRecord:
    """One record as read: its position, and the parsed object or why it could not be."""
    position: str                 # "line 7" or "row 3" or "item 2"
    data: object = None
    read_error: str | None = None
    from_text: bool = False       # CSV: scalar cells are text to be converted by type


@attrs.frozen
class Note:
    """Something about the input as a whole, said once: an ignored column, a guessed kind."""
    message: str
    code: str | None = None       # "RL0702" for an ignored field


# ---- what kind of input ------------------------------------------------------------------

def detect_format(path: str) -> str:
    """The kind of input a file name says (JSON Lines when it says nothing)."""
    kind, _ = _kind_from_name(path)
    return kind or "jsonl"


def _kind_from_name(path: str) -> tuple[str | None, bool]:
    """(kind, gzipped) from the extension; kind None when the name does not say."""
    name = path.lower()
    gzipped = name.endswith((".gz", ".gzip"))
    if gzipped:
        name = name.rsplit(".", 1)[0]
    return _EXTENSIONS.get(Path(name).suffix), gzipped


def sniff(head: bytes) -> str | None:
    """The kind of input these first bytes begin, or None when they do not say."""
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return "jsonl"
    if text.startswith(b"["):
        return "json"
    first = text.split(b"\n", 1)[0]
    if text.startswith(b"{"):
        try:
            json.loads(first)
            return "jsonl"
        except ValueError:
            return "json"        # one object over several lines
    if b"\t" in first:
        return "tsv"
    if b"," in first:
        return "csv"
    return None


def _parquet_ends(head: bytes, stream: IO[bytes]) -> bool:
    """Whether a file named as text is Parquet after all: it begins and ends with
    Parquet's mark (text may begin with "PAR1" too)."""
    if not head.startswith(b"PAR1") or not stream.seekable():
        return False
    start = stream.tell()
    try:
        stream.seek(-4, 2)
        return stream.read(4) == b"PAR1"
    except OSError:
        return False
    finally:
        stream.seek(start)


def _describe_binary(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (an Excel or OpenDocument workbook?): save the sheet as CSV"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel workbook: save the sheet as CSV"
    if head.startswith(b"SQLite format 3"):
        return "an SQLite database: export the table as CSV or Parquet"
    return None


# ---- opening ---------------------------------------------------------------------------

class RecordSource:
    """An opened input: `kind`, `notes` (said once, about the whole input) and its records."""

    def __init__(self, name: str, kind: str, stream: IO[bytes] | None, closer: Callable[[], None],
                 records: Iterator[RawRecord], notes: list[Note]) -> None:
        self.name, self.kind, self.stream = name, kind, stream
        self.notes = notes
        self.notes_shown = 0          # how many notes the caller has shown so far
        self._records, self._closer = records, closer
        self.count = 0
        # for a reader that takes the input whole, in columns (the columnar engine): the
        # text after any gzip (JSON Lines), or (ParquetFile, its columns that are fields,
        # whether cells are text to convert) for Parquet; None for the other kinds
        self.body: IO[bytes] | None = None
        self.parquet: tuple | None = None
        # CSV and TSV: (its Header, its rows as delimited_rows yields them after the header)
        self.delimited: tuple | None = None
        # the file (None: stdin), and whether it is gzipped: for a reader that reads the
        # file itself (the columnar engine's run in one statement, batch/direct.py)
        self.path: str | None = None
        self.gzipped = False

    def __iter__(self) -> Iterator[RawRecord]:
        last = "the start"
        try:
            for raw in self._records:
                self.count += 1
                last = raw.position
                yield raw
        except (OSError, EOFError, zlib.error) as error:   # a damaged gzip stream, a failing disk
            self.count += 1
            yield RawRecord(f"after {last}",
                            read_error=f"the rest of {self.name} could not be read ({_reason(error)})")

    def position(self) -> int:
        """How far into the file (bytes), for a progress bar; 0 when unknown."""
        try:
            return self.stream.tell() if self.stream is not None else 0
        except (OSError, ValueError, AttributeError):
            return 0

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> "RecordSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return "compressed data ended early" if isinstance(error, EOFError) else text


def open_input(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    return Path(path).open("rb")


def open_records(path: str, kind: str | None = None,
                 record_type: T.RecordType | None = None) -> RecordSource:
    """Open `path` (`-` for stdin) as records of `kind` (None: from the name, else the
    content). With `record_type`, a header is checked against it here, once. Raises
    OSError when the file cannot be opened, InputError when it is not records."""
    name = "stdin" if path == "-" else path
    named, gzipped = (None, False) if path == "-" else _kind_from_name(path)
    if kind is None and path != "-" and Path(path).suffix.lower() in _SPREADSHEETS:
        raise InputError(f"{name} is a spreadsheet: save the sheet as CSV (rulelang reads {KNOWN_KINDS})")
    raw = open_input(path)
    try:
        opened = _open(raw, name, kind or named, gzipped, record_type, kind is None)
        opened.path = None if path == "-" else path
        return opened
    except BaseException:
        if raw is not sys.stdin.buffer:
            raw.close()
        raise


def _open(raw: IO[bytes], name: str, kind: str | None, gzipped: bool, record_type,
          guessed: bool) -> RecordSource:
    notes: list[Note] = []
    stream = raw
    head, stream = _peek(stream)
    if head.startswith(b"\x1f\x8b"):
        gzipped = True
    if gzipped:
        import gzip

        if kind == "parquet":
            raise InputError(f"{name} is a gzipped Parquet file: Parquet compresses itself, "
                             "so unzip it (gunzip) and read the .parquet file")
        stream = gzip.GzipFile(fileobj=stream, mode="rb")
        try:
            head, stream = _peek(stream)
        except (OSError, EOFError, zlib.error) as error:
            raise InputError(f"{name} is not a readable gzip file ({_reason(error)})") from None
    if kind is None:
        kind = sniff(head)
        if kind is None:
            what = _describe_binary(head)
            raise InputError(f"{name} is {what}" if what else
                             f"cannot tell what kind of records {name} holds: rulelang reads "
                             f"{KNOWN_KINDS}; name the file so or pass --input-format")
        if name == "stdin" and kind != "jsonl":
            notes.append(Note(f"stdin holds {_KIND_NAMES[kind]}: read as such "
                              "(--input-format says otherwise)"))
    elif guessed and kind in ("jsonl", "json", "csv", "tsv") and _parquet_ends(head, stream):
        kind = "parquet"
        notes.append(Note(f"{name} is a Parquet file despite its name: read as Parquet"))
    closer = (lambda: None) if raw is sys.stdin.buffer else raw.close
    if kind == "parquet":
        return _open_parquet(stream, name, record_type, notes, closer)
    if kind in ("csv", "tsv"):
        rows = delimited_rows(stream, "\t" if kind == "tsv" else ",", name, record_type, notes)
        header = next(rows)     # the header is checked now, before any record is read
        source = RecordSource(name, kind, raw, closer, _rows_records(header, rows), notes)
        if isinstance(header, Header):
            source.delimited = (header, rows)
    else:
        reader = _read_json(stream, notes, name) if kind == "json" else _read_jsonl(stream)
        source = RecordSource(name, kind, raw, closer, reader, notes)
        if kind == "jsonl":
            source.body = stream
    source.gzipped = gzipped
    return source


_KIND_NAMES = {"jsonl": "JSON Lines", "json": "JSON", "csv": "CSV", "tsv": "TSV", "parquet": "Parquet"}


def _peek(stream: IO[bytes], size: int = 65536) -> tuple[bytes, IO[bytes]]:
    """The first bytes of a stream, and a stream that still begins with them."""
    import gzip

    if stream.seekable() and not isinstance(stream, gzip.GzipFile):  # gzip seeks back by rewinding
        start = stream.tell()
        head = stream.read(size)
        stream.seek(start)
        return head, stream
    read = getattr(stream, "read1", stream.read)
    head = read(size)
    return head, io.BufferedReader(_Replay(head, stream))


class _Replay(io.RawIOBase):
    """A stream that gives `head` again, then the rest of `rest` (stdin after a peek)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        # read1: what the stream has (a gzip stream that breaks off gives what came
        # before the break, and the error only at the break)
        data = getattr(self.rest, "read1", self.rest.read)(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def read_records(stream: IO[bytes], fmt: str, notes: list | None = None) -> Iterator[RawRecord]:
    """Records from a binary stream in a text format, one at a time (no header check)."""
    notes = [] if notes is None else notes
    if fmt in ("csv", "tsv"):
        rows = delimited_rows(stream, "\t" if fmt == "tsv" else ",", "input", None, notes)
        yield from _rows_records(next(rows), rows)
    elif fmt == "json":
        yield from _read_json(stream, notes, "input")
    else:
        yield from _read_jsonl(stream)


# ---- the header of CSV, TSV and Parquet -----------------------------------------------

def check_columns(columns: list[str], record_type: T.RecordType, name: str) -> tuple[list[str], list[Note]]:
    """The columns that are fields of `record_type`, and a note for each other one. Raises
    InputError when a required field has no column, or a column is named twice: then
    every record would be wrong in the same way, and one error says so."""
    seen: set[str] = set()
    twice = [c for c in columns if c in seen or seen.add(c)]
    if twice:
        raise InputError(f"{name}: the column{'s' if len(twice) > 1 else ''} "
                         f"{', '.join(f'`{c}`' for c in sorted(set(twice)))} appear"
                         f"{'' if len(twice) > 1 else 's'} twice in the header")
    fields = record_type.fields
    unknown = [c for c in columns if c not in fields]
    missing = [f for f, t in fields.items() if not T.is_optional(t) and f not in seen]
    if missing:
        hints = [f"`{m}` ({hint})" if (hint := did_you_mean(m, unknown)) else f"`{m}`" for m in missing]
        raise InputError(f"{name} has no column for the required field{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(hints)}: every record needs {'them' if len(missing) > 1 else 'it'}"
                         f" (its columns: {', '.join(columns) or 'none'})")
    notes = []
    for column in unknown:
        hint = did_you_mean(column, fields)
        notes.append(Note(f"{name}: column `{column}` is not a field of `{record_type.name}` and is "
                          "ignored" + (f" ({hint})" if hint else ""), "RL0702"))
    return [c for c in columns if c in fields], notes


# ---- JSON Lines and JSON ----------------------------------------------------------------

def strict_json(line: str):
    def reject_constant(name):
        raise ValueError(f"{name} is not a JSON number")

    def no_duplicates(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice")
            seen[key] = value
        return seen

    return json.loads(line, parse_constant=reject_constant, object_pairs_hook=no_duplicates)


def _read_jsonl(stream: IO[bytes]) -> Iterator[RawRecord]:
    # JSON Lines end at "\n" only (a "\r" before it is JSON whitespace); each line is
    # decoded on its own so that one bad byte makes one invalid record, not a lost batch.
    line_no = 0
    while True:
        raw = stream.readline(MAX_LINE + 1)
        if not raw:
            return
        line_no += 1
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of an over-long line
                raw = stream.readline(MAX_LINE + 1)
            yield RawRecord(f"line {line_no}", read_error=f"line longer than {MAX_LINE} bytes")
            continue
        record = jsonl_record(raw, line_no)
        if record is not None:
            yield record


def jsonl_record(raw: bytes, line_no: int) -> RawRecord | None:
    """The record on one line of JSON Lines (its bytes, with or without the "\n"); None
    for a blank line."""
    if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if len(raw.rstrip(b"\n")) > MAX_LINE:
        return RawRecord(f"line {line_no}", read_error=f"line longer than {MAX_LINE} bytes")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return RawRecord(f"line {line_no}", read_error=f"not UTF-8 text ({error.reason})")
    if not line.strip():
        return None
    try:
        return RawRecord(f"line {line_no}", data=strict_json(line))
    except (ValueError, RecursionError) as error:
        return RawRecord(f"line {line_no}", read_error=f"not valid JSON: {json_message(error)}")


def json_message(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        one_line = "\n" not in error.doc.rstrip("\r\n")   # a JSONL line: only the column matters
        where = f"column {min(error.pos, len(error.doc.rstrip())) + 1}" if one_line else \
            f"line {error.lineno}, column {error.colno}"
        message = error.msg.removesuffix(" at")
        if message.startswith("Invalid control character"):
            message = "a string is not closed on its line"
        return f"{message} at {where}"
    return str(error).split(": line")[0]


def _read_json(stream: IO[bytes], notes: list, name: str) -> Iterator[RawRecord]:
    # Bytes that are not UTF-8 become lone surrogates here and an error for the record
    # whose value holds them (validate.py), so one bad byte spoils one record only.
    wrapper = _text(stream)
    text = wrapper.read()
    wrapper.detach()
    try:
        data = strict_json(text)
    except (ValueError, RecursionError) as error:
        if _is_json_lines(text, error):
            notes.append(Note(f"{name} holds JSON Lines (one object a line), not one JSON document: "
                              "read as JSON Lines (name it .jsonl, or pass --input-format jsonl)"))
            yield from _read_jsonl(io.BytesIO(text.encode("utf-8", "surrogateescape")))
            return
        yield RawRecord("item 1", read_error=f"not valid JSON: {json_message(error)}")
        return
    items = data if isinstance(data, list) else [data]
    for index, item in enumerate(items, 1):
        yield RawRecord(f"item {index}", data=item)


def _is_json_lines(text: str, error: Exception) -> bool:
    """A document that fails as JSON with "Extra data" after a first line that is an object."""
    if not (isinstance(error, json.JSONDecodeError) and error.msg == "Extra data"):
        return False
    first = text.lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def _text(stream: IO[bytes]) -> io.TextIOWrapper:
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")


# ---- CSV and TSV -----------------------------------------------------------------------

ROWS_AT_A_TIME = 32_768   # CSV or TSV rows read in one block


def _rows_records(header, rows) -> Iterator[RawRecord]:
    """The records of a CSV or TSV input, from its header (or the RawRecord saying it
    cannot be read) and its rows (delimited_rows)."""
    if not isinstance(header, Header):
        if header is not None:
            yield header
        return
    for numbers, items, _ in rows:
        for row_no, item in zip(numbers, items):
            yield item if isinstance(item, RawRecord) else cells_record(row_no, item, header.cells, header.keep)


@attrs.frozen
class Header:
    """The header of a CSV or TSV input: its cells, and the fields among them when some
    column is not a field (None: every column is one)."""
    cells: list
    keep: frozenset | None


def cells_record(row_no: int, row: list, names: list, keep: frozenset | None) -> RawRecord:
    # an empty cell is an absent (unknown) field
    data = {k: v for k, v in zip(names, row) if v != "" and (keep is None or k in keep)}
    return RawRecord(f"row {row_no}", data=data, from_text=True)


def delimited_rows(stream: IO[bytes], delimiter: str, name: str, record_type,
                   notes: list) -> Iterator:
    """The rows of a CSV or TSV input: first its `Header` (checked against `record_type`),
    or a RawRecord saying it cannot be read, or None when there is none; then blocks of
    up to ROWS_AT_A_TIME rows: (row numbers, items, whether an item is a RawRecord), an
    item being a row's cells when it has as many as the header, else a RawRecord saying
    why the row cannot be a record (bad CSV, a cell too many or too few). Blank rows
    are left out, and counted: a row's number is its place in the input, the header's
    being 1. (In blocks, because a generator step per row costs more than the csv
    module's parsing of it.)"""
    text = _text(stream)
    try:
        reader = csv.reader(text, strict=True, delimiter=delimiter)
        try:
            header = [cell.strip() for cell in next(reader)]
        except StopIteration:
            yield None
            return
        except csv.Error as error:
            yield RawRecord("row 1", read_error=f"bad CSV: {error}")
            return
        keep = None
        if record_type is not None:
            kept, found = check_columns(header, record_type, name)
            notes.extend(found)
            if len(kept) < len(header):
                keep = frozenset(kept)
        yield Header(header, keep)
        width, row_no, done = len(header), 1, False
        while not done:
            numbers, items, errors = [], [], False
            try:
                for row in reader:
                    row_no += 1
                    if not (row and (row[0].strip() or "".join(row).strip())):
                        continue    # a blank row: every cell blank, or none
                    numbers.append(row_no)
                    if len(row) == width:
                        items.append(row)
                    else:
                        items.append(RawRecord(f"row {row_no}", read_error=f"has {len(row)} cells, the "
                                               f"header has {width}"))
                        errors = True
                    if len(numbers) == ROWS_AT_A_TIME:
                        break
                else:
                    done = True
            except csv.Error as error:
                row_no += 1
                numbers.append(row_no)
                items.append(RawRecord(f"row {row_no}", read_error=f"bad CSV: {error}"))
                errors = True
            if numbers:
                yield numbers, items, errors
    finally:
        try:
            text.detach()   # leave the stream to its owner (stdin stays open)
        except ValueError:  # the owner closed it first (the reader was abandoned)
            pass


# ---- Parquet -----------------------------------------------------------------------------

def _parquet_module():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet needs pyarrow: pip install 'rulelang[parquet]'") from None
    return pq


def _open_parquet(stream: IO[bytes], name: str, record_type, notes: list, closer) -> RecordSource:
    pq = _parquet_module()
    import pyarrow as pa

    source = stream if stream.seekable() else io.BytesIO(stream.read())
    try:
        # not pre-buffered: pyarrow then keeps every row group it has read until the
        # file is closed (measured: a 230 MB file read through held 230 MB more)
        parquet = pq.ParquetFile(source, pre_buffer=False)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise InputError(f"{name} is not a readable Parquet file ({error})") from None
    columns = list(parquet.schema_arrow.names)
    from_text = False
    if record_type is not None:
        columns, found = check_columns(columns, record_type, name)
        notes.extend(found)
        schema = parquet.schema_arrow
        # a column of strings for a field that is not text (lists as JSON, as in a CSV)
        from_text = any(pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type)
                        for c in columns if not is_text_type(T.strip(record_type.fields[c])))
    opened = RecordSource(name, "parquet", source, closer,
                          _read_parquet(parquet, columns, from_text, name), notes)
    opened.parquet = (parquet, columns, from_text)
    return opened


def is_text_type(type_: T.Type) -> bool:
    """Types a CSV cell holds as plain text (the others are parsed: true, 12, JSON)."""
    return type_ in (T.TEXT, T.DATE, T.COUNTRY, T.DURATION) or isinstance(type_, T.EnumType)


def _read_parquet(parquet, columns: list[str], from_text: bool, name: str) -> Iterator[RawRecord]:
    import pyarrow as pa

    row_no = 0
    try:
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH, columns=columns):
            for row in _as_json(pa, batch).to_pylist():
                row_no += 1
                yield RawRecord(f"row {row_no}", data=row, from_text=from_text)
    except (pa.ArrowException, ValueError) as error:
        yield RawRecord(f"row {row_no + 1}",
                        read_error=f"the rest of {name} could not be read ({error})")


def parquet_row(batch, index: int, row_no: int) -> RawRecord:
    """Row `index` of a batch of Parquet columns (fields only) as the reader gives it."""
    import pyarrow as pa

    return RawRecord(f"row {row_no}", data=_as_json(pa, batch.slice(index, 1)).to_pylist()[0])


def _as_json(pa, batch):
    """The batch with dates and decimals as text, as JSON would give them (cast in
    Arrow, column by column; nested ones value by value, but their dates in Arrow
    too: Python's dates end at year 9999, and a later one must reach the validator
    as text, to be an error of its record and not of the whole batch)."""
    arrays = []
    changed = False
    for column, field in zip(batch.columns, batch.schema):
        kind = field.type
        if pa.types.is_date(kind) or pa.types.is_decimal(kind):
            column, changed = column.cast(pa.string()), True
        elif pa.types.is_timestamp(kind) or _nested_with(pa, kind):
            dated = _dates_as_text(pa, kind)
            if dated != kind:
                column, changed = column.cast(dated), True
            if pa.types.is_timestamp(dated) or _nested_with(pa, dated):
                column, changed = pa.array([_plain(v) for v in _python_values(pa, column)]), True
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names) if changed else batch


def _nested_with(pa, kind) -> bool:
    """A list or struct type holding a date, timestamp or decimal somewhere."""
    if _is_list(pa, kind):
        return _special(pa, kind.value_type)
    if pa.types.is_struct(kind):
        return any(_special(pa, kind.field(i).type) for i in range(kind.num_fields))
    return False


def _is_list(pa, kind) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)


def _special(pa, kind) -> bool:
    return (pa.types.is_date(kind) or pa.types.is_decimal(kind) or pa.types.is_timestamp(kind)
            or _nested_with(pa, kind))


def _dates_as_text(pa, kind):
    """`kind` with text wherever it holds a date (for a cast in Arrow)."""
    if pa.types.is_date(kind):
        return pa.string()
    if _is_list(pa, kind):
        item = kind.value_field.with_type(_dates_as_text(pa, kind.value_type))
        if pa.types.is_fixed_size_list(kind):
            return pa.list_(item, kind.list_size)
        return pa.large_list(item) if pa.types.is_large_list(kind) else pa.list_(item)
    if pa.types.is_struct(kind):
        return pa.struct([kind.field(i).with_type(_dates_as_text(pa, kind.field(i).type))
                          for i in range(kind.num_fields)])
    return kind


def _python_values(pa, column) -> list:
    """The column's values in Python; a timestamp Python cannot hold (past year 9999)
    becomes Arrow's text for it, which the validator then rejects for its record."""
    try:
        return column.to_pylist()
    except (OverflowError, ValueError):
        return [_python_value(pa, scalar) for scalar in column]


def _python_value(pa, scalar):
    try:
        return scalar.as_py()
    except (OverflowError, ValueError):
        kind = scalar.type
        if pa.types.is_struct(kind):
            return {kind.field(i).name: _python_value(pa, scalar[i]) for i in range(kind.num_fields)}
        if _is_list(pa, kind):
            return [_python_value(pa, item) for item in scalar.values]
        return scalar.cast(pa.string()).as_py()


def _plain(value):
    """A Parquet value as JSON would give it: dates as ISO text, decimals as text."""
    kind = type(value)
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    if kind is list:
        return [_plain(v) for v in value]
    if kind in (str, int, bool, float) or value is None:
        return value
    import datetime as _dt
    from decimal import Decimal

    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
