"""A run from file to file on DuckDB (rulelang/batch/columnar.py) writes what the
Python engine writes: the same JSON Lines and CSV bytes, the same Parquet table,
the same counts and warnings, with bad records in place — over generated records,
broken lines, and batches small enough that records straddle them."""

from __future__ import annotations

import io
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from record_strategies import record_of
from test_diagnostics_golden import _SCHEMA, DIVIDES_BY_ZERO

import rulelang
from rulelang import batch
from rulelang.batch import columnar
from rulelang.records import open_records, read
from rulelang.records.write import CsvWriter, JsonWriter, ParquetWriter
from rulelang.views import summary
from rulelang.views.summary import Tally

SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 1


@pytest.fixture(scope="module")
def policy():
    return rulelang.load("stdlib:all")


@pytest.fixture
def small_batches(monkeypatch):
    """Blocks of a few lines and result batches of a few rows: records cross them."""
    monkeypatch.setattr(columnar, "_BLOCK", 700)
    monkeypatch.setattr(columnar, "_ROWS", 23)
    monkeypatch.setattr(columnar, "_RECORDS_PER_QUERY", 40)
    monkeypatch.setattr(read, "ROWS_AT_A_TIME", 9)


@pytest.fixture
def decided_in_sql(monkeypatch):
    """A list that each columnar run appends its count of records SQL decided to."""
    counts, run_columnar = [], columnar.ColumnarRun.run

    def counted(self, stats, events):
        run_columnar(self, stats, events)
        counts.append(self.reader.records - self.in_python)

    monkeypatch.setattr(columnar.ColumnarRun, "run", counted)
    return counts


def run(policy, path, fmt: str, engine: str, out_dir, **options):
    """(output, counts) of one run; asserts the columnar engine really ran from file to file."""
    record_type = policy.program.input_type
    source = open_records(str(path), None, record_type)
    options = batch.Options(engine=engine, batch_size=17, **options)
    target = out_dir / f"{engine}.{fmt}"
    stream = None if fmt == "parquet" else io.StringIO()
    sink = {"jsonl": lambda: JsonWriter(stream, "jsonl"), "csv": lambda: CsvWriter(stream),
            "parquet": lambda: ParquetWriter(target), "summary": lambda: Tally()}[fmt]()
    planned = columnar.plan(policy, source, sink, options)
    assert (planned is not None) == (engine == "duckdb"), "the columnar run was not taken"
    with source:
        stats = batch.run(policy, source, sink, options)
    counts = (stats.records, stats.invalid,
              {m: (w.count, w.first_case, w.first_position) for m, w in stats.warnings.items()})
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(target), counts
    if fmt == "summary":   # every count, and the facts and exceptions the report shows
        return (summary.to_json(sink), sink.missing, sink.exceptions, sink.unproven), counts
    return stream.getvalue(), counts


def same_runs(policy, path, tmp_path, fmts=("jsonl", "csv", "parquet"), **options):
    for fmt in fmts:
        python, duck = (run(policy, path, fmt, engine, tmp_path, **options) for engine in ("python", "duckdb"))
        if fmt == "parquet":
            assert duck[0].equals(python[0]), fmt
            assert duck[1] == python[1]
        else:
            assert duck == python, fmt
    return python[1]


BROKEN_LINES = [b"", b"   ", b"\t", "\u3000".encode(), b"{bad", b"[1, 2]", b'{"id": 7}', b"\xff\xfe not UTF-8",
                b'{"id": "d", "id": "e"}', b'{"id": "n", "age": NaN}', b'{"id": "s", "note": "\\ud800"}',
                b'{"id": "ctl\\u001f", "claim_date": "2024-01-02", "claim_country": "USA",'
                b' "nationalities": ["HND"], "entry_type": "between_ports"}']
MUTATIONS = [None, None, None, ("age", "7"), ("age", 10**19), ("claim_date", "2023-02-29"),
             ("claim_country", "XXX"), ("entry_type", "port"), ("extra_field", 1), ("age", 3.0),
             ("claim_date", None), ("nationalities", ["HND", "HND"]), ("relatives", [{"relation": "x"}]),
             ("nationalities", ["\ud800"])]


