"""The command line: the only place that prints and picks exit codes.

Exit codes: 0 clean; 1 errors in the rules or invalid records or failing
tests; 2 usage; 70 an internal error (a bug in rulelang, never the user's).
Heavy modules (lark, pycountry, rich, dateutil) are imported inside commands.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path

import click

from rulelang.records.read import KINDS

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70
EXIT_TERMINATED = 128 + 15      # (SIGTERM's number, as a shell reports a process it ended)
REPORT_URL = "https://github.com/rulelang/rulelang/issues"


def _use_color(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _console(file=None):
    """A rich console: the terminal's width on a terminal; else a fixed width, no colour."""
    from rich.console import Console

    from rulelang.views.text import DEFAULT_WIDTH

    if file is None and _use_color(sys.stdout):
        return Console()
    return Console(file=file or sys.stdout, width=DEFAULT_WIDTH, color_system=None,
                   force_terminal=False, highlight=False)


def _print_diagnostics(diags, fmt: str) -> None:
    from rulelang.diagnostics import render_all, to_json, to_sarif

    items = list(diags)
    if fmt == "json":
        click.echo(json.dumps([to_json(d) for d in items], indent=2))
    elif fmt == "sarif":
        click.echo(to_sarif(items))
    elif items:
        click.echo(render_all(items, color=_use_color(sys.stderr)), err=True)


def _refs(specs):
    from rulelang.pipeline import module_refs

    refs = [ref for spec in specs for ref in module_refs(spec)]
    if not refs:
        raise click.UsageError("no rule files found in " + ", ".join(specs))
    return refs


def _parse_date(ctx, param, value):
    if value is None:
        return None
    from rulelang.records import date_problem

    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value} is not a date: {date_problem(value)}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rulelang")
