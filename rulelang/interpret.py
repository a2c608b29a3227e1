"""The reference semantics: evaluate the typed core on one record as of a date.

Entry points: `Evaluation(program, record, as_of, assume).decision(agreement)
-> Decision` (with its trace) and `run_test(program, test) -> TestResult`.
Every other backend is tested against this module.

Unknown facts: a value may be `Unknown(facts)`. `and`, `or`, `any` and `all`
follow Kleene's logic; every operator is strict (unknown in, unknown out). An
`if` or a rule exception whose condition is unknown is unknown only when the
alternatives differ. A rule outside the dates of its clauses is unknown, and
says so: its fact is "rule `r` is not in force on DATE".
"""

from __future__ import annotations

import datetime as _dt

import attrs

from rulelang.core import ir
from rulelang.core.decide import decide, decision_value
from rulelang.decision import EXCEPTION, RETURNS_TO, SCOPE, STATUS, Decision, Step
from rulelang.runtime import (EvaluationError, Unestablished, Unknown, default_logic, first_branch,
                              holds_unless, make_record, quantify, same_value, to_json_value,
                              unknown_of)

_MAX_DEPTH = 200  # nested def calls and expressions; a guard, checked programs are acyclic


class Evaluation:
    """One record as of one date: caches rule, constant and decision values."""

    def __init__(self, program: ir.Program, record: dict | None, as_of: _dt.date | None,
                 assume: str | None = None) -> None:
        self.program = program
        self.record = record
        self.as_of = as_of
        self.assume = assume
        self._rules: dict = {}
        self._consts: dict = {}
        self._decisions: dict = {}
        self._deciding: set = set()
        self._depth = 0

    # ---- expressions ------------------------------------------------------------

    def eval(self, expr, env: dict):
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            self._depth = 0
            raise EvaluationError("RL0602", "expression nested too deeply to evaluate", expr.span)
        try:
            return _EVAL[type(expr)](self, expr, env)
        finally:
            self._depth -= 1

    def _lit(self, expr, env):
        return expr.value

    def _local(self, expr, env):
        return env[expr.var]

    def _input(self, expr, env):
        if self.record is None:
            raise EvaluationError("RL0602", "the input record is not available here", expr.span)
        return self.record

    def _get_field(self, expr, env):
        obj = self.eval(expr.obj, env)
        if type(obj) is Unknown:
            return obj
        return obj[expr.name]

    def _rule_value(self, expr, env):
        return self.rule_value(expr.rule)

    def _const_value(self, expr, env):
        return self.const_value(expr.const)

    def _decision_of(self, expr, env):
        return decision_value(self.decision(expr.agreement))

    def _call(self, expr, env):
        args = [self.eval(arg, env) for arg in expr.args]
        return self.eval(expr.function.body, dict(zip(expr.function.params, args)))

    def _prim(self, expr, env):
        args = [self.eval(arg, env) for arg in expr.args]
        if any(type(a) is Unknown for a in args):
            return unknown_of(*args)
        if expr.op.spanned:
            return expr.op.fn(*args, expr.op_span)
        return expr.op.fn(*args)

    def _and(self, expr, env):
        return self._kleene(expr, env, False)

    def _or(self, expr, env):
        return self._kleene(expr, env, True)

    def _kleene(self, expr, env, decisive: bool):
        """Kleene's `and` (decisive: false) and `or` (decisive: true): one decisive side
        decides, even if the other is unknown; two of the other value give that value."""
        left = self.eval(expr.left, env)
        if left is decisive:
            return decisive
        right = self.eval(expr.right, env)
        if right is decisive:
            return decisive
        if left is not decisive and right is not decisive and type(left) is bool and type(right) is bool:
            return left
        return unknown_of(left, right)

    def _default(self, expr, env):
        value = self.eval(expr.value, env)
        return self.eval(expr.fallback, env) if type(value) is Unknown else value

    def _known(self, expr, env):
        return type(self.eval(expr.value, env)) is not Unknown

    def _if(self, expr, env):
        cond = self.eval(expr.cond, env)
        if cond is True:
            return self.eval(expr.then, env)
        if cond is False:
            return self.eval(expr.else_, env)
        a, b = self.eval(expr.then, env), self.eval(expr.else_, env)
        return a if same_value(a, b) else unknown_of(cond, a, b)

    def _let(self, expr, env):
        return self.eval(expr.body, {**env, expr.var: self.eval(expr.value, env)})

    def _quantify(self, expr, env):
        var, body = expr.var, expr.body
        return quantify(expr.kind, self.eval(expr.collection, env),
                        lambda item: self.eval(body, {**env, var: item}))

    def _match(self, expr, env):
        value = self.eval(expr.scrutinee, env)
        if type(value) is Unknown:
            return value
        for arm in expr.arms:
            if value in arm.members:
                return self.eval(arm.body, env)
        if expr.otherwise is None:
            raise AssertionError("non-exhaustive match passed the checker")
        return self.eval(expr.otherwise, env)

    def _make_set(self, expr, env):
        return frozenset(self.eval(item, env) for item in expr.items)

    def _make_list(self, expr, env):
        return tuple(self.eval(item, env) for item in expr.items)

    def _make_record(self, expr, env):
        return make_record(expr.record.fields, {name: self.eval(v, env) for name, v in expr.fields})

    def _with(self, expr, env):
        base = self.eval(expr.base, env)
        if type(base) is Unknown:
            return base
        return {**base, **{name: self.eval(v, env) for name, v in expr.fields}}

    # ---- definitions ------------------------------------------------------------------

    def const_value(self, const: ir.Const):
        if const not in self._consts:
            self._consts[const] = self.eval(const.value, {})
        return self._consts[const]

    def rule_value(self, rule: ir.Rule):
        if rule not in self._rules:
            self._rules[rule] = self._compute_rule(rule)
        return self._rules[rule]

    def _compute_rule(self, rule: ir.Rule):
        def no_value():
            return Unknown(frozenset({rule.no_value(self.as_of)}))

        if rule.branches:
            return first_branch(rule.branches, self.as_of, lambda b: self.eval(b.cond, {}),
                                lambda b: self.eval(b.value, {}), no_value)
        in_force = rule.default_clause.window.active(self.as_of)
        return default_logic(rule.exceptions,
                             lambda: self.eval(rule.default, {}) if in_force else no_value(),
                             self.as_of, lambda exc: self.eval(exc.cond, {}),
                             lambda exc: self.eval(exc.value, {}))

    # ---- agreements -------------------------------------------------------------------

    def decision(self, agreement: ir.Agreement) -> Decision:
        if agreement in self._decisions:
            return self._decisions[agreement]
        if agreement in self._deciding:
            raise EvaluationError("RL0105", f"`{agreement.name}` depends on its own decision",
                                  agreement.span)
        self._deciding.add(agreement)
        target = _Interpreting(self, agreement)
        try:
            decide(agreement, target)
            raise AssertionError("the decision procedure ended without a decision")
        except _Finished as finished:
            decision = finished.decision
        finally:
            self._deciding.discard(agreement)
        self._decisions[agreement] = decision
        return decision


