"""A decision as a readable tree: every step with its value and citation."""

from __future__ import annotations

import json

from rulelang.decision import Decision, clause_text
from rulelang.runtime import to_json_value

_MARKS = {True: "✓", False: "✗", None: "?"}


def format_trace(decision: Decision) -> str:
    lines = [f"{decision.agreement}: {decision.outcome.upper()}"
             + (f" → return to {decision.returns_to}" if decision.returns_to else ""),
             f"  case {decision.case}, as of {decision.as_of}, status {decision.status}"
             + (" (assumed in force)" if decision.assumed else "")]
    steps = list(decision.trace)
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        value = to_json_value(step.value)
        if step.inactive is not None:
            mark = "–"  # a dated clause that is not law on this date
        elif isinstance(value, bool) or value is None:
            mark = _MARKS[value]
        else:
            mark = "•"
        shown = value if isinstance(value, str) else json.dumps(value)
        line = f"  {'└─' if last else '├─'} {mark} {step.label}: {shown}"
        if step.text is not None:
            line += f"    {clause_text(step.text)}"
        lines.append(line)
        details = []
        if step.unknown_facts:
            details.append("unknown because these facts are missing: " + ", ".join(step.unknown_facts))
        if step.note:
            details.append(step.note)
        if step.cite:
            details.append(f"cite: {step.cite}")
        details.append(f"at {step.at.location()}")
        pad = "       " if last else "  │    "
        lines.extend(pad + detail for detail in details)
    if decision.exceptions:
        lines.append("  exceptions that hold: " + ", ".join(decision.exceptions))
    if decision.missing:
        lines.append("  facts that would decide it: " + ", ".join(decision.missing))
    for u in decision.unestablished:
        lines.append(f"  not established (unknown {', '.join(u.facts)}): {u.exception}")
    return "\n".join(lines)
