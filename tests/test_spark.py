"""The SQL backend on Apache Spark (local mode) against the reference interpreter.

The same differential tests as tests/test_sql.py — the shipped agreements and
generated programs with generated records, the corners of NULL logic — on
smaller samples (each batch is one Spark job, and Spark plans a query in
seconds, not milliseconds), plus what is Spark's own: month arithmetic at
month ends, and queries that cannot stop on one record under ANSI mode.
Every test shares one Spark session.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyspark", reason="pyspark is in the test extra: pip install '.[test]'")

import rulelang  # noqa: E402
from rulelang.backends.sql.dialects import SparkDialect  # noqa: E402
from rulelang.backends.sql.spark import SparkEngine, spark_session  # noqa: E402
from rulelang.records import validate_dict  # noqa: E402
from rulelang.runtime import EvaluationError  # noqa: E402
from sqlglot import exp  # noqa: E402

from program_strategies import programs  # noqa: E402
from record_strategies import DATES, record_of  # noqa: E402
from test_sql import CORNERS, LISTS, WAITED, WAITED_RECORDS, interpreted, list_records  # noqa: E402

SCALE = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 1


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    yield session
    session.stop()


def engine_for(policy, spark) -> SparkEngine:
    return SparkEngine(policy.program, policy.compiled.decide, spark)


def on_spark(engine, values, as_of, assume):
    out = []
    for result in engine.decide_batch(values, as_of, assume):
        if isinstance(result, EvaluationError):
            out.append(("error", result.code))
        else:
            out.append([d.to_json(trace=False) for d in result])
    return out


def check_batch(policy, engine, records, as_of, assume):
    values = [validate_dict(r, policy.program.input_type).value for r in records]
    expected = [interpreted(policy.program, v, as_of, assume) for v in values]
    got = on_spark(engine, values, as_of, assume)
    for record, want, have in zip(records, expected, got):
        assert have == want, (record, as_of, assume)


@pytest.fixture(scope="module")
def stdlib(spark):
    policy = rulelang.load("stdlib:all")
    return policy, engine_for(policy, spark)


BATCHES, BATCH = 3 * SCALE, 100
CHUNK = 25    # records of stdlib:all's input type Hypothesis draws in one example


@pytest.fixture(scope="module")
def shipped_batches(stdlib):
    """BATCHES batches of BATCH records drawn by Hypothesis, each with its as-of date and
    assumption. Hypothesis holds one example's choices in a fixed buffer: 100 records of
    this type overrun it, and every example but the first (the smallest: 100 copies of
    one record with only its required fields) is thrown away. So the records are drawn
    CHUNK at a time, and the batches made of chunks."""
    policy, _ = stdlib
    chunks = []

    @settings(max_examples=BATCHES * BATCH // CHUNK, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(records=st.lists(record_of(policy.program.input_type), min_size=CHUNK, max_size=CHUNK),
           as_of=st.one_of(st.none(), DATES), assume=st.sampled_from([None, "in_force"]))
    def draw(records, as_of, assume):
        chunks.append((records, as_of, assume))

    draw()
    per_batch = BATCH // CHUNK
    return [([r for records, _, _ in chunks[n:n + per_batch] for r in records], *chunks[n][1:])
            for n in range(0, len(chunks), per_batch)]


@pytest.mark.parametrize("batch", range(BATCHES))
def test_spark_equals_interpreter_on_the_shipped_agreements(stdlib, shipped_batches, batch):
    policy, engine = stdlib
    assert not engine.unsupported, engine.unsupported
    records, as_of, assume = shipped_batches[batch]
    assert len(records) == BATCH and len({repr(r) for r in records}) > BATCH // 2
    check_batch(policy, engine, records, as_of, assume)


@settings(max_examples=40 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_spark_equals_interpreter_on_generated_programs(spark, data):
    source = data.draw(programs(), label="program")
    policy = rulelang.load(source)
    engine = engine_for(policy, spark)
    records = data.draw(st.lists(record_of(policy.program.input_type), min_size=12, max_size=12),
                        label="records")
    as_of = data.draw(st.one_of(st.none(), DATES), label="as_of")
    assume = data.draw(st.sampled_from([None, "in_force"]), label="assume")
    check_batch(policy, engine, records, as_of, assume)


# ---- the corners of NULL logic (tests/test_sql.py's), one batch per run ------------------------

CORNER_RECORDS = [
    {"items": []},                                         # `all` over an empty list is true
    {"items": [{"kind": "red"}]},                          # unknown inside a list: all unknown
    {"items": [{"kind": "red", "n": 1}, {"kind": "green"}]},   # false and unknown: all false
    {"items": [{"kind": "red", "n": 9}, {"kind": "green"}]},   # any: true beats unknown
    {"numbers": [1, 2], "i": 3},                           # NOT IN without NULLs
    {"numbers": [1, 2]},                                   # NOT IN with an unknown item: unknown
    {"kinds": []}, {"kinds": ["red"]},
    {"day": "2024-01-31"}, {"day": "2023-01-31"}, {"day": "2024-01-29"},   # month ends
    {"x": "10.49999999999999999"}, {"x": "10.5"},          # decimals near a boundary
    {"i": 10**18}, {"i": -(10**18)}, {"i": 333333333333333333},           # 64-bit limits
]
RUNS = [(None, None), (_dt.date(2030, 1, 1), "in_force")]


@pytest.fixture(scope="module")
def corners(spark):
    """Each run's decisions of every corner record, from one Spark job, and the
    interpreter's."""
    policy = rulelang.load(CORNERS)
    engine = engine_for(policy, spark)
    records = [{"id": "c", "claim_date": "2024-05-01", **r} for r in CORNER_RECORDS]
    values = [validate_dict(r, policy.program.input_type).value for r in records]
    return {run: (on_spark(engine, values, *run), [interpreted(policy.program, v, *run) for v in values])
            for run in RUNS}


