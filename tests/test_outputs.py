"""What analysts get out of a run (issue 12): CSV and Parquet files, --out, filters
by outcome, input fields kept beside each decision, a summary with totals,
percentages, invalid records and groups that is machine-readable when piped,
and the HTML report. The JSON Lines output stays byte for byte what it was.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import rulelang
from rulelang.cli import cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402

SAMPLE = str(ROOT / "examples" / "cases" / "sample.jsonl")
INVALID = str(ROOT / "examples" / "cases" / "invalid.jsonl")


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_jsonl_output_is_the_decision_record_byte_for_byte():
    """The contract: each line is Decision.to_json(trace=False), as json.dumps writes it."""
    policy = rulelang.load("stdlib:all")
    expected = []
    for line in Path(SAMPLE).read_text(encoding="utf-8").splitlines():
        for decision in policy.evaluate(json.loads(line)):
            expected.append(json.dumps(decision.to_json(trace=False), ensure_ascii=False))
    result = invoke("run", "stdlib:all", SAMPLE, "--format", "jsonl")
    assert result.stdout == "\n".join(expected) + "\n"


def test_csv_output_has_a_row_per_decision_and_per_invalid_record():
    result = invoke("run", "stdlib:stca_us", INVALID, "--format", "csv")
    assert result.exit_code == 1
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    jsonl = rows(invoke("run", "stdlib:stca_us", INVALID, "--format", "jsonl").stdout)
    assert [r["case"] for r in table] == [r["case"] for r in jsonl]
    for row, line in zip(table, jsonl):
        if "error" in line:
            assert row["error_code"] == line["error"]["code"] and row["outcome"] == ""
            assert row["error_field"] == (line["error"]["field"] or "")
        else:
            assert row["outcome"] == line["outcome"] and row["error_code"] == ""
            assert json.loads(row["unestablished"]) == line["unestablished"]
            assert json.loads(row["exceptions"]) == line["exceptions"]


def test_out_writes_a_file_in_the_format_its_extension_says(tmp_path):
    out = tmp_path / "decisions.csv"
    result = invoke("run", "stdlib:all", SAMPLE, "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("case,agreement,as_of,status,outcome")


def test_parquet_output_is_typed(tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "decisions.parquet"
    result = invoke("run", "stdlib:stca_us", INVALID, "--out", str(out), "--keep", "age,claim_date")
    assert result.exit_code == 1
    table = pq.read_table(out)
    assert table.num_rows == len(rows(invoke("run", "stdlib:stca_us", INVALID, "--format", "jsonl").stdout))
    assert str(table.schema.field("as_of").type) == "date32[day]"
    assert str(table.schema.field("exceptions").type).startswith("list")
    assert str(table.schema.field("age").type) == "int64"
    assert table.column("error_code").null_count < table.num_rows
    assert invoke("run", "stdlib:stca_us", INVALID, "--format", "parquet").exit_code == 2  # stdout: no


def test_an_unwritable_out_is_a_clear_error_not_a_traceback(tmp_path):
    for args in (["run", "stdlib:stca_us", SAMPLE, "--out", str(tmp_path / "no" / "such" / "x.jsonl")],
                 ["report", "stdlib:stca_us", SAMPLE, "--out", str(tmp_path / "no" / "r.html")]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, args
        assert "cannot write" in result.output and result.exception is None or \
            isinstance(result.exception, SystemExit)


def test_outcome_filter_and_hide_not_in_force():
    every = rows(invoke("run", "stdlib:all", SAMPLE, "--format", "jsonl").stdout)
    chosen = rows(invoke("run", "stdlib:all", SAMPLE, "--format", "jsonl",
                         "--outcome", "applies,undetermined").stdout)
    assert chosen == [r for r in every if r["outcome"] in ("applies", "undetermined")]
    shown = rows(invoke("run", "stdlib:all", SAMPLE, "--format", "jsonl", "--hide-not-in-force").stdout)
    assert shown == [r for r in every if r["outcome"] != "not_in_force"]
    bad = invoke("run", "stdlib:all", SAMPLE, "--outcome", "applied")
    assert bad.exit_code == 2 and "applies" in bad.stderr


def test_keep_copies_input_fields_into_each_row():
    result = invoke("run", "stdlib:stca_us", SAMPLE, "--format", "jsonl", "--keep", "claim_date,nationalities,age")
    first = rows(result.stdout)[0]
    assert list(first)[-3:] == ["claim_date", "nationalities", "age"]
    assert first["claim_date"] == "2024-05-01" and first["nationalities"] == ["HND"]
    table = list(csv.DictReader(io.StringIO(invoke("run", "stdlib:stca_us", SAMPLE, "--format", "csv",
                                                   "--keep", "nationalities").stdout)))
    assert table[0]["nationalities"] == '["HND"]'
    # invalid records keep what they had
    errors = [r for r in rows(invoke("run", "stdlib:stca_us", INVALID, "--format", "jsonl",
                                     "--keep", "claim_country").stdout) if "error" in r]
    assert "claim_country" in errors[0]
    for bad, why in (("agee", "did you mean `age`"), ("outcome", "not a field")):
        result = invoke("run", "stdlib:stca_us", SAMPLE, "--keep", bad)
        assert result.exit_code == 2 and why in result.stderr


def test_summary_has_totals_percentages_and_invalid_counts_and_is_json_when_piped():
    result = invoke("run", "stdlib:stca_us", INVALID, "--format", "summary")
    assert result.exit_code == 1
    data = json.loads(result.stdout)                   # CliRunner is not a terminal
    assert (data["records"], data["valid"], data["invalid"]) == (8, 3, 5)
    assert data["invalid_pct"] == 62.5
    [row] = data["agreements"]
    assert sum(row[o]["count"] for o in data["outcomes"]) == 3
    assert abs(sum(row[o]["pct"] for o in data["outcomes"]) - 100) < 0.5


def test_summary_as_a_table_into_a_text_file_and_as_csv(tmp_path):
    text = tmp_path / "summary.txt"
    invoke("run", "stdlib:stca_us", INVALID, "--format", "summary", "--out", str(text))
    shown = text.read_text(encoding="utf-8")
    assert "8 records, 3 valid, 5 invalid (62.5%)" in shown and "stca_us" in shown
    assert "\x1b[" not in shown                         # no colour codes in a file
    result = invoke("run", "stdlib:all", SAMPLE, "--format", "summary", "--summary-format", "csv")
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == 21 and {"applies", "applies_pct", "invalid"} <= set(table[0])


def test_summary_group_by_a_field_and_a_date_by_year():
    result = invoke("run", "stdlib:stca_us", SAMPLE, "--format", "summary", "--group-by",
                    "claim_country,claim_date:year")
    data = json.loads(result.stdout)
    assert data["group_by"] == ["claim_country", "claim_date:year"]
    groups = {tuple(g["group"].values()): g for g in data["groups"]}
    assert ("USA", "2024") in groups
    assert sum(g["records"] for g in data["groups"]) == data["records"]
    for bad in ("claim_dat", "claim_country:year", "claim_date:week", "relatives"):
        assert invoke("run", "stdlib:stca_us", SAMPLE, "--format", "summary", "--group-by", bad).exit_code == 2
    assert invoke("run", "stdlib:stca_us", SAMPLE, "--group-by", "claim_country").exit_code == 2


def test_summary_group_by_month_counts_invalid_records_in_their_group(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "nationalities": [], "claim_country": "USA", "claim_date": "2024-05-01"},
        {"id": "b", "nationalities": [], "claim_country": "XXX", "claim_date": "2024-05-09"},
        {"id": "c", "nationalities": [], "claim_country": "USA", "claim_date": "2024-06-01"}]) + "\n")
    data = json.loads(invoke("run", "stdlib:stca_us", str(cases), "--format", "summary",
                             "--group-by", "claim_date:month").stdout)
    groups = {g["group"]["claim_date:month"]: (g["records"], g["invalid"]) for g in data["groups"]}
    assert groups == {"2024-05": (2, 1), "2024-06": (1, 0)}


def test_the_same_records_as_parquet_csv_and_jsonl_give_identical_summaries(tmp_path):
    """The issue's check at 100,000 records (docs/performance.md), here at 2,000."""
    paths = synthetic.write_all(2000, tmp_path)
    summaries = {}
    for kind, path in paths.items():
        result = invoke("run", "stdlib:all", str(path), "--format", "summary", "--group-by",
                        "claim_date:year")
        summaries[kind] = result.stdout
        assert result.exit_code == 1                   # about 1% of the records are invalid
    assert summaries["parquet"] == summaries["csv"] == summaries["jsonl"]
    data = json.loads(summaries["jsonl"])
    assert data["records"] == 2000 and 0 < data["invalid"] < 60


