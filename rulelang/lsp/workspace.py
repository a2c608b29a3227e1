"""Uses of a declaration across the rule files of a workspace, and renaming it.

A file that imports another can use its declarations, and an editor has only
some files open, so the uses of a record field or an agreement's exception are
found by analysing every rule file of the workspace that reads the declaring
file (a cheap test first: the name must occur in its text). Targets are compared
within one analysis, so a declaration is carried from one to the next by where
it is written: its file and the offset of its name.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from rulelang.lsp import places
from rulelang.lsp.analysis import Analysis, analyse
from rulelang.resources import stdlib_dir
from rulelang.span import Span
from rulelang.syntax import ast
from rulelang.syntax.parse import keywords

MAX_FILES = 2000  # rule files looked at under the workspace's folders; past it, uses may be missed
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@attrs.frozen
class Use:
    path: str  # resolved path of the file, or the document's name when it has none
    span: Span


class RenameRefused(Exception):
    """Why a rename cannot be done (shown to the user as it is)."""


def rule_files(folders: list[Path]) -> list[Path]:
    """The `.rules` files under the folders (hidden folders and the shipped rules aside)."""
    stdlib = stdlib_dir().resolve()
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.rules")):
            if len(found) >= MAX_FILES:
                return list(found.values())
            parts = path.relative_to(folder).parts
            resolved = path.resolve()
            if any(p.startswith(".") for p in parts) or resolved.is_relative_to(stdlib):
                continue
            found.setdefault(str(resolved), resolved)
    return list(found.values())


def uses(analysis: Analysis, target, files: list[Path], texts: dict[str, str]) -> list[Use]:
    """Every place that names `target` (a target of `analysis`): in the files
    `analysis` read, and in those of `files` that read its declaring file."""
    program = analysis.program
    found = {(_path_of(analysis, span), span.start): Use(_path_of(analysis, span), span)
             for span in places.references(program, target,
                                           [m.module for m in analysis.modules if m.module])}
    declared = places.definition(program, target)
    if declared is None or isinstance(target, ast.Ident):
        return list(found.values())  # a local is used in its own definition only
    declared_in = _path_of(analysis, declared)
    for path in files:
        key = str(path)
        if key in analysis.files:
            continue  # read by the analysis itself: its uses are counted
        text = texts.get(key)
        if text is None:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, ValueError):
                continue
        if declared.text not in text:
            continue
        other = analyse(text, key, path, texts)
        if other.program is None or declared_in not in other.files:
            continue
        module = next((m.module for m in other.modules if m.key == declared_in), None)
        place = places.place_at(other.program, module, declared.start) if module else None
        if place is None or place.target is None:
            continue
        for span in places.references(other.program, place.target, [other.module]):
            found.setdefault((key, span.start), Use(key, span))
    return list(found.values())


def _path_of(analysis: Analysis, span: Span) -> str:
    loaded = analysis.module_of(span.source)
    return loaded.key if loaded is not None else span.source.name


def renameable(analysis: Analysis, target) -> Span | None:
    """Where the target is declared, when renaming it is up to the user: declared in
    one of their files (not a shipped one), and a name they wrote (not a country, a
    built-in, a decision's field or a status)."""
    if target is None or isinstance(target, (places.Country, places.Builtin, places.DecisionField)):
        return None
    if isinstance(target, places.Member) and target.enum is None:
        return None
    declared = places.definition(analysis.program, target)
    if declared is None:
        return None
    loaded = analysis.module_of(declared.source)
    if loaded is None:
        return None
    if loaded.key.startswith("<"):  # a buffer never saved: only its own declarations
        return declared if loaded is analysis.modules[0] else None
    return None if Path(loaded.key).is_relative_to(stdlib_dir().resolve()) else declared


def check_new_name(name: str) -> None:
    if not _NAME.match(name):
        raise RenameRefused(f"`{name}` is not a name: letters, digits and `_`, not starting "
                            "with a digit")
    if name in keywords():
        raise RenameRefused(f"`{name}` is a keyword of the language")


def renamed_texts(edits: dict[str, list[tuple[Span, str]]]) -> dict[str, str]:
    """Each file's text with its edits made (spans of that text, not overlapping)."""
    texts = {}
    for path, changes in edits.items():
        text = changes[0][0].source.text
        for span, new in sorted(changes, key=lambda change: change[0].start, reverse=True):
            text = text[:span.start] + new + text[span.end:]
        texts[path] = text
    return texts


def errors_in(changed: dict[str, str], texts: dict[str, str]) -> list:
    """The errors the files would have with these texts (each reading the others'),
    as (code, message) pairs. Keys are resolved paths, or `<name>` for a buffer."""
    overlay = {**texts, **changed}
    errors = []
    for key, text in changed.items():
        path = None if key.startswith("<") else Path(key)
        analysis = analyse(text, key[1:-1] if path is None else key, path, overlay)
        errors += [(d.code, d.message) for d in analysis.diagnostics if d.is_error]
    return errors


def rename_edits(found: list[Use], new_name: str, texts: dict[str, str]) -> dict[str, list]:
    """The edits of a rename: file -> [(span, new name)], refused when they would
    make the files read otherwise (an error they did not have: a clash of names)."""
    check_new_name(new_name)
    edits: dict[str, list] = {}
    for use in found:
        edits.setdefault(use.path, []).append((use.span, new_name))
    before = {path: changes[0][0].source.text for path, changes in edits.items()}
    had = set(errors_in(before, texts))
    new_errors = [e for e in errors_in(renamed_texts(edits), texts) if e not in had]
    if new_errors:
        code, message = new_errors[0]
        raise RenameRefused(f"renaming to `{new_name}` would make an error: {code} {message}")
    return edits
