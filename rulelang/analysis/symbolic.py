"""Symbolic rulelang values: a z3 term for whether a value is known, and one for what it is.

A `Sym` pairs `known` (a z3 Bool) with `value`, whose shape follows the type:

- bool, int, decimal, date, text, country, enum member: one z3 term (Bool, Int,
  Real, Int day number, String, String, String);
- duration: a pair of Int terms (months, days), as runtime.Duration;
- set or list of scalars: a z3 Array from the element to Bool (membership; a
  list's order and repeats are not modelled), or a `Finite` tuple of items when
  the items are listed in the rule text;
- record: a `SymRecord`, its fields made on first use;
- anything else: OPAQUE, a value no operation can look into.

Where `known` is false the value term means nothing. Anything the encoding
cannot read precisely becomes a fresh, unconstrained term (`Fresh`): more
records than there are, so an unsatisfiable question stays a proof.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from decimal import Decimal
from typing import Callable

import attrs
import z3

from rulelang.runtime import Duration, Unknown
from rulelang.semantics import types as T

OPAQUE = None   # the value of a Sym no operation can look into


@attrs.frozen(eq=False)
class Sym:
    known: z3.BoolRef
    value: object


@attrs.frozen(eq=False)
class Finite:
    """A collection whose items are listed (a literal set or list)."""
    items: tuple


class SymRecord:
    """A record value whose fields are made when first read: `make(name, type)` gives
    the Sym of a field not given (the input's fields, an abstracted decision's, or an
    unknown one of a record literal)."""

    def __init__(self, fields: dict, make: Callable[[str, T.Type], Sym], path: str = "") -> None:
        self.types = fields          # field name -> Type
        self.made: dict[str, Sym] = {}
        self.make = make
        self.path = path

    def field(self, name: str) -> Sym:
        if name not in self.made:
            self.made[name] = self.make(name, self.types.get(name, T.ERROR))
        return self.made[name]


# ---- sorts ------------------------------------------------------------------------------

def scalar_sort(type_: T.Type):
    """The z3 sort of a scalar type's values, or None for a type that has no single term."""
    type_ = T.strip(type_)
    if type_ == T.BOOL:
        return z3.BoolSort()
    if type_ in (T.INT, T.DATE):
        return z3.IntSort()
    if type_ == T.DECIMAL:
        return z3.RealSort()
    if type_ in (T.TEXT, T.COUNTRY) or isinstance(type_, T.EnumType):
        return z3.StringSort()
    return None


def element_sort(type_: T.Type):
    """The element sort of a collection type whose membership we model, else None."""
    type_ = T.strip(type_)
    if isinstance(type_, (T.SetType, T.ListType)):
        return scalar_sort(type_.elem)
    return None


class Fresh:
    """Makes fresh, unconstrained terms: the encoding's over-approximation."""

    def __init__(self) -> None:
        self._ids = itertools.count()

    def name(self, hint: str) -> str:
        return f"{hint}!{next(self._ids)}"

    def bool(self, hint: str = "b") -> z3.BoolRef:
        return z3.Bool(self.name(hint))

    def value(self, type_: T.Type, hint: str = "v"):
        """A fresh value term of `type_` (OPAQUE where the type has no term)."""
        type_ = T.strip(type_)
        sort = scalar_sort(type_)
        if sort is not None:
            return z3.Const(self.name(hint), sort)
        if type_ == T.DURATION:
            return (z3.Int(self.name(hint + ".months")), z3.Int(self.name(hint + ".days")))
        elem = element_sort(type_)
        if elem is not None:
            return z3.Array(self.name(hint), elem, z3.BoolSort())
        if isinstance(type_, T.RecordType):
            return SymRecord(type_.fields, lambda name, t: self.sym(t, True, name))
        if isinstance(type_, T.DecisionType):
            return SymRecord(type_.field_types(), lambda name, t: self.sym(t, True, name))
        return OPAQUE

    def sym(self, type_: T.Type, nullable: bool, hint: str = "v") -> Sym:
        known = self.bool(hint + ".known") if nullable else z3.BoolVal(True)
        return Sym(known, self.value(type_, hint))

    def unknown(self, type_: T.Type) -> Sym:
        return Sym(z3.BoolVal(False), self.value(type_, "unknown"))


# ---- constants -------------------------------------------------------------------------------

def day_number(date: _dt.date) -> int:
    return date.toordinal()


def constant(value, type_: T.Type, fresh: Fresh) -> Sym:
    """A runtime value (a literal, a folded constant) as a Sym."""
    if type(value) is Unknown:
        return fresh.unknown(type_)
    return Sym(z3.BoolVal(True), constant_value(value, type_, fresh))


