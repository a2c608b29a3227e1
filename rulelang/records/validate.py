"""Validating case records against the program's input record type.

`validate(raw, record_type)` gives a ValidRecord (the typed value the engines
read, and warnings such as an ignored field) or an InvalidRecord naming the
record, its position and every field that is wrong (up to MAX_ERRORS), so a
record with three mistakes is fixed in one run, not three. It never raises
for bad data: an invalid record is a value, and the batch goes on.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import json
import math
import re
import weakref
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import attrs

from rulelang import countries
from rulelang.diagnostics import did_you_mean
from rulelang.records.fastpath import MAX_ITEMS, MAX_TEXT, SLOW, compile_validator, field_checks
from rulelang.records.read import RawRecord, is_text_type, strict_json
from rulelang.runtime import MAX_INT, Duration, Unknown, make_duration
from rulelang.semantics import types as T

MAX_DEPTH = 32              # nesting of lists and records
MAX_ERRORS = 20             # errors listed for one record
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^\s*(\d+)\s+(days?|weeks?|months?|years?)\s*$")


@attrs.frozen
class InvalidRecord:
    """A record that cannot be decided, as a value: `Policy.evaluate_many` yields it
    and `Policy.evaluate` raises it as a RecordError with the same fields (docs/api.md)."""
    case: str                     # the record's id, or its position
    position: str
    field: str | None             # the first error's field and message ...
    message: str
    code: str = "RL0701"
    more: tuple[tuple[str | None, str], ...] = ()   # ... and the others, (field, message)

    @property
    def errors(self) -> tuple[tuple[str | None, str], ...]:
        return ((self.field, self.message),) + self.more

    def to_json(self) -> dict:
        out = {"case": self.case, "error": self._error(self.field, self.message)}
        if self.more:
            out["errors"] = [self._error(field, message) for field, message in self.errors]
        return out

    def _error(self, field: str | None, message: str) -> dict:
        return {"code": self.code, "field": field, "message": message, "at": self.position}

    def heading(self) -> str:
        position = f" ({self.position})" if self.position != self.case else ""
        return f"record {self.case}{position}"

    def describe(self) -> str:
        """Every error of the record, on one line."""
        return f"{self.heading()}: " + "; ".join(_one(field, message) for field, message in self.errors)

    def lines(self) -> list[str]:
        """The record, then one line per error when there are several."""
        if not self.more:
            return [self.describe()]
        capped = " (the first ones)" if len(self.errors) >= MAX_ERRORS else ""
        return [f"{self.heading()}: {len(self.errors)} errors{capped}"] + [
            "  " + _one(field, message) for field, message in self.errors]


def _one(field: str | None, message: str) -> str:
    return f"field `{field}`: {message}" if field else message


class ValidRecord(NamedTuple):
    """A named tuple, not an attrs class (as decision.Decision): one is made per
    record, and a frozen attrs instance costs about as much as validating a small
    record (measured with callgrind)."""
    case: str
    position: str
    value: dict
    warnings: tuple[str, ...] = ()


class _Invalid(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message

    def noted(self) -> tuple[str | None, str]:
        """(field, message): what a record's list of errors keeps. Not the exception,
        whose traceback would hold the caller's frames, batch and all (errors.detached)."""
        return self.field, self.message


# ---- validation ------------------------------------------------------------------------

def record_id(raw: RawRecord) -> str:
    data = raw.data
    return _dict_id(data, raw.position) if isinstance(data, dict) else raw.position


def _dict_id(data: dict, position: str) -> str:
    value = data.get("id")
    if type(value) is str and value.strip():   # the usual case first
        return value[:200]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**200:
        return str(value)  # (an int with thousands of digits cannot even be printed)
    if isinstance(value, str) and value.strip():
        return value[:200]
    return position


def validate(raw: RawRecord, record_type: T.RecordType, fast=None) -> ValidRecord | InvalidRecord:
    """`fast`: the fast-path validator of `record_type` (fast_validator), for a caller
    that keeps its own (a Policy); else one shared while the type is alive."""
    case = record_id(raw)
    if raw.read_error is not None:
        return InvalidRecord(case, raw.position, None, raw.read_error, "RL0703")
    if not isinstance(raw.data, dict):
        return InvalidRecord(case, raw.position, None,
                             f"a record must be a JSON object, not {_json_kind(raw.data)}")
    data = raw.data if not raw.from_text else _cells_as_json(raw.data, record_type)
    if data is not None:
        value = (fast or _fast_validator(record_type))(data, "")
        if value is not _SLOW:
            return ValidRecord(case, raw.position, value, ())
    warnings: list[str] = []
    errors: list[tuple[str | None, str]] = []     # (field, message)
    try:
        value = _record(raw.data, record_type, "", raw.from_text, warnings, errors, 0)
    except _Invalid as error:
        errors.append(error.noted())
    except RecursionError:
        return InvalidRecord(case, raw.position, None, "nested too deeply")
    if errors:
        (field, message), *rest = errors[:MAX_ERRORS]
        return InvalidRecord(case, raw.position, field, message, more=tuple(rest))
    return ValidRecord(case, raw.position, value, tuple(warnings))


