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

import hashlib
import json
import re

from sqlglot import exp

from rulelang import countries
from rulelang.backends.sql.dialects import call
from rulelang.runtime import MAX_INT
from rulelang.semantics import types as T

MAX_TEXT, MAX_ITEMS = 100_000, 10_000        # as records/ (checked equal by tests)
MAX_LINE = 10_000_000


def string(text: str):
    return exp.Literal.string(text)


def number(number: int):
    return exp.Literal.number(number)


def all_of(*tests):
    """Every one of the tests (None ones left out; none at all: true), in parentheses."""
    tests = [t for t in tests if t is not None]
    if not tests:
        return exp.true()
    result = tests[0]
    for t in tests[1:]:
        result = exp.And(this=exp.Paren(this=result), expression=exp.Paren(this=t))
    return exp.Paren(this=result)


def one_of(value, words):
    """`value` is one of `words`: a cast to the ENUM type of those words (declared on the
    connection by `declare_enums`). DuckDB tests an IN list of 249 country codes item by
    item (measured over 1M values: 1.0 s CPU; a regular expression of the alternatives
    0.08 s; the cast, a lookup in the type's dictionary, 0.015 s). The cast is exact: no
    case folding, no trimming; NULL stays NULL."""
    return exp.Not(this=exp.Is(this=exp.TryCast(this=value, to=exp.DataType.build(
        enum_type(words), dialect="duckdb", udt=True)), expression=exp.Null()))


def enum_type(words) -> str:
    """The name of the ENUM type whose members are `words` (the same words, the same name)."""
    digest = hashlib.sha1("\n".join(sorted(words)).encode("utf-8")).hexdigest()[:16]
    return f"_rulelang_enum_{digest}"


def declare_enums(connection, record_type: T.RecordType) -> None:
    """Create on `connection` the ENUM types `one_of` reads the record type's values with
    (countries, and each enum type in it), those it has not yet."""
    wanted = {}
    for t in _types_in(record_type):
        if t == T.COUNTRY or isinstance(t, T.EnumType):
            words = sorted(countries.codes()) if t == T.COUNTRY else sorted(t.members)
            wanted[enum_type(words)] = words
    have = {name for (name,) in connection.execute(
        "SELECT type_name FROM duckdb_types() WHERE starts_with(type_name, '_rulelang_enum_')").fetchall()}
    for name, words in wanted.items():
        if name not in have:
            # (the members written by sqlglot in one call: one call a member cost 60 ms of
            # the start-up for the 249 country codes)
            members = exp.Tuple(expressions=[string(w) for w in words]).sql("duckdb")
            connection.execute(f"CREATE TYPE {name} AS ENUM {members}")


def _types_in(t: T.Type, depth: int = 0):
    """`t` and every type inside it (list items, record fields)."""
    t = T.strip(t)
    yield t
    if depth > 8:
        return
    if isinstance(t, (T.ListType, T.SetType)):
        yield from _types_in(t.elem, depth + 1)
    elif isinstance(t, T.RecordType):
        for field_type in t.fields.values():
            yield from _types_in(field_type, depth + 1)


def is_text_type(t: T.Type) -> bool:
    """Types whose values are written as text in any input (what text_value reads)."""
    return t in (T.TEXT, T.DATE, T.COUNTRY) or isinstance(t, T.EnumType)


def text_value(text, t: T.Type, codes):
    """(typed SQL, ok SQL) for `text`, a present value of a text type (is_text_type)."""
    if t == T.TEXT:
        return text, exp.LTE(this=call("length", text), expression=number(MAX_TEXT))
    if t == T.DATE:
        # a date DuckDB writes back as the text itself, in ten characters: YYYY-MM-DD with
        # a year from 1 to 9999 (year 0 and before are written with " (BC)", later ones
        # with more digits, `infinity` otherwise), what the Python reader takes (measured
        # over 1M cells: 0.08 s CPU, against 0.15 s for a regular expression and the cast)
        day = exp.TryCast(this=text, to=exp.DataType.build("DATE"))
        return day, all_of(exp.EQ(this=call("strlen", text), expression=number(10)),
                         exp.EQ(this=exp.cast(day, "VARCHAR"), expression=text))
    return text, one_of(text, codes if t == T.COUNTRY else t.members)