def constant_value(value, type_: T.Type, fresh: Fresh):
    type_ = T.strip(type_)
    if isinstance(value, bool):
        return z3.BoolVal(value)
    if isinstance(value, int):
        return z3.RealVal(value) if type_ == T.DECIMAL else z3.IntVal(value)
    if isinstance(value, Decimal):
        return z3.RealVal(str(value))
    if isinstance(value, str):
        return text_value(value, fresh)
    if isinstance(value, _dt.date):
        return z3.IntVal(day_number(value))
    if isinstance(value, Duration):
        return (z3.IntVal(value.months), z3.IntVal(value.days))
    if isinstance(value, (frozenset, tuple)):
        elem = type_.elem if isinstance(type_, (T.SetType, T.ListType)) else T.NOTHING
        if scalar_sort(elem) is None and not (isinstance(elem, T.Nothing) and not value):
            return OPAQUE
        return Finite(tuple(constant_value(item, elem, fresh) for item in value))
    if isinstance(value, dict) and isinstance(type_, T.RecordType):
        record = SymRecord(type_.fields, lambda name, t: fresh.unknown(t))
        for name, item in value.items():
            record.made[name] = constant(item, type_.fields.get(name, T.ERROR), fresh)
        return record
    return OPAQUE


def text_value(text: str, fresh: Fresh):
    """A text as a z3 string, its characters as they are: z3 reads `\\u{...}` in a
    string as an escape, so a backslash is written as one; z3's strings hold
    characters up to U+2FFFF, so a text with one past it is any string (abstracted)."""
    if any(ord(char) > 0x2FFFF for char in text):
        return fresh.value(T.TEXT, "text")
    return z3.StringVal("".join(f"\\u{{{ord(c):x}}}" if c == "\\" or ord(c) > 0x7E or ord(c) < 0x20
                                else c for c in text))


# ---- Kleene's logic and the strict operators -----------------------------------------

TRUE = z3.BoolVal(True)
FALSE = z3.BoolVal(False)


def is_true(sym: Sym) -> z3.BoolRef:
    """The value is known and true."""
    return z3.And(sym.known, sym.value)


def is_false(sym: Sym) -> z3.BoolRef:
    return z3.And(sym.known, z3.Not(sym.value))


def known_bool(value: bool) -> Sym:
    return Sym(TRUE, z3.BoolVal(value))


def equal(a, b, fresh: Fresh, type_: T.Type | None = None) -> z3.BoolRef:
    """Whether two known values are equal (a fresh Bool where their shape is not modelled:
    lists among them, which a membership array would compare without order or repeats)."""
    if type_ is not None and isinstance(T.strip(type_), T.ListType):
        return fresh.bool("eq")
    if isinstance(a, tuple) and isinstance(b, tuple):
        return z3.And(a[0] == b[0], a[1] == b[1])
    if isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef):
        a, b = numeric_pair(a, b)
        if a.sort() == b.sort():
            return a == b
    return fresh.bool("eq")


def same_value(a: Sym, b: Sym, fresh: Fresh, type_: T.Type | None = None) -> z3.BoolRef:
    """runtime.same_value: equal known values, or both unknown."""
    return z3.Or(z3.And(a.known, b.known, equal(a.value, b.value, fresh, type_)),
                 z3.And(z3.Not(a.known), z3.Not(b.known)))


def numeric_pair(a, b):
    """An int beside a decimal is read as a decimal (as Python compares them)."""
    if z3.is_int(a) and z3.is_real(b):
        return z3.ToReal(a), b
    if z3.is_real(a) and z3.is_int(b):
        return a, z3.ToReal(b)
    return a, b


def choose(cond: z3.BoolRef, a: Sym, b: Sym, type_: T.Type, fresh: Fresh) -> Sym:
    """`a` where `cond` holds, else `b`."""
    return Sym(z3.If(cond, a.known, b.known), choose_value(cond, a.value, b.value, type_, fresh))


def choose_value(cond, a, b, type_: T.Type, fresh: Fresh):
    if a is b:
        return a
    if isinstance(a, Finite) or isinstance(b, Finite):
        elem = element_sort(type_)
        if elem is None:
            return fresh.value(type_, "choice")
        a, b = as_array(a, elem), as_array(b, elem)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return (z3.If(cond, a[0], b[0]), z3.If(cond, a[1], b[1]))
    if isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef):
        a, b = numeric_pair(a, b)
        if a.sort() == b.sort():
            return z3.If(cond, a, b)
    return fresh.value(type_, "choice")


def as_array(collection, elem_sort):
    """A collection value as a membership Array over `elem_sort`."""
    if not isinstance(collection, Finite):
        return collection
    array = z3.K(elem_sort, FALSE)
    for item in collection.items:
        if item.sort() != elem_sort:
            item = z3.ToReal(item) if elem_sort == z3.RealSort() else item
        array = z3.Store(array, item, TRUE)
    return array


def member(item, collection, fresh: Fresh) -> z3.BoolRef:
    """`item in collection` for a known item and collection."""
    if isinstance(collection, Finite):
        return z3.Or([equal(item, x, fresh) for x in collection.items]) if collection.items else FALSE
    if isinstance(collection, z3.ArrayRef) and isinstance(item, z3.ExprRef):
        domain = collection.domain()
        if item.sort() != domain:
            if domain == z3.RealSort() and z3.is_int(item):
                item = z3.ToReal(item)
            else:
                return fresh.bool("in")
        return z3.Select(collection, item)
    return fresh.bool("in")
