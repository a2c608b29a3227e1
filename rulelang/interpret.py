"""The reference semantics: evaluate a checked program on one record as of a date.

Entry points: `evaluate(program, agreement, record, as_of, assume) -> Decision`
and `run_test(program, test) -> TestResult`. Every other backend is tested
against this module.

Unknown facts: a value may be `Unknown(facts)`. `and`, `or`, `not`, `any` and
`all` follow Kleene's logic; every other operator is strict (unknown in,
unknown out). An `if` or a rule exception whose condition is unknown is
unknown only when the alternatives differ.
"""

from __future__ import annotations

import datetime as _dt

import attrs

from rulelang.decision import Decision, Unestablished, to_json_value
from rulelang.runtime import (Duration, EvaluationError, Unknown, add_duration, compare_durations,
                              default_logic, divide, quantify, same_value, unknown_of)
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.syntax import ast

_MAX_DEPTH = 200  # nested def calls and expressions; a guard, checked programs are acyclic


class Evaluation:
    """One record as of one date: caches rule, constant and decision values."""

    def __init__(self, program: P.Program, record: dict | None, as_of: _dt.date | None,
                 assume: str | None = None) -> None:
        self.program = program
        self.record = record
        self.as_of = as_of
        self.assume = assume
        self._rules: dict = {}
        self._consts: dict = {}
        self._decisions: dict = {}
        self._depth = 0
        self._dispatch = {cls: getattr(self, "_eval_" + cls.__name__) for cls in _EXPR_CLASSES}

    # ---- expressions ------------------------------------------------------------

    def eval(self, expr, env: dict):
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            self._depth = 0
            raise EvaluationError("RL0602", "expression nested too deeply to evaluate", expr.span)
        try:
            return self._dispatch[type(expr)](expr, env)
        finally:
            self._depth -= 1

    def _eval_BoolLit(self, expr, env):
        return expr.value

    _eval_IntLit = _eval_DecimalLit = _eval_TextLit = _eval_BoolLit

    def _eval_DateLit(self, expr, env):
        return self.program.dates[expr]

    def _eval_DurationLit(self, expr, env):
        return self.program.durations[expr]

    def _eval_Name(self, expr, env):
        ref = self.program.refs[expr]
        kind = ref.kind
        if kind == "local":
            return env[ref.target]
        if kind in ("member", "country"):
            return ref.target
        if kind == "rule":
            return self.rule_value(ref.target)
        if kind == "const":
            return self.const_value(ref.target)
        if kind == "agreement":
            return self.decision_value(ref.target)
        if kind == "input":
            if self.record is None:
                raise EvaluationError("RL0602", "the input record is not available here", expr.span)
            return self.record
        raise AssertionError(f"unresolved name {expr.name}")

    def _eval_Field(self, expr, env):
        ref = self.program.refs[expr]
        if ref.kind == "member":
            return ref.target
        obj = self.eval(expr.obj, env)
        if type(obj) is Unknown:
            return obj
        return obj[ref.target]

    def _eval_Call(self, expr, env):
        ref = self.program.refs[expr]
        args = [self.eval(arg, env) for arg in expr.args]
        if ref.kind == "builtin":
            if ref.target == "known":
                return type(args[0]) is not Unknown
            return args[0] if type(args[0]) is Unknown else len(args[0])
        decl = ref.target
        return self.eval(decl.body, {p.name.name: a for p, a in zip(decl.params, args)})

    def _eval_Unary(self, expr, env):
        value = self.eval(expr.operand, env)
        if type(value) is Unknown:
            return value
        if expr.op == "not":
            return not value
        if isinstance(value, Duration):
            return Duration(-value.months, -value.days)
        return -value

    def _eval_Binary(self, expr, env):
        op = expr.op
        left = self.eval(expr.left, env)
        if op == "and":
            if left is False:
                return False
            right = self.eval(expr.right, env)
            if right is False:
                return False
            return True if left is True and right is True else unknown_of(left, right)
        if op == "or":
            if left is True:
                return True
            right = self.eval(expr.right, env)
            if right is True:
                return True
            return False if left is False and right is False else unknown_of(left, right)
        if op == "??":
            return self.eval(expr.right, env) if type(left) is Unknown else left
        right = self.eval(expr.right, env)
        if type(left) is Unknown or type(right) is Unknown:
            return unknown_of(left, right)
        return _BINARY[op](left, right, expr)

    def _eval_If(self, expr, env):
        cond = self.eval(expr.cond, env)
        if cond is True:
            return self.eval(expr.then, env)
        if cond is False:
            return self.eval(expr.else_, env)
        a, b = self.eval(expr.then, env), self.eval(expr.else_, env)
        return a if same_value(a, b) else unknown_of(cond, a, b)

    def _eval_Let(self, expr, env):
        return self.eval(expr.body, {**env, expr.var.name: self.eval(expr.value, env)})

    def _eval_Quantifier(self, expr, env):
        name, body = expr.var.name, expr.body
        return quantify(expr.kind, self.eval(expr.collection, env),
                        lambda item: self.eval(body, {**env, name: item}))

    def _eval_Match(self, expr, env):
        value = self.eval(expr.scrutinee, env)
        if type(value) is Unknown:
            return value
        for arm in expr.arms:
            for pattern in arm.patterns:
                if pattern.name == "_" or pattern.name == value:
                    return self.eval(arm.body, env)
        raise AssertionError("non-exhaustive match passed the checker")

    def _eval_SetLit(self, expr, env):
        return frozenset(self.eval(item, env) for item in expr.items)

    def _eval_ListLit(self, expr, env):
        return tuple(self.eval(item, env) for item in expr.items)

    def _eval_EmptyBraces(self, expr, env):
        record_type = T.strip(self.program.types[expr])
        if isinstance(record_type, T.RecordType):
            return make_record(record_type, {})
        return frozenset()

    def _eval_RecordLit(self, expr, env):
        record_type = T.strip(self.program.types[expr])
        return make_record(record_type, {f.name.name: self.eval(f.value, env) for f in expr.fields})

    def _eval_With(self, expr, env):
        base = self.eval(expr.base, env)
        if type(base) is Unknown:
            return base
        return {**base, **{f.name.name: self.eval(f.value, env) for f in expr.fields}}

    # ---- definitions ------------------------------------------------------------------

    def const_value(self, decl):
        if decl not in self._consts:
            self._consts[decl] = self.eval(decl.value, {})
        return self._consts[decl]

    def rule_value(self, decl):
        if decl not in self._rules:
            self._rules[decl] = self._compute_rule(self.program.rules[decl])
        return self._rules[decl]

    def _compute_rule(self, rule: P.RuleInfo):
        if rule.branches:
            for branch in rule.branches:
                if not branch.clause.window.active(self.as_of):
                    continue
                if branch.cond is None:
                    return self.eval(branch.value, {})
                cond = self.eval(branch.cond, {})
                if cond is True:
                    return self.eval(branch.value, {})
                if type(cond) is Unknown:
                    return cond  # an earlier criterion might decide: cannot tell which applies
            return Unknown(frozenset())
        default_active = rule.default_clause.window.active(self.as_of)
        return self._with_exceptions(
            rule.exceptions,
            lambda: self.eval(rule.default, {}) if default_active else Unknown(frozenset()))

    def _with_exceptions(self, exceptions: list, base):
        return default_logic(exceptions, base, self.as_of,
                             lambda exc: self.eval(exc.cond, {}), lambda exc: self.eval(exc.value, {}))

    # ---- agreements -------------------------------------------------------------------

    def decision_value(self, decl) -> dict:
        """An agreement's decision as a value the rules and tests can read."""
        decision = self.decision(self._agreement(decl))
        return {"status": decision.status, "outcome": decision.outcome,
                "returns_to": decision.returns_to if decision.returns_to is not None else Unknown(),
                "exceptions": frozenset(decision.exceptions),
                "missing": frozenset(decision.missing),
                "unestablished": frozenset(u.exception for u in decision.unestablished)}

    def _agreement(self, decl) -> P.AgreementInfo:
        return self.program.agreement_infos[decl]

    def decision(self, info: P.AgreementInfo) -> Decision:
        if info.decl in self._decisions:
            return self._decisions[info.decl]
        if info.decl in self._decisions.setdefault("_busy", set()):
            raise EvaluationError("RL0105", f"`{info.name}` depends on its own decision", info.decl.span)
        self._decisions["_busy"].add(info.decl)
        try:
            decision = self._decide(info)
        finally:
            self._decisions["_busy"].discard(info.decl)
        self._decisions[info.decl] = decision
        return decision

    def _decide(self, info: P.AgreementInfo) -> Decision:
        as_of = self.as_of
        status = info.status_on(as_of)
        trace = [_status_step(info, as_of, status)]
        case_id = self.record.get("id") if isinstance(self.record, dict) else None
        case_id = None if type(case_id) is Unknown else case_id
        assumed = self.assume if self.assume and status != "in_force" else None
        done = lambda outcome, **kw: Decision(  # noqa: E731
            case=case_id, agreement=info.name, as_of=as_of, status=status, outcome=outcome,
            assumed=assumed, trace=tuple(trace), **kw)
        if status != "in_force" and self.assume != "in_force":
            return done("not_in_force")

        scope_unknown = None  # None: no unknown conjunct (an Unknown may name no facts)
        for conjunct in info.conjuncts:
            if not conjunct.clause.window.active(as_of):
                trace.append(_step(conjunct.step, None, conjunct.clause, conjunct.span,
                                   text=conjunct.expr.span, note=f"not in force on {as_of} ({conjunct.clause.window.describe()})"))
                continue
            value = self.eval(conjunct.expr, {})
            trace.append(_step(conjunct.step, value, conjunct.clause, conjunct.span,
                               text=conjunct.expr.span))
            if value is False:
                # the first condition that fails decides; later ones are not evaluated
                return done("not_applicable")
            if type(value) is Unknown:
                scope_unknown = (scope_unknown or frozenset()) | value.facts

        held, unestablished, state_unknown = [], [], None
        for exc in info.exceptions:
            value = self._exception_holds(exc, trace, unestablished)
            if value is True:
                held.append(exc.name)
            elif type(value) is Unknown:
                if exc.clause.burden == P.STATE:
                    state_unknown = (state_unknown or frozenset()) | value.facts
                else:
                    unestablished.append(Unestablished(exc.name, tuple(sorted(value.facts))))
        exceptions, unestablished = tuple(held), tuple(unestablished)
        if scope_unknown is not None:
            return done("undetermined", exceptions=exceptions, missing=tuple(sorted(scope_unknown)),
                        unestablished=unestablished)
        if held:
            return done("exempt", exceptions=exceptions, unestablished=unestablished)
        if state_unknown is not None:
            return done("undetermined", missing=tuple(sorted(state_unknown)), unestablished=unestablished)
        returns_to = None
        if info.returns_to is not None:
            returns_to = self.eval(info.returns_to, {})
            clause = info.returns_to_clause
            if not clause.cites:
                clause = P.Clause(info.cites)
            trace.append(_step("returns_to", returns_to, clause, info.returns_to.span))
            if type(returns_to) is Unknown:
                return done("undetermined", missing=tuple(sorted(returns_to.facts)),
                            unestablished=unestablished)
        return done("applies", returns_to=returns_to, unestablished=unestablished)

    def _exception_holds(self, exc: P.ExceptionInfo, trace: list, unestablished: list):
        """True, False, or Unknown; a holding counter-exception (`of`) defeats its parent."""
        step = f"exception {exc.name}" + (f" (of {exc.parent})" if exc.parent else "")
        if not exc.clause.window.active(self.as_of):
            trace.append(_step(step, None, exc.clause, exc.span, text=exc.cond.span,
                               note=f"not in force on {self.as_of} ({exc.clause.window.describe()})"))
            return False
        value = self.eval(exc.cond, {})
        trace.append(_step(step, value, exc.clause, exc.span, text=exc.cond.span))
        if value is False:
            return False
        for child in exc.children:
            defeated = self._exception_holds(child, trace, unestablished)
            if defeated is True:
                return False
            if type(defeated) is Unknown:
                if child.clause.burden == P.STATE:
                    return unknown_of(value, defeated)
                unestablished.append(Unestablished(child.name, tuple(sorted(defeated.facts))))
        return value


