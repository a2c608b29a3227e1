"""Reading and validating case records inside DuckDB: the columnar engine's input.

DuckDB reads the file itself (JSON Lines as raw lines, CSV as text cells,
Parquet as typed columns) and SQL converts and checks every field against the
record type — types, enum members, ISO country codes, real dates, ranges,
list sizes, required fields. A row is `_ok` only where the SQL is certain the
Python validator (records/) would accept it and give the same values; every
other row (an error, an unknown field that deserves a warning, a form the SQL
does not take such as a decimal or a float that is a whole number) keeps its
raw text and is read by the Python reader and validator, so its error, or its
value, is exactly theirs. The SQL may refuse more than Python, never less.
"""

from __future__ import annotations

from sqlglot import exp

from rulelang import countries
from rulelang.backends.sql.dialects import call
from rulelang.runtime import MAX_INT
from rulelang.semantics import types as T

MAX_TEXT, MAX_ITEMS = 100_000, 10_000        # as records/ (checked equal by tests)
MAX_LINE = 10_000_000


def _s(text: str):
    return exp.Literal.string(text)


def _n(number: int):
    return exp.Literal.number(number)


def _all(*tests):
    tests = [t for t in tests if t is not None]
    result = tests[0]
    for t in tests[1:]:
        result = exp.And(this=exp.Paren(this=result), expression=exp.Paren(this=t))
    return exp.Paren(this=result)


def _json_type(j):
    return call("json_type", j)


def _is(j, *kinds):
    return exp.In(this=_json_type(j), expressions=[_s(k) for k in kinds])


