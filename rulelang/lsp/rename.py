"""Renaming a declaration everywhere it is used, refused unless the rules mean
after it what they meant before.

A new name can change meaning without any error: a file's own declaration
hides an imported one, a constant wins over an enum member of the same name, an
inner `let` hides an outer name. So a rename is planned, then the files it edits
(and the files that mention the new name and read an edited file) are checked
again as they would be, and every place written with the old or the new name
must still denote what it denoted (the renamed declaration, for the places
renamed), and no file may gain an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from rulelang.lsp import places
from rulelang.lsp.analysis import Analysis, analyse
from rulelang.lsp.workspace import path_of, text_of, uses
from rulelang.resources import stdlib_dir
from rulelang.span import Span
from rulelang.syntax.parse import keywords

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

Edits = dict[str, list[tuple[Span, str]]]  # file key -> (span of its text, new text)


class RenameRefused(Exception):
    """Why a rename cannot be done (shown to the user as it is)."""


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


def plan(analysis: Analysis, target, new_name: str, files: list[Path],
         texts: dict[str, str]) -> Edits:
    """The edits that rename `target` to `new_name` in every file that uses it, or
    RenameRefused saying why not. `files`: the workspace's rule files; `texts`: the
    open files' texts by resolved path."""
    check_new_name(new_name)
    declared = renameable(analysis, target)
    if declared is None:
        raise RenameRefused("this name is not one of your rule files' to rename")
    old_name = declared.text
    if new_name == old_name:
        return {}
    unchecked: list[str] = []
    found = uses(analysis, target, files, texts, unchecked)
    if unchecked:
        raise RenameRefused(f"`{unchecked[0]}` mentions `{old_name}` but does not check now, so a "
                            "use there could be missed: fix it first")
    edits: Edits = {}
    for use in found:
        edits.setdefault(use.path, []).append((use.span, new_name))
    _check_meaning_kept(edits, (path_of(analysis, declared), declared.start), old_name, new_name,
                        files, texts)
    return edits


def renamed_texts(edits: Edits) -> dict[str, str]:
    """Each file's text with its edits made (spans of that text, not overlapping)."""
    texts = {}
    for path, changes in edits.items():
        text = changes[0][0].source.text
        for span, new in sorted(changes, key=lambda change: change[0].start, reverse=True):
            text = text[:span.start] + new + text[span.end:]
        texts[path] = text
    return texts


def _check_meaning_kept(edits: Edits, declared_at: tuple[str, int], old_name: str, new_name: str,
                        files: list[Path], texts: dict[str, str]) -> None:
    before = {path: changes[0][0].source.text for path, changes in edits.items()}
    after = renamed_texts(edits)
    watched = dict(before)
    for path in files:  # files that may now see two declarations of the new name, or a new one
        key = str(path)
        if key not in watched:
            text = text_of(path, texts)
            if text is not None and new_name in text:
                watched[key] = text

    def moved(key: str, offset: int) -> int:
        return offset + sum(len(new) - (span.end - span.start) for span, new in edits.get(key, ())
                            if span.end <= offset)

    renamed_declaration = (declared_at[0], moved(*declared_at))
    renamed_places = {(key, moved(key, span.start)) for key, changes in edits.items()
                      for span, _ in changes}
    for key, text in watched.items():
        old = _analysed(key, text, texts)
        new = _analysed(key, after.get(key, text), {**texts, **after})
        if old.program is None:
            continue  # a file that does not check now and does not use the old name
        if new.program is None:
            raise RenameRefused(f"renaming to `{new_name}` would leave `{_shown(key)}` unable to be checked")
        had = {(d.code, d.message) for d in old.diagnostics if d.is_error}
        gained = [d for d in new.diagnostics if d.is_error and (d.code, d.message) not in had]
        if gained:
            raise RenameRefused(f"renaming to `{new_name}` would make an error in `{_shown(key)}`: "
                                f"{gained[0].code} {gained[0].message}")
        now = {span.start: _where(new, t, lambda key, offset: offset)
               for span, t in places.named_places(new.program, new.module, {old_name, new_name})}
        for span, t in places.named_places(old.program, old.module, {old_name, new_name}):
            offset = moved(key, span.start)
            expected = renamed_declaration if (key, offset) in renamed_places else _where(old, t, moved)
            if now.get(offset) != expected:
                line = span.source.line_col(span.start)[0]
                raise RenameRefused(f"renaming to `{new_name}` would change what `{span.text}` means "
                                    f"at {_shown(key)}:{line}")


def _where(analysis: Analysis, target, moved) -> object:
    """Where a target is declared, as (file, offset) after the edits; a target with no
    declaration (a country, a built-in, a decision's field) stands for itself."""
    declared = places.definition(analysis.program, target)
    if declared is None:
        return target
    key = path_of(analysis, declared)
    return (key, moved(key, declared.start))


def _analysed(key: str, text: str, texts: dict[str, str]) -> Analysis:
    if key.startswith("<"):  # a buffer never saved: analysed under its URI, as the server does
        return analyse(text, key[1:-1], None, texts)
    return analyse(text, key, Path(key), texts)


def _shown(key: str) -> str:
    return key[1:-1] if key.startswith("<") else Path(key).name