def validate_dict(data: object, record_type: T.RecordType, position: str = "record") \
        -> ValidRecord | InvalidRecord:
    """A record given as a dict (JSON-shaped, or Python values: `datetime.date` for a
    date, a tuple for a list, a set for a set, `Decimal` for a decimal)."""
    if type(data) is dict:
        entry = _fast_cache.get(id(record_type))   # _fast_validator, inlined: once a record
        check = entry[1] if entry is not None and entry[0]() is record_type else \
            _fast_validator(record_type)
        value = check(data, "")
        if value is not _SLOW:
            return _new(ValidRecord, (_dict_id(data, position), position, value, ()))
    return validate(RawRecord(position, data=data), record_type, _refused)


_new = tuple.__new__


# ---- the fast path ------------------------------------------------------------------
# A validator generated once per record type (fastpath.py) checks and converts a
# valid record; anything unusual comes back as SLOW and the general path below
# validates the record again and words the errors. Both must give equal values:
# tests/test_records.py checks it. The cache is weak: a record type that is no
# longer used (a Policy dropped by a long-running server) takes its validator along.

_SLOW = SLOW
# id(record type) -> (a weak reference to it, its validator); the entry goes when the type
# does (a plain dict: WeakKeyDictionary.get builds a weak reference on every call)
_fast_cache: dict[int, tuple] = {}


def fast_validator(record_type: T.RecordType, transient: bool = False):
    """The fast-path validator of `record_type`, built anew (a Policy keeps its own):
    `check(data, at="") -> value | SLOW`. A `transient` one's value is only for
    deciding the record at once (see fastpath.compile_validator)."""
    return compile_validator(record_type, _general_value, transient)


def fused_checks(record_type: T.RecordType, variables: dict[str, str], known: str | None = None):
    """The fast path's checks of a record's fields as statements for a compiled program's
    reader (fastpath.field_checks), or None for a wide record type."""
    return field_checks(record_type, _general_value, variables, known)


def _fast_validator(record_type: T.RecordType):
    key = id(record_type)
    entry = _fast_cache.get(key)
    if entry is not None and entry[0]() is record_type:
        return entry[1]
    validator = fast_validator(record_type)
    _fast_cache[key] = (weakref.ref(record_type, lambda _, key=key: _fast_cache.pop(key, None)),
                        validator)
    return validator


def _refused(data, at: str = ""):
    """The fast path, once it has refused a record: straight to the general path."""
    return _SLOW


def _general_value(value, type_: T.Type):
    """One value by the general path, for generated code; raises on anything wrong
    (the record is then validated again from the start, which words the error)."""
    warnings: list = []
    errors: list = []
    out = _value(value, type_, "", False, warnings, errors, 0)
    if warnings or errors:
        raise _Invalid(None, "invalid")
    return out


def _cells_as_json(data: dict, record_type: T.RecordType) -> dict | None:
    """A CSV row's cells converted by field type (true, 12, JSON text), for the fast
    path; None when a cell does not convert (the general path words the error)."""
    fields = record_type.fields
    out = {}
    for key, cell in data.items():
        type_ = fields.get(key)
        if type_ is None or type(cell) is not str:
            return None
        type_ = T.strip(type_)
        if is_text_type(type_):
            out[key] = cell
            continue
        try:
            out[key] = _from_cell(cell, type_, key)
        except _Invalid:
            return None
    return out


def _json_kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null", Decimal: "a number",
            tuple: "a list", set: "a set", frozenset: "a set", _dt.date: "a date"}.get(type(value), "a value")