@pytest.mark.parametrize("run", RUNS, ids=["own-date", "2030-assumed"])
@pytest.mark.parametrize("index", range(len(CORNER_RECORDS)),
                         ids=[repr(r)[:40] for r in CORNER_RECORDS])
def test_corners_of_null_logic(corners, run, index):
    have, want = corners[run]
    assert have[index] == want[index], CORNER_RECORDS[index]


@pytest.mark.parametrize("assume", [None, "in_force"])
def test_a_decisions_lists_are_the_interpreters(spark, tmp_path, assume):
    """The lists built without lambdas (Spark's `concat` is NULL if a list is: each
    one-item list has an empty ELSE)."""
    path = tmp_path / "lists.rules"
    path.write_text(LISTS, encoding="utf-8")
    policy = rulelang.load(str(path))
    check_batch(policy, engine_for(policy, spark), list_records(), None, assume)


# ---- what is Spark's own ------------------------------------------------------------------------

def test_a_duration_read_from_the_record_is_decided_as_by_the_interpreter(spark):
    """Durations in the input record reach Spark as STRUCT<months, days> (in lists and
    records too), and come back from it to Python for the records it leaves there."""
    policy = rulelang.load(WAITED)
    check_batch(policy, engine_for(policy, spark), WAITED_RECORDS, None, None)


