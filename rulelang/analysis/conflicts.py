"""Exceptions of a rule that can conflict (RL0412), each shown by a record.

Sibling exceptions under default logic (runtime.default_logic) have no
priority between them: where two fire with different values the run stops
with RL0601. For each such pair z3 looks for a record and date on which both
fire (their parents fire too, for nested ones) and their values differ; the
record is reported only when the interpreter, deciding the rule on it, raises
that conflict.
"""

from __future__ import annotations

import datetime as _dt
import itertools

import z3

from rulelang.core import ir
from rulelang.analysis.encode import Encoder
from rulelang.analysis.findings import Finding, name_span, warning
from rulelang.analysis.solving import Solver
from rulelang.analysis.symbolic import TRUE, day_number, same_value
from rulelang.analysis.witness import conflicts, show, witness

_RECENT = day_number(_dt.date(2000, 1, 1))


def rule_findings(encoder: Encoder, rule: ir.Rule) -> list[Finding]:
    solver = Solver(encoder)
    return _level(solver, encoder, rule, rule.exceptions, TRUE)


def _level(solver: Solver, encoder: Encoder, rule: ir.Rule, exceptions, reached) -> list[Finding]:
    found = []
    for a, b in itertools.combinations(exceptions, 2):
        va, vb = encoder.exception_value(a, rule.type), encoder.exception_value(b, rule.type)
        both = (reached, encoder.fires(a), encoder.fires(b), z3.Not(same_value(va, vb, encoder.fresh)))
        answer = solver.ask(*both, encoder.as_of >= _RECENT)   # a witness on a plausible date
        if not answer.sat:
            answer = solver.ask(*both)
        if not answer.sat:
            continue
        shown = witness(encoder, answer.model)
        if shown is None or conflicts(encoder.program, rule, (a, b), shown) is None:
            continue
        read = set(encoder.input.value.made) if encoder.input.value is not None else None
        found.append(Finding(warning(
            "RL0412", f"exceptions `{a.name}` and `{b.name}` of rule `{rule.name}` can both hold "
                      f"and give different values",
            name_span(b.span, b.name), [(name_span(a.span, a.name), "this one holds too")],
            help=f"make one an exception `of` the other to say which wins; on "
                 f"{show(shown, encoder.program, read)} evaluation stops with RL0601"),
            witness=shown))
    for exc in exceptions:
        if exc.children:
            found += _level(solver, encoder, rule, exc.children, z3.And(reached, encoder.fires(exc)))
    return found
