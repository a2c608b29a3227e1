"""The command line: the only place that prints and picks exit codes.

Exit codes: 0 clean; 1 errors in the rules or invalid records or failing
tests; 2 usage; 70 an internal error (a bug in rulelang, never the user's).
Heavy modules (lark, pycountry, rich, dateutil) are imported inside commands.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys

import click

from rulelang.views.explain import format_trace

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70
REPORT_URL = "https://github.com/rulelang/rulelang/issues"


def _use_color(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _console():
    """A rich console: the terminal's width, or wide enough not to cut names in a file."""
    from rich.console import Console

    return Console() if _use_color(sys.stdout) else Console(width=160)


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
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value} is not a date as YYYY-MM-DD") from None


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
def check(paths, fmt) -> None:
    """Parse and type-check rule files."""
    from rulelang.diagnostics import Diagnostics
    from rulelang.pipeline import checked

    diags = Diagnostics()
    # each argument is its own program: two unrelated files may each declare an input
    programs = [checked(_refs([path]), diags) for path in paths]
    _print_diagnostics(diags, fmt)
    if fmt == "text":
        modules = len({m.key for p in programs if p for m in p.modules})
        status = "no errors" if not diags.has_errors else f"{len(diags.errors)} error(s)"
        click.echo(f"checked {modules} module(s): {status}", err=True)
    sys.exit(EXIT_USER if diags.has_errors else EXIT_OK)


def _load_or_exit(specs):
    """The typed core of the rules, or exit 1 with their diagnostics."""
    from rulelang.diagnostics import Diagnostics
    from rulelang.pipeline import build

    diags = Diagnostics()
    program = build(_refs(specs), diags)
    if program is None:
        _print_diagnostics(diags, "text")
        sys.exit(EXIT_USER)
    return program


@cli.command()
@click.argument("policy")
@click.argument("cases")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "json", "summary"]),
              default=None, help="table on a terminal, jsonl otherwise; summary: counts of "
              "outcomes per agreement only.")
@click.option("--as-of", callback=_parse_date, help="Evaluate as of this date (YYYY-MM-DD) "
              "instead of each case's claim date.")
@click.option("--assume", type=click.Choice(["in_force"]), help="Evaluate proposed or suspended "
              "instruments as if in force.")
@click.option("--explain", is_flag=True, help="Include each decision's trace, with citations.")
@click.option("--agreement", "agreements", multiple=True, help="Only this agreement (repeatable).")
@click.option("--input-format", type=click.Choice(["jsonl", "json", "csv"]), default=None,
              help="Format of CASES (default: from its extension; `-` reads JSONL from stdin).")
def run(policy, cases, fmt, as_of, assume, explain, agreements, input_format) -> None:
    """Evaluate every case in CASES against every agreement in POLICY."""
    from rulelang.api import Policy
    from rulelang.records import detect_format, open_input, read_records, validate

    program = _load_or_exit([policy])
    if program.input_type is None:
        raise click.UsageError(f"{policy} declares no `input` record to evaluate")
    chosen = _choose(program, agreements)
    fmt = fmt or ("table" if _use_color(sys.stdout) else "jsonl")
    try:
        stream = open_input(cases)
    except OSError as error:
        raise click.BadParameter(f"cannot read {cases}: {error.strerror}", param_hint="CASES")
    policy_obj = Policy(program, [])
    writer = (_TableWriter(explain) if fmt == "table" else _SummaryWriter() if fmt == "summary"
              else _JsonWriter(fmt, explain))
    invalid = 0
    with stream, _progress(stream, cases) as advance:
        for raw in read_records(stream, input_format or detect_format(cases)):
            advance()
            checked = validate(raw, program.input_type)
            for warning in getattr(checked, "warnings", ()):
                click.echo(f"warning[RL0702]: record {checked.case} ({checked.position}): {warning}", err=True)
            if hasattr(checked, "value"):
                decisions = _decide(policy_obj, checked, as_of, assume, chosen, trace=explain)
                if not isinstance(decisions, list):
                    checked = decisions
            if not hasattr(checked, "value"):
                invalid += 1
                click.echo(f"error[{checked.code}]: {checked.describe()}", err=True)
                writer.error(checked)
                continue
            for decision in decisions:
                writer.decision(decision)
    writer.close()
    if invalid:
        click.echo(f"{invalid} record(s) could not be evaluated; see the errors above", err=True)
    sys.exit(EXIT_USER if invalid else EXIT_OK)