def test_month_arithmetic_is_relativedeltas(spark):
    """Spark's add_months against python-dateutil, which the interpreter uses, on every
    day of 2023-2026 (two Februaries of 28 days, one of 29) shifted by -25..25 months:
    the end of a month is not kept (28 Feb + 1 month = 28 Mar), a day past the end of
    the target month is clipped (31 Jan + 1 month = 29 Feb 2024)."""
    from dateutil.relativedelta import relativedelta
    from pyspark.sql import functions as F

    dialect = SparkDialect()
    days = [_dt.date(2023, 1, 1) + _dt.timedelta(days=n) for n in range(4 * 365 + 1)]
    frame = spark.createDataFrame([(d,) for d in days], "d date").crossJoin(
        spark.range(-25, 26).select(F.col("id").alias("m")))
    shifted = dialect.add_months(exp.column("d"), exp.column("m")).sql(dialect.name)
    got = {(row.d, row.m): row.s for row in frame.selectExpr("d", "m", f"{shifted} AS s").collect()}
    assert len(got) == len(days) * 51
    wrong = [(d, m, s) for (d, m), s in got.items() if s != d + relativedelta(months=m)]
    assert not wrong, wrong[:10]
    assert got[(_dt.date(2024, 2, 28), 1)] == _dt.date(2024, 3, 28)
    assert got[(_dt.date(2024, 1, 31), 1)] == _dt.date(2024, 2, 29)


SHIFTS = """
record Case { id: text, claim_date: date, i: int?, j: int?, x: decimal?, y: decimal?, day: date? }
input case: Case as_of claim_date
agreement shifts "dates moved far, and decimals divided by zero" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "t" }
  applies when {
    case.claim_date + case.i * 1 day > 2000-01-01 cite "a"
    case.claim_date - case.j * 1 month < 2100-01-01 cite "b"
    case.day + 1 month - 1 day >= case.claim_date cite "c"
    case.x / case.y < 3.5 cite "d"
  }
}
"""
BASE = {"id": "s", "claim_date": "2024-05-01"}
LAST_DAY = 2913052       # days from 2024-05-01 to 9999-12-31
FIRST_MONTH = 24280      # months from 0001-01 to 2024-05


