"""Static analysis of a program's agreements and rules with the z3 SMT solver.

`analyse(core) -> list[Diagnostic]` (warnings) finds, over every record and
as-of date:

- RL0409 an agreement that can never apply (its scope and its dates clash);
- RL0410 an exception that can never hold within its agreement's scope;
- RL0411 an exception that holds for everyone within the scope;
- RL0412 two exceptions of a rule, with no priority between them, that can both
  hold with different values (shown by a record on which the interpreter stops
  with RL0601).

How: encode.py reads the typed core as z3 terms under the interpreter's
semantics (Kleene's logic: each value is a pair, known and value), and
abstracts what it does not model into unconstrained terms, so "no record can"
(unsat) is a proof. "Some record can" (sat) is reported only with a record the
reference interpreter confirms (witness.py). Each question has a time limit
(solving.py); a question that runs out is no finding.
"""

from __future__ import annotations

from rulelang.core import ir
from rulelang.diagnostics import Diagnostic
from rulelang.analysis.agreements import agreement_findings
from rulelang.analysis.conflicts import rule_findings
from rulelang.analysis.encode import Encoder
from rulelang.analysis.findings import Finding

__all__ = ["analyse", "findings", "Finding"]


def analyse(core: ir.Program) -> list[Diagnostic]:
    """The warnings the solver finds on the program's agreements and rules."""
    return [finding.diagnostic for finding in findings(core)]


def findings(core: ir.Program) -> list[Finding]:
    """As `analyse`, each with the record that shows it, where one does (RL0412)."""
    encoder = Encoder(core)
    found: list[Finding] = []
    for agreement in core.agreements:
        found += agreement_findings(encoder, agreement)
    for rule in core.rules:
        if rule.exceptions:
            found += rule_findings(encoder, rule)
    return found
