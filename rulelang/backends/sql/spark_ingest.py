"""Checking case records inside Spark: a Parquet file's typed columns against the
record type, as backends/sql/ingest.py checks them inside DuckDB.

`checked_columns(columns, record_type)` gives, for the columns of a Parquet file
(their Arrow types, as pyarrow reads the file), the Spark SQL that converts each
field to the type the compiled query reads and says whether the row is `_ok`:
where the SQL is certain the Python validator (records/) would accept the record
and give the same values. The rules are ingest.py's for typed columns: text within
its length, enum members and country codes as written, real dates in years
1..9999, whole numbers within 10^18, lists within their size and without a null
item, records without a field the record type lacks and with their required
fields. A value of any other Arrow type (a float, a decimal, a timestamp, a date
as text) is refused here, so its record goes to the Python reader and validator,
which give its value or its exact error. The SQL may refuse more than Python,
never less.
"""

from __future__ import annotations

from sqlglot import exp

from rulelang import countries
from rulelang.backends.sql.dialects import call
from rulelang.backends.sql.ingest import MAX_ITEMS, MAX_TEXT, all_of, is_text_type, number, string
from rulelang.runtime import MAX_INT
from rulelang.semantics import types as T

DIALECT = "sparksql"    # backends/sql/dialects.py's SparkSQL, as the compiled query is written
_DEPTH = 4              # lists and records nested deeper are left to Python (as ingest.py)


def _present(e):
    return exp.Not(this=exp.Is(this=e, expression=exp.Null()))


def _optional(present, ok):
    return exp.Paren(this=exp.Or(this=exp.Not(this=present), expression=exp.Paren(this=ok)))


def plain_types(arrow) -> bool:
    """Whether Spark reads every value of a column of this Arrow type as pyarrow does:
    text, dates, booleans, integers that fit a BIGINT, and lists and records of those.
    A file with a column of another type is not checked in Spark at all (the Spark
    engine then reads it in Python)."""
    import pyarrow as pa

    if pa.types.is_list(arrow):
        return plain_types(arrow.value_type)
    if pa.types.is_struct(arrow):
        return all(plain_types(arrow.field(i).type) for i in range(arrow.num_fields))
    return (pa.types.is_string(arrow) or pa.types.is_date32(arrow) or pa.types.is_boolean(arrow)
            or (pa.types.is_integer(arrow) and not pa.types.is_uint64(arrow)))


def names_differ_in_case(arrow_fields) -> bool:
    """Whether two names of a schema (or of a record in it, at any depth) differ only in
    case: such a file is not read by Spark, whose names may not be case-sensitive."""
    import pyarrow as pa

    names = [f.name for f in arrow_fields]
    if len({n.lower() for n in names}) < len(names):
        return True
    for f in arrow_fields:
        kind = f.type
        while pa.types.is_list(kind):
            kind = kind.value_type
        if pa.types.is_struct(kind) and names_differ_in_case([kind.field(i) for i in range(kind.num_fields)]):
            return True
    return False


def checked_columns(columns: dict, record_type: T.RecordType) -> tuple[list, exp.Expression]:
    """([(field, its typed value)], `ok`) for the record type's fields, from `columns`:
    the file's columns that are fields, by name, with their Arrow types (each of
    `plain_types`). A field without a column is NULL (an optional one: the reader
    refuses a file without a required one). A value is meant for a row that is `ok`."""
    checker = _Checker()
    values, oks = [], []
    for name, field_type in record_type.fields.items():
        if name not in columns:
            values.append((name, exp.Null()))
            continue
        column = exp.column(name, quoted=True)
        value, ok = checker.value(column, columns[name], T.strip(field_type))
        present = _present(column)
        values.append((name, exp.Case(ifs=[exp.If(this=present, true=value)])))
        oks.append(_optional(present, ok) if T.is_optional(field_type) else all_of(present, ok))
    return values, exp.Coalesce(this=all_of(*oks), expressions=[exp.false()])


class _Checker:
    def __init__(self) -> None:
        self.codes = sorted(countries.codes())

    def value(self, column, arrow, t: T.Type, depth: int = 0):
        """(value, ok) for a present value of a typed column (or an item or field of one)."""
        import pyarrow as pa

        if is_text_type(t) and pa.types.is_string(arrow):
            return self.text(column, t)
        if t == T.DATE and pa.types.is_date32(arrow):
            return column, exp.Between(this=call("year", column), low=number(1), high=number(9999))
        if t == T.BOOL and pa.types.is_boolean(arrow):
            return column, exp.true()
        if t == T.INT and pa.types.is_integer(arrow) and not pa.types.is_uint64(arrow):
            # (BETWEEN, not abs(): abs of the smallest BIGINT overflows, and ANSI mode raises)
            return exp.cast(column, "BIGINT"), exp.Between(this=column, low=number(-MAX_INT), high=number(MAX_INT))
        if isinstance(t, (T.ListType, T.SetType)) and pa.types.is_list(arrow) and depth < _DEPTH:
            item = exp.column(f"_i{depth}")
            value, ok = self.value(item, arrow.value_type, T.strip(t.elem), depth + 1)
            items = call("transform", column, exp.Lambda(this=value, expressions=[item.this]))
            if isinstance(t, T.SetType):
                items = call("array_sort", call("array_distinct", items))
            each = exp.Lambda(this=exp.Coalesce(this=all_of(_present(item), ok), expressions=[exp.false()]),
                              expressions=[item.this])
            return items, all_of(exp.LTE(this=call("size", column), expression=number(MAX_ITEMS)),
                               exp.Coalesce(this=call("forall", column, each), expressions=[exp.true()]))
        if isinstance(t, T.RecordType) and pa.types.is_struct(arrow) and depth < _DEPTH:
            return self.record(column, arrow, t, depth)
        return exp.Null(), exp.false()     # the Python reader's: its value, or its error

    def text(self, column, t: T.Type):
        if t == T.TEXT:
            return column, exp.LTE(this=call("char_length", column), expression=number(MAX_TEXT))
        if t == T.DATE:
            day = exp.TryCast(this=column, to=exp.DataType.build("DATE"))
            return day, all_of(exp.RegexpLike(this=column, expression=string(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\z")),
                             _present(day), exp.Between(this=call("year", day), low=number(1), high=number(9999)))
        words = self.codes if t == T.COUNTRY else sorted(t.members)
        return column, exp.In(this=column, expressions=[string(w) for w in words])

    def record(self, column, arrow, t: T.RecordType, depth: int):
        """A struct with every field of `t`, in its order (NULL where the file has none)."""
        present_fields = {arrow.field(i).name: arrow.field(i).type for i in range(arrow.num_fields)}
        if set(present_fields) - set(t.fields):
            return exp.Null(), exp.false()          # a field the record has not: Python warns
        values, oks = [], []
        for name, field_type in t.fields.items():
            if name not in present_fields:
                if not T.is_optional(field_type):
                    return exp.Null(), exp.false()
                values.append((name, exp.Null()))
                continue
            sub = exp.Dot(this=column, expression=exp.to_identifier(name, quoted=True))
            value, ok = self.value(sub, present_fields[name], T.strip(field_type), depth + 1)
            values.append((name, exp.Case(ifs=[exp.If(this=_present(sub), true=value)])))
            oks.append(_optional(_present(sub), ok) if T.is_optional(field_type) else all_of(_present(sub), ok))
        struct = call("named_struct", *[part for name, value in values for part in (string(name), value)])
        return struct, all_of(*oks)
