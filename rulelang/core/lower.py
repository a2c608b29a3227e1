"""Lowering: the checked program (AST and the checker's side tables) to the typed core.

Entry point: `lower(checked) -> core.Program`, for a program without errors.
Besides translating node by node, lowering folds what is known before any
record is read: a constant whose value is a literal becomes that literal
where it is used, and an operator or collection whose operands are all
literals is computed once (unless computing it fails: a division by zero in
a constant is a runtime error with its span, as anywhere else).
"""

from __future__ import annotations

from rulelang import runtime as R
from rulelang.core import ir
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.syntax import ast


class _Lowerer:
    def __init__(self, checked: P.Program) -> None:
        self.checked = checked
        self.types, self.refs, self.ops = checked.types, checked.refs, checked.ops
        self.vars: dict[object, ir.Var] = {}     # binding Ident -> Var
        self.rules: dict[object, ir.Rule] = {}
        self.functions: dict[object, ir.Function] = {}
        self.consts: dict[object, ir.Const] = {}
        self.agreements: dict[object, ir.Agreement] = {}
        self._lowering: set[object] = set()

    # ---- declarations ------------------------------------------------------------------------

    def program(self) -> ir.Program:
        checked = self.checked
        for info in checked.rules.values():
            self.rule(info.decl)
        for decl in checked.agreement_infos:
            self.agreement(decl)
        for module in checked.modules:
            for decl in module.module.decls:
                if isinstance(decl, ast.ConstDecl):
                    self.const(decl)
                elif isinstance(decl, ast.DefDecl):
                    self.function(decl)
        self._fill_rules()
        self._fill_agreements()
        program = ir.Program(
            agreements=[self.agreements[info.decl] for info in checked.agreements],
            tests=[self.test(info) for info in checked.tests],
            input_type=checked.input_type, as_of_field=checked.as_of_field,
            rules=list(self.rules.values()), functions=list(self.functions.values()),
            consts=list(self.consts.values()), every_agreement=list(self.agreements.values()),
            modules=list(checked.modules))
        program.deps = self._deps()
        return program

    def _core_of(self, decl):
        for table in (self.rules, self.functions, self.consts, self.agreements):
            if decl in table:
                return table[decl]
        return None

    def _deps(self) -> dict:
        deps = {}
        for decl, uses in self.checked.deps.items():
            owner = self._core_of(decl)
            if owner is not None:
                deps[owner] = [c for c in map(self._core_of, uses) if c is not None]
        return deps

    def rule(self, decl: ast.RuleDecl) -> ir.Rule:
        if decl not in self.rules:
            info = self.checked.rules[decl]
            self.rules[decl] = ir.Rule(info.name, T.strip(info.type), T.is_optional(info.type),
                                       decl.name.span)
        return self.rules[decl]

    def _fill_rules(self) -> None:
        for decl, rule in self.rules.items():
            info = self.checked.rules[decl]
            if info.branches:
                rule.branches = tuple(
                    ir.Branch(None if b.cond is None else self.expr(b.cond), self.expr(b.value),
                              b.clause, b.span) for b in info.branches)
            else:
                rule.default = self.expr(info.default)
                rule.default_clause = info.default_clause
                rule.exceptions = tuple(self._rule_exception(e) for e in info.exceptions)

    def _rule_exception(self, info: P.RuleExceptionInfo) -> ir.RuleException:
        return ir.RuleException(info.name, self.expr(info.cond), self.expr(info.value), info.clause,
                                info.span, tuple(self._rule_exception(c) for c in info.children))

    def function(self, decl: ast.DefDecl) -> ir.Function:
        if decl not in self.functions:
            param_types, _ = self.checked.signatures[decl]
            params = tuple(self._var(p.name, t) for p, t in zip(decl.params, param_types))
            function = ir.Function(decl.name.name, params, None, decl.name.span)
            self.functions[decl] = function
            function.body = self.expr(decl.body)
        return self.functions[decl]

    def const(self, decl: ast.ConstDecl) -> ir.Const:
        if decl not in self.consts:
            const = ir.Const(decl.name.name, None, decl.name.span)
            self.consts[decl] = const
            const.value = self.expr(decl.value)
        return self.consts[decl]

    def agreement(self, decl: ast.AgreementDecl) -> ir.Agreement:
        if decl not in self.agreements:
            info = self.checked.agreement_infos[decl]
            self.agreements[decl] = ir.Agreement(
                info.name, info.kind, info.title, decl.name.span,
                info.module.source.name if info.module is not None else "<rules>",
                parties=info.parties, cites=info.cites, consequence=info.consequence,
                exception_names=info.exception_enum.members if info.exception_enum else ())
        return self.agreements[decl]

    def _fill_agreements(self) -> None:
        for decl, agreement in self.agreements.items():
            info = self.checked.agreement_infos[decl]
            agreement.timeline = ir.Timeline(tuple(
                ir.Event(e.date, e.kind, e.note, e.clause, e.span) for e in info.events))
            agreement.scope = tuple(ir.Conjunct(c.index, self.expr(c.expr), c.clause, c.span, c.expr.span)
                                    for c in info.conjuncts)
            lowered: dict[str, ir.AgreementException] = {}
            agreement.exceptions = tuple(self._exception(e, lowered) for e in info.exceptions)
            agreement.all_exceptions = tuple(lowered[e.name] for e in info.all_exceptions
                                             if e.name in lowered)
            if info.returns_to is not None:
                agreement.returns_to = self.expr(info.returns_to)
                agreement.returns_to_clause = info.returns_to_clause if info.returns_to_clause.cites \
                    else P.Clause(info.cites)
                agreement.returns_to_text = info.returns_to.span

    def _exception(self, info: P.ExceptionInfo, lowered: dict) -> ir.AgreementException:
        exc = ir.AgreementException(info.name, info.title, self.expr(info.cond), info.clause, info.span,
                                    info.cond.span, info.parent,
                                    tuple(self._exception(c, lowered) for c in info.children))
        lowered[info.name] = exc
        return exc

    def test(self, info: P.TestInfo) -> ir.Test:
        return ir.Test(info.name, info.module.name, info.decl.span,
                       None if info.given is None else self.expr(info.given), info.as_of, info.assume,
                       tuple((self.expr(e.expr), e.span) for e in info.expects))

    # ---- expressions -----------------------------------------------------------------------------

    def expr(self, e) -> ir.Expr:
        return getattr(self, "_" + type(e).__name__)(e)

    def _typed(self, e) -> dict:
        t = self.types[e]
        return {"type": T.strip(t), "nullable": T.is_optional(t), "span": e.span}

    def _lit(self, value, e) -> ir.Lit:
        return ir.Lit(value=value, type=T.strip(self.types[e]), span=e.span)

    def _var(self, ident: ast.Ident, type_: T.Type) -> ir.Var:
        var = ir.Var(name=ident.name, type=T.strip(type_), nullable=T.is_optional(type_), span=ident.span)
        self.vars[ident] = var
        return var

    def _BoolLit(self, e):
        return self._lit(e.value, e)

    _IntLit = _DecimalLit = _TextLit = _BoolLit

    def _DateLit(self, e):
        return self._lit(self.checked.dates[e], e)

    def _DurationLit(self, e):
        return self._lit(self.checked.durations[e], e)

    def _Name(self, e):
        ref = self.refs[e]
        if isinstance(ref, P.LocalRef):
            return ir.Local(var=self.vars[ref.binding], **self._typed(e))
        if isinstance(ref, P.MemberRef):
            return self._lit(ref.member, e)
        if isinstance(ref, P.CountryRef):
            return self._lit(ref.code, e)
        if isinstance(ref, P.RuleRef):
            return ir.RuleValue(rule=self.rule(ref.decl), **self._typed(e))
        if isinstance(ref, P.ConstRef):
            const = self.const(ref.decl)
            if isinstance(const.value, ir.Lit):
                return ir.Lit(value=const.value.value, type=const.value.type, span=e.span)
            return ir.ConstValue(const=const, **self._typed(e))
        if isinstance(ref, P.AgreementRef):
            return ir.DecisionOf(agreement=self.agreement(ref.decl), type=self.types[e], span=e.span)
        if isinstance(ref, P.InputRef):
            return ir.Input(type=self.types[e], span=e.span)
        raise AssertionError(f"unresolved name {e.name}")

    def _Field(self, e):
        ref = self.refs[e]
        if isinstance(ref, P.MemberRef):
            return self._lit(ref.member, e)
        obj = self.expr(e.obj)
        if isinstance(obj, ir.Lit) and isinstance(obj.value, dict):
            return self._lit(obj.value[ref.name], e) if not _unknown(obj.value[ref.name]) else \
                ir.GetField(obj=obj, name=ref.name, **self._typed(e))
        return ir.GetField(obj=obj, name=ref.name, **self._typed(e))

    def _Call(self, e):
        ref = self.refs[e]
        args = tuple(self.expr(a) for a in e.args)
        if isinstance(ref, P.BuiltinRef):
            if ref.name == "known":
                return ir.Known(value=args[0], type=T.BOOL, span=e.span)
            return self._prim(self.ops[e], args, e, e.func.span)
        return ir.Call(function=self.function(ref.decl), args=args, **self._typed(e))

    def _Unary(self, e):
        return self._prim(self.ops[e], (self.expr(e.operand),), e, e.span)

    def _Binary(self, e):
        left, right = self.expr(e.left), self.expr(e.right)
        if e.op == "and":
            return ir.And(left=left, right=right, **self._typed(e))
        if e.op == "or":
            return ir.Or(left=left, right=right, **self._typed(e))
        if e.op == "??":
            if not left.nullable:
                return left
            return ir.Default(value=left, fallback=right, **self._typed(e))
        return self._prim(self.ops[e], (left, right), e, e.op_span)

    def _prim(self, op, args, e, op_span) -> ir.Expr:
        if all(isinstance(a, ir.Lit) for a in args):
            try:
                values = [a.value for a in args] + ([op_span] if op.spanned else [])
                return self._lit(op.fn(*values), e)
            except R.EvaluationError:
                pass  # fails on every record: leave it to run time, which reports it with its span
        return ir.Prim(op=op, args=args, op_span=op_span, **self._typed(e))

    def _If(self, e):
        return ir.If(cond=self.expr(e.cond), then=self.expr(e.then), else_=self.expr(e.else_),
                     **self._typed(e))

    def _Let(self, e):
        value = self.expr(e.value)
        var = self._var(e.var, self.types[e.value])
        return ir.Let(var=var, value=value, body=self.expr(e.body), **self._typed(e))

    def _Quantifier(self, e):
        collection = self.expr(e.collection)
        var = self._var(e.var, T.element_type(self.types[e.collection]))
        return ir.Quantify(kind=e.kind, var=var, collection=collection, body=self.expr(e.body),
                           **self._typed(e))

    def _Match(self, e):
        arms, otherwise = [], None
        for arm in e.arms:
            members = tuple(p.name for p in arm.patterns if p.name != "_")
            body = self.expr(arm.body)
            if len(members) < len(arm.patterns):
                otherwise = body
                break  # later arms are never reached
            arms.append(ir.Arm(members=members, body=body))
        return ir.Match(scrutinee=self.expr(e.scrutinee), arms=tuple(arms), otherwise=otherwise,
                        **self._typed(e))

    def _collection(self, e, make, node):
        items = tuple(self.expr(i) for i in e.items)
        if all(isinstance(i, ir.Lit) for i in items):
            return self._lit(make(i.value for i in items), e)
        return node(items=items, type=T.strip(self.types[e]), span=e.span)

    def _SetLit(self, e):
        return self._collection(e, frozenset, ir.MakeSet)

    def _ListLit(self, e):
        return self._collection(e, tuple, ir.MakeList)

    def _EmptyBraces(self, e):
        record = T.strip(self.types[e])
        if isinstance(record, T.RecordType):
            return self._lit(R.make_record(record.fields, {}), e)
        return self._lit(frozenset(), e)

    def _RecordLit(self, e):
        record = T.strip(self.types[e])
        fields = tuple((f.name.name, self.expr(f.value)) for f in e.fields)
        if all(isinstance(v, ir.Lit) for _, v in fields):
            return self._lit(R.make_record(record.fields, {n: v.value for n, v in fields}), e)
        return ir.MakeRecord(record=record, fields=fields, type=record, span=e.span)

    def _With(self, e):
        return ir.With(base=self.expr(e.base), fields=tuple((f.name.name, self.expr(f.value))
                                                            for f in e.fields), **self._typed(e))


def _unknown(value) -> bool:
    return type(value) is R.Unknown


def lower(checked: P.Program) -> ir.Program:
    """The typed core of a checked program without errors."""
    return _Lowerer(checked).program()
