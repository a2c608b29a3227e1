"""The outline of a rule file: its declarations, and inside them what has a name
(an enum's members, a record's fields, an agreement's and a rule's exceptions).
Read from the AST alone, so a file with type errors still has its outline."""

from __future__ import annotations

import attrs

from rulelang.span import Span
from rulelang.syntax import ast


@attrs.frozen
class Symbol:
    name: str
    kind: str        # one of SymbolKind's names in the protocol: "Enum", "Function", ...
    span: Span       # the whole declaration
    name_span: Span  # what to select: its name
    detail: str = ""
    children: tuple["Symbol", ...] = ()


def outline(module: ast.Module) -> list[Symbol]:
    return [symbol for decl in module.decls for symbol in _symbols(decl)]


def _symbols(decl) -> list[Symbol]:
    if isinstance(decl, ast.EnumDecl):
        members = tuple(Symbol(m.name, "EnumMember", m.span, m.span) for m in decl.members)
        return [_named(decl, "Enum", "enum", members)]
    if isinstance(decl, ast.RecordDecl):
        fields = tuple(Symbol(f.name.name, "Field", f.span, f.name.span, f.type.span.text)
                       for f in decl.fields)
        return [_named(decl, "Struct", "record", fields)]
    if isinstance(decl, ast.InputDecl):
        return [_named(decl, "Variable", "input " + decl.type.span.text)]
    if isinstance(decl, ast.ConstDecl):
        return [_named(decl, "Constant", "const")]
    if isinstance(decl, ast.DefDecl):
        return [_named(decl, "Function", "def " + decl.return_type.span.text)]
    if isinstance(decl, ast.RuleDecl):
        exceptions = tuple(Symbol(e.name.name, "Event", e.span, e.name.span, "exception")
                           for e in decl.exceptions)
        return [_named(decl, "Property", "rule " + decl.type.span.text, exceptions)]
    if isinstance(decl, ast.AgreementDecl):
        exceptions = tuple(Symbol(e.name.name, "Event", e.span, e.name.span, e.title or "exception")
                           for e in decl.of_type(ast.AgreementException))
        return [_named(decl, "Namespace", decl.title or decl.kind, exceptions)]
    if isinstance(decl, ast.TestDecl):
        return [Symbol(decl.name, "Method", decl.span, decl.span, "test")]
    return []  # an import names no symbol of its own


def _named(decl, kind: str, detail: str, children: tuple = ()) -> Symbol:
    return Symbol(decl.name.name, kind, decl.span, decl.name.span, detail, children)