def json_text_ok(text):
    """`text` is JSON that the reader takes: json_valid, no lone surrogate escape (the
    reader's message, not DuckDB's), and no comma before a closing bracket or brace:
    json_valid takes `[1,]` and `{"a": 1,}`, which Python's json module refuses (a text
    with such a comma inside a string is left to Python too). A CASE: json_type raises on
    text that is not JSON, and SQL's AND does not promise an order."""
    return exp.Case(ifs=[exp.If(this=call("json_valid", text), true=exp.Not(
        this=call("regexp_matches", text, string(r"\\[uU][dD][89a-fA-F]|,[ \t\n\r]*[\]}]"))))], default=exp.false())


def _only_if(condition, test):
    """`test` where `condition` holds, else false; `test` is not computed where it does
    not (SQL's AND does not promise an order, and json() raises on text that is not JSON)."""
    return exp.Case(ifs=[exp.If(this=condition, true=test)], default=exp.false())


def _json_type(j):
    return call("json_type", j)


def _is(j, *kinds):
    return exp.In(this=_json_type(j), expressions=[string(k) for k in kinds])


class JsonFields:
    """Typed values and validity from a JSON object (text), one field at a time."""

    def __init__(self, record_type: T.RecordType) -> None:
        self.record_type = record_type
        self.codes = sorted(countries.codes())

    def value(self, j, t: T.Type, depth: int = 0):
        """(typed SQL, ok SQL) for a present, non-null JSON value `j` of type `t`."""
        t = T.strip(t)
        text = call("json_extract_string", j, string("$"))
        if t == T.BOOL:
            return exp.TryCast(this=j, to=exp.DataType.build("BOOLEAN")), _is(j, "BOOLEAN")
        if t == T.INT:
            whole = exp.TryCast(this=j, to=exp.DataType.build("BIGINT"))
            return whole, all_of(_is(j, "BIGINT", "UBIGINT"), exp.Not(this=exp.Is(this=whole, expression=exp.Null())),
                                exp.LTE(this=call("abs", whole), expression=number(MAX_INT)))
        if is_text_type(t):
            value, ok = text_value(text, t, self.codes)
            return value, all_of(_is(j, "VARCHAR"), ok)
        if isinstance(t, (T.ListType, T.SetType)) and depth < 4:
            items = call("json_extract", j, string("$[*]"))
            value, ok = self.value(exp.column("_it"), t.elem, depth + 1)
            lam = exp.Lambda(this=value, expressions=[exp.to_identifier("_it")])
            lam_ok = exp.Lambda(this=exp.Coalesce(this=ok, expressions=[exp.false()]),
                                expressions=[exp.to_identifier("_it")])
            converted = call("list_transform", items, lam)
            if isinstance(t, T.SetType):
                converted = call("list_sort", call("list_distinct", converted))
            return converted, all_of(_is(j, "ARRAY"),
                                   exp.LTE(this=call("json_array_length", j), expression=number(MAX_ITEMS)),
                                   call("coalesce", call("list_bool_and", call("list_transform", items, lam_ok)),
                                        exp.true()))
        if isinstance(t, T.RecordType) and depth < 4:
            return self.record(j, t, depth + 1)
        return exp.Null(), exp.false()   # decimals, durations, deep nesting: the Python reader's

    def record(self, j, record: T.RecordType, depth: int = 0):
        """(struct, ok) for a JSON object `j` holding a record of `record`: its fields are
        extracted in one parse, bound to a name by a one-item list_transform."""
        names = list(record.fields)
        paths = exp.Array(expressions=[string(f'$."{name}"') for name in names])
        bound = f"_l{depth}"
        struct, ok = self.fields(exp.column(bound), call("json_keys", j), record, depth)
        pair = call("struct_pack", exp.PropertyEQ(this=exp.to_identifier("v"), expression=struct),
                    exp.PropertyEQ(this=exp.to_identifier("ok"), expression=ok))
        one = exp.Bracket(this=call("list_transform", exp.Array(expressions=[call("json_extract", j, paths)]),
                                    exp.Lambda(this=pair, expressions=[exp.to_identifier(bound)])),
                          expressions=[number(0)])   # sqlglot counts from 0 and writes DuckDB's 1
        return exp.Dot(this=one, expression=exp.to_identifier("v")), \
            all_of(_is(j, "OBJECT"), exp.Dot(this=one, expression=exp.to_identifier("ok")))

    def fields(self, extracted, keys, record: T.RecordType, depth: int):
        """(struct, ok) from `extracted`, the list of a record's fields as JSON values (in
        the record's order), and `keys`, the object's keys."""
        names = list(record.fields)
        values, oks = {}, [
            # no key the record does not have (the reader warns of those), none twice
            call("list_has_all", exp.Array(expressions=[string(n) for n in names]), keys),
            exp.EQ(this=call("len", keys), expression=call("len", call("list_distinct", keys)))]
        for index, name in enumerate(names):      # (sqlglot indexes from 0)
            field_type = record.fields[name]
            raw = exp.Bracket(this=extracted, expressions=[number(index)])
            present = exp.Paren(this=exp.Not(this=exp.Paren(this=exp.Or(
                this=exp.Is(this=raw, expression=exp.Null()), expression=_is(raw, "NULL")))))
            value, ok = self.value(raw, field_type, depth + 1)
            values[name] = exp.Case(ifs=[exp.If(this=present, true=value)])
            if T.is_optional(field_type):
                oks.append(exp.Paren(this=exp.Or(this=exp.Paren(this=exp.Not(this=present)),
                                                 expression=exp.Paren(this=ok))))
            else:
                oks.append(all_of(present, ok))
        struct = call("struct_pack", *[exp.PropertyEQ(this=exp.to_identifier(n), expression=v)
                                       for n, v in values.items()])
        return struct, all_of(*oks)


