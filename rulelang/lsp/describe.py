"""Hover text: what the checker knows of a target, in a few lines of Markdown.

Types, signatures, citations and dates come from the checked program; the
words around them say what kind of thing the name is, as docs/language.md does.
"""

from __future__ import annotations

from rulelang import countries
from rulelang.lsp import places
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.syntax import ast

_BUILTINS = {
    "len": "the number of items of a list or set, or of characters of a text",
    "known": "whether a value is known: `true` or `false`, never unknown",
}


def describe(program: P.Program, target, node=None) -> str | None:
    """Markdown for a hover on `node`, which names `target` (either may be None)."""
    lines = _of_target(program, target) if target is not None else []
    expression_type = program.types.get(node) if node is not None else None
    if expression_type is not None and not T.is_error(expression_type) and \
            not isinstance(node, ast.Name) and target is None:
        lines.append(f"```rulelang\n{_excerpt(node)}: {expression_type}\n```")
    return "\n\n".join(lines) or None


def _of_target(program, target) -> list[str]:
    if isinstance(target, ast.RuleDecl):
        info = program.rules.get(target)
        shown = [_code(f"rule {target.name.name}: {info.type if info else '?'}")]
        if info is not None:
            shown += _citations([info.default_clause] + [b.clause for b in info.branches])
            if info.exceptions:
                shown.append(f"{len(_rule_exceptions(info.exceptions))} exception(s): "
                             + ", ".join(f"`{e.name}`" for e in _rule_exceptions(info.exceptions)))
        return shown
    if isinstance(target, ast.AgreementDecl):
        return _agreement(program, target)
    if isinstance(target, ast.DefDecl):
        params, result = program.signatures.get(target, ([], "?"))
        shown = ", ".join(f"{p.name.name}: {t}" for p, t in zip(target.params, params))
        return [_code(f"def {target.name.name}({shown}): {result}")]
    if isinstance(target, ast.ConstDecl):
        value_type = program.types.get(target.value, "?")
        return [_code(f"const {target.name.name}: {value_type}")]
    if isinstance(target, ast.InputDecl):
        input_type = program.input_type if program.input_name == target.name.name else None
        shown = [_code(f"input {target.name.name}: {input_type or '?'}")]
        if program.as_of_field and input_type is not None:
            shown.append(f"decided as of its field `{program.as_of_field}`")
        return shown
    if isinstance(target, ast.RecordDecl):
        record = _record_type(program, target)
        fields = record.fields.items() if record is not None else ()
        return [_code("record " + target.name.name + " {\n"
                      + "".join(f"  {name}: {field_type}\n" for name, field_type in fields) + "}")]
    if isinstance(target, ast.EnumDecl):
        return [_code(f"enum {target.name.name} {{ " + ", ".join(m.name for m in target.members)
                      + " }")]
    if isinstance(target, ast.Ident):
        local_type = _local_type(program, target)
        return [_code(f"{target.name}: {local_type or '?'}"), "a local name"]
    if isinstance(target, places.Member):
        return _member(target)
    if isinstance(target, places.RecordField):
        record = _record_type(program, target.record) if target.record is not None else None
        field_type = record.fields.get(target.name, "?") if record is not None else "?"
        owner = target.record.name.name if target.record is not None else "?"
        return [_code(f"{owner}.{target.name}: {field_type}"), f"a field of the record `{owner}`"]
    if isinstance(target, places.DecisionField):
        return [_code(f"decision.{target.name}"), "a field of an agreement's decision "
                "(docs/case-record.md)"]
    if isinstance(target, places.Country):
        name = countries.name_of(target.code)
        return [_code(f"{target.code}: country"), f"{name} (ISO 3166-1 alpha-3)" if name else ""]
    if isinstance(target, places.Builtin):
        return [_code(f"{target.name}(...)"), "built in: " + _BUILTINS.get(target.name, "")]
    return []


def _agreement(program, decl) -> list[str]:
    info = program.agreement_infos.get(decl)
    shown = [_code(f"{decl.kind} {decl.name.name}")]
    if decl.title:
        shown.append(f"**{decl.title}**")
    if info is None:
        return shown
    if info.parties:
        shown.append("parties: " + ", ".join(info.parties))
    if info.cites:
        shown.append("cites: " + "; ".join(info.cites))
    if info.events:
        shown.append("timeline: " + "; ".join(f"{e.date.isoformat()} {e.kind}" for e in info.events))
    if info.all_exceptions:
        shown.append(f"{len(info.all_exceptions)} exception(s): "
                     + ", ".join(f"`{e.name}`" for e in info.all_exceptions))
    return shown


def _member(target: places.Member) -> list[str]:
    owner = target.enum
    if isinstance(owner, ast.EnumDecl):
        return [_code(f"{owner.name.name}.{target.name}"), f"a member of the enum `{owner.name.name}`"]
    if isinstance(owner, ast.AgreementDecl):
        item = next((i for i in owner.of_type(ast.AgreementException) if i.name.name == target.name),
                    None)
        title = f": {item.title}" if item is not None and item.title else ""
        return [_code(f"exception {target.name}"), f"an exception of `{owner.name.name}`{title}"]
    if isinstance(owner, ast.RuleDecl):
        return [_code(f"exception {target.name}"), f"an exception of the rule `{owner.name.name}`"]
    return [_code(target.name)]


def _citations(clauses) -> list[str]:
    cites = [cite for clause in clauses for cite in clause.cites]
    return ["cites: " + "; ".join(dict.fromkeys(cites))] if cites else []


def _rule_exceptions(exceptions) -> list:
    every = []
    for exception in exceptions:
        every.append(exception)
        every += _rule_exceptions(exception.children)
    return every


def _record_type(program, decl) -> T.RecordType | None:
    return program.declared_types.get(decl)


def _local_type(program, binding) -> T.Type | None:
    return next((ref.type for ref in program.refs.values()
                 if isinstance(ref, P.LocalRef) and ref.binding is binding), None)


def _excerpt(node) -> str:
    text = " ".join(node.span.text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _code(text: str) -> str:
    return f"```rulelang\n{text}\n```"
