"""A validator generated for one record type: the fast path for valid records.

Most records are valid. For them `compile_validator(record_type, general)`
writes Python source for the record type — each field's test inlined, no
dispatch on the type at run time, one dict display for the result — compiles
it once, and returns `check(data) -> dict | SLOW`. Anything unusual (an error,
an unknown field, a float for an int, a non-ASCII string, an object that only
looks like a string) returns SLOW, and validate.py validates the record again
on its general path, which words the errors. The two must give equal values on
every input: tests/test_records.py checks it with Hypothesis.

Two shapes, chosen by the number of fields (measured in benchmarks/run.py's
records): a record with few fields is read field by field in straight-line
code; a wide one (the stdlib's union `Case` has about 80 fields, of which a
record holds 10 to 20) starts from the all-unknown record and reads only the
keys the record has, through a table of per-field checks.

A `transient` validator (`Policy.evaluate_many`'s, whose value is decided at once and
dropped) takes the same records and gives equal values, more cheaply: it copies the
record's dict and writes into the copy only the values that change (dates, lists made
tuples, unknown values), reads a record holding every field by key rather than by `get`,
and shares a nested record whose fields are all read as they are (enums, text, ...).
`field_checks` gives its checks as statements for the compiled program's generator, which
writes them into one function with the decision (`evaluate_many`'s reader): each field is
checked into a variable that the decision reads, and no dict is built at all.

A path such as `relatives[2].age` is only needed for the unknown value of a
missing optional field inside a list: it is passed down as a chain of
(parent, step) tuples and written out only then.
"""

from __future__ import annotations

import datetime as _dt

from rulelang import countries
from rulelang.runtime import MAX_INT, Unknown
from rulelang.semantics import types as T

MAX_TEXT = 100_000          # characters in one text value (validate.py's limits too)
MAX_ITEMS = 10_000          # items in one list or set
FAST_DEPTH = 8              # deeper values take the general path (which checks MAX_DEPTH)
WIDE = 16                   # a record with more fields reads only the keys it is given

SLOW = object()


class _Slow(Exception):
    """Raised anywhere in generated code: this record needs the general path."""


def _fact(at, name: str) -> str:
    """The path of field `name` of the record at `at` ('' at the top, else (parent, step))."""
    base = _path(at)
    return f"{base}.{name}" if base else name


def _path(at) -> str:
    if type(at) is str:
        return at
    parent, step = at
    base = _path(parent)
    if type(step) is int:
        return f"{base}[{step}]"
    return f"{base}.{step}" if base else step


_DATES: dict = {}          # "2024-05-01" (or a date) -> the date, for every valid date seen
_MAX_DATES = 100_000       # then the cache starts again (a file of random dates)


def _read_date(v):
    """A date field's value the cache does not hold: a new text, or a date from Python."""
    # "2024-05-01" exactly (fromisoformat also takes "20240501" and week dates, which the
    # general path refuses); not a real date: ValueError, the general path words it
    if type(v) is str and len(v) == 10 and v[4] == "-" and v[7] == "-" and v.isascii():
        day = _dt.date.fromisoformat(v)
    elif type(v) is _dt.date:
        day = v
    else:
        raise _Slow
    if len(_DATES) >= _MAX_DATES:
        _DATES.clear()
    _DATES[v] = day
    return day


