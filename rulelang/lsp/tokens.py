"""Semantic highlighting: each token of the file with what it is, read from the
lexer (keywords, texts, numbers, dates, comments) and, for names, from what the
checker says they denote (places.py): an agreement, a rule, a field, an enum
member, an exception, a country, a local. Editors colour the file by it, with
no grammar of their own for the language."""

from __future__ import annotations

import attrs
from lark.exceptions import UnexpectedInput

from rulelang.lsp import places
from rulelang.lsp.analysis import Analysis
from rulelang.semantics.types import PRIMITIVES
from rulelang.syntax import ast
from rulelang.syntax.lexing import every_token, is_blank
from rulelang.syntax.parse import keywords

# the protocol's standard token types and modifiers, in the order of the legend
TYPES = ("namespace", "type", "struct", "enum", "enumMember", "event", "function", "variable",
         "parameter", "property", "keyword", "string", "number", "comment", "operator")
MODIFIERS = ("declaration", "readonly", "defaultLibrary")

_LEXICAL = {"STRING": "string", "INT": "number", "DECIMAL": "number", "DATE": "number",
            "COMMENT": "comment"}


@attrs.frozen
class Token:
    start: int
    end: int
    type: str
    modifiers: tuple[str, ...] = ()


def semantic_tokens(analysis: Analysis) -> list[Token]:
    """The file's tokens that have a colour, in order; none when it does not parse."""
    if analysis.module is None:
        return []
    try:
        lexed = every_token(analysis.source.text)
    except UnexpectedInput:  # it parsed, so it lexes; but never fail an editor's request
        return []
    words = set(keywords())
    found = []
    for token in lexed:
        if is_blank(token) or token.type == "_NL":
            continue
        start, end = token.start_pos, token.end_pos
        if token.type in _LEXICAL:
            found.append(Token(start, end, _LEXICAL[token.type]))
        elif token.type == "NAME":
            named = _name(analysis, start)
            if named is not None:
                found.append(Token(start, end, *named))
        elif token.value in words:
            found.append(Token(start, end, "keyword"))
    return found


def _name(analysis: Analysis, offset: int) -> tuple[str, tuple[str, ...]] | None:
    place = places.place_at(analysis.program, analysis.module, offset)
    if place is None:
        return None
    node, parent = place.path[-1], place.path[-2]
    if isinstance(node, ast.NamedType) and (node.name in PRIMITIVES or node.name in ("set", "list")):
        return "type", ("defaultLibrary",)
    target = place.target
    declaring = ("declaration",) if _declares(node, parent) else ()
    if isinstance(target, ast.AgreementDecl):
        return "namespace", declaring
    if isinstance(target, (ast.RuleDecl, ast.DefDecl)):
        return "function", declaring
    if isinstance(target, ast.ConstDecl):
        return "variable", declaring + ("readonly",)
    if isinstance(target, ast.InputDecl):
        return "variable", declaring
    if isinstance(target, ast.RecordDecl):
        return "struct", declaring
    if isinstance(target, ast.EnumDecl):
        return "enum", declaring
    if isinstance(target, ast.Ident):  # a local: a parameter, or a `let` or quantifier's
        kind = "parameter" if _is_parameter(analysis, target) else "variable"
        return kind, declaring
    if isinstance(target, (places.RecordField, places.DecisionField)):
        return "property", declaring
    if isinstance(target, places.Member):
        kind = "enumMember" if isinstance(target.enum, ast.EnumDecl) or target.enum is None else "event"
        return kind, declaring
    if isinstance(target, places.Country):
        return "enumMember", ("defaultLibrary",)
    if isinstance(target, places.Builtin):
        return "function", ("defaultLibrary",)
    return None


_NAMING = (ast.FieldDecl, ast.Param, ast.AgreementException, ast.RuleException) + places.DECLS_WITH_NAMES


def _declares(node, parent) -> bool:
    """Whether the name is where the thing is declared (not a use of it)."""
    if not isinstance(node, ast.Ident):
        return False
    if isinstance(parent, ast.EnumDecl):  # its name, or one of its members
        return True
    if isinstance(parent, (ast.Let, ast.Quantifier)):
        return parent.var is node
    return isinstance(parent, _NAMING) and parent.name is node


def _is_parameter(analysis: Analysis, binding) -> bool:
    return any(binding is param.name for decl in analysis.module.decls
               if isinstance(decl, ast.DefDecl) for param in decl.params)
