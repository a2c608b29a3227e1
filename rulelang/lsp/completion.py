"""What may be written at the cursor: after `x.`, the fields (or members) of what
`x` is; elsewhere the words and names in reach.

The text being typed seldom parses (`person.` is not yet an expression), so
names and types come from the file's last analysis that checked, and only the
words before the cursor are read from the text as it is now.
"""

from __future__ import annotations

import re

import attrs

from rulelang import countries
from rulelang.lsp.analysis import Analysis
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.semantics.expressions import BUILTINS
from rulelang.syntax import ast
from rulelang.syntax.parse import keywords

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_CHAIN_BEFORE_DOT = re.compile(rf"({_NAME}(?:\s*\.\s*{_NAME})*)\s*\.\s*$")
_WORD_BEFORE = re.compile(rf"{_NAME}$")
_MAX_BACK = 400  # characters read back from the cursor for a chain `a.b.c.`
# a line that starts a declaration, and the name it declares (a test's is its title)
_DECLARATION = re.compile(r'^\s*(?:(?:rule|def|const|agreement|program)\s+([A-Za-z_]\w*)|test\s+"([^"]*)")',
                          re.MULTILINE)

_KIND_OF_DECL = {ast.EnumDecl: "Enum", ast.RecordDecl: "Struct", ast.InputDecl: "Variable",
                 ast.ConstDecl: "Constant", ast.DefDecl: "Function", ast.RuleDecl: "Property",
                 ast.AgreementDecl: "Module"}


@attrs.frozen
class Completion:
    label: str
    kind: str  # one of CompletionItemKind's names in the protocol
    detail: str = ""


def completions(analysis: Analysis, text: str, offset: int) -> list[Completion]:
    """`analysis`: the file's last analysis with a checked program."""
    if _in_comment_or_text(text, offset):
        return []
    before = text[max(0, offset - _MAX_BACK):offset]
    word = _WORD_BEFORE.search(before)
    start = len(before) - (len(word.group()) if word else 0)
    chain = _CHAIN_BEFORE_DOT.search(before[:start])
    program = analysis.program
    if program is None:
        return [Completion(k, "Keyword") for k in keywords()]
    if chain is not None:
        names = [n.strip() for n in chain.group(1).split(".")]
        return _after_dot(analysis, names, _enclosing(analysis, text, offset))
    typed = word.group() if word else ""
    return _in_reach(analysis, typed)


def _after_dot(analysis: Analysis, names: list[str], enclosing) -> list[Completion]:
    program = analysis.program
    decl = _visible(analysis).get(names[0])
    if isinstance(decl, ast.EnumDecl) and len(names) == 1:
        return [Completion(m.name, "EnumMember", decl.name.name) for m in decl.members]
    current = _type_of_name(program, decl, names[0], enclosing)
    for name in names[1:]:
        current = _fields(T.strip(current)).get(name) if current is not None else None
    fields = _fields(T.strip(current)) if current is not None else {}
    return [Completion(name, "Field", str(field_type)) for name, field_type in fields.items()]


def _fields(record_type) -> dict:
    if isinstance(record_type, T.RecordType):
        return record_type.fields
    if isinstance(record_type, T.DecisionType):
        return record_type.field_types()
    return {}


def _type_of_name(program: P.Program, decl, name: str, enclosing):
    if isinstance(decl, ast.InputDecl):
        return program.input_type
    if isinstance(decl, ast.AgreementDecl):
        info = program.agreement_infos.get(decl)
        return info.decision_type if info is not None else None
    if isinstance(decl, ast.ConstDecl):
        return program.types.get(decl.value)
    if isinstance(decl, ast.RuleDecl):
        info = program.rules.get(decl)
        return info.type if info is not None else None
    # a local of the declaration being written: the type the checker gave it, when
    # every local of that name there has the same type
    if enclosing is None:
        return None
    types = {str(ref.type): ref.type for ref in program.refs.values()
             if isinstance(ref, P.LocalRef) and ref.binding.name == name
             and enclosing.span.start <= ref.binding.span.start < enclosing.span.end}
    return next(iter(types.values())) if len(types) == 1 else None


