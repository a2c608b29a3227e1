"""The columnar engine (issue 9) against the same policy written by hand in SQL, in one run.

    python benchmarks/columnar.py                 # 1,000,000 records (a few minutes)
    python benchmarks/columnar.py --records 50000 # a smoke run

Part 1, the same in-memory DuckDB table: benchmarks/simplified_stca.rules compiled by
rulelang to SQL, against benchmarks/simplified_stca.sql (the same rules written by hand
as one query, the way an analyst would), both producing every decision field. The two
results are compared row by row before anything is timed. Figures: CPU seconds of one
DuckDB thread (repeatable on a shared machine) and wall seconds with DuckDB's threads,
the best of several runs, and their ratio.

Part 2, the shipped agreements: rulelang-on-DuckDB and the compiled Python engine on the
same validated records (stdlib:stca_us, stdlib:all), µs per record.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as B  # noqa: E402  the record generators and baselines of benchmarks/run.py

import rulelang  # noqa: E402
from rulelang.backends.sql.duckdb import arrow_type, to_arrow_value  # noqa: E402

COLUMNS = ("case", "agreement", "as_of", "status", "outcome", "returns_to", "exceptions", "missing",
           "unestablished")


def arrow_table(policy, values):
    import pyarrow as pa

    fields = list(policy.program.input_type.fields.items())
    return pa.table({"_row": pa.array(range(len(values)), pa.int64()),
                     **{name: pa.array([to_arrow_value(v[name], t) for v in values], arrow_type(t))
                        for name, t in fields}})


def best(connection, sql: str, repeats: int, cpu: bool) -> float:
    result = float("inf")
    for _ in range(repeats):
        start = time.process_time() if cpu else time.perf_counter()
        connection.sql(sql).to_arrow_table()
        result = min(result, (time.process_time() if cpu else time.perf_counter()) - start)
    return result


def compare_results(connection, ours: str, hand: str) -> int:
    """Rows where the two queries disagree on a decision field (0 expected)."""
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    query = (f"SELECT count(*) FROM (SELECT {cols} FROM ({ours}) EXCEPT ALL SELECT {cols} FROM ({hand}))")
    return connection.sql(query).fetchall()[0][0]


def bench_in_memory(n: int, repeats: int) -> dict:
    import duckdb

    policy = rulelang.load(str(B.SIMPLIFIED))
    values = B.validated(B.simplified_records(n, 1, policy.program.input_type), policy.program.input_type)
    engine = policy.columnar
    connection = duckdb.connect()
    connection.register("_arrow", arrow_table(policy, values))
    connection.execute("CREATE TABLE cases AS SELECT * FROM _arrow")
    ours = engine.sql_program.sql(engine.source("cases"), pretty=False)
    hand = (HERE / "simplified_stca.sql").read_text(encoding="utf-8")
    mismatches = compare_results(connection, ours, hand)
    figures = {"records": n, "mismatches": mismatches}
    connection.execute("SET threads = 1")
    figures["cpu_ours"] = best(connection, ours, repeats, cpu=True)
    figures["cpu_hand"] = best(connection, hand, repeats, cpu=True)
    connection.execute("RESET threads")
    figures["wall_ours"] = best(connection, ours, repeats, cpu=False)
    figures["wall_hand"] = best(connection, hand, repeats, cpu=False)
    return figures


def bench_stdlib(name: str, n: int, repeats: int) -> dict:
    import duckdb

    policy = rulelang.load(f"stdlib:{name}")
    values = B.validated(list(B.stca_us_records(n, 2, policy.program.input_type)),
                         policy.program.input_type)
    engine = policy.columnar
    connection = duckdb.connect()
    connection.register("_arrow", arrow_table(policy, values))
    connection.execute("CREATE TABLE cases AS SELECT * FROM _arrow")
    ours = engine.sql_program.sql(engine.source("cases"), pretty=False)
    sql_seconds = best(connection, ours, repeats, cpu=False)
    decide = policy.compiled.decide
    start = time.perf_counter()
    for value in values:
        decide(value)
    python_seconds = time.perf_counter() - start
    return {"policy": name, "records": n, "agreements": len(policy.agreements),
            "duckdb": sql_seconds, "python": python_seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    n = args.records

    print(f"Part 1: simplified STCA, {n:,} records in one in-memory DuckDB table")
    f = bench_in_memory(n, args.repeats)
    print(f"  decisions compared row by row with the hand-written query: {f['mismatches']} mismatches")
    print(f"  {'':34} {'CPU s (1 thread)':>17} {'wall s':>8} {'µs/record':>10}")
    for label, cpu, wall in (("hand-written SQL (baseline)", f["cpu_hand"], f["wall_hand"]),
                             ("rulelang on DuckDB", f["cpu_ours"], f["wall_ours"])):
        print(f"  {label:34} {cpu:17.3f} {wall:8.3f} {wall / n * 1e6:10.2f}")
    print(f"  throughput, rulelang / hand-written: {f['cpu_hand'] / f['cpu_ours']:.2f} (CPU), "
          f"{f['wall_hand'] / f['wall_ours']:.2f} (wall)")

    m = max(n // 10, 1000)
    print(f"\nPart 2: shipped agreements, {m:,} records (validated beforehand)")
    for name in ("stca_us", "all"):
        g = bench_stdlib(name, m, max(args.repeats // 2, 1))
        print(f"  stdlib:{name:8} ({g['agreements']:2} agreements): DuckDB {g['duckdb'] / m * 1e6:7.2f} "
              f"µs/record, compiled Python {g['python'] / m * 1e6:7.2f} µs/record "
              f"({g['python'] / g['duckdb']:.1f}x)")
    return 0 if f["mismatches"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