def jsonl_source(path: str, gzipped: bool = False) -> exp.Expression:
    """Every line of a JSON Lines file, as text (`_raw`)."""
    reader = exp.Anonymous(this="read_csv", expressions=[
        string(path),
        exp.PropertyEQ(this=exp.to_identifier("columns"),
                       expression=exp.Struct(expressions=[exp.PropertyEQ(this=string("_raw"), expression=string("VARCHAR"))])),
        *[exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in (
            ("header", exp.false()), ("delim", string("\x01")), ("quote", string("")), ("escape", string("")),
            ("new_line", string("\\n")), ("strict_mode", exp.false()), ("auto_detect", exp.false()),
            ("max_line_size", number(MAX_LINE + 2)), ("compression", string("gzip" if gzipped else "auto")))]])
    return reader


def validated_jsonl(path: str, record_type: T.RecordType) -> str:
    """SQL: `_row` (the line number), `_raw`, `_ok`, and one typed column per field of
    the records of a JSON Lines file (blank lines left out, as the reader does)."""
    raw = exp.column("_raw")
    lines = exp.select(exp.alias_(exp.column("ordinality"), "_row"), raw).from_(
        f"{jsonl_source(path).sql('duckdb')} WITH ORDINALITY").where(
        exp.Not(this=exp.Paren(this=exp.Or(this=exp.Is(this=raw, expression=exp.Null()),
                                           expression=exp.EQ(this=call("trim", raw), expression=string(""))))))
    return validated_lines(lines, record_type).sql("duckdb")