@pytest.mark.parametrize("ansi", ["true", "false"])
def test_no_record_stops_the_query(spark, ansi):
    """Under ANSI mode (Spark 4's default) Spark raises for the whole job where a value
    overflows or a divisor is zero; the SQL never asks it to, in either mode. Dates moved
    to the ends of years 1..9999 are decided in SQL; a division by zero, and dates moved
    past them (by more days or months than an INT holds, too), leave the row suspect,
    for the Python backend."""
    policy = rulelang.load(SHIFTS)
    engine = engine_for(policy, spark)
    in_range = [{**BASE, "i": i} for i in (0, 1, LAST_DAY, -LAST_DAY // 4)] + [
        {**BASE, "j": j} for j in (0, 5, FIRST_MONTH, -90000)] + [
        {**BASE, "day": day} for day in ("2024-02-29", "2024-03-31", "9999-11-30")] + [
        {**BASE, "x": "1", "y": "0"}, {**BASE, "x": "7", "y": "2"}, {**BASE, "x": "7"}]
    beyond = [{**BASE, "i": i} for i in (LAST_DAY + 1, 4_000_001, 10**10, 10**18, -(10**18))] + [
        {**BASE, "j": j} for j in (FIRST_MONTH + 1, -96000, 10**10, 10**18, -(10**18))] + [
        {**BASE, "day": "9999-12-31"}]
    previous = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", ansi)
    try:
        check_batch(policy, engine, in_range, None, None)
        frame, _ = engine.records_frame([validate_dict(r, policy.program.input_type).value for r in beyond])
        suspect = {row._row: row._suspect for row in engine.decide_table(frame).collect()}
    finally:
        spark.conf.set("spark.sql.ansi.enabled", previous)
    assert suspect == {n: True for n in range(len(beyond))}


def test_decide_table_stays_in_spark(spark):
    """The analyst's path: a DataFrame of records in, a DataFrame of decisions out, one
    row per (record, agreement), with `_row` given where the records have none."""
    from pyspark.sql import functions as F

    policy = rulelang.load(CORNERS + """
agreement second "a second agreement" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "t" }
  applies when { case.i > 2 cite "i" }
}
""")
    engine = engine_for(policy, spark)
    frame, _ = engine.records_frame([validate_dict({"id": f"c{n}", "claim_date": "2024-05-01", "i": n},
                                                   policy.program.input_type).value for n in range(5)])
    decisions = engine.decide_table(frame.drop("_row"))
    assert decisions.columns[:2] == ["_row", "_suspect"]
    assert tuple(decisions.columns[2:]) == ("case", "agreement", "as_of", "status", "outcome", "returns_to",
                                            "exceptions", "missing", "unestablished", "assumed")
    rows = decisions.where(F.col("agreement") == "second").orderBy("case").collect()
    assert [r.outcome for r in rows] == ["not_applicable"] * 3 + ["applies"] * 2
    assert decisions.select("_row").distinct().count() == 5
    assert decisions.count() == 10


SETS = """
enum Kind { red, green, blue }
record Item { kind: Kind, tags: set<Kind>? }
record Case { id: text, claim_date: date, kinds: set<Kind>?, items: list<Item>?, note: text? }
input case: Case as_of claim_date
agreement sets "sets compared, however they come" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "t" }
  applies when {
    case.kinds == {red, green} cite "a"
    any it in case.items: it.tags == {blue, red} cite "b"
  }
}
"""


def test_an_analysts_table_as_it_comes(spark):
    """A table made by hand, not by the engine: sets in any order and with repeats (the
    SQL compares sets as sorted arrays), a column missing for an optional field, an
    extra column, no `_row`."""
    policy = rulelang.load(SETS)
    engine = engine_for(policy, spark)
    rows = [("a", _dt.date(2024, 5, 1), ["green", "red", "green"], [("red", ["red", "blue", "red"])], "x"),
            ("b", _dt.date(2024, 5, 1), ["red", "green"], [("red", ["blue"]), ("blue", None)], None),
            ("c", _dt.date(2024, 5, 1), ["blue"], None, None),
            ("d", _dt.date(2024, 5, 1), None, [], None)]
    frame = spark.createDataFrame(rows, "id string, claim_date date, kinds array<string>, "
                                        "items array<struct<kind: string, tags: array<string>>>, extra string")
    got = {r.case: r.asDict(recursive=True) for r in engine.decide_table(frame).collect()}
    for id_, day, kinds, items, _ in rows:
        record = {"id": id_, "claim_date": day.isoformat(), "kinds": kinds,
                  "items": None if items is None else [{"kind": k, "tags": t} for k, t in items]}
        value = validate_dict({k: v for k, v in record.items() if v is not None},
                              policy.program.input_type).value
        [want] = interpreted(policy.program, value, None, None)
        have = {name: got[id_][name] for name in want}
        have["as_of"] = have["as_of"].isoformat()
        have["unestablished"] = [{"exception": u["exception"], "facts": u["facts"]} for u in have["unestablished"]]
        assert have == want, record


def test_suspect_rows_are_decided_again_in_python(spark):
    """The cluster-scale path for suspect rows: their records joined back by `_row`,
    collected, decided by the Python backend (`decide_rows`)."""
    from pyspark.sql import functions as F

    policy = rulelang.load(SHIFTS)
    engine = engine_for(policy, spark)
    records = [{**BASE, "x": "1", "y": "0"}, {**BASE, "x": "7", "y": "2"}, {**BASE, "x": "7"}, {**BASE, "i": 3}]
    values = [validate_dict(r, policy.program.input_type).value for r in records]
    frame, _ = engine.records_frame(values)
    decisions = engine.decide_table(frame)
    suspect = decisions.where("_suspect").select("_row").distinct()
    again = frame.join(suspect, "_row", "left_semi").orderBy("_row").collect()
    assert [row._row for row in again] == [0, 1]
    for row, result in zip(again, engine.decide_rows(again)):
        want = interpreted(policy.program, values[row._row], None, None)
        have = ("error", result.code) if isinstance(result, EvaluationError) else \
            [d.to_json(trace=False) for d in result]
        assert have == want
    kept = decisions.where(~F.col("_suspect")).select("_row").collect()
    assert sorted(row._row for row in kept) == [2, 3]


def test_the_spark_sql_holds_no_user_text(spark):
    import sqlglot

    text = '''
enum Kind { a, b }
record Case { id: text, claim_date: date, kind: Kind?, note: text? }
input case: Case as_of claim_date
agreement evil "'); DROP TABLE cases; --" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "'; DROP TABLE x; --" }
  applies when {
    case.note == "'); DROP TABLE cases; --" cite "x"
  }
  exception a when case.kind == a cite "y"
}
'''
    policy = rulelang.load(text)
    engine = engine_for(policy, spark)
    sql = engine.to_sql()
    statements = sqlglot.parse(sql, read="spark")
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    assert not list(statements[0].find_all(exp.Drop))
    assert "DROP TABLE x" not in sql
    record = {"id": "c", "claim_date": "2020-01-01", "kind": "a", "note": "'); DROP TABLE cases; --"}
    check_batch(policy, engine, [record], None, None)


def test_the_command_line_runs_on_spark(spark, tmp_path):
    """`rulelang run ... --engine spark --out FILE.parquet`: the Python engine's table,
    the bad record in its place (the session is the running one: local[2])."""
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from rulelang.cli import cli

    root = Path(__file__).resolve().parent.parent / "examples" / "cases"
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes((root / "sample.jsonl").read_bytes()[:4000].rsplit(b"\n", 1)[0]
                      + b'\n{"id": "bad", "claim_date": "2024-02-30"}\n')
    tables = {}
    for engine in ("python", "spark"):
        out = tmp_path / f"{engine}.parquet"
        done = CliRunner().invoke(cli, ["run", "stdlib:stca_us", str(cases), "--engine", engine,
                                         "--spark-master", "local[2]", "--out", str(out)])
        assert done.exit_code == 1, done.output     # 1: a record was invalid
        tables[engine] = pq.read_table(out)
    assert tables["spark"].equals(tables["python"])
    assert "2024-02-30" in tables["spark"].column("error_message").to_pylist()[-1]


# ---- a Parquet file read by Spark itself (batch/on_spark.py) ------------------------------------

FILES = """
enum Kind { red, green, blue }
record Item { kind: Kind, tags: set<Kind>?, n: int?, seen: date? }
record Case {
  id: text
  claim_date: date
  country: country?
  kinds: set<Kind>?
  items: list<Item>?
  i: int?
  flag: bool?
  note: text?
}
input case: Case as_of claim_date
agreement read "records as a Parquet file holds them" {
  returns_to CAN cite "r"
  timeline { 2000-01-01 in_force cite "t" }
  applies when {
    case.kinds == {red, green} cite "a"
    any it in case.items: it.n > 2 and blue in it.tags cite "b"
    case.i * case.i > 5 cite "c"
    case.country != MEX cite "d"
  }
  exception flagged when case.flag cite "e"
}
agreement second "a second agreement" {
  returns_to USA
  timeline { 2020-01-01 in_force cite "t" }
  applies when { any it in case.items: it.seen + 1 month > case.claim_date cite "f" }
}
"""


def _day(days: int):
    """A date32 value from days since 1970 (years past 9999 and before 1 included)."""
    import pyarrow as pa

    return pa.array([days], pa.int32()).cast(pa.date32())[0]


def write_cases(path, count: int, seed: int, extra_item_field: bool = False) -> None:
    """`count` random records of FILES's input type, written as typed Parquet columns,
    with the mistakes a Parquet file can hold: values outside an enum or the country
    codes, null required fields and list items, whole numbers past 10^18, dates past
    year 9999, text too long, and a column that is no field (and, if asked, a field in
    the items that Item has not)."""
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    item_fields = [("kind", pa.string()), ("tags", pa.list_(pa.string())), ("n", pa.int32()),
                   ("seen", pa.date32())] + ([("colour", pa.string())] if extra_item_field else [])
    schema = pa.schema([("id", pa.string()), ("claim_date", pa.date32()), ("country", pa.string()),
                        ("kinds", pa.list_(pa.string())), ("items", pa.list_(pa.struct(item_fields))),
                        ("i", pa.int64()), ("flag", pa.bool_()), ("note", pa.string()), ("region", pa.string())])
    kinds = ["red", "green", "blue"]

    def maybe(value, bad=None, p_null=0.2, p_bad=0.03):
        roll = rng.random()
        return None if roll < p_null else bad if roll < p_null + p_bad and bad is not None else value

    def item():
        if rng.random() < 0.02:
            return None                                              # a null item: an error
        # (9999-11-30, a month before the end, and the first day of year 1: the Python
        # engine fails, with a traceback, on a date past 9999 in a list of records, or on
        # a month added to 9999-12-31 inside `any`)
        seen = rng.choice([_day(rng.randrange(18000, 20000))] * 20 + [_day(2932865), _day(-719162)])
        value = {"kind": maybe(rng.choice(kinds), "pink", 0.02), "seen": maybe(seen),
                 "tags": maybe(rng.choices(kinds, k=rng.randrange(4)), ["blue", None]),
                 "n": maybe(rng.randrange(-3, 6))}
        if extra_item_field:
            value["colour"] = maybe("grey", p_null=0.5)
        return value

    rows = []
    for n in range(count):
        rows.append({
            "id": maybe(f"c{n}", "x" * 100_001, p_null=0.01, p_bad=0.01),
            "claim_date": maybe(_day(rng.randrange(17000, 21000)), rng.choice([_day(2932897), _day(-719163)]),
                                p_null=0.01, p_bad=0.01),
            "country": maybe(rng.choice(["MEX", "CAN", "GTM"]), rng.choice(["XXX", "mex", ""])),
            "kinds": maybe(rng.choices(kinds, k=rng.randrange(4)), ["red", "purple"]),
            "items": maybe([item() for _ in range(rng.randrange(3))]),
            "i": maybe(rng.choice([0, 2, -3, 10**9, 10**18, -(10**18)]), rng.choice([10**18 + 1, -(2**63)])),
            "flag": maybe(rng.random() < 0.2),
            "note": maybe(rng.choice(["é", "a\x1fb", "plain", ""])),
            "region": "north"})
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=37)


