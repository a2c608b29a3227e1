"""What the workbench's pages ask of rulelang, as JSON in and JSON out, with no
web framework here: decide one case (the case worker's form), and check, lay
out and run rule text (the author's playground).

Everything goes through the embedding API (`rulelang.api`), as any other tool
would: the same validation of records, the same decisions and traces, the same
diagnostics. A user's mistake comes back as a status and a message naming the
field or the place; never as a traceback.
"""

from __future__ import annotations

from rulelang import api
from rulelang.diagnostics import Diagnostics
from rulelang.diagnostics import to_json as diagnostic_json
from rulelang.errors import (ArgumentError, RecordError, RuleEvaluationError, RulelangError,
                             RuleSyntaxError)
from rulelang.pipeline import checked
from rulelang.semantics.resolve import ModuleRef
from rulelang.views.person import LABELS, ORDER, facts_to_collect, reason

MAX_RULE_TEXT = 1_000_000  # characters of rule text the playground takes (a shipped file: ~40,000)
PLAYGROUND = "playground.rules"  # the name the playground's text is reported under


def _playground(text: str) -> list[ModuleRef]:
    """The text as rule text, always (never taken for a file name); it may import the
    shipped modules (`import common`) and nothing else."""
    return [ModuleRef(text=text, name=PLAYGROUND)]


def decide(policy: api.Policy, body: object) -> tuple[int, dict]:
    """(HTTP status, JSON) for {record, as_of?, assume?, agreements?}: the decisions,
    the agreements that matter first, each with a reason in words and its trace, and
    the facts to collect; or the record's errors, field by field."""
    if not isinstance(body, dict) or not isinstance(body.get("record"), dict):
        return 400, {"error": "expected a JSON object with a `record` object"}
    try:
        decisions = policy.evaluate(body["record"], as_of=body.get("as_of") or None,
                                    assume=body.get("assume") or None,
                                    agreements=body.get("agreements") or None, trace=True)
    except RecordError as error:
        return 422, {"errors": [{"field": field, "message": message}
                                for field, message in error.errors]}
    except ArgumentError as error:
        return 400, {"error": str(error)}
    except RuleEvaluationError as error:  # valid rules and record, e.g. exceptions in conflict
        return 200, {"error": str(error), "decisions": [], "facts": []}
    agreements = {a.name: a for a in policy.program.agreements}
    ordered = sorted(decisions, key=lambda d: (ORDER.index(d.outcome), d.agreement))
    return 200, {
        "decisions": [{**d.to_json(trace=True), "label": LABELS[d.outcome], "reason": reason(d),
                       "title": agreements[d.agreement].title or d.agreement,
                       "exception_titles": {e.name: e.title for e in agreements[d.agreement].all_exceptions
                                            if e.title}} for d in ordered],
        "facts": [{"fact": fact, "uses": uses} for fact, uses in facts_to_collect(list(decisions))],
        "warnings": list(decisions.warnings)}


def check(body: object) -> tuple[int, dict]:
    """The diagnostics of rule text (as `rulelang check --format json` gives them)."""
    text = _rule_text(body)
    if text is None:
        return 400, {"error": f"expected a JSON object with `text`, at most {MAX_RULE_TEXT:,} characters"}
    sink = Diagnostics()
    checked(_playground(text), sink)
    diagnostics = list(sink)
    return 200, {"diagnostics": [diagnostic_json(d) for d in diagnostics],
                 "errors": sum(1 for d in diagnostics if d.is_error)}


def layout(body: object) -> tuple[int, dict]:
    """Rule text laid out as `rulelang fmt` lays it out, or why not."""
    text = _rule_text(body)
    if text is None:
        return 400, {"error": "expected a JSON object with `text`"}
    try:
        return 200, {"text": api.format_text(text, PLAYGROUND)}
    except RuleSyntaxError as error:
        return 422, {"error": str(error),
                     "diagnostics": [diagnostic_json(d) for d in error.diagnostics]}
    except RulelangError as error:  # RL0999: a layout that would read otherwise, refused
        return 422, {"error": str(error)}


def run(body: object) -> tuple[int, dict]:
    """Rule text run on one record: its tests, and the decisions with their traces."""
    text = _rule_text(body)
    if text is None:
        return 400, {"error": "expected a JSON object with `text`"}
    try:
        policy = api.load_policy(_playground(text), [PLAYGROUND])
    except RulelangError as error:
        return 422, {"error": str(error),
                     "diagnostics": [diagnostic_json(d) for d in getattr(error, "diagnostics", ())]}
    tests = [{"name": t.name, "passed": t.passed,
              "failures": [f.message for f in t.failures]
              + ([t.error.diagnostic.message] if t.error is not None else [])}
             for t in policy.run_tests()]
    record = body.get("record") if isinstance(body, dict) else None
    if not isinstance(record, dict) or not policy.program.input_type:
        return 200, {"tests": tests, "decisions": []}
    status, decided = decide(policy, {**body, "record": record})
    return status, {"tests": tests, **decided}


def _rule_text(body: object) -> str | None:
    text = body.get("text") if isinstance(body, dict) else None
    return text if isinstance(text, str) and len(text) <= MAX_RULE_TEXT else None