def validated_lines(lines: exp.Expression, record_type: T.RecordType) -> exp.Select:
    """`_row`, `_raw`, `_ok` and one typed column per field, from `lines`: a relation
    of JSON Lines (`_row`, `_raw`: one line's text, not blank).

    As a JSON cell (JsonCell): each line is read in one parse to the record's types;
    when that record, its absent fields left out, written back as JSON is the line
    itself (minified), it is what the line says and is checked as typed columns are.
    Any other line (a field given as null, keys in another order, an unknown key, 1.0
    for a whole number) is checked call by call: each field's JSON extracted, and
    checked as JSON."""
    fields = JsonFields(record_type)
    raw, valid, typed, exact = (exp.column(name) for name in ("_raw", "_valid", "_t", "_x"))
    # json_type raises on text that is not JSON, and SQL's AND does not promise an order:
    # the CASE does
    relation = exp.select(exp.column("_row"), raw, exp.alias_(all_of(json_text_ok(raw), exp.Case(
        ifs=[exp.If(this=call("json_valid", raw), true=_is(raw, "OBJECT"))], default=exp.false())), "_valid")
    ).from_(lines.subquery("_lines"))
    shape = _json_shape(record_type)
    if shape is not None:       # each step in a projection of its own (see validated_cells)
        relation = exp.select(exp.Star(), exp.alias_(exp.Case(ifs=[exp.If(this=valid, true=call(
            "from_json", raw, string(shape[0])))]), "_t")).from_(relation.subquery("_typed"))
        relation = exp.select(exp.Star(), exp.alias_(_only_if(valid, exp.EQ(
            this=call("json", raw), expression=_written_back(typed, record_type))), "_x")).from_(
            relation.subquery("_exact"))
    else:
        relation = exp.select(exp.Star(), exp.alias_(exp.false(), "_x")).from_(relation.subquery("_exact"))
    slow = all_of(valid, exp.Not(this=exact))
    paths = exp.Array(expressions=[string(f'$."{name}"') for name in record_type.fields])
    relation = exp.select(exp.Star(),
                          exp.alias_(exp.Case(ifs=[exp.If(this=slow, true=call("json_extract", raw, paths))]), "_l"),
                          exp.alias_(exp.Case(ifs=[exp.If(this=slow, true=call("json_keys", raw))]), "_k")
                          ).from_(relation.subquery("_p"))
    struct, ok = fields.fields(exp.column("_l"), exp.column("_k"), record_type, 0)
    ok = all_of(valid, ok)
    if shape is not None:
        fast_struct, fast_ok = _typed_column(typed, shape[1], record_type, fields)
        struct = exp.Case(ifs=[exp.If(this=exact, true=fast_struct)], default=struct)
        ok = exp.Case(ifs=[exp.If(this=exact, true=fast_ok)], default=ok)
    checked = exp.select(exp.column("_row"), raw,
                         exp.alias_(exp.Coalesce(this=ok, expressions=[exp.false()]), "_ok"),
                         exp.alias_(struct, "_rec")).from_(relation.subquery("_c"))
    columns = [exp.alias_(exp.Dot(this=exp.column("_rec"), expression=exp.to_identifier(name, quoted=True)),
                          name, quoted=True) for name in record_type.fields]
    return exp.select(exp.column("_row"), exp.column("_raw"), exp.column("_ok"), *columns).from_(
        checked.subquery("_v"))


def _written_back(typed, record_type: T.RecordType):
    """SQL: the record `typed` as minified JSON, its fields in order, those that are NULL
    (absent) left out."""
    pairs = [exp.Case(ifs=[exp.If(
        this=exp.Not(this=exp.Is(this=exp.Dot(this=typed, expression=exp.to_identifier(name, quoted=True)),
                                 expression=exp.Null())),
        true=exp.DPipe(this=string(json.dumps(name) + ":"), expression=call(
            "to_json", exp.Dot(this=typed, expression=exp.to_identifier(name, quoted=True)))))])
        for name in record_type.fields]
    return exp.DPipe(this=exp.DPipe(this=string("{"), expression=call("concat_ws", string(","), *pairs)),
                     expression=string("}"))


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

    def typed(name: str, t: T.Type):
        arrow = columns[name]
        if (pa.types.is_string(arrow) or pa.types.is_large_string(arrow)) and not is_text_type(t):
            return None
        return _typed_column(exp.column(name, quoted=True), arrow, t, json_fields)

    return _validated(exp.to_table(table), columns, record_type, typed)


