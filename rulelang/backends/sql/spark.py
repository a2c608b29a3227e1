"""Run the compiled SQL on Apache Spark: the engine for records past one machine.

`SparkEngine(program, fallback)` compiles the policy to Spark SQL once. Two
ways in:

- `decide_table(df, as_of, assume)` stays in Spark — the analyst's path: a
  DataFrame of records (a column per field of the input record type) in, a
  DataFrame of decisions out, one row per (record, agreement).
- `decide_batch(records, as_of, assume)` takes validated records (the values
  records.validate gives) as DuckDBEngine does, runs one Spark job for the
  batch and returns, for each record, its list of Decisions — the same, field
  for field, as the interpreter's — or the EvaluationError deciding it raises.

Rows the SQL marks `_suspect`, and agreements the SQL compiler does not map,
are decided by the Python backend (`fallback`), as on DuckDB. pyspark is
imported only when an engine is made (`pip install 'rulelang[spark]'`).
"""

from __future__ import annotations

import datetime as _dt
import uuid
from decimal import Decimal

from sqlglot import exp

from rulelang import runtime as R
from rulelang.backends.sql.compile import SqlProgram, compile_sql
from rulelang.backends.sql.duckdb import (_NotRepresentable, arrow_type, collect_decisions, complete_in_python,
                                          to_arrow_value)
from rulelang.core import ir
from rulelang.errors import detached
from rulelang.semantics import types as T

DECIMAL_PLACES = 18   # the scale of DECIMAL(38, 18), as on DuckDB