class _progress:
    """A progress bar on stderr for long inputs read from a file on a terminal."""

    MIN_BYTES = 1 << 20

    def __init__(self, stream, name: str) -> None:
        import os

        self.stream, self.bar, self.count = stream, None, 0
        try:
            size = os.fstat(stream.fileno()).st_size
        except (OSError, AttributeError, ValueError):
            size = 0
        if size >= self.MIN_BYTES and _use_color(sys.stderr) and name != "-":
            from rich.progress import Progress

            self.bar = Progress(transient=True, console=None, redirect_stdout=False)
            self.task = self.bar.add_task(f"deciding {name}", total=size)

    def __enter__(self):
        if self.bar is None:
            return lambda: None
        self.bar.start()

        def advance() -> None:
            self.count += 1
            if self.count % 500 == 0:
                self.bar.update(self.task, completed=self.stream.tell())
        return advance

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _choose(program, names):
    if not names:
        return [a.name for a in program.agreements]
    known = [a.name for a in program.agreements]
    for name in names:
        if name not in known:
            raise click.BadParameter(f"no agreement `{name}`; there are: {', '.join(known)}",
                                     param_hint="--agreement")
    return list(names)


def _decide(policy, checked, as_of, assume, chosen, trace: bool = True):
    from rulelang.errors import RuleEvaluationError
    from rulelang.records import InvalidRecord

    try:
        return policy._decide(checked.value, as_of, assume, chosen, trace=trace)
    except RuleEvaluationError as error:
        diagnostic = error.diagnostics[0] if error.diagnostics else None
        where = f" ({diagnostic.span.location()})" if diagnostic and diagnostic.span else ""
        return InvalidRecord(checked.case, checked.position, None, f"{error}{where}",
                             diagnostic.code if diagnostic else "RL0602")


class _JsonWriter:
    def __init__(self, fmt: str, explain: bool) -> None:
        self.fmt, self.explain, self.first = fmt, explain, True
        if fmt == "json":
            click.echo("[", nl=False)

    def _emit(self, obj: dict) -> None:
        try:
            self._write(json.dumps(obj, ensure_ascii=False))
        except UnicodeEncodeError:  # a lone surrogate (a "\ud800" escape) or a non-UTF-8 stdout
            self._write(json.dumps(obj))
        self.first = False

    def _write(self, text: str) -> None:
        # sys.stdout.write rather than click.echo: this runs once per decision
        if self.fmt == "json":
            sys.stdout.write(("\n" if self.first else ",\n") + text)
        else:
            sys.stdout.write(text + "\n")

    def decision(self, decision) -> None:
        self._emit(decision.to_json(trace=self.explain))

    def error(self, invalid) -> None:
        self._emit(invalid.to_json())

    def close(self) -> None:
        if self.fmt == "json":
            click.echo("\n]")


class _SummaryWriter:
    """How many cases each agreement would apply to, exempt, ...: the analyst's view."""

    OUTCOMES = ("applies", "exempt", "undetermined", "not_applicable", "not_in_force")

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}
        self.errors = 0

    def decision(self, d) -> None:
        row = self.counts.setdefault(d.agreement, dict.fromkeys(self.OUTCOMES, 0))
        row[d.outcome] += 1

    def error(self, invalid) -> None:
        self.errors += 1

    def close(self) -> None:
        from rich.table import Table

        table = Table(title="outcomes per agreement")
        table.add_column("agreement")
        for outcome in self.OUTCOMES:
            table.add_column(outcome, justify="right")
        for agreement, row in self.counts.items():
            table.add_row(agreement, *(f"{row[o]:,}" for o in self.OUTCOMES))
        console = _console()
        console.print(table)
        if self.errors:
            console.print(f"{self.errors:,} invalid record(s), not counted above")


