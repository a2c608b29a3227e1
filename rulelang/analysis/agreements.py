"""An agreement's scope and exceptions, asked of z3 (RL0409, RL0410, RL0411).

"In scope" is what decide.py needs before it looks at exceptions and can end in
`applies`: the agreement is in force on the as-of date (per its timeline; for
an agreement its timeline never puts in force, as under `assume in_force`, so
that a pending agreement's scenarios are analysed rather than dismissed), and
each scope condition is true or not law on that date.

- RL0409: nothing is in scope. Proved by an unsatisfiable question; the
  conditions named are a minimal unsatisfiable core of them.
- RL0410: nothing in scope meets an exception's condition (in force on the date,
  and its parents' not false: a counter-exception matters only then).
- RL0411: something is in scope (a record the interpreter confirms), and nothing
  in scope escapes the exception: everyone in scope is exempt by it.
"""

from __future__ import annotations

import z3

from rulelang.core import ir
from rulelang.analysis.encode import Encoder
from rulelang.analysis.findings import Finding, name_span, warning
from rulelang.analysis.solving import Solver
from rulelang.analysis.symbolic import TRUE, is_false, is_true
from rulelang.analysis.witness import in_scope, witness


def agreement_findings(encoder: Encoder, agreement: ir.Agreement) -> list[Finding]:
    solver = Solver(encoder)
    in_force = encoder.in_force(agreement.timeline)
    assume = None
    # never in force (asked of the solver: an in-force event ended on its own day leaves
    # an empty window that simplifying does not see): read as under `assume in_force`
    if solver.ask(in_force).unsat:
        in_force, assume = TRUE, "in_force"
    conditions = [encoder.conjunct_true(c) for c in agreement.scope]

    never = _never_applies(solver, agreement, in_force, conditions, assumed=assume is not None)
    if never is not None:
        return [never]
    scope = z3.And(in_force, *conditions)
    found: list[Finding] = []
    never_hold = set()
    by_name = {exc.name: exc for exc in agreement.all_exceptions}
    for exc in agreement.all_exceptions:
        parents = []
        parent = by_name.get(exc.parent) if exc.parent else None
        while parent is not None:
            parents.append(z3.Not(is_false(encoder.agreement_exception(parent))))
            parent = by_name.get(parent.parent) if parent.parent else None
        answer = solver.ask(scope, is_true(encoder.agreement_exception(exc)), *parents)
        if answer.unsat:
            never_hold.add(exc)
            found.append(Finding(_never_holds(agreement, exc)))

    everyone = [exc for exc in agreement.exceptions if exc not in never_hold]
    if everyone and _someone_in_scope(solver, encoder, agreement, scope, assume):
        for exc in everyone:
            if solver.ask(scope, z3.Not(is_true(encoder.exception_holds(exc)))).unsat:
                found.append(Finding(_holds_for_everyone(agreement, exc)))
    return found


def _never_applies(solver: Solver, agreement: ir.Agreement, in_force, conditions,
                   assumed: bool):
    """RL0409, with the conditions (and the timeline) that clash."""
    force = z3.Bool(f"{agreement.name}: in force")
    marks = [z3.Bool(f"{agreement.name}: applies when #{c.index}") for c in agreement.scope]
    facts = [z3.Implies(force, in_force)] + [z3.Implies(m, c) for m, c in zip(marks, conditions)]
    core = solver.smallest_core(facts, [force, *marks])
    if core is None:
        return None
    clashing = [c for c, m in zip(agreement.scope, marks) if any(m.eq(x) for x in core)]
    labels = [(c.text, "this condition" if i == 0 else "and this one")
              for i, c in enumerate(clashing)]
    dates = any(force.eq(x) for x in core) and not assumed
    if dates:
        labels += [(event.span, "in force from here") for event in agreement.timeline.events
                   if event.kind in ("in_force", "resumed")]
    if clashing and dates:
        # the as-of date is the record's own: with an explicit --as-of it may apply
        field = solver.encoder.program.as_of_field or "as-of date"
        why = (f"decided on its own `{field}`, no record meets " + _these(clashing)
               + " on a date it is in force")
    elif clashing:
        why = ("no record meets " + _these(clashing) + " together" if len(clashing) > 1
               else "no record meets its condition " + f"`{clashing[0].text.text}`")
    else:
        why = "its timeline never puts it in force"
    return Finding(warning(
        "RL0409", f"agreement `{agreement.name}` can never apply: {why}", agreement.span, labels,
        help="as written every decision is not_applicable or not_in_force: fix the condition or "
             "date that is wrong"))


def _these(conjuncts) -> str:
    if len(conjuncts) == 1:
        return f"its condition `{conjuncts[0].text.text}`"
    return "its conditions " + ", ".join(f"#{c.index}" for c in conjuncts)


def _never_holds(agreement: ir.Agreement, exc: ir.AgreementException):
    parent = f" (with its parent `{exc.parent}`)" if exc.parent else ""
    return warning(
        "RL0410", f"exception `{exc.name}` can never hold: no record within the scope of "
                  f"`{agreement.name}` meets its condition{parent}",
        name_span(exc.span, exc.name), [(exc.text, "never true within the scope")],
        help="check the condition against the agreement's `applies when` conditions and dates, "
             "or delete the exception")


def _holds_for_everyone(agreement: ir.Agreement, exc: ir.AgreementException):
    return warning(
        "RL0411", f"exception `{exc.name}` holds for everyone within the scope of "
                  f"`{agreement.name}`: the agreement can never end in `applies`",
        name_span(exc.span, exc.name), [(exc.text, "true whenever the scope is")],
        help="narrow the exception's condition, or fold it into `applies when`")


def _someone_in_scope(solver: Solver, encoder: Encoder, agreement: ir.Agreement, scope,
                      assume: str | None) -> bool:
    """A record the interpreter confirms is in scope (the encoding alone proves nothing sat)."""
    answer = solver.ask(scope)
    if not answer.sat:
        return False
    found = witness(encoder, answer.model)
    return found is not None and in_scope(encoder.program, agreement, found, assume)
