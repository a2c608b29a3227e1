"""The Spark engine in local mode against DuckDB, on the simplified STCA.

    python benchmarks/spark_local.py [--records 200000] [--repeats 3]

One seeded record set (benchmarks/run.py's `simplified_records`), decided by:

- DuckDBEngine.decide_batch: validated records in, Decisions out (Arrow both ways);
- DuckDB, the query alone: an Arrow table in, an Arrow table out;
- SparkEngine.decide_table: a DataFrame read from Parquet in, a DataFrame of
  decisions out, every column computed (written to Spark's `noop` sink): the
  analyst's path, whose time includes planning and compiling the query;
- SparkEngine.decide_batch: as DuckDBEngine.decide_batch.

Each is timed `--repeats` times; the median is reported. The decisions of the
two engines are compared first, on every record.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import rulelang  # noqa: E402
from rulelang.backends.sql.duckdb import DuckDBEngine  # noqa: E402
from rulelang.backends.sql.spark import SparkEngine, spark_session  # noqa: E402
from rulelang.records import validate_dict  # noqa: E402

from run import SIMPLIFIED, simplified_records  # noqa: E402


def median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark setting (repeatable)")
    args = parser.parse_args(argv)

    policy = rulelang.load(str(SIMPLIFIED))
    schema = policy.program.input_type
    values = [validate_dict(r, schema).value for r in simplified_records(args.records, args.seed, schema)]
    n = len(values)
    duck = DuckDBEngine(policy.program, policy.compiled.decide)
    spark = spark_session(args.master, **dict(c.split("=", 1) for c in args.conf))
    engine = SparkEngine(policy.program, policy.compiled.decide, spark)

    with tempfile.TemporaryDirectory() as tmp:
        frame, _ = engine.records_frame(values)
        path = str(Path(tmp) / "records.parquet")
        frame.repartition(spark.sparkContext.defaultParallelism).write.parquet(path)
        records = spark.read.parquet(path)

        expected = duck.decide_batch(values)
        assert engine.decide_batch(values) == expected, "Spark and DuckDB differ"

        import pyarrow as pa
        table = pa.table({"_row": pa.array(range(n), pa.int64()),
                          **{name: records.select(name).toArrow().column(0) for name in schema.fields}})
        duck.connection.register("_bench", table)
        duck_sql = duck.sql_program.sql(duck.source("_bench"), pretty=False)

        results = [
            ("DuckDBEngine.decide_batch", median_seconds(lambda: duck.decide_batch(values), args.repeats)),
            ("DuckDB, the query alone (Arrow in and out)",
             median_seconds(lambda: duck.connection.sql(duck_sql).to_arrow_table(), args.repeats)),
            ("SparkEngine.decide_table (Parquet in, noop out)",
             median_seconds(lambda: engine.decide_table(records).write.format("noop").mode("overwrite").save(),
                            args.repeats)),
            ("  of which planning (the same, on one record)",
             median_seconds(lambda: engine.decide_table(records.limit(1)).write.format("noop")
                            .mode("overwrite").save(), args.repeats)),
            ("SparkEngine.decide_batch", median_seconds(lambda: engine.decide_batch(values), args.repeats)),
        ]
    print(f"{n:,} records of the simplified STCA, {os.cpu_count()} cores, "
          f"Spark {spark.version} ({args.master}); median of {args.repeats}")
    for name, seconds in results:
        rate = "" if name.startswith(" ") else f"{n / seconds:12,.0f} records/s"
        print(f"  {name:<50} {seconds:8.2f} s  {rate}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
