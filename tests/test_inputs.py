"""Input files as analysts have them (issue 12): Parquet, gzip, TSV, CSV with a
wrong header, empty files, JSON Lines under another name, stdin; and records
with several mistakes. Each test is one friction point of the issue.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rulelang.cli import cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402

POLICY = "stdlib:stca_us"
SAMPLE = ROOT / "examples" / "cases" / "sample.jsonl"


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same 300 synthetic records as JSON Lines, CSV and Parquet (plus gzip and TSV)."""
    folder = tmp_path_factory.mktemp("inputs")
    paths = synthetic.write_all(300, folder, seed=3)
    with paths["jsonl"].open("rb") as src, gzip.open(folder / "cases.jsonl.gz", "wb") as out:
        out.write(src.read())
    with paths["csv"].open("rb") as src, gzip.open(folder / "cases.csv.gz", "wb") as out:
        out.write(src.read())
    tsv = paths["csv"].read_text(encoding="utf-8")
    import csv
    import io

    table = list(csv.reader(io.StringIO(tsv)))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\n").writerows(table)
    (folder / "cases.tsv").write_text(buffer.getvalue(), encoding="utf-8")
    return folder


def test_every_kind_of_file_gives_the_same_decisions(files):
    """Parquet, .jsonl.gz, .csv, .csv.gz and .tsv were read as JSONL: one "not UTF-8"
    error a line. Now each is read as what it is, and gives the JSONL's decisions."""
    expected = invoke("run", POLICY, str(files / "cases.jsonl"), "--format", "jsonl")
    assert expected.exit_code == 1                  # the synthetic data has a few invalid records
    want = [(r["case"], r.get("outcome"), "error" in r) for r in rows(expected.stdout)]
    assert len(want) == 300
    for name in ("cases.parquet", "cases.jsonl.gz", "cases.csv", "cases.csv.gz", "cases.tsv"):
        result = invoke("run", POLICY, str(files / name), "--format", "jsonl")
        got = [(r["case"], r.get("outcome"), "error" in r) for r in rows(result.stdout)]
        assert got == want, name
        assert "not UTF-8" not in result.stderr, name


def test_input_format_parquet_is_accepted(files, tmp_path):
    renamed = tmp_path / "export.dat"
    renamed.write_bytes((files / "cases.parquet").read_bytes())
    result = invoke("run", POLICY, str(renamed), "--input-format", "parquet", "--format", "jsonl")
    assert len(rows(result.stdout)) == 300
    # and without the option, the content says it is Parquet
    result = invoke("run", POLICY, str(renamed), "--format", "jsonl")
    assert len(rows(result.stdout)) == 300


def test_a_file_of_no_known_kind_is_one_clear_error(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("these are my notes\nnot records\n", encoding="utf-8")
    result = invoke("run", POLICY, str(junk))
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    for kind in ("JSON Lines", "CSV", "TSV", "Parquet"):
        assert kind in line
    sheet = tmp_path / "cases.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    result = invoke("run", POLICY, str(sheet))
    assert result.exit_code == 2 and "save the sheet as CSV" in result.stderr


def _csv(path: Path, header: list[str], *lines: list[str]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(lines)
    return path


def test_a_csv_without_a_required_column_is_one_error_and_exit_2(tmp_path):
    cases = _csv(tmp_path / "cases.csv", ["id", "nationalities", "claim_country", "claimdate"],
                 *[[f"c{i}", '["HND"]', "USA", "2024-05-01"] for i in range(1000)])
    result = invoke("run", POLICY, str(cases), "--format", "jsonl")
    assert result.exit_code == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1
    assert "claim_date" in errors[0] and "did you mean `claimdate`" in errors[0].replace(
        "(did you mean", "did you mean")


def test_an_extra_csv_column_is_one_warning_not_one_a_row(tmp_path):
    cases = _csv(tmp_path / "cases.csv", ["id", "nationalities", "claim_country", "claim_date", "region"],
                 *[[f"c{i}", '["HND"]', "USA", "2024-05-01", "north"] for i in range(500)])
    result = invoke("run", POLICY, str(cases), "--format", "jsonl")
    assert result.exit_code == 0
    assert len(rows(result.stdout)) == 500
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1 and "`region`" in warnings[0]


def test_repeated_warnings_are_collapsed_with_a_count(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps({"id": f"c{i}", "nationalities": [], "claim_country": "USA",
                                         "claim_date": "2024-05-01", "arived_from": "CAN"}) + "\n"
                             for i in range(200)), encoding="utf-8")
    result = invoke("run", POLICY, str(cases), "--format", "jsonl")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1
    assert "arived_from" in warnings[0] and "200 records" in warnings[0] and "c0" in warnings[0]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "summary", "table"])
def test_an_empty_input_says_0_records(tmp_path, fmt):
    empty = tmp_path / "cases.jsonl"
    empty.write_bytes(b"")
    result = invoke("run", POLICY, str(empty), "--format", fmt)
    assert result.exit_code == 0
    assert "0 records" in result.stdout + result.stderr