class _Generator:
    def __init__(self, general, transient: bool = False, fused: dict | None = None,
                 known: str | None = None) -> None:
        self.transient = transient or fused is not None
        self.namespace: dict = {"_Slow": _Slow, "U": Unknown, "fact": _fact, "general": general,
                                "DATES": _DATES, "read_date": _read_date,
                                "SLOW": SLOW}
        self.functions: list[str] = []
        self.names: dict = {}       # (id of record type, depth) -> function name
        self.kept: list = []        # the record types, while generating (ids stay unique)
        self._consts: dict = {}
        self.counter = 0
        # field_checks: field -> the variable of another generator's function to check it
        # into; the names this generator makes then start with `chk_` (in that function's
        # globals, beside the other generator's)
        self.fused = fused
        self.prefix = "" if fused is None else "chk_"
        # field_checks: the variable left true where every field had a value (or None)
        self.known = known

    def const(self, value, prefix: str = "k") -> str:
        hashable = isinstance(value, (str, frozenset, Unknown))
        key = (prefix, value if hashable else id(value))
        if key not in self._consts:
            name = f"{self.prefix}{prefix}{len(self._consts)}"
            self._consts[key] = name
            self.namespace[name] = value
            if not hashable:
                self.kept.append(value)
        return self._consts[key]

    def key(self, field: str) -> str:
        """A field's name in generated code: a literal when it is identifier-shaped (a
        constant of the code, cheaper to load than a global), else from the table."""
        return repr(field) if field.isidentifier() and field.isascii() else self.const(field)

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{self.prefix}{prefix}{self.counter}"

    # ---- records ----------------------------------------------------------------------

    def record_function(self, record_type: T.RecordType, depth: int) -> str:
        """`recN(data, at)`: the typed value of a record at path `at` (at the top: or SLOW)."""
        key = (id(record_type), depth)
        if key not in self.names:
            self.kept.append(record_type)
            self.names[key] = name = f"{self.prefix}rec{len(self.names)}"
            shape = self._wide if depth == 0 and is_wide(record_type) else \
                self._copied if self.transient else self._straight
            header, *body = shape(name, record_type, depth)
            if depth == 0:
                body = _entry(body)
            self.functions.append("\n".join([header, *body]) + "\n")
        return self.names[key]

    def _missing(self, field: str, field_type: T.Type, depth: int) -> str:
        """The value of an absent or null field: its unknown value, or `raise _Slow`."""
        if not T.is_optional(field_type):
            return "raise _Slow"   # the general path says which field
        if depth == 0:
            return self.const(Unknown(frozenset({field})), "unknown")
        return f"U(frozenset((fact(at, {self.key(field)}),)))"

    def _straight(self, name: str, record_type: T.RecordType, depth: int) -> list[str]:
        fields = frozenset(record_type.fields)
        lines = [f"def {name}(data, at=''):", "    if type(data) is not dict:", "        raise _Slow",
                 "    get = data.get", "    absent = 0"]
        values = []
        for field, field_type in record_type.fields.items():
            var = self.fresh("v")
            values.append((field, var))
            lines.append(f"    {var} = get({self.key(field)})")
            body = self.value(var, T.strip(field_type), depth + 1, self.child(record_type, field, depth))
            missing = self._missing(field, field_type, depth)
            if missing == "raise _Slow":
                # every test refuses None: a missing required field falls to the general path
                lines.extend("    " + line for line in body)
                continue
            lines += [f"    if {var} is None:", f"        {var} = {missing}", "        absent += 1",
                      "    else:"]
            lines.extend("        " + line for line in body)
        # every field not absent (nor null) was found: if the record has no more keys than
        # that, it has no unknown field; only a record with nulls needs the full test
        lines += [f"    if len(data) + absent != {len(fields)} and not data.keys() <= "
                  f"{self.const(fields, 'fields')}:", "        raise _Slow"]
        display = ", ".join(f"{self.key(field)}: {var}" for field, var in values)
        return lines + [f"    return {{{display}}}"]

    def child(self, record_type: T.RecordType, field: str, depth: int) -> str:
        """The code of the path of `field`, or None where no unknown value can need it. (A
        record's fields checked in another generator's function are at the top: that
        function has no `at`.)"""
        at = "''" if self.fused is not None and depth == 0 else "at"
        return f"({at}, {self.key(field)})" if _needs_path(record_type.fields[field]) else "None"

    def _copied(self, name: str, record_type: T.RecordType, depth: int) -> list[str]:
        """The transient shape: the record's dict copied, and only the values that change
        (a date read, a list made a tuple, an unknown value) written into the copy. A record
        with every field (the usual case) reads them by key; else by `get`, counting the
        absent ones to tell an unknown field."""
        fields = record_type.fields
        lines = [f"def {name}(data, at=''):", "    if type(data) is not dict:", "        raise _Slow",
                 "    out = data.copy()", f"    if len(data) == {len(fields)}:"]
        for field, field_type in fields.items():
            lines += ["        " + line for line in self._field(
                f"data[{self.key(field)}]", field, field_type, record_type, depth, False)]
        # (`absent` named as _field counts it: with a prefix when fused)
        lines += ["        return out", "    get = data.get", f"    {self.prefix}absent = 0"]
        for field, field_type in fields.items():
            lines += ["    " + line for line in self._field(
                f"get({self.key(field)})", field, field_type, record_type, depth, True)]
        return lines + [f"    if len(data) + {self.prefix}absent != {len(fields)} and not data.keys() <= "
                        f"{self.const(frozenset(fields), 'fields')}:", "        raise _Slow",
                        "    return out"]

    def fused_checks(self, record_type: T.RecordType) -> list[str]:
        """field_checks' statements: each field's value checked into its variable of
        `self.fused`, read by key when the record has every field, else by `get`; and
        `self.known` set true if every field had a value (read by key, none None)."""
        fields, variables, known = record_type.fields, self.fused, self.known
        lines = ["if type(data) is not dict:", "    raise _Slow", *([f"{known} = True"] if known else []),
                 f"if len(data) == {len(fields)}:"]
        for field, field_type in fields.items():
            lines += ["    " + line for line in self._field(
                f"data[{self.key(field)}]", field, field_type, record_type, 0, False, variables[field])]
        lines += ["else:", *([f"    {known} = False"] if known else []), f"    {self.prefix}get = data.get",
                  f"    {self.prefix}absent = 0"]
        for field, field_type in fields.items():
            lines += ["    " + line for line in self._field(
                f"{self.prefix}get({self.key(field)})", field, field_type, record_type, 0, True,
                variables[field])]
        return lines + [f"    if len(data) + {self.prefix}absent != {len(fields)} and not data.keys() <= "
                        f"{self.const(frozenset(fields), 'fields')}:", "        raise _Slow"]

    def _field(self, read: str, field: str, field_type: T.Type, record_type: T.RecordType,
               depth: int, counting: bool, var: str | None = None) -> list[str]:
        """`_copied`'s statements for one field: `read` it, check it, write what changes
        into `out`; or `fused_checks`'s, given the `var` that is to hold the value."""
        type_, missing = T.strip(field_type), self._missing(field, field_type, depth)
        fused = var is not None

        def keep(value: str) -> list[str]:
            if fused:
                return [] if value == var else [f"{var} = {value}"]
            return [f"out[{self.key(field)}] = {value}"]

        if missing == "raise _Slow":   # every test refuses None
            if fused:
                return [f"{var} = {read}", *self.value(var, type_, depth + 1, self.child(record_type, field, depth))]
            var, lines = self.read(read, type_, depth + 1, self.child(record_type, field, depth))
            return lines + (keep(var) if not self.as_is(type_) else [])
        var = var or self.fresh("v")
        store = keep(var) if not self.as_is(type_) else []
        absent = keep(missing) + ([f"{self.prefix}absent += 1"] if counting else []) + (
            [f"{self.known} = False"] if fused and self.known and not counting else [])
        refused = self.refused(var, type_)
        if refused is not None:   # the test first: None is refused by it, then told apart
            return [f"{var} = {read}", f"if {refused}:", f"    if {var} is not None:",
                    "        raise _Slow", *("    " + line for line in absent)]
        body = self.value(var, type_, depth + 1, self.child(record_type, field, depth))
        if isinstance(type_, (T.ListType, T.SetType)) and depth + 1 <= FAST_DEPTH:
            # an empty list (the usual optional list) is told first, without the loop
            make, kinds = _COLLECTIONS[type(type_)]
            kind = " or ".join(f"type({var}) is {k}" for k in kinds)
            return [f"{var} = {read}", f"if {var}:", *("    " + line for line in body + store),
                    f"elif {var} is None:", *("    " + line for line in absent),
                    f"elif {kind}:", *("    " + line for line in keep(f"{make}()")),
                    "else:", "    raise _Slow"]
        return [f"{var} = {read}", f"if {var} is None:", *("    " + line for line in absent),
                "else:", *("    " + line for line in body + store)]

    def _wide(self, name: str, record_type: T.RecordType, depth: int) -> list[str]:
        required = frozenset(f for f, t in record_type.fields.items() if not T.is_optional(t))
        # every field, in declaration order; the required ones are all overwritten
        defaults = {f: None if f in required else Unknown(frozenset({f}))
                    for f in record_type.fields}
        checks = {}
        for field, field_type in record_type.fields.items():
            check = self.fresh("check")
            body = self.value("v", T.strip(field_type), depth + 1, self.child(record_type, field, depth))
            missing = self._missing(field, field_type, depth)
            lines = [f"def {check}(v, at):", "    if v is None:",
                     f"        {missing if missing == 'raise _Slow' else 'return ' + missing}"]
            lines += ["    " + line for line in body] + ["    return v"]
            self.functions.append("\n".join(lines) + "\n")
            checks[field] = check
        table = self.fresh("checks")
        self.functions.append(f"{table} = {{{', '.join(f'{self.key(f)}: {c}' for f, c in checks.items())}}}\n")
        # an unknown field is a KeyError in the table: the general path warns about it
        return [f"def {name}(data, at=''):",
                f"    if type(data) is not dict or not data.keys() >= {self.const(required, 'required')}:",
                "        raise _Slow",
                f"    out = {self.const(defaults, 'defaults')}.copy()",
                "    for key, v in data.items():",
                f"        out[key] = {table}[key](v, at)",
                "    return out"]

    # ---- values -------------------------------------------------------------------------

    def value(self, var: str, type_: T.Type, depth: int, at: str) -> list[str]:
        """Statements that check `var` (known not None) and leave its typed value in it;
        `at` is the code of its path."""
        if depth > FAST_DEPTH:
            return ["raise _Slow"]
        refused = self.refused(var, type_)
        if refused is not None:
            return [f"if {refused}:", "    raise _Slow"]
        if type_ == T.DATE:
            # records hold few distinct dates: each is read once (_read_date), then found by
            # a subscript (no call; the try costs nothing until a date is new)
            return ["try:", f"    {var} = DATES[{var}]", "except KeyError:",
                    f"    {var} = read_date({var})"]
        if isinstance(type_, T.RecordType):
            if self.as_is(type_):
                return self.shared(var, type_, depth)
            return [f"{var} = {self.record_function(type_, depth)}({var}, {at})"]
        if isinstance(type_, (T.ListType, T.SetType)):
            return self.collection(var, type_, depth, at)
        # decimals, durations: rare in records; the general path's own conversion
        return [f"{var} = general({var}, {self.const(type_, 'type')})"]

    def refused(self, var: str, type_: T.Type) -> str | None:
        """For a type whose value is the one read (bool, int, text, enum, country): the
        condition that refuses `var` (None among others); for other types None."""
        if type_ == T.BOOL:
            return f"{var} is not True and {var} is not False"
        if type_ == T.INT:
            return f"type({var}) is not int or not {-MAX_INT} <= {var} <= {MAX_INT}"
        if type_ == T.TEXT:
            return f"type({var}) is not str or not {var}.isascii() or len({var}) > {MAX_TEXT}"
        members = self.members(type_)
        if members is not None:
            # a set of str holds no other type (an unhashable value: TypeError, the general path)
            return f"{var} not in {members}"
        return None

    def as_is(self, type_: T.Type) -> bool:
        """Is a valid value of `type_` the value read? Of a record, only in transient
        mode (its dict is shared) and when every field is required and read as is."""
        if isinstance(type_, T.RecordType):
            return self.transient and all(not T.is_optional(t) and self.as_is(T.strip(t))
                                          for t in type_.fields.values())
        return type_ in (T.BOOL, T.INT, T.TEXT, T.COUNTRY) or isinstance(type_, T.EnumType)

    def shared(self, var: str, record_type: T.RecordType, depth: int) -> list[str]:
        """Statements that check a record read as is (`as_is`): its dict, every field."""
        lines = [f"if type({var}) is not dict or len({var}) != {len(record_type.fields)}:",
                 "    raise _Slow"]
        for field, field_type in record_type.fields.items():
            _, checks = self.read(f"{var}[{self.key(field)}]", T.strip(field_type), depth + 1, "None")
            lines += checks
        return lines

    def read(self, read: str, type_: T.Type, depth: int, at: str) -> tuple[str | None, list[str]]:
        """(a variable, statements that put the value `read` gives in it, checked): `value`'s,
        but a value tested only for membership is tested where it is read, in no variable."""
        members = self.members(type_)
        if members is not None and depth <= FAST_DEPTH:
            return None, [f"if {read} not in {members}:", "    raise _Slow"]
        var = self.fresh("v")
        return var, [f"{var} = {read}", *self.value(var, type_, depth, at)]

    def members(self, type_: T.Type) -> str | None:
        """The frozenset of strings a value of `type_` must be one of, if it is such a type."""
        if type_ == T.COUNTRY:
            return self.const(frozenset(countries.codes()), "codes")
        if isinstance(type_, T.EnumType):
            return self.const(frozenset(type_.members), "members")
        return None

    def collection(self, var: str, type_, depth: int, at: str) -> list[str]:
        make, kinds = _COLLECTIONS[type(type_)]
        # (the limits are literals and the type tests `is`: cheaper than globals and `in`)
        kind = " and ".join(f"type({var}) is not {k}" for k in kinds)
        lines = [f"if {kind} or len({var}) > {MAX_ITEMS}:", "    raise _Slow"]
        if T.is_optional(type_.elem):
            return lines + ["raise _Slow"]   # unknown items: the general path
        elem = T.strip(type_.elem)
        if self.as_is(elem):   # (measured: a loop beats set operations on short lists)
            item = self.fresh("x")
            body = self.value(item, elem, depth + 1, "None")
            return lines + [f"for {item} in {var}:", *("    " + line for line in body),
                            f"{var} = {make}({var})"]
        item, index, out = self.fresh("x"), self.fresh("i"), self.fresh("items")
        if isinstance(elem, T.RecordType) and depth + 1 <= FAST_DEPTH:
            function = self.record_function(elem, depth + 1)
            if not _needs_path(elem):
                return lines + [f"{var} = {make}([{function}({item}, None) for {item} in {var}])"]
            return lines + [f"{var} = {make}([{function}({item}, ({at}, {index})) "
                            f"for {index}, {item} in enumerate({var})])"]
        body = self.value(item, elem, depth + 1, f"({at}, {index})")
        return lines + [f"{out} = []", f"for {index}, {item} in enumerate({var}):",
                        *("    " + line for line in body),
                        f"    {out}.append({item})", f"{var} = {make}({out})"]


