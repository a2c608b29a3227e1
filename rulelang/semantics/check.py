"""The checker: names, types, literals, clauses and cycles.

Entry point: `check(roots, diags) -> Program`. It reports every mistake it
finds (the poison type ERROR stops one mistake from cascading) and fills the
side tables lowering reads: the type of each expression, what each name
denotes, which operator each operator symbol means, the values of date and
duration literals, and the dependency graph between definitions.

The work is split along its seams: this module declares (scopes, types, the
input, definitions, whole-program checks); expressions.py types expressions;
clauses.py checks rules, agreements and tests. Where a check is depends on a
Context passed down, never on state saved and restored by hand.
"""

from __future__ import annotations

import datetime as _dt
from typing import Iterable

import attrs

from rulelang import countries
from rulelang.diagnostics import Diagnostics, Label, Suggestion, suggest
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.semantics.clauses import ClauseChecker
from rulelang.semantics.expressions import ExpressionChecker
from rulelang.semantics.resolve import LoadedModule, all_modules
from rulelang.syntax import ast

_NAMED_DECLS = (ast.EnumDecl, ast.RecordDecl, ast.InputDecl, ast.ConstDecl, ast.DefDecl,
                ast.RuleDecl, ast.AgreementDecl)
_DEFINITIONS = (ast.ConstDecl, ast.DefDecl, ast.RuleDecl, ast.AgreementDecl)


class Scope:
    """A module's names: its own declarations, then those of the modules it imports."""

    def __init__(self, loaded: LoadedModule) -> None:
        self.loaded = loaded
        self.own: dict[str, object] = {}
        self.imported: dict[str, list[tuple[object, LoadedModule]]] = {}

    def lookup(self, name: str) -> list[object]:
        if name in self.own:
            return [self.own[name]]
        return [decl for decl, _ in self.imported.get(name, [])]

    def names(self) -> Iterable[str]:
        return list(self.own) + list(self.imported)


@attrs.frozen
class Context:
    """Where an expression is checked: the module's scope, the declaration whose
    dependencies it adds to, and the local variables in reach (innermost last)."""
    scope: Scope
    owner: object | None = None
    locals: tuple[P.LocalRef, ...] = ()

    def bind(self, ident: ast.Ident, type_: T.Type) -> "Context":
        return attrs.evolve(self, locals=self.locals + (P.LocalRef(ident, type_),))

    def local(self, name: str) -> P.LocalRef | None:
        for ref in reversed(self.locals):
            if ref.binding.name == name:
                return ref
        return None

    def local_names(self) -> list[str]:
        return [ref.binding.name for ref in self.locals]


