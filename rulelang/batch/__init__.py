"""Running a policy over an input of case records: read, validate, decide, select,
hand to a sink (a writer of records/write.py or a view of views/).

`run(policy, source, sink, options, events)` is the one loop `rulelang run`,
`explain` and `report` share. It never prints: what the command line shows
about the run (a record's errors, a warning, progress) it learns through
`events`, and the counts come back in a `RunStats`.

Repeated warnings are collapsed: `RunStats.warnings` holds each distinct
warning once, with how many records gave it and the first of them.

On the columnar engine, a run whose input and output DuckDB can read and write
itself goes from file to file in SQL (columnar.py); any other run decides in
batches of records read and validated here.
"""

from __future__ import annotations

import datetime as _dt
from typing import Callable, Iterable

import attrs

from rulelang.api import Policy
from rulelang.errors import RuleEvaluationError, detached
from rulelang.records import InvalidRecord, RecordSource, record_id

NOT_IN_FORCE = "not_in_force"


@attrs.frozen
class Options:
    as_of: _dt.date | None = None
    assume: str | None = None
    agreements: tuple[str, ...] | None = None   # None: every agreement of the policy
    trace: bool = False                         # decisions with their trace (the interpreter)
    outcomes: frozenset[str] | None = None      # keep only decisions with these outcomes
    hide_not_in_force: bool = False
    case: str | None = None                     # only the record with this id (the first one)
    limit: int | None = None                    # stop after this many records
    engine: str = "python"                      # "python" (record by record), "duckdb" or "spark"
    spark_master: str = "local[*]"              # where the Spark engine runs
    batch_size: int = 10_000                    # records per batch on the columnar engine
    rules: tuple[str, ...] | None = None        # rule values to compute for each record


@attrs.frozen
class Evaluated:
    """A valid record and its (selected) decisions, as a sink receives it."""
    case: str
    position: str
    value: dict                                 # the typed record
    decisions: list
    policy: Policy = attrs.field(repr=False)
    options: Options = attrs.field(repr=False)
    rules: dict | None = None                   # name -> value, of the rules Options.rules names

    def traced(self) -> list:
        """The same decisions with their traces (from the interpreter), for views
        that say why."""
        if self.options.trace or not self.decisions:
            return self.decisions
        wanted = [d.agreement for d in self.decisions]
        return self.policy.decide(self.value, as_of=self.options.as_of, assume=self.options.assume,
                                  agreements=wanted, trace=True)


@attrs.define
class RepeatedWarning:
    message: str
    count: int
    first_case: str
    first_position: str


@attrs.define
class RunStats:
    records: int = 0
    invalid: int = 0
    warnings: dict = attrs.Factory(dict)       # message -> RepeatedWarning
    found_case: bool = False


@attrs.frozen
class Events:
    """What the command line hears about a run while it goes."""
    invalid: Callable[[InvalidRecord], None] = lambda invalid: None
    advance: Callable[[], None] = lambda: None          # one more record read
    advanced: Callable[[int], None] = lambda count: None  # so many records read at once
    share: Callable[[float], None] = lambda done: None    # this share of the input done (0 to 1)


def select(decisions: Iterable, options: Options) -> list:
    return [d for d in decisions
            if (options.outcomes is None or d.outcome in options.outcomes)
            and not (options.hide_not_in_force and d.outcome == NOT_IN_FORCE)]


def run(policy: Policy, source: RecordSource, sink, options: Options = Options(),
        events: Events = Events()) -> RunStats:
    """Decide every record of `source` and hand each to `sink`, in input order. On the
    columnar engine records are read and validated one at a time, as always, and
    decided in batches (traces come from the interpreter, record by record)."""
    from rulelang.batch import columnar, on_spark

    stats = RunStats()
    whole = columnar.plan(policy, source, sink, options) or on_spark.plan(policy, source, sink, options)
    if whole is not None and whole.run(stats, events) is not False:
        sink.close()
        return stats
    batch: list = []
    decide = _decide_batch if options.engine in ("duckdb", "spark") and not options.trace else decide_one
    for raw in source:
        events.advance()
        if options.case is not None:
            if record_id(raw) != options.case:
                continue
            stats.found_case = True
        stats.records += 1
        checked = policy.validate(raw)
        count_warnings(stats, checked)
        batch.append((raw, checked))
        if decide is decide_one or len(batch) >= options.batch_size:
            deliver(policy, batch, decide, sink, options, events, stats)
        if options.case is not None or (options.limit is not None and stats.records >= options.limit):
            break
    deliver(policy, batch, decide, sink, options, events, stats)
    sink.close()
    return stats


def count_warnings(stats: RunStats, checked) -> None:
    for message in getattr(checked, "warnings", ()):
        seen = stats.warnings.get(message)
        if seen is None:
            stats.warnings[message] = RepeatedWarning(message, 1, checked.case, checked.position)
        else:
            seen.count += 1


def deliver(policy, batch: list, decide, sink, options, events, stats) -> None:
    """Decide a batch of (raw, checked) records and hand them to the sink, in order."""
    if not batch:
        return
    results = iter(decide(policy, [c.value for _, c in batch if hasattr(c, "value")], options))
    for raw, checked in batch:
        if hasattr(checked, "value"):
            result = next(results)
            rules = None
            if options.rules and not isinstance(result, RuleEvaluationError):
                try:
                    rules = policy.values_of(checked.value, policy.rule_names(options.rules),
                                             options.as_of, options.assume)
                except RuleEvaluationError as error:
                    result = error
            if isinstance(result, RuleEvaluationError):
                checked = policy.invalid_record(checked, result)
            else:
                sink.record(Evaluated(checked.case, checked.position, checked.value,
                                      select(result, options), policy, options, rules))
        if not hasattr(checked, "value"):
            stats.invalid += 1
            events.invalid(checked)
            sink.invalid(checked, raw.data)
    batch.clear()


def decide_one(policy: Policy, values: list, options: Options) -> list:
    out = []
    for value in values:
        try:
            out.append(policy.decide(value, as_of=options.as_of, assume=options.assume,
                                     agreements=options.agreements, trace=options.trace))
        except RuleEvaluationError as error:
            out.append(detached(error))
    return out


def _decide_batch(policy: Policy, values: list, options: Options) -> list:
    """Decisions of a batch on a columnar engine (DuckDB or Spark); an error as the API
    raises it."""
    from rulelang.runtime import EvaluationError

    wanted = None if options.agreements is None else set(options.agreements)
    engine = policy.on_spark(options.spark_master) if options.engine == "spark" else policy.columnar
    out = []
    for result in engine.decide_batch(values, options.as_of, options.assume):
        if isinstance(result, EvaluationError):
            out.append(policy.runtime_error(result))
        else:
            out.append(result if wanted is None else [d for d in result if d.agreement in wanted])
    return out

