"""The exceptions raised to an embedder; each carries its diagnostics."""

from __future__ import annotations


class RulelangError(Exception):
    """Base class: a user-facing problem, with the diagnostics that describe it."""

    def __init__(self, message: str, diagnostics: list | tuple = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


class RuleSyntaxError(RulelangError):
    """The rule text does not parse."""


class RuleTypeError(RulelangError):
    """The rules parse but do not check (names, types, clauses, cycles)."""


class RecordError(RulelangError):
    """A case record is invalid: `record`, `field` and `message` say where and why."""

    def __init__(self, message: str, record: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.record, self.field = record, field


class RuleEvaluationError(RulelangError):
    """Evaluating valid rules on a valid record failed (e.g. days compared with months)."""


class ConflictError(RuleEvaluationError):
    """Two exceptions apply at once and give different values."""
