"""The typed core as z3 terms, with the interpreter's semantics (interpret.py, runtime.py).

One `Encoder` stands for one record on one as-of date, both unknown to it: the
input's fields are z3 constants (each optional field with a Bool saying whether
it is given), the as-of date an Int day number (the input's as-of field, where
the program names one). `expr(node)` gives the node's Sym; rules and constants
are encoded once and shared, functions are inlined at each call.

What is modelled exactly: Kleene's `and`/`or`, `??`, `known`, `if` (unknown
unless both branches agree), `let`, `match`, strict operators on booleans,
numbers, text, countries, enum members, dates (day numbers) and durations (as
(months, days): a date moved by days is exact, by months abstracted), `in` on
listed sets and on list and set fields, quantifiers over listed collections,
rules (default logic, `first` branches, the dates of their clauses), calls.
Abstracted (a fresh term: any value): decimal division, `len`, month arithmetic
on dates, comparing days with months (an error at run time), quantifiers over
a record's lists, equality of records and lists, agreements' decisions
(DecisionOf). Decimal arithmetic is exact here; at run time it keeps 28
significant digits.
"""

from __future__ import annotations

import z3

from rulelang import countries
from rulelang.core import ir
from rulelang.runtime import MAX_INT
from rulelang.semantics import types as T
from rulelang.semantics.program import Window
from rulelang.analysis.symbolic import (FALSE, TRUE, Finite, Fresh, Sym, SymRecord, as_array, choose,
                                        constant, day_number, element_sort, equal, is_false,
                                        is_true, known_bool, member, numeric_pair, same_value,
                                        scalar_sort)

_MAX_DEPTH = 60                 # nested calls inlined; deeper ones are abstracted
_ROUNDING = z3.RealVal("1e-27")   # a decimal result's largest relative rounding (28 digits)
_FIRST_DAY, _LAST_DAY = 1, 3652059   # 0001-01-01 .. 9999-12-31 as day numbers


