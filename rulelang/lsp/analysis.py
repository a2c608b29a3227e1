"""One rule file as an editor holds it, checked: its AST, its checked program and
the diagnostics to show in it.

`analyse` runs the pipeline's own passes (pipeline.checked_modules), on the
editor's text rather than the file's, with the other open files' texts standing
in for theirs, so what an editor shows is what `rulelang check` would print once
everything is saved. Nothing here speaks the protocol (server.py does).
"""

from __future__ import annotations

import logging
from pathlib import Path

import attrs

from rulelang.diagnostics import Diagnostic, Diagnostics, Label, Severity
from rulelang.pipeline import checked_modules, solver_warnings
from rulelang.semantics import program as P
from rulelang.semantics.resolve import LoadedModule, ModuleRef, all_modules
from rulelang.span import Source, Span
from rulelang.syntax import ast

_LOG = logging.getLogger(__name__)


@attrs.frozen(eq=False)
class Analysis:
    source: Source
    module: ast.Module | None          # None when the text does not parse
    program: P.Program | None          # None when it, or a module it imports, does not load
    diagnostics: tuple[Diagnostic, ...]  # to show in this file (see `_shown_here`)
    files: frozenset[str]              # resolved paths of every file it read
    modules: tuple[LoadedModule, ...]  # every module it loaded, the document's first

    def module_of(self, source: Source) -> LoadedModule | None:
        return next((m for m in self.modules if m.source is source), None)

    def imports(self) -> list[tuple[ast.Import, LoadedModule]]:
        """The file's `import`s that were found, each with the module it reads."""
        if not self.modules:
            return []
        own = self.modules[0]
        return list(zip(own.import_decls, own.imports))

    def import_at(self, offset: int) -> tuple[ast.Import, LoadedModule] | None:
        return next(((decl, module) for decl, module in self.imports()
                     if decl.span.start <= offset <= decl.span.end), None)


def analyse(text: str, name: str, path: Path | None = None,
            open_texts: dict[str, str] | None = None) -> Analysis:
    """Check `text`, the content of the file at `path` (None: a buffer never saved)."""
    diags = Diagnostics()
    try:
        roots, program = checked_modules([ModuleRef(path=path, text=text, name=name)], diags,
                                         open_texts=open_texts)
    except Exception as error:  # noqa: BLE001 - rulelang's bug must not stop the editor's server
        return _internal_error(text, name, error)
    root = roots[0]
    modules = tuple(all_modules(roots)[::-1])  # the document first, then what it imports
    files = frozenset(m.key for m in modules if not m.key.startswith("<"))
    return Analysis(source=root.source, module=root.module, program=program,
                    diagnostics=tuple(_shown_here(list(diags), root)), files=files,
                    modules=modules)


def deepened(analysis: Analysis) -> Analysis:
    """The analysis with the deep check's warnings (docs/analysis.md) added, when the
    file has no error and the z3 solver is installed; else as it was."""
    if analysis.program is None or any(d.is_error for d in analysis.diagnostics):
        return analysis
    try:
        found = solver_warnings(analysis.program, Diagnostics())
    except ImportError:  # the [analysis] extra is not installed
        return analysis
    except Exception:  # noqa: BLE001 - the solver's or rulelang's bug: the file keeps its check
        _LOG.exception("the deep check of %s failed", analysis.source.name)
        return analysis
    own = [d for d in found if d.span is not None and d.span.source is analysis.source]
    return attrs.evolve(analysis, diagnostics=analysis.diagnostics + tuple(own))


def _internal_error(text: str, name: str, error: Exception) -> Analysis:
    source = Source(name, text)
    diagnostic = Diagnostic(
        "RL0999", Severity.ERROR, f"rulelang failed to check this file: {type(error).__name__}: "
        f"{error}", Span(source, 0, 0),
        help="this is rulelang's bug, not yours: please report it with the file")
    return Analysis(source=source, module=None, program=None, diagnostics=(diagnostic,),
                    files=frozenset(), modules=())


def _shown_here(diagnostics: list[Diagnostic], root: LoadedModule) -> list[Diagnostic]:
    """The diagnostics as this file shows them: its own where they are; one in a
    module it imports on the `import` that leads there (pointing at the place);
    one with no place at the top of the file."""
    shown = []
    for diagnostic in diagnostics:
        span = diagnostic.span
        if span is not None and span.source is root.source:
            shown.append(diagnostic)
            continue
        via = _import_leading_to(root, span.source) if span is not None else None
        where = via.span if via is not None else Span(root.source, 0, 0)
        prefix = f"in `{span.source.name}`: " if span is not None else ""
        labels = (Label(span, "here"),) if span is not None else ()
        shown.append(attrs.evolve(diagnostic, message=prefix + diagnostic.message, span=where,
                                  labels=labels + diagnostic.labels, fix=None))
    return shown


def _import_leading_to(root: LoadedModule, source: Source) -> ast.Import | None:
    for imported, decl in zip(root.imports, root.import_decls):
        if any(m.source is source for m in all_modules([imported])):
            return decl
    return None