_EVAL = ir.visitor_table(Evaluation)


class _Finished(Exception):
    def __init__(self, decision: Decision) -> None:
        self.decision = decision


class _Facts:
    """An accumulator of unknown facts; `facts` is None until something is unknown."""
    __slots__ = ("facts",)

    def __init__(self) -> None:
        self.facts: frozenset | None = None


class _Interpreting:
    """The decision procedure's target in the interpreter: it evaluates each step
    as the procedure reaches it, and records the step in the trace."""

    def __init__(self, evaluation: Evaluation, agreement: ir.Agreement) -> None:
        self.ev, self.agreement = evaluation, agreement
        self.as_of = evaluation.as_of
        self.trace: list[Step] = []
        self.status_value = None

    # values
    def status(self, agreement: ir.Agreement) -> None:
        timeline = agreement.timeline
        self.status_value = timeline.status_on(self.as_of)
        event = timeline.deciding_event(self.as_of)
        if event is None:
            first = timeline.events[0] if timeline.events else None
            self.trace.append(Step(STATUS, "status", self.status_value, None, agreement.span,
                                   first_event=first))
        else:
            self.trace.append(Step(STATUS, "status", self.status_value, event.clause.cite, event.span,
                                   event=event))

    def clause_value(self, expr, conjunct: ir.Conjunct):
        value = self.ev.eval(expr, {})
        self.trace.append(Step(SCOPE, conjunct.step, value, conjunct.clause.cite, conjunct.span,
                               text=conjunct.text))
        return value

    def returns_to(self, agreement: ir.Agreement):
        value = self.ev.eval(agreement.returns_to, {})
        self.trace.append(Step(RETURNS_TO, "returns_to", value, agreement.returns_to_clause.cite,
                               agreement.returns_to_text, text=agreement.returns_to_text))
        return value

    def exception_value(self, exc: ir.AgreementException):
        if not exc.clause.window.active(self.as_of):
            self._inactive(EXCEPTION, exc)
            return False
        value = self.ev.eval(exc.cond, {})
        self.trace.append(Step(EXCEPTION, exc.step, value, exc.clause.cite, exc.span, text=exc.text))
        return value

    def unless_defeated(self, value, children, unestablished):
        return holds_unless(value, children, unestablished)

    def _inactive(self, kind: str, item) -> None:
        self.trace.append(Step(kind, item.step, None, item.clause.cite, item.span, text=item.text,
                               inactive=item.clause.window.describe(), as_of=self.as_of))

    # blocks
    def not_in_force(self):
        if self.status_value != "in_force" and self.ev.assume != "in_force":
            yield

    def in_force(self, clause, conjunct: ir.Conjunct):
        if clause.window.active(self.as_of):
            yield
        else:
            self._inactive(SCOPE, conjunct)

    def when_false(self, value):
        if value is False:
            yield

    def when_true(self, value):
        if value is True:
            yield

    def when_unknown(self, value):
        if type(value) is Unknown:
            yield

    def when_any(self, accumulator):
        if (accumulator.facts is not None) if isinstance(accumulator, _Facts) else accumulator:
            yield

    # accumulators
    def facts(self) -> _Facts:
        return _Facts()

    def names(self) -> list:
        return []

    def unestablished(self) -> list:
        return []

    def add_facts(self, accumulator: _Facts, value: Unknown) -> None:
        accumulator.facts = value.facts if accumulator.facts is None else accumulator.facts | value.facts

    def add_name(self, names: list, name: str) -> None:
        names.append(name)

    def add_unestablished(self, items: list, name: str, value: Unknown) -> None:
        items.append(Unestablished(name, tuple(sorted(value.facts))))

    def finish(self, outcome: str, exceptions=(), missing=None, unestablished=(), returns_to=None):
        ev, status = self.ev, self.status_value
        record = ev.record
        case_id = record.get("id") if isinstance(record, dict) else None
        raise _Finished(Decision(
            case=None if type(case_id) is Unknown else case_id, agreement=self.agreement.name,
            as_of=self.as_of, status=status, outcome=outcome, returns_to=returns_to,
            exceptions=tuple(exceptions),
            missing=tuple(sorted(missing.facts)) if missing is not None and missing.facts else (),
            unestablished=tuple(unestablished),
            assumed=ev.assume if ev.assume and status != "in_force" else None,
            trace=tuple(self.trace)))


