"""The typed core: the one meaning of a checked program that every backend reads.

`lower.py` builds it from the checked AST and the checker's side tables. In
the core:

- every expression node has its value type (`type`, never optional) and
  whether its value may be unknown (`nullable`): a backend tests for unknown
  values where, and only where, `nullable` is true;
- every operator is resolved by type to an Op of semantics/operators.py
  (`date + months`, `decimal / int`, set union), so no backend looks at
  runtime types or operator symbols;
- every name is resolved to what it denotes: a Var (one object per `let`,
  parameter or quantifier variable), the input, a Rule, a Const, a Function,
  an Agreement's decision, a literal (enum member, country code);
- the constructs of the law are core declarations: rules with default logic
  or `first` branches, dated clauses (Clause.window), timelines, agreements
  with their scope and exception tree; the decision procedure over them is
  core/decide.py, written once.

Nodes are frozen attrs classes compared by identity, like the AST, and keep
the Span of the text they came from (for traces and runtime errors).
"""

from __future__ import annotations

import bisect
import datetime as _dt
from typing import Union

import attrs

from rulelang.semantics.operators import Op
from rulelang.semantics.program import EVENT_STATUS, Clause
from rulelang.semantics.types import RecordType, Type
from rulelang.span import Span

node = attrs.frozen(eq=False, kw_only=True)


# ---- expressions ----------------------------------------------------------------------

@node
class Lit:
    """A known value: a scalar literal, an enum member, a country code, or a
    collection or constant folded at lowering."""
    value: object
    type: Type
    span: Span | None
    nullable: bool = False


@node
class Var:
    """A variable bound by `let`, a function parameter or a quantifier."""
    name: str
    type: Type
    nullable: bool
    span: Span


@node
class Local:
    var: Var
    type: Type
    nullable: bool
    span: Span


@node
class Input:
    """The input record (`case`)."""
    type: Type
    span: Span
    nullable: bool = False


@node
class GetField:
    """A field of a record, or of an agreement's decision."""
    obj: "Expr"
    name: str
    type: Type
    nullable: bool
    span: Span


@node
class RuleValue:
    rule: "Rule"
    type: Type
    nullable: bool
    span: Span


@node
class ConstValue:
    const: "Const"
    type: Type
    nullable: bool
    span: Span


@node
class DecisionOf:
    """An agreement's decision on this record and date, as a value rules can read."""
    agreement: "Agreement"
    type: Type
    span: Span
    nullable: bool = False


@node
class Call:
    function: "Function"
    args: tuple["Expr", ...]
    type: Type
    nullable: bool
    span: Span


@node
class Prim:
    """A strict operator: any unknown operand makes the result unknown."""
    op: Op
    args: tuple["Expr", ...]
    type: Type
    nullable: bool
    span: Span
    op_span: Span


@node
class And:
    """Kleene's `and`: false if either side is false, even an unknown one."""
    left: "Expr"
    right: "Expr"
    type: Type
    nullable: bool
    span: Span


@node
class Or:
    left: "Expr"
    right: "Expr"
    type: Type
    nullable: bool
    span: Span


@node
class Default:
    """`value ?? fallback`: the fallback where the value is unknown."""
    value: "Expr"
    fallback: "Expr"
    type: Type
    nullable: bool
    span: Span


@node
class Known:
    """`known(value)`: whether the value is known (never unknown itself)."""
    value: "Expr"
    type: Type
    span: Span
    nullable: bool = False


@node
class If:
    """On an unknown condition the value is unknown, unless both branches agree."""
    cond: "Expr"
    then: "Expr"
    else_: "Expr"
    type: Type
    nullable: bool
    span: Span


@node
class Let:
    var: Var
    value: "Expr"
    body: "Expr"
    type: Type
    nullable: bool
    span: Span


@node
class Quantify:
    """`any`, `all` or `count` of `body` for `var` over `collection` (Kleene's logic)."""
    kind: str
    var: Var
    collection: "Expr"
    body: "Expr"
    type: Type
    nullable: bool
    span: Span


