"""The decision procedure, written once: status → scope → exceptions → outcome.

`decide(agreement, target)` walks an agreement's timeline, scope and
exceptions in the order the law reads them, and says at each point what
follows. It never computes a value itself: a Target does. The interpreter's
target evaluates as it goes (and records the trace); a compiler's target
writes code that will (backends/python.py emits Python statements). So the
procedure has one definition, and every backend runs it.

The vocabulary a target provides:

- values: `status`, `clause_value` (a scope condition), `returns_to`,
  `exception_value` (false when the clause is not in force on the date),
  `unless_defeated` (counter-exceptions, runtime.holds_unless);
- blocks: `for _ in target.BLOCK(...)` runs its body where the block's test
  holds — once or never for an interpreter, exactly once (inside an `if`)
  for a code generator: `not_in_force`, `in_force(clause)`, `when_false`,
  `when_true`, `when_unknown`, `when_any`;
- accumulators: `facts()` (unknown facts), `names()` (exceptions that hold),
  `unestablished()`, with `add_facts`, `add_name`, `add_unestablished`;
- `finish(outcome, ...)`: the decision; nothing after it runs.

The semantics, in words (docs/language.md has the long form): an agreement
not in force on the as-of date decides nothing (unless in force is assumed);
the first scope condition that is false makes it not applicable (later ones
are not evaluated); an unknown scope condition makes the outcome
undetermined and names its facts; an exception holds when its condition does
and no counter-exception (`of`) holds; an exception the claimant cannot yet
establish is listed as unestablished with its facts; one the state bears the
burden of leaves the outcome undetermined; a holding exception exempts;
otherwise the agreement applies and returns the person to `returns_to`.
"""

from __future__ import annotations

from rulelang.core import ir
from rulelang.semantics.program import STATE

NOT_IN_FORCE, NOT_APPLICABLE, EXEMPT = "not_in_force", "not_applicable", "exempt"
APPLIES, UNDETERMINED = "applies", "undetermined"
OUTCOMES = (NOT_IN_FORCE, NOT_APPLICABLE, EXEMPT, APPLIES, UNDETERMINED)


def decide(agreement: ir.Agreement, t) -> None:
    """Run the decision procedure for `agreement` on target `t`."""
    t.status(agreement)
    for _ in t.not_in_force():
        t.finish(NOT_IN_FORCE)

    scope = t.facts()
    for conjunct in agreement.scope:
        for _ in t.in_force(conjunct.clause, conjunct):
            value = t.clause_value(conjunct.expr, conjunct)
            for _ in t.when_false(value):
                t.finish(NOT_APPLICABLE)  # the first false condition decides
            if conjunct.expr.nullable:
                for _ in t.when_unknown(value):
                    t.add_facts(scope, value)

    held, unestablished = t.names(), t.unestablished()
    state = t.facts()
    for exc in agreement.exceptions:
        value = exception_holds(exc, t, unestablished)
        for _ in t.when_true(value):
            t.add_name(held, exc.name)
        if may_be_unknown(exc):
            for _ in t.when_unknown(value):
                if exc.clause.burden == STATE:
                    t.add_facts(state, value)
                else:
                    t.add_unestablished(unestablished, exc.name, value)

    for _ in t.when_any(scope):
        t.finish(UNDETERMINED, exceptions=held, missing=scope, unestablished=unestablished)
    for _ in t.when_any(held):
        t.finish(EXEMPT, exceptions=held, unestablished=unestablished)
    for _ in t.when_any(state):
        t.finish(UNDETERMINED, missing=state, unestablished=unestablished)
    if agreement.returns_to is None:
        t.finish(APPLIES, unestablished=unestablished)
        return
    to = t.returns_to(agreement)
    if agreement.returns_to.nullable:
        for _ in t.when_unknown(to):
            missing = t.facts()
            t.add_facts(missing, to)
            t.finish(UNDETERMINED, missing=missing, unestablished=unestablished)
    t.finish(APPLIES, returns_to=to, unestablished=unestablished)


def exception_holds(exc: ir.AgreementException, t, unestablished):
    """Whether `exc` holds: true, false or unknown. A counter-exception (`of`)
    that holds defeats it (runtime.holds_unless)."""
    value = t.exception_value(exc)
    if not exc.children:
        return value
    children = [(child.name, child.clause.burden == STATE,
                 lambda child=child: exception_holds(child, t, unestablished))
                for child in exc.children]
    return t.unless_defeated(value, children, unestablished)


def may_be_unknown(exc: ir.AgreementException) -> bool:
    """Can this exception's value be unknown? (Only then need a backend test for it.)"""
    if exc.cond.nullable:
        return True
    return any(child.clause.burden == STATE and may_be_unknown(child) for child in exc.children)


def decision_value(decision) -> dict:
    """An agreement's decision as a value rules and tests read (`stca_us.outcome`)."""
    from rulelang.runtime import Unknown

    returns_to = decision.returns_to
    if returns_to is None:
        facts = decision.missing if decision.outcome == UNDETERMINED else (
            f"`{decision.agreement}` returns no one: its outcome is {decision.outcome}",)
        returns_to = Unknown(frozenset(facts))
    return {"status": decision.status, "outcome": decision.outcome, "returns_to": returns_to,
            "exceptions": frozenset(decision.exceptions), "missing": frozenset(decision.missing),
            "unestablished": frozenset(u.exception for u in decision.unestablished)}
