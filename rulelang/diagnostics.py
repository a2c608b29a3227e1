"""Diagnostics are values: a registry of codes, the Diagnostic record, the
collector every pass writes into, and the renderers (text, JSON, SARIF).

Nothing here prints; the CLI decides where rendered text goes.
"""

from __future__ import annotations

import difflib
import enum
import json
from typing import Iterable, Iterator

import attrs

from rulelang.span import Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


# The registry: one line per code. docs/errors.md has an entry for each, and a
# test keeps the two in step.
CODES: dict[str, str] = {
    # syntax
    "RL0001": "unexpected token",
    "RL0002": "unexpected character",
    "RL0003": "unexpected end of file",
    "RL0004": "unreadable rule file",
    # names, imports, definitions
    "RL0101": "unknown name",
    "RL0102": "duplicate definition",
    "RL0103": "import not found",
    "RL0104": "import cycle",
    "RL0105": "recursive definition",
    "RL0106": "unknown type",
    "RL0107": "unknown field",
    "RL0108": "ambiguous enum member",
    "RL0109": "unused definition",
    "RL0110": "no input declared",
    # literals
    "RL0201": "invalid date",
    "RL0202": "unknown country code",
    "RL0203": "unknown duration unit",
    "RL0204": "not a member of the enum",
    "RL0205": "unknown timeline event",
    "RL0206": "number out of range",
    # types
    "RL0301": "type mismatch",
    "RL0302": "value may be unknown",
    "RL0303": "wrong number of arguments",
    "RL0304": "no fields on this type",
    "RL0305": "match is not exhaustive",
    "RL0306": "missing field in record",
    "RL0307": "operator does not apply",
    "RL0308": "not a function",
    "RL0309": "durations in days and months compared",
    "RL0310": "unreachable match arm",
    # agreements, rules and clauses
    "RL0401": "clause given twice",
    "RL0402": "timeline out of order",
    "RL0403": "unknown parent exception",
    "RL0404": "exception can never fire",
    "RL0405": "invalid date window",
    "RL0406": "unknown burden of proof",
    "RL0407": "missing citation",
    "RL0408": "exceptions may conflict",
    "RL0409": "agreement can never apply",
    "RL0410": "exception can never hold",
    "RL0411": "exception holds for everyone in scope",
    "RL0412": "exceptions can conflict",
    # tests
    "RL0501": "invalid test",
    # evaluation
    "RL0601": "conflicting exceptions",
    "RL0602": "evaluation error",
    # records
    "RL0701": "invalid record",
    "RL0702": "unknown field in record",
    "RL0703": "unreadable record",
    "RL0704": "unreadable input file",
    # internal
    "RL0999": "internal error",
}


@attrs.frozen
class Label:
    span: Span
    message: str


@attrs.frozen
class Suggestion:
    """A help line, and the text that would fix the mistake when it is a misspelt
    name: it replaces the diagnostic's span (an editor's quick fix)."""
    help: str | None
    replacement: str | None = None


