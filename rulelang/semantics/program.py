"""The checked program: what the checker hands to the interpreter and backends.

Everything here is derived from the AST by the checker; nothing downstream
re-checks. Types and name resolutions are side tables keyed by AST node.
"""

from __future__ import annotations

import datetime as _dt
from typing import Union

import attrs

from rulelang.semantics.types import DecisionType, EnumType, RecordType, Type

CLAIMANT, STATE = "claimant", "state"

# timeline event -> the status it starts (None: keeps the current status)
EVENT_STATUS = {"signed": "not_yet_in_force", "in_force": "in_force", "amended": None,
                "suspended": "suspended", "resumed": "in_force", "terminated": "terminated",
                "proposed": "proposed"}


@attrs.frozen
class Window:
    """The evaluation dates on which a clause is law: `from` and `until`, both inclusive."""
    start: _dt.date | None = None
    end: _dt.date | None = None

    def active(self, on: _dt.date) -> bool:
        return (self.start is None or self.start <= on) and (self.end is None or on <= self.end)

    def describe(self) -> str:
        parts = []
        if self.start:
            parts.append(f"from {self.start.isoformat()}")
        if self.end:
            parts.append(f"until {self.end.isoformat()}")
        return " ".join(parts)


@attrs.frozen
class Clause:
    cites: tuple[str, ...] = ()
    window: Window = Window()
    burden: str = CLAIMANT

    @property
    def cite(self) -> str | None:
        return "; ".join(self.cites) if self.cites else None


@attrs.define(eq=False)
class EventInfo:
    date: _dt.date
    kind: str
    note: str | None
    clause: Clause
    span: object


@attrs.define(eq=False)
class ConjunctInfo:
    index: int
    expr: object
    clause: Clause
    span: object


@attrs.define(eq=False)
class ExceptionInfo:
    name: str
    title: str | None
    cond: object
    clause: Clause
    span: object
    parent: str | None = None
    children: list["ExceptionInfo"] = attrs.Factory(list)


@attrs.define(eq=False)
class AgreementInfo:
    name: str
    kind: str
    title: str | None
    decl: object
    module: object
    parties: tuple[str, ...] = ()
    returns_to: object = None
    returns_to_clause: Clause = Clause()
    consequence: str | None = None
    cites: tuple[str, ...] = ()
    events: list[EventInfo] = attrs.Factory(list)
    conjuncts: list[ConjunctInfo] = attrs.Factory(list)
    exceptions: list[ExceptionInfo] = attrs.Factory(list)  # top level, each with its children
    all_exceptions: list[ExceptionInfo] = attrs.Factory(list)
    exception_enum: EnumType | None = None
    decision_type: DecisionType | None = None

    def status_on(self, on: _dt.date) -> str:
        status = "not_yet_in_force"
        for event in self.events:
            if event.date > on:
                break
            status = EVENT_STATUS[event.kind] or status
        return status


@attrs.define(eq=False)
class RuleExceptionInfo:
    name: str
    cond: object
    value: object
    clause: Clause
    span: object
    children: list["RuleExceptionInfo"] = attrs.Factory(list)


@attrs.define(eq=False)
class BranchInfo:
    cond: object | None
    value: object
    clause: Clause
    span: object


@attrs.define(eq=False)
class RuleInfo:
    name: str
    decl: object
    type: Type
    default: object | None = None
    default_clause: Clause = Clause()
    exceptions: list[RuleExceptionInfo] = attrs.Factory(list)
    branches: list[BranchInfo] = attrs.Factory(list)


@attrs.define(eq=False)
class TestInfo:
    name: str
    decl: object
    module: object
    given: object | None = None
    as_of: _dt.date | None = None
    assume: str | None = None
    expects: list = attrs.Factory(list)


# ---- what a name denotes: one class per kind, each pointing at its declaration ----------

@attrs.frozen(eq=False)
class LocalRef:
    """A `let` variable, a function parameter or a quantifier's variable."""
    binding: object  # the Ident that declares it
    type: Type


@attrs.frozen(eq=False)
class ConstRef:
    decl: object


@attrs.frozen(eq=False)
class RuleRef:
    decl: object


@attrs.frozen(eq=False)
class DefRef:
    decl: object


@attrs.frozen(eq=False)
class AgreementRef:
    decl: object


@attrs.frozen(eq=False)
class InputRef:
    decl: object


@attrs.frozen(eq=False)
class MemberRef:
    enum: EnumType
    member: str


@attrs.frozen(eq=False)
class CountryRef:
    code: str


@attrs.frozen(eq=False)
class BuiltinRef:
    name: str


@attrs.frozen(eq=False)
class FieldRef:
    """A field of a record type, or of an agreement's decision."""
    owner: RecordType | DecisionType
    name: str


Ref = Union[LocalRef, ConstRef, RuleRef, DefRef, AgreementRef, InputRef, MemberRef, CountryRef,
            BuiltinRef, FieldRef]


@attrs.define(eq=False)
class Program:
    roots: list
    modules: list
    input_name: str | None = None
    input_type: RecordType | None = None
    as_of_field: str | None = None
    agreements: list[AgreementInfo] = attrs.Factory(list)   # of the root modules, in order
    tests: list[TestInfo] = attrs.Factory(list)             # of the root modules, in order
    agreement_infos: dict = attrs.Factory(dict)  # AgreementDecl -> AgreementInfo, every module
    rules: dict = attrs.Factory(dict)       # RuleDecl -> RuleInfo
    types: dict = attrs.Factory(dict)       # expression node -> Type
    refs: dict = attrs.Factory(dict)        # Name / Field / Call node -> Ref
    ops: dict = attrs.Factory(dict)         # Binary / Unary / `len` Call node -> core.ops.Op
    deps: dict = attrs.Factory(dict)        # declaration -> the global declarations it uses
    signatures: dict = attrs.Factory(dict)  # DefDecl -> (parameter types, result type)
    dates: dict = attrs.Factory(dict)       # DateLit -> date
    durations: dict = attrs.Factory(dict)   # DurationLit -> Duration
    declared_types: dict = attrs.Factory(dict)  # EnumDecl / RecordDecl -> its EnumType / RecordType

    def agreement(self, name: str) -> AgreementInfo | None:
        return next((a for a in self.agreements if a.name == name), None)