class JsonFields:
    """Typed values and validity from a JSON object (text), one field at a time."""

    def __init__(self, record_type: T.RecordType) -> None:
        self.record_type = record_type
        self.codes = sorted(countries.codes())

    def value(self, j, t: T.Type, depth: int = 0):
        """(typed SQL, ok SQL) for a present, non-null JSON value `j` of type `t`."""
        t = T.strip(t)
        text = call("json_extract_string", j, _s("$"))
        if t == T.BOOL:
            return exp.TryCast(this=j, to=exp.DataType.build("BOOLEAN")), _is(j, "BOOLEAN")
        if t == T.INT:
            number = exp.TryCast(this=j, to=exp.DataType.build("BIGINT"))
            return number, _all(_is(j, "BIGINT", "UBIGINT"), exp.Not(this=exp.Is(this=number, expression=exp.Null())),
                                exp.LTE(this=call("abs", number), expression=_n(MAX_INT)))
        if t == T.TEXT:
            return text, _all(_is(j, "VARCHAR"), exp.LTE(this=call("length", text), expression=_n(MAX_TEXT)))
        if t == T.DATE:
            day = exp.TryCast(this=text, to=exp.DataType.build("DATE"))
            return day, _all(_is(j, "VARCHAR"), call("regexp_full_match", text, _s(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")),
                             exp.Not(this=exp.Is(this=day, expression=exp.Null())),
                             exp.GTE(this=call("year", day), expression=_n(1)))
        if t == T.COUNTRY:
            return text, _all(_is(j, "VARCHAR"), exp.In(this=text, expressions=[_s(c) for c in self.codes]))
        if isinstance(t, T.EnumType):
            return text, _all(_is(j, "VARCHAR"), exp.In(this=text, expressions=[_s(m) for m in t.members]))
        if isinstance(t, (T.ListType, T.SetType)) and depth < 4:
            items = call("json_extract", j, _s("$[*]"))
            value, ok = self.value(exp.column("_it"), t.elem, depth + 1)
            lam = exp.Lambda(this=value, expressions=[exp.to_identifier("_it")])
            lam_ok = exp.Lambda(this=exp.Coalesce(this=ok, expressions=[exp.false()]),
                                expressions=[exp.to_identifier("_it")])
            converted = call("list_transform", items, lam)
            if isinstance(t, T.SetType):
                converted = call("list_sort", call("list_distinct", converted))
            return converted, _all(_is(j, "ARRAY"),
                                   exp.LTE(this=call("json_array_length", j), expression=_n(MAX_ITEMS)),
                                   call("coalesce", call("list_bool_and", call("list_transform", items, lam_ok)),
                                        exp.true()))
        if isinstance(t, T.RecordType) and depth < 4:
            return self.record(j, t, depth + 1)
        return exp.Null(), exp.false()   # decimals, durations, deep nesting: the Python reader's

    def record(self, j, record: T.RecordType, depth: int = 0):
        """(struct, ok) for a JSON object `j` holding a record of `record`: its fields are
        extracted in one parse, bound to a name by a one-item list_transform."""
        names = list(record.fields)
        paths = exp.Array(expressions=[_s(f'$."{name}"') for name in names])
        bound = f"_l{depth}"
        struct, ok = self.fields(exp.column(bound), call("json_keys", j), record, depth)
        pair = call("struct_pack", exp.PropertyEQ(this=exp.to_identifier("v"), expression=struct),
                    exp.PropertyEQ(this=exp.to_identifier("ok"), expression=ok))
        one = exp.Bracket(this=call("list_transform", exp.Array(expressions=[call("json_extract", j, paths)]),
                                    exp.Lambda(this=pair, expressions=[exp.to_identifier(bound)])),
                          expressions=[_n(0)])   # sqlglot counts from 0 and writes DuckDB's 1
        return exp.Dot(this=one, expression=exp.to_identifier("v")), \
            _all(_is(j, "OBJECT"), exp.Dot(this=one, expression=exp.to_identifier("ok")))

    def fields(self, extracted, keys, record: T.RecordType, depth: int):
        """(struct, ok) from `extracted`, the list of a record's fields as JSON values (in
        the record's order), and `keys`, the object's keys."""
        names = list(record.fields)
        values, oks = {}, [
            # no key the record does not have (the reader warns of those), none twice
            call("list_has_all", exp.Array(expressions=[_s(n) for n in names]), keys),
            exp.EQ(this=call("len", keys), expression=call("len", call("list_distinct", keys)))]
        for index, name in enumerate(names):      # (sqlglot indexes from 0)
            field_type = record.fields[name]
            raw = exp.Bracket(this=extracted, expressions=[_n(index)])
            present = exp.Paren(this=exp.Not(this=exp.Paren(this=exp.Or(
                this=exp.Is(this=raw, expression=exp.Null()), expression=_is(raw, "NULL")))))
            value, ok = self.value(raw, field_type, depth + 1)
            values[name] = exp.Case(ifs=[exp.If(this=present, true=value)])
            if T.is_optional(field_type):
                oks.append(exp.Paren(this=exp.Or(this=exp.Paren(this=exp.Not(this=present)),
                                                 expression=exp.Paren(this=ok))))
            else:
                oks.append(_all(present, ok))
        struct = call("struct_pack", *[exp.PropertyEQ(this=exp.to_identifier(n), expression=v)
                                       for n, v in values.items()])
        return struct, _all(*oks)


def jsonl_source(path: str) -> exp.Expression:
    """Every line of a JSON Lines file, as text, with its line number (`_line`)."""
    reader = exp.Anonymous(this="read_csv", expressions=[
        _s(path),
        exp.PropertyEQ(this=exp.to_identifier("columns"),
                       expression=exp.Struct(expressions=[exp.PropertyEQ(this=_s("_raw"), expression=_s("VARCHAR"))])),
        *[exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in (
            ("header", exp.false()), ("delim", _s("\x01")), ("quote", _s("")), ("escape", _s("")),
            ("new_line", _s("\\n")), ("strict_mode", exp.false()), ("auto_detect", exp.false()),
            ("max_line_size", _n(MAX_LINE + 2)))]])
    return reader


def validated_jsonl(path: str, record_type: T.RecordType) -> str:
    """SQL: `_row` (the line number), `_raw`, `_ok`, and one typed column per field of
    the records of a JSON Lines file (blank lines left out, as the reader does)."""
    raw = exp.column("_raw")
    lines = exp.select(exp.alias_(exp.column("ordinality"), "_row"), raw).from_(
        f"{jsonl_source(path).sql('duckdb')} WITH ORDINALITY").where(
        exp.Not(this=exp.Paren(this=exp.Or(this=exp.Is(this=raw, expression=exp.Null()),
                                           expression=exp.EQ(this=call("trim", raw), expression=_s(""))))))
    return validated_lines(lines, record_type).sql("duckdb")


def validated_lines(lines: exp.Expression, record_type: T.RecordType) -> exp.Select:
    """`_row`, `_raw`, `_ok` and one typed column per field, from `lines`: a relation
    of JSON Lines (`_row`, `_raw`: one line's text, not blank)."""
    fields = JsonFields(record_type)
    raw = exp.column("_raw")
    # json_type raises on text that is not JSON, and SQL's AND does not promise an order:
    # the CASE does
    valid = exp.Case(ifs=[exp.If(this=call("json_valid", raw), true=_all(
        _is(raw, "OBJECT"),
        # a lone surrogate escape: the reader's message, not DuckDB's
        exp.Not(this=call("regexp_matches", raw, _s(r"\\[uU][dD][89a-fA-F]")))))], default=exp.false())
    paths = exp.Array(expressions=[_s(f'$."{name}"') for name in record_type.fields])
    parsed = exp.select(exp.column("_row"), raw,
                        exp.alias_(exp.Case(ifs=[exp.If(this=valid, true=call("json_extract", raw, paths))]), "_l"),
                        exp.alias_(exp.Case(ifs=[exp.If(this=valid, true=call("json_keys", raw))]), "_k"),
                        exp.alias_(valid, "_valid")).from_(lines.subquery("_lines"))
    struct, ok = fields.fields(exp.column("_l"), exp.column("_k"), record_type, 0)
    checked = exp.select(exp.column("_row"), raw,
                         exp.alias_(exp.Coalesce(this=_all(exp.column("_valid"), ok), expressions=[exp.false()]), "_ok"),
                         exp.alias_(struct, "_rec")).from_(parsed.subquery("_p"))
    columns = [exp.alias_(exp.Dot(this=exp.column("_rec"), expression=exp.to_identifier(name, quoted=True)),
                          name, quoted=True) for name in record_type.fields]
    return exp.select(exp.column("_row"), exp.column("_raw"), exp.column("_ok"), *columns).from_(
        checked.subquery("_v"))


def validated_columns(table: str, columns: dict, record_type: T.RecordType) -> exp.Select | None:
    """`_row`, `_ok` and one typed column per field, from `table`: records in typed
    columns (Parquet), `columns` naming each column's Arrow type. A column whose type
    SQL checks directly (text, enum, country, date, bool, int and lists of those) is
    checked so; any other is written to JSON and checked as JSON Lines are, which gives
    the reader's values (dates as ISO text, lists and structs as arrays and objects).
    None when a column holds text for a field that is not text (cells to convert, as
    in a CSV): the Python reader's."""
    import pyarrow as pa

    json_fields = JsonFields(record_type)
    values, oks = [], []
    for name, field_type in record_type.fields.items():
        column = exp.column(name, quoted=True)
        present = exp.Not(this=exp.Is(this=column, expression=exp.Null()))
        if name not in columns:
            if not T.is_optional(field_type):
                return None     # the header check refuses this input first
            values.append(exp.alias_(exp.Null(), name, quoted=True))
            continue
        else:
            arrow = columns[name]
            t = T.strip(field_type)
            if (pa.types.is_string(arrow) or pa.types.is_large_string(arrow)) and t != T.TEXT \
                    and not (t in (T.DATE, T.COUNTRY) or isinstance(t, T.EnumType)):
                return None
            value, ok = _typed_column(column, arrow, t, json_fields)
        values.append(exp.alias_(exp.Case(ifs=[exp.If(this=present, true=value)]), name, quoted=True))
        oks.append(exp.Paren(this=exp.Or(this=exp.Not(this=present), expression=exp.Paren(this=ok)))
                   if T.is_optional(field_type) else _all(present, ok))
    ok = exp.Coalesce(this=_all(*oks), expressions=[exp.false()])
    return exp.select(exp.column("_row"), exp.alias_(ok, "_ok"), *values).from_(table)


def _typed_column(column, arrow, t: T.Type, json_fields: "JsonFields", depth: int = 0):
    """(value, ok) for a present value of a typed column (or of an item or field of one)."""
    import pyarrow as pa

    text = pa.types.is_string(arrow) or pa.types.is_large_string(arrow)
    if t == T.TEXT and text:
        return column, exp.LTE(this=call("length", column), expression=_n(MAX_TEXT))
    if t == T.COUNTRY and text:
        return column, exp.In(this=column, expressions=[_s(c) for c in json_fields.codes])
    if isinstance(t, T.EnumType) and text:
        return column, exp.In(this=column, expressions=[_s(m) for m in t.members])
    if t == T.DATE and pa.types.is_date(arrow):
        return column, exp.Between(this=call("year", column), low=_n(1), high=_n(9999))
    if t == T.BOOL and pa.types.is_boolean(arrow):
        return column, exp.true()
    if t == T.INT and pa.types.is_integer(arrow):
        # (TRY_CAST: an unsigned 64-bit value past BIGINT is computed, then refused by ok)
        return exp.TryCast(this=column, to=exp.DataType.build("BIGINT")), exp.LTE(
            this=call("abs", exp.cast(column, "HUGEINT")), expression=_n(MAX_INT))
    if isinstance(t, (T.ListType, T.SetType)) and pa.types.is_list(arrow) and depth < 4:
        item = exp.column(f"_i{depth}")
        value, ok = _typed_column(item, arrow.value_type, T.strip(t.elem), json_fields, depth + 1)
        present = exp.Not(this=exp.Is(this=item, expression=exp.Null()))
        items = call("list_transform", column, exp.Lambda(this=value, expressions=[item.this]))
        if isinstance(t, T.SetType):
            items = call("list_sort", call("list_distinct", items))
        each = exp.Lambda(this=exp.Coalesce(this=_all(present, ok), expressions=[exp.false()]),
                          expressions=[item.this])
        return items, _all(exp.LTE(this=call("len", column), expression=_n(MAX_ITEMS)),
                           exp.Coalesce(this=call("list_bool_and", call("list_transform", column, each)),
                                        expressions=[exp.true()]))
    if isinstance(t, T.RecordType) and pa.types.is_struct(arrow) and depth < 4:
        present_fields = {arrow.field(i).name: arrow.field(i).type for i in range(arrow.num_fields)}
        if set(present_fields) - set(t.fields):
            return exp.Null(), exp.false()          # a field the record has not: Python warns
        values, oks = [], []
        for name, field_type in t.fields.items():
            if name not in present_fields:
                if not T.is_optional(field_type):
                    return exp.Null(), exp.false()
                values.append(exp.PropertyEQ(this=exp.to_identifier(name), expression=exp.Null()))
                continue
            sub = exp.Dot(this=column, expression=exp.to_identifier(name, quoted=True))
            present = exp.Not(this=exp.Is(this=sub, expression=exp.Null()))
            value, ok = _typed_column(sub, present_fields[name], T.strip(field_type), json_fields, depth + 1)
            values.append(exp.PropertyEQ(this=exp.to_identifier(name),
                                         expression=exp.Case(ifs=[exp.If(this=present, true=value)])))
            oks.append(exp.Paren(this=exp.Or(this=exp.Not(this=present), expression=exp.Paren(this=ok)))
                       if T.is_optional(field_type) else _all(present, ok))
        return call("struct_pack", *values), _all(*oks) if oks else exp.true()
    # anything else as the JSON the Python reader would see (a float, a decimal, a
    # timestamp, text for a date: refused by the JSON checks, so left to Python)
    return json_fields.value(call("to_json", column), t)
