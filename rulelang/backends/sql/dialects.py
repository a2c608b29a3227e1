"""What differs between the SQL engines: the names of list functions, lambdas,
the base of a list index, overflow-safe arithmetic, and the column types.

The compiler (compile.py) builds sqlglot expression trees through one Dialect
object and never names an engine's function itself; sqlglot writes the text.
"""

from __future__ import annotations

from sqlglot import exp

from rulelang.semantics import types as T


def call(name: str, *args) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


class Dialect:
    """DuckDB, the embedded default."""

    name = "duckdb"
    index_base = 1            # the first item of a list has index 1 in a lambda
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

    def add_months(self, date, months):
        return exp.cast(exp.Add(this=date, expression=call("to_months", months)), "DATE")

    def add_days(self, date, days):
        return exp.cast(exp.Add(this=date, expression=call("to_days", days)), "DATE")

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
                           exp.alias_(call("unnest", exp.column("_decisions")), "_item")).from_(rows.subquery("_r"))
        return exp.select(exp.column("_row"), exp.column("_suspect"),
                          *[exp.alias_(self.field(item, name), name, quoted=True) for name in columns]
                          ).from_(inner.subquery("_u"))

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


class SparkDialect(Dialect):
    """Apache Spark SQL: higher-order functions on arrays, 0-based lambda indexes."""

    name = "spark"
    index_base = 0
    decimal_type = "DECIMAL(38, 18)"

    def lam(self, params, body):
        return exp.Lambda(this=body, expressions=[exp.to_identifier(p) for p in params])

    def transform(self, items, params, body):
        return call("transform", items, self.lam(params, body))

    def filter(self, items, params, body):
        return call("filter", items, self.lam(params, body))

    def contains(self, items, item):
        return call("array_contains", items, item)

    UNESTABLISHED = "STRUCT<exception: STRING, facts: ARRAY<STRING>>"

    def concat(self, *lists, elem: str = "STRING"):
        lists = [self.coalesce_list(x, elem) for x in lists if x is not None]
        if not lists:
            return self.empty_list(elem)
        return lists[0] if len(lists) == 1 else call("concat", *lists)

    def coalesce_list(self, items, elem: str = "STRING"):
        return exp.Coalesce(this=items, expressions=[self.empty_list("STRING" if elem == "VARCHAR" else elem)])

    def sort_distinct(self, items):
        return call("array_sort", call("array_distinct", items))

    def flatten(self, lists):
        return call("flatten", call("filter", lists, self.lam(["q"], exp.Not(
            this=exp.Is(this=exp.column("q"), expression=exp.Null())))))

    def length(self, items):
        return call("size", items)

    def text_length(self, text):
        return call("char_length", text)

    def empty_list(self, elem_type: str):
        return exp.cast(call("array"), f"ARRAY<{elem_type}>")

    def make_list(self, items):
        return call("array", *items)

    def try_(self, expression):
        if isinstance(expression, exp.Add):
            return call("try_add", expression.this, expression.expression)
        if isinstance(expression, exp.Sub):
            return call("try_subtract", expression.this, expression.expression)
        if isinstance(expression, exp.Mul):
            return call("try_multiply", expression.this, expression.expression)
        return expression

    def add_months(self, date, months):
        return call("add_months", date, months)

    def add_days(self, date, days):
        return call("date_add", date, days)

    def days_between(self, a, b):
        return call("datediff", a, b)

    def date_text(self, date):
        return call("date_format", date, exp.Literal.string("yyyy-MM-dd"))

    def int_text(self, value):
        return exp.cast(value, "STRING")

    def struct(self, fields: dict):
        return call("named_struct", *[item for name, value in fields.items()
                                      for item in (exp.Literal.string(name), value)])

    def unnest_decisions(self, rows: exp.Select, columns) -> exp.Select:
        item = exp.column("_item")
        inner = exp.select(exp.column("_row"), exp.column("_suspect"),
                           exp.alias_(call("explode", exp.column("_decisions")), "_item")).from_(rows.subquery("_r"))
        return exp.select(exp.column("_row"), exp.column("_suspect"),
                          *[exp.alias_(self.field(item, name), name, quoted=True) for name in columns]
                          ).from_(inner.subquery("_u"))

    def sql_type(self, t: T.Type) -> str:
        t = T.strip(t)
        if t in (T.TEXT, T.COUNTRY) or isinstance(t, T.EnumType):
            return "STRING"
        if t == T.DURATION:
            return "STRUCT<months: BIGINT, days: BIGINT>"
        if isinstance(t, (T.ListType, T.SetType)):
            elem = t.elem if not isinstance(t.elem, T.Nothing) else T.TEXT
            return f"ARRAY<{self.sql_type(elem)}>"
        if isinstance(t, T.RecordType):
            fields = ", ".join(f"`{n}`: {self.sql_type(ft)}" for n, ft in t.fields.items())
            return f"STRUCT<{fields}>"
        return super().sql_type(t)


DIALECTS = {"duckdb": Dialect(), "spark": SparkDialect()}
