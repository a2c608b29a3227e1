"""What differs between the SQL engines: the names of list functions, lambdas,
the base of a list index, overflow-safe arithmetic, and the column types.

The compiler (compile.py) builds sqlglot expression trees through one Dialect
object and never names an engine's function itself; sqlglot writes the text.
"""

from __future__ import annotations

from sqlglot import exp, transforms
from sqlglot.dialects.spark import Spark

from rulelang.semantics import types as T


def call(name: str, *args) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


class Dialect:
    """DuckDB, the embedded default."""

    name = "duckdb"
    index_base = 1            # the first item of a list has index 1 in a lambda
    # facts kept in order by a test each (`pick`), not by a lambda over the list written
    # out: DuckDB calls a lambda per item, uncompiled
    facts_by_tests = True
    decimal_type = "DECIMAL(38, 18)"

    def lam(self, params: list[str], body: exp.Expression) -> exp.Lambda:
        return exp.Lambda(this=body, expressions=[exp.to_identifier(p) for p in params])

    def transform(self, items, params, body):
        return call("list_transform", items, self.lam(params, body))

    def filter(self, items, params, body):
        return call("list_filter", items, self.lam(params, body))

    def contains(self, items, item):
        return call("list_contains", items, item)

    def flatten(self, lists):
        return call("flatten", lists)

    UNESTABLISHED = "STRUCT(exception VARCHAR, facts VARCHAR[])"

    def concat(self, *lists, elem: str = "VARCHAR"):
        """Lists joined; a NULL list counts as empty."""
        lists = [x for x in lists if x is not None]
        if not lists:
            return self.empty_list(elem)
        if len(lists) == 1:
            return self.coalesce_list(lists[0], elem)
        return call("list_concat", *lists)

    def pick(self, entries, elem: str = "VARCHAR"):
        """The items of `entries` ((condition, item), in order) whose condition holds (a
        NULL condition does not), each item computed only there.

        One-item lists joined, written out with no lambda: `list_concat` skips a NULL
        list. Measured over 1M rows, one thread, 13 items: 0.30 s CPU, against 0.42 s for
        the positions kept by `list_filter` and read by `list_select` (a lambda called
        per position) and 0.31 s for `list_where` (which refuses a NULL in its mask)."""
        if not entries:
            return self.empty_list(elem)
        if len(entries) == 1:
            (test, item), = entries
            return exp.Case(ifs=[exp.If(this=test, true=self.make_list([item]))], default=self.empty_list(elem))
        return call("list_concat", *[exp.Case(ifs=[exp.If(this=test, true=self.make_list([item]))])
                                     for test, item in entries])

    def coalesce_list(self, items, elem: str = "VARCHAR"):
        return exp.Coalesce(this=items, expressions=[self.empty_list(elem)])

    def is_concat(self, e) -> bool:
        return isinstance(e, exp.Anonymous) and e.name.lower() in ("list_concat", "concat")

    def sort_distinct(self, items):
        return call("list_sort", call("list_distinct", items))

    def length(self, items):
        return call("len", items)

    def text_length(self, text):
        return call("length", text)

    def empty_list(self, elem_type: str):
        return exp.cast(exp.Array(expressions=[]), f"{elem_type}[]")

    def make_list(self, items):
        return exp.Array(expressions=list(items))

    def try_(self, expression):
        """The value, or NULL where computing it overflows."""
        return call("try", expression)

    # a date moved by more months or days than these cannot be in years 1..9999 whatever
    # it was, or may be brought back into them only by a count past the other one: the
    # count is clamped, so that it fits the INT the functions take (DuckDB's `to_days`
    # fails the whole query on a BIGINT past it), and the compiler marks the row suspect
    MAX_MONTHS = 360_000
    MAX_DAYS = 4_000_000

    def add_months(self, date, months):
        return exp.cast(exp.Add(this=date, expression=call("to_months", self._clamped_int(months, self.MAX_MONTHS))),
                        "DATE")

    def add_days(self, date, days):
        return exp.cast(exp.Add(this=date, expression=call("to_days", self._clamped_int(days, self.MAX_DAYS))),
                        "DATE")

    def _clamped_int(self, count, limit: int):
        """`count` as an INT within -limit..limit; NULL stays NULL (Spark's LEAST and
        GREATEST skip NULLs, so they cannot clamp)."""
        bound = exp.Literal.number(limit)
        return exp.cast(exp.Case(ifs=[exp.If(this=exp.GT(this=count, expression=bound), true=bound),
                                      exp.If(this=exp.LT(this=count, expression=exp.Neg(this=bound)),
                                             true=exp.Neg(this=bound))], default=count), "INT")

    def days_between(self, a, b):
        return exp.Sub(this=a, expression=b)

    def year(self, date):
        return call("year", date)

    def date_text(self, date):
        return exp.cast(date, "VARCHAR")

    def int_text(self, value):
        return exp.cast(value, "VARCHAR")

    def struct(self, fields: dict):
        return call("struct_pack", *[exp.PropertyEQ(this=exp.to_identifier(name), expression=value)
                                     for name, value in fields.items()])

    def field(self, struct, name: str):
        return exp.Dot(this=struct, expression=exp.to_identifier(name))

    def unnest_decisions(self, rows: exp.Select, columns) -> exp.Select:
        """One row per item of `_decisions` (a list of structs), its fields as columns."""
        item = exp.column("_item")
        inner = exp.select(exp.column("_row"), exp.column("_suspect"),
                           exp.alias_(call("unnest", exp.column("_decisions")), "_item")
                           ).from_(rows.subquery("_r", copy=False), copy=False)
        return exp.select(exp.column("_row"), exp.column("_suspect"),
                          *[exp.alias_(self.field(item, name), name, quoted=True) for name in columns]
                          ).from_(inner.subquery("_u", copy=False), copy=False)

    def sql_type(self, t: T.Type) -> str:
        t = T.strip(t)
        if t == T.BOOL:
            return "BOOLEAN"
        if t == T.INT:
            return "BIGINT"
        if t == T.DECIMAL:
            return self.decimal_type
        if t in (T.TEXT, T.COUNTRY) or isinstance(t, T.EnumType):
            return "VARCHAR"
        if t == T.DATE:
            return "DATE"
        if t == T.DURATION:
            return "STRUCT(months BIGINT, days BIGINT)"
        if isinstance(t, (T.ListType, T.SetType)):
            elem = t.elem if not isinstance(t.elem, T.Nothing) else T.TEXT
            return f"{self.sql_type(elem)}[]"
        if isinstance(t, T.RecordType):
            fields = ", ".join(f'"{n}" {self.sql_type(ft)}' for n, ft in t.fields.items())
            return f"STRUCT({fields})"
        raise TypeError(f"no SQL type for {t}")