def cli() -> None:
    """rulelang: write the rules of migration agreements as code, check them,
    and run them against case records.

    POLICY and PATH arguments take a .rules file, a directory of them,
    `stdlib:NAME` (a shipped agreement) or `stdlib:all`.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text",
              help="How to print diagnostics.")
@click.option("--deep", is_flag=True, help="Also ask the z3 solver which agreements can never "
              "apply, which exceptions can never hold or hold for everyone, and which can "
              "conflict (docs/analysis.md).")
def check(paths, fmt, deep) -> None:
    """Parse and type-check rule files."""
    from rulelang.diagnostics import Diagnostics
    from rulelang.pipeline import checked, deeply_checked

    if deep:
        _require("z3", "the deep check needs the z3 solver", "analysis")
    diags = Diagnostics()
    # each argument is its own program: two unrelated files may each declare an input
    programs = [(deeply_checked if deep else checked)(_refs([path]), diags) for path in paths]
    _print_diagnostics(diags, fmt)
    if fmt == "text":
        modules = len({m.key for p in programs if p for m in p.modules})
        status = "no errors" if not diags.has_errors else f"{len(diags.errors)} error(s)"
        click.echo(f"checked {modules} module(s): {status}", err=True)
    sys.exit(EXIT_USER if diags.has_errors else EXIT_OK)


def _load_or_exit(specs):
    """The Policy of the rules (the service layer, rulelang/api.py), or exit 1 with
    their diagnostics."""
    from rulelang.api import load_policy
    from rulelang.errors import RuleSourceError, RuleSyntaxError, RuleTypeError

    try:
        return load_policy(_refs(specs), list(specs))
    except RuleSourceError as error:
        if error.empty:
            raise click.UsageError(str(error)) from None
        _print_diagnostics(error.diagnostics, "text")
    except (RuleSyntaxError, RuleTypeError) as error:
        _print_diagnostics(error.diagnostics, "text")
    sys.exit(EXIT_USER)


OUTPUT_FORMATS = ("table", "person", "jsonl", "json", "csv", "parquet", "summary")
_BY_EXTENSION = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json",
                 ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "table"}


def _names(ctx, param, value):
    """`a,b` and repeated options alike, as one tuple (None when not given)."""
    if not value:
        return None
    return tuple(name.strip() for item in value for name in item.split(",") if name.strip())


@cli.command()
@click.argument("policy")
@click.argument("cases")
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default=None,
              help="On a terminal: the person view for one record, a table for more. Otherwise "
              "jsonl, or what --out's extension says. summary: counts of outcomes per agreement.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--as-of", callback=_parse_date, help="Evaluate as of this date (YYYY-MM-DD) "
              "instead of each case's claim date.")
@click.option("--assume", type=click.Choice(["in_force"]), help="Evaluate proposed or suspended "
              "instruments as if in force.")
@click.option("--explain", is_flag=True, help="Include each decision's trace, with citations.")
@click.option("--agreement", "agreements", multiple=True, callback=_names,
              help="Only these agreements (repeatable, or a,b).")
@click.option("--outcome", "outcomes", multiple=True, callback=_names,
              help="Only decisions with these outcomes, e.g. applies,undetermined.")
@click.option("--hide-not-in-force", is_flag=True, help="Leave out agreements not in force on the date.")
@click.option("--keep", multiple=True, callback=_names,
              help="Copy these input fields into each decision row, e.g. --keep region,claim_date.")
@click.option("--case", "case_id", help="Only the record with this id (shown as the person view "
              "on a terminal).")
@click.option("--group-by", multiple=True, callback=_names,
              help="With --format summary: counts per value of this field; a date field by year or "
              "month (claim_date:year).")
@click.option("--summary-format", type=click.Choice(["table", "csv", "json"]), default=None,
              help="How --format summary is written (default: a table on a terminal, else by "
              "--out's extension, else JSON).")
@click.option("--input-format", type=click.Choice(KINDS), default=None,
              help="Format of CASES (default: from its extension, or from its first line for `-` "
              "and unknown extensions).")
@click.option("--rule", "rules", multiple=True, callback=_names,
              help="Also write the value of this rule for each record (repeatable, or a,b): JSON "
              "output gets `rules` (and `rules_unknown`, the facts an unknown one is missing), CSV "
              "a `rule:NAME` column.")
@click.option("--engine", type=click.Choice(["python", "duckdb", "spark"]), default="python",
              help="Where decisions are computed: python, the rules compiled to Python, record by "
              "record (the default: the fastest for a few thousand records); duckdb, the rules as "
              "one SQL query (from file to file for JSON Lines and Parquet: the fastest for large "
              "inputs); spark, the same SQL on Apache Spark (the spark extra). The decisions are the "
              "same; see docs/engines.md.")
@click.option("--spark-master", default="local[*]", show_default=True,
              help="With --engine spark: the Spark master URL (local[*]: this machine's cores).")
def run(policy, cases, fmt, out, as_of, assume, explain, agreements, outcomes, hide_not_in_force, keep,
        case_id, group_by, summary_format, input_format, rules, engine, spark_master) -> None:
    """Evaluate every case in CASES against every agreement in POLICY."""
    from rulelang.batch import Options

    loaded = _load_or_exit([policy])
    program = loaded.program
    record_type = _input_type(loaded, policy, as_of)
    fmt = fmt or (_BY_EXTENSION.get(Path(out).suffix.lower(), "jsonl") if out else
                  "terminal" if _use_color(sys.stdout) and not rules else "jsonl")
    if rules and fmt not in ("jsonl", "json", "csv"):
        raise click.UsageError("--rule writes rule values in jsonl, json or csv output "
                               "(`rulelang explain` shows them for one record)")
    if group_by and fmt != "summary":
        raise click.UsageError("--group-by is for --format summary (and `rulelang report`)")
    if fmt == "parquet":
        _require("pyarrow.parquet", "writing Parquet needs pyarrow", "parquet")
    if engine == "spark":
        _require("pyspark", "the Spark engine needs pyspark (and Java 17)", "spark")
    options = Options(as_of=as_of, assume=assume, agreements=_choose(loaded, agreements),
                      trace=explain and fmt not in ("summary",),
                      outcomes=_outcomes(outcomes), hide_not_in_force=hide_not_in_force, case=case_id,
                      engine=engine, spark_master=spark_master, rules=_rule_names(loaded, rules))
    keep = _keep(keep or (), record_type)
    grouping = _grouping(group_by or (), record_type)
    source = _open_cases(cases, input_format, record_type)
    with _output(out, binary=fmt == "parquet") as stream:
        sink, finish = _sink(fmt, stream, out, program, options, keep, grouping, summary_format, as_of)
        stats = _run(loaded, source, sink, options)
        finish()
    _report_run(stats, source, case_id, fmt)


def _require(module: str, why: str, extra: str) -> None:
    """An optional library, checked before any work (and before --out is created)."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise click.UsageError(f"{why}: pip install 'rulelang[{extra}]'") from None