# ---- helpers ------------------------------------------------------------------------

_EXPR_CLASSES = (ast.BoolLit, ast.IntLit, ast.DecimalLit, ast.TextLit, ast.DateLit, ast.DurationLit,
                 ast.Name, ast.Field, ast.Call, ast.Unary, ast.Binary, ast.If, ast.Let,
                 ast.Quantifier, ast.Match, ast.SetLit, ast.ListLit, ast.EmptyBraces, ast.RecordLit,
                 ast.With)


def make_record(record_type: T.RecordType, given: dict, path: str = "") -> dict:
    """A record value: fields not given are unknown, named by their path."""
    return {name: given[name] if name in given else Unknown(frozenset({path + name}))
            for name in record_type.fields}


def _step(name: str, value, clause: P.Clause, span, note: str | None = None, text=None) -> dict:
    entry = {"step": name, "value": to_json_value(value), "cite": clause.cite, "at": span.location(),
             "text": _clause_text(text or span)}
    if type(value) is Unknown and value.facts:
        entry["unknown"] = sorted(value.facts)
    if note:
        entry["note"] = note
    return entry


def _clause_text(span, limit: int = 120) -> str:
    """The clause as written, on one line (for `explain`)."""
    text = " ".join(span.text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status_step(info: P.AgreementInfo, as_of: _dt.date, status: str) -> dict:
    last = None
    for event in info.events:
        if event.date <= as_of:
            last = event
    if last is None:
        first = info.events[0] if info.events else None
        entry = {"step": "status", "value": status, "cite": None,
                 "at": info.decl.name.span.location()}
        if first is not None:
            entry["note"] = f"before the first event ({first.date} {first.kind})"
        return entry
    entry = {"step": "status", "value": status, "cite": last.clause.cite, "at": last.span.location(),
             "note": f"{last.date} {last.kind}" + (f": {last.note}" if last.note else "")}
    return entry


def _compare(op):
    def compare(a, b, expr):
        if isinstance(a, Duration):
            c = compare_durations(a, b, expr.op_span)
            return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    return compare


def _plus(a, b, expr):
    if isinstance(a, _dt.date) and isinstance(b, Duration):
        return add_duration(a, b)
    if isinstance(a, Duration) and isinstance(b, _dt.date):
        return add_duration(b, a)
    if isinstance(a, Duration):
        return Duration(a.months + b.months, a.days + b.days)
    return a + b


def _minus(a, b, expr):
    if isinstance(a, _dt.date):
        if isinstance(b, Duration):
            return add_duration(a, b, -1)
        return Duration(0, (a - b).days)
    if isinstance(a, Duration):
        return Duration(a.months - b.months, a.days - b.days)
    return a - b


def _times(a, b, expr):
    if isinstance(a, Duration):
        return Duration(a.months * b, a.days * b)
    if isinstance(b, Duration):
        return Duration(b.months * a, b.days * a)
    return a * b


_BINARY = {
    "==": lambda a, b, e: a == b, "!=": lambda a, b, e: a != b,
    "<": _compare("<"), "<=": _compare("<="), ">": _compare(">"), ">=": _compare(">="),
    "in": lambda a, b, e: a in b, "not in": lambda a, b, e: a not in b,
    "+": _plus, "-": _minus, "*": _times, "/": lambda a, b, e: divide(a, b, e.op_span),
    "union": lambda a, b, e: a | b, "intersect": lambda a, b, e: a & b, "minus": lambda a, b, e: a - b,
}


# ---- entry points -------------------------------------------------------------------------

def evaluate(program: P.Program, agreement: P.AgreementInfo, record: dict,
             as_of: _dt.date | None = None, assume: str | None = None) -> Decision:
    """The decision of one agreement for one (validated) record."""
    when = as_of or record[program.as_of_field]
    return Evaluation(program, record, when, assume).decision(agreement)


def evaluate_all(program: P.Program, record: dict, as_of: _dt.date | None = None,
                 assume: str | None = None) -> list[Decision]:
    when = as_of or record[program.as_of_field]
    evaluation = Evaluation(program, record, when, assume)
    return [evaluation.decision(a) for a in program.agreements]


@attrs.frozen
class TestFailure:
    message: str
    span: object


@attrs.frozen
class TestResult:
    name: str
    module: str
    span: object
    failures: tuple[TestFailure, ...] = ()
    error: EvaluationError | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


def run_test(program: P.Program, test: P.TestInfo) -> TestResult:
    module = test.module.name
    try:
        record = Evaluation(program, None, test.as_of).eval(test.given, {})
        as_of = test.as_of or record[program.as_of_field]
        evaluation = Evaluation(program, record, as_of, test.assume)
        failures = []
        for expect in test.expects:
            value = evaluation.eval(expect.expr, {})
            if value is True:
                continue
            failures.append(TestFailure(_explain_failure(evaluation, expect.expr, value), expect.span))
        return TestResult(test.name, module, test.decl.span, tuple(failures))
    except EvaluationError as error:
        return TestResult(test.name, module, test.decl.span, error=error)


def _explain_failure(evaluation: Evaluation, expr, value) -> str:
    shown = expr.span.text
    if type(value) is Unknown:
        facts = ", ".join(sorted(value.facts)) or "a fact"
        return f"`{shown}` is unknown (it depends on {facts}, which the record leaves out)"
    if isinstance(expr, ast.Binary) and expr.op in ("==", "!=", "<", "<=", ">", ">=", "in", "not in"):
        left = evaluation.eval(expr.left, {})
        right = evaluation.eval(expr.right, {})
        return (f"`{shown}` is false: the left side is {to_json_value(left)}, "
                f"the right side is {to_json_value(right)}")
    return f"`{shown}` is false"
