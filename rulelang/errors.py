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


class RuleSourceError(RulelangError):
    """The rules cannot be read: a missing or unreadable file or folder, an unknown
    `stdlib:` name, or nothing to load at all (`empty`: empty text, a folder without
    `.rules` files)."""

    def __init__(self, message: str, diagnostics: list | tuple = (), empty: bool = False) -> None:
        super().__init__(message, diagnostics)
        self.empty = empty


class ArgumentError(RulelangError, ValueError):
    """An argument to the API is not valid; the message says what would be. (Also a
    ValueError, which is what such a mistake raised before.)"""


class UnknownNameError(ArgumentError, KeyError):
    """A name (an agreement, a rule) the policy does not have; the message lists the
    ones it has. (Also a KeyError, which is what an unknown agreement raised before.)"""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


class RecordError(RulelangError):
    """A case record is invalid, as `Policy.evaluate` raises it. It carries the same
    fields as the `InvalidRecord` that `evaluate_many` yields for that record: `case`
    (its id, or its position), `position`, `field` and `message` (the first error),
    `code`, and `errors` (every (field, message) of the record)."""

    def __init__(self, message: str, record: str | None = None, field: str | None = None, *,
                 code: str = "RL0701", position: str | None = None,
                 errors: tuple = ()) -> None:
        super().__init__(message)
        self.case = self.record = record      # `record` is the name it had first
        self.field, self.code, self.position = field, code, position
        self.errors = tuple(errors) or ((field, message),)
        self.message = self.errors[0][1]
        self.invalid = None                   # the InvalidRecord, when made from one

    @classmethod
    def from_invalid(cls, invalid) -> "RecordError":
        """The error for an InvalidRecord (records/validate.py), field for field."""
        error = cls(invalid.describe(), invalid.case, invalid.field, code=invalid.code,
                    position=invalid.position, errors=invalid.errors)
        error.invalid = invalid
        return error


class RuleEvaluationError(RulelangError):
    """Evaluating valid rules on a valid record failed (e.g. days compared with months)."""


class ConflictError(RuleEvaluationError):
    """Two exceptions apply at once and give different values."""


def detached(error: BaseException) -> BaseException:
    """`error` without its traceback, nor those of the exceptions it was raised from or
    during. For an error kept as a value (a record's, among a batch's results): its
    traceback holds the frames it passed through and, through them, every caller's
    frame and locals; the list that keeps the error is one of those locals, so the
    whole call stack (a batch of rows with it) stays until Python's cycle collector
    runs, which it seldom does (measured: a 1M-record Spark run's delivery grew by
    1.7 GB)."""
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if current is not None and id(current) not in seen:
            seen.add(id(current))
            current.__traceback__ = None
            pending += [current.__cause__, current.__context__]
    return error