# a list field takes a JSON list or a Python tuple; a set field also a Python set
_COLLECTIONS = {T.ListType: ("tuple", ("list", "tuple")),
                T.SetType: ("frozenset", ("list", "tuple", "set", "frozenset"))}


def is_wide(record_type: T.RecordType) -> bool:
    """Is a record of this type read through a table of per-field checks (see above)?"""
    return len(record_type.fields) > WIDE


def _needs_path(type_: T.Type, seen: frozenset = frozenset()) -> bool:
    """Can a value of `type_` hold a record with an optional field (whose unknown value
    names its path)?"""
    type_ = T.strip(type_)
    if isinstance(type_, (T.ListType, T.SetType)):
        return _needs_path(type_.elem, seen)
    if not isinstance(type_, T.RecordType) or id(type_) in seen:
        return False
    return any(T.is_optional(t) or _needs_path(t, seen | {id(type_)})
               for t in type_.fields.values())


def _entry(body: list[str]) -> list[str]:
    """An entry point's statements in a `try`: any surprise (a wrong value, a KeyError for
    an unknown field, a TypeError for an unhashable one) means the general path decides."""
    return ["    try:", *("    " + line for line in body), "    except Exception:", "        return SLOW"]


def compile_validator(record_type: T.RecordType, general, transient: bool = False):
    """`check(data, at="") -> dict | SLOW` for records of `record_type`. `general(value,
    type)` converts a value the generated code does not specialise (validate.py's
    general path) and raises on anything wrong. A `transient` validator's value is only
    read while one record is decided (`Policy.evaluate_many`): equal to the other's, but
    it keeps the record's key order and shares the nested records it does not change."""
    generator = _Generator(general, transient)
    top = generator.record_function(record_type, 0)
    source = "".join(generator.functions)
    namespace = generator.namespace
    exec(compile(source, f"<rulelang validator {record_type.name}>", "exec"), namespace)  # noqa: S102
    check = namespace[top]
    check.source = source
    return check


def field_checks(record_type: T.RecordType, general, variables: dict[str, str], known: str | None = None):
    """The transient validator's checks as statements of a function that another generator
    writes (`Policy.evaluate_many`'s reader: the compiled decision follows them), whose
    parameter `data` is the record: each field's value checked into `variables[field]`, no
    dict built; a record they do not take makes the function return SLOW. Returns (the
    statements, at the function body's level; the globals they read: every name they add
    starts with `chk_`), or None for a wide record type (read through its table of checks
    into a dict: the transient validator's way). Given `known`, a variable's name, the
    statements also leave it true where every field had a value, false elsewhere."""
    if is_wide(record_type):
        return None
    generator = _Generator(general, fused=variables, known=known)
    lines = [line[4:] for line in _entry(["    " + line for line in generator.fused_checks(record_type)])]
    namespace = generator.namespace
    exec(compile("".join(generator.functions), f"<rulelang validator {record_type.name}>", "exec"),  # noqa: S102
         namespace)
    return lines, namespace


__all__ = ["SLOW", "compile_validator", "field_checks", "is_wide"]
