"""A decision as a readable tree: every step with its value, citation and place.

`explain(decisions, width)` is what `rulelang explain` prints for one record:
a summary first (one line per agreement, the person view's lines), then a
tree for each agreement in force on the date; the ones not in force are
folded into one line of the summary. `format_trace(decision, width)` is one
tree. Lines fit `width` without breaking a word; exceptions that are not in
force on the date are folded into one step.
"""

from __future__ import annotations

import json

from rulelang.decision import EXCEPTION, STATUS, Decision, clause_text
from rulelang.runtime import to_json_value
from rulelang.views.text import DEFAULT_WIDTH, plural, where, wrap

_MARKS = {True: "✓", False: "✗", None: "?"}


def status_line(decision: Decision) -> str:
    """The agreement's status on the date, naming the event that set it."""
    text = f"status {decision.status}" + (" (assumed in force)" if decision.assumed else "")
    step = next((s for s in decision.trace if s.kind == STATUS), None)
    if step is None:
        return text
    if step.event is not None:
        return f"{text} since {step.event.date} ({step.event.kind})"
    if step.first_event is not None:
        return f"{text}: before its first event ({step.first_event.date} {step.first_event.kind})"
    return text


def format_trace(decision: Decision, width: int = DEFAULT_WIDTH) -> str:
    lines = [f"{decision.agreement}: {decision.outcome.upper()}"
             + (f" → return to {decision.returns_to}" if decision.returns_to else "")]
    lines += wrap(f"case {decision.case}, as of {decision.as_of}, {status_line(decision)}", width,
                  "  ", "    ")
    steps = _fold_inactive_exceptions(list(decision.trace))
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        branch, pad = ("  └─ ", "       ") if last else ("  ├─ ", "  │    ")
        if isinstance(step, _Folded):
            lines += wrap(step.text, width, branch + "– ", pad + "  ")
            continue
        lines += wrap(_head(step), width, branch, pad + "  ")
        for detail in _details(step):
            lines += wrap(detail, width, pad, pad + "  ")
    if decision.exceptions:
        lines += wrap("exceptions that hold: " + ", ".join(decision.exceptions), width, "  ", "    ")
    if decision.missing:
        lines += wrap("facts that would decide it: " + ", ".join(decision.missing), width, "  ", "    ")
    for u in decision.unestablished:
        lines += wrap(f"not established (unknown {', '.join(u.facts)}): {u.exception}", width,
                      "  ", "    ")
    return "\n".join(lines)


def _head(step) -> str:
    value = to_json_value(step.value)
    if step.inactive is not None:
        mark = "–"  # a dated clause that is not law on this date
    elif isinstance(value, bool) or value is None:
        mark = _MARKS[value]
    else:
        mark = "•"
    shown = value if isinstance(value, str) else json.dumps(value)
    head = f"{mark} {step.label}: {shown}"
    if step.text is not None:
        head += f"    {clause_text(step.text)}"
    return head


def _details(step) -> list[str]:
    details = []
    if step.unknown_facts:
        details.append("unknown because these facts are missing: " + ", ".join(step.unknown_facts))
    if step.note:
        details.append(step.note)
    if step.cite:
        details.append(f"cite: {step.cite}")
    details.append(f"at {where(step.at)}")
    return details


class _Folded:
    def __init__(self, text: str) -> None:
        self.text = text


def _fold_inactive_exceptions(steps: list) -> list:
    """Exceptions not in force on the date, as one step where the first of them stood."""
    inactive = [s for s in steps if s.kind == EXCEPTION and s.inactive is not None]
    if len(inactive) < 2:
        return steps
    names = ", ".join(f"{s.label.removeprefix('exception ')} ({s.inactive})" for s in inactive)
    folded = _Folded(f"{plural(len(inactive), 'exception')} not in force on {inactive[0].as_of}: {names}")
    out, placed = [], False
    for step in steps:
        if step in inactive:
            if not placed:
                out.append(folded)
                placed = True
            continue
        out.append(step)
    return out


def explain(decisions: list[Decision], width: int = DEFAULT_WIDTH, header: str | None = None) -> str:
    """One record's decisions: the summary, then a tree for each agreement in force
    (every tree when only one agreement was asked for)."""
    from rulelang.views.person import summary_lines

    blocks = ["\n".join(summary_lines(decisions, width, header))]
    shown = decisions if len(decisions) == 1 else [d for d in decisions if d.outcome != "not_in_force"]
    blocks += [format_trace(d, width) for d in shown]
    return "\n\n".join(blocks)


def explain_record(evaluated, width: int = DEFAULT_WIDTH, as_of_field: str | None = None,
                   forced_as_of: bool = False) -> str:
    """`explain` for a record as the batch hands it over (its case, typed value and
    decisions), headed by the case, the date and how many facts it gives."""
    from rulelang.views.person import header

    decisions = evaluated.traced()
    as_of = decisions[0].as_of if decisions else "?"
    text = explain(decisions, width, header(evaluated.case, as_of, evaluated.value, as_of_field,
                                            forced_as_of))
    rules = getattr(evaluated, "rules", None)
    return text + "\n\n" + format_rule_values(rules, width) if rules else text


def format_rule_values(values: dict, width: int = DEFAULT_WIDTH) -> str:
    """The value of each rule (derived fact) for the record; an unknown one with the
    facts it is missing."""
    from rulelang.runtime import Unknown

    lines = ["rules:"]
    for name, value in values.items():
        if type(value) is Unknown:
            missing = ", ".join(sorted(value.facts)) or "a fact"
            lines += wrap(f"? {name}: unknown (missing: {missing})", width, "  ", "      ")
            continue
        shown = to_json_value(value)
        mark = _MARKS[shown] if isinstance(shown, bool) else "•"
        lines += wrap(f"{mark} {name}: {shown if isinstance(shown, str) else json.dumps(shown)}",
                      width, "  ", "      ")
    return "\n".join(lines)
