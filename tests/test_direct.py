"""A run to a Parquet file in one DuckDB statement (rulelang/batch/direct.py) writes
the table the Python engine writes, and is taken only when that is certain: a file
DuckDB's readers read otherwise than Python's, or a record SQL does not take, sends
the run the careful way (columnar.py), with nothing of the attempt kept."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulelang
from rulelang import batch
from rulelang.batch import columnar
from rulelang.records import open_records, validate_dict
from rulelang.records.write import ParquetWriter, csv_cell

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cases" / "sample.jsonl"
SCALE = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 1


@pytest.fixture(scope="module")
def policy():
    return rulelang.load("stdlib:all")


@pytest.fixture(scope="module")
def records():
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(policy, path, engine: str, out: Path, **options):
    """(table, records, invalid, whether the run went in one statement)."""
    import pyarrow.parquet as pq

    source = open_records(str(path), None, policy.program.input_type)
    sink = ParquetWriter(out)
    options = batch.Options(engine=engine, **options)
    planned = columnar.plan(policy, source, sink, options)
    one_statement = []
    if planned is not None:
        real = columnar.ColumnarRun.run

        def watched(self, stats, events):
            real(self, stats, events)
            one_statement.append(self.in_one_statement)

        columnar.ColumnarRun.run = watched
    try:
        with source:
            stats = batch.run(policy, source, sink, options)
    finally:
        if planned is not None:
            columnar.ColumnarRun.run = real
    return pq.read_table(out), stats.records, stats.invalid, bool(one_statement and one_statement[0])


def same_as_python(policy, path, tmp_path, **options) -> bool:
    """Asserts both engines write the same table and counts; whether DuckDB's went in one statement."""
    python = run(policy, path, "python", tmp_path / "python.parquet", **options)
    duck = run(policy, path, "duckdb", tmp_path / "duckdb.parquet", **options)
    assert duck[0].equals(python[0])
    assert duck[1:3] == python[1:3]
    return duck[3]


def write_csv(records, fields, path: Path, delimiter=",", ending="\n", opener=open) -> None:
    with opener(path, "wt", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator=ending)
        writer.writerow(fields)
        for record in records:
            writer.writerow([csv_cell(record.get(name)) for name in fields])


def _csv_written(cell: str) -> str:
    """A cell as the csv writer writes it."""
    text = io.StringIO()
    csv.writer(text, lineterminator="").writerow([cell])
    return text.getvalue()


def _fields(policy, records) -> list:
    return [name for name in policy.program.input_type.fields if any(name in r for r in records)]


# ---- taken: files DuckDB reads as Python does, every record one SQL takes ---------------------

def test_json_lines_plain_and_gzipped_go_in_one_statement(policy, tmp_path):
    assert same_as_python(policy, SAMPLE, tmp_path)
    windows = tmp_path / "crlf.jsonl"
    windows.write_bytes(b"\xef\xbb\xbf" + SAMPLE.read_bytes().replace(b"\n", b"\r\n"))
    assert same_as_python(policy, windows, tmp_path)
    zipped = tmp_path / "cases.jsonl.gz"
    zipped.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    assert same_as_python(policy, zipped, tmp_path)


@pytest.fixture(params=["no proof", "kept", "read twice"])
def csv_reading(request, monkeypatch):
    """A CSV file DuckDB reads as Python does with no proof but its rows (no blank that
    might stand beside a quote DuckDB reads as a cell's own), or with the proof, DuckDB's
    reading kept for it and the decisions (a file small enough) or read a second time
    for it (any larger file)."""
    from rulelang.batch import direct

    if request.param == "read twice":
        monkeypatch.setattr(direct, "_KEEP", 0)
    return request.param


@pytest.mark.parametrize("delimiter, ending, zipped", [(",", "\n", False), (",", "\r\n", False),
                                                       ("\t", "\n", False), (",", "\n", True)])
def test_csv_and_tsv_go_in_one_statement(policy, records, tmp_path, csv_reading, delimiter, ending, zipped):
    from rulelang.batch import direct

    path = tmp_path / ("cases." + ("tsv" if delimiter == "\t" else "csv") + (".gz" if zipped else ""))
    if csv_reading != "no proof":   # (`"x, """""`: a blank, then an escaped quote that ends the cell)
        records = [{**records[0], "id": records[0]["id"] + ', ""'}] + records[1:]
    write_csv(records, _fields(policy, records), path, delimiter, ending, gzip.open if zipped else open)
    scan = direct._scan(str(path), zipped, (), header=True, delimiter=delimiter)
    assert bool(scan.loose_quotes) == (csv_reading != "no proof")
    assert same_as_python(policy, path, tmp_path)
    assert same_as_python(policy, path, tmp_path, outcomes=frozenset({"applies"}))   # (no row per record: a proof)


