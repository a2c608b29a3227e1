"""The embedding API, and the service layer the command line calls.

`load` and `check` read rules; a `Policy` owns what evaluating them needs (the
typed core, the compiled program, the record validator) and is the one place
that validates a record, checks the arguments (as_of, assume, agreement and
rule names), decides, computes rule values and turns a runtime failure into an
error: `rulelang run`, `explain` and `report` (through batch.py) call the same
methods an embedder does. docs/api.md is the reference.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Iterable, Iterator

from rulelang.diagnostics import Diagnostic, Diagnostics, Severity, did_you_mean
from rulelang.errors import (ArgumentError, ConflictError, RecordError, RuleEvaluationError,
                             RulelangError, RuleSourceError, RuleSyntaxError, RuleTypeError,
                             UnknownNameError)
from rulelang.interpret import Evaluation
from rulelang.records import InvalidRecord, RawRecord, ValidRecord, validate
from rulelang.records.fastpath import SLOW, is_wide
from rulelang.records.validate import fast_validator, fused_checks
from rulelang.runtime import EvaluationError

ASSUMPTIONS = ("in_force",)
UNREADABLE = "RL0004"      # the diagnostic of a rule file that cannot be read


def _refs(target):
    from rulelang.pipeline import module_refs
    from rulelang.semantics.resolve import ModuleRef

    if isinstance(target, os.PathLike):
        return module_refs(os.fspath(target))
    if not isinstance(target, str):
        raise ArgumentError(f"expected a path, `stdlib:NAME` or rule text, not "
                            f"{type(target).__name__}")
    looks_like_text = "\n" in target or "{" in target or not target.strip() or (
        # one line of rules (`rule x: bool = true`), not a file name
        " " in target.strip() and not target.strip().endswith(".rules") and not _exists(target))
    if target.startswith("stdlib:") or (not looks_like_text and _exists(target)):
        return module_refs(target)
    if not looks_like_text:
        return module_refs(target)  # a path that does not exist: reported as unreadable
    return [ModuleRef(text=target, name="<string>")]


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):  # a name too long for the OS, a NUL byte
        return False


def check(target, import_roots=(), deep: bool = False) -> list[Diagnostic]:
    """Parse and check rules (a path, `stdlib:NAME`, or rule text). Never raises
    for the user's mistakes: they come back as Diagnostic values. Imports may
    read `.rules` files under the stdlib, the rule file's folder, and the
    folders in `import_roots`. `deep=True` adds the solver's findings (RL0409 to
    RL0412, docs/analysis.md; needs z3: `pip install 'rulelang[analysis]'`)."""
    from rulelang.pipeline import checked, deeply_checked

    diags = Diagnostics()
    (deeply_checked if deep else checked)(_refs(target), diags, [Path(r) for r in import_roots])
    return list(diags)


def format_text(text: str, name: str = "<string>") -> str:
    """Rule text laid out the one way `rulelang fmt` lays it out (its tokens, so its
    meaning, and its comments kept; docs/language.md, "Layout"). Raises
    RuleSyntaxError (with `.diagnostics`) when the text does not parse, and
    RulelangError (RL0999) in the one case that is rulelang's bug: a layout that
    would read otherwise than the text (it is checked, and refused)."""
    from rulelang.syntax.formatter import format_source

    if not isinstance(text, str):
        raise ArgumentError(f"expected rule text, not {type(text).__name__}")
    formatted = format_source(text, name)
    if formatted.text is None:
        diags = formatted.diagnostics
        if any(d.code == "RL0999" for d in diags.errors):
            raise RulelangError(_summary(diags, "internal"), list(diags))
        raise RuleSyntaxError(_summary(diags, "syntax"), list(diags))
    return formatted.text


def load(target, import_roots=()) -> "Policy":
    """A checked policy, ready to evaluate. Raises RuleSourceError when the rules
    cannot be found (a missing file, an unknown `stdlib:` name, nothing to load),
    RuleSyntaxError or RuleTypeError (with `.diagnostics`) when they have errors.
    `import_roots` as for `check`."""
    if not isinstance(target, (str, os.PathLike)):
        raise ArgumentError(f"expected a path, `stdlib:NAME` or rule text, not "
                            f"{type(target).__name__}")
    return load_policy(_refs(target), [os.fspath(target)], import_roots)


def load_policy(refs: list, specs: list[str], import_roots=()) -> "Policy":
    """The service behind `load` and every command that evaluates: the modules
    `refs` (named by `specs`, for messages) parsed, checked and lowered."""
    from rulelang.pipeline import build

    _require_sources(refs, specs)
    diags = Diagnostics()
    program = build(refs, diags, [Path(r) for r in import_roots])
    if program is None:
        if all(d.code == UNREADABLE for d in diags.errors):   # a file that cannot be read
            raise RuleSourceError(_summary(diags, "source"), list(diags))
        if any(d.code < "RL0100" for d in diags.errors):
            raise RuleSyntaxError(_summary(diags, "syntax"), list(diags))
        raise RuleTypeError(_summary(diags, "type"), list(diags))
    if not any(m.module is not None and m.module.decls for m in program.modules):
        raise _source_error(f"{_named(specs)} declares nothing (only blanks and comments)",
                            empty=True)
    return Policy(program, list(diags))


def _require_sources(refs: list, specs: list[str]) -> None:
    """A missing file or stdlib name is not a syntax error: say what exists instead."""
    from rulelang.semantics.resolve import STDLIB_PREFIX, stdlib_dir, stdlib_names

    if not refs:
        raise _source_error(f"no rule files (*.rules) in {_named(specs)}", empty=True)
    for ref in refs:
        if ref.path is None or _exists(str(ref.path)):
            continue
        if str(ref.path.parent) == str(stdlib_dir()):
            hint = did_you_mean(ref.path.stem, stdlib_names())
            names = ", ".join(STDLIB_PREFIX + n for n in stdlib_names())
            raise _source_error(f"no shipped rules named `{STDLIB_PREFIX}{ref.path.stem}`"
                                + (f" ({hint})" if hint else "")
                                + f"; there are: {STDLIB_PREFIX}all, {names}")
        raise _source_error(f"no file or folder `{ref.name}`")


def _named(specs: list[str]) -> str:
    shown = ["the rule text" if "\n" in s or not s.strip() else f"`{s}`" for s in specs]
    return ", ".join(shown) or "the arguments"


def _source_error(message: str, empty: bool = False) -> RuleSourceError:
    return RuleSourceError(message, [Diagnostic(UNREADABLE, Severity.ERROR, message)], empty)


def _summary(diags: Diagnostics, kind: str) -> str:
    first = diags.errors[0]
    where = f" at {first.span.location()}" if first.span else ""
    more = len(diags.errors) - 1
    return f"{kind} error{where}: {first.message}" + (f" (and {more} more)" if more else "")


class Decisions(list):
    """A record's decisions, one per agreement in the policy's order, and `warnings`:
    what the validator noticed and let pass (an unknown field, RL0702)."""

    warnings: tuple[str, ...] = ()     # set on the instance only when there are some


def _decisions(decisions: list, warnings: tuple[str, ...]) -> Decisions:
    out = Decisions(decisions)
    if warnings:
        out.warnings = warnings
    return out


class Policy:
    """Checked rules, lowered to the typed core: the agreements and programmes of
    the loaded modules. It owns what evaluating them needs, built on first use:
    the compiled program and the record validator."""

    def __init__(self, program, warnings: list[Diagnostic] = ()) -> None:
        self.program = program
        self.warnings = list(warnings)
        self._compiled = None
        self._columnar = None
        self._spark = None
        self._validator = None
        self._transient_validator = None
        self._reader = None

    def __repr__(self) -> str:
        names = self.agreements
        shown = ", ".join(names[:4]) + (f", … ({len(names)} in all)" if len(names) > 4 else "")
        record = self.program.input_type.name if self.program.input_type else "none"
        return f"<Policy agreements=[{shown}] input={record}>"

    @property
    def agreements(self) -> list[str]:
        return [a.name for a in self.program.agreements]

    @property
    def rules(self) -> list[str]:
        """The names of the rules (derived values) `rule_values` can compute."""
        return [r.name for r in self.program.rules]

    # ---- one record, many records -------------------------------------------------------

    def evaluate(self, record: dict, *, as_of: _dt.date | str | None = None,
                 assume: str | None = None, agreements: Iterable[str] | None = None,
                 trace: bool = False, strict: bool = False) -> Decisions:
        """Decisions (one per agreement) for one record, from the compiled program;
        with `trace=True` from the interpreter, each with the steps that decided it.
        Raises RecordError for an invalid record (with `strict=True` also for an unknown
        field), ConflictError when exceptions conflict, ArgumentError for a bad argument."""
        options = self._options(as_of, assume, agreements)
        checked = self._checked(record, "record", strict)
        if type(checked) is not ValidRecord:
            raise RecordError.from_invalid(checked)
        return _decisions(self._decide_checked(checked.value, options, trace), checked.warnings)

    def evaluate_many(self, records: Iterable[dict], as_of=None, assume=None,
                      agreements: Iterable[str] | None = None, *, trace: bool = False,
                      strict: bool = False) -> Iterator[Decisions | InvalidRecord]:
        """For each record, in order: its Decisions, or an InvalidRecord (the batch goes
        on; a record that fails at run time is one too, coded RL0601/RL0602). Streams:
        records are read one at a time."""
        options = self._options(as_of, assume, agreements)
        decide = self._decider(options, trace)                  # chosen once for the stream
        as_of, assume, names = options[0], options[1], _names_of(options[2])
        check = self.validate if not strict else lambda record, at: self._checked(record, at, True)
        # A valid record with nothing to warn about (most of them) is read and decided at
        # once (`_fast_decider`): no position, RawRecord or ValidRecord is made.
        fast = not trace and self.compiled is not None and self.program.input_type is not None
        decided = self._fast_decider(decide, names) if fast else _slow
        for index, record in enumerate(records, 1):
            try:
                decisions = decided(record, as_of, assume)
            except EvaluationError:
                decisions = SLOW        # decided again below, where the failure is reported
            if decisions is not SLOW:
                yield decisions
                continue
            checked = check(record, f"record {index}")
            if type(checked) is not ValidRecord:
                yield checked
                continue
            try:
                decisions = decide(checked.value, as_of, assume, names)
            except EvaluationError as error:
                yield self.invalid_record(checked, self.runtime_error(error))
                continue
            yield _decisions(decisions, checked.warnings)

    def rule_values(self, record: dict, names: Iterable[str] | None = None,
                    as_of: _dt.date | str | None = None, *, assume: str | None = None) -> dict:
        """The value of each `rule` (all of them, or `names`) for one record, by name. A
        value the record does not decide is an `Unknown`, whose `.facts` are the facts
        (field paths) it is missing. Raises RecordError as `evaluate` does."""
        rules = self._rules(names)
        as_of, assume, _ = self._options(as_of, assume, None)
        checked = self._checked(record, "record", False)
        if type(checked) is not ValidRecord:
            raise RecordError.from_invalid(checked)
        return self.values_of(checked.value, rules, as_of, assume)

    # ---- the service layer: what the command line's batch loop calls --------------------

    def validate(self, record, position: str = "record"):
        """A record (a RawRecord as read from a file, or a Python dict) as the engines
        read it: a ValidRecord, or an InvalidRecord with every error it has. Python
        values (dates, tuples, sets, Decimal) are read as their JSON equivalents."""
        if self._validator is None:
            self._validator = fast_validator(self._input_type())
        raw = record if type(record) is RawRecord else RawRecord(position, data=record)
        checked = validate(raw, self.program.input_type, self._validator)
        if type(checked) is ValidRecord or raw.from_text:
            return checked
        return self._python_values(raw, checked)

    def _fast_decider(self, decide, names):
        """`decided(record, as_of, assume) -> Decisions | SLOW` for `evaluate_many`: SLOW
        for a record the general path must read (invalid, or with something to warn about).
        Decided by the reader the compiled program and the validator make together (each
        field checked into a variable the decision reads), or, for a choice of agreements
        or a wide record type, by the compiled decide on the transient validator's value
        (which may share the record's nested dicts: only the compiled program reads it)."""
        if names is None and self._reader is None:
            self._reader = self._fused_reader() or False
        if names is None and self._reader:
            return self._reader
        read = self._transient()

        def decided(record, as_of, assume):
            value = read(record)
            return value if value is SLOW else Decisions(decide(value, as_of, assume, names))
        return decided

    def _fused_reader(self):
        """The reader that decides, or None where it cannot be built (see _fast_decider)."""
        from rulelang.backends.python import compile_field_decider

        record_type = self._input_type()
        if is_wide(record_type):   # read through a table into a dict
            return None
        return _built_or_warned(
            lambda: compile_field_decider(self.program, Decisions,
                                          checks=lambda variables, known: fused_checks(record_type, variables, known)),
            "evaluate_many validates and decides in two steps")

    def _transient(self):
        """The validator of `evaluate_many`'s fast path (built on first use): `read(record)
        -> value | SLOW`, the value only good for deciding the record at once."""
        if self._transient_validator is None:
            self._transient_validator = fast_validator(self._input_type(), transient=True)
        return self._transient_validator

    def _python_values(self, raw, checked):
        """A record the validator rejected, again with its Python values as JSON ones."""
        from rulelang.records.python_values import json_shaped

        data, problems = json_shaped(raw.data, self.program.input_type)
        if problems:
            (field, message), *more = problems
            return InvalidRecord(checked.case, checked.position, field, message, more=tuple(more))
        if data is raw.data:
            return checked
        return validate(RawRecord(raw.position, data=data), self.program.input_type, self._validator)

    def _checked(self, record, position: str, strict: bool):
        checked = self.validate(record, position)
        if strict and type(checked) is ValidRecord and checked.warnings:
            (first, *more) = checked.warnings
            return InvalidRecord(checked.case, checked.position, None, first, "RL0702",
                                 tuple((None, w) for w in more))
        return checked

    def choose(self, agreements: Iterable[str] | None) -> tuple[str, ...] | None:
        """Agreement names, checked (UnknownNameError lists the policy's); None: all."""
        return None if agreements is None else tuple(a.name for a in self._select(agreements))

    def decide(self, value: dict, *, as_of=None, assume=None, agreements=None,
               trace: bool = False) -> list:
        """Decisions for a record this policy validated (`validate(...).value`). Raises
        RuleEvaluationError (ConflictError) when evaluating fails."""
        return self._decide_checked(value, self._options(as_of, assume, agreements), trace)

    def _decide(self, value: dict, as_of, assume, agreements, trace: bool = True) -> list:
        """`decide` under its first name (benchmarks call it)."""
        return self.decide(value, as_of=as_of, assume=assume, agreements=agreements, trace=trace)

    def _decide_checked(self, value: dict, options: tuple, trace: bool) -> list:
        as_of, assume, chosen = options
        try:
            return self._decider(options, trace)(value, as_of, assume, _names_of(chosen))
        except EvaluationError as error:
            raise self.runtime_error(error) from None

    def _decider(self, options: tuple, trace: bool):
        """`decide(value, as_of, assume, names) -> decisions` for checked options: the
        compiled program's, or (for traces, or when compiling failed) the interpreter's.
        Raises EvaluationError."""
        compiled = None if trace else self.compiled
        if compiled is not None:
            return compiled.decide
        program, agreements = self.program, options[2] or self.program.agreements

        def interpret(value: dict, as_of, assume, names) -> list:
            evaluation = Evaluation(program, value, as_of or value[program.as_of_field], assume)
            return [evaluation.decision(a) for a in agreements]
        return interpret

    def values_of(self, value: dict, rules: list, as_of, assume) -> dict:
        """Rule values for a validated record (`rules` from `rule_names`), computed by
        the interpreter, the specification."""
        evaluation = Evaluation(self.program, value, as_of or value[self.program.as_of_field],
                                assume)
        try:
            return {rule.name: evaluation.rule_value(rule) for rule in rules}
        except EvaluationError as error:
            raise self.runtime_error(error) from None

    def rule_names(self, names: Iterable[str] | None) -> list:
        """The core rules named (UnknownNameError lists the policy's); None: every one."""
        return self._rules(names)

    def rules_read_by(self, agreements: Iterable[str] | None = None) -> list[str]:
        """The names of the rules the agreements (default: all) read, directly or through
        other definitions: what `rulelang explain` shows."""
        chosen = self.program.agreements if agreements is None else self._select(agreements)
        seen, stack = set(), list(chosen)
        while stack:
            for used in self.program.deps.get(stack.pop(), ()):
                if used not in seen:
                    seen.add(used)
                    stack.append(used)
        return [rule.name for rule in self.program.rules if rule in seen]

    @staticmethod
    def runtime_error(error) -> RuleEvaluationError:
        """An EvaluationError as the API raises it (ConflictError for RL0601)."""
        cls = ConflictError if error.code == "RL0601" else RuleEvaluationError
        return cls(error.message, [error.diagnostic])

    @staticmethod
    def invalid_record(checked, error: RuleEvaluationError):
        """A valid record whose evaluation failed, as the InvalidRecord a batch reports."""
        diagnostic = error.diagnostics[0] if error.diagnostics else None
        where = f" ({diagnostic.span.location()})" if diagnostic and diagnostic.span else ""
        return InvalidRecord(checked.case, checked.position, None, f"{error}{where}",
                             diagnostic.code if diagnostic else "RL0602")

    # ---- arguments ----------------------------------------------------------------------

    def _options(self, as_of, assume, agreements) -> tuple:
        return (self.decision_date(as_of), _assume(assume),
                None if agreements is None else self._select(agreements))

    def decision_date(self, as_of) -> _dt.date | None:
        """`as_of` as a date; None to decide each record on its as-of field, which
        the input must then name."""
        date = _as_of(as_of)
        if date is None and self.program.input_type is not None and self.program.as_of_field is None:
            raise ArgumentError("the rules' input names no as-of field (`input NAME: TYPE as_of "
                                "FIELD`), so give the date to decide on: as_of=YYYY-MM-DD "
                                "(--as-of on the command line)")
        return date

    def _select(self, names: Iterable[str]) -> list:
        wanted = _names(names, "agreements")
        known = {a.name: a for a in self.program.agreements}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise UnknownNameError(_unknown("agreement", unknown, list(known)))
        return [a for a in self.program.agreements if a.name in wanted]

    def _rules(self, names: Iterable[str] | None) -> list:
        if names is None:
            return list(self.program.rules)
        known = {r.name: r for r in self.program.rules}
        wanted = _names(names, "names")
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise UnknownNameError(_unknown("rule", unknown, list(known)))
        return [known[n] for n in dict.fromkeys(wanted)]

    def _input_type(self):
        if self.program.input_type is None:
            raise RuleTypeError("these rules declare no `input` record, so they cannot evaluate one")
        return self.program.input_type

    # ---- engines ------------------------------------------------------------------------

    @property
    def compiled(self):
        """The policy compiled to Python (built on first use), or None if the compiler
        failed on it: a bug in rulelang, reported as a warning, after which decisions
        come from the interpreter (slower, same decisions)."""
        if self._compiled is None:
            from rulelang.backends.python import compile_program

            self._compiled = _built_or_warned(lambda: compile_program(self.program),
                                              "using the interpreter") or False
        return self._compiled or None

    @property
    def columnar(self):
        """The policy compiled to SQL for DuckDB (built on first use)."""
        if self._columnar is None:
            from rulelang.backends.sql.duckdb import DuckDBEngine

            self._columnar = DuckDBEngine(self.program, self._decide_in_python)
        return self._columnar

    def _decide_in_python(self, record: dict, as_of, assume, names) -> list:
        """The columnar engines' way for the records SQL leaves to Python: the compiled
        Python, built only when such a record comes (a run from file to file in one
        statement has none, and compiling took 0.1 s of its start-up)."""
        decide = self.compiled.decide if self.compiled else self._interpreted
        return decide(record, as_of, assume, names)

    def on_spark(self, master: str = "local[*]"):
        """The policy compiled to Spark SQL, on a Spark session at `master` (made on
        first use; needs the `spark` extra and Java 17)."""
        if self._spark is None or self._spark[0] != master:
            from rulelang.backends.sql.spark import SparkEngine, spark_session

            self._spark = (master, SparkEngine(self.program, self._decide_in_python, spark_session(master)))
        return self._spark[1]

    def _interpreted(self, value, as_of, assume, agreements):
        return self._decide_checked(value, (as_of, assume, None if agreements is None else
                                            self._select(agreements)), trace=True)

    def run_tests(self) -> list:
        """The result of each `test` block of the rules (TestResult: `passed`, `failures`)."""
        from rulelang.interpret import run_test

        return [run_test(self.program, t) for t in self.program.tests]

    # ---- the columnar engine ------------------------------------------------------------

    def to_sql(self, dialect: str = "duckdb", as_of: _dt.date | str | None = None,
               assume: str | None = None, table: str = "cases") -> str:
        """The SQL query that decides every record of `table` (one column per field of
        the input record), for a person to read and audit. `dialect`: "duckdb" or
        "spark". Agreements the SQL compiler does not map are listed in a comment."""
        from rulelang.backends.sql.compile import compile_sql

        if dialect not in ("duckdb", "spark"):
            raise ArgumentError(f"no SQL dialect {dialect!r}: use 'duckdb' or 'spark'")
        as_of, assume = self.decision_date(as_of), _assume(assume)
        self._input_type()
        from rulelang.backends.sql.duckdb import source_relation

        program = compile_sql(self.program, dialect)
        text = program.sql(source_relation(self.program, table, as_of, assume))
        notes = "".join(f"-- decided by the Python engine: `{name}` ({why})\n"
                        for name, why in program.unsupported.items())
        return notes + text

    def evaluate_table(self, source, *, engine: str = "duckdb", as_of=None, assume=None,
                       batch_size: int = 100_000):
        """Decide every record of `source` — a pyarrow Table, a pandas or polars
        DataFrame, a DuckDB relation, or an iterable of records (dicts) — on the
        columnar engine, and return the decisions as a pyarrow Table: one row per
        record and agreement (DECISION_COLUMNS), in order, plus `error` for a record
        that is invalid (its `case`, `error.code`, `error.field`, `error.message`)."""
        from rulelang.tables import decide_table

        if engine not in ("duckdb", "python"):
            raise ArgumentError(f"no engine {engine!r}: use 'duckdb' or 'python'")
        return decide_table(self, source, engine=engine, as_of=self.decision_date(as_of),
                            assume=_assume(assume), batch_size=batch_size)


def _built_or_warned(build, instead: str):
    """`build()`, or None after a warning if it fails: a bug in rulelang's compiler, after
    which a slower way gives the same decisions (`instead` says which)."""
    try:
        return build()
    except Exception as error:  # noqa: BLE001 — degrade to a slower way, never fail a batch
        import warnings

        warnings.warn(f"rulelang could not compile these rules ({type(error).__name__}: "
                      f"{error}); {instead}. Please report this.", RuntimeWarning)
        return None


def _slow(record, as_of, assume) -> object:
    """The fast decider where there is none: every record the general way."""
    return SLOW


def _names_of(agreements: list | None) -> list[str] | None:
    return None if agreements is None else [a.name for a in agreements]


def _as_of(value) -> _dt.date | None:
    """`as_of` as a date: a date, a date-only datetime, or YYYY-MM-DD text."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None and value.time() == _dt.time():
            return value.date()
        raise ArgumentError(f"as_of must be a date, not the moment {value.isoformat()}: pass its "
                            "calendar day (`.date()`)")
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        from rulelang.records import date_problem

        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise ArgumentError(f"as_of {value!r} is not a date: {date_problem(value)}") from None
    raise ArgumentError(f"as_of must be a datetime.date or YYYY-MM-DD text, not "
                        f"{type(value).__name__}")


def _assume(value) -> str | None:
    if value is None or value in ASSUMPTIONS:
        return None if value is None else str.__str__(value)
    raise ArgumentError(f"assume must be None or one of {', '.join(map(repr, ASSUMPTIONS))} "
                        f"(evaluate an agreement not in force as if it were), not {value!r}")


def _names(names, what: str) -> list[str]:
    """Names given as an iterable of text (one text is one name)."""
    if isinstance(names, str):
        return [names]
    try:
        wanted = list(names)
    except TypeError:
        raise ArgumentError(f"{what} must be a list of names, not {type(names).__name__}") from None
    bad = [n for n in wanted if not isinstance(n, str)]
    if bad:
        raise ArgumentError(f"{what} must be names (text), not {bad[0]!r}")
    return wanted


def _unknown(kind: str, unknown: list[str], known: list[str]) -> str:
    hint = did_you_mean(unknown[0], known)
    listed = ", ".join(known) if known else f"none: these rules have no {kind}"
    return (f"no {kind} named {', '.join(f'`{n}`' for n in unknown)}"
            + (f" ({hint})" if hint else "") + f"; there are: {listed}")