class Checker:
    def __init__(self, roots: list[LoadedModule], diags: Diagnostics) -> None:
        self.diags = diags
        self.modules = [m for m in all_modules(roots) if m.module is not None]
        self.program = P.Program(roots=roots, modules=self.modules)
        self.scopes: dict[str, Scope] = {}
        self.decl_scope: dict[object, Scope] = {}
        self.enum_types: dict[object, T.EnumType] = {}
        self.record_types: dict[object, T.RecordType] = {}
        self.const_types: dict[object, T.Type] = {}
        self.input_decl: ast.InputDecl | None = None
        self.input_type: T.Type = T.ERROR
        self.used: set[object] = set()
        self._inferring: set[object] = set()
        self.exprs = ExpressionChecker(self)
        self.clauses = ClauseChecker(self)

    # ---- driver ----------------------------------------------------------------------

    def run(self) -> P.Program:
        for loaded in self.modules:
            self._collect(loaded)
        for loaded in self.modules:
            self._link_imports(loaded)
        self._declare_types()
        self.program.declared_types = {**self.enum_types, **self.record_types}
        self._declare_input()
        for loaded in self.modules:
            for decl in loaded.module.decls:
                self._check_decl(decl, loaded)
        self._check_cycles()
        self._warn_unused()
        roots = {r.key for r in self.program.roots}
        infos = self.program.agreement_infos
        for loaded in self.modules:
            if loaded.key in roots:
                self.program.agreements += [infos[d] for d in loaded.module.decls if d in infos]
        return self.program

    def _check_decl(self, decl, loaded: LoadedModule) -> None:
        ctx = self.context_of(decl)
        self.program.deps.setdefault(decl, set())
        if isinstance(decl, ast.ConstDecl):
            self.const_type(decl)
        elif isinstance(decl, ast.DefDecl):
            self.clauses.check_def(decl, ctx)
        elif isinstance(decl, ast.RuleDecl):
            self.clauses.check_rule(decl, ctx)
        elif isinstance(decl, ast.AgreementDecl):
            self.clauses.check_agreement(decl, ctx, loaded)
        elif isinstance(decl, ast.TestDecl):
            self.clauses.check_test(decl, ctx, loaded)

    def context_of(self, decl) -> Context:
        return Context(self.decl_scope[decl], owner=decl)

    def refer(self, decl, ctx: Context) -> None:
        """`ctx.owner` uses the global definition `decl`."""
        self.used.add(decl)
        if ctx.owner is not None:
            self.program.deps.setdefault(ctx.owner, set()).add(decl)

    # ---- scopes ----------------------------------------------------------------------------

    def _collect(self, loaded: LoadedModule) -> None:
        scope = Scope(loaded)
        self.scopes[loaded.key] = scope
        for decl in loaded.module.decls:
            self.decl_scope[decl] = scope
            if not isinstance(decl, _NAMED_DECLS):
                continue
            name = decl.name.name
            if name in scope.own:
                previous = scope.own[name]
                self.diags.error("RL0102", f"`{name}` is defined twice in this module", decl.name.span,
                                 labels=[Label(previous.name.span, "first defined here")],
                                 help="rename one of them")
                continue
            scope.own[name] = decl

    def _link_imports(self, loaded: LoadedModule) -> None:
        scope = self.scopes[loaded.key]
        for imported in loaded.imports:
            if imported.module is None:
                continue
            for name, decl in self.scopes[imported.key].own.items():
                scope.imported.setdefault(name, []).append((decl, imported))

    def lookup(self, name: str, span, scope: Scope, *, quiet: bool = False) -> object | None:
        """The global declaration `name` denotes in `scope`, or None (an ambiguity is
        reported unless `quiet`)."""
        found = scope.lookup(name)
        if len(found) > 1:
            if not quiet:
                where = [d for d, m in scope.imported[name]]
                self.diags.error("RL0102", f"`{name}` is defined in more than one imported module",
                                 span, labels=[Label(d.name.span, "defined here") for d in where],
                                 help="define it in one module only")
            return None
        return found[0] if found else None

    # ---- types -------------------------------------------------------------------------------

    def _declare_types(self) -> None:
        for loaded in self.modules:
            for decl in loaded.module.decls:
                if isinstance(decl, ast.EnumDecl):
                    members = []
                    for member in decl.members:
                        if member.name in members:
                            self.diags.error("RL0102", f"enum member `{member.name}` is listed twice",
                                             member.span)
                        else:
                            members.append(member.name)
                    self.enum_types[decl] = T.EnumType(decl.name.name, tuple(members), decl)
                elif isinstance(decl, ast.RecordDecl):
                    self.record_types[decl] = T.RecordType(decl.name.name, {}, decl)
        for loaded in self.modules:
            scope = self.scopes[loaded.key]
            for decl in loaded.module.decls:
                if isinstance(decl, ast.RecordDecl):
                    fields = self.record_types[decl].fields
                    for field in decl.fields:
                        if field.name.name in fields:
                            self.diags.error("RL0102", f"field `{field.name.name}` is declared twice",
                                             field.name.span)
                            continue
                        fields[field.name.name] = self.resolve_type(field.type, scope)

    def _declare_input(self) -> None:
        inputs = [(d, m) for m in self.modules for d in m.module.decls if isinstance(d, ast.InputDecl)]
        if not inputs:
            return
        decl, loaded = inputs[0]
        for other, _ in inputs[1:]:
            self.diags.error("RL0102", "a program has one input record; this is a second `input`",
                             other.span, labels=[Label(decl.span, "the input is declared here")])
        self.input_decl = decl
        self.input_type = self.resolve_type(decl.type, self.scopes[loaded.key])
        prog = self.program
        prog.input_name = decl.name.name
        if isinstance(self.input_type, T.RecordType):
            prog.input_type = self.input_type
        elif not T.is_error(self.input_type):
            self.diags.error("RL0301", f"the input must be a record type, not `{self.input_type}`",
                             decl.type.span)
        if decl.as_of_field is not None and prog.input_type is not None:
            field = decl.as_of_field.name
            field_type = prog.input_type.fields.get(field)
            if field_type is None:
                self.diags.error("RL0107", f"`{prog.input_type.name}` has no field `{field}`",
                                 decl.as_of_field.span,
                                 suggestion=suggest(field, prog.input_type.fields))
            elif field_type != T.DATE:
                self.diags.error("RL0301", f"the as-of field must be a required `date`, "
                                 f"but `{field}` is `{field_type}`", decl.as_of_field.span)
            else:
                prog.as_of_field = field

    def resolve_type(self, texpr: ast.TypeExpr, scope: Scope) -> T.Type:
        if isinstance(texpr, ast.OptionalType):
            inner = self.resolve_type(texpr.inner, scope)
            if T.is_optional(inner):
                self.diags.warning("RL0301", "`??` on a type is the same as `?`", texpr.span)
            return T.optional(inner)
        name = texpr.name
        if name in ("set", "list"):
            if len(texpr.args) != 1:
                self.diags.error("RL0106", f"`{name}` needs an element type, as in `{name}<int>`",
                                 texpr.span)
                return T.ERROR
            elem = self.resolve_type(texpr.args[0], scope)
            if T.is_optional(elem):
                self.diags.error("RL0301", "collections hold known values; make the collection "
                                 "optional instead", texpr.args[0].span,
                                 help=f"write `{name}<{T.strip(elem)}>?`")
                elem = T.strip(elem)
            return T.SetType(elem) if name == "set" else T.ListType(elem)
        if texpr.args:
            self.diags.error("RL0106", f"`{name}` takes no type arguments", texpr.span)
        if name in T.PRIMITIVES:
            return T.PRIMITIVES[name]
        decl = self.lookup(name, texpr.span, scope)
        if isinstance(decl, ast.EnumDecl):
            self.used.add(decl)
            return self.enum_types[decl]
        if isinstance(decl, ast.RecordDecl):
            self.used.add(decl)
            return self.record_types[decl]
        if decl is not None:
            self.diags.error("RL0106", f"`{name}` is not a type", texpr.span)
            return T.ERROR
        candidates = list(T.PRIMITIVES) + ["set", "list"] + [
            n for n in scope.names() if isinstance(scope.lookup(n)[0], (ast.EnumDecl, ast.RecordDecl))]
        suggestion = suggest(name, candidates, _TYPE_ALIASES.get(name.lower()))
        if texpr.args:  # a fix replaces the span, and `lst<int>`'s is more than its name
            suggestion = Suggestion(suggestion.help)
        self.diags.error("RL0106", f"unknown type `{name}`", texpr.span, suggestion=suggestion)
        return T.ERROR

    # ---- the types of definitions (asked for before or after they are checked) --------------

    def const_type(self, decl: ast.ConstDecl) -> T.Type:
        if decl in self.const_types:
            return self.const_types[decl]
        if decl in self._inferring:
            return T.ERROR  # a cycle; reported by _check_cycles
        self._inferring.add(decl)
        ctx = self.context_of(decl)
        self.program.deps.setdefault(decl, set())
        if decl.type is not None:
            result = self.resolve_type(decl.type, ctx.scope)
            self.exprs.expect(decl.value, result, "this constant", ctx)
        else:
            result = self.exprs.infer(decl.value, ctx)
        self._inferring.discard(decl)
        self.const_types[decl] = result
        return result

    def def_signature(self, decl: ast.DefDecl) -> tuple[list[T.Type], T.Type]:
        scope = self.decl_scope[decl]
        return ([self.resolve_type(p.type, scope) for p in decl.params],
                self.resolve_type(decl.return_type, scope))

    def rule_type(self, decl: ast.RuleDecl) -> T.Type:
        return self.resolve_type(decl.type, self.decl_scope[decl])

    def agreement_info(self, decl: ast.AgreementDecl) -> P.AgreementInfo:
        infos = self.program.agreement_infos
        if decl in infos:
            return infos[decl]
        names = []
        for item in decl.of_type(ast.AgreementException):
            if item.name.name not in names:
                names.append(item.name.name)
        enum = T.EnumType(f"{decl.name.name} exception", tuple(names), decl)
        info = P.AgreementInfo(decl.name.name, decl.kind, decl.title, decl, None,
                               exception_enum=enum, decision_type=T.DecisionType(decl.name.name, enum))
        infos[decl] = info
        return info

    # ---- literals -------------------------------------------------------------------------

    def date(self, lit: ast.DateLit) -> _dt.date | None:
        if lit in self.program.dates:
            return self.program.dates[lit]
        try:
            value = _dt.date.fromisoformat(lit.text)
        except ValueError:
            year, month, day = (int(p) for p in lit.text.split("-"))
            reason = "there is no month {}".format(month) if not 1 <= month <= 12 else \
                f"{_month_name(month)} {year} has no day {day}" if year >= 1 else "there is no year 0"
            self.diags.error("RL0201", f"invalid date {lit.text}: {reason}", lit.span)
            return None
        self.program.dates[lit] = value
        return value

    def country(self, code: str, span) -> str | None:
        if countries.is_country(code):
            return code
        self.diags.error("RL0202", f"`{code}` is not an ISO 3166-1 alpha-3 country code", span,
                         suggestion=countries.suggestion(code))
        return None

    # ---- whole-program checks ------------------------------------------------------------------

    def _check_cycles(self) -> None:
        WHITE, GREY, BLACK = 0, 1, 2
        color: dict[object, int] = {}
        stack: list[object] = []
        reported: set[frozenset] = set()
        deps = self.program.deps

        def visit(node) -> None:
            color[node] = GREY
            stack.append(node)
            for dep in deps.get(node, ()):
                if not isinstance(dep, _DEFINITIONS):
                    continue
                state = color.get(dep, WHITE)
                if state == GREY:
                    cycle = stack[stack.index(dep):]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        names = " → ".join(d.name.name for d in cycle + [dep])
                        self.diags.error("RL0105", f"definitions depend on themselves: {names}",
                                         dep.name.span,
                                         labels=[Label(d.name.span, "in the cycle") for d in cycle[1:]],
                                         help="rules and functions cannot be recursive; rulelang "
                                         "evaluations always terminate")
                elif state == WHITE:
                    visit(dep)
            stack.pop()
            color[node] = BLACK

        for node in list(deps):
            if color.get(node, WHITE) == WHITE:
                visit(node)

    def _warn_unused(self) -> None:
        imported = {m.key for loaded in self.modules for m in loaded.imports}
        for loaded in self.modules:
            if loaded.key in imported or not any(isinstance(d, ast.AgreementDecl)
                                                 for d in loaded.module.decls):
                continue  # a library: its definitions are for its importers
            for decl in loaded.module.decls:
                if isinstance(decl, (ast.ConstDecl, ast.DefDecl)) and decl not in self.used:
                    self.diags.warning("RL0109", f"`{decl.name.name}` is never used", decl.name.span,
                                       help="remove it, or use it")


# Type names from other languages, for a help line where no spelling is close.
_TYPE_ALIASES = {alias: f"rulelang calls this type `{name}`" for name, aliases in {
    "int": ("integer", "long", "number"), "decimal": ("float", "double", "real", "numeric", "money"),
    "text": ("string", "str", "char", "varchar"), "bool": ("boolean",), "date": ("datetime",),
    "duration": ("interval", "timedelta", "period"), "country": ("nation", "iso3"),
}.items() for alias in aliases}


def _month_name(month: int) -> str:
    return _dt.date(2000, month, 1).strftime("%B")


def check(roots: list[LoadedModule], diags: Diagnostics) -> P.Program:
    return Checker(roots, diags).run()