def test_csv_list_cells_errors_show_the_expected_form(tmp_path):
    cases = _csv(tmp_path / "cases.csv", ["id", "nationalities", "claim_country", "claim_date"],
                 ["c1", "HND", "USA", "2024-05-01"], ["c2", "HND;GTM", "USA", "2024-05-01"])
    result = invoke("run", POLICY, str(cases), "--format", "jsonl")
    errors = {r["case"]: r["error"]["message"] for r in rows(result.stdout)}
    assert '["HND"]' in errors["c1"] and "JSON" in errors["c1"]
    assert '["HND", "GTM"]' in errors["c2"]


def test_the_csv_conventions_are_documented_with_an_example_that_reads():
    """docs/case-record.md shows one record as JSON and as CSV; both read as valid."""
    import re

    import rulelang
    from rulelang.records import open_records, validate

    page = (ROOT / "docs" / "case-record.md").read_text(encoding="utf-8")
    assert "lists and records are json text" in page.lower().replace("**", "")
    assert "empty cell" in page.lower() and "`true` or `false`" in page
    csv_block = re.search(r"```csv\n(.*?)```", page, re.S).group(1)
    json_block = re.search(r"```json\n(.*?)```", page, re.S).group(1)
    record_type = rulelang.load("stdlib:all").program.input_type
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "example.csv"
        path.write_text(csv_block, encoding="utf-8")
        with open_records(str(path), None, record_type) as source:
            [raw] = list(source)
    from_csv = validate(raw, record_type)
    assert hasattr(from_csv, "value"), from_csv
    from_json = rulelang.records.validate_dict(json.loads(json_block), record_type)
    assert from_json.value == from_csv.value


def test_json_lines_saved_as_json_are_read_with_a_note(tmp_path):
    cases = tmp_path / "cases.json"
    cases.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("run", POLICY, str(cases), "--format", "jsonl")
    assert result.exit_code == 0
    assert len(rows(result.stdout)) == len(SAMPLE.read_text(encoding="utf-8").splitlines())
    assert "JSON Lines" in result.stderr and "--input-format jsonl" in result.stderr


def test_csv_piped_to_stdin_is_read_as_csv(tmp_path):
    text = "id,nationalities,claim_country,claim_date\nc1,\"[\"\"HND\"\"]\",USA,2024-05-01\n"
    result = invoke("run", POLICY, "-", "--format", "jsonl", input=text)
    assert result.exit_code == 0, result.stderr
    [row] = rows(result.stdout)
    assert row["case"] == "c1" and row["outcome"] == "undetermined"
    assert "stdin holds CSV" in result.stderr


def test_gzipped_stdin_is_read(tmp_path):
    data = gzip.compress(SAMPLE.read_bytes())
    result = CliRunner().invoke(cli, ["run", POLICY, "-", "--format", "jsonl"], input=data)
    assert result.exit_code == 0
    assert len(rows(result.stdout)) == len(SAMPLE.read_text(encoding="utf-8").splitlines())


def test_a_record_with_three_mistakes_reports_all_three_at_once(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "r-3", "nationalities": ["HNDX"], "claim_country": "USA",
                                 "claim_date": "2024-13-01", "age": "thirty"}) + "\n", encoding="utf-8")
    result = invoke("run", POLICY, str(cases), "--format", "jsonl")
    assert result.exit_code == 1
    [row] = rows(result.stdout)
    assert row["error"]["field"] == "nationalities[0]"                  # the first, as before
    assert [e["field"] for e in row["errors"]] == ["nationalities[0]", "age", "claim_date"]
    assert "month 13" in row["errors"][2]["message"]
    stderr = result.stderr.splitlines()
    assert stderr[0].startswith("error[RL0701]: record r-3 (line 1): 3 errors")
    assert sum("field `" in line for line in stderr) == 3
    # explain too
    result = invoke("explain", POLICY, str(cases))
    assert result.exit_code == 1 and "3 errors" in result.stderr and "field `age`" in result.stderr


def test_a_record_with_one_mistake_is_reported_as_before(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "r-1", "nationalities": [], "claim_country": "USA",
                                 "claim_date": "2024-02-30"}) + "\n", encoding="utf-8")
    result = invoke("run", POLICY, str(cases), "--format", "jsonl")
    [row] = rows(result.stdout)
    assert list(row) == ["case", "error"]
    assert row["error"]["message"] == "2024-02-30 is not a real date (February 2024 has 29 days)"