@settings(max_examples=3 * SCALE, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_json_lines_from_file_to_file_as_python_writes_them(policy, small_batches, tmp_path_factory, data):
    records = data.draw(st.lists(record_of(policy.program.input_type), min_size=25, max_size=25))
    lines = []
    for record in records:
        change = data.draw(st.sampled_from(MUTATIONS))
        if change is not None:
            record = {**record, change[0]: change[1]}
        lines.append(json.dumps(record).encode())
    for broken in BROKEN_LINES:                       # each in a place of its own
        lines.insert(data.draw(st.integers(0, len(lines))), broken)
    ending = data.draw(st.sampled_from([b"\n", b"\r\n"]))
    bom = data.draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    path = tmp_path_factory.mktemp("jsonl") / "cases.jsonl"
    path.write_bytes(bom + ending.join(lines) + data.draw(st.sampled_from([b"", ending])))
    records_seen, invalid, _ = same_runs(policy, path, path.parent, fmts=("jsonl", "parquet"))
    assert records_seen >= 25 + 8 and invalid >= 7    # the broken lines that are not blank


def test_filters_and_the_as_of_date_are_applied_alike(policy, small_batches, tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "cases"
    path = tmp_path / "cases.jsonl"
    path.write_bytes((root / "sample.jsonl").read_bytes() + (root / "invalid.jsonl").read_bytes())
    same_runs(policy, path, tmp_path, fmts=("jsonl", "parquet", "summary"),
              outcomes=frozenset({"applies", "undetermined"}), agreements=("stca_us", "mpp", "dublin_iii"))
    same_runs(policy, path, tmp_path, fmts=("csv",), hide_not_in_force=True, assume="in_force")
    import datetime as _dt

    same_runs(policy, path, tmp_path, fmts=("jsonl",), as_of=_dt.date(2020, 1, 15))


# rows as people and tools write them that the reader refuses, skips or reads its own way
BROKEN_ROWS = ["", ",,,,,", " , ,\t", "\u3000,\u00a0", "only one cell", '"bad"quote,x', 'a,"b""c",d',
               "\udcff not UTF-8", ",".join(["too many"] * 40)]


def _cell(value, choose):
    """A value as a CSV cell, the ways a spreadsheet or a script writes it (`choose`
    picks one of a list of ways)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return choose(["true", "false"] if value else ["false", "FALSE", " false "])
    if isinstance(value, int):
        return choose([str(value), f" {value} ", f"{value}.0"])
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


@settings(max_examples=3 * SCALE, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_csv_from_file_to_file_as_python_writes_it(policy, small_batches, decided_in_sql, tmp_path_factory,
                                                   data):
    """Cells are read by SQL as the Python reader reads them (true/false and numbers with
    blanks around them, lists and records as JSON, empty is absent); rows the reader
    skips or refuses are skipped and refused in their place."""
    import csv

    record_type = policy.program.input_type
    records = data.draw(st.lists(record_of(record_type), min_size=25, max_size=25))
    tsv = data.draw(st.booleans())
    header = list(record_type.fields) + ["not_a_field"]
    header = data.draw(st.permutations(header))
    text = io.StringIO()
    writer = csv.writer(text, delimiter="\t" if tsv else ",", lineterminator=data.draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    rows = []
    for record in records:
        change = data.draw(st.sampled_from(MUTATIONS))
        if change is not None:
            record = {**record, change[0]: change[1]}
        rows.append([_cell(record.get(column), lambda ways: data.draw(st.sampled_from(ways))) for column in header])
    for broken in BROKEN_ROWS:
        rows.insert(data.draw(st.integers(0, len(rows))), broken)
    for row in rows:
        if isinstance(row, str):
            text.write(row.replace(",", "\t") if tsv else row)
            text.write("\n")
        else:
            writer.writerow(row)
    path = tmp_path_factory.mktemp("csv") / ("cases.tsv" if tsv else "cases.csv")
    path.write_bytes(text.getvalue().encode("utf-8", "surrogateescape"))
    decided_in_sql.clear()
    records_seen, invalid, _ = same_runs(policy, path, path.parent, fmts=("jsonl", "parquet"))
    assert records_seen >= 25 + 4 and invalid >= 4     # the broken rows that are not blank
    assert all(decided_in_sql) if records_seen - invalid > 3 else True


def _parquet_of(policy, records, path, drop=(), extra=False):
    """Records written as typed Parquet columns (as an analyst's tool writes them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rulelang.backends.sql.duckdb import arrow_type

    fields = {n: t for n, t in policy.program.input_type.fields.items() if n not in drop}
    columns = {name: pa.array([r.get(name) for r in records], arrow_type(t)) for name, t in fields.items()}
    if extra:
        columns["not_a_field"] = pa.array(range(len(records)), pa.int32())
    pq.write_table(pa.table(columns), path)


@settings(max_examples=2 * SCALE, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_parquet_from_file_to_file_as_python_writes_it(policy, small_batches, tmp_path_factory, data):
    import datetime as _dt

    from rulelang.records import validate_dict

    record_type = policy.program.input_type
    records = []
    for record in data.draw(st.lists(record_of(record_type), min_size=30, max_size=30)):
        value = validate_dict(record, record_type)
        assert hasattr(value, "value"), value
        typed = {n: (None if type(v).__name__ == "Unknown" else
                     sorted(v) if isinstance(v, frozenset) else v) for n, v in value.value.items()}
        typed = {n: ([_plain(i) for i in v] if isinstance(v, (list, tuple)) else v) for n, v in typed.items()}
        change = data.draw(st.sampled_from([None, None, ("entry_type", "port"), ("claim_country", "XXX"),
                                            ("claim_date", None), ("age", 10**18 + 1),
                                            ("claim_date", _dt.date(1, 1, 1)), ("id", "ctl\x1f")]))
        if change is not None:
            typed[change[0]] = change[1]
        records.append(typed)
    path = tmp_path_factory.mktemp("parquet") / "cases.parquet"
    _parquet_of(policy, records, path, drop=("eu_stay_from",), extra=True)
    records_seen, _, _ = same_runs(policy, path, path.parent, fmts=("jsonl", "csv", "parquet", "summary"))
    assert records_seen == 30


def _plain(item):
    if isinstance(item, dict):
        return {k: (None if type(v).__name__ == "Unknown" else v) for k, v in item.items()}
    return item


def test_a_parquet_column_of_text_for_a_list_is_left_to_the_python_reader(policy, tmp_path):
    """Cells to convert (a CSV exported to Parquet): not taken by SQL; the run still works."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "cases.parquet"
    pq.write_table(pa.table({"id": ["a"], "claim_date": ["2024-01-02"], "claim_country": ["USA"],
                             "nationalities": ['["HND"]'], "entry_type": ["between_ports"]}), path)
    source = open_records(str(path), None, policy.program.input_type)
    sink = JsonWriter(io.StringIO(), "jsonl")
    assert columnar.plan(policy, source, sink, batch.Options(engine="duckdb")) is None


def test_a_parquet_date_past_9999_in_a_list_of_records_is_the_same_error_either_way(small_batches, tmp_path):
    """A date past year 9999 (Parquet holds them; Python does not), inside a list of
    records or at the top: the row goes to the Python reader, which makes it an error of
    its record naming the field, as the Python engine does."""
    import datetime as _dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    policy = rulelang.load("tests/fixtures/far_dates.rules")
    far = (_dt.date(9999, 12, 31) - _dt.date(1970, 1, 1)).days + 1
    count = 40
    since = [19000 + n if n % 7 != 3 else far for n in range(count)]
    seen = [19000 if n % 11 != 5 else far for n in range(count)]

    def dates(days):
        return pa.array(days, pa.int32()).cast(pa.date32())

    relatives = pa.ListArray.from_arrays(pa.array(range(count + 1), pa.int32()), pa.StructArray.from_arrays(
        [pa.array(["r"] * count), dates(since)], names=["name", "since"]))
    path = tmp_path / "far.parquet"
    pq.write_table(pa.table({"id": [f"c{n}" for n in range(count)], "claim_date": dates([19800] * count),
                             "seen": dates(seen), "relatives": relatives}), path)
    records_seen, invalid, _ = same_runs(policy, path, tmp_path)
    assert (records_seen, invalid) == (count, len({n for n in range(count) if n % 7 == 3 or n % 11 == 5}))
    output, _ = run(policy, path, "jsonl", "python", tmp_path)
    errors = [json.loads(line)["error"] for line in output.splitlines() if '"error"' in line]
    assert {e["field"] for e in errors} == {"relatives[0].since", "seen"}
    assert all(e["message"] == 'expected a date as YYYY-MM-DD, got "10000-01-01"' for e in errors)


def test_a_gzip_stream_that_breaks_off_ends_the_same_way(policy, small_batches, tmp_path):
    """The records before the break, then one error "after line N", as the Python reader."""
    import gzip
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "cases"
    text = (root / "sample.jsonl").read_bytes() * 20
    whole = gzip.compress(text)
    path = tmp_path / "cases.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    records, invalid, _ = same_runs(policy, path, tmp_path, fmts=("jsonl",))
    assert invalid == 1 and 73 < records < len(text.splitlines())


def test_a_gzipped_csv_that_breaks_off_ends_the_same_way(policy, small_batches, tmp_path):
    """The rows before the break, then one error "after row N", as the Python reader."""
    import csv
    import gzip
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "cases"
    records = [json.loads(line) for line in (root / "sample.jsonl").read_text().splitlines() if line.strip()]
    header = list(policy.program.input_type.fields)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for record in records * 20:
        writer.writerow([_cell(record.get(name), lambda ways: ways[0]) for name in header])
    whole = gzip.compress(text.getvalue().encode())
    path = tmp_path / "cases.csv.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    seen, invalid, _ = same_runs(policy, path, tmp_path, fmts=("jsonl",))
    assert invalid == 1 and 73 < seen < len(records) * 20



def test_the_input_is_let_go_once_decided(policy, small_batches, monkeypatch, tmp_path):
    """Memory holds the batches of the query under way, not the file: every block of
    input read is given up once its decisions are written (they were kept to the end
    when no record of a batch needed Python: 5 GB over 10M records)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "cases"
    path = tmp_path / "cases.jsonl"
    path.write_bytes((root / "sample.jsonl").read_bytes() * 8)
    held, deliver = [], columnar.ColumnarRun._deliver

    def counted(self, rows, stats, events):
        deliver(self, rows, stats, events)
        held.append(len(self.reader.kept))

    monkeypatch.setattr(columnar.ColumnarRun, "_deliver", counted)
    records, _, _ = same_runs(policy, path, tmp_path, fmts=("jsonl",))
    blocks_per_query = columnar._RECORDS_PER_QUERY     # a block holds one line or more
    assert records > 8 * blocks_per_query and max(held) <= blocks_per_query + 2, max(held)


def test_parquet_is_written_in_whole_row_groups(policy, small_batches, tmp_path):
    """Rows from SQL and from Python (the bad records) are gathered into row groups of
    the writer's size, not written as they come (a row group at each bad record, each
    held in the writer's metadata until it closes)."""
    import pyarrow.parquet as pq
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "cases"
    path = tmp_path / "cases.jsonl"
    path.write_bytes(((root / "sample.jsonl").read_bytes() + (root / "invalid.jsonl").read_bytes()) * 3)
    table, (records, invalid, _) = run(policy, path, "parquet", "duckdb", tmp_path)
    assert invalid >= 9 and table.num_rows > 2000
    assert pq.ParquetFile(tmp_path / "duckdb.parquet").num_row_groups == 1


@pytest.mark.parametrize("way", ["run-python", "run-duckdb", "table-python", "table-duckdb"])
@pytest.mark.parametrize("errors", ["invalid records", "evaluation errors"])
def test_a_records_error_keeps_no_frames_alive(way, errors, tmp_path, frames_in_cycles):
    """A record's error kept as a value (the validator's list of a record's mistakes, a
    batch's results) must not keep its traceback: through it, the frames of the run
    that caught it, and their locals (a batch of rows), are held in a cycle that only
    Python's cycle collector frees (conftest.frames_in_cycles). Over a file (`run`) and
    over a table in memory (`Policy.evaluate_table`), on either engine."""
    from pathlib import Path

    if errors == "invalid records":
        policy = rulelang.load("stdlib:all")
        root = Path(__file__).resolve().parent.parent / "examples" / "cases"
        lines = (root / "sample.jsonl").read_bytes() + (root / "invalid.jsonl").read_bytes()
    else:
        policy = rulelang.load(_SCHEMA + DIVIDES_BY_ZERO)
        lines = b"".join(json.dumps({"id": f"c-{n}", "claim_date": "2024-05-01", "entry_date": "2024-04-20",
                                     "entry": "port_of_entry", "family_size": n % 3}).encode() + b"\n"
                         for n in range(30))
    path = tmp_path / "cases.jsonl"
    path.write_bytes(lines)
    kind, engine = way.split("-")
    if kind == "run":
        (table, _), frames = frames_in_cycles(lambda: run(policy, path, "parquet", engine, tmp_path))
        codes = table.column("error_code").drop_null().to_pylist()
    else:
        records = [json.loads(line) for line in lines.splitlines() if line.strip()]
        table, frames = frames_in_cycles(lambda: policy.evaluate_table(records, engine=engine))
        codes = [error["code"] for error in table.column("error").drop_null().to_pylist()]
    assert set(codes) == ({"RL0701"} if errors == "invalid records" else {"RL0602"}), codes
    assert len(codes) >= (5 if errors == "invalid records" else 10), codes
    assert not frames, frames
