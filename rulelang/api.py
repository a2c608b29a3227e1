"""The embedding API: load a policy, check rules, evaluate records."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Iterable, Iterator

from rulelang.diagnostics import Diagnostic, Diagnostics
from rulelang.errors import (ConflictError, RecordError, RuleEvaluationError, RuleSyntaxError,
                             RuleTypeError)


def _refs(target):
    from rulelang.pipeline import module_refs
    from rulelang.semantics.resolve import ModuleRef

    if isinstance(target, os.PathLike):
        return module_refs(os.fspath(target))
    if not isinstance(target, str):
        raise TypeError(f"expected a path, `stdlib:NAME` or rule text, not {type(target).__name__}")
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


def check(target, import_roots=()) -> list[Diagnostic]:
    """Parse and check rules (a path, `stdlib:NAME`, or rule text). Never raises
    for the user's mistakes: they come back as Diagnostic values. Imports may
    read `.rules` files under the stdlib, the rule file's folder, and the
    folders in `import_roots`."""
    from rulelang.pipeline import checked

    diags = Diagnostics()
    checked(_refs(target), diags, [Path(r) for r in import_roots])
    return list(diags)


def load(target, import_roots=()) -> "Policy":
    """A checked policy, ready to evaluate. Raises RuleSyntaxError or
    RuleTypeError (with `.diagnostics`) if the rules have errors. `import_roots`
    as for `check`."""
    from rulelang.pipeline import build

    diags = Diagnostics()
    program = build(_refs(target), diags, [Path(r) for r in import_roots])
    if program is None:
        if any(d.code < "RL0100" for d in diags.errors):
            raise RuleSyntaxError(_summary(diags, "syntax"), list(diags))
        raise RuleTypeError(_summary(diags, "type"), list(diags))
    return Policy(program, [d for d in diags])


def _summary(diags: Diagnostics, kind: str) -> str:
    first = diags.errors[0]
    where = f" at {first.span.location()}" if first.span else ""
    more = len(diags.errors) - 1
    return f"{kind} error{where}: {first.message}" + (f" (and {more} more)" if more else "")


class Policy:
    """Checked rules, lowered to the typed core: the agreements and programmes of
    the loaded modules."""

    def __init__(self, program, warnings: list[Diagnostic]) -> None:
        self.program = program
        self.warnings = warnings
        self._compiled = None
        self._columnar = None
        self._spark = None

    @property
    def agreements(self) -> list[str]:
        return [a.name for a in self.program.agreements]

    def evaluate(self, record: dict, as_of: _dt.date | str | None = None,
                 assume: str | None = None, agreements: Iterable[str] | None = None) -> list:
        """Decisions (one per agreement, each with its trace) for one record.
        Raises RecordError for an invalid record, ConflictError when exceptions conflict."""
        from rulelang.records import InvalidRecord, validate_dict

        result = validate_dict(record, self._input_type())
        if isinstance(result, InvalidRecord):
            raise RecordError(result.describe(), result.case, result.field)
        return self._decide(result.value, as_of, assume, agreements)

    def evaluate_many(self, records: Iterable[dict], as_of=None, assume=None,
                      agreements: Iterable[str] | None = None) -> Iterator:
        """For each record, in order: its list of Decisions, or an InvalidRecord
        (the batch goes on). Streams: records are read one at a time."""
        from rulelang.records import InvalidRecord, validate_dict

        record_type = self._input_type()
        for index, record in enumerate(records, 1):
            result = validate_dict(record, record_type, f"record {index}")
            if isinstance(result, InvalidRecord):
                yield result
                continue
            try:
                yield self._decide(result.value, as_of, assume, agreements, trace=False)
            except (ConflictError, RuleEvaluationError) as error:
                yield InvalidRecord(result.case, result.position, None, str(error),
                                    error.diagnostics[0].code if error.diagnostics else "RL0602")

    def _input_type(self):
        if self.program.input_type is None:
            raise RuleTypeError("these rules declare no `input` record, so they cannot evaluate one")
        return self.program.input_type

    @property
    def compiled(self):
        """The policy compiled to Python (built on first use), or None if the compiler
        failed on it: a bug in rulelang, reported as a warning, after which decisions
        come from the interpreter (slower, same decisions)."""
        if self._compiled is None:
            from rulelang.backends.python import compile_program

            try:
                self._compiled = compile_program(self.program)
            except Exception as error:  # noqa: BLE001 — degrade to the reference, never fail a batch
                import warnings

                warnings.warn(f"rulelang could not compile these rules ({type(error).__name__}: "
                              f"{error}); using the interpreter. Please report this.", RuntimeWarning)
                self._compiled = False
        return self._compiled or None

    @property
    def columnar(self):
        """The policy compiled to SQL for DuckDB (built on first use)."""
        if self._columnar is None:
            from rulelang.backends.sql.duckdb import DuckDBEngine

            self._columnar = DuckDBEngine(self.program, self.compiled.decide if self.compiled
                                          else self._interpreted)
        return self._columnar

    def on_spark(self, master: str = "local[*]"):
        """The policy compiled to Spark SQL, on a Spark session at `master` (made on
        first use; needs the `spark` extra and Java 17)."""
        if self._spark is None or self._spark[0] != master:
            from rulelang.backends.sql.spark import SparkEngine, spark_session

            fallback = self.compiled.decide if self.compiled else self._interpreted
            self._spark = (master, SparkEngine(self.program, fallback, spark_session(master)))
        return self._spark[1]

    def _interpreted(self, value, as_of, assume, agreements):
        from rulelang.interpret import Evaluation

        evaluation = Evaluation(self.program, value, as_of or value[self.program.as_of_field], assume)
        return [evaluation.decision(a) for a in self._select(agreements)]

    def _decide(self, value: dict, as_of, assume, agreements, trace: bool = True) -> list:
        """Decisions for a validated record: with traces from the interpreter (the
        reference), without from the compiled program (the same decisions, faster)."""
        from rulelang.interpret import Evaluation
        from rulelang.runtime import EvaluationError

        if isinstance(as_of, str):
            as_of = _dt.date.fromisoformat(as_of)
        if assume not in (None, "in_force"):
            raise ValueError("assume must be None or 'in_force'")
        chosen = self._select(agreements)
        try:
            if not trace and self.compiled is not None:
                names = None if agreements is None else [a.name for a in chosen]
                return self.compiled.decide(value, as_of, assume, names)
            evaluation = Evaluation(self.program, value, as_of or value[self.program.as_of_field],
                                    assume)
            return [evaluation.decision(a) for a in chosen]
        except EvaluationError as error:
            raise self.runtime_error(error) from None

    @staticmethod
    def runtime_error(error) -> RuleEvaluationError:
        """An EvaluationError as the API raises it (ConflictError for RL0601)."""
        cls = ConflictError if error.code == "RL0601" else RuleEvaluationError
        return cls(error.message, [error.diagnostic])

    def _select(self, names: Iterable[str] | None) -> list:
        if names is None:
            return list(self.program.agreements)
        wanted = list(names)
        chosen = [a for a in self.program.agreements if a.name in wanted]
        unknown = set(wanted) - {a.name for a in chosen}
        if unknown:
            raise KeyError(f"no agreement named {', '.join(sorted(unknown))}")
        return chosen

    def run_tests(self) -> list:
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
            raise ValueError(f"no SQL dialect {dialect!r}: use 'duckdb' or 'spark'")
        if isinstance(as_of, str):
            as_of = _dt.date.fromisoformat(as_of)
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
            raise ValueError(f"no engine {engine!r}: use 'duckdb' or 'python'")
        if isinstance(as_of, str):
            as_of = _dt.date.fromisoformat(as_of)
        return decide_table(self, source, engine=engine, as_of=as_of, assume=assume,
                            batch_size=batch_size)
