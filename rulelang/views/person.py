"""The person view: one record's decisions as a case worker reads them.

The agreements that apply, exempt or are undetermined come first, each with
where it returns the person and why, in one line; then the ones that do not
apply; the ones not in force on the date are folded into one line; last, the
facts to collect: those an undetermined outcome hangs on, and those that
could establish an exception. Lines fit the width, words whole.
"""

from __future__ import annotations

from rulelang.decision import EXCEPTION, SCOPE, Decision, clause_text
from rulelang.runtime import Unknown
from rulelang.views.text import DEFAULT_WIDTH, plural, wrap

ORDER = ("applies", "exempt", "undetermined", "not_applicable", "not_in_force")
LABELS = {"applies": "applies", "exempt": "exempt", "undetermined": "undetermined",
          "not_applicable": "not applicable", "not_in_force": "not in force"}
_LABEL_WIDTH = 16


def reason(d: Decision) -> str:
    """Why the decision came out so, in words (better with a trace)."""
    scope = [s for s in d.trace if s.kind == SCOPE and s.inactive is None]
    if d.outcome == "applies":
        held = f"all {plural(len(scope), 'condition')} hold" if scope else "its conditions hold"
        text = held + ("; no exception holds" if any(s.kind == EXCEPTION for s in d.trace) else "")
    elif d.outcome == "exempt":
        cites = {s.label.split(" ")[1]: s.cite for s in d.trace if s.kind == EXCEPTION and s.value is True}
        named = [f"{name} ({cites[name]})" if cites.get(name) else name for name in d.exceptions]
        text = ("exception " if len(named) == 1 else "exceptions ") + ", ".join(named) + \
            (" holds" if len(named) == 1 else " hold")
    elif d.outcome == "undetermined":
        text = "depends on " + ", ".join(d.missing) if d.missing else "a condition is unknown"
    elif d.outcome == "not_applicable":
        false = next((s for s in scope if s.value is False), None)
        text = (f"`{clause_text(false.text, 100)}` is false" if false is not None and false.text is not None
                else "a condition does not hold")
    else:
        text = d.status.replace("_", " ")
    if d.unestablished and d.outcome in ("applies", "undetermined"):
        facts = list(dict.fromkeys(f for u in d.unestablished for f in u.facts))
        text += ("; an exception could hold if shown: " + ", ".join(facts) if len(facts) <= 2 else
                 f"; {len(facts)} unknown facts could establish an exception")
    return text


def summary_lines(decisions: list[Decision], width: int = DEFAULT_WIDTH,
                  header: str | None = None) -> list[str]:
    """One line (wrapped if it must) per agreement, the ones that matter first; the
    agreements not in force folded into one line."""
    lines = wrap(header, width) if header else []
    rest = " " * (_LABEL_WIDTH + 2)
    by = {outcome: [d for d in decisions if d.outcome == outcome] for outcome in ORDER}
    for outcome in ORDER[:-1]:
        for d in by[outcome]:
            label = f"  {LABELS[outcome]:<{_LABEL_WIDTH}}"
            lines += wrap(f"{d.agreement}" + (f" → {d.returns_to}" if d.returns_to else "")
                          + f": {reason(d)}", width, label, rest)
    idle = by["not_in_force"]
    if idle:
        groups: dict[str, list[str]] = {}
        for d in idle:
            groups.setdefault(d.status.replace("_", " "), []).append(d.agreement)
        text = f"{len(idle)} on {idle[0].as_of}: " + "; ".join(
            f"{status}: {', '.join(names)}" for status, names in groups.items())
        lines += wrap(text, width, f"  {LABELS['not_in_force']:<{_LABEL_WIDTH}}", rest)
    if not decisions:
        lines.append("  no decision to show")
    return lines


def facts_to_collect(decisions: list[Decision]) -> list[tuple[str, list[str]]]:
    """(fact, what it would decide or establish), the facts that decide an outcome first."""
    decides: dict[str, list[str]] = {}
    establishes: dict[str, dict[str, list[str]]] = {}
    for d in decisions:
        for fact in d.missing:
            decides.setdefault(fact, []).append(d.agreement)
        for u in d.unestablished:
            for fact in u.facts:
                establishes.setdefault(fact, {}).setdefault(u.exception, []).append(d.agreement)
    out = []
    for fact in list(decides) + [f for f in establishes if f not in decides]:
        uses = [f"decides {', '.join(decides[fact])}"] if fact in decides else []
        uses += [f"could establish {exception} ({', '.join(agreements)})"
                 for exception, agreements in establishes.get(fact, {}).items()]
        out.append((fact, uses))
    return sorted(out, key=lambda item: (item[0] not in decides, -len(item[1]), item[0]))


def facts_given(value: dict) -> tuple[int, int]:
    """(known fields, all fields) of a typed record."""
    return sum(1 for v in value.values() if type(v) is not Unknown), len(value)


def header(case: str, as_of, value: dict | None, as_of_field: str | None, forced: bool) -> str:
    text = f"case {case} · as of {as_of}"
    if as_of_field and not forced:
        text += f" (its {as_of_field})"
    if value is not None:
        known, total = facts_given(value)
        text += f" · {known} of {total} facts given"
    return text


def person_view(case: str, value: dict, decisions: list[Decision], width: int = DEFAULT_WIDTH,
                as_of_field: str | None = None, forced_as_of: bool = False) -> str:
    """The whole screen for one record."""
    as_of = decisions[0].as_of if decisions else (value.get(as_of_field) if as_of_field else "?")
    lines = summary_lines(decisions, width, header(case, as_of, value, as_of_field, forced_as_of))
    facts = facts_to_collect(decisions)
    if facts:
        lines += ["", "facts to collect"]
        name_width = min(max(len(f) for f, _ in facts), 28)
        rest = " " * (name_width + 4)
        for fact, uses in facts:
            if len(fact) > name_width:   # a long name on its own line, its uses below
                lines.append(f"  {fact}")
                lines += wrap("; ".join(uses), width, rest)
            else:
                lines += wrap("; ".join(uses), width, f"  {fact:<{name_width}}  ", rest)
    return "\n".join(lines)