class Encoder:
    def __init__(self, program: ir.Program) -> None:
        self.program = program
        self.fresh = Fresh()
        # what every record satisfies (enum members, country codes, date range):
        # sound to assume, and it keeps witnesses valid
        self.background: list[z3.BoolRef] = []
        self.input = Sym(TRUE, self._input_record(program.input_type, "")) \
            if program.input_type is not None else self.fresh.unknown(T.ERROR)
        if program.as_of_field and program.input_type is not None:
            as_of = self.input.value.field(program.as_of_field)
            self.background.append(as_of.known)
            self.as_of = as_of.value
        else:
            self.as_of = z3.Int("as_of")
            self._in_range(self.as_of, T.DATE)
        self._rules: dict = {}
        self._consts: dict = {}
        self._depth = 0

    def rounded(self, exact):
        """A decimal result as the interpreter has it: rounded to 28 significant digits
        (Python's decimal context), so within 10^-27 of the exact value, relatively.
        The rounding is not modelled, only bounded: any value in the bound may be it."""
        result = self.fresh.value(T.DECIMAL, "rounded")
        size = z3.If(exact >= 0, exact, -exact)
        self.background.append(z3.And(result - exact <= _ROUNDING * size,
                                      exact - result <= _ROUNDING * size))
        return result

    # ---- the input record --------------------------------------------------------

    def _input_record(self, record: T.RecordType, path: str) -> SymRecord:
        return SymRecord(record.fields, lambda name, t: self._input_field(path + name, t), path)

    def _input_field(self, path: str, type_: T.Type) -> Sym:
        known = z3.Bool(path + "?") if T.is_optional(type_) else TRUE
        inner = T.strip(type_)
        if isinstance(inner, T.RecordType):
            return Sym(known, self._input_record(inner, path + "."))
        sort = scalar_sort(inner)
        if sort is not None:
            value = z3.Const(path, sort)
            self._in_range(value, inner)
            return Sym(known, value)
        if inner == T.DURATION:
            months, days = z3.Int(path + ".months"), z3.Int(path + ".days")
            # a record's duration is "N days|weeks" or "N months|years" (records/validate.py)
            self.background.append(z3.And(months >= 0, days >= 0, z3.Or(months == 0, days == 0)))
            return Sym(known, (months, days))
        elem = element_sort(inner)
        if elem is not None:
            return Sym(known, z3.Array(path, elem, z3.BoolSort()))
        return Sym(known, self.fresh.value(inner, path))

    def _in_range(self, value, type_: T.Type) -> None:
        if type_ == T.DATE:
            self.background.append(z3.And(value >= _FIRST_DAY, value <= _LAST_DAY))
        elif type_ == T.INT:
            self.background.append(z3.And(value >= -MAX_INT, value <= MAX_INT))
        elif isinstance(type_, T.EnumType):
            self.background.append(z3.Or([value == z3.StringVal(m) for m in type_.members]))
        elif type_ == T.COUNTRY:
            self.background.append(_is_country(value))

    # ---- dates ---------------------------------------------------------------------

    def active(self, window: Window) -> z3.BoolRef:
        """Whether a clause with these dates is law on the as-of date."""
        parts = []
        if window.start is not None:
            parts.append(self.as_of >= day_number(window.start))
        if window.end is not None:
            parts.append(self.as_of <= day_number(window.end))
        return z3.And(parts) if parts else TRUE

    def in_force(self, timeline: ir.Timeline) -> z3.BoolRef:
        """Whether the timeline's status on the as-of date is in_force (ir.Timeline.status_on)."""
        dates, statuses = timeline.changes
        spans = []
        for i, status in enumerate(statuses):
            if status != "in_force":
                continue
            after = self.as_of >= day_number(dates[i - 1]) if i > 0 else TRUE
            before = self.as_of < day_number(dates[i]) if i < len(dates) else TRUE
            spans.append(z3.And(after, before))
        return z3.Or(spans) if spans else FALSE

    # ---- expressions ----------------------------------------------------------------

    def expr(self, node, env: dict | None = None) -> Sym:
        env = env or {}
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                return self.fresh.sym(node.type, True, "deep")
            return _ENCODE[type(node)](self, node, env)
        finally:
            self._depth -= 1

    def _lit(self, node, env):
        return constant(node.value, node.type, self.fresh)

    def _local(self, node, env):
        if node.var in env:
            return env[node.var]
        return self.fresh.sym(node.type, True, node.var.name)

    def _input(self, node, env):
        return self.input

    def _get_field(self, node, env):
        obj = self.expr(node.obj, env)
        if not isinstance(obj.value, SymRecord):
            return self.fresh.sym(node.type, True, node.name)
        field = obj.value.field(node.name)
        return Sym(z3.And(obj.known, field.known), field.value)

    def _rule_value(self, node, env):
        rule = node.rule
        if rule not in self._rules:
            self._rules[rule] = self.fresh.sym(rule.type, True, rule.name)  # a cycle reads this
            self._rules[rule] = self.rule(rule)
        return self._rules[rule]

    def _const_value(self, node, env):
        const = node.const
        if const not in self._consts:
            self._consts[const] = self.fresh.sym(node.type, True, const.name)
            if const.value is not None:
                self._consts[const] = self.expr(const.value, {})
        return self._consts[const]

    def _decision_of(self, node, env):
        # another agreement's decision: abstracted, each of its fields any value
        return Sym(TRUE, self.fresh.value(node.type, node.agreement.name))

    def _call(self, node, env):
        function = node.function
        if function.body is None:
            return self.fresh.sym(node.type, True, function.name)
        args = [self.expr(arg, env) for arg in node.args]
        return self.expr(function.body, dict(zip(function.params, args)))

    def _prim(self, node, env):
        args = [self.expr(arg, env) for arg in node.args]
        known = z3.And([a.known for a in args]) if args else TRUE
        value = _OPERATORS.get(node.op.name, _abstract)(self, node, [a.value for a in args])
        return Sym(known, value)

    def _and(self, node, env):
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        known = z3.Or(is_false(left), is_false(right), z3.And(left.known, right.known))
        return Sym(known, z3.And(is_true(left), is_true(right)))

    def _or(self, node, env):
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        known = z3.Or(is_true(left), is_true(right), z3.And(left.known, right.known))
        return Sym(known, z3.Or(is_true(left), is_true(right)))

    def _default(self, node, env):
        value, fallback = self.expr(node.value, env), self.expr(node.fallback, env)
        return choose(value.known, value, fallback, node.type, self.fresh)

    def _known(self, node, env):
        return Sym(TRUE, self.expr(node.value, env).known)

    def _if(self, node, env):
        cond = self.expr(node.cond, env)
        then, else_ = self.expr(node.then, env), self.expr(node.else_, env)
        decided = choose(cond.value, then, else_, node.type, self.fresh)
        agree = same_value(then, else_, self.fresh, node.type)
        # on an unknown condition: `then` if the branches are the same value, else unknown
        undecided = Sym(z3.And(then.known, agree), then.value)
        return choose(cond.known, decided, undecided, node.type, self.fresh)

    def _let(self, node, env):
        return self.expr(node.body, {**env, node.var: self.expr(node.value, env)})

    def _quantify(self, node, env):
        collection = self.expr(node.collection, env)
        if not isinstance(collection.value, Finite):
            return self.fresh.sym(node.type, True, node.kind)
        values = [self.expr(node.body, {**env, node.var: Sym(TRUE, item)})
                  for item in collection.value.items]
        any_unknown = z3.Or([z3.Not(v.known) for v in values]) if values else FALSE
        if node.kind == "any":
            hit = z3.Or([is_true(v) for v in values]) if values else FALSE
            result = Sym(z3.Or(hit, z3.Not(any_unknown)), hit)
        elif node.kind == "all":
            miss = z3.Or([is_false(v) for v in values]) if values else FALSE
            result = Sym(z3.Or(miss, z3.Not(any_unknown)), z3.Not(miss))
        else:
            items = collection.value.items
            if isinstance(T.strip(node.collection.type), T.SetType):
                # a set holds each value once: `{case.kind, red}` is one item when they are equal
                firsts = [z3.Not(z3.Or([equal(items[i], items[j], self.fresh) for j in range(i)]))
                          if i else TRUE for i in range(len(items))]
            else:
                firsts = [TRUE] * len(items)
            count = z3.Sum([z3.If(z3.And(is_true(v), first), 1, 0) for v, first in zip(values, firsts)]) \
                if values else z3.IntVal(0)
            result = Sym(z3.Not(any_unknown), count)
        return Sym(z3.And(collection.known, result.known), result.value)

    def _match(self, node, env):
        scrutinee = self.expr(node.scrutinee, env)
        result = self.expr(node.otherwise, env) if node.otherwise is not None \
            else self.fresh.sym(node.type, True, "match")
        for arm in reversed(node.arms):
            hit = z3.Or([equal(scrutinee.value, z3.StringVal(m), self.fresh) for m in arm.members])
            result = choose(hit, self.expr(arm.body, env), result, node.type, self.fresh)
        return Sym(z3.And(scrutinee.known, result.known), result.value)

    def _make_set(self, node, env):
        return self._collection(node, env)

    def _make_list(self, node, env):
        return self._collection(node, env)

    def _collection(self, node, env):
        items = [self.expr(item, env) for item in node.items]
        # an item that may be unknown is kept in the collection as an Unknown: not modelled
        if any(item.nullable for item in node.items) or \
                any(not isinstance(i.value, z3.ExprRef) for i in items):
            return Sym(TRUE, self.fresh.value(node.type, "collection"))
        return Sym(TRUE, Finite(tuple(i.value for i in items)))

    def _make_record(self, node, env):
        record = SymRecord(node.record.fields, lambda name, t: self.fresh.unknown(t))
        for name, value in node.fields:
            record.made[name] = self.expr(value, env)
        return Sym(TRUE, record)

    def _with(self, node, env):
        base = self.expr(node.base, env)
        if not isinstance(base.value, SymRecord):
            return self.fresh.sym(node.type, True, "with")
        old = base.value
        record = SymRecord(old.types, old.field, old.path)
        for name, value in node.fields:
            record.made[name] = self.expr(value, env)
        return Sym(base.known, record)

    # ---- rules -------------------------------------------------------------------------

    def rule(self, rule: ir.Rule) -> Sym:
        """A rule's value (interpret._compute_rule)."""
        no_value = self.fresh.unknown(rule.type)
        if rule.branches:
            return self._first_branch(rule, no_value)
        default = self.expr(rule.default, {}) if rule.default is not None else no_value
        base = choose(self.active(rule.default_clause.window), default, no_value, rule.type,
                      self.fresh)
        return self.default_logic(rule.exceptions, base, rule.type)

    def _first_branch(self, rule: ir.Rule, no_value: Sym) -> Sym:
        """runtime.first_branch: the first branch in force whose condition holds."""
        result = no_value
        for branch in reversed(rule.branches):
            value = self.expr(branch.value, {})
            if branch.cond is None:
                here = value
            else:
                cond = self.expr(branch.cond, {})
                unknown = Sym(FALSE, value.value)
                here = choose(is_true(cond), value,
                              choose(cond.known, result, unknown, rule.type, self.fresh),
                              rule.type, self.fresh)
            result = choose(self.active(branch.clause.window), here, result, rule.type, self.fresh)
        return result

    def fires(self, exc: ir.RuleException) -> z3.BoolRef:
        """A rule exception is in force and its condition is true."""
        return z3.And(self.active(exc.clause.window), is_true(self.expr(exc.cond, {})))

    def exception_value(self, exc: ir.RuleException, type_: T.Type) -> Sym:
        """runtime._exception_value: its value under its own exceptions."""
        return self.default_logic(exc.children, self.expr(exc.value, {}), type_)

    def default_logic(self, exceptions, base: Sym, type_: T.Type) -> Sym:
        """runtime.default_logic. Where two exceptions that fire disagree the run stops
        (RL0601): any value stands for that here."""
        result = base
        for exc in reversed(exceptions):
            result = choose(self.fires(exc), self.exception_value(exc, type_), result, type_,
                            self.fresh)
        settled = []
        for exc in exceptions:
            unsure = z3.And(self.active(exc.clause.window),
                            z3.Not(self.expr(exc.cond, {}).known))
            settled.append(z3.Implies(unsure, same_value(self.exception_value(exc, type_), result,
                                                         self.fresh)))
        return Sym(z3.And(result.known, *settled), result.value)

    # ---- agreements ------------------------------------------------------------------------

    def conjunct_true(self, conjunct: ir.Conjunct) -> z3.BoolRef:
        """A scope condition does not stop the agreement: not law on the date, or true."""
        return z3.Or(z3.Not(self.active(conjunct.clause.window)),
                     is_true(self.expr(conjunct.expr, {})))

    def agreement_exception(self, exc: ir.AgreementException) -> Sym:
        """decide.exception_value: false when not in force on the date, else its condition."""
        cond = self.expr(exc.cond, {})
        return choose(self.active(exc.clause.window), cond, known_bool(False), T.BOOL, self.fresh)

    def exception_holds(self, exc: ir.AgreementException) -> Sym:
        """decide.exception_holds: runtime.holds_unless over its counter-exceptions."""
        value = self.agreement_exception(exc)
        result = value
        for child in reversed(exc.children):
            defeated = self.exception_holds(child)
            state = child.clause.burden == "state"
            unknown = Sym(FALSE, FALSE)
            rest = choose(z3.And(z3.Not(defeated.known), z3.BoolVal(state)), unknown, result,
                          T.BOOL, self.fresh)
            result = choose(is_true(defeated), known_bool(False), rest, T.BOOL, self.fresh)
        return choose(is_false(value), known_bool(False), result, T.BOOL, self.fresh)