def test_parquet_goes_in_one_statement_with_the_filters(policy, records, tmp_path):
    import datetime as _dt

    path = tmp_path / "cases.parquet"
    _parquet_of(policy, records, path)
    assert same_as_python(policy, path, tmp_path)
    assert same_as_python(policy, path, tmp_path, outcomes=frozenset({"applies", "undetermined"}),
                          agreements=("stca_us", "mpp"), as_of=_dt.date(2020, 1, 15))


def _parquet_of(policy, records, path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rulelang.backends.sql.duckdb import arrow_type, to_arrow_value

    record_type = policy.program.input_type
    values = [validate_dict(r, record_type).value for r in records]
    fields = _fields(policy, records)
    pq.write_table(pa.table({name: pa.array([to_arrow_value(v[name], record_type.fields[name]) for v in values],
                                            arrow_type(record_type.fields[name])) for name in fields}), path)


# ---- not taken, or given up: the careful run writes the same ------------------------------------

def test_a_bad_record_far_into_the_file_sends_the_run_the_careful_way(policy, records, tmp_path):
    lines = [json.dumps(r) for r in records] * 3 + ['{"id": "late", "age": "seven"}']
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not same_as_python(policy, path, tmp_path)
    lines[-1] = "\xff"
    path.write_bytes("\n".join(lines[:-1]).encode() + b"\n\xff\xfe\n")   # not UTF-8: DuckDB stops
    assert not same_as_python(policy, path, tmp_path)


def _id_and_rest(row: str) -> tuple[str, str]:
    cut = row.index(",")
    return row[:cut], row[cut:]


def _with_id(text: str):
    return lambda row: text.format(id=_id_and_rest(row)[0]) + _id_and_rest(row)[1]


def _every_cell(text: str):
    return lambda row: ",".join([text] * (row.count(",") + 1))


# (a row of the sample written otherwise, why DuckDB's reader might read it otherwise)
ROWS_READ_OTHERWISE = [
    (_with_id(' "{id}"'), "a blank before an opening quote"),
    (_with_id('"{id}" '), "a blank after a closing quote"),
    (_with_id('"{id} "'), "a quoted cell ending with a blank"),
    (lambda row: row + "\n", "a blank line"),
    (_with_id('"{id}\nb"'), "a line break in a cell"),
    (_every_cell(""), "a row of empty cells"),
    (_every_cell(" "), "a row of blank cells"),
    (_every_cell("\u3000"), "a row of wide blanks"),
    (_with_id("{id}\x01"), "a control character"),
    (_with_id("x" * 140_000), "a cell over the csv module's limit"),
    (lambda row: row + ",", "an empty cell more than the header's"),     # (DuckDB drops it)
    (lambda row: row + ',""', "an empty quoted cell more than the header's"),
    (lambda row: row[:row.rindex(",")], "a cell fewer than the header's"),
]


@pytest.mark.parametrize("change, why", ROWS_READ_OTHERWISE, ids=[why for _, why in ROWS_READ_OTHERWISE])
def test_a_csv_file_duckdb_might_read_otherwise_goes_the_careful_way(policy, records, tmp_path, csv_reading,
                                                                     change, why):
    path = tmp_path / "cases.csv"
    write_csv(records, _fields(policy, records), path)
    lines = path.read_text(encoding="utf-8").split("\n")
    place = len(lines) // 2
    lines[place] = change(lines[place])
    path.write_text("\n".join(lines), encoding="utf-8")
    assert not same_as_python(policy, path, tmp_path), why


# (a cell of a field SQL takes only without a quote, or only short, written otherwise: the
# proof counts neither pairs nor lengths in such cells, the checks refuse them)
CELLS_READ_OTHERWISE = [("claim_country", ' "{}"'), ("claim_country", '"{}" '), ("claim_date", ' "{}"'),
                        ("entry_type", '"{}"  '), ("age", ' "{}"'), ("has_spouse", '"{}" '),
                        ("age", " " * 140_000 + "{}"), ("has_spouse", "{}" + " " * 140_000)]


@pytest.mark.parametrize("field, form", CELLS_READ_OTHERWISE, ids=[f"{f}:{t[:8]}" for f, t in CELLS_READ_OTHERWISE])
def test_a_plain_cell_duckdb_might_read_otherwise_goes_the_careful_way(policy, records, tmp_path, field, form):
    path = tmp_path / "cases.csv"
    fields = _fields(policy, records)
    write_csv(records, fields, path)
    lines = path.read_text(encoding="utf-8").split("\n")
    column = fields.index(field)
    place = next(i for i in range(len(lines) // 2, len(lines)) if next(csv.reader([lines[i]]))[column])
    cells = [_csv_written(cell) for cell in next(csv.reader([lines[place]]))]
    cells[column] = form.format(next(csv.reader([lines[place]]))[column])
    lines[place] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    assert not same_as_python(policy, path, tmp_path), field


@settings(max_examples=6 * SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_blanks_and_quotes_anywhere_in_a_csv_file(policy, records, tmp_path_factory, data):
    """Blanks beside quotes, quoted cells and odd rows put anywhere: whatever the run
    decides to do, it writes what Python writes."""
    fields = _fields(policy, records)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n", quoting=data.draw(st.sampled_from(
        [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])))
    writer.writerow(fields)
    for record in records[:30]:
        writer.writerow([csv_cell(record.get(name)) for name in fields])
    lines = text.getvalue().split("\n")
    for _ in range(data.draw(st.integers(0, 3))):
        place = data.draw(st.integers(1, len(lines) - 2))
        line = lines[place]
        at = data.draw(st.integers(0, len(line)))
        lines[place] = line[:at] + data.draw(st.sampled_from([" ", "\t", '"', ' "', '" ', "\n", ""])) + line[at:]
    path = tmp_path_factory.mktemp("csv") / "cases.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    same_as_python(policy, path, path.parent)


NOTES = """
record Note {
  id: text?
  remark: text?
}

input note: Note

agreement noted "an agreement of optional facts only, for the test" {
  parties USA, CAN
  returns_to CAN cite "none"
  cite "none"
  timeline {
    2000-01-01 in_force cite "none"
  }
  applies when {
    note.remark == "x" cite "none"
  }
}
"""


@pytest.mark.parametrize("blank", [",", " , ", "\u3000,\t"])
def test_a_row_python_skips_as_blank_is_not_decided(tmp_path, csv_reading, blank):
    """With every field optional, a row of blank cells would be a record to DuckDB; the
    Python reader skips it."""
    import datetime as _dt

    rules = tmp_path / "notes.rules"
    rules.write_text(NOTES, encoding="utf-8")
    policy = rulelang.load(str(rules))
    path = tmp_path / "notes.csv"
    path.write_text(f"id,remark\na,x\n{blank}\nb,y\n", encoding="utf-8")
    assert not same_as_python(policy, path, tmp_path, as_of=_dt.date(2024, 1, 1))
    path.write_text("id,remark\na,x\nb,y\n", encoding="utf-8")
    assert same_as_python(policy, path, tmp_path, as_of=_dt.date(2024, 1, 1))


def test_the_blanks_python_strips_are_all_known():
    from rulelang.batch.direct import PY_BLANKS

    assert PY_BLANKS == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def test_duckdb_draws_no_progress_bar_of_its_own(policy):
    """DuckDB draws one on stdout, where decisions may be going, for a query of a few
    seconds; its progress is read for rulelang's bar instead."""
    connection = policy.columnar.connection
    assert connection.execute("SELECT current_setting('enable_progress_bar_print')").fetchone()[0] is False
    assert connection.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is True


@settings(max_examples=40, deadline=None, database=None)
@given(body=st.lists(st.sampled_from([b'"', b" ", b"\t", b"\r", b"\n", b"a", b",", b"\x01"]), max_size=60),
       block=st.integers(11, 17))    # (the header line, 10 bytes, is read in the first block)
def test_the_count_of_a_file_s_bytes_does_not_depend_on_its_blocks(tmp_path_factory, body, block):
    from rulelang.batch import direct

    path = tmp_path_factory.mktemp("scan") / "cases.csv"
    data = b"".join(body)
    path.write_bytes(b"id,remark\n" + data)
    needles = (b' "', b'" ', b'\t"', b'"\t', b"\n", b"\r", b"\r\n")
    whole = direct._scan(str(path), False, needles, header=True, delimiter=",")
    original = direct._SCAN
    direct._SCAN = block
    try:
        pieces = direct._scan(str(path), False, needles, header=True, delimiter=",")
    finally:
        direct._SCAN = original
    assert pieces.counts == whole.counts == {n: data.count(n) for n in needles}
    assert pieces.control == whole.control == (b"\x01" in data)
    assert pieces.ends_with_newline == whole.ends_with_newline
    assert pieces.loose_quotes == whole.loose_quotes == _loose_places(data, ",")


def _loose_places(data: bytes, delimiter: str) -> int:
    """The places of the patterns of direct._loose in `data`, counted one by one (the
    start and the end of the file count as line ends)."""
    from rulelang.batch import direct

    padded = b"\n" * 3 + data + b"\n" * 3

    def takes(cls, byte: int) -> bool:
        return byte not in cls[0] if isinstance(cls, tuple) else byte in cls

    return sum(all(takes(cls, padded[at + k]) for k, cls in enumerate(pattern))
               for pattern in direct._loose(delimiter) for at in range(len(padded) - len(pattern) + 1))


_PIECES = ['"', '""', " ", "\t", ",", "a", "\n", "\r\n", ' "', '" ', '""""']
_PLAIN = st.text(st.sampled_from("aa \t"), max_size=3)
_QUOTED = st.text(st.sampled_from('aaa \t,,""\n'), max_size=5).map(lambda text: '"' + text.replace('"', '""') + '"')


@st.composite
def _delimited_body(draw) -> str:
    """Rows of three cells, plain or quoted (blanks, delimiters, quotes and line ends
    inside), then a few pieces put anywhere."""
    rows = draw(st.lists(st.lists(st.one_of(_PLAIN, _QUOTED), min_size=3, max_size=3), max_size=4))
    body = "".join(",".join(row) + "\n" for row in rows)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from(_PIECES)) + body[at:]
    return body