def test_a_damaged_gzip_file_is_an_error_record_not_a_traceback(tmp_path):
    data = gzip.compress(SAMPLE.read_bytes())
    damaged = tmp_path / "cases.jsonl.gz"
    damaged.write_bytes(data[: len(data) // 2])
    result = invoke("run", POLICY, str(damaged), "--format", "jsonl")
    assert result.exit_code == 1
    last = rows(result.stdout)[-1]
    assert "error" in last and "could not be read" in last["error"]["message"]


def test_a_file_that_is_not_parquet_but_named_so_is_one_error(tmp_path):
    fake = tmp_path / "cases.parquet"
    fake.write_text('{"id": "x"}\n', encoding="utf-8")
    result = invoke("run", POLICY, str(fake))
    assert result.exit_code == 2 and "not a readable Parquet file" in result.stderr


def test_parquet_columns_of_json_text_read_like_csv(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["p1"], "nationalities": ['["HND"]'], "claim_country": ["USA"],
                      "claim_date": ["2024-05-01"], "arrived_from": ["CAN"],
                      "entry_type": ["land_port_of_entry"], "age": ["30"]})
    path = tmp_path / "text.parquet"
    pq.write_table(table, path)
    result = invoke("run", POLICY, str(path), "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert rows(result.stdout)[0]["outcome"] == "applies"


def test_text_that_begins_like_parquet_is_read_as_its_name_says(tmp_path):
    """Only a file that begins and ends with Parquet's mark is taken for Parquet."""
    from rulelang.records import open_records

    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'PAR1 is not JSON\n{"id": "a"}\n')
    with open_records(str(path)) as source:
        assert source.kind == "jsonl" and not source.notes
        records = list(source)
    assert [r.position for r in records] == ["line 1", "line 2"] and records[1].data == {"id": "a"}


FAR_RULES = "tests/fixtures/far_dates.rules"   # (dates past 9999 read from Parquet)


def _far_parquet(path: Path, kind) -> None:
    """Three rows: one readable, one with a relative's `since` past year 9999, one with
    `seen` past it; dates or timestamps of `kind` (Arrow's type)."""
    import datetime as _dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    day = (_dt.date(2024, 1, 2) - _dt.date(1970, 1, 1)).days
    far = (_dt.date(9999, 12, 31) - _dt.date(1970, 1, 1)).days + 1
    per_day = 1 if pa.types.is_date(kind) else 86_400

    def column(days):
        return pa.array([d * per_day for d in days], pa.int64()).cast(
            pa.int32() if kind == pa.date32() else pa.int64()).cast(kind)

    relatives = pa.ListArray.from_arrays(pa.array([0, 1, 2, 3], pa.int32()), pa.StructArray.from_arrays(
        [pa.array(["a", "b", "c"]), column([day, far, day])], names=["name", "since"]))
    pq.write_table(pa.table({"id": ["r1", "r2", "r3"], "claim_date": ["2024-05-01"] * 3,
                             "seen": column([day, day, far]), "relatives": relatives}), path)


@pytest.mark.parametrize("kind", ["date32", "timestamp"])
@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_parquet_date_past_9999_in_a_list_of_records_is_an_error_of_its_record(tmp_path, kind, engine):
    """Python's dates end at year 9999: a later one in Parquet, at the top or inside a
    list of records, is an error of its record naming the field, and the rest is decided."""
    import pyarrow as pa

    rules, path = FAR_RULES, tmp_path / "far.parquet"
    _far_parquet(path, pa.date32() if kind == "date32" else pa.timestamp("s"))
    result = invoke("run", str(rules), str(path), "--format", "jsonl", "--engine", engine)
    assert result.exit_code == 1, result.stderr
    first, second, third = rows(result.stdout)
    assert first["outcome"] == "applies"     # a timestamp at midnight is its day
    shown = "10000-01-01" if kind == "date32" else "10000-01-01 00:00:00"
    assert second["error"]["field"] == "relatives[0].since"
    assert third["error"]["field"] == "seen"
    for row in (second, third):
        assert row["error"]["code"] == "RL0701" and f'got "{shown}' in row["error"]["message"]
    assert "Traceback" not in result.stderr


def _wide_parquet(path, rows: int = 6_000, group: int = 200) -> int:
    """A Parquet file of incompressible text in many row groups; its size in bytes."""
    import os as _os

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": [f"c-{n}" for n in range(rows)],
                      "note": [_os.urandom(1500).hex() for _ in range(rows)]})
    pq.write_table(table, path, row_group_size=group, compression="none")
    return path.stat().st_size


def test_a_parquet_file_is_not_held_as_it_is_read(tmp_path, monkeypatch):
    """Memory holds the rows being read, not the file: a pre-buffered Parquet file
    read through Python is read whole before its first batch, and one read from a
    path keeps each row group it has read until it is closed (a 10M-record file:
    230 MB more), so the reader does not pre-buffer."""
    import tracemalloc

    import pyarrow as pa

    from rulelang.records import open_records, read

    monkeypatch.setattr(read, "_PARQUET_BATCH", 100)         # rows read at a time
    size = _wide_parquet(tmp_path / "wide.parquet")
    held = []
    tracemalloc.start()       # the file is read through Python: its bytes are Python's
    try:
        with open_records(str(tmp_path / "wide.parquet")) as source:
            for n, record in enumerate(source):
                if n % 1000 == 999:
                    held.append(tracemalloc.get_traced_memory()[0] + pa.total_allocated_bytes())
    finally:
        tracemalloc.stop()
    assert n + 1 == 6_000 and size > 15_000_000
    assert max(held) < size / 4, [h >> 20 for h in held]