def _record(data: dict, record_type: T.RecordType, path: str, from_text: bool,
            warnings: list, errors: list, depth: int) -> dict:
    """The record's typed value; each wrong field is added to `errors` and the others
    are still read, so one pass finds every mistake."""
    if depth > MAX_DEPTH:
        raise _Invalid(path.rstrip(".") or None, f"nested more than {MAX_DEPTH} levels deep")
    for key in data:
        if key not in record_type.fields:
            hint = did_you_mean(str(key), record_type.fields)
            warnings.append(f"unknown field `{path}{key}` is ignored" + (f" ({hint})" if hint else ""))
    out = {}
    for name, field_type in record_type.fields.items():
        field_path = path + name
        try:
            if name not in data or data[name] is None:
                if not T.is_optional(field_type):
                    what = "is missing" if name not in data else "is null"
                    raise _Invalid(field_path, f"required field {what}")
                out[name] = Unknown(frozenset({field_path}))
                continue
            out[name] = _value(data[name], T.strip(field_type), field_path, from_text, warnings,
                               errors, depth + 1)
        except _Invalid as error:
            errors.append(error.noted())
    return out


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _value(value, type_: T.Type, path: str, from_text: bool, warnings: list, errors: list, depth: int):
    if isinstance(value, str) and _not_utf8(value):
        raise _Invalid(path, "not valid UTF-8 text")
    if from_text and isinstance(value, str) and not is_text_type(type_):
        value = _from_cell(value, type_, path)
        from_text = False
    if isinstance(type_, T.RecordType):
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected an object ({type_.name}), got {_json_kind(value)}")
        return _record(value, type_, path + ".", from_text, warnings, errors, depth)
    if isinstance(type_, (T.ListType, T.SetType)):
        # from Python: a tuple for a list; a set or frozenset for a set, not for a list
        ordered = isinstance(type_, T.ListType)
        if ordered and isinstance(value, (set, frozenset)):
            raise _Invalid(path, f"`{type_}` keeps its items in order and a Python set has no "
                           "order: pass a list or a tuple")
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise _Invalid(path, f"expected a list, got {_json_kind(value)}")
        if len(value) > MAX_ITEMS:
            raise _Invalid(path, f"has more than {MAX_ITEMS} items")
        if depth > MAX_DEPTH:
            raise _Invalid(path, f"nested more than {MAX_DEPTH} levels deep")
        items = []
        for i, item in enumerate(value):
            try:
                items.append(_value(item, type_.elem, f"{path}[{i}]", from_text, warnings, errors,
                                    depth + 1))
            except _Invalid as error:
                errors.append(error.noted())
        return tuple(items) if isinstance(type_, T.ListType) else frozenset(items)
    if isinstance(type_, T.EnumType):
        if not isinstance(value, str):
            raise _Invalid(path, f"expected one of {_members(type_)}, got {_json_kind(value)}")
        if value not in type_.members:
            hint = did_you_mean(value, type_.members)
            raise _Invalid(path, f"`{_clip(value)}` is not a member of `{type_.name}`: expected one of "
                           f"{_members(type_)}" + (f" ({hint})" if hint else ""))
        return value
    return _scalar(value, type_, path)


