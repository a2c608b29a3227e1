"""Values and helpers shared by the interpreter and generated code.

Values: bool, int, Decimal, str (text, country codes, enum members), date,
Duration, dict (records), frozenset (sets), tuple (lists), and Unknown for a
fact that is absent. Unknown remembers which facts it came from, so a
decision can say what is missing.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal, localcontext

import attrs

DECIMAL_PLACES = 28  # significant digits of decimal division
MAX_INT = 10**18     # the largest integer a rule or a record may hold


@attrs.frozen
class Unknown:
    """An unknown value and the facts (field paths) whose absence made it so."""
    facts: frozenset = frozenset()

    def __bool__(self) -> bool:  # an Unknown must never be used as a Python truth value
        raise TypeError("an Unknown value is neither true nor false: test it with "
                        "isinstance(value, rulelang.Unknown)")

    def __or__(self, other: "Unknown") -> "Unknown":
        return Unknown(self.facts | other.facts)


@attrs.frozen
class Unestablished:
    """An exception that did not hold only because facts are unknown."""
    exception: str
    facts: tuple[str, ...]

    def to_json(self) -> dict:
        return {"exception": self.exception, "facts": list(self.facts)}


def unknown_of(*values) -> Unknown:
    facts = frozenset()
    for value in values:
        if type(value) is Unknown:
            facts |= value.facts
    return Unknown(facts)


@attrs.frozen(order=False)
class Duration:
    """A length of time: whole months plus days. `1 year` is 12 months.

    Month arithmetic is calendar arithmetic (python-dateutil): 31 January + 1
    month is the last day of February. Days and months are not comparable with
    each other (is 30 days less than a month?), so comparing a duration in days
    with one in months is an error rather than a guess.
    """
    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        parts = []
        if self.months:
            years, months = divmod(self.months, 12)
            if years and not months:
                parts.append(f"{years} year" + ("s" if years != 1 else ""))
            else:
                parts.append(f"{self.months} month" + ("s" if self.months != 1 else ""))
        if self.days or not parts:
            parts.append(f"{self.days} day" + ("s" if self.days != 1 else ""))
        return " ".join(parts)

    def plus(self, other: "Duration") -> "Duration":
        return Duration(self.months + other.months, self.days + other.days)

    def minus(self, other: "Duration") -> "Duration":
        return Duration(self.months - other.months, self.days - other.days)

    def times(self, factor: int) -> "Duration":
        return Duration(self.months * factor, self.days * factor)

    def negate(self) -> "Duration":
        return Duration(-self.months, -self.days)


UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7}
UNIT_MONTHS = {"month": 1, "months": 1, "year": 12, "years": 12}
DURATION_UNITS = sorted(UNIT_DAYS) + sorted(UNIT_MONTHS)


def make_duration(amount: int, unit: str) -> Duration:
    if unit in UNIT_DAYS:
        return Duration(0, amount * UNIT_DAYS[unit])
    return Duration(amount * UNIT_MONTHS[unit], 0)


class EvaluationError(Exception):
    """A failure while evaluating well-typed rules on a record (e.g. a conflict)."""

    def __init__(self, code: str, message: str, span=None, labels=(), help=None) -> None:
        super().__init__(message)
        self.code, self.message, self.span, self.labels, self.help = code, message, span, labels, help

    @property
    def diagnostic(self):
        """The failure as a Diagnostic, pointing at the rule text that failed."""
        from rulelang.diagnostics import Diagnostic, Label, Severity

        labels = tuple(Label(span, message) for span, message in self.labels)
        return Diagnostic(self.code, Severity.ERROR, self.message, self.span, labels, self.help)


def add_duration(date: _dt.date, duration: Duration, sign: int = 1, span=None) -> _dt.date:
    """`date` moved by `duration` (back by it when `sign` is -1): the months first, then
    the days. A result outside years 1..9999 is an error of the record (RL0602); a
    month step that leaves them and days that bring the date back are not (as in SQL)."""
    from dateutil.relativedelta import relativedelta

    months, days = sign * duration.months, sign * duration.days
    try:
        return date + relativedelta(months=months, days=days)
    except (OverflowError, ValueError):    # past Python's dates, perhaps only on the way
        pass
    year, month = divmod(date.year * 12 + date.month - 1 + months, 12)
    day = min(date.day, _days_in_month(year, month + 1))
    ordinal = _ordinal(year, month + 1, day) + days
    if 1 <= ordinal <= _LAST_ORDINAL:
        return _dt.date.fromordinal(ordinal)
    raise EvaluationError("RL0602", f"{date} {'-' if sign < 0 else '+'} {duration} is "
                          f"{'before year 1' if ordinal < 1 else 'past year 9999'}", span,
                          help="dates run from 0001-01-01 to 9999-12-31")


_LAST_ORDINAL = _dt.date.max.toordinal()


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    return 29 if month == 2 and _is_leap(year) else (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]


def _ordinal(year: int, month: int, day: int) -> int:
    """`date(year, month, day).toordinal()` for any year of the proleptic Gregorian calendar."""
    y = year - 1
    before_month = sum(_days_in_month(year, m) for m in range(1, month))
    return y * 365 + y // 4 - y // 100 + y // 400 + before_month + day


def compare_durations(a: Duration, b: Duration, span=None) -> int:
    if a.months == 0 and b.months == 0:
        return (a.days > b.days) - (a.days < b.days)
    if a.days == 0 and b.days == 0:
        return (a.months > b.months) - (a.months < b.months)
    raise EvaluationError("RL0309", f"cannot compare {a} with {b}: days and months are not "
                          "comparable", span, help="compare dates instead, e.g. `a <= b + 1 year`")


def divide(a, b, span=None):
    if b == 0:
        raise EvaluationError("RL0602", "division by zero", span)
    with localcontext() as ctx:
        ctx.prec = DECIMAL_PLACES
        return Decimal(a) / Decimal(b)


def same_value(a, b) -> bool:
    """Equal as rulelang values: unknown only equals unknown; true is not 1."""
    if type(a) is Unknown or type(b) is Unknown:
        return type(a) is type(b)
    return a == b and (type(a) is bool) == (type(b) is bool)


def default_logic(exceptions, base, as_of, cond, value):
    """A rule's value under its exceptions (shared by every backend).

    `exceptions` are RuleExceptionInfo nodes (each with `children`), `base()`
    the value when none fires, `cond(exc)` / `value(exc)` evaluate a node's
    condition and value. The exceptions that fire must agree (else a conflict
    error naming two of them); an exception whose condition is unknown makes
    the result unknown only if firing would change it.
    """
    fired, unsure = [], []
    for exc in exceptions:
        if not exc.clause.window.active(as_of):
            continue
        c = cond(exc)
        if c is True:
            fired.append((exc, _exception_value(exc, as_of, cond, value)))
        elif type(c) is Unknown:
            unsure.append((exc, c))
    distinct = []
    for exc, v in fired:
        if not any(same_value(v, w) for _, w in distinct):
            distinct.append((exc, v))
    if len(distinct) > 1:
        (a, va), (b, vb) = distinct[:2]
        raise EvaluationError(
            "RL0601", f"exceptions `{a.name}` and `{b.name}` both apply and give different values "
            f"({to_json_value(va)} and {to_json_value(vb)})", b.span,
            labels=[(a.span, "this one applies too")],
            help="make one an exception `of` the other to say which wins")
    result = distinct[0][1] if distinct else base()
    for exc, c in unsure:
        if not same_value(_exception_value(exc, as_of, cond, value), result):
            return unknown_of(c, result)
    return result


def _exception_value(exc, as_of, cond, value):
    return default_logic(exc.children, lambda: value(exc), as_of, cond, value)


def ordered(items):
    """A collection in a fixed order: sets sorted (so runs do not depend on hashing)."""
    if isinstance(items, frozenset):
        return sorted(items, key=lambda v: (str(type(v)), repr(v)))
    return items


def quantify(kind: str, items, body):
    """`any`, `all` or `count` of `body(item)` over `items` (shared by every backend).

    Kleene's logic: `any` is true as soon as one item is, `all` false as soon as
    one is not; otherwise an unknown item makes the result unknown (and `count`
    is unknown if any item is).
    """
    if type(items) is Unknown:
        return items
    unknown, count = None, 0
    for item in ordered(items):
        value = body(item)
        if type(value) is Unknown:
            unknown = value if unknown is None else unknown | value
        elif value:
            if kind == "any":
                return True
            count += 1
        elif kind == "all":
            return False
    if unknown is not None:
        return unknown
    return {"any": False, "all": True, "count": count}[kind]


def first_branch(branches, as_of, cond, value, no_branch):
    """A `first { when C => V ... otherwise W }` rule's value (shared by every backend).

    The first branch in force on `as_of` whose condition holds decides. An
    unknown condition makes the value unknown: an earlier criterion might
    decide, so no later one can. `no_branch()` is the value when none holds.
    """
    for branch in branches:
        if not branch.clause.window.active(as_of):
            continue
        if branch.cond is None:
            return value(branch)
        c = cond(branch)
        if c is True:
            return value(branch)
        if type(c) is Unknown:
            return c
    return no_branch()


def holds_unless(value, children, unestablished: list):
    """An agreement exception's value given its counter-exceptions (shared by every backend).

    `children` are (name, burden_is_state, holds) with `holds()` the child's own
    value. A child that holds defeats the exception; one that is unknown leaves
    it unknown if the state bears its burden, else is recorded as unestablished.
    """
    if value is False:
        return False
    for name, state_burden, holds in children:
        defeated = holds()
        if defeated is True:
            return False
        if type(defeated) is Unknown:
            if state_burden:
                return unknown_of(value, defeated)
            unestablished.append(Unestablished(name, tuple(sorted(defeated.facts))))
    return value


def make_record(field_names, given: dict) -> dict:
    """A record value: fields not given are unknown, named by their path."""
    return {name: given[name] if name in given else Unknown(frozenset({name}))
            for name in field_names}


def to_json_value(value):
    """A runtime value as JSON: unknown is null, sets are sorted lists."""
    if type(value) is Unknown or value is None:
        return None
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, frozenset):
        return sorted((to_json_value(v) for v in value), key=lambda v: (str(type(v)), str(v)))
    if isinstance(value, tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    return str(value)
