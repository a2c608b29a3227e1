"""The one module that knows the order of the passes and when to stop.

parse (inside resolve) → check → lower to the typed core; the backends and
tools read the core. Callers get a program and the diagnostics; nothing here
prints.
"""

from __future__ import annotations

from pathlib import Path

from rulelang.diagnostics import Diagnostics
from rulelang.semantics import resolve
from rulelang.semantics.program import Program

STDLIB_ALL = ("stdlib:all", "stdlib:", "stdlib:*")
LIBRARY_MODULES = {"common"}  # shared definitions, not agreements of their own


def module_refs(spec: str) -> list[resolve.ModuleRef]:
    """What a command-line argument names: a file, a directory of `.rules`
    files, `stdlib:NAME`, or `stdlib:all` (every shipped agreement)."""
    if spec in STDLIB_ALL:
        return [_stdlib_ref(n) for n in resolve.stdlib_names() if n not in LIBRARY_MODULES]
    if spec.startswith(resolve.STDLIB_PREFIX):
        return [_stdlib_ref(spec[len(resolve.STDLIB_PREFIX):])]
    path = Path(spec)
    try:
        is_dir = path.is_dir()
    except OSError:  # a name too long for the OS: reported when the file cannot be read
        is_dir = False
    if is_dir:
        return [resolve.ModuleRef(path=p, name=str(p)) for p in sorted(path.glob("*" + resolve.EXTENSION))
                if p.stem not in LIBRARY_MODULES or path.resolve() != resolve.stdlib_dir().resolve()]
    return [resolve.ModuleRef(path=path, name=spec)]


def users_of(spec: str) -> str:
    """Where the agreements that use a library module are: `stdlib:all` for a shipped
    one (stdlib:common), else the folder of the file."""
    if spec.startswith(resolve.STDLIB_PREFIX):
        return STDLIB_ALL[0]
    return str(Path(spec).parent)


def _stdlib_ref(name: str) -> resolve.ModuleRef:
    path = resolve.stdlib_path(name)
    return resolve.ModuleRef(path=path, name=resolve.display_name(path))


def checked(refs: list[resolve.ModuleRef], diags: Diagnostics,
            import_roots: list[Path] | None = None) -> Program | None:
    """Parse and check; None when a module does not parse (checking it would only
    cascade), else the checked Program, whose diagnostics may still hold errors."""
    return checked_modules(refs, diags, import_roots)[1]


def checked_modules(refs: list[resolve.ModuleRef], diags: Diagnostics,
                    import_roots: list[Path] | None = None,
                    open_texts: dict[str, str] | None = None
                    ) -> tuple[list[resolve.LoadedModule], Program | None]:
    """The loaded root modules (each with its AST, or None where it does not parse)
    and, as `checked` gives it, the checked Program. `open_texts` (resolved path ->
    text): files as an editor holds them, unsaved (the language server)."""
    from rulelang.semantics.check import check

    roots = resolve.load_modules(refs, diags, import_roots, open_texts)
    if diags.has_errors:
        return roots, None
    try:
        return roots, check(roots, diags)
    except RecursionError:  # the checker follows references between definitions recursively
        diags.error("RL0105", "definitions refer to one another too deeply to check",
                    help="shorten the chain of constants, rules or functions that use one another")
        return roots, None


def build(refs: list[resolve.ModuleRef], diags: Diagnostics,
          import_roots: list[Path] | None = None):
    """Parse, check and lower: the typed core (core/ir.py) the backends and tools
    read, or None when the rules have errors (the diagnostics say which)."""
    program = checked(refs, diags, import_roots)
    if program is None or diags.has_errors:
        return None
    return lowered(program, diags)


def deeply_checked(refs: list[resolve.ModuleRef], diags: Diagnostics,
                   import_roots: list[Path] | None = None) -> Program | None:
    """As `checked`, and when the rules have no error, the solver's warnings too
    (rulelang/analysis: agreements that can never apply, exceptions that can never
    hold or hold for everyone, exceptions that can conflict). Needs z3."""
    program = checked(refs, diags, import_roots)
    if program is None or diags.has_errors:
        return program
    for warning in solver_warnings(program, diags):
        diags.add(warning)
    return program


def solver_warnings(program: Program, diags: Diagnostics) -> list:
    """The deep check's warnings on a checked program without errors (lowered first;
    none when it cannot be). Needs z3 (ImportError otherwise)."""
    from rulelang.analysis import analyse

    core = lowered(program, diags)
    return analyse(core) if core is not None else []


def lowered(program: Program, diags: Diagnostics):
    """A checked program without errors lowered to the typed core, or None (the
    diagnostics say why)."""
    from rulelang.core.lower import lower

    try:
        return lower(program)
    except RecursionError:  # lowering follows definitions too
        diags.error("RL0105", "definitions refer to one another too deeply to compile",
                    help="shorten the chain of constants, rules or functions that use one another")
        return None
