"""Uses of a declaration across the rule files of a workspace.

A file that imports another can use its declarations, and an editor has only
some files open, so the uses of a record field or an agreement's exception are
found by analysing every rule file of the workspace that reads the declaring
file (a cheap test first: the name must occur in its text). Targets are compared
within one analysis, so a declaration is carried from one to the next by where
it is written: its file and the offset of its name.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from rulelang.lsp import places
from rulelang.lsp.analysis import Analysis, analyse
from rulelang.resources import stdlib_dir
from rulelang.span import Span
from rulelang.semantics.resolve import EXTENSION
from rulelang.syntax import ast

MAX_FILES = 2000  # rule files looked at under the workspace's folders; past it, uses may be missed
_NOT_WALKED = {"node_modules", "__pycache__", "site-packages", "venv", "dist", "build"}


@attrs.frozen
class Use:
    path: str  # resolved path of the file, or the document's name when it has none
    span: Span


def rule_files(folders: list[Path]) -> list[Path]:
    """The `.rules` files under the folders: hidden folders, virtual environments and
    the shipped rules are not walked into, and the walk stops at MAX_FILES."""
    stdlib = stdlib_dir().resolve()
    found: dict[str, Path] = {}
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _NOT_WALKED
                             and not (Path(root) / d).resolve().is_relative_to(stdlib))
            for name in sorted(n for n in names if n.endswith(EXTENSION)):
                resolved = (Path(root) / name).resolve()
                found.setdefault(str(resolved), resolved)
                if len(found) >= MAX_FILES:
                    return list(found.values())
    return list(found.values())


def uses(analysis: Analysis, target, files: list[Path], texts: dict[str, str],
         unchecked: list[str] | None = None) -> list[Use]:
    """Every place that names `target` (a target of `analysis`): in the files
    `analysis` read, and in those of `files` that read its declaring file. A file
    that mentions the name but cannot be checked now (it is being typed) is left
    out, and listed in `unchecked` when a list is given."""
    program = analysis.program
    found = {(path_of(analysis, span), span.start): Use(path_of(analysis, span), span)
             for span in places.references(program, target,
                                           [m.module for m in analysis.modules if m.module])}
    declared = places.definition(program, target)
    if declared is None or isinstance(target, ast.Ident):
        return list(found.values())  # a local is used in its own definition only
    declared_in = path_of(analysis, declared)
    for path in files:
        key = str(path)
        if key in analysis.files:
            continue  # read by the analysis itself: its uses are counted
        text = text_of(path, texts)
        if text is None or declared.text not in text:
            continue
        other = analyse(text, key, path, texts)
        if other.program is None and unchecked is not None:
            unchecked.append(key)
        if other.program is None or declared_in not in other.files:
            continue
        module = next((m.module for m in other.modules if m.key == declared_in), None)
        place = places.place_at(other.program, module, declared.start) if module else None
        if place is None or place.target is None:
            continue
        for span in places.references(other.program, place.target, [other.module]):
            found.setdefault((key, span.start), Use(key, span))
    return list(found.values())


def text_of(path: Path, texts: dict[str, str]) -> str | None:
    """A file's text as the editor holds it if it is open, else as it is on disk
    (None when it cannot be read)."""
    if str(path) in texts:
        return texts[str(path)]
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, ValueError):
        return None


def path_of(analysis: Analysis, span: Span) -> str:
    loaded = analysis.module_of(span.source)
    return loaded.key if loaded is not None else span.source.name