_ENCODE = ir.visitor_table(Encoder)


def _is_country(value) -> z3.BoolRef:
    return z3.Or([value == z3.StringVal(code) for code in sorted(countries.codes())])


# ---- the strict operators ---------------------------------------------------------------------
# Each takes the known operand values and gives the result's value term; an operator
# not here, or operands whose shape is not modelled, give a fresh term.

def _abstract(encoder: Encoder, node, args):
    return encoder.fresh.value(node.type, node.op.name)


def _terms(args) -> bool:
    return all(isinstance(a, z3.ExprRef) and not isinstance(a, z3.ArrayRef) for a in args)


def _arith(fn):
    def encode(encoder, node, args):
        if not _terms(args):
            return _abstract(encoder, node, args)
        if len(args) == 1:
            result = fn(args[0])
        else:
            a, b = numeric_pair(*args)
            if node.type == T.DECIMAL:
                a, b = _real(a), _real(b)
            result = fn(a, b)
        return encoder.rounded(result) if node.type == T.DECIMAL else result
    return encode


def _real(term):
    return z3.ToReal(term) if z3.is_int(term) else term


def _equality(negate: bool):
    def encode(encoder, node, args):
        same = equal(args[0], args[1], encoder.fresh, node.args[0].type)
        return z3.Not(same) if negate else same
    return encode