class _TableWriter:
    """A readable table for a terminal, printed in blocks so long runs stream."""

    BLOCK = 40

    def __init__(self, explain: bool) -> None:
        self.console = _console()
        self.explain = explain
        self.rows: list = []
        self.counts: dict[str, int] = {}

    def decision(self, d) -> None:
        self.counts[d.outcome] = self.counts.get(d.outcome, 0) + 1
        detail = ", ".join(d.exceptions) or (("missing: " + ", ".join(d.missing)) if d.missing else "")
        if d.unestablished and d.outcome != "exempt":
            detail = (detail + "; " if detail else "") + "unproven: " + ", ".join(
                u.exception for u in d.unestablished)
        self.rows.append((d.case or "", d.agreement, d.status + (" (assumed in force)" if d.assumed else ""),
                          d.outcome, d.returns_to or "", detail))
        if self.explain:
            self._flush()
            self.console.print(_printable(format_trace(d)), highlight=False, markup=False)
        elif len(self.rows) >= self.BLOCK:
            self._flush()

    def error(self, invalid) -> None:
        self.counts["error"] = self.counts.get("error", 0) + 1
        field = f"{invalid.field}: " if invalid.field else ""
        self.rows.append((invalid.case, "—", "—", "error", "", field + invalid.message))

    def _flush(self) -> None:
        from rich.table import Table

        if not self.rows:
            return
        table = Table(show_lines=False)
        for column in ("case", "agreement", "status", "outcome", "returns to", "exceptions / facts"):
            table.add_column(column, overflow="fold")
        styles = {"applies": "bold red", "exempt": "green", "undetermined": "yellow", "error": "bold magenta"}
        for row in self.rows:
            table.add_row(*map(_printable, row), style=styles.get(row[3]))
        self.console.print(table)
        self.rows = []

    def close(self) -> None:
        self._flush()
        summary = ", ".join(f"{n} {o}" for o, n in sorted(self.counts.items()))
        self.console.print(f"decisions: {summary}" if summary else "no records", highlight=False)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only failures.")
def test(paths, verbose) -> None:
    """Run the `test` blocks of rule files."""
    from rulelang.diagnostics import render
    from rulelang.interpret import run_test

    programs = [_load_or_exit([path]) for path in paths]  # each argument is its own program
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


@cli.command()
@click.argument("policy")
@click.argument("case")
@click.option("--id", "case_id", help="Which record of CASE (default: the first).")
@click.option("--as-of", callback=_parse_date, help="Evaluate as of this date (YYYY-MM-DD).")
@click.option("--assume", type=click.Choice(["in_force"]))
@click.option("--agreement", "agreements", multiple=True, help="Only this agreement (repeatable).")
def explain(policy, case, case_id, as_of, assume, agreements) -> None:
    """Explain one decision: each step, its value and its citation."""
    from rulelang.api import Policy
    from rulelang.records import detect_format, open_input, read_records, record_id, validate

    program = _load_or_exit([policy])
    if program.input_type is None:
        raise click.UsageError(f"{policy} declares no `input` record to evaluate")
    chosen = _choose(program, agreements)
    try:
        stream = open_input(case)
    except OSError as error:
        raise click.BadParameter(f"cannot read {case}: {error.strerror}", param_hint="CASE")
    with stream:
        raw = next((r for r in read_records(stream, detect_format(case))
                    if case_id is None or record_id(r) == case_id), None)
    if raw is None:
        raise click.BadParameter(f"no record {case_id!r} in {case}" if case_id else f"{case} is empty",
                                 param_hint="CASE")
    checked = validate(raw, program.input_type)
    if not hasattr(checked, "value"):
        click.echo(f"error[{checked.code}]: {checked.describe()}", err=True)
        sys.exit(EXIT_USER)
    decisions = _decide(Policy(program, []), checked, as_of, assume, chosen)
    if not isinstance(decisions, list):
        click.echo(f"error[{decisions.code}]: {decisions.describe()}", err=True)
        sys.exit(EXIT_USER)
    click.echo(_printable("\n\n".join(format_trace(d) for d in decisions)))


def _printable(text: str) -> str:
    """A lone surrogate (from a JSON "\\ud800" escape in a record) cannot be written out."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@cli.command(name="list")
@click.argument("paths", nargs=-1)
@click.option("--on", "on", callback=_parse_date, help="Status on this date (default: today).")
def list_(paths, on) -> None:
    """The agreements and programmes found, with their status today."""
    from rich.table import Table

    program = _load_or_exit(paths or ["stdlib:all"])
    on = on or _dt.date.today()
    table = Table(title=f"status on {on.isoformat()}")
    for column in ("name", "kind", "status", "parties", "title"):
        table.add_column(column, overflow="fold")
    for info in program.agreements:
        table.add_row(info.name, info.kind, info.timeline.status_on(on), ", ".join(info.parties),
                      info.title or "")
    _console().print(table)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", type=click.Path(file_okay=False), required=True,
              help="Directory for the Markdown pages (one per agreement).")
def doc(paths, out) -> None:
    """Write a Markdown page for each agreement, generated from its rules."""
    from pathlib import Path

    from rulelang.docgen import agreement_page

    program = _load_or_exit(paths)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for info in program.agreements:
        (folder / f"{info.name}.md").write_text(agreement_page(info), encoding="utf-8")
        click.echo(f"wrote {folder / (info.name + '.md')}")


def main() -> None:
    """Entry point: click's own errors exit 2; a crash exits 70 with how to report it."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_USER)
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
