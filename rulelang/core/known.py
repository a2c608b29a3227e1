"""An agreement read on a record whose every field has a value.

A reader that has just checked a record (`Policy.evaluate_many`'s) knows for free
whether each of its fields has a value, and most records have them all. On such a
record no field read is unknown, nor is anything computed from known values only:
`with_fields_known(agreement)` is the agreement with every expression's `nullable`
recomputed so, for a backend to compile a second, leaner body for those records —
no tests for unknown values, no lists of missing facts (issue 10).

`nullable` is recomputed bottom-up by the checker's rules (semantics/expressions.py).
A node whose value this module does not follow — a rule's value, a call, a constant,
another agreement's decision — keeps its own flag, which is never wrong: a value that
may be unknown is tested for it, one that cannot be is tested in vain. A flag is only
ever lowered, never raised.
"""

from __future__ import annotations

import attrs

from rulelang.core import ir
from rulelang.semantics import types as T


def with_fields_known(agreement: ir.Agreement) -> ir.Agreement:
    """`agreement` as read on a record whose every field has a value; the agreement
    itself where no expression of it changes."""
    known = _Known()
    scope = tuple(attrs.evolve(c, expr=known.ex(c.expr)) for c in agreement.scope)
    exceptions = tuple(known.exception(e) for e in agreement.exceptions)
    returns_to = known.ex(agreement.returns_to) if agreement.returns_to is not None else None
    if not known.changed:
        return agreement
    return attrs.evolve(agreement, scope=scope, exceptions=exceptions, returns_to=returns_to,
                        all_exceptions=tuple(_every(exceptions)))


def _every(exceptions):
    """The exceptions and their counter-exceptions, in declared order (depth first)."""
    for exc in exceptions:
        yield exc
        yield from _every(exc.children)


class _Known:
    def __init__(self) -> None:
        self.changed = False
        self.vars: dict[ir.Var, ir.Var] = {}   # a `let` variable whose value became known

    def exception(self, exc: ir.AgreementException) -> ir.AgreementException:
        return attrs.evolve(exc, cond=self.ex(exc.cond),
                            children=tuple(self.exception(c) for c in exc.children))

    def ex(self, expr):
        new = _RULES[type(expr)](self, expr)
        if new.nullable and not expr.nullable:   # (no rule here does so; were one to, the
            return expr                          # node as it was is still right)
        self.changed = self.changed or new.nullable != expr.nullable
        return new

    def _same(self, expr):
        return expr

    def _local(self, expr):
        var = self.vars.get(expr.var)
        return expr if var is None else attrs.evolve(expr, var=var, nullable=var.nullable)

    def _get_field(self, expr):
        obj = self.ex(expr.obj)
        if isinstance(obj, ir.Input):      # a field of the record: known, by the premise
            return attrs.evolve(expr, obj=obj, nullable=False)
        record = expr.obj.type
        if isinstance(record, T.RecordType) and expr.name in record.fields:
            nullable = obj.nullable or T.is_optional(record.fields[expr.name])
        else:                              # a decision's field: as it was
            nullable = expr.nullable
        return attrs.evolve(expr, obj=obj, nullable=nullable)

    def _call(self, expr):
        return attrs.evolve(expr, args=tuple(self.ex(a) for a in expr.args))

    def _prim(self, expr):                 # strict: unknown where an operand is
        args = tuple(self.ex(a) for a in expr.args)
        return attrs.evolve(expr, args=args, nullable=any(a.nullable for a in args))

    def _kleene(self, expr):
        left, right = self.ex(expr.left), self.ex(expr.right)
        return attrs.evolve(expr, left=left, right=right, nullable=left.nullable or right.nullable)

    def _default(self, expr):
        value, fallback = self.ex(expr.value), self.ex(expr.fallback)
        if not value.nullable:             # as lowering folds `known ?? x`
            return value
        return attrs.evolve(expr, value=value, fallback=fallback, nullable=fallback.nullable)

    def _known(self, expr):
        return attrs.evolve(expr, value=self.ex(expr.value))

    def _if(self, expr):
        cond, then, else_ = self.ex(expr.cond), self.ex(expr.then), self.ex(expr.else_)
        return attrs.evolve(expr, cond=cond, then=then, else_=else_,
                            nullable=cond.nullable or then.nullable or else_.nullable)

    def _let(self, expr):
        value = self.ex(expr.value)
        var = expr.var
        if value.nullable != var.nullable:
            var = self.vars[expr.var] = attrs.evolve(var, nullable=value.nullable)
        body = self.ex(expr.body)
        return attrs.evolve(expr, var=var, value=value, body=body, nullable=body.nullable)

    def _quantify(self, expr):             # its variable is an item: as it was
        collection, body = self.ex(expr.collection), self.ex(expr.body)
        return attrs.evolve(expr, collection=collection, body=body,
                            nullable=collection.nullable or body.nullable)

    def _match(self, expr):
        scrutinee = self.ex(expr.scrutinee)
        arms = tuple(attrs.evolve(arm, body=self.ex(arm.body)) for arm in expr.arms)
        otherwise = self.ex(expr.otherwise) if expr.otherwise is not None else None
        values = [arm.body for arm in arms] + ([otherwise] if otherwise is not None else [])
        return attrs.evolve(expr, scrutinee=scrutinee, arms=arms, otherwise=otherwise,
                            nullable=scrutinee.nullable or any(v.nullable for v in values))

    def _collection(self, expr):
        return attrs.evolve(expr, items=tuple(self.ex(i) for i in expr.items))

    def _make_record(self, expr):
        return attrs.evolve(expr, fields=tuple((name, self.ex(v)) for name, v in expr.fields))

    def _with(self, expr):
        base = self.ex(expr.base)
        return attrs.evolve(expr, base=base, fields=tuple((name, self.ex(v)) for name, v in expr.fields),
                            nullable=base.nullable)


_RULES = {
    ir.Lit: _Known._same, ir.Input: _Known._same, ir.RuleValue: _Known._same,
    ir.ConstValue: _Known._same, ir.DecisionOf: _Known._same, ir.Local: _Known._local,
    ir.GetField: _Known._get_field, ir.Call: _Known._call, ir.Prim: _Known._prim,
    ir.And: _Known._kleene, ir.Or: _Known._kleene, ir.Default: _Known._default,
    ir.Known: _Known._known, ir.If: _Known._if, ir.Let: _Known._let, ir.Quantify: _Known._quantify,
    ir.Match: _Known._match, ir.MakeSet: _Known._collection, ir.MakeList: _Known._collection,
    ir.MakeRecord: _Known._make_record, ir.With: _Known._with,
}
assert set(_RULES) == set(ir.EXPRESSIONS), "a core expression without its rule"

__all__ = ["with_fields_known"]
