"""Imports: find, read and parse every module a program needs, once each.

Entry point: `load_modules(roots, diags) -> list[LoadedModule]` (the roots,
each with its imports linked). Reports missing imports, unreadable files and
import cycles; names are resolved later, by the checker, per module scope.
"""

from __future__ import annotations

import functools
from pathlib import Path

import attrs

from rulelang.diagnostics import Diagnostics
from rulelang.resources import stdlib_dir
from rulelang.span import Source, Span
from rulelang.syntax import ast
from rulelang.syntax.parse import parse

STDLIB_PREFIX = "stdlib:"
EXTENSION = ".rules"
MAX_IMPORT_DEPTH = 32


@attrs.define(eq=False)
class LoadedModule:
    key: str                      # canonical identity: a resolved path, or "<string>"
    source: Source
    module: ast.Module | None     # None when the file has syntax errors
    directory: Path | None        # where its own relative imports are looked up
    imports: list["LoadedModule"] = attrs.Factory(list)
    import_decls: list[ast.Import] = attrs.Factory(list)  # the `import` behind each of imports

    @property
    def name(self) -> str:
        return self.source.name


@attrs.define
class ModuleRef:
    """What the user named on the command line or in `rulelang.load`. With both
    `text` and `path`, the text is that file's (an editor's unsaved buffer): it is
    read instead of the file, and imports are looked up beside the file."""
    path: Path | None = None
    text: str | None = None
    name: str = "<string>"


def stdlib_path(name: str) -> Path:
    return stdlib_dir() / (name if name.endswith(EXTENSION) else name + EXTENSION)


def stdlib_names() -> list[str]:
    return sorted(p.stem for p in stdlib_dir().glob("*" + EXTENSION))


def display_name(path: Path) -> str:
    """stdlib files are shown as `stdlib/NAME.rules`, others as given."""
    try:
        return "stdlib/" + str(path.resolve().relative_to(stdlib_dir().resolve()))
    except ValueError:
        return str(path)


def read_source(path: Path, diags: Diagnostics, name: str | None = None,
                via: Span | None = None) -> Source | None:
    """The file's text, or None with RL0004 (on `via`, the `import` that reads it)."""
    try:
        data = path.read_bytes()
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the name
        diags.error("RL0004", f"cannot read `{name or path}`: {getattr(error, 'strerror', None) or error}",
                    via)
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        diags.error("RL0004", f"`{name or path}` is not UTF-8 text (bad byte at offset {error.start})",
                    via, help="save the rule file as UTF-8")
        return None
    return Source(name or display_name(path), text)


def _resolved(path: Path) -> Path | None:
    """The absolute path, or None for a name the OS refuses (a NUL byte, too long)."""
    try:
        return path.resolve()
    except (OSError, ValueError):
        return None


