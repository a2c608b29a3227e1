"""A run from a Parquet file to a Parquet file on Spark: Spark reads the file itself,
checks, decides and writes the decisions; Python writes them into the output in
input order, with the records Spark leaves to it decided in their places.

The Spark engine's other runs read and validate every record in Python and send
batches to Spark (batch/__init__.py), which costs a Spark job, and the planning of
the policy's query, per 10,000 records. Here there is one job for the whole file:

1. Spark reads the Parquet file (`spark.read.parquet`), each row with its row number
   (`_metadata.row_index`, the row's place in the file), and checks every field
   against the record type in Spark SQL (backends/sql/spark_ingest.py, ingest.py's
   rules for typed columns); a row it is not certain the Python validator takes
   with the same values gets a negative `_row`;
2. the compiled policy decides the rows (SparkEngine.decide_table: the same SQL
   compile as every engine, in Spark's dialect); a record SQL did not take, or might
   decide otherwise than the interpreter (`_suspect`), keeps one row, marked
   `_special`; the rows go to Parquet files in a temporary folder, one per task,
   each in row order (the plan has no shuffle: a task reads a run of row groups);
3. Python reads those files in row order and hands their rows to the sink as the
   DuckDB run does (columnar.py's ColumnarRun, whose delivery this reuses): a
   `_special` record is read from the input by pyarrow, validated, decided and
   written by the Python path in its place.

So the output is the Python engine's, table for table (tests/test_spark.py), and
memory holds a few batches on the Python side and Spark's working memory for its
tasks, not the file. A file Spark might read otherwise than pyarrow (a column of a
type other than text, dates, booleans, integers and lists and records of those,
names that differ only in case, a path Spark would read as a pattern) takes the
batch path; so does any failure of the Spark job, from the start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid

from rulelang.api import Policy
from rulelang.backends.sql.compile import DECISION_COLUMNS
from rulelang.batch.columnar import ColumnarRun, _Reader
from rulelang.records.read import parquet_row

_ROWS = 65_536                  # decision rows read back at a time
_PARQUET_ROWS = 16_384          # input rows read at a time for the records Python decides
_SPLIT_BYTES = 16 << 20         # bytes of input per Spark task (enough tasks for a progress bar)
_SPARK_SHARE = 0.85             # the share of the progress bar for Spark's job (measured: most of the time)
_PATTERN = set("*?[]{}\\:,")    # characters Hadoop's paths read as a pattern or a scheme


def plan(policy: Policy, source, sink, options) -> "SparkRun | None":
    """A SparkRun for this run, or None when it must take the batch path."""
    from rulelang.backends.sql.spark_ingest import names_differ_in_case, plain_types

    if (options.engine != "spark" or options.trace or options.case is not None
            or options.limit is not None or options.rules
            or getattr(sink, "columnar_format", None) != "parquet"):
        return None
    if source.kind != "parquet" or source.parquet is None or source.path is None:
        return None
    path = os.path.abspath(source.path)
    parquet, columns, from_text = source.parquet
    schema = parquet.schema_arrow
    if (from_text or _PATTERN & set(path) or names_differ_in_case(list(schema))
            or not all(plain_types(schema.field(c).type) for c in columns)):
        return None
    engine = policy.on_spark(options.spark_master)
    if engine.unsupported or not engine.sql_program.agreements:
        return None
    return SparkRun(policy, sink, options, engine, _InputRows(source, path))


class SparkRun(ColumnarRun):
    """One Spark job writes the decisions of the whole file; Python writes them out in
    order (ColumnarRun's delivery), deciding in place the records marked `_special`."""

    def __init__(self, policy: Policy, sink, options, engine, reader: "_InputRows") -> None:
        self.policy, self.sink, self.options = policy, sink, options
        self.engine, self.reader, self.fmt = engine, reader, "parquet"
        self.in_python = 0

    def decisions(self, session):
        """The DataFrame of decision rows: `_row` (the record's row number), `_special`
        and the decision columns, the rows the options select (a special record: one)."""
        from pyspark.sql import functions as F

        from rulelang.backends.sql.dialects import DIALECTS
        from rulelang.backends.sql.spark_ingest import DIALECT, checked_columns

        record_type = self.engine.program.input_type
        reader, options = self.reader, self.options
        # the file's own rebase of old dates is pyarrow's: none (proleptic Gregorian)
        frame = (session.read.option("datetimeRebaseMode", "CORRECTED").option("int96RebaseMode", "CORRECTED")
                 .parquet(reader.path))
        view = f"_rulelang_in_{uuid.uuid4().hex}"
        frame.select(F.expr("_metadata.row_index + 1").alias("_row"),
                     *[F.col(f"`{c}`") for c in reader.columns]).createOrReplaceTempView(view)
        values, ok = checked_columns(reader.types, record_type)
        sql_type = DIALECTS["spark"].sql_type
        fields = ", ".join(f"CAST(`{name}` AS {sql_type(record_type.fields[name]).sql(DIALECT)}) AS `{name}`"
                           for name, _ in values)
        inner = ", ".join(f"{value.sql(DIALECT)} AS `{name}`" for name, value in values)
        try:
            checked = session.sql(f"SELECT CASE WHEN _ok THEN _row ELSE -_row END AS _row, {fields} "
                                  f"FROM (SELECT _row, {ok.sql(DIALECT)} AS _ok, {inner} FROM {view}) AS _c")
            decided = self.engine.decide_table(checked, options.as_of, options.assume)
        finally:
            session.catalog.dropTempView(view)
        special = (F.col("_row") < 0) | F.coalesce(F.col("_suspect"), F.lit(False))
        chosen = F.lit(True)
        if options.outcomes is not None:
            chosen = chosen & F.col("outcome").isin(sorted(options.outcomes))
        if options.hide_not_in_force:
            chosen = chosen & (F.col("outcome") != F.lit("not_in_force"))
        if options.agreements is not None:
            chosen = chosen & F.col("agreement").isin(list(options.agreements))
        first = self.engine.sql_program.agreements[0].name
        return decided.select(F.abs(F.col("_row")).alias("_row"), special.alias("_special"),
                              *[F.col(f"`{c}`") for c in DECISION_COLUMNS]).where(
            F.when(F.col("_special"), F.col("agreement") == F.lit(first)).otherwise(chosen))

    def run(self, stats, events) -> bool:
        """Spark's job first, into a temporary folder (removed after); then the rows,
        in order, to the sink. False when Spark's job failed (nothing was written: the
        batch path then takes the run)."""
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        session = self.engine.session
        folder = tempfile.mkdtemp(prefix="rulelang-spark-")
        # a task per few row groups: Spark's default (one per 4 MB at least) leaves one
        # core idle on a small file, and gives a progress bar few steps on a large one
        size = os.path.getsize(self.reader.path)
        split = max(1 << 20, min(_SPLIT_BYTES, size // (4 * session.sparkContext.defaultParallelism)))
        previous = session.conf.get("spark.sql.files.maxPartitionBytes")
        session.conf.set("spark.sql.files.maxPartitionBytes", str(split))
        try:
            try:
                _with_progress(session, lambda: self.decisions(session).write.mode("overwrite").parquet(
                    os.path.join(folder, "decisions")), lambda done: events.share(done * _SPARK_SHARE))
            except (PySparkException, Py4JError):
                return False
            finally:
                session.conf.set("spark.sql.files.maxPartitionBytes", previous)
            total = max(self.reader.total, 1)
            for rows in _in_order(os.path.join(folder, "decisions")):
                self._deliver(rows, stats, events)
                if len(rows):
                    done = rows.column("_row")[-1].as_py() / total
                    events.share(_SPARK_SHARE + (1 - _SPARK_SHARE) * min(done, 1.0))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.reader.records = self.reader.total
        stats.records += self.reader.records
        if hasattr(self.sink, "bulk_records"):
            self.sink.bulk_records(self.reader.records - self.in_python)
        return True


def _with_progress(session, job, share) -> None:
    """Run `job` (a Spark action) in a thread of its own, telling `share` the share of
    its tasks done four times a second; Ctrl-C cancels it."""
    context = session.sparkContext
    group = f"rulelang-{uuid.uuid4().hex}"
    failed: list = []

    def execute() -> None:
        context.setJobGroup(group, "rulelang run", interruptOnCancel=True)
        try:
            job()
        except BaseException as error:     # handed to the caller's thread
            failed.append(error)

    worker = threading.Thread(target=execute, name="rulelang-spark", daemon=True)
    worker.start()
    tracker = context.statusTracker()
    try:
        while worker.is_alive():
            worker.join(0.25)
            stages = [tracker.getStageInfo(s) for job_id in tracker.getJobIdsForGroup(group)
                      for s in (tracker.getJobInfo(job_id).stageIds if tracker.getJobInfo(job_id) else ())]
            stages = [s for s in stages if s is not None and s.numTasks]
            if stages:
                share(sum(s.numCompletedTasks for s in stages) / sum(s.numTasks for s in stages))
    except BaseException:       # Ctrl-C: Spark stops the job, then the run stops
        context.cancelJobGroup(group)
        worker.join()
        raise
    if failed:
        raise failed.pop()      # not kept: the list is a local of the frames it passed through


def _in_order(folder: str):
    """The rows of the Parquet files Spark wrote in `folder`, in `_row` order, a batch at
    a time. Each file is one task's rows, in order (a task reads one run of the input's
    row groups); the files are taken by their first row."""
    import pyarrow.parquet as pq

    files = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".parquet"):
            with pq.ParquetFile(os.path.join(folder, name), pre_buffer=False) as parquet:
                if parquet.metadata.num_rows:
                    first = parquet.read_row_group(0, columns=["_row"]).column(0)[0].as_py()
                    files.append((first, os.path.join(folder, name)))
    files.sort(key=lambda pair: pair[0])
    last = 0
    # one file open at a time, not pre-buffered: pyarrow keeps what it has read of a
    # pre-buffered file until the file is closed (10M records' delivery grew by 0.9 GB)
    for _, path in files:
        with pq.ParquetFile(path, pre_buffer=False) as parquet:
            for batch in parquet.iter_batches(batch_size=_ROWS):
                rows = batch.column("_row")
                if rows[0].as_py() < last or not _ascending(rows):
                    raise RuntimeError("the Spark job's decisions are not in row order")  # a bug: see the notes
                last = rows[-1].as_py()
                yield batch


def _ascending(rows) -> bool:
    import pyarrow.compute as pc

    return len(rows) < 2 or pc.all(pc.greater_equal(rows.slice(1), rows.slice(0, len(rows) - 1))).as_py()


class _InputRows(_Reader):
    """The input's rows as the Python reader reads them, for the records Spark leaves to
    Python: read with pyarrow in step with the decisions (they come in row order)."""

    def __init__(self, source, path: str) -> None:
        super().__init__(source)
        self.path = path
        self.parquet, self.columns, _ = source.parquet
        self.types = {c: self.parquet.schema_arrow.field(c).type for c in self.columns}
        self.total = self.parquet.metadata.num_rows
        self.reached = 0            # rows read so far
        self._batches = None

    def raw(self, row: int):
        while self.reached < row:
            if self._batches is None:
                self._batches = self.parquet.iter_batches(batch_size=_PARQUET_ROWS, columns=self.columns)
            batch = next(self._batches)
            self.kept.append((self.reached + 1, self.reached + batch.num_rows, batch))
            self.reached += batch.num_rows
        return super().raw(row)

    def raw_of(self, batch, first: int, row: int):
        return parquet_row(batch, row - first, row)
