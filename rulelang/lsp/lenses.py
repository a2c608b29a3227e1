"""The file's `test` blocks run as `rulelang test` runs them (the reference
interpreter, on the typed core), their verdicts shown above each test and each
failing `expect`: an author sees at once which example of the primary text the
rules no longer meet, and why."""

from __future__ import annotations

import attrs

from rulelang.diagnostics import Diagnostics
from rulelang.interpret import run_test
from rulelang.lsp.analysis import Analysis
from rulelang.pipeline import lowered
from rulelang.span import Span

MAX_TITLE = 120


@attrs.frozen
class Lens:
    span: Span
    title: str
    passed: bool


def verdicts(analysis: Analysis) -> list[Lens]:
    """A lens per test of the file (and per failing expectation); none while the file
    has errors, as `rulelang test` runs nothing then."""
    program = analysis.program
    if program is None or any(d.is_error for d in analysis.diagnostics) or not program.tests:
        return []
    core = lowered(program, Diagnostics())
    if core is None:
        return []
    lenses = []
    for test in core.tests:
        if test.span.source is not analysis.source:
            continue
        result = run_test(core, test)
        if result.passed:
            lenses.append(Lens(test.span, "✓ passes", True))
            continue
        if result.error is not None:
            lenses.append(Lens(test.span, _short(f"✗ error: {result.error.diagnostic.message}"), False))
        else:
            lenses.append(Lens(test.span, f"✗ fails: {len(result.failures)} of "
                                          f"{len(test.expects)} expectation(s) not met", False))
        lenses += [Lens(failure.span, _short(f"✗ {failure.message}"), False)
                   for failure in result.failures]
    return lenses


def _short(text: str) -> str:
    return text if len(text) <= MAX_TITLE else text[:MAX_TITLE - 1] + "…"
