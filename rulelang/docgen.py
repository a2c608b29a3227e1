"""Markdown pages for agreements, generated from the checked rules so the
documentation cannot drift from the code (a test regenerates and compares)."""

from __future__ import annotations

from rulelang.core import ir
from rulelang.semantics import program as P

_STATUS_WORDS = {"signed": "signed", "in_force": "enters into force", "amended": "amended",
                 "suspended": "suspended", "resumed": "resumed", "terminated": "terminated",
                 "proposed": "proposed"}


def _text(span) -> str:
    return " ".join(span.text.split())


def _window(clause: P.Clause) -> str:
    described = clause.window.describe()
    return f" *({described})*" if described else ""


def _cite(clause: P.Clause) -> str:
    return f" — {clause.cite}" if clause.cite else ""


def agreement_page(info: ir.Agreement) -> str:
    """One agreement or programme as a Markdown page."""
    lines = [f"# `{info.name}` — {info.title or info.name}", ""]
    lines += [f"*{info.kind.capitalize()}* defined in `{info.source}`. This page is generated from "
              "the rule file by `rulelang doc`; do not edit it by hand.", ""]
    if info.parties:
        lines.append(f"- **Parties:** {', '.join(info.parties)}")
    if info.returns_to is not None:
        lines.append(f"- **Returns to:** `{_text(info.returns_to_text)}`")
    if info.consequence:
        lines.append(f"- **Consequence:** {info.consequence}")
    if info.cites:
        lines.append(f"- **Instruments:** {'; '.join(info.cites)}")
    lines += ["", "## Timeline", "", "| date | event | note | source |", "|---|---|---|---|"]
    for event in info.timeline.events:
        lines.append(f"| {event.date.isoformat()} | {_STATUS_WORDS[event.kind]} | "
                     f"{_cell(event.note or '')} | {_cell(event.clause.cite or '')} |")
    lines += ["", "## Scope: it applies when all of these hold", ""]
    for conjunct in info.scope:
        lines.append(f"{conjunct.index}. `{_cell(_text(conjunct.text))}`"
                     f"{_window(conjunct.clause)}{_cite(conjunct.clause)}")
    lines += ["", "## Exceptions", ""]
    if not info.all_exceptions:
        lines.append("None.")

    def describe(exc: ir.AgreementException, depth: int) -> None:
        indent = "  " * depth
        title = f" — {exc.title}" if exc.title else ""
        parent = f" (defeats `{exc.parent}`)" if exc.parent else ""
        burden = " Burden: the state." if exc.clause.burden == P.STATE else ""
        lines.append(f"{indent}- **`{exc.name}`**{title}{parent}{_window(exc.clause)}{_cite(exc.clause)}."
                     f"{burden}")
        lines.append(f"{indent}  When: `{_cell(_text(exc.text))}`")
        for child in exc.children:
            describe(child, depth + 1)

    for exc in info.exceptions:
        describe(exc, 0)
    lines += ["", "## Notes on the sources", "",
              "Comments in the rule file mark facts that rest on secondary sources or are "
              "unconfirmed; read them beside each clause in the rule file.", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
