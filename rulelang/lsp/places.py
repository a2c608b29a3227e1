"""What a place in a rule file is: the questions an editor asks of a cursor.

Everything is read from the checker's side tables (`Program.refs`, `.types`,
`.rules`, `.signatures`, `.agreement_infos`): this module re-derives nothing the
checker knows, it only finds the node under the cursor and names what the checker
says that node denotes, as a *target*: one hashable value per thing a name can
mean (a declaration, a local's binding, an enum member, a record field, a type,
a country, a built-in), so a definition and all its uses compare equal.
"""

from __future__ import annotations

from typing import Iterator

import attrs

from rulelang import countries
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.span import Span
from rulelang.syntax import ast

DECLS_WITH_NAMES = (ast.EnumDecl, ast.RecordDecl, ast.InputDecl, ast.ConstDecl, ast.DefDecl,
                     ast.RuleDecl, ast.AgreementDecl)


@attrs.frozen
class Member:
    """An enum's member, or a named exception: an agreement's exceptions are the
    members of its decision's exception enum (`exceptions`, `unestablished`)."""
    enum: object  # the EnumDecl, AgreementDecl or RuleDecl; None for Status and Outcome
    name: str


@attrs.frozen
class RecordField:
    record: object  # the RecordDecl
    name: str


@attrs.frozen
class DecisionField:
    name: str


@attrs.frozen
class Country:
    code: str


@attrs.frozen
class Builtin:
    name: str


# A target is one of those, a declaration node (DECLS_WITH_NAMES), or the Ident that
# binds a local (a `let`, a parameter, a quantifier's variable).


@attrs.frozen
class Place:
    """The node under the cursor, its ancestors (outermost first), and what it means."""
    path: tuple
    target: object | None
    span: Span  # the text that names the target (or the innermost node)


def nodes_at(module: ast.Module, offset: int) -> tuple:
    """The nodes whose text holds `offset`, outermost first. A cursor just past a name
    (`foo|`) is on it: editors ask there after a word is typed."""
    path: list = [module]
    node = module
    while True:
        inner = next((child for child in _children(node)
                      if child.span.start <= offset <= child.span.end), None)
        if inner is None:
            return tuple(path)
        path.append(inner)
        node = inner