class _Loader:
    def __init__(self, diags: Diagnostics, import_roots: list[Path],
                 open_texts: dict[str, str]) -> None:
        self.diags = diags
        self.open_texts = open_texts  # resolved path -> the text an editor holds for it
        self.loaded: dict[str, LoadedModule] = {}
        self.in_progress: list[str] = []
        # a rule file reads nothing but `.rules` files under these folders
        self.import_roots = [stdlib_dir().resolve()] + [
            root for root in map(_resolved, import_roots) if root is not None]

    def _allowed(self, path: Path) -> bool:
        resolved = _resolved(path)
        if resolved is None:
            return False
        return resolved.suffix == EXTENSION and any(
            resolved.is_relative_to(root) for root in self.import_roots)

    def load_path(self, path: Path, display: str | None = None,
                  via: Span | None = None) -> LoadedModule | None:
        try:
            key = str(path.resolve())
        except (OSError, ValueError):  # a NUL byte or a name too long: reported by read_source
            key = str(path)
        if key in self.loaded:
            return self.loaded[key]
        if key in self.open_texts:
            source = Source(display or display_name(path), self.open_texts[key])
        else:
            source = read_source(path, self.diags, display, via)
        if source is None:
            return None
        return self._load(key, source, path.resolve().parent)

    def load_text(self, text: str, name: str, path: Path | None = None) -> LoadedModule:
        resolved = _resolved(path) if path is not None else None
        if resolved is None:
            return self._load(f"<{name}>", Source(name, text), Path.cwd())
        return self._load(str(resolved), Source(name, text), resolved.parent)

    def _load(self, key: str, source: Source, directory: Path) -> LoadedModule:
        source, module, diagnostics = _parse_once(source.name, source.text)
        for diagnostic in diagnostics:
            self.diags.add(diagnostic)
        loaded = LoadedModule(key=key, source=source, module=module, directory=directory)
        self.loaded[key] = loaded
        if module is None:
            return loaded
        self.in_progress.append(key)
        for decl in module.decls:
            if isinstance(decl, ast.Import):
                target = self._import(loaded, decl)
                if target is not None:
                    loaded.imports.append(target)
                    loaded.import_decls.append(decl)
        self.in_progress.pop()
        return loaded

    def _import(self, importer: LoadedModule, decl: ast.Import) -> LoadedModule | None:
        path = self._find(importer, decl)
        if path is None:
            return None
        key = str(path.resolve())
        if key in self.in_progress:
            chain = self.in_progress[self.in_progress.index(key):] + [key]
            names = " → ".join(Path(k).name for k in chain)
            self.diags.error("RL0104", f"import cycle: {names}", decl.span,
                             help="move the shared definitions into a module both can import")
            return None
        if len(self.in_progress) >= MAX_IMPORT_DEPTH:
            self.diags.error("RL0104", f"imports nested deeper than {MAX_IMPORT_DEPTH} modules",
                             decl.span)
            return None
        return self.load_path(path, via=decl.span)

    def _find(self, importer: LoadedModule, decl: ast.Import) -> Path | None:
        target = decl.target
        candidates: list[Path] = []
        if target.startswith(STDLIB_PREFIX):
            candidates.append(stdlib_path(target[len(STDLIB_PREFIX):]))
        elif decl.is_path:
            candidates.append((importer.directory or Path.cwd()) / target)
        else:
            if importer.directory is not None:
                candidates.append(importer.directory / (target + EXTENSION))
            candidates.append(stdlib_path(target))
        allowed = [c for c in candidates if self._allowed(c)]
        for candidate in allowed:
            if candidate.is_file():
                return candidate
        if not allowed:
            self.diags.error(
                "RL0103", f"`{target}` is outside the folders rule files may import from",
                decl.span, help="imports are `.rules` files beside the importing file or below "
                "it, or `stdlib:NAME`; embedders can allow more folders with `import_roots`")
            return None
        shown = ", ".join(str(c) for c in allowed)
        self.diags.error("RL0103", f"cannot find module `{target}`", decl.span,
                         help=f"looked for {shown}")
        return None


@functools.lru_cache(maxsize=128)
def _parse_once(name: str, text: str) -> tuple[Source, ast.Module | None, tuple]:
    """A file's Source, AST and syntax diagnostics, parsed once per process: the stdlib's
    common module is imported by every shipped agreement, and tools (the language
    server, the tests) load the same files again and again. ASTs are immutable and
    compared by identity, so programs may share them."""
    source = Source(name, text)
    diags = Diagnostics()
    module = parse(source, diags)
    return source, module, tuple(diags)


def load_modules(refs: list[ModuleRef], diags: Diagnostics,
                 import_roots: list[Path] | None = None,
                 open_texts: dict[str, str] | None = None) -> list[LoadedModule]:
    """Load the given root modules and everything they import. Imports may read
    `.rules` files under the stdlib, the folder of each root file, and
    `import_roots` (rule text given as a string gets only what is listed).
    `open_texts` (resolved path -> text) stands in for files as an editor holds them."""
    folders = list(import_roots or [])
    folders += [ref.path.parent for ref in refs if ref.path is not None]
    loader = _Loader(diags, folders, open_texts or {})
    roots = []
    for ref in refs:
        if ref.text is not None:
            roots.append(loader.load_text(ref.text, ref.name, ref.path))
        elif ref.path is not None:
            module = loader.load_path(ref.path, None if ref.name == "<string>" else ref.name)
            if module is not None:
                roots.append(module)
    return roots


def all_modules(roots: list[LoadedModule]) -> list[LoadedModule]:
    """Every module reachable from the roots, imports before importers."""
    order: list[LoadedModule] = []
    seen: set[str] = set()

    def visit(module: LoadedModule) -> None:
        if module.key in seen:
            return
        seen.add(module.key)
        for imported in module.imports:
            visit(imported)
        order.append(module)

    for root in roots:
        visit(root)
    return order