@settings(max_examples=300 * SCALE, deadline=None, database=None)
@given(body=_delimited_body(), tsv=st.booleans())
def test_a_file_with_no_loose_quote_is_read_by_duckdb_as_by_python(tmp_path_factory, body, tsv):
    """Where the bytes of a file hold no blank that might stand beside a quote DuckDB
    reads as a cell's own (direct._loose), the one-statement run has no proof but the
    rows: DuckDB reads the file as the Python reader does, or stops, or reads a row the
    statement stops at (a ragged or blank row, direct._doubtful), or a number of rows
    that is not the number of lines."""
    import duckdb

    from rulelang.batch import direct
    from rulelang.records.read import delimited_rows

    delimiter = "\t" if tsv else ","
    data = body.replace(",", delimiter).encode()
    path = tmp_path_factory.mktemp("loose") / "cells.csv"
    path.write_bytes(f"x{delimiter}y{delimiter}z\n".encode() + data)
    scan = direct._scan(str(path), False, (b"\n",), header=True, delimiter=delimiter)
    if scan.loose_quotes:
        return      # (the run proves the file by counting pairs: test_blanks_and_quotes_anywhere_in_a_csv_file)
    try:
        duck = duckdb.sql(f"SELECT * FROM {direct.csv_reader(str(path), False, delimiter, 3)}").fetchall()
    except duckdb.Error:
        return      # the statement stops: the run goes the careful way
    lines = scan.counts[b"\n"] + (0 if scan.ends_with_newline else 1)
    if len(duck) != lines or any(row[2] is None or row[3] is not None or all(not cell.strip() for cell in row[:3])
                                 for row in duck):
        return      # the run goes the careful way (the row count after; a ragged or blank row at once)
    duck = [row[:3] for row in duck]
    rows = delimited_rows(io.BytesIO(path.read_bytes()), delimiter, "cells.csv", None, [])
    next(rows)
    python = [item for numbers, items, errors in rows for item in items]
    assert [tuple(row) if isinstance(row, list) else row for row in python] == duck


def test_an_input_with_no_as_of_field_is_compiled(tmp_path):
    """(Found here: the compiled decide read the record's as-of field even when there is none.)"""
    import datetime as _dt
    import warnings

    rules = tmp_path / "notes.rules"
    rules.write_text(NOTES, encoding="utf-8")
    policy = rulelang.load(str(rules))
    day = _dt.date(2024, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # "could not compile these rules" is a warning
        fast = list(policy.evaluate_many([{"id": "a", "remark": "x"}, {"id": "b"}], as_of=day))
    slow = [policy.evaluate(r, as_of=day, trace=True) for r in ({"id": "a", "remark": "x"}, {"id": "b"})]
    assert [[d.outcome for d in ds] for ds in fast] == [[d.outcome for d in ds] for ds in slow] == \
        [["applies"], ["undetermined"]]