@node
class Arm:
    members: tuple[str, ...]
    body: "Expr"


@node
class Match:
    """The first arm naming the scrutinee's member, else `otherwise` (`_`)."""
    scrutinee: "Expr"
    arms: tuple[Arm, ...]
    otherwise: "Expr | None"
    type: Type
    nullable: bool
    span: Span


@node
class MakeSet:
    items: tuple["Expr", ...]
    type: Type
    span: Span
    nullable: bool = False


@node
class MakeList:
    items: tuple["Expr", ...]
    type: Type
    span: Span
    nullable: bool = False


@node
class MakeRecord:
    """A record literal; fields not given are unknown."""
    record: RecordType
    fields: tuple[tuple[str, "Expr"], ...]
    type: Type
    span: Span
    nullable: bool = False


@node
class With:
    base: "Expr"
    fields: tuple[tuple[str, "Expr"], ...]
    type: Type
    nullable: bool
    span: Span


EXPRESSIONS = (Lit, Local, Input, GetField, RuleValue, ConstValue, DecisionOf, Call, Prim, And, Or,
               Default, Known, If, Let, Quantify, Match, MakeSet, MakeList, MakeRecord, With)
Expr = Union[EXPRESSIONS]


def visitor_table(owner: type) -> dict:
    """{node class: owner's method for it}: each backend has one method per expression
    node, named after it (`_get_field` for GetField), and this table says which."""
    table = {}
    for cls in EXPRESSIONS:
        snake = "".join("_" + c.lower() if c.isupper() else c for c in cls.__name__)
        table[cls] = getattr(owner, snake)
    return table


def children(expr) -> list:
    """The subexpressions of an expression node, in evaluation order."""
    if isinstance(expr, (Lit, Local, Input, RuleValue, ConstValue, DecisionOf)):
        return []
    if isinstance(expr, GetField):
        return [expr.obj]
    if isinstance(expr, (Call, Prim, MakeSet, MakeList)):
        return list(expr.args if isinstance(expr, (Call, Prim)) else expr.items)
    if isinstance(expr, (And, Or)):
        return [expr.left, expr.right]
    if isinstance(expr, Default):
        return [expr.value, expr.fallback]
    if isinstance(expr, Known):
        return [expr.value]
    if isinstance(expr, If):
        return [expr.cond, expr.then, expr.else_]
    if isinstance(expr, Let):
        return [expr.value, expr.body]
    if isinstance(expr, Quantify):
        return [expr.collection, expr.body]
    if isinstance(expr, Match):
        return [expr.scrutinee] + [arm.body for arm in expr.arms] + (
            [expr.otherwise] if expr.otherwise is not None else [])
    if isinstance(expr, MakeRecord):
        return [value for _, value in expr.fields]
    if isinstance(expr, With):
        return [expr.base] + [value for _, value in expr.fields]
    raise TypeError(f"not a core expression: {expr!r}")


# ---- declarations -------------------------------------------------------------------------

@attrs.define(eq=False)
class Const:
    name: str
    value: Expr | None   # None until lowered (constants may refer to one another)
    span: Span


@attrs.define(eq=False)
class Function:
    name: str
    params: tuple[Var, ...]
    body: Expr | None
    span: Span


@attrs.frozen(eq=False)
class RuleException:
    name: str
    cond: Expr
    value: Expr
    clause: Clause
    span: Span
    children: tuple["RuleException", ...] = ()


@attrs.frozen(eq=False)
class Branch:
    """`when cond => value` of a `first` rule; `cond` None for `otherwise`."""
    cond: Expr | None
    value: Expr
    clause: Clause
    span: Span