def test_report_is_a_self_contained_html_page(tmp_path):
    out = tmp_path / "report.html"
    result = invoke("report", "stdlib:all", SAMPLE, "--out", str(out), "--group-by", "claim_country")
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # no network at view time: nothing is loaded from elsewhere
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    assert page.count("Plotly.newPlot") >= 4
    for heading in ("Outcomes per agreement", "Outcomes over time", "Facts most often missing",
                    "Exceptions that hold", "Group: claim_country = USA"):
        assert heading in page, heading
    assert "115 records" in page


def test_as_of_messages_name_what_is_wrong():
    result = CliRunner().invoke(cli, ["run", "stdlib:stca_us", SAMPLE, "--as-of", "2022-13-01"])
    assert result.exit_code == 2 and "month 13 is not between 01 and 12" in result.output
    result = CliRunner().invoke(cli, ["run", "stdlib:stca_us", SAMPLE, "--as-of", "2023-02-29"])
    assert "February 2023 has 28 days" in result.output
    result = CliRunner().invoke(cli, ["run", "stdlib:stca_us", SAMPLE, "--as-of", "yesterday"])
    assert "YYYY-MM-DD" in result.output


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_output_count_matches_the_input_count(fmt):
    """An invalid record is one row in its place, in every format."""
    result = invoke("run", "stdlib:stca_us", INVALID, "--format", fmt)
    count = len([l for l in result.stdout.splitlines() if l.strip()]) - (fmt == "csv")
    assert count == len([l for l in Path(INVALID).read_text().splitlines() if l.strip()])


def test_without_the_optional_libraries_the_commands_say_what_to_install(tmp_path, monkeypatch):
    """`pip install .` has neither pyarrow nor plotly: Parquet and the report say so, exit 2."""
    for name in ("pyarrow", "pyarrow.parquet", "plotly", "plotly.graph_objects"):
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "stdlib:stca_us", SAMPLE, "--out", str(out)])
    assert result.exit_code == 2 and "rulelang[report]" in result.output and not out.exists()
    result = CliRunner().invoke(cli, ["run", "stdlib:stca_us", SAMPLE, "--out", str(tmp_path / "d.parquet")])
    assert result.exit_code == 2 and "rulelang[parquet]" in result.output
    assert not (tmp_path / "d.parquet").exists()
    parquet = tmp_path / "cases.parquet"
    parquet.write_bytes(b"PAR1" + b"\0" * 20)
    result = CliRunner().invoke(cli, ["run", "stdlib:stca_us", str(parquet)])
    assert result.exit_code == 2 and "rulelang[parquet]" in result.output
    assert invoke("run", "stdlib:stca_us", SAMPLE, "--format", "jsonl").exit_code == 0