def _input_type(loaded, policy: str, as_of=None):
    """The input record type of the loaded rules, which must have one, and a date to
    decide on (the records' own, or --as-of)."""
    from rulelang.errors import ArgumentError

    if loaded.program.input_type is None:
        raise click.UsageError(f"{policy} declares no `input` record to evaluate")
    try:
        loaded.decision_date(as_of)
    except ArgumentError as error:
        raise click.UsageError(f"{policy}: {error}") from None
    return loaded.program.input_type


def _outcomes(names):
    from rulelang.core.decide import OUTCOMES

    if not names:
        return None
    for name in names:
        if name not in OUTCOMES:
            raise click.BadParameter(f"`{name}` is not an outcome; there are: {', '.join(OUTCOMES)}",
                                     param_hint="--outcome")
    return frozenset(names)


def _keep(names, record_type):
    from rulelang.diagnostics import did_you_mean
    from rulelang.records.write import RESERVED

    for name in names:
        if name not in record_type.fields:
            hint = did_you_mean(name, record_type.fields)
            raise click.BadParameter(f"`{name}` is not a field of `{record_type.name}`"
                                     + (f" ({hint})" if hint else ""), param_hint="--keep")
        if name in RESERVED:
            raise click.BadParameter(f"`{name}` is also a column of the decision; it cannot be kept "
                                     "under that name", param_hint="--keep")
    return tuple(dict.fromkeys(names))


def _grouping(specs, record_type):
    from rulelang.views.summary import parse_group_by

    try:
        return tuple(parse_group_by(spec, record_type) for spec in specs)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--group-by") from None


class _output:
    """stdout, or the --out file (a clear error, exit 2, when it cannot be written)."""

    def __init__(self, path: str | None, binary: bool = False) -> None:
        self.path, self.binary, self.file = path, binary, None

    def __enter__(self):
        if self.path is None:
            if self.binary:
                raise click.UsageError("Parquet output is binary: give a file with --out")
            return sys.stdout
        try:
            self.file = (open(self.path, "wb") if self.binary else
                         open(self.path, "w", encoding="utf-8", newline=""))
        except OSError as error:
            raise click.BadParameter(f"cannot write {self.path}: {error.strerror or error}",
                                     param_hint="--out") from None
        return self.file

    def __exit__(self, *exc) -> None:
        if self.file is not None:
            self.file.close()


def _sink(fmt, stream, out, program, options, keep, grouping, summary_format, as_of):
    """The writer or view for `fmt`, and what to do once the run is over."""
    from rulelang.records import write
    from rulelang.views import summary, table

    nothing = lambda: None  # noqa: E731
    as_of_field, forced = program.as_of_field, as_of is not None
    if fmt in ("jsonl", "json"):
        return write.JsonWriter(stream, fmt, keep, options.trace), nothing
    if fmt == "csv":
        return write.CsvWriter(stream, keep, options.trace, options.rules or ()), nothing
    if fmt == "parquet":
        types = {name: program.input_type.fields[name] for name in keep}
        return write.ParquetWriter(stream, keep, types, options.trace), nothing
    console = _console(stream if out else None)
    if fmt == "summary":
        tally = summary.Tally(grouping)
        how = summary_format or ("table" if out is None and _use_color(sys.stdout) else
                                 {".csv": "csv", ".txt": "table"}.get(Path(out or "").suffix.lower(), "json"))

        def finish() -> None:
            if how == "table":
                summary.render_table(tally, console)
            else:
                stream.write(summary.to_csv(tally) if how == "csv" else summary.render_json(tally))
        return tally, finish
    if fmt == "person":
        return table.PersonView(console, as_of_field, forced), nothing
    if fmt == "table":
        return table.TableView(console, options.trace, as_of_field, forced), nothing
    return table.TerminalView(console, options.trace, as_of_field, forced), nothing


def _open_cases(cases: str, input_format, record_type):
    from rulelang.records import InputError, open_records

    try:
        source = open_records(cases, input_format, record_type)
    except OSError as error:
        raise click.BadParameter(f"cannot read {cases}: {error.strerror or error}", param_hint="CASES")
    except InputError as error:
        click.echo(f"error[RL0704]: {error}", err=True)
        sys.exit(EXIT_USAGE)
    _print_notes(source)
    return source


