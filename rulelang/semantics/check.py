"""The checker: names, types, literals, clauses and cycles.

Entry point: `check(roots, diags) -> Program`. It reports every mistake it
finds (the poison type ERROR stops one mistake from cascading) and fills the
side tables the interpreter reads: the type of each expression, what each
name denotes, and the values of date and duration literals.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Iterable

from rulelang import countries
from rulelang.diagnostics import Diagnostics, Label, did_you_mean
from rulelang.runtime import DURATION_UNITS, make_duration
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.semantics.resolve import LoadedModule, all_modules
from rulelang.syntax import ast

MAX_INT = 10**18
BUILTINS = {"known": 1, "len": 1}
_COUNTRY_SHAPE = re.compile(r"^[A-Z]{3}$")
_NAMED_DECLS = (ast.EnumDecl, ast.RecordDecl, ast.InputDecl, ast.ConstDecl, ast.DefDecl,
                ast.RuleDecl, ast.AgreementDecl)
_DECISION_FIELDS = ("status", "outcome", "returns_to", "exceptions", "missing", "unestablished")


class _Scope:
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


class Checker:
    def __init__(self, roots: list[LoadedModule], diags: Diagnostics) -> None:
        self.diags = diags
        self.modules = [m for m in all_modules(roots) if m.module is not None]
        self.program = P.Program(roots=roots, modules=self.modules)
        self.scopes: dict[str, _Scope] = {}
        self.decl_scope: dict[object, _Scope] = {}
        self.enum_types: dict[object, T.EnumType] = {}
        self.record_types: dict[object, T.RecordType] = {}
        self.const_types: dict[object, T.Type] = {}
        self.agreement_infos: dict[object, P.AgreementInfo] = self.program.agreement_infos
        self.input_decl: ast.InputDecl | None = None
        self.input_type: T.Type = T.ERROR
        # dependency graph between global definitions, for cycle detection
        self.deps: dict[object, set[object]] = {}
        self.current: object | None = None
        self.used: set[object] = set()
        self.scope: _Scope | None = None
        self.locals: list[dict[str, T.Type]] = []
        self._inferring: set[object] = set()

    # ---- driver ----------------------------------------------------------------------

    def run(self) -> P.Program:
        for loaded in self.modules:
            self._collect(loaded)
        for loaded in self.modules:
            self._link_imports(loaded)
        self._declare_types()
        self._declare_input()
        for loaded in self.modules:
            self.scope = self.scopes[loaded.key]
            for decl in loaded.module.decls:
                self._check_decl(decl, loaded)
        self._check_cycles()
        self._warn_unused()
        roots = {r.key for r in self.program.roots}
        for loaded in self.modules:
            if loaded.key not in roots:
                continue
            for decl in loaded.module.decls:
                if isinstance(decl, ast.AgreementDecl) and decl in self.agreement_infos:
                    self.program.agreements.append(self.agreement_infos[decl])
        return self.program

    # ---- declarations and scopes ---------------------------------------------------------

    def _collect(self, loaded: LoadedModule) -> None:
        scope = _Scope(loaded)
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

    def _global(self, name: str, span, *, quiet: bool = False) -> object | None:
        found = self.scope.lookup(name)
        if len(found) > 1:
            if not quiet:
                where = [d for d, m in self.scope.imported[name]]
                self.diags.error("RL0102", f"`{name}` is defined in more than one imported module",
                                 span, labels=[Label(d.name.span, "defined here") for d in where],
                                 help="define it in one module only")
            return None
        return found[0] if found else None

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
            self.scope = self.scopes[loaded.key]
            for decl in loaded.module.decls:
                if isinstance(decl, ast.RecordDecl):
                    fields = self.record_types[decl].fields
                    for field in decl.fields:
                        if field.name.name in fields:
                            self.diags.error("RL0102", f"field `{field.name.name}` is declared twice",
                                             field.name.span)
                            continue
                        fields[field.name.name] = self.resolve_type(field.type)

    def _declare_input(self) -> None:
        inputs = [(d, m) for m in self.modules for d in m.module.decls if isinstance(d, ast.InputDecl)]
        if not inputs:
            return
        decl, loaded = inputs[0]
        for other, _ in inputs[1:]:
            self.diags.error("RL0102", "a program has one input record; this is a second `input`",
                             other.span, labels=[Label(decl.span, "the input is declared here")])
        self.scope = self.scopes[loaded.key]
        self.input_decl = decl
        self.input_type = self.resolve_type(decl.type)
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
                                 help=did_you_mean(field, prog.input_type.fields))
            elif field_type != T.DATE:
                self.diags.error("RL0301", f"the as-of field must be a required `date`, "
                                 f"but `{field}` is `{field_type}`", decl.as_of_field.span)
            else:
                prog.as_of_field = field

    def resolve_type(self, texpr: ast.TypeExpr) -> T.Type:
        if isinstance(texpr, ast.OptionalType):
            inner = self.resolve_type(texpr.inner)
            if T.is_optional(inner):
                self.diags.warning("RL0301", "`??` on a type is the same as `?`", texpr.span)
            return T.optional(inner)
        name = texpr.name
        if name in ("set", "list"):
            if len(texpr.args) != 1:
                self.diags.error("RL0106", f"`{name}` needs an element type, as in `{name}<int>`",
                                 texpr.span)
                return T.ERROR
            elem = self.resolve_type(texpr.args[0])
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
        decl = self._global(name, texpr.span)
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
            n for n in self.scope.names() if isinstance(self.scope.lookup(n)[0], (ast.EnumDecl, ast.RecordDecl))]
        self.diags.error("RL0106", f"unknown type `{name}`", texpr.span,
                         help=did_you_mean(name, candidates) or _TYPE_ALIASES.get(name.lower()))
        return T.ERROR

    # ---- per-declaration checks ------------------------------------------------------------

    def _check_decl(self, decl, loaded: LoadedModule) -> None:
        self.current = decl
        self.deps.setdefault(decl, set())
        if isinstance(decl, ast.ConstDecl):
            self._const_type(decl)
        elif isinstance(decl, ast.DefDecl):
            self._check_def(decl)
        elif isinstance(decl, ast.RuleDecl):
            self._check_rule(decl)
        elif isinstance(decl, ast.AgreementDecl):
            self._check_agreement(decl, loaded)
        elif isinstance(decl, ast.TestDecl):
            self._check_test(decl, loaded)
        self.current = None

    def _const_type(self, decl: ast.ConstDecl) -> T.Type:
        if decl in self.const_types:
            return self.const_types[decl]
        if decl in self._inferring:
            return T.ERROR  # a cycle; reported by _check_cycles
        self._inferring.add(decl)
        saved = (self.current, self.locals, self.scope)
        self.current, self.locals, self.scope = decl, [], self._scope_of(decl)
        self.deps.setdefault(decl, set())
        if decl.type is not None:
            declared = self.resolve_type(decl.type)
            self.expect_type(decl.value, declared, "this constant")
            result = declared
        else:
            result = self.infer(decl.value)
        self.current, self.locals, self.scope = saved
        self._inferring.discard(decl)
        self.const_types[decl] = result
        return result

    def _check_def(self, decl: ast.DefDecl) -> None:
        params = {}
        for param in decl.params:
            if param.name.name in params:
                self.diags.error("RL0102", f"parameter `{param.name.name}` is listed twice",
                                 param.name.span)
            params[param.name.name] = self.resolve_type(param.type)
        self.locals = [params]
        self.expect_type(decl.body, self.resolve_type(decl.return_type), f"`{decl.name.name}`")
        self.locals = []

    def _def_signature(self, decl: ast.DefDecl) -> tuple[list[T.Type], T.Type]:
        saved = self.scope
        self.scope = self._scope_of(decl)
        sig = [self.resolve_type(p.type) for p in decl.params], self.resolve_type(decl.return_type)
        self.scope = saved
        return sig

    def _scope_of(self, decl) -> _Scope:
        return self.decl_scope.get(decl, self.scope)

    def _rule_type(self, decl: ast.RuleDecl) -> T.Type:
        saved = self.scope
        self.scope = self._scope_of(decl)
        result = self.resolve_type(decl.type)
        self.scope = saved
        return result

    def clause(self, mods: tuple, *, allow_burden: bool = False) -> P.Clause:
        cites, start, end, burden = [], None, None, P.CLAIMANT
        seen: dict[type, object] = {}
        for mod in mods:
            if type(mod) in seen and not isinstance(mod, ast.Cite):
                keyword = mod.span.text.split()[0]
                self.diags.error("RL0401", f"this clause already has a `{keyword}`", mod.span,
                                 labels=[Label(seen[type(mod)].span, "first given here")])
                continue
            seen[type(mod)] = mod
            if isinstance(mod, ast.Cite):
                cites.append(mod.text)
            elif isinstance(mod, ast.FromDate):
                start = self.date(mod.date)
            elif isinstance(mod, ast.UntilDate):
                end = self.date(mod.date)
            elif isinstance(mod, ast.Burden):
                if not allow_burden:
                    self.diags.error("RL0406", "only an exception can say who bears the burden",
                                     mod.span)
                elif mod.who.name not in (P.CLAIMANT, P.STATE):
                    self.diags.error("RL0406", f"unknown burden of proof `{mod.who.name}`",
                                     mod.who.span, help="write `burden claimant` or `burden state`")
                else:
                    burden = mod.who.name
        if start and end and start > end:
            self.diags.error("RL0405", f"this clause is in force from {start} until {end}: "
                             "never", seen[ast.FromDate].span,
                             labels=[Label(seen[ast.UntilDate].span, "ends before it starts")])
        return P.Clause(tuple(cites), P.Window(start, end), burden)

    def _require_cite(self, clause: P.Clause, span, what: str) -> None:
        if not clause.cites:
            self.diags.warning("RL0407", f"{what} has no citation", span,
                               help='add `cite "..."` naming the article or section it encodes')

    def _check_rule(self, decl: ast.RuleDecl) -> None:
        self.locals = []
        rule_type = self._rule_type(decl)
        info = P.RuleInfo(decl.name.name, decl, rule_type)
        self.program.rules[decl] = info
        what = f"rule `{decl.name.name}`"
        if decl.branches:
            conditions_optional = False
            for branch in decl.branches:
                clause = self.clause(branch.mods)
                if branch.cond is not None:
                    cond_type = self.expect_type(branch.cond, T.BOOL, "a condition", allow_unknown=True)
                    conditions_optional |= T.is_optional(cond_type)
                self.expect_type(branch.value, rule_type, what)
                info.branches.append(P.BranchInfo(branch.cond, branch.value, clause, branch.span))
                self._require_cite(clause, branch.span, "this branch")
            if conditions_optional and not T.is_optional(rule_type) and not T.is_error(rule_type):
                self.diags.error("RL0302", f"{what} may be unknown: a condition may be unknown",
                                 decl.type.span, help=f"declare it `{rule_type}?`")
            return
        info.default_clause = self.clause(decl.default_mods)
        info.default = decl.default
        self.expect_type(decl.default, rule_type, what)
        by_name: dict[str, P.RuleExceptionInfo] = {}
        parents: dict[str, ast.Ident | None] = {}
        for exc in decl.exceptions:
            clause = self.clause(exc.mods)
            cond_type = self.expect_type(exc.cond, T.BOOL, "an exception's condition", allow_unknown=True)
            if T.is_optional(cond_type) and not T.is_optional(rule_type) and not T.is_error(rule_type):
                self.diags.error("RL0302", f"{what} may be unknown: the condition of exception "
                                 f"`{exc.name.name}` may be unknown", exc.cond.span,
                                 help=f"declare the rule `{rule_type}?`, or give a default with `??`")
            self.expect_type(exc.value, rule_type, what)
            if exc.name.name in by_name:
                self.diags.error("RL0102", f"exception `{exc.name.name}` is defined twice", exc.name.span)
                continue
            self._require_cite(clause, exc.name.span, f"exception `{exc.name.name}`")
            by_name[exc.name.name] = P.RuleExceptionInfo(exc.name.name, exc.cond, exc.value, clause, exc.span)
            parents[exc.name.name] = exc.parent
            if isinstance(exc.cond, ast.BoolLit) and exc.cond.value is False:
                self.diags.warning("RL0404", f"exception `{exc.name.name}` can never fire: its "
                                   "condition is `false`", exc.cond.span)
        info.exceptions = self._exception_tree(by_name, parents)
        self._warn_identical_siblings(decl)

    def _warn_identical_siblings(self, decl: ast.RuleDecl) -> None:
        from rulelang.syntax.ast import dump

        seen: dict[tuple, ast.RuleException] = {}
        for exc in decl.exceptions:
            key = (exc.parent.name if exc.parent else None, repr(dump(exc.cond)))
            other = seen.get(key)
            if other is not None and repr(dump(other.value)) != repr(dump(exc.value)):
                self.diags.warning("RL0408", f"exceptions `{other.name.name}` and `{exc.name.name}` "
                                   "have the same condition and different values", exc.span,
                                   labels=[Label(other.span, "this one fires at the same time")],
                                   help="make one an exception `of` the other to give it priority")
            seen.setdefault(key, exc)

    def _exception_tree(self, by_name: dict, parents: dict) -> list:
        top = []
        for name, info in by_name.items():
            parent = parents[name]
            if parent is None:
                top.append(info)
                continue
            if parent.name not in by_name:
                self.diags.error("RL0403", f"there is no exception `{parent.name}` to be an exception of",
                                 parent.span, help=did_you_mean(parent.name, by_name))
                continue
            # walk up the chain to refuse cycles (a of b, b of a)
            seen, cursor = {name}, parent.name
            while cursor is not None and cursor not in seen:
                seen.add(cursor)
                up = parents.get(cursor)
                cursor = up.name if up is not None else None
            if cursor is not None:
                self.diags.error("RL0105", f"exception `{name}` is, through its parents, an "
                                 "exception of itself", parent.span)
                continue
            by_name[parent.name].children.append(info)
        return top

    def _check_agreement(self, decl: ast.AgreementDecl, loaded: LoadedModule) -> None:
        self.locals = []
        info = self._agreement_info(decl)
        info.module = loaded
        singles: dict[type, object] = {}
        for item in decl.items:
            if isinstance(item, (ast.Parties, ast.ReturnsTo, ast.Consequence, ast.Timeline,
                                 ast.AppliesWhen)):
                if type(item) in singles:
                    keyword = "applies when" if isinstance(item, ast.AppliesWhen) else \
                        item.span.text.split()[0]
                    self.diags.error("RL0401", f"this {decl.kind} already has a `{keyword}` clause",
                                     item.span,
                                     labels=[Label(singles[type(item)].span, "first given here")])
                    continue
                singles[type(item)] = item
            if isinstance(item, ast.Parties):
                info.parties = tuple(self._country(i.name, i.span) or i.name for i in item.countries)
            elif isinstance(item, ast.ReturnsTo):
                info.returns_to = item.expr
                info.returns_to_clause = self.clause(item.mods)
                self.expect_type(item.expr, T.COUNTRY, "`returns_to`", allow_unknown=True)
            elif isinstance(item, ast.Consequence):
                info.consequence = item.text
                self.clause(item.mods)
            elif isinstance(item, ast.AgreementCite):
                info.cites += (item.text,)
            elif isinstance(item, ast.Timeline):
                self._check_timeline(item, info)
            elif isinstance(item, ast.AppliesWhen):
                if item.keyword.name != "applies":
                    self.diags.error("RL0001", f"unexpected `{item.keyword.name}`", item.keyword.span,
                                     help="the scope of an agreement is written `applies when { ... }`")
                for index, conjunct in enumerate(item.conjuncts, 1):
                    clause = self.clause(conjunct.mods)
                    self.expect_type(conjunct.expr, T.BOOL, "a scope condition", allow_unknown=True)
                    info.conjuncts.append(P.ConjunctInfo(index, conjunct.expr, clause, conjunct.span))
                    self._require_cite(clause, conjunct.span, "this scope condition")
        by_name: dict[str, P.ExceptionInfo] = {}
        parents = {}
        for item in decl.of_type(ast.AgreementException):
            clause = self.clause(item.mods, allow_burden=True)
            self.expect_type(item.cond, T.BOOL, "an exception's condition", allow_unknown=True)
            if item.name.name in by_name:
                self.diags.error("RL0102", f"exception `{item.name.name}` is defined twice",
                                 item.name.span)
                continue
            self._require_cite(clause, item.name.span, f"exception `{item.name.name}`")
            exc = P.ExceptionInfo(item.name.name, item.title, item.cond, clause, item.span,
                                  item.parent.name if item.parent else None)
            by_name[item.name.name] = exc
            parents[item.name.name] = item.parent
            info.all_exceptions.append(exc)
            self._warn_never_fires(item, exc, info)
        info.exceptions = self._exception_tree(by_name, parents)
        if not info.events:
            self.diags.error("RL0402", f"{decl.kind} `{decl.name.name}` has no timeline", decl.name.span,
                             help="add `timeline { YYYY-MM-DD in_force }`: its status depends on it")

    def _warn_never_fires(self, item: ast.AgreementException, exc: P.ExceptionInfo,
                          info: P.AgreementInfo) -> None:
        if isinstance(item.cond, ast.BoolLit) and item.cond.value is False:
            self.diags.warning("RL0404", f"exception `{exc.name}` can never fire: its condition is "
                               "`false`", item.cond.span)
            return
        window = exc.clause.window
        if window.start is None or not info.events:
            return
        last = info.events[-1]
        if last.kind == "terminated" and window.start > last.date:
            self.diags.warning("RL0404", f"exception `{exc.name}` can never fire: it starts on "
                               f"{window.start}, after the {info.kind} ended on {last.date}",
                               item.name.span)

    def _agreement_info(self, decl: ast.AgreementDecl) -> P.AgreementInfo:
        if decl in self.agreement_infos:
            return self.agreement_infos[decl]
        names = []
        for item in decl.of_type(ast.AgreementException):
            if item.name.name not in names:
                names.append(item.name.name)
        enum = T.EnumType(f"{decl.name.name} exception", tuple(names), decl)
        info = P.AgreementInfo(decl.name.name, decl.kind, decl.title, decl, None,
                               exception_enum=enum, decision_type=T.DecisionType(decl.name.name, enum))
        self.agreement_infos[decl] = info
        return info

    def _check_timeline(self, timeline: ast.Timeline, info: P.AgreementInfo) -> None:
        previous = None
        for event in timeline.events:
            clause = self.clause(event.mods)
            when = self.date(event.date)
            kind = event.kind.name
            if kind not in P.EVENT_STATUS:
                self.diags.error("RL0205", f"unknown timeline event `{kind}`", event.kind.span,
                                 help=did_you_mean(kind, P.EVENT_STATUS) or
                                 "events are: " + ", ".join(P.EVENT_STATUS))
                continue
            if when is None:
                continue
            if previous is not None and when < previous.date:
                self.diags.error("RL0402", f"timeline events must be in date order: {when} comes "
                                 f"after {previous.date}", event.date.span,
                                 labels=[Label(previous.span, "the event before it")])
            info.events.append(P.EventInfo(when, kind, event.note, clause, event.span))
            previous = info.events[-1]

    def _check_test(self, decl: ast.TestDecl, loaded: LoadedModule) -> None:
        self.locals = []
        info = P.TestInfo(decl.name, decl, loaded)
        for item in decl.items:
            if isinstance(item, ast.Given):
                if info.given is not None:
                    self.diags.error("RL0501", "this test already has a `given`", item.span)
                if self.input_decl is None:
                    self.diags.error("RL0110", "no `input` is declared, so there is nothing to give",
                                     item.var.span, help="import the module that declares `input`")
                elif item.var.name != self.input_decl.name.name:
                    self.diags.error("RL0501", f"`given` names the input `{self.input_decl.name.name}`,"
                                     f" not `{item.var.name}`", item.var.span)
                else:
                    self.expect_type(item.value, self.input_type, "the test's record")
                info.given = item.value
            elif isinstance(item, ast.TestAsOf):
                info.as_of = self.date(item.date)
            elif isinstance(item, ast.Assume):
                if item.status.name != "in_force":
                    self.diags.error("RL0501", f"cannot assume `{item.status.name}`", item.status.span,
                                     help="the only assumption is `assume in_force`")
                info.assume = item.status.name
            elif isinstance(item, ast.Expect):
                self.expect_type(item.expr, T.BOOL, "an expectation", allow_unknown=True)
                info.expects.append(item)
        if not info.expects:
            self.diags.error("RL0501", f"test \"{decl.name}\" expects nothing", decl.span,
                             help="add `expect ...` lines")
        if info.given is None and self.input_decl is not None:
            self.diags.error("RL0501", f"test \"{decl.name}\" gives no record", decl.span,
                             help=f"add `given {self.input_decl.name.name} = ...`")
        if any(r.key == loaded.key for r in self.program.roots):
            self.program.tests.append(info)

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

    def _country(self, code: str, span) -> str | None:
        if countries.is_country(code):
            return code
        self.diags.error("RL0202", f"`{code}` is not an ISO 3166-1 alpha-3 country code", span,
                         help=countries.suggest(code))
        return None

    # ---- expressions ------------------------------------------------------------------------

    def expect_type(self, expr, expected: T.Type, what: str, *, allow_unknown: bool = False) -> T.Type:
        """Check `expr` against `expected`; report a mismatch once. Returns the actual type."""
        actual = self.infer(expr, expected)
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

    def infer(self, expr, expected: T.Type | None = None) -> T.Type:
        method = getattr(self, "_infer_" + type(expr).__name__)
        result = method(expr, expected)
        self.program.types[expr] = result
        return result

    def _infer_BoolLit(self, expr, expected):
        return T.BOOL

    def _infer_IntLit(self, expr, expected):
        if abs(expr.value) > MAX_INT:
            shown = expr.span.text if len(expr.span.text) <= 40 else expr.span.text[:40] + "…"
            self.diags.error("RL0206", f"{shown} is larger than rulelang's limit of 10^18",
                             expr.span)
            return T.ERROR
        return T.INT

    def _infer_DecimalLit(self, expr, expected):
        if len(expr.value.as_tuple().digits) > 30:
            self.diags.error("RL0206", "a decimal literal may have at most 30 digits", expr.span)
            return T.ERROR
        return T.DECIMAL

    def _infer_TextLit(self, expr, expected):
        return T.TEXT

    def _infer_DateLit(self, expr, expected):
        return T.DATE if self.date(expr) is not None else T.ERROR

    def _infer_DurationLit(self, expr, expected):
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

    def _local(self, name: str) -> T.Type | None:
        for frame in reversed(self.locals):
            if name in frame:
                return frame[name]
        return None

    def _refer(self, decl) -> None:
        self.used.add(decl)
        if self.current is not None:
            self.deps.setdefault(self.current, set()).add(decl)

    def _infer_Name(self, expr, expected):
        name, refs = expr.name, self.program.refs
        local = self._local(name)
        if local is not None:
            refs[expr] = P.Ref("local", name)
            return local
        decl = self._global(name, expr.span)
        if decl is not None:
            return self._global_value(expr, decl)
        if self._global(name, expr.span, quiet=True) is None and self.scope.imported.get(name):
            return T.ERROR  # ambiguity already reported
        return self._bare_name(expr, expected)

    def _global_value(self, expr, decl) -> T.Type:
        refs = self.program.refs
        self._refer(decl)
        if isinstance(decl, ast.ConstDecl):
            refs[expr] = P.Ref("const", decl)
            return self._const_type(decl)
        if isinstance(decl, ast.RuleDecl):
            refs[expr] = P.Ref("rule", decl)
            return self._rule_type(decl)
        if isinstance(decl, ast.AgreementDecl):
            refs[expr] = P.Ref("agreement", decl)
            return self._agreement_info(decl).decision_type
        if isinstance(decl, ast.InputDecl):
            refs[expr] = P.Ref("input", decl)
            return self.input_type if decl is self.input_decl else T.ERROR
        if isinstance(decl, ast.DefDecl):
            self.diags.error("RL0308", f"`{expr.name}` is a function: call it with arguments",
                             expr.span, help=f"write `{expr.name}(...)`")
            return T.ERROR
        self.diags.error("RL0301", f"`{expr.name}` is a type, not a value", expr.span)
        return T.ERROR

    def _bare_name(self, expr, expected) -> T.Type:
        """An enum member or a country code, decided by the expected type where there is one."""
        name, refs = expr.name, self.program.refs
        want = T.strip(expected) if expected is not None else None
        if isinstance(want, T.ErrorType):
            return T.ERROR  # the other side is already wrong: one report is enough
        if isinstance(want, T.EnumType):
            if name in want.members:
                refs[expr] = P.Ref("member", name)
                return want
            self.diags.error("RL0204", f"`{name}` is not a member of `{want.name}`", expr.span,
                             help=did_you_mean(name, want.members) or
                             "its members are: " + ", ".join(want.members))
            return T.ERROR
        if want == T.COUNTRY or (_COUNTRY_SHAPE.match(name) and not self._enums_with(name)):
            if _COUNTRY_SHAPE.match(name) or want == T.COUNTRY:
                if self._country(name, expr.span) is None:
                    return T.ERROR
                refs[expr] = P.Ref("country", name)
                return T.COUNTRY
        owners = self._enums_with(name)
        if len(owners) == 1:
            refs[expr] = P.Ref("member", name)
            return owners[0]
        if len(owners) > 1:
            self.diags.error("RL0108", f"`{name}` is a member of several enums: "
                             + ", ".join(f"`{e.name}`" for e in owners), expr.span,
                             help=f"write `{owners[0].name}.{name}`, or compare it with a value of "
                             "the enum")
            return T.ERROR
        candidates = list(self.scope.names()) + [m for e in self._visible_enums() for m in e.members]
        candidates += [n for frame in self.locals for n in frame]
        self.diags.error("RL0101", f"unknown name `{name}`", expr.span,
                         help=did_you_mean(name, candidates))
        return T.ERROR

    def _visible_enums(self) -> list[T.EnumType]:
        enums = []
        for name in self.scope.names():
            for decl in self.scope.lookup(name):
                if isinstance(decl, ast.EnumDecl):
                    enums.append(self.enum_types[decl])
        enums += [T.STATUS, T.OUTCOME]
        return enums

    def _enums_with(self, member: str) -> list[T.EnumType]:
        return [e for e in self._visible_enums() if member in e.members]

    def _infer_Field(self, expr, expected):
        refs = self.program.refs
        obj = expr.obj
        # `EnumName.member`
        if isinstance(obj, ast.Name) and self._local(obj.name) is None:
            decl = self._global(obj.name, obj.span, quiet=True)
            if isinstance(decl, ast.EnumDecl):
                enum = self.enum_types[decl]
                self.used.add(decl)
                if expr.name.name not in enum.members:
                    self.diags.error("RL0204", f"`{expr.name.name}` is not a member of `{enum.name}`",
                                     expr.name.span, help=did_you_mean(expr.name.name, enum.members))
                    return T.ERROR
                refs[expr] = P.Ref("member", expr.name.name)
                return enum
        obj_type = self.infer(obj)
        base = T.strip(obj_type)
        name = expr.name.name
        if isinstance(base, T.ErrorType):
            return T.ERROR
        if isinstance(base, T.RecordType):
            if name not in base.fields:
                self.diags.error("RL0107", f"`{base.name}` has no field `{name}`", expr.name.span,
                                 help=did_you_mean(name, base.fields))
                return T.ERROR
            refs[expr] = P.Ref("field", name)
            return T.optional(base.fields[name], T.is_optional(obj_type))
        if isinstance(base, T.DecisionType):
            fields = base.field_types()
            if name not in fields:
                self.diags.error("RL0107", f"a decision has no field `{name}`", expr.name.span,
                                 help=did_you_mean(name, fields) or "fields: " + ", ".join(fields))
                return T.ERROR
            refs[expr] = P.Ref("decision_field", name)
            return fields[name]
        self.diags.error("RL0304", f"`{base}` has no fields", expr.name.span)
        return T.ERROR

    def _infer_Call(self, expr, expected):
        name, refs = expr.func.name, self.program.refs
        decl = self._global(name, expr.func.span) if self._local(name) is None else None
        if decl is None and name in BUILTINS:
            if len(expr.args) != BUILTINS[name]:
                self.diags.error("RL0303", f"`{name}` takes {BUILTINS[name]} argument(s), "
                                 f"not {len(expr.args)}", expr.span)
                return T.ERROR
            refs[expr] = P.Ref("builtin", name)
            arg_type = self.infer(expr.args[0])
            if name == "known":
                return T.BOOL
            if T.element_type(arg_type) is None and not T.strip(arg_type) == T.TEXT:
                self.diags.error("RL0307", f"`len` needs a list, set or text, not `{arg_type}`",
                                 expr.args[0].span)
                return T.ERROR
            return T.optional(T.INT, T.is_optional(arg_type))
        if not isinstance(decl, ast.DefDecl):
            for arg in expr.args:
                self.infer(arg)
            if decl is None:
                self.diags.error("RL0101", f"unknown function `{name}`", expr.func.span,
                                 help=did_you_mean(name, [n for n in self.scope.names()
                                                          if isinstance(self.scope.lookup(n)[0], ast.DefDecl)]
                                                   + list(BUILTINS)))
            else:
                self.used.add(decl)
                self.diags.error("RL0308", f"`{name}` is not a function", expr.func.span,
                                 help=f"`{name}` is a value: write it without `(...)`")
            return T.ERROR
        self._refer(decl)
        refs[expr] = P.Ref("def", decl)
        params, result = self._def_signature(decl)
        if len(params) != len(expr.args):
            self.diags.error("RL0303", f"`{name}` takes {len(params)} argument(s), not "
                             f"{len(expr.args)}", expr.span,
                             labels=[Label(decl.name.span, "defined here")])
            return T.ERROR
        for arg, param in zip(expr.args, params):
            self.expect_type(arg, param, f"this argument of `{name}`")
        return result

    def _infer_Unary(self, expr, expected):
        operand = self.infer(expr.operand, T.BOOL if expr.op == "not" else None)
        base = T.strip(operand)
        if T.is_error(base):
            return T.ERROR
        if expr.op == "not":
            if base != T.BOOL:
                return self._bad_operand(expr, "not", operand)
            return operand
        if base not in (T.INT, T.DECIMAL, T.DURATION):
            return self._bad_operand(expr, "-", operand)
        return operand

    def _bad_operand(self, expr, op: str, *operand_types) -> T.Type:
        shown = " and ".join(f"`{t}`" for t in operand_types)
        self.diags.error("RL0307", f"`{op}` does not apply to {shown}",
                         getattr(expr, "op_span", expr.span))
        return T.ERROR

    def _infer_pair(self, left, right, left_hint=None):
        """Infer two operands where either side may be a bare enum member or country."""
        if _is_bare(left, self) and not _is_bare(right, self):
            right_type = self.infer(right)
            return self.infer(left, right_type), right_type
        left_type = self.infer(left, left_hint)
        return left_type, self.infer(right, left_type)

    def _infer_Binary(self, expr, expected):
        op = expr.op
        if op in ("and", "or"):
            a = self.infer(expr.left, T.BOOL)
            b = self.infer(expr.right, T.BOOL)
            if T.is_error(a) or T.is_error(b):
                return T.ERROR
            if T.strip(a) != T.BOOL or T.strip(b) != T.BOOL:
                return self._bad_operand(expr, op, a, b)
            return T.optional(T.BOOL, T.is_optional(a) or T.is_optional(b))
        if op in ("in", "not in"):
            return self._infer_membership(expr)
        if op == "??":
            a = self.infer(expr.left, expected)
            b = self.infer(expr.right, a)
            if T.is_error(a) or T.is_error(b):
                return T.ERROR
            joined = T.join(T.strip(a), b)
            if joined is None:
                return self._bad_operand(expr, op, a, b)
            return joined
        a, b = self._infer_pair(expr.left, expr.right)
        if T.is_error(a) or T.is_error(b):
            return T.ERROR
        opt = T.is_optional(a) or T.is_optional(b)
        x, y = T.strip(a), T.strip(b)
        if op in ("==", "!="):
            if T.join(x, y) is None:
                self.diags.error("RL0301", f"cannot compare `{x}` with `{y}`", expr.op_span)
                return T.ERROR
            return T.optional(T.BOOL, opt)
        if op in ("<", "<=", ">", ">="):
            ordered = (T.is_numeric(x) and T.is_numeric(y)) or (x == y and x in (T.DATE, T.DURATION))
            if not ordered:
                return self._bad_operand(expr, op, a, b)
            if x == T.DURATION:
                self._check_duration_units(expr)
            return T.optional(T.BOOL, opt)
        result = _arithmetic(op, x, y)
        if result is None:
            return self._bad_operand(expr, op, a, b)
        return T.optional(result, opt)

    def _check_duration_units(self, expr) -> None:
        kinds = {_duration_kind(side, self.program) for side in (expr.left, expr.right)}
        if {"days", "months"} <= kinds:
            self.diags.error("RL0309", "this compares a number of days with months or years",
                             expr.op_span, help="days and months are not comparable; compare dates "
                             "instead, e.g. `case.claim_date <= case.entry_date + 1 year`")

    def _infer_membership(self, expr) -> T.Type:
        coll = self.infer(expr.right) if not _is_bare_collection(expr.right, self) else None
        if coll is None:
            elem_type = self.infer(expr.left)
            coll = self.infer(expr.right, T.SetType(T.strip(elem_type)))
        else:
            elem = T.element_type(coll)
            if elem is None:
                if not T.is_error(coll):
                    self.diags.error("RL0307", f"`{expr.op}` needs a list or set on its right, "
                                     f"not `{coll}`", expr.right.span)
                self.infer(expr.left)
                return T.ERROR
            elem_type = self.infer(expr.left, elem)
        elem = T.element_type(coll)
        if T.is_error(elem_type) or elem is None or T.is_error(elem):
            return T.ERROR
        if T.join(T.strip(elem_type), elem) is None:
            self.diags.error("RL0301", f"a `{T.strip(elem_type)}` is never in a collection of "
                             f"`{elem}`", expr.span)
            return T.ERROR
        return T.optional(T.BOOL, T.is_optional(elem_type) or T.is_optional(coll))

    def _infer_If(self, expr, expected):
        cond = self.infer(expr.cond, T.BOOL)
        if not T.is_error(cond) and T.strip(cond) != T.BOOL:
            self.diags.error("RL0301", f"a condition must be `bool`, not `{cond}`", expr.cond.span)
        a = self.infer(expr.then, expected)
        b = self.infer(expr.else_, expected if expected is not None else a)
        joined = T.join(a, b)
        if joined is None:
            self.diags.error("RL0301", f"the branches give different types: `{a}` and `{b}`",
                             expr.span)
            return T.ERROR
        return T.optional(joined, T.is_optional(cond))

    def _infer_Let(self, expr, expected):
        value = self.infer(expr.value)
        self.locals.append({expr.var.name: value})
        try:
            return self.infer(expr.body, expected)
        finally:
            self.locals.pop()

    def _infer_Quantifier(self, expr, expected):
        coll = self.infer(expr.collection)
        elem = T.element_type(coll)
        if elem is None:
            self.diags.error("RL0307", f"`{expr.kind}` needs a list or set, not `{coll}`",
                             expr.collection.span)
            elem = T.ERROR
        self.locals.append({expr.var.name: elem})
        try:
            body = self.infer(expr.body, T.BOOL)
        finally:
            self.locals.pop()
        if not T.is_error(body) and T.strip(body) != T.BOOL:
            self.diags.error("RL0301", f"the condition of `{expr.kind}` must be `bool`, not `{body}`",
                             expr.body.span)
            return T.ERROR
        opt = T.is_optional(coll) or T.is_optional(body)
        return T.optional(T.INT if expr.kind == "count" else T.BOOL, opt)

    def _infer_Match(self, expr, expected):
        scrutinee = self.infer(expr.scrutinee)
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
                                         pattern.span, help=did_you_mean(pattern.name, enum.members))
                    elif pattern.name in covered:
                        self.diags.warning("RL0310", f"`{pattern.name}` is already matched above",
                                           pattern.span)
                    covered.add(pattern.name)
            body = self.infer(arm.body, expected if expected is not None else result)
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

    def _infer_collection(self, expr, expected, kind) -> T.Type:
        want = T.element_type(expected) if expected is not None and isinstance(
            T.strip(expected), kind) else None
        elem: T.Type = want if want is not None else T.NOTHING
        for item in expr.items:
            item_type = self.infer(item, elem if not isinstance(elem, T.Nothing) else None)
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

    def _infer_SetLit(self, expr, expected):
        return self._infer_collection(expr, expected, T.SetType)

    def _infer_ListLit(self, expr, expected):
        return self._infer_collection(expr, expected, T.ListType)

    def _infer_EmptyBraces(self, expr, expected):
        want = T.strip(expected) if expected is not None else None
        if isinstance(want, T.RecordType):
            self._check_fields(want, (), expr.span, complete=True)
            return want
        return T.SetType(T.NOTHING)

    def _infer_RecordLit(self, expr, expected):
        want = T.strip(expected) if expected is not None else None
        if not isinstance(want, T.RecordType):
            if not (want is None or T.is_error(want)):
                self.diags.error("RL0301", f"a record is written here, but `{want}` is expected",
                                 expr.span)
            elif want is None:
                self.diags.error("RL0301", "cannot tell which record type this is", expr.span,
                                 help="give the constant a type, as in `const x: Case = {...}`")
            for field in expr.fields:
                self.infer(field.value)
            return T.ERROR
        self._check_fields(want, expr.fields, expr.span, complete=True)
        return want

    def _infer_With(self, expr, expected):
        base = self.infer(expr.base, expected)
        record = T.strip(base)
        if not isinstance(record, T.RecordType):
            if not T.is_error(record):
                self.diags.error("RL0304", f"`with` updates a record, not `{base}`", expr.base.span)
            for field in expr.fields:
                self.infer(field.value)
            return T.ERROR
        self._check_fields(record, expr.fields, expr.span, complete=False)
        return base

    def _check_fields(self, record: T.RecordType, fields, span, *, complete: bool) -> None:
        given: dict[str, ast.FieldInit] = {}
        for field in fields:
            name = field.name.name
            if name in given:
                self.diags.error("RL0102", f"field `{name}` is given twice", field.name.span)
                continue
            given[name] = field
            if name not in record.fields:
                self.diags.error("RL0107", f"`{record.name}` has no field `{name}`", field.name.span,
                                 help=did_you_mean(name, record.fields))
                self.infer(field.value)
                continue
            field_type = record.fields[name]
            self.expect_type(field.value, field_type, f"field `{name}`")
        if complete:
            missing = [n for n, t in record.fields.items() if not T.is_optional(t) and n not in given]
            if missing:
                self.diags.error("RL0306", f"`{record.name}` needs {', '.join(f'`{m}`' for m in missing)}",
                                 span, help="required fields must be given; optional (`?`) ones may "
                                 "be left out, meaning unknown")

    # ---- whole-program checks ------------------------------------------------------------------

    def _check_cycles(self) -> None:
        WHITE, GREY, BLACK = 0, 1, 2
        color: dict[object, int] = {}
        stack: list[object] = []
        reported: set[frozenset] = set()

        def visit(node) -> None:
            color[node] = GREY
            stack.append(node)
            for dep in self.deps.get(node, ()):
                if not isinstance(dep, (ast.ConstDecl, ast.DefDecl, ast.RuleDecl, ast.AgreementDecl)):
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

        for node in list(self.deps):
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


def _arithmetic(op: str, x: T.Type, y: T.Type) -> T.Type | None:
    if op in ("union", "intersect", "minus"):
        if isinstance(x, T.SetType) and isinstance(y, T.SetType):
            return T.join(x, y)
        return None
    if op == "+" and x == T.TEXT and y == T.TEXT:
        return T.TEXT
    if T.is_numeric(x) and T.is_numeric(y):
        if op == "/":
            return T.DECIMAL
        return T.DECIMAL if T.DECIMAL in (x, y) else T.INT
    if op in ("+", "-"):
        if x == T.DATE and y == T.DURATION:
            return T.DATE
        if op == "+" and x == T.DURATION and y == T.DATE:
            return T.DATE
        if op == "-" and x == T.DATE and y == T.DATE:
            return T.DURATION
        if x == T.DURATION and y == T.DURATION:
            return T.DURATION
    if op == "*" and {x, y} == {T.DURATION, T.INT}:
        return T.DURATION
    return None


def _duration_kind(expr, program: P.Program) -> str | None:
    if isinstance(expr, ast.DurationLit):
        duration = program.durations.get(expr)
        if duration is None:
            return None
        return "months" if duration.months else "days"
    if isinstance(expr, ast.Binary) and expr.op == "-" and program.types.get(expr.left) in (
            T.DATE, T.OptionalType(T.DATE)):
        return "days"
    return None


def _is_bare(expr, checker: Checker) -> bool:
    """A name that is no variable or definition: an enum member or country to be read in context."""
    return (isinstance(expr, ast.Name) and checker._local(expr.name) is None
            and not checker.scope.lookup(expr.name))


def _is_bare_collection(expr, checker: Checker) -> bool:
    return isinstance(expr, (ast.SetLit, ast.ListLit)) and any(_is_bare(i, checker) for i in expr.items)


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


def _month_name(month: int) -> str:
    return _dt.date(2000, month, 1).strftime("%B")


def check(roots: list[LoadedModule], diags: Diagnostics) -> P.Program:
    return Checker(roots, diags).run()
