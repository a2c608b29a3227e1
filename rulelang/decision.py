"""The Decision value (one agreement, one case, one as-of date) and the typed
steps of its trace."""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple

import attrs

from rulelang.runtime import Unestablished, Unknown, to_json_value

STATUS, SCOPE, EXCEPTION, RETURNS_TO = "status", "scope", "exception", "returns_to"


@attrs.frozen(eq=False)
class Step:
    """One step of a decision's trace: what was looked at, its value, its citation
    and where it is written. Views render steps; nothing parses them back."""
    kind: str                   # STATUS, SCOPE, EXCEPTION or RETURNS_TO
    label: str                  # "status", "applies when #2", "exception x (of y)", "returns_to"
    value: object               # the runtime value; None where the clause was not evaluated
    cite: str | None
    at: object                  # Span of the clause (or, for status, of the event)
    text: object = None         # Span of the condition as written
    inactive: str | None = None  # the clause's dates, when it is not in force on the as-of date
    as_of: _dt.date | None = None
    event: object = None        # for STATUS: the core Event that set the status, if any
    first_event: object = None  # for STATUS before any event: the first one

    @property
    def unknown_facts(self) -> tuple[str, ...]:
        return tuple(sorted(self.value.facts)) if type(self.value) is Unknown else ()

    @property
    def note(self) -> str | None:
        if self.inactive is not None:
            return f"not in force on {self.as_of} ({self.inactive})"
        if self.kind == STATUS:
            if self.event is not None:
                event = self.event
                return f"{event.date} {event.kind}" + (f": {event.note}" if event.note else "")
            if self.first_event is not None:
                return f"before the first event ({self.first_event.date} {self.first_event.kind})"
        return None

    def to_json(self) -> dict:
        out = {"step": self.label, "value": to_json_value(self.value), "cite": self.cite,
               "at": self.at.location()}
        if self.text is not None:
            out["text"] = clause_text(self.text)
        if self.unknown_facts:
            out["unknown"] = list(self.unknown_facts)
        if self.note:
            out["note"] = self.note
        return out


def clause_text(span, limit: int = 120) -> str:
    """A clause as written, on one line."""
    text = " ".join(span.text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    trace: tuple[Step, ...] = ()

    def to_json(self, trace: bool = True) -> dict:
        """The decision record of reference/case-record.md, fields in that order."""
        out = {"case": self.case, "agreement": self.agreement, "as_of": self.as_of.isoformat(),
               "status": self.status, "outcome": self.outcome, "returns_to": self.returns_to,
               "exceptions": list(self.exceptions), "missing": list(self.missing),
               "unestablished": [u.to_json() for u in self.unestablished]}
        if self.assumed:
            out["assumed"] = self.assumed
        if trace:
            out["trace"] = [step.to_json() for step in self.trace]
        return out

    def fields_equal(self, other: "Decision") -> bool:
        """Equal on every field but the trace (how backends are compared)."""
        return self.to_json(trace=False) == other.to_json(trace=False)


__all__ = ["Decision", "Step", "Unestablished", "to_json_value"]
