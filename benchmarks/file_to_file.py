"""From a file of records to a file of decisions, end to end, in one run: the command
line on DuckDB and on Python against the same policy written by hand as one DuckDB
query over the same file.

    python benchmarks/file_to_file.py                  # 1,000,000 records
    python benchmarks/file_to_file.py --records 50000  # a smoke run
    python benchmarks/file_to_file.py --format csv --bound   # CSV only, with the bound below

The policy is benchmarks/simplified_stca.rules; the hand-written baseline is
benchmarks/simplified_stca.sql reading the same Parquet, JSON Lines or CSV file
and writing Parquet with COPY, the way an analyst would (for CSV: DuckDB's
read_csv with the column types given, and from_json for the lists in cells). rulelang's runs are the
command a user types (`rulelang run POLICY FILE --engine ... --out decisions.parquet`),
start-up, checking and compiling included. Every output is compared with the
baseline's, decision by decision, before the figures are printed. Figures: wall
seconds and CPU seconds (all threads), the median of `--repeats` runs; the ratio
is the baseline's time over rulelang's (1.0: as fast as the hand-written query).

The command line runs as an installed rulelang does: its bytecode cached (pip
compiles it at install; this machine sets PYTHONDONTWRITEBYTECODE, which the
runs here drop, after one untimed run writes the cache).

`--bound` (CSV): how fast rulelang's run could be at best. Three statements more,
single-threaded, CPU seconds: the hand-written query whole, its reading of the
file alone (read_csv with types, from_json), and rulelang's reading and checking of it alone
(every cell checked and converted as the run does, nothing decided or written).
Deciding and writing cost rulelang at least what they cost the hand-written query
(the in-memory benchmark, benchmarks/columnar.py, has them equal), so no run can
beat  baseline ÷ (rulelang's reading and checking + the baseline's deciding and
writing): the bound printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as B  # noqa: E402  the record generators of benchmarks/run.py

import rulelang  # noqa: E402
from rulelang.backends.sql.duckdb import arrow_type, to_arrow_value  # noqa: E402
from rulelang.records.write import csv_cell  # noqa: E402

COLUMNS = ("case", "agreement", "as_of", "status", "outcome", "returns_to", "exceptions", "missing",
           "unestablished")


def write_inputs(n: int, folder: Path) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    policy = rulelang.load(str(B.SIMPLIFIED))
    record_type = policy.program.input_type
    raw = B.simplified_records(n, 1, record_type)
    values = B.validated(raw, record_type)
    fields = list(record_type.fields.items())
    table = pa.table({name: pa.array([to_arrow_value(v[name], t) for v in values], arrow_type(t))
                      for name, t in fields})
    paths = {"parquet": folder / "cases.parquet", "jsonl": folder / "cases.jsonl", "csv": folder / "cases.csv"}
    pq.write_table(table, paths["parquet"])
    with open(paths["jsonl"], "w", encoding="utf-8") as out:
        for record in raw:
            out.write(json.dumps(record) + "\n")
    with open(paths["csv"], "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(record_type.fields)
        for record in raw:
            writer.writerow([csv_cell(record.get(name)) for name in record_type.fields])
    return paths


# the hand-written query's reading of the CSV file: each column's type given, the lists
# in cells read from JSON
_CSV_COLUMNS = {"id": "VARCHAR", "nationalities": "VARCHAR", "claim_country": "VARCHAR", "claim_date": "DATE",
                "arrived_from": "VARCHAR", "entry_type": "VARCHAR", "entry_date": "DATE", "age": "BIGINT",
                "accompanied": "BOOLEAN", "relatives": "VARCHAR", "valid_us_visa": "BOOLEAN",
                "public_interest_waiver": "BOOLEAN"}
_CSV_LISTS = {"nationalities": '["VARCHAR"]',
              "relatives": '[{"relation":"VARCHAR","location":"VARCHAR","status":"VARCHAR"}]'}


def _csv_reader(source: Path) -> str:
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in _CSV_COLUMNS.items())
    values = ", ".join(f"from_json({name}, '{_CSV_LISTS[name]}') AS {name}" if name in _CSV_LISTS else name
                       for name in _CSV_COLUMNS)
    return f"(SELECT {values} FROM read_csv('{source}', header = true, columns = {{{columns}}}))"


def hand_written(kind: str, source: Path, target: Path) -> tuple[float, float]:
    """(wall, CPU) of the hand-written query from `source` to a Parquet `target`."""
    import duckdb

    reader = {"parquet": f"read_parquet('{source}')",
              "jsonl": f"read_json('{source}', format = 'newline_delimited')",
              "csv": _csv_reader(source)}[kind]
    query = (HERE / "simplified_stca.sql").read_text(encoding="utf-8").replace("FROM cases", f"FROM {reader}")
    connection = duckdb.connect()
    wall, cpu = time.perf_counter(), time.process_time()
    connection.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet)")
    return time.perf_counter() - wall, time.process_time() - cpu


# the command line's environment: bytecode cached, as in an installed rulelang
_CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def command_line(engine: str, source: Path, target: Path) -> tuple[float, float]:
    """(wall, CPU of the child) of `rulelang run` from `source` to a Parquet `target`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", str(B.SIMPLIFIED), str(source),
                           "--engine", engine, "--out", str(target)], capture_output=True, env=_CHILD_ENV)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr.decode(errors="replace"))
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def csv_bound(source: Path) -> dict[str, float]:
    """CPU seconds, on one DuckDB thread, of the hand-written query whole, of its
    reading of the CSV file alone, and of rulelang's reading and checking of it alone
    (the statement of its run without the deciding, the writing and the proof)."""
    import duckdb

    from rulelang.batch.columnar import _Delimited, _CASES
    from rulelang.records.read import open_records

    def cpu(connection, query: str) -> float:
        connection.execute("SET threads = 1")
        connection.execute("SET enable_progress_bar = false")
        started = time.process_time()
        connection.execute(query).fetchall()
        return time.process_time() - started

    hand = (HERE / "simplified_stca.sql").read_text(encoding="utf-8").replace("FROM cases",
                                                                          f"FROM {_csv_reader(source)}")
    with tempfile.TemporaryDirectory() as folder:
        whole = cpu(duckdb.connect(), f"COPY ({hand}) TO '{folder}/hand.parquet' (FORMAT parquet)")
    # (every value the hand-written query reads, summed so that none is left unread)
    reading = cpu(duckdb.connect(), "SELECT count(id), sum(len(nationalities)), count(claim_country), "
                  "max(claim_date), count(arrived_from), count(entry_type), max(entry_date), sum(age), "
                  "count(accompanied), sum(len(relatives)), count(valid_us_visa), count(public_interest_waiver) "
                  f"FROM {_csv_reader(source)}")
    policy = rulelang.load(str(B.SIMPLIFIED))
    records = open_records(str(source), record_type=policy.program.input_type)
    try:
        relation = _Delimited(records, policy).direct_relation(policy.columnar.connection)
    finally:
        records.close()
    # (the run's own CTEs, if any, its reading not kept for a proof: DuckDB leaves out
    # the proof's columns no one reads)
    ctes = "".join(f"{cte}, " for cte in [relation.ctes.replace("AS MATERIALIZED (", "AS (")] if cte)
    checking = cpu(policy.columnar.connection,
                   f"WITH {ctes}{_CASES} AS ({relation.sql}) SELECT count(*), count(id), "
                   "sum(len(nationalities)), count(claim_country), max(claim_date), count(arrived_from), "
                   "count(entry_type), max(entry_date), sum(age), count(accompanied), sum(len(relatives)), "
                   f"count(valid_us_visa), count(public_interest_waiver) FROM {_CASES} WHERE _row > 0")
    return {"whole": whole, "reading": reading, "checking": checking}


