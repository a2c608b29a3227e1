"""Typing expressions: one `infer` method per AST expression node.

Each method takes the expression, a Context (the scope, the declaration being
checked, the local variables in reach) and the type the surrounding code
expects, if it knows one (that is how `red` or `USA` are read: a bare name is
an enum member or a country code by context). It records the type, what each
name denotes and which operator each operator symbol means in the checker's
side tables, and returns the type; a mistake is reported once and gives the
poison type ERROR, so nothing cascades from it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rulelang.diagnostics import Label, did_you_mean, suggest
from rulelang.runtime import DURATION_UNITS, MAX_INT, make_duration
from rulelang.semantics import operators
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.syntax import ast

if TYPE_CHECKING:
    from rulelang.semantics.check import Checker, Context

BUILTINS = {"known": 1, "len": 1}
_COUNTRY_SHAPE = re.compile(r"^[A-Z]{3}$")


class ExpressionChecker:
    def __init__(self, checker: "Checker") -> None:
        self.checker = checker
        self.diags = checker.diags
        self.program = checker.program

    def expect(self, expr, expected: T.Type, what: str, ctx: "Context", *,
               allow_unknown: bool = False) -> T.Type:
        """Check `expr` against `expected`; report a mismatch once. Returns the actual type."""
        actual = self.infer(expr, ctx, expected)
        if T.is_error(actual) or T.is_error(expected):
            return actual
        if not T.assignable(actual, expected):
            self.diags.error("RL0301", f"{what} should be `{T.strip(expected)}`, but this is "
                             f"`{T.strip(actual)}`", expr.span)
            return T.ERROR
        if T.is_optional(actual) and not T.is_optional(expected) and not allow_unknown:
            source = _optional_source(expr, self.program.types)
            because = f": it depends on `{source.span.text}`, which may be absent" if source else ""
            self.diags.error("RL0302", f"{what} is `{expected}`, but this value may be unknown{because}",
                             expr.span, help=f"declare the type `{expected}?`, or give a default "
                             "with `?? value`")
        return actual

    def infer(self, expr, ctx: "Context", expected: T.Type | None = None) -> T.Type:
        method = getattr(self, "_infer_" + type(expr).__name__)
        result = method(expr, ctx, expected)
        self.program.types[expr] = result
        return result

    # ---- literals ----------------------------------------------------------------------

    def _infer_BoolLit(self, expr, ctx, expected):
        return T.BOOL

    def _infer_IntLit(self, expr, ctx, expected):
        if abs(expr.value) > MAX_INT:
            shown = expr.span.text if len(expr.span.text) <= 40 else expr.span.text[:40] + "…"
            self.diags.error("RL0206", f"{shown} is larger than rulelang's limit of 10^18",
                             expr.span)
            return T.ERROR
        return T.INT

    def _infer_DecimalLit(self, expr, ctx, expected):
        if len(expr.value.as_tuple().digits) > 30:
            self.diags.error("RL0206", "a decimal literal may have at most 30 digits", expr.span)
            return T.ERROR
        return T.DECIMAL

    def _infer_TextLit(self, expr, ctx, expected):
        return T.TEXT

    def _infer_DateLit(self, expr, ctx, expected):
        return T.DATE if self.checker.date(expr) is not None else T.ERROR

    def _infer_DurationLit(self, expr, ctx, expected):
        if expr.unit not in DURATION_UNITS:
            self.diags.error("RL0203", f"`{expr.unit}` is not a unit of time", expr.span,
                             help=did_you_mean(expr.unit, [u for u in DURATION_UNITS
                                                           if u.endswith("s") == (expr.amount != 1)]) or
                             "units are days, weeks, months and years")
            return T.ERROR
        if expr.amount > 100_000:
            shown = f"{expr.amount} {expr.unit}" if expr.amount < 10**40 else expr.span.text[:40] + "…"
            self.diags.error("RL0206", f"{shown} is longer than rulelang allows",
                             expr.span)
            return T.ERROR
        self.program.durations[expr] = make_duration(expr.amount, expr.unit)
        return T.DURATION

    # ---- names ---------------------------------------------------------------------------

    def _infer_Name(self, expr, ctx, expected):
        name, refs = expr.name, self.program.refs
        local = ctx.local(name)
        if local is not None:
            refs[expr] = local
            return local.type
        decl = self.checker.lookup(name, expr.span, ctx.scope)
        if decl is not None:
            return self._global_value(expr, decl, ctx)
        if self.checker.lookup(name, expr.span, ctx.scope, quiet=True) is None and \
                ctx.scope.imported.get(name):
            return T.ERROR  # ambiguity already reported
        return self._bare_name(expr, ctx, expected)

    def _global_value(self, expr, decl, ctx) -> T.Type:
        refs, checker = self.program.refs, self.checker
        checker.refer(decl, ctx)
        if isinstance(decl, ast.ConstDecl):
            refs[expr] = P.ConstRef(decl)
            return checker.const_type(decl)
        if isinstance(decl, ast.RuleDecl):
            refs[expr] = P.RuleRef(decl)
            return checker.rule_type(decl)
        if isinstance(decl, ast.AgreementDecl):
            refs[expr] = P.AgreementRef(decl)
            return checker.agreement_info(decl).decision_type
        if isinstance(decl, ast.InputDecl):
            refs[expr] = P.InputRef(decl)
            return checker.input_type if decl is checker.input_decl else T.ERROR
        if isinstance(decl, ast.DefDecl):
            self.diags.error("RL0308", f"`{expr.name}` is a function: call it with arguments",
                             expr.span, help=f"write `{expr.name}(...)`")
            return T.ERROR
        self.diags.error("RL0301", f"`{expr.name}` is a type, not a value", expr.span)
        return T.ERROR

    def _bare_name(self, expr, ctx, expected) -> T.Type:
        """An enum member or a country code, decided by the expected type where there is one."""
        name, refs = expr.name, self.program.refs
        want = T.strip(expected) if expected is not None else None
        if isinstance(want, T.ErrorType):
            return T.ERROR  # the other side is already wrong: one report is enough
        if isinstance(want, T.EnumType):
            if name in want.members:
                refs[expr] = P.MemberRef(want, name)
                return want
            self.diags.error("RL0204", f"`{name}` is not a member of `{want.name}`", expr.span,
                             suggestion=suggest(name, want.members,
                                                "its members are: " + ", ".join(want.members)))
            return T.ERROR
        if want == T.COUNTRY or (_COUNTRY_SHAPE.match(name) and not self._enums_with(name, ctx)):
            if _COUNTRY_SHAPE.match(name) or want == T.COUNTRY:
                if self.checker.country(name, expr.span) is None:
                    return T.ERROR
                refs[expr] = P.CountryRef(name)
                return T.COUNTRY
        owners = self._enums_with(name, ctx)
        if len(owners) == 1:
            refs[expr] = P.MemberRef(owners[0], name)
            return owners[0]
        if len(owners) > 1:
            self.diags.error("RL0108", f"`{name}` is a member of several enums: "
                             + ", ".join(f"`{e.name}`" for e in owners), expr.span,
                             help=f"write `{owners[0].name}.{name}`, or compare it with a value of "
                             "the enum")
            return T.ERROR
        candidates = list(ctx.scope.names()) + [m for e in self._visible_enums(ctx) for m in e.members]
        candidates += ctx.local_names()
        self.diags.error("RL0101", f"unknown name `{name}`", expr.span,
                         suggestion=suggest(name, candidates))
        return T.ERROR

    def _visible_enums(self, ctx) -> list[T.EnumType]:
        enums = []
        for name in ctx.scope.names():
            for decl in ctx.scope.lookup(name):
                if isinstance(decl, ast.EnumDecl):
                    enums.append(self.checker.enum_types[decl])
        enums += [T.STATUS, T.OUTCOME]
        return enums

    def _enums_with(self, member: str, ctx) -> list[T.EnumType]:
        return [e for e in self._visible_enums(ctx) if member in e.members]

    def is_bare(self, expr, ctx) -> bool:
        """A name that is no variable or definition: an enum member or country to be read in context."""
        return (isinstance(expr, ast.Name) and ctx.local(expr.name) is None
                and not ctx.scope.lookup(expr.name))

    def _infer_Field(self, expr, ctx, expected):
        refs = self.program.refs
        obj = expr.obj
        # `EnumName.member`
        if isinstance(obj, ast.Name) and ctx.local(obj.name) is None:
            decl = self.checker.lookup(obj.name, obj.span, ctx.scope, quiet=True)
            if isinstance(decl, ast.EnumDecl):
                enum = self.checker.enum_types[decl]
                self.checker.used.add(decl)
                if expr.name.name not in enum.members:
                    self.diags.error("RL0204", f"`{expr.name.name}` is not a member of `{enum.name}`",
                                     expr.name.span, suggestion=suggest(expr.name.name, enum.members))
                    return T.ERROR
                refs[expr] = P.MemberRef(enum, expr.name.name)
                return enum
        obj_type = self.infer(obj, ctx)
        base = T.strip(obj_type)
        name = expr.name.name
        if isinstance(base, T.ErrorType):
            return T.ERROR
        if isinstance(base, T.RecordType):
            if name not in base.fields:
                self.diags.error("RL0107", f"`{base.name}` has no field `{name}`", expr.name.span,
                                 suggestion=suggest(name, base.fields))
                return T.ERROR
            refs[expr] = P.FieldRef(base, name)
            return T.optional(base.fields[name], T.is_optional(obj_type))
        if isinstance(base, T.DecisionType):
            fields = base.field_types()
            if name not in fields:
                self.diags.error("RL0107", f"a decision has no field `{name}`", expr.name.span,
                                 suggestion=suggest(name, fields, "fields: " + ", ".join(fields)))
                return T.ERROR
            refs[expr] = P.FieldRef(base, name)
            return fields[name]
        self.diags.error("RL0304", f"`{base}` has no fields", expr.name.span)
        return T.ERROR

    def _infer_Call(self, expr, ctx, expected):
        name, refs, checker = expr.func.name, self.program.refs, self.checker
        decl = checker.lookup(name, expr.func.span, ctx.scope) if ctx.local(name) is None else None
        if decl is None and name in BUILTINS:
            return self._builtin(expr, ctx)
        if not isinstance(decl, ast.DefDecl):
            for arg in expr.args:
                self.infer(arg, ctx)
            if decl is None:
                functions = [n for n in ctx.scope.names()
                             if isinstance(ctx.scope.lookup(n)[0], ast.DefDecl)]
                self.diags.error("RL0101", f"unknown function `{name}`", expr.func.span,
                                 suggestion=suggest(name, functions + list(BUILTINS)))
            else:
                checker.used.add(decl)
                self.diags.error("RL0308", f"`{name}` is not a function", expr.func.span,
                                 help=f"`{name}` is a value: write it without `(...)`")
            return T.ERROR
        checker.refer(decl, ctx)
        refs[expr] = P.DefRef(decl)
        params, result = checker.def_signature(decl)
        if len(params) != len(expr.args):
            self.diags.error("RL0303", f"`{name}` takes {len(params)} argument(s), not "
                             f"{len(expr.args)}", expr.span,
                             labels=[Label(decl.name.span, "defined here")])
            return T.ERROR
        for arg, param in zip(expr.args, params):
            self.expect(arg, param, f"this argument of `{name}`", ctx)
        return result

    def _builtin(self, expr, ctx) -> T.Type:
        name = expr.func.name
        if len(expr.args) != BUILTINS[name]:
            self.diags.error("RL0303", f"`{name}` takes {BUILTINS[name]} argument(s), "
                             f"not {len(expr.args)}", expr.span)
            return T.ERROR
        self.program.refs[expr] = P.BuiltinRef(name)
        arg_type = self.infer(expr.args[0], ctx)
        if name == "known":
            return T.BOOL
        if T.is_error(arg_type):
            return T.ERROR
        op, result = operators.resolve(name, T.strip(arg_type))
        if op is None:
            self.diags.error("RL0307", f"`len` needs a list, set or text, not `{arg_type}`",
                             expr.args[0].span)
            return T.ERROR
        self.program.ops[expr] = op
        return T.optional(result, T.is_optional(arg_type))

    # ---- operators ---------------------------------------------------------------------------

    def _infer_Unary(self, expr, ctx, expected):
        operand = self.infer(expr.operand, ctx, T.BOOL if expr.op == "not" else None)
        base = T.strip(operand)
        if T.is_error(base):
            return T.ERROR
        op, result = operators.resolve(expr.op, base)
        if op is None:
            return self._bad_operand(expr, expr.op, operand)
        self.program.ops[expr] = op
        return T.optional(result, T.is_optional(operand))

    def _bad_operand(self, expr, op: str, *operand_types) -> T.Type:
        shown = " and ".join(f"`{t}`" for t in operand_types)
        self.diags.error("RL0307", f"`{op}` does not apply to {shown}",
                         expr.op_span if isinstance(expr, ast.Binary) else expr.span)
        return T.ERROR

    def _infer_pair(self, left, right, ctx):
        """Infer two operands where either side may be a bare enum member or country."""
        if self.is_bare(left, ctx) and not self.is_bare(right, ctx):
            right_type = self.infer(right, ctx)
            return self.infer(left, ctx, right_type), right_type
        left_type = self.infer(left, ctx)
        return left_type, self.infer(right, ctx, left_type)

    def _infer_Binary(self, expr, ctx, expected):
        op = expr.op
        if op in ("and", "or"):
            a = self.infer(expr.left, ctx, T.BOOL)
            b = self.infer(expr.right, ctx, T.BOOL)
            if T.is_error(a) or T.is_error(b):
                return T.ERROR
            if T.strip(a) != T.BOOL or T.strip(b) != T.BOOL:
                return self._bad_operand(expr, op, a, b)
            return T.optional(T.BOOL, T.is_optional(a) or T.is_optional(b))
        if op in ("in", "not in"):
            return self._infer_membership(expr, ctx)
        if op == "??":
            a = self.infer(expr.left, ctx, expected)
            b = self.infer(expr.right, ctx, a)
            if T.is_error(a) or T.is_error(b):
                return T.ERROR
            joined = T.join(T.strip(a), b)
            if joined is None:
                return self._bad_operand(expr, op, a, b)
            return joined
        a, b = self._infer_pair(expr.left, expr.right, ctx)
        if T.is_error(a) or T.is_error(b):
            return T.ERROR
        opt = T.is_optional(a) or T.is_optional(b)
        x, y = T.strip(a), T.strip(b)
        resolved, result = operators.resolve(op, x, y)
        if resolved is None:
            if op in ("==", "!="):
                self.diags.error("RL0301", f"cannot compare `{x}` with `{y}`", expr.op_span)
                return T.ERROR
            return self._bad_operand(expr, op, a, b)
        self.program.ops[expr] = resolved
        if resolved.name.startswith("duration_") and result == T.BOOL:
            self._check_duration_units(expr)
        return T.optional(result, opt)

    def _check_duration_units(self, expr) -> None:
        kinds = {duration_kind(side, self.program) for side in (expr.left, expr.right)}
        if {"days", "months"} <= kinds:
            self.diags.error("RL0309", "this compares a number of days with months or years",
                             expr.op_span, help="days and months are not comparable; compare dates "
                             "instead, e.g. `case.claim_date <= case.entry_date + 1 year`")

    def _infer_membership(self, expr, ctx) -> T.Type:
        bare = isinstance(expr.right, (ast.SetLit, ast.ListLit)) and any(
            self.is_bare(i, ctx) for i in expr.right.items)
        coll = self.infer(expr.right, ctx) if not bare else None
        if coll is None:
            elem_type = self.infer(expr.left, ctx)
            coll = self.infer(expr.right, ctx, T.SetType(T.strip(elem_type)))
        else:
            elem = T.element_type(coll)
            if elem is None:
                if not T.is_error(coll):
                    self.diags.error("RL0307", f"`{expr.op}` needs a list or set on its right, "
                                     f"not `{coll}`", expr.right.span)
                self.infer(expr.left, ctx)
                return T.ERROR
            elem_type = self.infer(expr.left, ctx, elem)
        elem = T.element_type(coll)
        if T.is_error(elem_type) or elem is None or T.is_error(elem):
            return T.ERROR
        op, _ = operators.resolve(expr.op, T.strip(elem_type), T.strip(coll))
        if op is None:
            self.diags.error("RL0301", f"a `{T.strip(elem_type)}` is never in a collection of "
                             f"`{elem}`", expr.op_span,
                             labels=[Label(expr.left.span, f"this is `{T.strip(elem_type)}`"),
                                     Label(expr.right.span, f"this holds `{elem}`")])
            return T.ERROR
        self.program.ops[expr] = op
        return T.optional(T.BOOL, T.is_optional(elem_type) or T.is_optional(coll))

    # ---- control -----------------------------------------------------------------------------

    def _infer_If(self, expr, ctx, expected):
        cond = self.infer(expr.cond, ctx, T.BOOL)
        if not T.is_error(cond) and T.strip(cond) != T.BOOL:
            self.diags.error("RL0301", f"a condition must be `bool`, not `{cond}`", expr.cond.span)
        a = self.infer(expr.then, ctx, expected)
        b = self.infer(expr.else_, ctx, expected if expected is not None else a)
        joined = T.join(a, b)
        if joined is None:
            self.diags.error("RL0301", f"the branches give different types: `{a}` and `{b}`",
                             expr.span)
            return T.ERROR
        return T.optional(joined, T.is_optional(cond))

    def _infer_Let(self, expr, ctx, expected):
        value = self.infer(expr.value, ctx)
        return self.infer(expr.body, ctx.bind(expr.var, value), expected)

    def _infer_Quantifier(self, expr, ctx, expected):
        coll = self.infer(expr.collection, ctx)
        elem = T.element_type(coll)
        if elem is None:
            self.diags.error("RL0307", f"`{expr.kind}` needs a list or set, not `{coll}`",
                             expr.collection.span)
            elem = T.ERROR
        body = self.infer(expr.body, ctx.bind(expr.var, elem), T.BOOL)
        if not T.is_error(body) and T.strip(body) != T.BOOL:
            self.diags.error("RL0301", f"the condition of `{expr.kind}` must be `bool`, not `{body}`",
                             expr.body.span)
            return T.ERROR
        opt = T.is_optional(coll) or T.is_optional(body)
        return T.optional(T.INT if expr.kind == "count" else T.BOOL, opt)

    def _infer_Match(self, expr, ctx, expected):
        scrutinee = self.infer(expr.scrutinee, ctx)
        enum = T.strip(scrutinee)
        if not isinstance(enum, (T.EnumType, T.ErrorType)):
            self.diags.error("RL0307", f"`match` works on enums, not `{scrutinee}`",
                             expr.scrutinee.span)
            enum = T.ERROR
        covered: set[str] = set()
        wildcard = False
        result: T.Type | None = None
        for arm in expr.arms:
            if wildcard:
                self.diags.warning("RL0310", "this arm is never reached: `_` above matches everything",
                                   arm.span)
            for pattern in arm.patterns:
                if pattern.name == "_":
                    wildcard = True
                elif isinstance(enum, T.EnumType):
                    if pattern.name not in enum.members:
                        self.diags.error("RL0204", f"`{pattern.name}` is not a member of `{enum.name}`",
                                         pattern.span, suggestion=suggest(pattern.name, enum.members))
                    elif pattern.name in covered:
                        self.diags.warning("RL0310", f"`{pattern.name}` is already matched above",
                                           pattern.span)
                    covered.add(pattern.name)
            body = self.infer(arm.body, ctx, expected if expected is not None else result)
            joined = body if result is None else T.join(result, body)
            if joined is None:
                self.diags.error("RL0301", f"the arms give different types: `{result}` and `{body}`",
                                 arm.body.span)
                return T.ERROR
            result = joined
        if isinstance(enum, T.EnumType) and not wildcard:
            missing = [m for m in enum.members if m not in covered]
            if missing:
                self.diags.error("RL0305", f"`match` does not cover {', '.join(f'`{m}`' for m in missing)}",
                                 expr.scrutinee.span,
                                 help="add arms for them, or a final `_ => ...`")
        if result is None:
            return T.ERROR
        return T.optional(result, T.is_optional(scrutinee))

    # ---- collections and records -------------------------------------------------------------

    def _infer_collection(self, expr, ctx, expected, kind) -> T.Type:
        want = T.element_type(expected) if expected is not None and isinstance(
            T.strip(expected), kind) else None
        elem: T.Type = want if want is not None else T.NOTHING
        for item in expr.items:
            item_type = self.infer(item, ctx, elem if not isinstance(elem, T.Nothing) else None)
            if T.is_error(item_type):
                continue
            if T.is_optional(item_type):
                self.diags.error("RL0302", "a collection cannot hold an unknown value", item.span,
                                 help="give a default with `??`")
            joined = T.join(elem, T.strip(item_type))
            if joined is None:
                self.diags.error("RL0301", f"this item is `{item_type}`, the others are `{elem}`",
                                 item.span)
                continue
            elem = joined
        return kind(elem)

    def _infer_SetLit(self, expr, ctx, expected):
        return self._infer_collection(expr, ctx, expected, T.SetType)

    def _infer_ListLit(self, expr, ctx, expected):
        return self._infer_collection(expr, ctx, expected, T.ListType)

    def _infer_EmptyBraces(self, expr, ctx, expected):
        want = T.strip(expected) if expected is not None else None
        if isinstance(want, T.RecordType):
            self._check_fields(want, (), expr.span, ctx, complete=True)
            return want
        return T.SetType(T.NOTHING)

    def _infer_RecordLit(self, expr, ctx, expected):
        want = T.strip(expected) if expected is not None else None
        if not isinstance(want, T.RecordType):
            if not (want is None or T.is_error(want)):
                self.diags.error("RL0301", f"a record is written here, but `{want}` is expected",
                                 expr.span)
            elif want is None:
                self.diags.error("RL0301", "cannot tell which record type this is", expr.span,
                                 help="give the constant a type, as in `const x: Case = {...}`")
            for field in expr.fields:
                self.infer(field.value, ctx)
            return T.ERROR
        self._check_fields(want, expr.fields, expr.span, ctx, complete=True)
        return want

    def _infer_With(self, expr, ctx, expected):
        base = self.infer(expr.base, ctx, expected)
        record = T.strip(base)
        if not isinstance(record, T.RecordType):
            if not T.is_error(record):
                self.diags.error("RL0304", f"`with` updates a record, not `{base}`", expr.base.span)
            for field in expr.fields:
                self.infer(field.value, ctx)
            return T.ERROR
        self._check_fields(record, expr.fields, expr.span, ctx, complete=False)
        return base

    def _check_fields(self, record: T.RecordType, fields, span, ctx, *, complete: bool) -> None:
        given: dict[str, ast.FieldInit] = {}
        for field in fields:
            name = field.name.name
            if name in given:
                self.diags.error("RL0102", f"field `{name}` is given twice", field.name.span)
                continue
            given[name] = field
            if name not in record.fields:
                self.diags.error("RL0107", f"`{record.name}` has no field `{name}`", field.name.span,
                                 suggestion=suggest(name, record.fields))
                self.infer(field.value, ctx)
                continue
            self.expect(field.value, record.fields[name], f"field `{name}`", ctx)
        if complete:
            missing = [n for n, t in record.fields.items() if not T.is_optional(t) and n not in given]
            if missing:
                self.diags.error("RL0306", f"`{record.name}` needs {', '.join(f'`{m}`' for m in missing)}",
                                 span, help="required fields must be given; optional (`?`) ones may "
                                 "be left out, meaning unknown")


def duration_kind(expr, program: P.Program) -> str | None:
    """"days" or "months" where a duration's unit is visible in the text, else None."""
    if isinstance(expr, ast.DurationLit):
        duration = program.durations.get(expr)
        if duration is None:
            return None
        return "months" if duration.months else "days"
    if isinstance(expr, ast.Binary) and expr.op == "-" and T.strip(program.types.get(expr.left)) == T.DATE:
        return "days"
    return None


def _optional_source(expr, types: dict):
    """The first field access in `expr` whose value may be unknown, to explain why."""
    if isinstance(expr, (ast.Field, ast.Name)) and T.is_optional(types.get(expr, T.BOOL)):
        if isinstance(expr, ast.Field) and T.is_optional(types.get(expr.obj, T.BOOL)):
            return _optional_source(expr.obj, types) or expr
        return expr
    for child in ast.children(expr):
        found = _optional_source(child, types)
        if found is not None:
            return found
    return None
