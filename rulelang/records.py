"""Case records: reading JSON, JSONL and CSV, and validating them against the
program's input record type.

Reading streams (JSON arrays excepted): one record at a time, so memory does
not grow with the input. A record that cannot be read or is invalid becomes
an `InvalidRecord` at its position; it never stops the batch.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Iterator

import attrs

from rulelang import countries
from rulelang.diagnostics import did_you_mean
from rulelang.runtime import MAX_INT, Duration, Unknown, make_duration
from rulelang.semantics import types as T

MAX_TEXT = 100_000          # characters in one text value
MAX_ITEMS = 10_000          # items in one list or set
MAX_DEPTH = 32              # nesting of lists and records
MAX_LINE = 10_000_000       # characters in one JSONL line or CSV cell
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^\s*(\d+)\s+(days?|weeks?|months?|years?)\s*$")


@attrs.frozen
class RawRecord:
    """One record as read: its position, and the parsed object or why it could not be."""
    position: str                 # "line 7" or "row 3" or "item 2"
    data: object = None
    read_error: str | None = None
    from_text: bool = False       # CSV: scalar cells are text to be converted by type


@attrs.frozen
class InvalidRecord:
    case: str                     # the record's id, or its position
    position: str
    field: str | None
    message: str
    code: str = "RL0701"

    def to_json(self) -> dict:
        return {"case": self.case, "error": {"code": self.code, "field": self.field,
                                             "message": self.message, "at": self.position}}

    def describe(self) -> str:
        where = f" field `{self.field}`:" if self.field else ""
        position = f" ({self.position})" if self.position != self.case else ""
        return f"record {self.case}{position}:{where} {self.message}"


@attrs.frozen
class ValidRecord:
    case: str
    position: str
    value: dict
    warnings: tuple[str, ...] = ()


class _Invalid(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


# ---- reading ---------------------------------------------------------------------

def detect_format(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".json"):
        return "json"
    return "jsonl"


def read_records(stream: IO[bytes], fmt: str) -> Iterator[RawRecord]:
    """Records from a binary stream in the given format, one at a time."""
    if fmt not in ("json", "csv"):
        yield from _read_jsonl(stream)  # line by line in bytes: a bad byte spoils one line only
        return
    # Bytes that are not UTF-8 become lone surrogates here and an error for the record
    # whose value holds them (see _not_utf8), so one bad byte spoils one record only.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        if fmt == "json":
            yield from _read_json(text)
        else:
            yield from _read_csv(text)
    finally:
        text.detach()


def _strict_json(line: str):
    def reject_constant(name):
        raise ValueError(f"{name} is not a JSON number")

    def no_duplicates(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice")
            seen[key] = value
        return seen

    return json.loads(line, parse_constant=reject_constant, object_pairs_hook=no_duplicates)


def _read_jsonl(stream: IO[bytes]) -> Iterator[RawRecord]:
    # JSON Lines end at "\n" only (a "\r" before it is JSON whitespace); each line is
    # decoded on its own so that one bad byte makes one invalid record, not a lost batch.
    line_no = 0
    while True:
        raw = stream.readline(MAX_LINE + 1)
        if not raw:
            return
        line_no += 1
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of an over-long line
                raw = stream.readline(MAX_LINE + 1)
            yield RawRecord(f"line {line_no}", read_error=f"line longer than {MAX_LINE} bytes")
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield RawRecord(f"line {line_no}", read_error=f"not UTF-8 text ({error.reason})")
            continue
        if not line.strip():
            continue
        try:
            yield RawRecord(f"line {line_no}", data=_strict_json(line))
        except (ValueError, RecursionError) as error:
            yield RawRecord(f"line {line_no}", read_error=f"not valid JSON: {_json_message(error)}")


def _json_message(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        one_line = "\n" not in error.doc.rstrip("\r\n")   # a JSONL line: only the column matters
        where = f"column {min(error.pos, len(error.doc.rstrip())) + 1}" if one_line else \
            f"line {error.lineno}, column {error.colno}"
        message = error.msg.removesuffix(" at")
        if message.startswith("Invalid control character"):
            message = "a string is not closed on its line"
        return f"{message} at {where}"
    return str(error).split(": line")[0]


def _read_json(text: IO[str]) -> Iterator[RawRecord]:
    try:
        data = _strict_json(text.read())
    except (ValueError, RecursionError) as error:
        yield RawRecord("item 1", read_error=f"not valid JSON: {_json_message(error)}")
        return
    items = data if isinstance(data, list) else [data]
    for index, item in enumerate(items, 1):
        yield RawRecord(f"item {index}", data=item)


def _read_csv(text: IO[str]) -> Iterator[RawRecord]:
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        yield RawRecord("row 1", read_error=f"bad CSV: {error}")
        return
    row_no = 1
    while True:
        row_no += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RawRecord(f"row {row_no}", read_error=f"bad CSV: {error}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield RawRecord(f"row {row_no}", read_error=f"has {len(row)} cells, the header has "
                            f"{len(header)}")
            continue
        # an empty cell is an absent (unknown) field
        yield RawRecord(f"row {row_no}", data={k: v for k, v in zip(header, row) if v != ""},
                        from_text=True)


# ---- validation ------------------------------------------------------------------------

def record_id(raw: RawRecord) -> str:
    data = raw.data
    if isinstance(data, dict):
        value = data.get("id")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**200:
            return str(value)  # (an int with thousands of digits cannot even be printed)
        if isinstance(value, str) and value.strip():
            return value[:200]
    return raw.position


def validate(raw: RawRecord, record_type: T.RecordType) -> ValidRecord | InvalidRecord:
    case = record_id(raw)
    if raw.read_error is not None:
        return InvalidRecord(case, raw.position, None, raw.read_error, "RL0703")
    if not isinstance(raw.data, dict):
        return InvalidRecord(case, raw.position, None,
                             f"a record must be a JSON object, not {_json_kind(raw.data)}")
    if not raw.from_text:
        value = _fast_validator(record_type)(raw.data, "")
        if value is not _SLOW:
            return ValidRecord(case, raw.position, value, ())
    warnings: list[str] = []
    try:
        value = _record(raw.data, record_type, "", raw.from_text, warnings, 0)
    except _Invalid as error:
        return InvalidRecord(case, raw.position, error.field, error.message)
    except RecursionError:
        return InvalidRecord(case, raw.position, None, "nested too deeply")
    return ValidRecord(case, raw.position, value, tuple(warnings))


def validate_dict(data: object, record_type: T.RecordType, position: str = "record") \
        -> ValidRecord | InvalidRecord:
    return validate(RawRecord(position, data=data), record_type)


# ---- the fast path ------------------------------------------------------------------
# Most records are valid. For them a validator built once per record type checks
# and converts with no per-field type dispatch; anything unusual (an error, an
# unknown field, a float for an int, a non-ASCII string) returns _SLOW and the
# record is validated again by the general code below, which words the errors.
# Both must give equal values: tests/test_records.py checks it.

_SLOW = object()
_FAST_DEPTH = 8
_fast_cache: dict[int, object] = {}


def _fast_validator(record_type: T.RecordType):
    key = id(record_type)
    if key not in _fast_cache:
        _fast_cache[key] = (record_type, _fast_record(record_type, 0))
    return _fast_cache[key][1]


def _fast_record(record_type: T.RecordType, depth: int):
    plan = []
    fields = frozenset(record_type.fields)
    for name, field_type in record_type.fields.items():
        convert, structured = _fast_value(T.strip(field_type), depth + 1)
        plan.append((name, T.is_optional(field_type), convert, structured,
                     Unknown(frozenset({name}))))

    def validate_record(data, prefix: str):
        if type(data) is not dict or not data.keys() <= fields:
            return _SLOW
        out = {}
        get = data.get
        for name, optional, convert, structured, top_unknown in plan:
            value = get(name)
            if value is None:
                if not optional:
                    return _SLOW
                out[name] = top_unknown if not prefix else Unknown(frozenset({prefix + name}))
                continue
            value = convert(value, prefix + name) if structured else convert(value)
            if value is _SLOW:
                return _SLOW
            out[name] = value
        return out

    return validate_record


def _fast_value(type_: T.Type, depth: int):
    """(converter, takes_a_path) for values of `type_`."""
    if depth > _FAST_DEPTH:
        return (lambda value, path: _SLOW), True
    if type_ == T.BOOL:
        return (lambda v: v if v is True or v is False else _SLOW), False
    if type_ == T.INT:
        return (lambda v: v if type(v) is int and -MAX_INT <= v <= MAX_INT else _SLOW), False
    if type_ == T.TEXT:
        return (lambda v: v if type(v) is str and v.isascii() and len(v) <= MAX_TEXT else _SLOW), False
    if type_ == T.DATE:
        def date(v):
            if type(v) is str and len(v) == 10 and v.isascii() and v[4] == "-" and v[7] == "-":
                try:
                    return _dt.date.fromisoformat(v)
                except ValueError:
                    return _SLOW
            return _SLOW
        return date, False
    if type_ == T.COUNTRY:
        codes = countries.codes()
        return (lambda v: v if type(v) is str and v in codes else _SLOW), False
    if isinstance(type_, T.EnumType):
        members = frozenset(type_.members)
        return (lambda v: v if type(v) is str and v in members else _SLOW), False
    if isinstance(type_, T.RecordType):
        record = _fast_record(type_, depth)
        return (lambda v, path: record(v, path + ".")), True
    if isinstance(type_, (T.ListType, T.SetType)):
        convert, structured = _fast_value(type_.elem, depth + 1)
        make = tuple if isinstance(type_, T.ListType) else frozenset

        def collection(v, path):
            if type(v) is not list or len(v) > MAX_ITEMS:
                return _SLOW
            if structured:
                items = [convert(item, f"{path}[{i}]") for i, item in enumerate(v)]
            else:
                items = [convert(item) for item in v]
            for item in items:
                if item is _SLOW:
                    return _SLOW
            return make(items)
        return collection, True
    return (lambda v: _SLOW), False  # decimals and durations: the general path


def _json_kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), "a value")


def _record(data: dict, record_type: T.RecordType, path: str, from_text: bool,
            warnings: list, depth: int) -> dict:
    if depth > MAX_DEPTH:
        raise _Invalid(path.rstrip(".") or None, f"nested more than {MAX_DEPTH} levels deep")
    for key in data:
        if key not in record_type.fields:
            hint = did_you_mean(str(key), record_type.fields)
            warnings.append(f"unknown field `{path}{key}` is ignored" + (f" ({hint})" if hint else ""))
    out = {}
    for name, field_type in record_type.fields.items():
        field_path = path + name
        if name not in data or data[name] is None:
            if not T.is_optional(field_type):
                what = "is missing" if name not in data else "is null"
                raise _Invalid(field_path, f"required field {what}")
            out[name] = Unknown(frozenset({field_path}))
            continue
        out[name] = _value(data[name], T.strip(field_type), field_path, from_text, warnings, depth + 1)
    return out


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _value(value, type_: T.Type, path: str, from_text: bool, warnings: list, depth: int):
    if isinstance(value, str) and _not_utf8(value):
        raise _Invalid(path, "not valid UTF-8 text")
    if from_text and isinstance(value, str) and not _is_text_type(type_):
        value = _from_cell(value, type_, path)
        from_text = False
    if isinstance(type_, T.RecordType):
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected an object ({type_.name}), got {_json_kind(value)}")
        return _record(value, type_, path + ".", from_text, warnings, depth)
    if isinstance(type_, (T.ListType, T.SetType)):
        if not isinstance(value, list):
            raise _Invalid(path, f"expected a list, got {_json_kind(value)}")
        if len(value) > MAX_ITEMS:
            raise _Invalid(path, f"has more than {MAX_ITEMS} items")
        if depth > MAX_DEPTH:
            raise _Invalid(path, f"nested more than {MAX_DEPTH} levels deep")
        items = [_value(item, type_.elem, f"{path}[{i}]", from_text, warnings, depth + 1)
                 for i, item in enumerate(value)]
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
        raise _Invalid(path, f"expected a whole number, got {_json_kind(value)}")
    if type_ == T.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _Invalid(path, f"expected a number, got {_json_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise _Invalid(path, "expected a finite number")
        try:
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
        if not isinstance(value, str) or not _DATE.match(value):
            try:
                shown = _clip(json.dumps(value))
            except (TypeError, ValueError, RecursionError):  # a date object, a 5000-digit int
                shown = _json_kind(value)
            raise _Invalid(path, f"expected a date as YYYY-MM-DD, got {shown}")
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise _Invalid(path, f"{value} is not a real date") from None
    if type_ == T.COUNTRY:
        if not isinstance(value, str):
            raise _Invalid(path, f"expected a country code, got {_json_kind(value)}")
        if not countries.is_country(value):
            hint = countries.suggest(value) if len(value) < 60 else None
            raise _Invalid(path, f"`{_clip(value)}` is not an ISO 3166-1 alpha-3 country code"
                           + (f" ({hint})" if hint else ""))
        return value
    if type_ == T.DURATION:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None:
            raise _Invalid(path, "expected a duration such as \"14 days\"")
        return make_duration(int(match.group(1)), match.group(2))
    raise _Invalid(path, f"values of type {type_} cannot be read from records")


def _is_text_type(type_: T.Type) -> bool:
    return type_ in (T.TEXT, T.DATE, T.COUNTRY, T.DURATION) or isinstance(type_, T.EnumType)


def _from_cell(cell: str, type_: T.Type, path: str):
    """A CSV cell: scalars written plainly, lists and records as JSON text."""
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
        return _strict_json(cell)
    except (ValueError, RecursionError):
        raise _Invalid(path, "expected JSON text in this CSV cell") from None


def _members(type_: T.EnumType) -> str:
    return ", ".join(type_.members)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def open_input(path: str) -> IO[bytes]:
    import sys

    if path == "-":
        return sys.stdin.buffer
    return Path(path).open("rb")


# `Duration` is re-exported for code that converts values back to JSON.
__all__ = ["Duration", "InvalidRecord", "RawRecord", "ValidRecord", "detect_format",
           "open_input", "read_records", "validate", "validate_dict"]