def spark_session(master: str = "local[*]", app_name: str = "rulelang", **conf):
    """A Spark session for running policies (made, or the active one reused): quiet
    logging, no web UI and, for local runs, few shuffle partitions. `conf` adds or
    overrides Spark settings.

    Two optimizer rules are turned off; they cost tens of seconds on a policy's query
    and buy nothing here: ConvertToLocalRelation would evaluate the whole query in the
    driver, uncompiled, whenever the records are a local relation (`decide_batch`), and
    InferFiltersFromGenerate adds a filter on the size of each row's decisions.

    Whole-stage code generation is kept for rows of many fields: Spark gives it up past
    100 fields (nested ones counted), and the shipped library's input record has more;
    each projection then copies every field into a new row, once per stage of the query
    (measured, `stdlib:all` over 30,000 records on 2 cores: 70.6 s to run the query
    with the limit of 100, under 28.5 s without it, planning included)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(app_name)
    settings = {"spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.execution.arrow.pyspark.enabled": "true",
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.codegen.maxFields": "100000",
                "spark.sql.optimizer.excludedRules": ",".join(
                    f"org.apache.spark.sql.catalyst.optimizer.{rule}"
                    for rule in ("ConvertToLocalRelation", "InferFiltersFromGenerate"))}
    if master.startswith("local"):
        settings["spark.sql.shuffle.partitions"] = "4"
    settings.update(conf)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    _quiet_code_generation(session)
    return session


def _quiet_code_generation(session) -> None:
    """A stage whose generated Java passes 64 KB (the shipped library's query has one)
    runs without generated code; Spark logs the compiler's failure as an ERROR, with a
    Java trace, on stderr, among the run's own messages, and goes on. Not logged."""
    from py4j.protocol import Py4JError

    try:
        log4j = session._jvm.org.apache.logging.log4j
        log4j.core.config.Configurator.setLevel(
            "org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator", log4j.Level.OFF)
    except (AttributeError, Py4JError):     # another logging library: its messages stay
        pass


def spark_type(t: T.Type):
    """The Spark column type of a rulelang type (as the SQL dialect reads it)."""
    from pyspark.sql import types as S

    t = T.strip(t)
    if t == T.BOOL:
        return S.BooleanType()
    if t == T.INT:
        return S.LongType()
    if t == T.DECIMAL:
        return S.DecimalType(38, DECIMAL_PLACES)
    if t in (T.TEXT, T.COUNTRY) or isinstance(t, T.EnumType):
        return S.StringType()
    if t == T.DATE:
        return S.DateType()
    if t == T.DURATION:
        return S.StructType([S.StructField("months", S.LongType()), S.StructField("days", S.LongType())])
    if isinstance(t, (T.ListType, T.SetType)):
        elem = t.elem if not isinstance(t.elem, T.Nothing) else T.TEXT
        return S.ArrayType(spark_type(elem), containsNull=True)
    if isinstance(t, T.RecordType):
        return S.StructType([S.StructField(name, spark_type(ft), nullable=True)
                             for name, ft in t.fields.items()])
    raise TypeError(f"no Spark type for {t}")


class SparkEngine:
    """A policy compiled to Spark SQL once, run on a Spark session."""

    dialect = "spark"

    def __init__(self, program: ir.Program, fallback=None, session=None) -> None:
        self.program = program
        self.sql_program: SqlProgram = compile_sql(program, self.dialect)
        self.fallback = fallback          # CompiledProgram (Python) for suspect rows
        self._session = session
        self.fields = list(program.input_type.fields.items())
        self._queries: dict = {}

    @property
    def session(self):
        if self._session is None:
            self._session = spark_session()
        return self._session

    @property
    def unsupported(self) -> dict:
        return self.sql_program.unsupported

    def schema(self):
        """The Spark schema of a DataFrame of records: `_row` (long), then a column per
        field of the input record type."""
        from pyspark.sql import types as S

        return S.StructType([S.StructField("_row", S.LongType(), nullable=False)] +
                            [S.StructField(name, spark_type(t), nullable=True) for name, t in self.fields])

    def source(self, table: str, as_of: _dt.date | None = None, assume: str | None = None) -> exp.Expression:
        """The relation the query reads: the records, the as-of date of each (`_d`: `as_of`,
        or the record's own as-of field) and whether in force is assumed (`_assume`)."""
        as_of_field = exp.column(self.program.as_of_field, quoted=True)
        day = exp.cast(exp.Literal.string(as_of.isoformat()), "DATE") if as_of else as_of_field
        assumed = exp.true() if assume == "in_force" else exp.false()
        return exp.select(exp.Star(), exp.alias_(day, "_d"), exp.alias_(assumed, "_assume")
                          ).from_(exp.to_table(table))

    def to_sql(self, as_of=None, assume=None, table: str = "cases", pretty: bool = True) -> str:
        """The Spark SQL query, for a person to read and audit."""
        return self.sql_program.sql(self.source(table, as_of, assume), pretty=pretty)

    def query(self, table: str, as_of=None, assume=None) -> str:
        key = (table, as_of, assume)
        if key not in self._queries:
            self._queries[key] = self.sql_program.sql(self.source(table, as_of, assume), pretty=False)
        return self._queries[key]

    # ---- in Spark ---------------------------------------------------------------------------

    def decide_table(self, df, as_of: _dt.date | None = None, assume: str | None = None):
        """The decisions of a DataFrame of records, as a DataFrame (lazy, like any other):
        one row per (record, root agreement the SQL maps), with `_row`, `_suspect` and the
        decision columns (compile.DECISION_COLUMNS; `exceptions`, `missing` arrays of
        text, `unestablished` an array of (exception, facts) structs).

        `df` has a column per field of the input record type, typed as `schema()` says
        (an unknown fact is NULL; a column missing for an optional field counts as all
        NULL; other columns are ignored), and `_row`, the record's key — if it has none,
        Spark gives each record an id (unique, not consecutive). Its values must be
        valid records, as `records.validate` checks them (enum members, country codes,
        integers within 10^18): this does not check them again. Sets may come in any
        order, with repeats.

        Where `_suspect` is true, the SQL may differ from the interpreter for that
        record (decimal arithmetic, an integer past 64 bits, a conflict of exceptions,
        a date past year 9999): do not use its rows as they are. At cluster scale,
        keep `decisions.where(~F.col("_suspect"))`, and decide again, in Python, the
        records with a suspect row — for the shipped agreements few, as none computes
        with decimals: `df.join(decisions.where("_suspect").select("_row").distinct(),
        "_row", "left_semi")`, collected to the driver and passed to `decide_rows`
        (or, for a policy where many rows are suspect, in a `mapInArrow` whose workers
        load the policy and call the same). Agreements in `unsupported` (none of the
        shipped ones) have no rows here at all; they are decided that way for every
        record."""
        records = self._records(df)
        view = f"_rulelang_{uuid.uuid4().hex}"
        records.createOrReplaceTempView(view)
        try:
            # the view is resolved as the query is analysed, so it can go at once
            return records.sparkSession.sql(self.query(view, as_of, assume))
        finally:
            records.sparkSession.catalog.dropTempView(view)

    def _records(self, df):
        """`_row` and the fields of the input record type, sets sorted and distinct as the
        SQL expects them."""
        from pyspark.sql import functions as F

        columns = [F.col("_row") if "_row" in df.columns else F.monotonically_increasing_id().alias("_row")]
        for name, t in self.fields:
            if name in df.columns:
                columns.append(_canonical(F.col(f"`{name}`"), t).alias(name))
            elif T.is_optional(t):
                columns.append(F.lit(None).cast(spark_type(t)).alias(name))
            else:
                raise ValueError(f"the records have no column `{name}`, a required field of "
                                 f"`{self.program.input_type.name}`")
        return df.select(*columns)

    def decide_rows(self, rows, as_of=None, assume=None) -> list:
        """Decide in Python records read from Spark (Rows, e.g. `collect()`ed, or dicts
        with the fields of the input record type, NULL for an unknown fact), every
        agreement: for each, its Decisions, or the EvaluationError deciding it raises."""
        out = []
        for row in rows:
            data = row.asDict(recursive=True) if hasattr(row, "asDict") else row
            value = _record_from_spark(data, self.program.input_type, "")
            try:
                out.append(self.fallback(value, as_of, assume, None))
            except R.EvaluationError as error:   # the interpreter's error, for this record
                out.append(detached(error))
        return out

    # ---- from Python ------------------------------------------------------------------------

    def records_frame(self, records: list[dict]):
        """(a DataFrame of the records SQL can hold, with `_row` the index in `records`; the
        indexes of those it cannot: a decimal with more than 18 places)."""
        import pyarrow as pa

        columns = {name: [] for name, _ in self.fields}
        rows, in_python = [], []
        for index, record in enumerate(records):
            try:
                values = [to_arrow_value(record[name], t) for name, t in self.fields]
            except _NotRepresentable:
                in_python.append(index)
                continue
            for (name, _), value in zip(self.fields, values):
                columns[name].append(value)
            rows.append(index)
        table = pa.table({"_row": pa.array(rows, pa.int64()),
                          **{name: pa.array(columns[name], arrow_type(t)) for name, t in self.fields}})
        return self.session.createDataFrame(table, schema=self.schema()), in_python

    def decide_batch(self, records: list[dict], as_of=None, assume=None) -> list:
        """For each record, its Decisions, or the EvaluationError deciding it raises."""
        out: list = [[] for _ in records]
        suspect, in_python = set(), []
        if records:
            frame, in_python = self.records_frame(records)
            suspect = collect_decisions(self.decide_table(frame, as_of, assume).toArrow(), out)
        for index in list(suspect) + in_python:
            out[index] = None
        complete_in_python(self, records, out, as_of, assume)
        return out


def _holds_set(t: T.Type) -> bool:
    t = T.strip(t)
    if isinstance(t, T.SetType):
        return True
    if isinstance(t, T.ListType):
        return _holds_set(t.elem)
    if isinstance(t, T.RecordType):
        return any(_holds_set(ft) for ft in t.fields.values())
    return False


def _canonical(column, t: T.Type):
    """A column of type `t` with every set in it sorted and without repeats: the SQL
    compares sets as arrays."""
    from pyspark.sql import functions as F

    t = T.strip(t)
    if not _holds_set(t):
        return column
    if isinstance(t, T.SetType):
        items = F.transform(column, lambda x: _canonical(x, t.elem)) if _holds_set(t.elem) else column
        return F.array_sort(F.array_distinct(items))
    if isinstance(t, T.ListType):
        return F.transform(column, lambda x: _canonical(x, t.elem))
    fields = F.struct(*[_canonical(column[name], ft).alias(name) for name, ft in t.fields.items()])
    return F.when(column.isNull(), F.lit(None)).otherwise(fields)


def _record_from_spark(data: dict, record_type: T.RecordType, prefix: str) -> dict:
    """A record read from Spark as the value records.validate would give for it (an
    unknown field: Unknown, naming its path as validation does)."""
    return {name: _from_spark(data.get(name), t, prefix + name) for name, t in record_type.fields.items()}


def _from_spark(value, t: T.Type, path: str):
    if value is None:
        if not T.is_optional(t):
            raise ValueError(f"`{path}` is NULL, but it is a required field")
        return R.Unknown(frozenset({path}))
    t = T.strip(t)
    if isinstance(t, T.RecordType):
        return _record_from_spark(value, t, path + ".")
    if isinstance(t, (T.ListType, T.SetType)):
        items = [_from_spark(item, t.elem, f"{path}[{i}]") for i, item in enumerate(value)]
        return tuple(items) if isinstance(t, T.ListType) else frozenset(items)
    if t == T.DECIMAL:
        return Decimal(value)
    if t == T.DURATION:
        return R.Duration(value["months"], value["days"])
    return value
