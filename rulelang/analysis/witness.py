"""Witnesses: a z3 model read back as a record and a date, and run through the interpreter.

The encoding over-approximates (anything it does not model is any value), so a
satisfiable question proves nothing until a real record shows it: the model's
input fields become a record (validated like any other), and the reference
interpreter decides on it. Only what the interpreter confirms is reported.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

import attrs
import z3

from rulelang import countries
from rulelang.core import ir
from rulelang.interpret import Evaluation
from rulelang.records.validate import ValidRecord, example_value, validate_dict
from rulelang.runtime import EvaluationError
from rulelang.semantics import types as T
from rulelang.analysis.encode import Encoder
from rulelang.analysis.symbolic import SymRecord


class NoWitness(Exception):
    """The model cannot be read back as a record (e.g. an infinite set of texts)."""


@attrs.frozen
class Witness:
    record: dict          # JSON-shaped, as a user would write it
    as_of: _dt.date
    value: dict           # the validated runtime record the interpreter reads


def witness(encoder: Encoder, model: z3.ModelRef) -> Witness | None:
    """The record and as-of date `model` describes, or None if it is not a valid record."""
    program = encoder.program
    if program.input_type is None:
        return None
    try:
        record = _record(model, encoder.input.value, program.input_type)
        as_of = _date(model, encoder.as_of)
    except NoWitness:
        return None
    checked = validate_dict(record, program.input_type)
    if not isinstance(checked, ValidRecord):
        return None
    return Witness(record, as_of, checked.value)


def _record(model, symbolic: SymRecord | None, record_type: T.RecordType) -> dict:
    out = {}
    for name, field_type in record_type.fields.items():
        sym = symbolic.made.get(name) if symbolic is not None else None
        if sym is None:   # never read by the rules in question: any valid value will do
            if not T.is_optional(field_type):
                out[name] = _example(T.strip(field_type))
            continue
        if not z3.is_true(model.eval(sym.known, model_completion=True)):
            continue      # absent: unknown
        out[name] = _value(model, sym.value, T.strip(field_type))
    return out


def _example(type_: T.Type):
    if isinstance(type_, (T.ListType, T.SetType)):
        return []
    return example_value(type_)


def _value(model, term, type_: T.Type):
    if isinstance(type_, T.RecordType):
        return _record(model, term if isinstance(term, SymRecord) else None, type_)
    if type_ == T.BOOL:
        return z3.is_true(model.eval(term, model_completion=True))
    if type_ == T.INT:
        return model.eval(term, model_completion=True).as_long()
    if type_ == T.DECIMAL:
        number = model.eval(term, model_completion=True)
        return Decimal(number.numerator_as_long()) / Decimal(number.denominator_as_long())
    if type_ == T.DATE:
        return _date(model, term)
    if type_ in (T.TEXT, T.COUNTRY) or isinstance(type_, T.EnumType):
        return model.eval(term, model_completion=True).as_string()
    if type_ == T.DURATION:
        months, days = (model.eval(t, model_completion=True).as_long() for t in term)
        if months and days or months < 0 or days < 0:
            raise NoWitness("a duration a record cannot hold")
        return f"{months} months" if months else f"{days} days"
    if isinstance(type_, (T.ListType, T.SetType)):
        if not isinstance(term, z3.ArrayRef):
            return []     # a list of records: not modelled, the rules in question read none
        items = [_value(model, item, T.strip(type_.elem)) for item in _members(model, term, type_.elem)]
        return items if isinstance(type_, T.ListType) else set(items)
    raise NoWitness(f"cannot write a value of type {type_}")


def _date(model, term) -> _dt.date:
    day = model.eval(term, model_completion=True).as_long()
    if not 1 <= day <= _dt.date.max.toordinal():
        raise NoWitness("a date out of range")
    return _dt.date.fromordinal(day)


def _members(model, array, elem_type: T.Type) -> list:
    """The elements of a membership Array in the model: its stored keys over its default."""
    term = model.eval(array, model_completion=True)
    stored = {}
    while z3.is_store(term):
        key, held = term.arg(1), term.arg(2)
        stored.setdefault(key.sexpr(), (key, z3.is_true(held)))
        term = term.arg(0)
    if not z3.is_K(term):
        raise NoWitness("a set the model does not list")
    if z3.is_true(term.arg(0)):   # every value but a few: list them, where there are few
        elem = T.strip(elem_type)
        universe = sorted(countries.codes()) if elem == T.COUNTRY else \
            list(elem.members) if isinstance(elem, T.EnumType) else None
        if universe is None:
            raise NoWitness("an infinite set")
        out = [z3.StringVal(v) for v in universe]
        return [v for v in out if stored.get(v.sexpr(), (v, True))[1]]
    return [key for key, held in stored.values() if held]


# ---- what the interpreter says ----------------------------------------------------------------

def in_scope(program: ir.Program, agreement: ir.Agreement, found: Witness, assume: str | None) -> bool:
    """On this record and date the agreement is in force (or assumed so) and every
    scope condition in force on the date is true."""
    try:
        decision = Evaluation(program, found.value, found.as_of, assume).decision(agreement)
    except EvaluationError:
        return False
    if decision.outcome in ("not_in_force", "not_applicable"):
        return False
    return all(step.value is True or step.inactive is not None
               for step in decision.trace if step.kind == "scope")


def conflicts(program: ir.Program, rule: ir.Rule, pair: tuple, found: Witness) -> EvaluationError | None:
    """The conflict error (RL0601) the interpreter raises on this record for these two
    exceptions of `rule`, or None."""
    try:
        Evaluation(program, found.value, found.as_of).rule_value(rule)
    except EvaluationError as error:
        if error.code == "RL0601" and {error.span, *(s for s, _ in error.labels)} == \
                {exc.span for exc in pair}:
            return error
    return None


def show(found: Witness, program: ir.Program, fields: set | None = None) -> str:
    """The witness in a line: the fields that matter, and the date."""
    shown = {k: v for k, v in found.record.items()
             if (fields is None or k in fields) and k != program.as_of_field}
    parts = [f"{k}: {_shown(v)}" for k, v in shown.items()]
    return "{" + ", ".join(parts) + "}" + f" on {found.as_of.isoformat()}"


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (set, list)):
        return "[" + ", ".join(_shown(v) for v in sorted(value, key=str)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and not value.isidentifier():
        return f'"{value}"'
    return str(value)