# what a CSV cell around a number or true/false may hold besides it (some of Python's
# whitespace: a cell with other blanks around its value is left to the Python reader)
_BLANKS = " \t\n\r\f\v"


def validated_cells(table: str, columns: list[str], record_type: T.RecordType) -> exp.Select:
    """`_row`, `_ok` and one typed column per field, from `table`: the cells of a CSV or
    TSV input as text, one column per field (`columns`: those it has), read as the
    Python reader reads a cell: empty is absent, text types as written, true/false and
    whole numbers with blanks around them, lists and records as JSON."""
    json_fields = JsonFields(record_type)
    blanks = _BLANKS.encode().decode("unicode_escape")
    parsed = {name: JsonCell(name, index, T.strip(record_type.fields[name]), json_fields)
              for index, name in enumerate(columns) if not _plain_cell(T.strip(record_type.fields[name]))}

    def typed(name: str, t: T.Type):
        cell = exp.column(name, quoted=True)
        if is_text_type(t):
            return text_value(cell, t, json_fields.codes)
        trimmed = call("trim", cell, string(blanks))
        if t == T.BOOL:
            # `true` and `false` as written first: trimming and lowering every cell cost
            # more than the rest of a boolean's check (0.55 s CPU over 1M cells)
            word = call("lower", trimmed)
            plain = exp.In(this=cell, expressions=[string("true"), string("false")])
            return (exp.Case(ifs=[exp.If(this=plain, true=exp.EQ(this=cell, expression=string("true")))],
                             default=exp.EQ(this=word, expression=string("true"))),
                    exp.Case(ifs=[exp.If(this=plain, true=exp.true())],
                             default=exp.In(this=word, expressions=[string("true"), string("false")])))
        if t == T.INT:
            whole = exp.TryCast(this=trimmed, to=exp.DataType.build("BIGINT"))
            ok = all_of(call("regexp_full_match", trimmed, string("-?[0-9]{1,19}")),
                      exp.Not(this=exp.Is(this=whole, expression=exp.Null())),
                      exp.LTE(this=call("abs", whole), expression=number(MAX_INT)))
            # a number written as DuckDB writes it back (no sign, blank, zero or point more)
            # first: the cast alone takes `1.0`, `0x10` and `1_000`, the regular expression
            # that rules them out cost six times as much
            cast = exp.TryCast(this=cell, to=exp.DataType.build("BIGINT"))
            plain = exp.EQ(this=exp.cast(cast, "VARCHAR"), expression=cell)
            return (exp.Case(ifs=[exp.If(this=plain, true=cast)], default=whole),
                    exp.Case(ifs=[exp.If(this=plain, true=exp.LTE(this=call("abs", cast), expression=number(MAX_INT)))],
                             default=ok))
        return parsed[name].checked()

    # each step of a JSON cell's reading in a projection of its own, computed once:
    # DuckDB would compute an expression again wherever a later one repeats it
    relation = exp.select(exp.column("_row"), *[
        exp.alias_(call("nullif", exp.column(c, quoted=True), string("")), c, quoted=True) for c in columns
    ]).from_(table)
    for step in range(JsonCell.STEPS):
        relation = exp.select(exp.Star(), *[cell.step(step) for cell in parsed.values()]).from_(
            relation.subquery(f"_step{step}"))
    return _validated(relation.subquery("_cells"), columns, record_type, typed)


def _plain_cell(t: T.Type) -> bool:
    """A cell SQL reads as written (not as JSON)."""
    return is_text_type(t) or t in (T.BOOL, T.INT)


