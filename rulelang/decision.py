"""The Decision value: one agreement, one case, one as-of date."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import NamedTuple

import attrs

from rulelang.runtime import Duration, Unknown


@attrs.frozen
class Unestablished:
    """An exception that did not hold only because facts are unknown."""
    exception: str
    facts: tuple[str, ...]

    def to_json(self) -> dict:
        return {"exception": self.exception, "facts": list(self.facts)}


class Decision(NamedTuple):
    """A named tuple, not an attrs class: the compiled backend builds one per
    agreement per record, and a tuple is several times cheaper to make."""

    case: str | None
    agreement: str
    as_of: _dt.date
    status: str
    outcome: str
    returns_to: str | None = None
    exceptions: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unestablished: tuple[Unestablished, ...] = ()
    assumed: str | None = None
    trace: tuple[dict, ...] = ()

    def to_json(self, trace: bool = True) -> dict:
        """The decision record of reference/case-record.md, fields in that order."""
        out = {"case": self.case, "agreement": self.agreement, "as_of": self.as_of.isoformat(),
               "status": self.status, "outcome": self.outcome, "returns_to": self.returns_to,
               "exceptions": list(self.exceptions), "missing": list(self.missing),
               "unestablished": [u.to_json() for u in self.unestablished]}
        if self.assumed:
            out["assumed"] = self.assumed
        if trace:
            out["trace"] = list(self.trace)
        return out

    def fields_equal(self, other: "Decision") -> bool:
        """Equal on every field but the trace (how backends are compared)."""
        return self.to_json(trace=False) == other.to_json(trace=False)


def to_json_value(value):
    """A runtime value as JSON: unknown is null, sets are sorted lists."""
    if type(value) is Unknown or value is None:
        return None
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, frozenset):
        return sorted((to_json_value(v) for v in value), key=lambda v: (str(type(v)), str(v)))
    if isinstance(value, tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    return str(value)