def _print_notes(source) -> None:
    """The notes about the input not shown yet (some come up only while it is read)."""
    for note in source.notes[source.notes_shown:]:
        click.echo(f"warning[{note.code}]: {note.message}" if note.code else f"note: {note.message}",
                   err=True)
    source.notes_shown = len(source.notes)


def _run(policy, source, sink, options):
    from rulelang.batch import Events, run

    def invalid(record) -> None:
        lines = record.lines()
        click.echo(f"error[{record.code}]: {lines[0]}", err=True)
        for line in lines[1:]:
            click.echo(line, err=True)

    with source, _progress(source) as bar:
        return run(policy, source, sink, options,
                   Events(invalid=invalid, advance=bar.advance, advanced=bar.advanced, share=bar.share))


def _print_warnings(stats) -> None:
    """Each distinct warning once: with its record, or with how many records gave it."""
    for warning in stats.warnings.values():
        if warning.count == 1:
            click.echo(f"warning[RL0702]: record {warning.first_case} ({warning.first_position}): "
                       f"{warning.message}", err=True)
        else:
            click.echo(f"warning[RL0702]: {warning.message}, in {warning.count:,} records (the first: "
                       f"record {warning.first_case}, {warning.first_position})", err=True)


def _report_run(stats, source, case_id, fmt) -> None:
    """What the run said about itself on stderr, then the exit code."""
    _print_notes(source)
    _print_warnings(stats)
    if case_id is not None and not stats.found_case:
        click.echo(f"error: no record with id `{case_id}` in {source.name}", err=True)
        sys.exit(EXIT_USAGE)
    if stats.records == 0 and fmt not in ("table", "person", "terminal"):
        click.echo(f"0 records in {source.name}", err=True)
    if stats.invalid:
        click.echo(f"{stats.invalid} record(s) could not be evaluated; see the errors above", err=True)
    sys.exit(EXIT_USER if stats.invalid else EXIT_OK)


class _progress:
    """A progress bar on stderr for long inputs read from a file on a terminal."""

    MIN_BYTES = 1 << 20

    def __init__(self, source) -> None:
        import os

        self.source, self.bar, self.count = source, None, 0
        try:
            size = os.fstat(source.stream.fileno()).st_size
        except (OSError, AttributeError, ValueError):
            size = 0
        if size >= self.MIN_BYTES and _use_color(sys.stderr) and source.name != "stdin":
            from rich.progress import Progress

            self.bar = Progress(transient=True, console=None, redirect_stdout=False)
            self.task = self.bar.add_task(f"deciding {source.name}", total=size)

    def __enter__(self) -> "_progress":
        if self.bar is not None:
            self.bar.start()
        return self

    def advance(self) -> None:
        """One more record read."""
        if self.bar is not None:
            self.count += 1
            if self.count % 500 == 0:
                self.bar.update(self.task, completed=self.source.position())

    def advanced(self, count: int) -> None:
        """So many records read at once (the columnar engine, batch by batch)."""
        if self.bar is not None:
            self.bar.update(self.task, completed=self.source.position())

    def share(self, done: float) -> None:
        """This share of the input done (a run in one statement: DuckDB reads the file)."""
        if self.bar is not None:
            self.bar.update(self.task, completed=done * self.bar.tasks[0].total)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _choose(policy, names):
    from rulelang.errors import UnknownNameError

    try:
        return policy.choose(names or None)
    except UnknownNameError as error:
        raise click.BadParameter(str(error), param_hint="--agreement") from None