def cell_holds_no_quote(t: T.Type) -> bool:
    """Whether validated_cells takes a cell of type `t` only when it holds no quote: a
    country, an enum member, a date, a whole number, true or false are written in
    letters, digits, `-`, `_` and blanks. The one-statement run of a CSV file counts the
    blank-and-quote pairs of the other cells only (batch/direct.py): a cell of these
    types holding a quote stops the statement as invalid (tests/test_cells.py)."""
    t = T.strip(t)
    return t in (T.COUNTRY, T.DATE, T.INT, T.BOOL) or isinstance(t, T.EnumType)


def cell_is_short(t: T.Type) -> bool:
    """Whether validated_cells takes a cell of type `t` only when it is at most MAX_TEXT
    characters long (text: its own limit; a country, an enum member, a date: the
    word itself, with no blank around it). Whole numbers and booleans are taken with
    blanks around them, lists and records as JSON of any length: for those the
    one-statement run checks the csv module's limit itself."""
    t = T.strip(t)
    return t in (T.TEXT, T.COUNTRY, T.DATE) or isinstance(t, T.EnumType)


class JsonCell:
    """A list or record written as JSON in a cell, read in steps.

    First a regular expression of the type (`json_pattern`): text it matches is JSON
    written plainly (no escape, no null, every field of a record in its place), every
    enum member and country code a member, every number in range; it is what from_json
    reads it to, checked in one pass with no lambda over the items (measured over 1M
    cells of a list of three-field records: 0.35 s CPU against 1.1 s for the steps
    below). Other text: JSON functions parse the text again at every call, so the value
    is first read in one parse (from_json) to the types it should have; when that value
    written back as JSON is the text itself (minified), it is exactly what the text
    says, and is checked as a typed column is. Any other text (1.0 for a whole number,
    a key left out, an escape) is checked call by call as JSON. (Measured: 1 µs a cell
    against 20.)"""

    STEPS = 4

    def __init__(self, name: str, index: int, t: T.Type, json_fields: "JsonFields") -> None:
        self.text, self.t, self.fields = exp.column(name, quoted=True), t, json_fields
        self.plain, self.valid, self.typed, self.exact = (exp.column(f"_{kind}{index}") for kind in "pvtx")
        self.shape = _json_shape(t)
        pattern = json_pattern(t, json_fields.codes)
        self.pattern = None if self.shape is None or pattern is None else f"{_JSON_BLANK}{pattern}{_JSON_BLANK}"

    def step(self, step: int):
        """The column this cell adds at `step`: whether it is JSON written plainly (the
        pattern), whether it is JSON, its typed value, and whether that value is exactly
        the text."""
        if step == 0:
            if self.pattern is None:
                return exp.alias_(exp.false(), self.plain.name)
            # (a list of more than MAX_ITEMS items takes more characters than this)
            return exp.alias_(all_of(exp.LTE(this=call("strlen", self.text), expression=number(2 * MAX_ITEMS)),
                                   call("regexp_full_match", self.text, string(self.pattern))), self.plain.name)
        if step == 1:
            return exp.alias_(exp.Case(ifs=[exp.If(this=self.plain, true=exp.true())],
                                       default=json_text_ok(self.text)), self.valid.name)
        if self.shape is None:
            return exp.alias_(exp.Null(), f"_{'tx'[step - 2]}{self.valid.name[2:]}")
        if step == 2:
            return exp.alias_(exp.Case(ifs=[exp.If(this=self.valid, true=call(
                "from_json", self.text, string(self.shape[0])))]), self.typed.name)
        return exp.alias_(exp.Case(ifs=[exp.If(this=self.plain, true=exp.true())], default=_only_if(
            self.valid, exp.EQ(this=call("json", self.text), expression=call("to_json", self.typed)))),
            self.exact.name)

    def checked(self):
        """(value, ok) of the cell, from the columns of its steps."""
        j = exp.Case(ifs=[exp.If(this=self.valid, true=exp.cast(self.text, "JSON"))])
        slow_value, slow_ok = self.fields.value(j, self.t)
        slow_ok = all_of(self.valid, slow_ok)
        if self.shape is None:
            return slow_value, slow_ok
        value, ok = _typed_column(self.typed, self.shape[1], self.t, self.fields)
        ifs = [exp.If(this=self.exact, true=value)]
        oks = [exp.If(this=self.exact, true=ok)]
        if self.pattern is not None:
            ifs.insert(0, exp.If(this=self.plain, true=_as_read(self.typed, self.t, value)))
            oks.insert(0, exp.If(this=self.plain, true=exp.true()))
        return exp.Case(ifs=ifs, default=slow_value), exp.Case(ifs=oks, default=slow_ok)