def _membership(negate: bool):
    def encode(encoder, node, args):
        inside = member(args[0], args[1], encoder.fresh)
        return z3.Not(inside) if negate else inside
    return encode


def _durations(test):
    """runtime.compare_durations: days with days, months with months, else a run-time error."""
    def encode(encoder, node, args):
        (am, ad), (bm, bd) = args
        return z3.If(z3.And(am == 0, bm == 0), test(ad, bd),
                     z3.If(z3.And(ad == 0, bd == 0), test(am, bm), encoder.fresh.bool("cmp")))
    return encode


def _move(sign: int, duration_first: bool = False):
    """A date moved by a duration: exact by days; by months, any date (abstracted)."""
    def encode(encoder, node, args):
        date, (months, days) = (args[1], args[0]) if duration_first else (args[0], args[1])
        return z3.If(months == 0, date + sign * days, encoder.fresh.value(T.DATE, "moved"))
    return encode


def _pairwise(fn):
    def encode(encoder, node, args):
        return (fn(args[0][0], args[1][0]), fn(args[0][1], args[1][1]))
    return encode


def _scale(duration_first: bool):
    def encode(encoder, node, args):
        (months, days), factor = (args[0], args[1]) if duration_first else (args[1], args[0])
        return (months * factor, days * factor)
    return encode