def run_cli(args):
    from click.testing import CliRunner

    from rulelang.cli import cli

    return CliRunner().invoke(cli, ["run", *args])


@pytest.mark.parametrize("extra_item_field", [False, True], ids=["typed", "unknown-item-field"])
def test_a_parquet_file_read_by_spark_is_the_python_engines(spark, tmp_path, monkeypatch, extra_item_field):
    """`run --engine spark` from a Parquet file to a Parquet file: Spark reads, checks and
    decides the file in one job, and the output is the Python engine's, table for table,
    with the same errors, warnings and notes on stderr (each bad record in its place,
    suspect records decided by Python), with and without the filters of the options."""
    import pyarrow.parquet as pq

    from rulelang.batch import on_spark

    policy_file = tmp_path / "files.rules"
    policy_file.write_text(FILES)
    cases = tmp_path / "cases.parquet"
    write_cases(cases, 160, seed=7 + extra_item_field, extra_item_field=extra_item_field)
    took: list = []
    original = on_spark.SparkRun.run
    monkeypatch.setattr(on_spark.SparkRun, "run", lambda self, *a: took.append(original(self, *a)) or took[-1])
    for options in ([], ["--agreement", "second", "--outcome", "applies,not_applicable", "--as-of", "2030-01-01",
                         "--assume", "in_force", "--hide-not-in-force"]):
        done = {}
        for engine in ("python", "spark"):
            out = tmp_path / f"{engine}.parquet"
            done[engine] = run_cli([str(policy_file), str(cases), "--engine", engine, "--spark-master", "local[2]",
                                    "--out", str(out), *options])
            assert done[engine].exception is None or isinstance(done[engine].exception, SystemExit), \
                done[engine].output
            done[engine] = (done[engine].exit_code, done[engine].output, pq.read_table(out))
        assert done["spark"][:2] == done["python"][:2]
        assert done["spark"][2].equals(done["python"][2])
        assert done["python"][0] == 1 and "RL0701" in done["python"][1]     # the file holds bad records
    assert took == [True, True]      # both went through Spark's own reading of the file