def _scalar(value, type_: T.Type, path: str):
    if type_ == T.BOOL:
        if isinstance(value, bool):
            return value
        raise _Invalid(path, f"expected true or false, got {_json_kind(value)}")
    if type_ == T.INT:
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > MAX_INT:
                raise _Invalid(path, "number too large")
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_INT:
            return int(value)
        if (isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()
                and abs(value) <= MAX_INT):   # from Python, as the number 3 in JSON
            return int(value)
        raise _Invalid(path, f"expected a whole number, got {_json_kind(value)}")
    if type_ == T.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise _Invalid(path, f"expected a number, got {_json_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise _Invalid(path, "expected a finite number")
        try:
            # a Decimal from Python reads as its text would ("1.50" keeps its places)
            number = Decimal(value) if isinstance(value, int) else Decimal(str(value))
        except InvalidOperation:
            raise _Invalid(path, f"`{_clip(str(value))}` is not a number") from None
        if not number.is_finite() or abs(number) > MAX_INT:
            raise _Invalid(path, "expected a finite number no larger than 10^18")
        return number
    if type_ == T.TEXT:
        if not isinstance(value, str):
            raise _Invalid(path, f"expected text, got {_json_kind(value)}")
        if len(value) > MAX_TEXT:
            raise _Invalid(path, f"text longer than {MAX_TEXT} characters")
        return value
    if type_ == T.DATE:
        if type(value) is _dt.date:   # from Python
            return value
        if isinstance(value, _dt.datetime):
            # A date-only datetime (midnight, no time zone) is what pandas and database
            # drivers give for a DATE column: its day is not in doubt. Any other moment's
            # calendar day depends on a time zone, and guessing it could move a claim date.
            if value.tzinfo is None and value.time() == _dt.time():
                return value.date()
            raise _Invalid(path, f"expected a date, got the moment {value.isoformat()}: pass its "
                           "calendar day (`.date()` in the right time zone)")
        if not isinstance(value, str) or not _DATE.match(value):
            try:
                shown = _clip(json.dumps(value))
            except (TypeError, ValueError, RecursionError):  # a date object, a 5000-digit int
                shown = _json_kind(value)
            raise _Invalid(path, f"expected a date as YYYY-MM-DD, got {shown}")
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise _Invalid(path, f"{value} is not a real date ({date_problem(value)})") from None
    if type_ == T.COUNTRY:
        if not isinstance(value, str):
            raise _Invalid(path, f"expected a country code, got {_json_kind(value)}")
        if not countries.is_country(value):
            hint = countries.suggest(value) if len(value) < 60 else None
            raise _Invalid(path, f"`{_clip(value)}` is not an ISO 3166-1 alpha-3 country code"
                           + (f" ({hint})" if hint else ""))
        return value
    if type_ == T.DURATION:
        if isinstance(value, _dt.timedelta):   # from Python
            if value.seconds or value.microseconds:
                raise _Invalid(path, f"a duration counts whole days; {value} has a time of day in it")
            value = f"{value.days} days"
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None:
            raise _Invalid(path, "expected a duration such as \"14 days\"")
        return make_duration(int(match.group(1)), match.group(2))
    raise _Invalid(path, f"values of type {type_} cannot be read from records")


def date_problem(text: str) -> str:
    """What is wrong with a date written YYYY-MM-DD: the month, or the day of that month."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", text)
    if match is None:
        return "a date is written YYYY-MM-DD, e.g. 2024-05-01"
    year, month, day = (int(g) for g in match.groups())
    if year < 1:
        return "there is no year 0"
    if not 1 <= month <= 12:
        return f"month {match.group(2)} is not between 01 and 12"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{calendar.month_name[month]} {year} has {days} days"
    return "a date is written YYYY-MM-DD, with two digits for the month and the day"


def _from_cell(cell: str, type_: T.Type, path: str):
    """A CSV cell: scalars written plainly (true/false, 12), lists and records as JSON text."""
    if type_ == T.BOOL:
        lowered = cell.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise _Invalid(path, f"expected true or false, got `{_clip(cell)}`")
    if type_ == T.INT:
        if re.fullmatch(r"\s*-?\d{1,19}\s*", cell):
            return int(cell)
        raise _Invalid(path, f"expected a whole number, got `{_clip(cell)}`")
    if type_ == T.DECIMAL:
        return cell.strip()
    try:
        return strict_json(cell)
    except (ValueError, RecursionError):
        raise _Invalid(path, _cell_hint(cell, type_)) from None


def _cell_hint(cell: str, type_: T.Type) -> str:
    """How a list or record is written in a CSV cell, with this cell's items where they show."""
    if isinstance(type_, (T.ListType, T.SetType)):
        what = "a list"
        items = [i.strip() for i in re.split(r"[;,|]", cell.strip().strip("[]")) if i.strip()]
        if items and is_text_type(T.strip(type_.elem)) and not cell.lstrip().startswith(("[", "{")):
            example = json.dumps(items)
        else:
            example = json.dumps([example_value(T.strip(type_.elem))])
    else:
        what, example = "an object", json.dumps(example_value(type_))
    return (f"expected {what} written as JSON in this cell, e.g. {_clip(example, 120)}; "
            f"got `{_clip(cell)}`")


def example_value(type_: T.Type):
    """A value of `type_` as JSON, to show how one is written."""
    if isinstance(type_, T.EnumType):
        return type_.members[0]
    if isinstance(type_, T.RecordType):
        return {name: example_value(T.strip(t)) for name, t in type_.fields.items()
                if not T.is_optional(t)}
    if isinstance(type_, (T.ListType, T.SetType)):
        return [example_value(T.strip(type_.elem))]
    return {T.BOOL: True, T.INT: 1, T.DECIMAL: "1.5", T.DATE: "2024-05-01", T.COUNTRY: "HND",
            T.DURATION: "14 days"}.get(type_, "text")


def _members(type_: T.EnumType) -> str:
    return ", ".join(type_.members)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# `Duration` is re-exported for code that converts values back to JSON.
__all__ = ["Duration", "InvalidRecord", "ValidRecord", "date_problem", "example_value",
           "fast_validator", "fused_checks", "record_id", "validate", "validate_dict"]