def _rule_names(policy, names):
    """The rules named by --rule, checked; None when none was asked for."""
    from rulelang.errors import UnknownNameError

    if not names:
        return None
    try:
        return tuple(rule.name for rule in policy.rule_names(names))
    except UnknownNameError as error:
        raise click.BadParameter(str(error), param_hint="--rule") from None


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only failures.")
def test(paths, verbose) -> None:
    """Run the `test` blocks of rule files."""
    from rulelang.diagnostics import render
    from rulelang.interpret import run_test

    programs = [_load_or_exit([path]).program for path in paths]  # each argument is its own program
    passed = failed = 0
    current = None
    tests = [(program, info) for program in programs for info in program.tests]
    for program, info in tests:
        result = run_test(program, info)
        if result.module != current and (verbose or not result.passed):
            current = result.module
            click.echo(current)
        if result.passed:
            passed += 1
            if verbose:
                click.echo(f"  PASS  {result.name}")
            continue
        failed += 1
        click.echo(f"  FAIL  {result.name}  ({result.span.location()})")
        for failure in result.failures:
            click.echo(f"        {failure.span.location()}: {failure.message}")
        if result.error is not None:
            click.echo("        " + render(result.error.diagnostic).replace("\n", "\n        "))
    if not tests:
        click.echo("no tests found")
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(EXIT_USER if failed else EXIT_OK)


@cli.command("fmt")
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Write nothing; list the files that are not laid out "
              "as fmt lays them out, and exit 1 if there are any.")
@click.option("--diff", is_flag=True, help="Write nothing; print what would change, as a unified diff.")
def fmt(paths, check, diff) -> None:
    """Lay out rule files one way (indents, spacing, blank lines), keeping every token
    and comment: files are rewritten in place, `-` reads standard input and writes
    standard output. The meaning is checked unchanged before anything is written."""
    import difflib

    from rulelang.syntax.formatter import format_source

    files = _rule_files(paths)
    changed = unchanged = failed = 0
    for path in files:
        name = "stdin" if path == "-" else str(path)
        try:
            text = sys.stdin.read() if path == "-" else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            click.echo(f"error: cannot read {name}: {_reason(error)}", err=True)
            failed += 1
            continue
        formatted = format_source(text, name)
        if formatted.text is None:
            _print_diagnostics(formatted.diagnostics, "text")
            failed += 1
            continue
        if path == "-" and not (check or diff):
            click.echo(formatted.text, nl=False)
            continue
        if formatted.text == text:
            unchanged += 1
            continue
        changed += 1
        if diff:
            click.echo("".join(difflib.unified_diff(text.splitlines(True), formatted.text.splitlines(True),
                                                    f"{name} (as it is)", f"{name} (formatted)")), nl=False)
        if check:
            click.echo(f"would reformat {name}", err=True)
        elif not diff:
            path.write_text(formatted.text, encoding="utf-8")
    if paths != ("-",) or check or diff:
        done = "would be reformatted" if check or diff else "reformatted"
        click.echo(f"{changed} file(s) {done}, {unchanged} already formatted"
                   + (f", {failed} could not be formatted" if failed else ""), err=True)
    sys.exit(EXIT_USER if failed or (check and changed) else EXIT_OK)


def _rule_files(paths) -> list:
    """The files PATHS name: `-`, files, and the `.rules` files under folders, each once."""
    files: list = []
    for spec in paths:
        if spec.startswith("stdlib:"):
            raise click.UsageError(f"{spec}: the shipped rule files are not rewritten; "
                                   "pass a path to a copy")
        path = Path(spec)
        if spec == "-":
            files.append(spec)
        elif path.is_dir():
            files.extend(sorted(path.rglob("*.rules")))
        elif path.exists():
            files.append(path)
        else:
            raise click.UsageError(f"{spec}: no such file or folder")
    return list(dict.fromkeys(files))


def _reason(error: BaseException) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return error.strerror or str(error)


@cli.command()
@click.argument("policy")
@click.argument("case")
@click.option("--id", "--case", "case_id", help="Which record of CASE (default: the first).")
@click.option("--as-of", callback=_parse_date, help="Evaluate as of this date (YYYY-MM-DD).")
@click.option("--assume", type=click.Choice(["in_force"]))
@click.option("--agreement", "agreements", multiple=True, callback=_names,
              help="Only these agreements (repeatable, or a,b).")
@click.option("--input-format", type=click.Choice(KINDS), default=None,
              help="Format of CASE (default: from its extension).")
@click.option("--rule", "rules", multiple=True, callback=_names,
              help="Show only these rules' values (default: every rule's; repeatable, or a,b).")