def test_writing_sparks_decisions_out_keeps_no_frames_alive(spark, tmp_path, frames_in_cycles):
    """The records Spark leaves to Python (the bad ones) are decided in their places
    while Spark's decisions are written out; their errors must leave no frame in a
    reference cycle (conftest.frames_in_cycles): each held the batch of decision rows
    under way, and a 1M-record run grew by 1.7 GB in that delivery."""
    import pyarrow.parquet as pq

    policy_file = tmp_path / "files.rules"
    policy_file.write_text(FILES)
    cases = tmp_path / "cases.parquet"
    write_cases(cases, 160, seed=11)
    out = tmp_path / "spark.parquet"
    result, frames = frames_in_cycles(lambda: run_cli([str(policy_file), str(cases), "--engine", "spark",
                                                       "--spark-master", "local[2]", "--out", str(out)]))
    assert result.exit_code == 1 and "RL0701" in result.output     # the file holds bad records
    assert pq.read_table(out).num_rows > 160
    assert not frames, frames


def test_sparks_decisions_are_read_back_a_few_rows_at_a_time(tmp_path, monkeypatch):
    """The files of Spark's decisions are read back in row order one batch at a time,
    and a file read is let go: all of them were held open, each keeping what it had
    read (pre-buffered), and 10M records' delivery grew by 0.9 GB."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rulelang.batch import on_spark

    monkeypatch.setattr(on_spark, "_ROWS", 100)
    folder, size, rows = tmp_path / "decisions", 0, 1500
    folder.mkdir()
    for part in range(4):          # named against their row order: taken by their first row
        first = (3 - part) * rows + 1
        table = pa.table({"_row": pa.array(range(first, first + rows), pa.int64()),
                          "note": [os.urandom(1500).hex() for _ in range(rows)]})
        pq.write_table(table, folder / f"part-{part}.parquet", row_group_size=100, compression="none")
        size += (folder / f"part-{part}.parquet").stat().st_size
    order, held = [], []
    for batch in on_spark._in_order(str(folder)):
        order.extend(batch.column("_row").to_pylist())
        held.append(pa.total_allocated_bytes())
    assert order == list(range(1, 4 * rows + 1))
    assert size > 15_000_000 and max(held) < size / 2, (max(held), size)


def test_files_spark_might_read_otherwise_take_the_batch_path(tmp_path):
    """A column of a type Spark might read otherwise than pyarrow (an unsigned 64-bit
    integer, a decimal), names that differ only in case, a path Hadoop reads as a
    pattern: not read by Spark itself (no session is made to say so)."""
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    from rulelang.batch import Options, on_spark
    from rulelang.records import open_records
    from rulelang.records.write import ParquetWriter

    policy = rulelang.load(FILES)
    base = {"id": pa.array(["a"]), "claim_date": pa.array([19000], pa.int32()).cast(pa.date32())}
    files = {"unsigned.parquet": {**base, "i": pa.array([1], pa.uint64())},
             "decimal.parquet": {**base, "i": pa.array([Decimal(1)], pa.decimal128(5, 0))},
             "case.parquet": {**base, "ID": pa.array(["b"])},
             "cases[1].parquet": base}
    for name, columns in files.items():
        path = tmp_path / name
        pq.write_table(pa.table(columns), path)
        with open_records(str(path), None, policy.program.input_type) as source:
            sink = ParquetWriter(str(tmp_path / "out.parquet"))
            assert on_spark.plan(policy, source, sink, Options(engine="spark")) is None, name