class SparkSQL(Spark):
    """sqlglot's Spark dialect, writing the one operator whose Spark form can stop a
    query: under ANSI mode (Spark 4's default) `x / 0` raises for the whole job, so
    division is written `try_divide` (NULL on a zero divisor, as DuckDB gives a
    value). The compiler divides only decimals, and those rows are decided in Python."""

    class Generator(Spark.Generator):
        TRANSFORMS = {**Spark.Generator.TRANSFORMS,
                      exp.Div: lambda self, e: self.func("TRY_DIVIDE", e.this, e.expression),
                      # without sqlglot's `any_to_exists`: the compiler never writes `ANY`,
                      # and that rewrite searches the whole subtree of every SELECT, which
                      # for nested stages is quadratic (10 of the 11 s stdlib:all took)
                      exp.Select: transforms.preprocess([transforms.eliminate_qualify,
                                                         transforms.eliminate_distinct_on,
                                                         transforms.unnest_to_explode])}


class SparkDialect(Dialect):
    """Apache Spark SQL (3.4 and later; ANSI mode on or off): higher-order functions on
    arrays, 0-based lambda indexes, types written `ARRAY<T>` and `STRUCT<f: T>`.

    Where Spark's functions treat NULL otherwise than DuckDB's (which the compiler is
    written against), the dialect writes the DuckDB meaning out:

    - `array_contains` is NULL when the item is absent and the array holds a NULL;
      DuckDB's `list_contains` is false: `array_position(...) > 0` (0 when absent).
    - `array_distinct` keeps one NULL, `list_distinct` drops them: `array_compact` first.
    - `concat` and `flatten` are NULL if any list is; DuckDB skips NULL lists.
    - `size(NULL)` is -1 with ANSI mode off: `array_size` is NULL.
    - `date_add` and `add_months` take an INT, and Spark's dates reach far past year
      9999: the count is clamped (as for DuckDB), so no cast or addition can overflow
      (ANSI mode raises), and the compiler marks a row whose count was clamped suspect.

    Month arithmetic needs no adjustment: since Spark 3.0 `add_months` clips to the
    end of a shorter month and otherwise keeps the day (28 Feb + 1 month = 28 Mar,
    31 Jan + 1 month = 28/29 Feb), as python-dateutil's relativedelta does; Spark 2
    moved a month's last day to the target month's last day (tests/test_spark.py
    checks every day of four years against relativedelta).
    """

    name = "sparksql"          # SparkSQL above, registered with sqlglot by its class name
    index_base = 0
    # Spark 4 generates code for `filter` and `transform`; the tests and one-item arrays
    # measured no cheaper there (stdlib:all, 30,000 records, docs/performance.md)
    facts_by_tests = False
    decimal_type = "DECIMAL(38, 18)"
    UNESTABLISHED = "STRUCT<exception: STRING, facts: ARRAY<STRING>>"

    def transform(self, items, params, body):
        return call("transform", items, self.lam(params, body))

    def filter(self, items, params, body):
        return call("filter", items, self.lam(params, body))

    def contains(self, items, item):
        if _literal_list(items):
            return call("array_contains", items, item)
        return exp.Paren(this=exp.GT(this=call("array_position", items, item), expression=exp.Literal.number(0)))

    def concat(self, *lists, elem="STRING"):
        lists = [self.coalesce_list(x, elem) for x in lists if x is not None]
        if not lists:
            return self.empty_list(elem)
        return lists[0] if len(lists) == 1 else call("concat", *lists)

    def pick(self, entries, elem="STRING"):
        """The items whose condition holds, in order: one-item lists joined (Spark has no
        `list_select`; `array_compact` is a `filter` with a lambda)."""
        if not entries:
            return self.empty_list(elem)
        lists = [exp.Case(ifs=[exp.If(this=test, true=self.make_list([item]))], default=self.empty_list(elem))
                 for test, item in entries]
        return lists[0] if len(lists) == 1 else call("concat", *lists)

    def coalesce_list(self, items, elem="STRING"):
        if _never_null(items):
            return items
        return exp.Coalesce(this=items, expressions=[self.empty_list(elem)])

    def sort_distinct(self, items):
        if not _literal_list(items):
            items = call("array_compact", items)
        return call("array_sort", call("array_distinct", items))

    def flatten(self, lists):
        return call("flatten", call("array_compact", lists))

    def length(self, items):
        return call("array_size", items)

    def text_length(self, text):
        return call("char_length", text)

    def empty_list(self, elem_type):
        return exp.cast(exp.Array(expressions=[]), exp.DataType(
            this=exp.DataType.Type.ARRAY, expressions=[_spark_type(elem_type)], nested=True))

    def make_list(self, items):
        return exp.Array(expressions=list(items))

    def try_(self, expression):
        for kind, name in ((exp.Add, "try_add"), (exp.Sub, "try_subtract"), (exp.Mul, "try_multiply")):
            if isinstance(expression, kind):
                return call(name, expression.this, expression.expression)
        return expression

    def add_months(self, date, months):
        return call("add_months", date, self._clamped_int(months, self.MAX_MONTHS))

    def add_days(self, date, days):
        return call("date_add", date, self._clamped_int(days, self.MAX_DAYS))

    def days_between(self, a, b):
        return call("datediff", a, b)

    def date_text(self, date):
        return call("date_format", date, exp.Literal.string("yyyy-MM-dd"))

    def int_text(self, value):
        return exp.cast(value, "STRING")

    def struct(self, fields: dict):
        return call("named_struct", *[item for name, value in fields.items()
                                      for item in (exp.Literal.string(name), value)])

    def field(self, struct, name: str):
        return exp.Dot(this=struct, expression=exp.to_identifier(name, quoted=True))

    def unnest_decisions(self, rows: exp.Select, columns) -> exp.Select:
        """One row per item of `_decisions` (an array of structs whose fields are
        `columns`): `inline` makes each field a column."""
        return exp.select(exp.column("_row"), exp.column("_suspect"), call("inline", exp.column("_decisions"))
                          ).from_(rows.subquery("_r", copy=False), copy=False)

    def sql_type(self, t: T.Type) -> exp.DataType:
        return _spark_type(self._type_text(t))

    def _type_text(self, t: T.Type) -> str:
        t = T.strip(t)
        if t in (T.TEXT, T.COUNTRY) or isinstance(t, T.EnumType):
            return "STRING"
        if t == T.DURATION:
            return "STRUCT<months: BIGINT, days: BIGINT>"
        if isinstance(t, (T.ListType, T.SetType)):
            elem = t.elem if not isinstance(t.elem, T.Nothing) else T.TEXT
            return f"ARRAY<{self._type_text(elem)}>"
        if isinstance(t, T.RecordType):
            fields = ", ".join(f"`{n}`: {self._type_text(ft)}" for n, ft in t.fields.items())
            return f"STRUCT<{fields}>"
        return super().sql_type(t)


def _spark_type(text) -> exp.DataType:
    """A column type as a tree (Spark's `STRUCT<`name`: T>` is not sqlglot's default
    syntax, so a type is never left as text for the compiler's casts to re-read)."""
    return text if isinstance(text, exp.DataType) else exp.DataType.build(text, dialect="spark")


def _never_null(items) -> bool:
    """A list expression that cannot be NULL: written out, or coalesced to one that is."""
    if isinstance(items, exp.Cast):
        items = items.this
    if isinstance(items, exp.Coalesce):
        return _never_null(items.expressions[-1])
    return isinstance(items, exp.Array)


def _literal_list(items) -> bool:
    """A list written out in the query whose items are literals: it holds no NULL."""
    return isinstance(items, exp.Array) and all(isinstance(i, exp.Literal) for i in items.expressions)


DIALECTS = {"duckdb": Dialect(), "spark": SparkDialect()}
