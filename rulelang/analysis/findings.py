"""What a finding is, and the spans it points at."""

from __future__ import annotations

import attrs

from rulelang.diagnostics import Diagnostic, Label, Severity
from rulelang.span import Span
from rulelang.analysis.witness import Witness


@attrs.frozen
class Finding:
    diagnostic: Diagnostic
    witness: Witness | None = None   # the record that shows it, for findings a record can show


def warning(code: str, message: str, span: Span, labels=(), help: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span,
                      tuple(Label(s, m) for s, m in labels), help)


def name_span(clause: Span, name: str) -> Span:
    """The exception's name inside its clause (`exception NAME ...`), else the clause."""
    text = clause.text
    at = text.find(name, text.find("exception") + len("exception") if "exception" in text else 0)
    if at < 0:
        return clause
    return Span(clause.source, clause.start + at, clause.start + at + len(name))
