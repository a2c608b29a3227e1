"""Facts about a lowered program that tools ask for and the checker does not yet
record: which fields of the input record each agreement, clause and exception
reads.

Computed once per program by walking the typed core (ir.children), through
rules, functions, constants and other agreements' decisions, so the schema
reference, the agreement pages and the person view all give the same answer.
(STYLE.md: "if two of them need a fact, the checker records it once"; this
module is where it is computed until the checker does.)
"""

from __future__ import annotations

from typing import Iterable

from rulelang.core import ir


class FieldsRead:
    """Which top-level input fields expressions read, directly or through the
    rules, functions, constants and decisions they use (memoised per program)."""

    def __init__(self, program: ir.Program) -> None:
        self.program = program
        fields = program.input_type.fields if program.input_type is not None else {}
        self._all = frozenset(fields)
        self._memo: dict[int, frozenset[str]] = {}

    def expr(self, expr) -> frozenset[str]:
        found: set[str] = set()
        stack = [expr]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            if isinstance(node, ir.GetField) and isinstance(node.obj, ir.Input):
                found.add(node.name)
                continue
            if isinstance(node, ir.Input):      # the whole record, passed or copied: every field
                return self._all
            found |= self._through(node)
            stack.extend(ir.children(node))
        return frozenset(found)

    def _through(self, node) -> frozenset[str]:
        if isinstance(node, ir.RuleValue):
            return self._declaration(node.rule, lambda r: [r.default]
                                     + [e for x in _rule_exceptions(r.exceptions) for e in (x.cond, x.value)]
                                     + [e for b in r.branches for e in (b.cond, b.value)])
        if isinstance(node, ir.Call):
            return self._declaration(node.function, lambda f: [f.body])
        if isinstance(node, ir.ConstValue):
            return self._declaration(node.const, lambda c: [c.value])
        if isinstance(node, ir.DecisionOf):
            return self.agreement(node.agreement)
        return frozenset()

    def _declaration(self, declaration, parts) -> frozenset[str]:
        key = id(declaration)
        if key not in self._memo:
            self._memo[key] = frozenset()       # checked programs are acyclic; this only guards
            self._memo[key] = self.exprs(parts(declaration))
        return self._memo[key]

    def exprs(self, exprs: Iterable) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for expr in exprs:
            if expr is not None:
                out |= self.expr(expr)
        return out

    def conjunct(self, conjunct: ir.Conjunct) -> frozenset[str]:
        return self.expr(conjunct.expr)

    def exception(self, exc: ir.AgreementException) -> frozenset[str]:
        """What could establish (or defeat) the exception: its condition and its
        counter-exceptions'."""
        return self.exprs([exc.cond]) | frozenset().union(*(self.exception(c) for c in exc.children))

    def agreement(self, agreement: ir.Agreement) -> frozenset[str]:
        return self._declaration(agreement, lambda a: [c.expr for c in a.scope]
                                 + [x.cond for x in a.all_exceptions] + [a.returns_to])


def _rule_exceptions(exceptions) -> list:
    out = []
    for exc in exceptions:
        out.append(exc)
        out.extend(_rule_exceptions(exc.children))
    return out


def readers(program: ir.Program) -> dict[str, list[str]]:
    """{input field: the names of the program's agreements that read it}, every field
    of the input record listed (with [] for a field no agreement reads)."""
    if program.input_type is None:
        return {}
    walk = FieldsRead(program)
    read = {a.name: walk.agreement(a) for a in program.agreements}
    return {field: [name for name, fields in read.items() if field in fields]
            for field in program.input_type.fields}