def disagreements(ours: Path, hand: Path) -> int:
    import duckdb

    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    query = (f"SELECT count(*) FROM (SELECT {cols} FROM read_parquet('{ours}') "
             f"EXCEPT ALL SELECT {cols} FROM read_parquet('{hand}'))")
    return duckdb.sql(query).fetchall()[0][0]


def _one_record(folder: Path) -> Path:
    path = folder / "one.jsonl"
    path.write_text(json.dumps(B.simplified_records(1, 1, rulelang.load(str(B.SIMPLIFIED)).program.input_type)[0])
                    + "\n", encoding="utf-8")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--python", action="store_true", help="also time --engine python (slow)")
    parser.add_argument("--format", action="append", choices=("parquet", "jsonl", "csv"),
                        help="only this input format (again for more; default: all three)")
    parser.add_argument("--bound", action="store_true",
                        help="CSV: the best ratio rulelang's checks leave reachable (see the notes)")
    args = parser.parse_args(argv)
    wrong = 0
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        inputs = write_inputs(args.records, folder)
        inputs = {kind: path for kind, path in inputs.items() if not args.format or kind in args.format}
        command_line("duckdb", _one_record(folder), folder / "warm.parquet")    # (bytecode cached)
        print(f"simplified STCA, {args.records:,} records, file to Parquet file; median of {args.repeats}")
        print(f"  {'':40} {'wall s':>8} {'CPU s':>8} {'ratio wall':>10} {'ratio CPU':>10}")
        for kind, source in inputs.items():
            rows = {"hand-written SQL (baseline)": lambda t: hand_written(kind, source, t),
                    "rulelang run --engine duckdb": lambda t: command_line("duckdb", source, t)}
            if args.python:
                rows["rulelang run --engine python"] = lambda t: command_line("python", source, t)
            figures = {}
            for label, runner in rows.items():
                target = folder / f"{label.split()[-1]}.parquet"
                times = [runner(target) for _ in range(args.repeats)]
                figures[label] = (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))
                if label != "hand-written SQL (baseline)":
                    wrong += disagreements(target, folder / "(baseline).parquet")
            base = figures["hand-written SQL (baseline)"]
            print(f" {kind}:")
            for label, (wall, cpu) in figures.items():
                print(f"  {label:40} {wall:8.2f} {cpu:8.2f} {base[0] / wall:10.2f} {base[1] / cpu:10.2f}")
            if kind == "csv" and args.bound:
                bound = csv_bound(source)
                best = bound["whole"] / (bound["checking"] + bound["whole"] - bound["reading"])
                print("  one DuckDB thread, CPU s:")
                for label, key in (("hand-written query, whole", "whole"), ("hand-written query, reading", "reading"),
                                   ("rulelang, reading and checking", "checking")):
                    print(f"  {label:40} {'':8} {bound[key]:8.2f}")
                print(f"  {'best ratio reachable (CPU)':40} {'':8} {'':8} {'':10} {best:10.2f}")
    print(f"decisions that differ from the baseline's: {wrong}")
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
