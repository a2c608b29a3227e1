"""The types of rulelang and the few operations on them the checker needs."""

from __future__ import annotations

from typing import Union

import attrs


@attrs.frozen
class Prim:
    name: str

    def __str__(self) -> str:
        return self.name


BOOL, INT, DECIMAL, TEXT = Prim("bool"), Prim("int"), Prim("decimal"), Prim("text")
DATE, DURATION, COUNTRY = Prim("date"), Prim("duration"), Prim("country")
PRIMITIVES = {p.name: p for p in (BOOL, INT, DECIMAL, TEXT, DATE, DURATION, COUNTRY)}


@attrs.frozen
class ErrorType:
    """The poison type: compatible with everything, so one mistake is reported once."""

    def __str__(self) -> str:
        return "<error>"


@attrs.frozen
class Nothing:
    """The element type of `{}` and `[]` before the context says more."""

    def __str__(self) -> str:
        return "nothing"


ERROR, NOTHING = ErrorType(), Nothing()


@attrs.define(eq=False)
class EnumType:
    name: str
    members: tuple[str, ...]
    decl: object = None

    def __str__(self) -> str:
        return self.name


@attrs.define(eq=False)
class RecordType:
    name: str
    fields: dict = attrs.Factory(dict)  # field name -> Type, filled after all types are declared
    decl: object = None

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class SetType:
    elem: "Type"

    def __str__(self) -> str:
        return f"set<{self.elem}>"


@attrs.frozen
class ListType:
    elem: "Type"

    def __str__(self) -> str:
        return f"list<{self.elem}>"


@attrs.frozen
class OptionalType:
    inner: "Type"

    def __str__(self) -> str:
        return f"{self.inner}?"


@attrs.define(eq=False)
class DecisionType:
    """The value an agreement's name denotes in a test or rule: its decision."""
    agreement: str
    exception_enum: EnumType

    def __str__(self) -> str:
        return f"decision of {self.agreement}"

    def field_types(self) -> dict:
        return {"status": STATUS, "outcome": OUTCOME, "returns_to": OptionalType(COUNTRY),
                "exceptions": SetType(self.exception_enum), "missing": SetType(TEXT),
                "unestablished": SetType(self.exception_enum)}


STATUS = EnumType("Status", ("proposed", "not_yet_in_force", "in_force", "suspended", "terminated"))
OUTCOME = EnumType("Outcome", ("not_in_force", "not_applicable", "exempt", "applies", "undetermined"))

Type = Union[Prim, ErrorType, Nothing, EnumType, RecordType, SetType, ListType, OptionalType,
             DecisionType]


def is_optional(t: Type) -> bool:
    return isinstance(t, OptionalType)


def strip(t: Type) -> Type:
    return t.inner if isinstance(t, OptionalType) else t


def optional(t: Type, when: bool = True) -> Type:
    if not when or isinstance(t, (OptionalType, ErrorType)):
        return t
    return OptionalType(t)


def is_error(t: Type) -> bool:
    return isinstance(t, ErrorType)


def is_numeric(t: Type) -> bool:
    return t in (INT, DECIMAL)


def same(a: Type, b: Type) -> bool:
    """Equal up to the poison and empty-collection types (both sides definite)."""
    if isinstance(a, ErrorType) or isinstance(b, ErrorType):
        return True
    if isinstance(a, Nothing) or isinstance(b, Nothing):
        return True
    if isinstance(a, (SetType, ListType)) and type(a) is type(b):
        return same(a.elem, b.elem)
    if isinstance(a, OptionalType) and isinstance(b, OptionalType):
        return same(a.inner, b.inner)
    return a == b


def assignable(actual: Type, expected: Type) -> bool:
    """Can a value of type `actual` stand where `expected` is wanted?
    (Ignoring optionality, which the checker reports separately.)"""
    actual, expected = strip(actual), strip(expected)
    if actual == INT and expected == DECIMAL:
        return True
    if isinstance(actual, (SetType, ListType)) and type(actual) is type(expected):
        return assignable(actual.elem, expected.elem) or same(actual.elem, expected.elem)
    return same(actual, expected)


def join(a: Type, b: Type) -> Type | None:
    """The type of a value that is either an `a` or a `b`, or None if none fits."""
    if isinstance(a, ErrorType):
        return b
    if isinstance(b, ErrorType):
        return a
    opt = is_optional(a) or is_optional(b)
    a, b = strip(a), strip(b)
    if isinstance(a, Nothing):
        return optional(b, opt)
    if isinstance(b, Nothing):
        return optional(a, opt)
    if is_numeric(a) and is_numeric(b):
        return optional(DECIMAL if DECIMAL in (a, b) else INT, opt)
    if isinstance(a, (SetType, ListType)) and type(a) is type(b):
        elem = join(a.elem, b.elem)
        return None if elem is None else optional(type(a)(elem), opt)
    if a == b:
        return optional(a, opt)
    return None


def element_type(t: Type) -> Type | None:
    t = strip(t)
    if isinstance(t, (SetType, ListType)):
        return t.elem
    if isinstance(t, ErrorType):
        return ERROR
    return None
