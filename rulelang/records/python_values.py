"""Records built in Python, as the JSON-shaped values the validator reads.

A record read from JSON holds dates as "2024-05-01", lists as lists and
decimals as numbers or text. A record built by embedding code holds
`datetime.date`, tuples, sets, `Decimal`. `json_shaped(data, record_type)`
rewrites those, field by field as the record type says, into the JSON form,
so the validator (records/validate.py) gives them exactly the decision the
equivalent JSON value gets, with the same errors. What it cannot convert it
leaves as it is, for the validator to report, except the values that look
convertible but are not (a moment in time for a date, a set for an ordered
list): those come back as problems, (field, message), worded here.

The API runs this only on a record the validator rejected, so a record that is
already JSON-shaped costs nothing more.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from rulelang.semantics import types as T

_SAME = object()   # "nothing to convert here": the caller keeps the value it has


def json_shaped(data, record_type: T.RecordType) -> tuple[object, list[tuple[str, str]]]:
    """(the record with Python values converted, or `data` itself when there were
    none; the problems, (field path, message))."""
    problems: list[tuple[str, str]] = []
    converted = _record(data, record_type, "", problems)
    return (data if converted is _SAME else converted), problems


def _record(data, record_type: T.RecordType, path: str, problems: list):
    if not isinstance(data, dict):
        return _SAME
    out, changed = {}, False
    for key, value in data.items():
        field_type = record_type.fields.get(key) if isinstance(key, str) else None
        new = _SAME if field_type is None or value is None else \
            _value(value, T.strip(field_type), f"{path}{key}", problems)
        out[key] = value if new is _SAME else new
        changed = changed or new is not _SAME
    return out if changed else _SAME


def _value(value, type_, path: str, problems: list):
    if isinstance(type_, T.RecordType):
        return _record(value, type_, path + ".", problems)
    if isinstance(type_, (T.ListType, T.SetType)):
        return _collection(value, type_, path, problems)
    if type_ == T.DATE:
        return _date(value, path, problems)
    if type_ == T.DECIMAL and type(value) is Decimal and value.is_finite():
        return str(value)                      # the validator reads text exactly
    if type_ == T.INT and type(value) is Decimal and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if type_ == T.DURATION and isinstance(value, _dt.timedelta):
        if value.seconds or value.microseconds:
            problems.append((path, f"a duration counts whole days; {value} has a time of day "
                                   "in it"))
            return _SAME
        return f"{value.days} days"
    return _SAME


def _collection(value, type_, path: str, problems: list):
    if isinstance(value, (set, frozenset)):
        if isinstance(type_, T.ListType):
            problems.append((path, f"`{type_}` keeps its items in order and a Python set has "
                                   "no order: pass a list or a tuple"))
            return _SAME
        items = list(value)
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return _SAME
    out, changed = [], type(value) is not list
    for index, item in enumerate(items):
        new = _SAME if item is None else _value(item, T.strip(type_.elem), f"{path}[{index}]",
                                                problems)
        out.append(item if new is _SAME else new)
        changed = changed or new is not _SAME
    return out if changed else _SAME


def _date(value, path: str, problems: list):
    if isinstance(value, _dt.datetime):
        # A date-only datetime (midnight, no time zone) is what pandas and database
        # drivers give for a DATE column: its day is not in doubt. Any other moment's
        # calendar day depends on a time zone, and guessing it could move a claim date.
        if value.tzinfo is None and value.time() == _dt.time():
            return value.date().isoformat()
        problems.append((path, f"expected a date, got the moment {value.isoformat()}: pass "
                               "its calendar day (`.date()` in the right time zone)"))
        return _SAME
    if isinstance(value, _dt.date):
        return value.isoformat()
    return _SAME


__all__ = ["json_shaped"]
