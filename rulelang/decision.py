"""The Decision value (one agreement, one case, one as-of date) and the typed
steps of its trace."""

from __future__ import annotations

import datetime as _dt
import enum
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


class _StrValued(str, enum.Enum):
    """An enum whose members are their text: equal to it, hashed like it, printed and
    written to JSON as it, so code that compares with "applies" keeps working."""

    __str__ = str.__str__
    __format__ = str.__format__

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class Status(_StrValued):
    """An agreement's status on the as-of date, from its timeline."""
    PROPOSED = "proposed"
    NOT_YET_IN_FORCE = "not_yet_in_force"
    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Outcome(_StrValued):
    """What an agreement decides for one person (docs/language.md, the decision procedure)."""
    NOT_IN_FORCE = "not_in_force"
    NOT_APPLICABLE = "not_applicable"
    EXEMPT = "exempt"
    APPLIES = "applies"
    UNDETERMINED = "undetermined"


# text -> member: engines store the text (a plain str is cheapest to build), and
# Decision.status / .outcome give the member when read
_STATUS = {member.value: member for member in Status}
_OUTCOME = {member.value: member for member in Outcome}


class _DecisionFields(NamedTuple):
    case: str | None
    agreement: str
    as_of: _dt.date
    status: Status
    outcome: Outcome
    returns_to: str | None = None
    exceptions: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unestablished: tuple[Unestablished, ...] = ()
    assumed: str | None = None
    trace: tuple[Step, ...] = ()


class Decision(_DecisionFields):
    """One agreement's decision for one record on one date (a named tuple: the
    compiled engine builds one per agreement per record, and a tuple is several
    times cheaper to make than an object).

    case           the record's `id` (None when it has none)
    agreement      the agreement's or programme's name
    as_of          the date it was decided on: the record's as-of field, or `as_of=`
    status         a Status: the agreement's status on that date, from its timeline
    outcome        an Outcome: not_in_force, not_applicable, exempt, applies, undetermined
    returns_to     the country the person is returned to (outcome applies), else None
    exceptions     the names of the exceptions that hold (outcome exempt)
    missing        the facts (field paths) whose absence leaves it undetermined
    unestablished  exceptions the person may still establish, each with its missing facts
    assumed        "in_force" when an agreement not in force was assumed in force
    trace          the steps that decided it (only with `trace=True`; else empty)
    """

    __slots__ = ()

    @property
    def status(self) -> Status:
        return _STATUS[self[3]]

    @property
    def outcome(self) -> Outcome:
        return _OUTCOME[self[4]]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields[:-1])
        trace = f", trace=<{len(self.trace)} steps>" if self.trace else ""
        return f"Decision({fields}{trace})"

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


__all__ = ["Decision", "Outcome", "Status", "Step", "Unestablished", "to_json_value"]