def _children(node) -> Iterator:
    for field in attrs.fields(type(node)):
        if field.name in ("span", "op_span"):
            continue
        value = getattr(node, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if attrs.has(type(item)) and hasattr(item, "span"):
                yield item


def place_at(program: P.Program | None, module: ast.Module | None, offset: int) -> Place | None:
    if module is None:
        return None
    path = nodes_at(module, offset)
    if len(path) < 2:
        return None
    node, parent = path[-1], path[-2]
    target = _target(program, node, parent, path)
    if target is None and isinstance(node, ast.Ident):
        return Place(path=path, target=None, span=node.span)
    span = node.name.span if isinstance(node, ast.Field) else (
        node.func.span if isinstance(node, ast.Call) else node.span)
    return Place(path=path, target=target, span=span)


def _target(program, node, parent, path):
    if program is None:
        return None
    if isinstance(node, ast.Ident):
        if isinstance(parent, (ast.Field, ast.Call)) and parent in program.refs:
            return target_of_ref(program.refs[parent])
        return _declared_by(program, node, parent, path)
    if isinstance(node, (ast.Name, ast.Field, ast.Call)) and node in program.refs:
        return target_of_ref(program.refs[node])
    if isinstance(node, ast.Name) and isinstance(parent, ast.Field) and parent.obj is node and \
            isinstance(program.refs.get(parent), P.MemberRef):
        return program.refs[parent].enum.decl  # `EnumName` in `EnumName.member`
    if isinstance(node, ast.NamedType):
        return type_decl(program, node.name, path[1] if len(path) > 1 else None)
    return None


def target_of_ref(ref) -> object | None:
    """The target a checker's reference (`program.refs[node]`) denotes."""
    if isinstance(ref, (P.ConstRef, P.RuleRef, P.DefRef, P.AgreementRef, P.InputRef)):
        return ref.decl
    if isinstance(ref, P.LocalRef):
        return ref.binding
    if isinstance(ref, P.MemberRef):
        return Member(ref.enum.decl, ref.member)
    if isinstance(ref, P.FieldRef):
        if isinstance(ref.owner, T.DecisionType):
            return DecisionField(ref.name)
        return RecordField(ref.owner.decl, ref.name)
    if isinstance(ref, P.CountryRef):
        return Country(ref.code)
    if isinstance(ref, P.BuiltinRef):
        return Builtin(ref.name)
    return None


def _declared_by(program, ident, parent, path):
    """What an Ident that is not a use names: the thing it declares, or (a `match`
    arm's pattern, an exception's parent) the thing it refers to."""
    if isinstance(parent, DECLS_WITH_NAMES) and parent.name is ident:
        return parent
    if isinstance(parent, ast.InputDecl) and parent.as_of_field is ident:
        record = T.strip(program.input_type) if program.input_type is not None else None
        return RecordField(record.decl, ident.name) if isinstance(record, T.RecordType) else None
    if isinstance(parent, (ast.Let, ast.Quantifier)) and parent.var is ident:
        return ident
    if isinstance(parent, ast.Given):
        return next((d for m in program.modules if m.module is not None for d in m.module.decls
                     if isinstance(d, ast.InputDecl) and d.name.name == ident.name), None)
    if isinstance(parent, ast.Param):
        return parent.name
    if isinstance(parent, ast.EnumDecl):
        return Member(parent, ident.name)
    if isinstance(parent, ast.FieldDecl):
        record = next((n for n in reversed(path) if isinstance(n, ast.RecordDecl)), None)
        return RecordField(record, ident.name) if record is not None else None
    if isinstance(parent, ast.FieldInit) and parent.name is ident and len(path) >= 3:
        record = T.strip(program.types.get(path[-3], T.ERROR))  # the `{...}` or `with {...}`
        return RecordField(record.decl, ident.name) if isinstance(record, T.RecordType) else None
    if isinstance(parent, ast.Arm):
        match = path[-3] if len(path) >= 3 else None
        enum = T.strip(program.types.get(getattr(match, "scrutinee", None), T.ERROR))
        if isinstance(enum, T.EnumType) and ident.name in enum.members:
            return Member(enum.decl, ident.name)
        return None
    if isinstance(parent, (ast.AgreementException, ast.RuleException)):
        owner = next((n for n in reversed(path) if isinstance(n, (ast.AgreementDecl, ast.RuleDecl))),
                     None)
        return Member(owner, ident.name) if owner is not None else None
    if isinstance(parent, ast.Parties) or isinstance(parent, ast.ReturnsTo):
        return Country(ident.name) if countries.is_country(ident.name) else None
    return None


def type_decl(program, name: str, near) -> object | None:
    """The record or enum declaration a type name means, looked up as the checker
    does: the module's own declarations, then those of what it imports."""
    for loaded in _modules_from(program, near):
        for decl in loaded.module.decls:
            if isinstance(decl, (ast.RecordDecl, ast.EnumDecl)) and decl.name.name == name:
                return decl
    return None


def _modules_from(program, near) -> list:
    """The loaded modules in lookup order for a declaration `near`: its own module,
    then its imports; every module when it is not found."""
    modules = [m for m in program.modules if m.module is not None]
    own = next((m for m in modules if near in m.module.decls), None)
    if own is None:
        return modules
    return [own] + [m for m in own.imports if m.module is not None]


def definition(program: P.Program, target) -> Span | None:
    """Where a target is declared (the name in its declaration)."""
    if isinstance(target, DECLS_WITH_NAMES):
        return target.name.span
    if isinstance(target, ast.Ident):
        return target.span
    if isinstance(target, Member):
        return next((ident.span for ident in _member_names(target.enum)
                     if ident.name == target.name), None)
    if isinstance(target, RecordField) and target.record is not None:
        return next((f.name.span for f in target.record.fields if f.name.name == target.name), None)
    return None


def _member_names(owner) -> list:
    if isinstance(owner, ast.EnumDecl):
        return list(owner.members)
    if isinstance(owner, ast.AgreementDecl):
        return [item.name for item in owner.of_type(ast.AgreementException)]
    if isinstance(owner, ast.RuleDecl):
        return [exc.name for exc in owner.exceptions]
    return []


def references(program: P.Program, target, modules: list) -> list[Span]:
    """Every place in `modules` (ASTs) that names the target, its declaration
    included, in text order per module."""
    return [span for module in modules for span, named in _named(program, module) if named == target]


def named_places(program: P.Program, module: ast.Module, names: set[str]) -> list[tuple[Span, object]]:
    """(span, target) of every place in `module` written as one of `names` that
    names something (a rename's check: these are the places whose meaning a new
    name could change)."""
    return list(_named(program, module, names))


def _named(program, module: ast.Module, names: set[str] | None = None) -> Iterator:
    """(span, target) of each name written in the module (those in `names`, if
    given) and what it denotes, in text order."""
    def visit(node, path):
        path.append(node)
        for child in _children(node):
            if isinstance(child, (ast.Ident, ast.Name, ast.NamedType)) and \
                    (names is None or child.name in names):
                target = _target(program, child, node, path + [child])
                if target is not None:
                    yield child.span, target
            yield from visit(child, path)
        path.pop()

    return visit(module, [])