def explain(policy, case, case_id, as_of, assume, agreements, input_format, rules) -> None:
    """Explain one record's decisions: a summary, then each step, its value and its
    citation, then the value of each rule."""
    from rulelang.batch import Options
    from rulelang.views.explain import explain_record
    from rulelang.views.table import printable

    loaded = _load_or_exit([policy])
    program = loaded.program
    record_type = _input_type(loaded, policy, as_of)
    options = Options(as_of=as_of, assume=assume, agreements=_choose(loaded, agreements), trace=True,
                      case=case_id, limit=1,
                      rules=_rule_names(loaded, rules) or tuple(loaded.rules_read_by(agreements))
                      or None)
    source = _open_cases(case, input_format, record_type)
    taken = _First()
    stats = _run(loaded, source, taken, options)
    _print_notes(source)
    _print_warnings(stats)
    if taken.item is None:
        raise click.BadParameter(f"no record {case_id!r} in {case}" if case_id else f"{case} holds 0 records",
                                 param_hint="CASE")
    if taken.failed:
        sys.exit(EXIT_USER)
    click.echo(printable(explain_record(taken.item, _width(), program.as_of_field, as_of is not None)))


class _First:
    """A sink that keeps the first record (or its errors)."""

    def __init__(self) -> None:
        self.item, self.failed = None, False

    def record(self, evaluated) -> None:
        self.item = self.item or evaluated

    def invalid(self, invalid, data=None) -> None:
        if self.item is None:
            self.item, self.failed = invalid, True

    def close(self) -> None:
        pass


def _width() -> int:
    """The terminal's width for text views, or a fixed one when not on a terminal."""
    import shutil

    from rulelang.views.text import fit_width

    return fit_width(shutil.get_terminal_size((0, 0)).columns if _use_color(sys.stdout) else None)


@cli.command(name="list")
@click.argument("paths", nargs=-1)
@click.option("--on", "on", callback=_parse_date, help="Status on this date (default: today).")
def list_(paths, on) -> None:
    """The agreements and programmes found, with their status today."""
    from rulelang.views.table import agreements_table

    program = _load_or_exit(paths or ["stdlib:all"]).program
    console = _console()
    console.print(agreements_table(program.agreements, on or _dt.date.today(), console.width))


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", type=click.Path(file_okay=False), required=True,
              help="Directory for the Markdown pages (one per agreement; case-record.md for a "
              "module that declares the input record, such as stdlib:common).")
def doc(paths, out) -> None:
    """Write a Markdown page for each agreement, and the field reference of the input
    record, generated from the rules."""
    from rulelang.docgen import pages

    from rulelang.pipeline import users_of

    program = _load_or_exit(paths).program
    # a library module (stdlib:common) has no agreement: the ones beside it read its record
    readers = program if program.agreements or program.input_type is None else \
        _load_or_exit(list(dict.fromkeys(users_of(p) for p in paths))).program
    written = pages(program, readers)
    if not written:
        raise click.UsageError(f"{', '.join(paths)} declare no agreement and no input record: "
                               "there is nothing to document")
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in written.items():
            (folder / name).write_text(text, encoding="utf-8")
            click.echo(f"wrote {folder / name}")
    except OSError as error:
        click.echo(f"error: cannot write to {out}: {error.strerror or error}", err=True)
        sys.exit(EXIT_USAGE)


@cli.command()
@click.argument("policy", default="stdlib:all")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
def schema(policy, fmt) -> None:
    """The fields of the input record: type, whether required, meaning, and which
    agreements read each."""
    from rulelang.views import schema as view

    program = _load_or_exit([policy]).program
    if program.input_type is None:
        raise click.UsageError(f"{policy} declares no `input` record")
    if fmt == "markdown":
        from rulelang.docgen import case_record_page, example_record

        click.echo(case_record_page(program, example_record(program.input_type)), nl=False)
        return
    doc = view.describe_input(program)
    if fmt == "json":
        click.echo(json.dumps(view.to_json(doc), indent=2, ensure_ascii=False))
        return
    click.echo(view.render_text(doc, _width()))


@cli.command()
@click.argument("policy")
@click.argument("cases")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The HTML file to write.")
@click.option("--group-by", multiple=True, callback=_names,
              help="Also count outcomes per value of this field (claim_date:year for a date).")
@click.option("--as-of", callback=_parse_date, help="Evaluate as of this date (YYYY-MM-DD).")
@click.option("--assume", type=click.Choice(["in_force"]))
@click.option("--agreement", "agreements", multiple=True, callback=_names,
              help="Only these agreements (repeatable, or a,b).")