def _sets(fn):
    def encode(encoder, node, args):
        elem = element_sort(node.type)
        if elem is None:
            return _abstract(encoder, node, args)
        a, b = as_array(args[0], elem), as_array(args[1], elem)
        if not (isinstance(a, z3.ArrayRef) and isinstance(b, z3.ArrayRef)):
            return _abstract(encoder, node, args)
        return fn(a, b)
    return encode


_OPERATORS = {
    "eq": _equality(False), "ne": _equality(True),
    "lt": _arith(lambda a, b: a < b), "le": _arith(lambda a, b: a <= b),
    "gt": _arith(lambda a, b: a > b), "ge": _arith(lambda a, b: a >= b),
    "duration_lt": _durations(lambda a, b: a < b), "duration_le": _durations(lambda a, b: a <= b),
    "duration_gt": _durations(lambda a, b: a > b), "duration_ge": _durations(lambda a, b: a >= b),
    "in": _membership(False), "not_in": _membership(True),
    "int_add": _arith(lambda a, b: a + b), "decimal_add": _arith(lambda a, b: a + b),
    "int_sub": _arith(lambda a, b: a - b), "decimal_sub": _arith(lambda a, b: a - b),
    "int_mul": _arith(lambda a, b: a * b), "decimal_mul": _arith(lambda a, b: a * b),
    "text_concat": lambda e, n, args: z3.Concat(args[0], args[1]),
    "date_add": _move(1), "duration_add_date": _move(1, duration_first=True), "date_sub": _move(-1),
    "date_diff": lambda e, n, args: (z3.IntVal(0), args[0] - args[1]),
    "duration_add": _pairwise(lambda a, b: a + b), "duration_sub": _pairwise(lambda a, b: a - b),
    "duration_mul": _scale(True), "int_mul_duration": _scale(False),
    "duration_neg": lambda e, n, args: (-args[0][0], -args[0][1]),
    "union": _sets(z3.SetUnion), "intersect": _sets(z3.SetIntersect),
    "minus": _sets(z3.SetDifference),
    "not": lambda e, n, args: z3.Not(args[0]),
    "neg": _arith(lambda a: -a),
    # divide (28 significant digits at run time) and len: abstracted
}