# what JSON takes for blank between its tokens (Python's json module: the same four)
_JSON_BLANK = "[ \\t\\n\\r]*"
_WORD = re.compile(r"[A-Za-z0-9_]+")


def json_pattern(t: T.Type, codes, depth: int = 0) -> str | None:
    """An RE2 pattern matched only by JSON text that is a value of `t` written plainly,
    which both the Python reader and from_json read as the same value: text without an
    escape or a control character, members of enums and country codes written as
    themselves, whole numbers of at most 18 digits, true and false, lists, and records
    with every field in the record's order and none null. None for a type it does not
    cover (a date, a decimal, names that are not plain words, deep nesting)."""
    b = _JSON_BLANK
    if t == T.TEXT:
        return '"[^"\\\\\\x00-\\x1f]*"'
    if t == T.COUNTRY or isinstance(t, T.EnumType):
        words = sorted(codes if t == T.COUNTRY else t.members)
        if not all(_WORD.fullmatch(w) for w in words):
            return None
        return '"(?:' + "|".join(words) + ')"'
    if t == T.BOOL:
        return "(?:true|false)"
    if t == T.INT:
        return "-?(?:0|[1-9][0-9]{0,17})"    # below 10^18 (MAX_INT)
    if isinstance(t, (T.ListType, T.SetType)) and depth < 4:
        item = json_pattern(T.strip(t.elem), codes, depth + 1)
        if item is None:
            return None
        return f"\\[{b}(?:{item}(?:{b},{b}{item})*{b})?\\]"
    if isinstance(t, T.RecordType) and depth < 4 and t.fields:
        parts = []
        for name, field_type in t.fields.items():
            value = json_pattern(T.strip(field_type), codes, depth + 1)
            if value is None or not _WORD.fullmatch(name):
                return None
            parts.append(f'"{name}"{b}:{b}{value}')
        return f"\\{{{b}" + f"{b},{b}".join(parts) + f"{b}\\}}"
    return None


def _as_read(typed, t: T.Type, value):
    """The value of a cell that matched its json_pattern, from `typed` (from_json's
    reading of it): that reading itself, but for sets (sorted, without repeats) when
    `value` (the typed column's full conversion) is not needed."""
    if not _holds_a_set(t):
        return typed
    if isinstance(t, T.SetType) and not _holds_a_set(T.strip(t.elem)):
        return call("list_sort", call("list_distinct", typed))
    return value


def _holds_a_set(t: T.Type, depth: int = 0) -> bool:
    t = T.strip(t)
    if isinstance(t, T.SetType):
        return True
    if depth > 8:
        return False
    if isinstance(t, T.ListType):
        return _holds_a_set(t.elem, depth + 1)
    if isinstance(t, T.RecordType):
        return any(_holds_a_set(ft, depth + 1) for ft in t.fields.values())
    return False