@click.option("--hide-not-in-force", is_flag=True, help="Leave out agreements not in force on the date.")
@click.option("--input-format", type=click.Choice(KINDS), default=None)
@click.option("--title", help="The report's title (default: from POLICY and CASES).")
def report(policy, cases, out, group_by, as_of, assume, agreements, hide_not_in_force, input_format,
           title) -> None:
    """A self-contained HTML report of CASES under POLICY: outcomes per agreement, over
    time, the facts most often missing, the exceptions, and the groups."""
    from rulelang.batch import Options
    from rulelang.views.report import render_report
    from rulelang.views.summary import Tally

    _require("plotly.graph_objects", "the report needs plotly", "report")
    loaded = _load_or_exit([policy])
    program = loaded.program
    record_type = _input_type(loaded, policy, as_of)
    grouping = _grouping(group_by or (), record_type)
    options = Options(as_of=as_of, assume=assume, agreements=_choose(loaded, agreements),
                      hide_not_in_force=hide_not_in_force)
    tally = Tally(grouping, month_field=program.as_of_field)
    source = _open_cases(cases, input_format, record_type)
    with _output(out, binary=True) as stream:
        stats = _run(loaded, source, tally, options)
        html = render_report(tally, title or f"{policy} on {Path(cases).name}",
                             as_of_field=program.as_of_field)
        stream.write(html.encode("utf-8"))
    click.echo(f"wrote {out}: {stats.records:,} records, {stats.invalid:,} invalid", err=True)
    _report_run(stats, source, None, "report")



@cli.command()
@click.argument("policy", default="stdlib:all")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (this machine only, unless you say otherwise).")
@click.option("--port", default=8321, show_default=True, type=click.IntRange(0, 65535))
@click.option("--open", "open_browser", is_flag=True, help="Open the workbench in a browser.")
def web(policy, host, port, open_browser) -> None:
    """The workbench in a browser: a case worker's form that decides a case as it is
    filled in, pictures of the agreements, and a playground for rule text
    (docs/workbench.md)."""
    for module in ("starlette", "uvicorn", "jinja2"):
        _require(module, f"the workbench needs {module}", "web")
    _require("plotly.offline", "the workbench's charts need plotly", "web")
    import uvicorn

    from rulelang.web.app import LOCAL_HOSTS, create_app

    # on this machine, it answers only to its own names; listening elsewhere was asked for
    app = create_app(_load_or_exit([policy]), policy,
                     hosts=LOCAL_HOSTS if host in LOCAL_HOSTS else ("*",))
    url = f"http://{host}:{port}/"
    click.echo(f"rulelang workbench on {url} (Ctrl-C stops it)", err=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, [url]).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")


@cli.command()
@click.option("--stdio", is_flag=True, default=True, hidden=True,
              help="Speak over standard input and output (the only way; editors pass it).")
def lsp(stdio) -> None:
    """The language server, for editors: diagnostics as you type, hover, go to
    definition, references and rename, completion, test verdicts, quick fixes,
    colours and formatting (docs/editors.md)."""
    _require("pygls", "the language server needs pygls", "lsp")
    from rulelang.lsp.server import main as serve

    serve()


class _Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, a job scheduler's time limit), raised where the command is, so
    that it stops as on Ctrl-C: DuckDB's statement and Spark's job cancelled, the
    temporary files and folders of a run removed (Python's own way with SIGTERM ends
    the process with none of that)."""


def _terminated(signum, frame) -> None:
    raise _Terminated()


def main() -> None:
    """Entry point: click's own errors exit 2; a crash exits 70 with how to report it;
    Ctrl-C exits 1, SIGTERM 143 (both after the run has cleaned up)."""
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort as abort:
        terminated = isinstance(abort.__cause__, _Terminated)
        click.echo("terminated" if terminated else "aborted", err=True)
        sys.exit(EXIT_TERMINATED if terminated else EXIT_USER)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_USAGE if isinstance(error, click.UsageError) else error.exit_code)
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_OK)
    except Exception:  # noqa: BLE001 — the one place a bug becomes a report, not a traceback
        import traceback

        click.echo("internal error: rulelang crashed. This is a bug in rulelang, not in your rules "
                   f"or data.\nPlease report it at {REPORT_URL} with the command you ran and "
                   "this trace:\n", err=True)
        click.echo(traceback.format_exc(), err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
