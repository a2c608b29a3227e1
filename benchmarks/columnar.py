"""The columnar engine (issue 9) against the same policy written by hand in SQL, in one run.

    python benchmarks/columnar.py                 # 1,000,000 records (a few minutes)
    python benchmarks/columnar.py --records 50000 # a smoke run

Part 1, the same in-memory DuckDB table: benchmarks/simplified_stca.rules compiled by
rulelang to SQL, against benchmarks/simplified_stca.sql (the same rules written by hand
as one query, the way an analyst would), both producing every decision field. The two
results are compared row by row before anything is timed. Figures: CPU seconds of one
DuckDB thread (steadier on a shared machine) and wall seconds with DuckDB's threads,
the median of `--repeats` runs taken in turn (ours, hand-written, ours, ...), and the
ratio of throughputs.

Part 2, the shipped agreements: rulelang-on-DuckDB and the compiled Python engine on the
same validated records (stdlib:stca_us on benchmarks/run.py's records; stdlib:all on
benchmarks/synthetic.py's, which reach every agreement), µs per record, decisions only:
the query prepared once (the time sqlglot takes to build and print it, and DuckDB's
planning, are reported apart), then executed (median wall time).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as B  # noqa: E402  the record generators and baselines of benchmarks/run.py

import synthetic  # noqa: E402  records that reach every shipped agreement

import rulelang  # noqa: E402
from rulelang.backends.sql.compile import compile_sql  # noqa: E402
from rulelang.backends.sql.duckdb import arrow_type, source_relation, to_arrow_value  # noqa: E402
from rulelang.records import InvalidRecord, validate_dict  # noqa: E402

COLUMNS = ("case", "agreement", "as_of", "status", "outcome", "returns_to", "exceptions", "missing",
           "unestablished")


def arrow_table(policy, values):
    import pyarrow as pa

    fields = list(policy.program.input_type.fields.items())
    return pa.table({"_row": pa.array(range(len(values)), pa.int64()),
                     **{name: pa.array([to_arrow_value(v[name], t) for v in values], arrow_type(t))
                        for name, t in fields}})


def medians(connection, queries: list[str], repeats: int, cpu: bool) -> list[float]:
    """The median time of each query, the queries run in turn (so that a busy spell of
    the machine falls on all of them)."""
    clock = time.process_time if cpu else time.perf_counter
    times = [[] for _ in queries]
    for _ in range(repeats):
        for sql, runs in zip(queries, times):
            start = clock()
            connection.sql(sql).to_arrow_table()
            runs.append(clock() - start)
    return [statistics.median(runs) for runs in times]


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
    figures["cpu_ours"], figures["cpu_hand"] = medians(connection, [ours, hand], repeats, cpu=True)
    connection.execute("RESET threads")
    figures["wall_ours"], figures["wall_hand"] = medians(connection, [ours, hand], repeats, cpu=False)
    return figures


def stdlib_values(policy, name: str, n: int) -> list[dict]:
    record_type = policy.program.input_type
    if name == "stca_us":
        return B.validated(list(B.stca_us_records(n, 2, record_type)), record_type)
    valid = (validate_dict(r, record_type) for r in synthetic.records(n))
    return [v.value for v in valid if not isinstance(v, InvalidRecord)]   # ~1% are invalid on purpose


def bench_stdlib(name: str, n: int, repeats: int) -> dict:
    import duckdb

    policy = rulelang.load(f"stdlib:{name}")
    values = stdlib_values(policy, name, n)
    connection = duckdb.connect()
    connection.register("_arrow", arrow_table(policy, values))
    connection.execute("CREATE TABLE cases AS SELECT * FROM _arrow")
    start = time.perf_counter()
    compiled = compile_sql(policy.program)
    built = time.perf_counter()
    ours = compiled.sql(source_relation(policy.program, "cases"), pretty=False)
    printed = time.perf_counter()
    connection.execute(f"PREPARE _q AS {ours}")
    planned = time.perf_counter()
    sql_seconds, = medians(connection, ["EXECUTE _q"], repeats, cpu=False)
    decide = policy.compiled.decide
    python_runs = []
    for _ in range(repeats):
        start_python = time.perf_counter()
        for value in values:
            decide(value)
        python_runs.append(time.perf_counter() - start_python)
    return {"policy": name, "records": len(values), "agreements": len(policy.agreements),
            "build": built - start, "print": printed - built, "plan": planned - printed,
            "duckdb": sql_seconds, "python": statistics.median(python_runs)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
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
    print(f"\nPart 2: shipped agreements, about {m:,} records (validated beforehand), decisions only")
    for name in ("stca_us", "all"):
        g = bench_stdlib(name, m, args.repeats)
        k = g["records"]
        print(f"  stdlib:{name:8} ({g['agreements']:2} agreements, {k:,} records): "
              f"DuckDB {g['duckdb'] / k * 1e6:6.2f} µs/record, compiled Python {g['python'] / k * 1e6:6.2f} "
              f"µs/record (Python time / DuckDB time {g['python'] / g['duckdb']:.2f}); query built "
              f"{g['build']:.2f} s, printed {g['print']:.2f} s, planned {g['plan']:.2f} s")
    return 0 if f["mismatches"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
