"""Hypothesis strategies for case records, derived from a record type.

Type-directed, so they follow the schema a policy declares: optional fields
are sometimes left out (unknown), enums and countries come from small pools
that make the shipped agreements' conditions true often enough to matter.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from hypothesis import strategies as st

from rulelang.semantics import types as T

COUNTRIES = ["USA", "USA", "USA", "CAN", "CAN", "MEX", "MEX", "GTM", "HND", "SLV", "VEN", "USA", "CAN", "MEX", "GTM", "HND", "SLV", "VEN", "COL", "UGA", "PRY", "BLZ", "DEU",
             "FRA", "ITA", "ESP", "AFG", "CHN"]
# dates around the instruments' timelines, with their boundaries
KEY_DATES = [_dt.date(2004, 12, 28), _dt.date(2004, 12, 29), _dt.date(2019, 1, 28),
             _dt.date(2019, 11, 18), _dt.date(2019, 11, 19), _dt.date(2021, 2, 5),
             _dt.date(2021, 2, 6), _dt.date(2023, 3, 24), _dt.date(2023, 3, 25),
             _dt.date(2025, 3, 15), _dt.date(2025, 7, 15)]
DATES = st.one_of(st.sampled_from(KEY_DATES),
                  st.dates(min_value=_dt.date(2000, 1, 1), max_value=_dt.date(2027, 12, 31)))


def value_of(type_: T.Type, depth: int = 0) -> st.SearchStrategy:
    """A JSON value of the given rulelang type."""
    type_ = T.strip(type_)
    if type_ == T.BOOL:
        return st.booleans()
    if type_ == T.INT:
        return st.integers(min_value=0, max_value=90)
    if type_ == T.DECIMAL:
        return st.decimals(min_value=-1000, max_value=1000, places=2).map(str)
    if type_ == T.TEXT:
        return st.sampled_from(["tren_de_aragua", "N.D. Tex.", "D. Colo.", "x", ""])
    if type_ == T.DATE:
        return DATES.map(_dt.date.isoformat)
    if type_ == T.COUNTRY:
        return st.sampled_from(COUNTRIES)
    if type_ == T.DURATION:
        return st.builds("{} {}".format, st.integers(0, 60), st.sampled_from(["days", "weeks", "months",
                                                                             "years", "day"]))
    if isinstance(type_, T.EnumType):
        return st.sampled_from(type_.members)
    if isinstance(type_, (T.ListType, T.SetType)):
        if depth > 2:
            return st.just([])
        items = value_of(type_.elem, depth + 1)
        return st.lists(items, max_size=3, unique_by=_freeze if isinstance(type_, T.SetType) else None)
    if isinstance(type_, T.RecordType):
        return record_of(type_, depth + 1)
    raise NotImplementedError(str(type_))


def _freeze(value):
    return repr(value)


def record_of(record_type: T.RecordType, depth: int = 0, absent: float = 0.25) -> st.SearchStrategy:
    """A JSON object valid for `record_type`; optional fields are left out now and then."""
    required = {n: value_of(t, depth) for n, t in record_type.fields.items() if not T.is_optional(t)}
    optional = {n: value_of(t, depth) for n, t in record_type.fields.items() if T.is_optional(t)}
    return st.fixed_dictionaries(required, optional=optional)


def complete_record_of(record_type: T.RecordType) -> st.SearchStrategy:
    """A JSON object valid for `record_type` with every field given a value, in the
    records of its lists too (a record the compiled reader decides by its reading with
    every field known)."""
    return st.fixed_dictionaries({n: _complete_value_of(t) for n, t in record_type.fields.items()})


def _complete_value_of(type_: T.Type) -> st.SearchStrategy:
    type_ = T.strip(type_)
    if isinstance(type_, T.RecordType):
        return complete_record_of(type_)
    if isinstance(type_, (T.ListType, T.SetType)) and isinstance(T.strip(type_.elem), T.RecordType):
        return st.lists(complete_record_of(T.strip(type_.elem)), max_size=3)
    return value_of(type_)


__all__ = ["complete_record_of", "record_of", "value_of", "Decimal"]