@attrs.define(eq=False)
class Rule:
    """A derived fact. Either `default` with exceptions (default logic: the
    exceptions that fire must agree), or `branches` (`first`: the first that
    holds decides). Outside the dates of its clauses it has no value: unknown,
    and then its type is optional (the checker makes sure)."""
    name: str
    type: Type
    nullable: bool
    span: Span
    default: Expr | None = None
    default_clause: Clause = Clause()
    exceptions: tuple[RuleException, ...] = ()
    branches: tuple[Branch, ...] = ()

    def no_value(self, as_of: _dt.date) -> str:
        """Why the rule has no value on `as_of` (the fact its unknown value names): its
        default, or the `otherwise` of a `first` rule, is not in force then."""
        if self.branches:
            return f"no branch of rule `{self.name}` holds on {as_of.isoformat()}"
        return f"rule `{self.name}` is not in force on {as_of.isoformat()}"


@attrs.frozen(eq=False)
class Event:
    date: _dt.date
    kind: str
    note: str | None
    clause: Clause
    span: Span


@attrs.frozen(eq=False)
class Timeline:
    """The dated events of an agreement, in order, and the status each sets."""
    events: tuple[Event, ...]

    @property
    def changes(self) -> tuple[tuple[_dt.date, ...], tuple[str, ...]]:
        """(dates, statuses): the status on day d is statuses[bisect_right(dates, d)]."""
        dates, statuses = [], ["not_yet_in_force"]
        for event in self.events:
            dates.append(event.date)
            statuses.append(EVENT_STATUS[event.kind] or statuses[-1])
        return tuple(dates), tuple(statuses)

    def status_on(self, on: _dt.date) -> str:
        dates, statuses = self.changes
        return statuses[bisect.bisect_right(dates, on)]

    def deciding_event(self, on: _dt.date) -> Event | None:
        """The event that set the status on `on` (an `amended` sets none), if any."""
        found = None
        for event in self.events:
            if event.date > on:
                break
            if EVENT_STATUS[event.kind] is not None:
                found = event
        return found


@attrs.frozen(eq=False)
class Conjunct:
    index: int
    expr: Expr
    clause: Clause
    span: Span       # the whole clause
    text: Span       # the condition as written

    @property
    def step(self) -> str:
        return f"applies when #{self.index}"


@attrs.frozen(eq=False)
class AgreementException:
    name: str
    title: str | None
    cond: Expr
    clause: Clause
    span: Span
    text: Span
    parent: str | None = None
    children: tuple["AgreementException", ...] = ()

    @property
    def step(self) -> str:
        return f"exception {self.name}" + (f" (of {self.parent})" if self.parent else "")


@attrs.define(eq=False)
class Agreement:
    name: str
    kind: str                      # "agreement" or "program"
    title: str | None
    span: Span                     # its name, where it is declared
    source: str                    # the name of the file it is declared in
    parties: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()
    consequence: str | None = None
    timeline: Timeline = Timeline(())
    scope: tuple[Conjunct, ...] = ()
    exceptions: tuple[AgreementException, ...] = ()        # top level; each with its children
    all_exceptions: tuple[AgreementException, ...] = ()    # every one, in declared order
    returns_to: Expr | None = None
    returns_to_clause: Clause = Clause()
    returns_to_text: Span | None = None
    exception_names: tuple[str, ...] = ()


@attrs.frozen(eq=False)
class Test:
    name: str
    module: str
    span: Span
    given: Expr | None
    as_of: _dt.date | None
    assume: str | None
    expects: tuple[tuple[Expr, Span], ...]


@attrs.define(eq=False)
class Program:
    """A lowered program: the root agreements and tests, and what they reach."""
    agreements: list[Agreement]            # of the root modules, in order
    tests: list[Test]
    input_type: RecordType | None
    as_of_field: str | None
    rules: list[Rule] = attrs.Factory(list)
    functions: list[Function] = attrs.Factory(list)
    consts: list[Const] = attrs.Factory(list)
    every_agreement: list[Agreement] = attrs.Factory(list)   # the roots' and their imports'
    deps: dict = attrs.Factory(dict)       # Rule/Function/Const/Agreement -> what it uses directly
    modules: list = attrs.Factory(list)    # the loaded modules (for tools)

    def agreement(self, name: str) -> Agreement | None:
        return next((a for a in self.agreements if a.name == name), None)

