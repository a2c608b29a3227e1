"""Checking the declarations made of clauses: functions, rules (default logic
and `first`), agreements (timeline, scope, exceptions) and tests.

Each `check_*` method takes one declaration and its Context, reports what is
wrong, and records what the declaration says (a RuleInfo, an AgreementInfo,
a TestInfo) for lowering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rulelang.diagnostics import Label, suggest
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.syntax import ast

if TYPE_CHECKING:
    from rulelang.semantics.check import Checker, Context

# the word a user wrote for each clause modifier and agreement item (for "given twice")
_KEYWORDS = {ast.Cite: "cite", ast.FromDate: "from", ast.UntilDate: "until", ast.Burden: "burden",
             ast.Parties: "parties", ast.ReturnsTo: "returns_to", ast.Consequence: "consequence",
             ast.Timeline: "timeline", ast.AppliesWhen: "applies when"}


class ClauseChecker:
    def __init__(self, checker: "Checker") -> None:
        self.checker = checker
        self.diags = checker.diags
        self.program = checker.program
        self.exprs = checker.exprs

    # ---- clause modifiers ------------------------------------------------------------------

    def clause(self, mods: tuple, *, allow_burden: bool = False) -> P.Clause:
        cites, start, end, burden = [], None, None, P.CLAIMANT
        seen: dict[type, object] = {}
        for mod in mods:
            if type(mod) in seen and not isinstance(mod, ast.Cite):
                self.diags.error("RL0401", f"this clause already has a `{_KEYWORDS[type(mod)]}`", mod.span,
                                 labels=[Label(seen[type(mod)].span, "first given here")])
                continue
            seen[type(mod)] = mod
            if isinstance(mod, ast.Cite):
                cites.append(mod.text)
            elif isinstance(mod, ast.FromDate):
                start = self.checker.date(mod.date)
            elif isinstance(mod, ast.UntilDate):
                end = self.checker.date(mod.date)
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

    # ---- functions and rules -------------------------------------------------------------

    def check_def(self, decl: ast.DefDecl, ctx: "Context") -> None:
        params, result = self.checker.def_signature(decl)
        self.program.signatures[decl] = (params, result)
        seen: set[str] = set()
        for param, param_type in zip(decl.params, params):
            if param.name.name in seen:
                self.diags.error("RL0102", f"parameter `{param.name.name}` is listed twice",
                                 param.name.span)
            seen.add(param.name.name)
            ctx = ctx.bind(param.name, param_type)
        self.exprs.expect(decl.body, result, f"`{decl.name.name}`", ctx)

    def check_rule(self, decl: ast.RuleDecl, ctx: "Context") -> None:
        rule_type = self.checker.rule_type(decl)
        info = P.RuleInfo(decl.name.name, decl, rule_type)
        self.program.rules[decl] = info
        if decl.branches:
            self._check_first(decl, info, ctx)
        else:
            self._check_default(decl, info, ctx)

    def _check_first(self, decl: ast.RuleDecl, info: P.RuleInfo, ctx) -> None:
        what, rule_type = f"rule `{decl.name.name}`", info.type
        conditions_optional = False
        for branch in decl.branches:
            clause = self.clause(branch.mods)
            if branch.cond is not None:
                cond_type = self.exprs.expect(branch.cond, T.BOOL, "a condition", ctx, allow_unknown=True)
                conditions_optional |= T.is_optional(cond_type)
            self.exprs.expect(branch.value, rule_type, what, ctx)
            info.branches.append(P.BranchInfo(branch.cond, branch.value, clause, branch.span))
            self._require_cite(clause, branch.span, "this branch")
        if T.is_optional(rule_type) or T.is_error(rule_type):
            return
        if conditions_optional:
            self.diags.error("RL0302", f"{what} may be unknown: a condition may be unknown",
                             decl.type.span, help=f"declare it `{rule_type}?`")
            return
        otherwise = info.branches[-1]  # the grammar ends every `first` with one
        if otherwise.clause.window.start or otherwise.clause.window.end:
            self.diags.error("RL0302", f"{what} has no value outside the dates of its `otherwise` "
                             f"({otherwise.clause.window.describe()}): it is unknown then",
                             decl.type.span, labels=[Label(otherwise.span, "in force only then")],
                             help=f"declare it `{rule_type}?`")

    def _check_default(self, decl: ast.RuleDecl, info: P.RuleInfo, ctx) -> None:
        what, rule_type = f"rule `{decl.name.name}`", info.type
        info.default_clause = self.clause(decl.default_mods)
        info.default = decl.default
        self.exprs.expect(decl.default, rule_type, what, ctx)
        window = info.default_clause.window
        if (window.start or window.end) and not T.is_optional(rule_type) and not T.is_error(rule_type):
            # outside its dates a rule has no value: it is unknown, and its type must say so
            self.diags.error("RL0302", f"{what} is in force only {window.describe()}: it is unknown "
                             "on other dates", decl.type.span,
                             help=f"declare it `{rule_type}?` (and give a default with `??` where "
                             "it is used, if one is right)")
        by_name: dict[str, P.RuleExceptionInfo] = {}
        parents: dict[str, ast.Ident | None] = {}
        for exc in decl.exceptions:
            clause = self.clause(exc.mods)
            cond_type = self.exprs.expect(exc.cond, T.BOOL, "an exception's condition", ctx,
                                          allow_unknown=True)
            if T.is_optional(cond_type) and not T.is_optional(rule_type) and not T.is_error(rule_type):
                self.diags.error("RL0302", f"{what} may be unknown: the condition of exception "
                                 f"`{exc.name.name}` may be unknown", exc.cond.span,
                                 help=f"declare the rule `{rule_type}?`, or give a default with `??`")
            self.exprs.expect(exc.value, rule_type, what, ctx)
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
        seen: dict[tuple, ast.RuleException] = {}
        for exc in decl.exceptions:
            key = (exc.parent.name if exc.parent else None, repr(ast.dump(exc.cond)))
            other = seen.get(key)
            if other is not None and repr(ast.dump(other.value)) != repr(ast.dump(exc.value)):
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
                                 parent.span, suggestion=suggest(parent.name, by_name))
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

    # ---- agreements ------------------------------------------------------------------------

    def check_agreement(self, decl: ast.AgreementDecl, ctx: "Context", loaded) -> None:
        info = self.checker.agreement_info(decl)
        info.module = loaded
        singles: dict[type, object] = {}
        for item in decl.items:
            if type(item) in _KEYWORDS:
                if type(item) in singles:
                    self.diags.error("RL0401", f"this {decl.kind} already has a `{_KEYWORDS[type(item)]}` "
                                     "clause", item.span,
                                     labels=[Label(singles[type(item)].span, "first given here")])
                    continue
                singles[type(item)] = item
            if isinstance(item, ast.Parties):
                info.parties = tuple(self.checker.country(i.name, i.span) or i.name for i in item.countries)
            elif isinstance(item, ast.ReturnsTo):
                info.returns_to = item.expr
                info.returns_to_clause = self.clause(item.mods)
                self.exprs.expect(item.expr, T.COUNTRY, "`returns_to`", ctx, allow_unknown=True)
            elif isinstance(item, ast.Consequence):
                info.consequence = item.text
                self.clause(item.mods)
            elif isinstance(item, ast.AgreementCite):
                info.cites += (item.text,)
            elif isinstance(item, ast.Timeline):
                self._check_timeline(item, info)
            elif isinstance(item, ast.AppliesWhen):
                self._check_scope(item, info, ctx)
        self._check_exceptions(decl, info, ctx)
        if not info.events:
            self.diags.error("RL0402", f"{decl.kind} `{decl.name.name}` has no timeline", decl.name.span,
                             help="add `timeline { YYYY-MM-DD in_force }`: its status depends on it")

    def _check_scope(self, item: ast.AppliesWhen, info: P.AgreementInfo, ctx) -> None:
        if item.keyword.name != "applies":
            self.diags.error("RL0001", f"unexpected `{item.keyword.name}`", item.keyword.span,
                             help="the scope of an agreement is written `applies when { ... }`")
        for index, conjunct in enumerate(item.conjuncts, 1):
            clause = self.clause(conjunct.mods)
            self.exprs.expect(conjunct.expr, T.BOOL, "a scope condition", ctx, allow_unknown=True)
            info.conjuncts.append(P.ConjunctInfo(index, conjunct.expr, clause, conjunct.span))
            self._require_cite(clause, conjunct.span, "this scope condition")

    def _check_exceptions(self, decl: ast.AgreementDecl, info: P.AgreementInfo, ctx) -> None:
        by_name: dict[str, P.ExceptionInfo] = {}
        parents = {}
        for item in decl.of_type(ast.AgreementException):
            clause = self.clause(item.mods, allow_burden=True)
            self.exprs.expect(item.cond, T.BOOL, "an exception's condition", ctx, allow_unknown=True)
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

    def _check_timeline(self, timeline: ast.Timeline, info: P.AgreementInfo) -> None:
        previous = None
        for event in timeline.events:
            clause = self.clause(event.mods)
            when = self.checker.date(event.date)
            kind = event.kind.name
            if kind not in P.EVENT_STATUS:
                self.diags.error("RL0205", f"unknown timeline event `{kind}`", event.kind.span,
                                 suggestion=suggest(kind, P.EVENT_STATUS,
                                                    "events are: " + ", ".join(P.EVENT_STATUS)))
                continue
            if when is None:
                continue
            if previous is not None and when < previous.date:
                self.diags.error("RL0402", f"timeline events must be in date order: {when} comes "
                                 f"after {previous.date}", event.date.span,
                                 labels=[Label(previous.span, "the event before it")])
            info.events.append(P.EventInfo(when, kind, event.note, clause, event.span))
            previous = info.events[-1]

    # ---- tests -----------------------------------------------------------------------------

    def check_test(self, decl: ast.TestDecl, ctx: "Context", loaded) -> None:
        checker = self.checker
        info = P.TestInfo(decl.name, decl, loaded)
        for item in decl.items:
            if isinstance(item, ast.Given):
                if info.given is not None:
                    self.diags.error("RL0501", "this test already has a `given`", item.span)
                if checker.input_decl is None:
                    self.diags.error("RL0110", "no `input` is declared, so there is nothing to give",
                                     item.var.span, help="import the module that declares `input`")
                elif item.var.name != checker.input_decl.name.name:
                    self.diags.error("RL0501", f"`given` names the input `{checker.input_decl.name.name}`,"
                                     f" not `{item.var.name}`", item.var.span)
                else:
                    self.exprs.expect(item.value, checker.input_type, "the test's record", ctx)
                info.given = item.value
            elif isinstance(item, ast.TestAsOf):
                info.as_of = checker.date(item.date)
            elif isinstance(item, ast.Assume):
                if item.status.name != "in_force":
                    self.diags.error("RL0501", f"cannot assume `{item.status.name}`", item.status.span,
                                     help="the only assumption is `assume in_force`")
                info.assume = item.status.name
            elif isinstance(item, ast.Expect):
                self.exprs.expect(item.expr, T.BOOL, "an expectation", ctx, allow_unknown=True)
                info.expects.append(item)
        if not info.expects:
            self.diags.error("RL0501", f"test \"{decl.name}\" expects nothing", decl.span,
                             help="add `expect ...` lines")
        if info.given is None and checker.input_decl is not None:
            self.diags.error("RL0501", f"test \"{decl.name}\" gives no record", decl.span,
                             help=f"add `given {checker.input_decl.name.name} = ...`")
        undated = checker.input_decl.as_of_field is None if checker.input_decl is not None \
            else info.given is None  # (a `given` with no input is reported above)
        if info.as_of is None and undated:
            self.diags.error("RL0501", f"test \"{decl.name}\" gives no date to decide on", decl.span,
                             help="add `as_of YYYY-MM-DD`: the input names no as-of field to take "
                             "it from" if checker.input_decl is not None else
                             "add `as_of YYYY-MM-DD`: there is no input record to take it from")
        if any(r.key == loaded.key for r in self.program.roots):
            self.program.tests.append(info)