def _json_shape(t: T.Type, depth: int = 0):
    """(from_json's structure, the Arrow type of the value it gives) for `t` written as
    JSON, text types read as text; None for a type SQL does not read so."""
    import pyarrow as pa

    if is_text_type(t):
        return '"VARCHAR"', pa.string()
    if t == T.INT:
        return '"BIGINT"', pa.int64()
    if t == T.BOOL:
        return '"BOOLEAN"', pa.bool_()
    if isinstance(t, (T.ListType, T.SetType)) and depth < 4:
        inner = _json_shape(T.strip(t.elem), depth + 1)
        return None if inner is None else (f"[{inner[0]}]", pa.list_(inner[1]))
    if isinstance(t, T.RecordType) and depth < 4:
        fields = {name: _json_shape(T.strip(ft), depth + 1) for name, ft in t.fields.items()}
        if any(shape is None for shape in fields.values()):
            return None
        structure = ",".join(f"{json.dumps(name)}:{shape[0]}" for name, shape in fields.items())
        return "{" + structure + "}", pa.struct([(name, shape[1]) for name, shape in fields.items()])
    return None


def _validated(table, columns, record_type: T.RecordType, typed) -> exp.Select | None:
    """`_row`, `_ok` and each field's value, `typed(name, type)` giving (value, ok) for a
    present value of a field in `columns` (None: SQL does not read this column)."""
    values, oks = [], []
    for name, field_type in record_type.fields.items():
        if name not in columns:
            if not T.is_optional(field_type):
                return None     # the header check refuses this input first
            values.append(exp.alias_(exp.Null(), name, quoted=True))
            continue
        checked = typed(name, T.strip(field_type))
        if checked is None:
            return None
        value, ok = checked
        present = exp.Not(this=exp.Is(this=exp.column(name, quoted=True), expression=exp.Null()))
        values.append(exp.alias_(exp.Case(ifs=[exp.If(this=present, true=value)]), name, quoted=True))
        oks.append(exp.Paren(this=exp.Or(this=exp.Not(this=present), expression=exp.Paren(this=ok)))
                   if T.is_optional(field_type) else all_of(present, ok))
    ok = exp.Coalesce(this=all_of(*oks), expressions=[exp.false()])
    return exp.select(exp.column("_row"), exp.alias_(ok, "_ok"), *values).from_(table)


def _typed_column(column, arrow, t: T.Type, json_fields: "JsonFields", depth: int = 0):
    """(value, ok) for a present value of a typed column (or of an item or field of one)."""
    import pyarrow as pa

    if is_text_type(t) and (pa.types.is_string(arrow) or pa.types.is_large_string(arrow)):
        return text_value(column, t, json_fields.codes)
    if t == T.DATE and pa.types.is_date(arrow):
        return column, exp.Between(this=call("year", column), low=number(1), high=number(9999))
    if t == T.BOOL and pa.types.is_boolean(arrow):
        return column, exp.true()
    if t == T.INT and pa.types.is_integer(arrow):
        # (TRY_CAST: an unsigned 64-bit value past BIGINT is computed, then refused by ok)
        return exp.TryCast(this=column, to=exp.DataType.build("BIGINT")), exp.LTE(
            this=call("abs", exp.cast(column, "HUGEINT")), expression=number(MAX_INT))
    if isinstance(t, (T.ListType, T.SetType)) and pa.types.is_list(arrow) and depth < 4:
        item = exp.column(f"_i{depth}")
        value, ok = _typed_column(item, arrow.value_type, T.strip(t.elem), json_fields, depth + 1)
        present = exp.Not(this=exp.Is(this=item, expression=exp.Null()))
        items = call("list_transform", column, exp.Lambda(this=value, expressions=[item.this]))
        if isinstance(t, T.SetType):
            items = call("list_sort", call("list_distinct", items))
        each = exp.Lambda(this=exp.Coalesce(this=all_of(present, ok), expressions=[exp.false()]),
                          expressions=[item.this])
        return items, all_of(exp.LTE(this=call("len", column), expression=number(MAX_ITEMS)),
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
                       if T.is_optional(field_type) else all_of(present, ok))
        return call("struct_pack", *values), all_of(*oks) if oks else exp.true()
    # anything else as the JSON the Python reader would see (a float, a decimal, a
    # timestamp, text for a date: refused by the JSON checks, so left to Python)
    return json_fields.value(call("to_json", column), t)