@attrs.frozen
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None = None
    labels: tuple[Label, ...] = ()
    help: str | None = None
    fix: str | None = None      # the text to put in the span's place, when one is sure

    def __attrs_post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code}")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class Diagnostics:
    """The sink each pass writes into. Passes keep going after an error."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []
        self._seen: set[tuple] = set()

    def add(self, diagnostic: Diagnostic) -> None:
        # The same mistake reached twice (e.g. through two imports) is reported once.
        key = (diagnostic.code, diagnostic.message,
               diagnostic.span and (diagnostic.span.source.name, diagnostic.span.start))
        if key not in self._seen:
            self._seen.add(key)
            self._items.append(diagnostic)

    def error(self, code: str, message: str, span: Span | None = None, *,
              labels: Iterable[Label] = (), help: str | None = None,
              suggestion: Suggestion | None = None) -> None:
        self.add(_made(code, Severity.ERROR, message, span, labels, help, suggestion))

    def warning(self, code: str, message: str, span: Span | None = None, *,
                labels: Iterable[Label] = (), help: str | None = None,
                suggestion: Suggestion | None = None) -> None:
        self.add(_made(code, Severity.WARNING, message, span, labels, help, suggestion))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self._items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self._items if d.is_error]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(sorted(self._items, key=_order))

    def __len__(self) -> int:
        return len(self._items)


def _order(d: Diagnostic) -> tuple:
    if d.span is None:
        return ("", 0, d.code)
    return (d.span.source.name, d.span.start, d.code)


def _made(code, severity, message, span, labels, help, suggestion) -> Diagnostic:
    if suggestion is not None:
        help, fix = suggestion.help, suggestion.replacement if span is not None else None
    else:
        fix = None
    return Diagnostic(code, severity, message, span, tuple(labels), help, fix)


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest in spelling to `name`, if one is close: one typing slip
    away (a letter left out, added, changed, or two swapped: `aeg` for `age`, `CNA`
    for `CAN`, which difflib's ratio finds too far in a short name), else similar."""
    from rapidfuzz.distance import OSA

    candidates = list(candidates)
    if len(name) >= 3:
        slips = [c for c in candidates if OSA.distance(name, c, score_cutoff=1) <= 1]
        if slips:  # letters all there but two swapped first (`CNA`: `CAN`, not `KNA`)
            return max(slips, key=lambda c: (sorted(c.lower()) == sorted(name.lower()),
                                             difflib.SequenceMatcher(None, name, c).ratio()))
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.7)
    if not close:
        close = difflib.get_close_matches(name.lower(), [c.lower() for c in candidates], n=1, cutoff=0.75)
        if close:
            close = [c for c in candidates if c.lower() == close[0]][:1]
    return close[0] if close else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A help line naming the closest candidate, if one is close."""
    close = closest(name, candidates)
    return f"did you mean `{close}`?" if close else None


def suggest(name: str, candidates: Iterable[str], otherwise: str | None = None) -> Suggestion:
    """For a misspelt name written where the diagnostic points: "did you mean" the
    closest candidate, which also replaces it as a fix; else `otherwise`."""
    close = closest(name, candidates)
    if close is None:
        return Suggestion(otherwise)
    return Suggestion(f"did you mean `{close}`?", close)


# ---- rendering ---------------------------------------------------------------

_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "note": "\x1b[1;34m",
           "bold": "\x1b[1m", "reset": "\x1b[0m"}


def render(diagnostic: Diagnostic, color: bool = False) -> str:
    """A rustc/Elm-style snippet: header, location, source line, carets, help."""

    def paint(text: str, style: str) -> str:
        return f"{_COLORS[style]}{text}{_COLORS['reset']}" if color else text

    sev = diagnostic.severity.value
    lines = [paint(f"{sev}[{diagnostic.code}]", sev) + paint(f": {diagnostic.message}", "bold")]
    spans = [(diagnostic.span, "", True)] if diagnostic.span else []
    spans += [(label.span, label.message, False) for label in diagnostic.labels]
    if diagnostic.span is not None:
        width = len(str(max(s.end_line_col[0] for s, _, _ in spans)))
        pad = " " * width
        lines.append(f"{pad}--> {diagnostic.span.location()}")
        lines.append(f"{pad} |")
        for span, message, primary in spans:
            if span.source is not diagnostic.span.source:
                lines.append(f"{pad}::: {span.location()}")
            line_no, col = span.source.line_col(span.start)
            end_line, end_col = span.end_line_col
            text = span.source.line_text(line_no).expandtabs(1)
            last = end_col if end_line == line_no else len(text)
            caret = ("^" if primary else "-") * max(1, last - col + 1)
            lines.append(f"{str(line_no).rjust(width)} | {text}")
            marker = " " * (col - 1) + caret + (f" {message}" if message else "")
            lines.append(f"{pad} | " + paint(marker, sev if primary else "note"))
        if diagnostic.help:
            lines.append(f"{pad} |")
    if diagnostic.help:
        lines.append(f"  = help: {diagnostic.help}")
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], color: bool = False) -> str:
    items = list(diagnostics)
    parts = [render(d, color) for d in items]
    errors = sum(d.is_error for d in items)
    warnings = len(items) - errors
    if items:
        parts.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n\n".join(parts)


def _span_json(span: Span | None) -> dict | None:
    if span is None:
        return None
    line, column = span.source.line_col(span.start)
    end_line, end_column = span.end_line_col
    return {"file": span.source.name, "line": line, "column": column,
            "end_line": end_line, "end_column": end_column + 1}


def to_json(diagnostic: Diagnostic) -> dict:
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "span": _span_json(diagnostic.span),
        "labels": [{"span": _span_json(l.span), "message": l.message} for l in diagnostic.labels],
        "help": diagnostic.help,
        **({"fix": {"replacement": diagnostic.fix}} if diagnostic.fix is not None else {}),
    }


def to_sarif(diagnostics: Iterable[Diagnostic]) -> str:
    """SARIF 2.1.0, the format code-scanning tools read."""
    results = []
    for d in diagnostics:
        result: dict = {"ruleId": d.code, "level": d.severity.value,
                        "message": {"text": d.message + (f" (help: {d.help})" if d.help else "")}}
        if d.span is not None:
            loc = _span_json(d.span)
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": loc["file"]},
                "region": {"startLine": loc["line"], "startColumn": loc["column"],
                           "endLine": loc["end_line"], "endColumn": loc["end_column"]}}}]
        results.append(result)
    rules = [{"id": code, "shortDescription": {"text": text}} for code, text in CODES.items()]
    log = {"version": "2.1.0",
           "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "rulelang", "rules": rules}}, "results": results}]}
    return json.dumps(log, indent=2)