# ---- tests ------------------------------------------------------------------------------------

@attrs.frozen
class TestFailure:
    message: str
    span: object


@attrs.frozen
class TestResult:
    name: str
    module: str
    span: object = attrs.field(repr=False)
    failures: tuple[TestFailure, ...] = ()
    error: EvaluationError | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


def run_test(program: ir.Program, test: ir.Test) -> TestResult:
    try:
        # a test without `given` is checked to have no input to give (and then an as_of)
        record = Evaluation(program, None, test.as_of).eval(test.given, {}) \
            if test.given is not None else None
        as_of = test.as_of or record[program.as_of_field]
        evaluation = Evaluation(program, record, as_of, test.assume)
        failures = []
        for expr, span in test.expects:
            value = evaluation.eval(expr, {})
            if value is True:
                continue
            failures.append(TestFailure(_explain_failure(evaluation, expr, value), span))
        return TestResult(test.name, test.module, test.span, tuple(failures))
    except EvaluationError as error:
        return TestResult(test.name, test.module, test.span, error=error)


_COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "duration_lt", "duration_le",
                "duration_gt", "duration_ge"}


def _explain_failure(evaluation: Evaluation, expr, value) -> str:
    shown = expr.span.text
    if type(value) is Unknown:
        facts = ", ".join(sorted(value.facts)) or "a fact"
        return f"`{shown}` is unknown (it depends on {facts}, which the record leaves out)"
    if isinstance(expr, ir.Prim) and expr.op.name in _COMPARISONS:
        left = evaluation.eval(expr.args[0], {})
        right = evaluation.eval(expr.args[1], {})
        return (f"`{shown}` is false: the left side is {to_json_value(left)}, "
                f"the right side is {to_json_value(right)}")
    return f"`{shown}` is false"
