"""The one table of operators: what each operator accepts, what it gives, and
its reference implementation.

The checker types `a + b` by asking `resolve("+", type of a, type of b)` and
records the Op it found; the core keeps that Op on the node; the interpreter
calls `op.fn`; each compiler maps `op.name` once (backends/python.py writes a
native Python operator where one exists, the SQL backend a SQL function).
Adding an operator or a builtin function is a row here, a line in the
checker's syntax for it, and a line in each backend's mapping.

Every operator here is strict: an unknown operand makes the result unknown.
The operators that are not (`and`, `or`, `??`, `known`) are core constructs
of their own.
"""

from __future__ import annotations

import datetime as _dt
import operator
from typing import Callable

import attrs

from rulelang import runtime as R
from rulelang.semantics import types as T


@attrs.frozen(eq=False)
class Op:
    name: str                                # unique: what backends map
    symbol: str                              # what the user writes: `+`, `in`, `len`
    typing: Callable[..., T.Type | None]     # known operand types -> result type, or None
    fn: Callable                             # known operand values -> value
    spanned: bool = False                    # fn may fail: it takes the operator's span last

    def __repr__(self) -> str:
        return f"Op({self.name})"


def _both(kind: T.Type, result: T.Type):
    return lambda x, y: result if x == kind and y == kind else None


def _pair(left: T.Type, right: T.Type, result: T.Type):
    return lambda x, y: result if x == left and y == right else None


def _numeric(result: T.Type | None = None, *, decimal: bool | None = None):
    """Two numbers; `decimal=False`: both int, `True`: at least one decimal."""
    def typing(x, y):
        if not (T.is_numeric(x) and T.is_numeric(y)):
            return None
        has_decimal = T.DECIMAL in (x, y)
        if decimal is not None and has_decimal != decimal:
            return None
        return result or (T.DECIMAL if has_decimal else T.INT)
    return typing


def _comparable(x, y):
    return T.BOOL if T.join(x, y) is not None else None


def _ordered(x, y):
    if (T.is_numeric(x) and T.is_numeric(y)) or (x == y == T.DATE):
        return T.BOOL
    return None


def _sets(x, y):
    return T.join(x, y) if isinstance(x, T.SetType) and isinstance(y, T.SetType) else None


def _member(x, coll):
    elem = T.element_type(coll)
    return T.BOOL if elem is not None and T.join(x, elem) is not None else None


def _sized(x):
    return T.INT if isinstance(x, (T.SetType, T.ListType)) or x == T.TEXT else None


def _duration_compare(test: Callable[[int], bool]):
    def compare(a, b, span):
        return test(R.compare_durations(a, b, span))
    return compare


def _date_minus_date(a: _dt.date, b: _dt.date) -> R.Duration:
    return R.Duration(0, (a - b).days)


BINARY: tuple[Op, ...] = (
    Op("eq", "==", _comparable, operator.eq),
    Op("ne", "!=", _comparable, operator.ne),
    Op("lt", "<", _ordered, operator.lt),
    Op("le", "<=", _ordered, operator.le),
    Op("gt", ">", _ordered, operator.gt),
    Op("ge", ">=", _ordered, operator.ge),
    # durations compare only within days or within months (RL0309 at check time where the
    # units are visible, at run time otherwise)
    Op("duration_lt", "<", _both(T.DURATION, T.BOOL), _duration_compare(lambda c: c < 0), True),
    Op("duration_le", "<=", _both(T.DURATION, T.BOOL), _duration_compare(lambda c: c <= 0), True),
    Op("duration_gt", ">", _both(T.DURATION, T.BOOL), _duration_compare(lambda c: c > 0), True),
    Op("duration_ge", ">=", _both(T.DURATION, T.BOOL), _duration_compare(lambda c: c >= 0), True),
    Op("in", "in", _member, lambda a, b: a in b),
    Op("not_in", "not in", _member, lambda a, b: a not in b),
    Op("int_add", "+", _numeric(decimal=False), operator.add),
    Op("decimal_add", "+", _numeric(decimal=True), operator.add),
    Op("text_concat", "+", _both(T.TEXT, T.TEXT), operator.add),
    Op("date_add", "+", _pair(T.DATE, T.DURATION, T.DATE), lambda a, b, span: R.add_duration(a, b, 1, span),
       True),
    Op("duration_add_date", "+", _pair(T.DURATION, T.DATE, T.DATE),
       lambda a, b, span: R.add_duration(b, a, 1, span), True),
    Op("duration_add", "+", _both(T.DURATION, T.DURATION), R.Duration.plus),
    Op("int_sub", "-", _numeric(decimal=False), operator.sub),
    Op("decimal_sub", "-", _numeric(decimal=True), operator.sub),
    Op("date_sub", "-", _pair(T.DATE, T.DURATION, T.DATE), lambda a, b, span: R.add_duration(a, b, -1, span),
       True),
    Op("date_diff", "-", _both(T.DATE, T.DURATION), _date_minus_date),  # two dates give a duration
    Op("duration_sub", "-", _both(T.DURATION, T.DURATION), R.Duration.minus),
    Op("int_mul", "*", _numeric(decimal=False), operator.mul),
    Op("decimal_mul", "*", _numeric(decimal=True), operator.mul),
    Op("duration_mul", "*", _pair(T.DURATION, T.INT, T.DURATION), R.Duration.times),
    Op("int_mul_duration", "*", _pair(T.INT, T.DURATION, T.DURATION), lambda a, b: b.times(a)),
    Op("divide", "/", _numeric(T.DECIMAL), R.divide, True),
    Op("union", "union", _sets, operator.or_),
    Op("intersect", "intersect", _sets, operator.and_),
    Op("minus", "minus", _sets, operator.sub),
)

UNARY: tuple[Op, ...] = (
    Op("not", "not", lambda x: T.BOOL if x == T.BOOL else None, operator.not_),
    Op("neg", "-", lambda x: x if x in (T.INT, T.DECIMAL) else None, operator.neg),
    Op("duration_neg", "-", lambda x: x if x == T.DURATION else None, R.Duration.negate),
    Op("len", "len", _sized, len),
)

BY_NAME = {op.name: op for op in BINARY + UNARY}


def resolve(symbol: str, *operands: T.Type) -> tuple[Op, T.Type] | tuple[None, None]:
    """The operator `symbol` means on operands of these (known, non-error) types, and
    the type it gives; (None, None) if it does not apply."""
    for op in BINARY if len(operands) == 2 else UNARY:
        if op.symbol == symbol:
            result = op.typing(*operands)
            if result is not None:
                return op, result
    return None, None
