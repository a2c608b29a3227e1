"""The surface AST: frozen attrs classes, compared by identity, each with a span.

Children are tuples; numbers are exact (int, Decimal). Nothing downstream
writes onto these nodes: types and resolutions live in the checker's side
tables, keyed by node identity. `dump()` gives a span-free view for tests.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Union

import attrs

from rulelang.span import Span

node = attrs.frozen(eq=False, kw_only=True)


@node
class Ident:
    name: str
    span: Span


# ---- types ------------------------------------------------------------------

@node
class NamedType:
    name: str
    args: tuple["TypeExpr", ...]
    span: Span


@node
class OptionalType:
    inner: "TypeExpr"
    span: Span


TypeExpr = Union[NamedType, OptionalType]


# ---- expressions ------------------------------------------------------------

@node
class BoolLit:
    value: bool
    span: Span


@node
class IntLit:
    value: int
    span: Span


@node
class DecimalLit:
    value: Decimal
    span: Span


@node
class TextLit:
    value: str
    span: Span


@node
class DateLit:
    text: str  # validated by the checker: 2023-02-30 is a diagnostic, not a crash
    span: Span


@node
class DurationLit:
    amount: int
    unit: str  # validated by the checker
    span: Span


@node
class Name:
    """A bare name: a variable, constant, rule, agreement, enum member or country code."""
    name: str
    span: Span


@node
class Field:
    obj: "Expr"
    name: Ident
    span: Span


@node
class Call:
    func: Ident
    args: tuple["Expr", ...]
    span: Span


@node
class Unary:
    op: str  # "-" or "not"
    operand: "Expr"
    span: Span


@node
class Binary:
    op: str  # and or == != < <= > >= in notin + - * / union intersect minus ??
    left: "Expr"
    right: "Expr"
    span: Span
    op_span: Span


@node
class If:
    cond: "Expr"
    then: "Expr"
    else_: "Expr"
    span: Span


@node
class Let:
    var: Ident
    value: "Expr"
    body: "Expr"
    span: Span


@node
class Quantifier:
    kind: str  # any, all, count
    var: Ident
    collection: "Expr"
    body: "Expr"
    span: Span


@node
class Arm:
    patterns: tuple[Ident, ...]  # `_` is the wildcard
    body: "Expr"
    span: Span


@node
class Match:
    scrutinee: "Expr"
    arms: tuple[Arm, ...]
    span: Span


@node
class SetLit:
    items: tuple["Expr", ...]
    span: Span


@node
class ListLit:
    items: tuple["Expr", ...]
    span: Span


@node
class FieldInit:
    name: Ident
    value: "Expr"
    span: Span


@node
class RecordLit:
    fields: tuple[FieldInit, ...]
    span: Span


@node
class EmptyBraces:
    """`{}`: an empty set, or a record with no fields given; the context decides."""
    span: Span


@node
class With:
    base: "Expr"
    fields: tuple[FieldInit, ...]
    span: Span


Expr = Union[BoolLit, IntLit, DecimalLit, TextLit, DateLit, DurationLit, Name, Field, Call,
             Unary, Binary, If, Let, Quantifier, Match, SetLit, ListLit, RecordLit,
             EmptyBraces, With]


# ---- clause modifiers ----------------------------------------------------------

@node
class Cite:
    text: str
    span: Span


@node
class FromDate:
    date: DateLit
    span: Span


@node
class UntilDate:
    date: DateLit
    span: Span


@node
class Burden:
    who: Ident
    span: Span


ClauseMod = Union[Cite, FromDate, UntilDate, Burden]


# ---- declarations -------------------------------------------------------------

@node
class Import:
    target: str
    is_path: bool
    span: Span


@node
class EnumDecl:
    name: Ident
    members: tuple[Ident, ...]
    span: Span


@node
class FieldDecl:
    name: Ident
    type: TypeExpr
    span: Span


@node
class RecordDecl:
    name: Ident
    fields: tuple[FieldDecl, ...]
    span: Span


@node
class InputDecl:
    name: Ident
    type: TypeExpr
    as_of_field: Ident | None
    span: Span


@node
class ConstDecl:
    name: Ident
    type: TypeExpr | None
    value: Expr
    span: Span


@node
class Param:
    name: Ident
    type: TypeExpr
    span: Span


@node
class DefDecl:
    name: Ident
    params: tuple[Param, ...]
    return_type: TypeExpr
    body: Expr
    span: Span


@node
class Branch:
    """`when C => V` in a `first { ... }` rule; `cond` is None for `otherwise`."""
    cond: Expr | None
    value: Expr
    mods: tuple[ClauseMod, ...]
    span: Span


@node
class RuleException:
    name: Ident
    parent: Ident | None
    cond: Expr
    value: Expr
    mods: tuple[ClauseMod, ...]
    span: Span


@node
class RuleDecl:
    """`rule N: T = e`, a block with a default and exceptions, or `= first {...}`.

    Exactly one shape is used: `branches` non-empty for `first`, otherwise
    `default` (with optional `exceptions`).
    """
    name: Ident
    type: TypeExpr
    default: Expr | None
    default_mods: tuple[ClauseMod, ...]
    exceptions: tuple[RuleException, ...]
    branches: tuple[Branch, ...]
    span: Span


@node
class Parties:
    countries: tuple[Ident, ...]
    span: Span


@node
class ReturnsTo:
    expr: Expr
    mods: tuple[ClauseMod, ...]
    span: Span


@node
class Consequence:
    text: str
    mods: tuple[ClauseMod, ...]
    span: Span


@node
class AgreementCite:
    text: str
    span: Span


@node
class Event:
    date: DateLit
    kind: Ident
    note: str | None
    mods: tuple[ClauseMod, ...]
    span: Span


@node
class Timeline:
    events: tuple[Event, ...]
    span: Span


@node
class Conjunct:
    expr: Expr
    mods: tuple[ClauseMod, ...]
    span: Span


@node
class AppliesWhen:
    keyword: Ident  # must read `applies`; checked by the checker
    conjuncts: tuple[Conjunct, ...]
    span: Span


@node
class AgreementException:
    name: Ident
    title: str | None
    parent: Ident | None
    cond: Expr
    mods: tuple[ClauseMod, ...]
    span: Span


AgreementItem = Union[Parties, ReturnsTo, Consequence, AgreementCite, Timeline, AppliesWhen,
                      AgreementException]


@node
class AgreementDecl:
    kind: str  # "agreement" or "program"
    name: Ident
    title: str | None
    items: tuple[AgreementItem, ...]
    span: Span

    def of_type(self, cls) -> list:
        return [item for item in self.items if isinstance(item, cls)]


@node
class Given:
    var: Ident
    value: Expr
    span: Span


@node
class TestAsOf:
    date: DateLit
    span: Span


@node
class Assume:
    status: Ident
    span: Span


@node
class Expect:
    expr: Expr
    span: Span


TestItem = Union[Given, TestAsOf, Assume, Expect]


@node
class TestDecl:
    name: str
    items: tuple[TestItem, ...]
    span: Span


Decl = Union[Import, EnumDecl, RecordDecl, InputDecl, ConstDecl, DefDecl, RuleDecl,
             AgreementDecl, TestDecl]


@node
class Module:
    decls: tuple[Decl, ...]
    span: Span


def children(node):
    """The child nodes of a node (names and spans aside), in field order."""
    for field in attrs.fields(type(node)):
        if field.name in ("span", "op_span"):
            continue
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            yield from (v for v in value if attrs.has(type(v)) and not isinstance(v, Ident))
        elif attrs.has(type(value)) and not isinstance(value, Ident):
            yield value


def dump(value) -> object:
    """A span-free, comparable view of a node tree (for tests and golden files)."""
    if isinstance(value, tuple):
        return [dump(v) for v in value]
    if attrs.has(type(value)):
        out: dict = {"node": type(value).__name__}
        for field in attrs.fields(type(value)):
            if field.name in ("span", "op_span"):
                continue
            out[field.name] = dump(getattr(value, field.name))
        return out
    if isinstance(value, Decimal):
        return str(value)
    return value