def _enclosing(analysis: Analysis, text: str, offset: int):
    """The declaration of the last checked text that the cursor is in now, found by
    the name of the declaration that the text above the cursor last opens."""
    opened = None
    for opened in _DECLARATION.finditer(text, 0, offset):
        pass
    if opened is None or analysis.module is None:
        return None
    name = opened.group(1) or opened.group(2)
    return next((d for d in analysis.module.decls
                 if getattr(getattr(d, "name", None), "name", getattr(d, "name", None)) == name), None)


def _in_comment_or_text(text: str, offset: int) -> bool:
    """Whether the cursor is in a `#` comment or a "text" on its line."""
    line = text[text.rfind("\n", 0, offset) + 1:offset]
    quoted = escaped = False
    for char in line:
        if quoted:
            quoted = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            quoted = True
        elif char == "#":
            return True
    return quoted


def _in_reach(analysis: Analysis, typed: str) -> list[Completion]:
    found: dict[str, Completion] = {}
    for name, decl in _visible(analysis).items():
        found[name] = Completion(name, _KIND_OF_DECL.get(type(decl), "Text"),
                                 type(decl).__name__.removesuffix("Decl").lower())
        if isinstance(decl, ast.EnumDecl):
            for member in decl.members:
                found.setdefault(member.name, Completion(member.name, "EnumMember", name))
    for ref in analysis.program.refs.values():
        if isinstance(ref, P.LocalRef):
            found.setdefault(ref.binding.name, Completion(ref.binding.name, "Variable", str(ref.type)))
    for name in BUILTINS:
        found.setdefault(name, Completion(name, "Function", "built in"))
    for name in [*T.PRIMITIVES, "set", "list"]:
        found.setdefault(name, Completion(name, "Class", "type"))
    for word in keywords():
        found.setdefault(word, Completion(word, "Keyword"))
    if typed[:1].isupper():  # a country code: offered only once one is begun, they are many
        for code in sorted(countries.codes()):
            if code.startswith(typed):
                found.setdefault(code, Completion(code, "Constant", countries.name_of(code) or ""))
    return list(found.values())


@attrs.frozen
class Signature:
    label: str                      # `older_than(years: int): bool?`
    parameters: tuple[str, ...]     # `years: int`, each a substring of the label
    active: int                     # the parameter the cursor is in


def signature_at(analysis: Analysis, text: str, offset: int) -> Signature | None:
    """The function whose call the cursor is in (read back to its open bracket in the
    text as it is now), with the parameter being written."""
    if analysis.program is None or _in_comment_or_text(text, offset):
        return None
    depth, commas = 0, 0
    for index in range(offset - 1, max(-1, offset - _MAX_BACK * 4), -1):
        char = text[index]
        if char in ")]}":
            depth += 1
        elif char in "([{":
            if depth == 0:
                if char != "(":
                    return None
                name = _WORD_BEFORE.search(text[max(0, index - 200):index])
                decl = _visible(analysis).get(name.group()) if name else None
                if not isinstance(decl, ast.DefDecl) or decl not in analysis.program.signatures:
                    return None
                types, result = analysis.program.signatures[decl]
                parameters = tuple(f"{p.name.name}: {t}" for p, t in zip(decl.params, types))
                return Signature(f"{decl.name.name}({', '.join(parameters)}): {result}", parameters,
                                 min(commas, max(0, len(parameters) - 1)))
            depth -= 1
        elif char == "," and depth == 0:
            commas += 1
        elif char == "\n" and index > 0 and text[index - 1] == "\n":
            return None  # a blank line: not inside one call
    return None


def _visible(analysis: Analysis) -> dict:
    """The declarations a name in the file can mean: its own, then its imports'."""
    if not analysis.modules:
        return {}
    own = analysis.modules[0]
    visible: dict = {}
    for loaded in [own] + list(own.imports):
        for decl in loaded.module.decls if loaded.module is not None else ():
            name = getattr(decl, "name", None)
            if isinstance(name, ast.Ident):
                visible.setdefault(name.name, decl)
    return visible
