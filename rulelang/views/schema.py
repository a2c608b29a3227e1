"""The input record, described for the people who fill it in: each field, its
type, whether it is required, the comment the rule file gives it, and which
agreements read it (core/facts.py). `rulelang schema` prints it; docgen.py
turns it into docs/case-record.md.
"""

from __future__ import annotations

import re

import attrs

from rulelang.core import ir
from rulelang.core.facts import readers
from rulelang.semantics import types as T
from rulelang.syntax import ast
from rulelang.views.text import DEFAULT_WIDTH, shown, wrap

_SECTION = re.compile(r"^--.*--$")      # `# -- southern-border measures --`: a heading, not a note


@attrs.frozen
class FieldDoc:
    name: str
    type: str               # as written in the rule file, without the `?`
    required: bool
    comment: str
    readers: tuple[str, ...]
    kind: T.Type = attrs.field(eq=False, repr=False)


@attrs.frozen
class RecordDoc:
    name: str
    fields: tuple[FieldDoc, ...]
    source: str | None      # the file that declares it


@attrs.frozen
class InputDoc:
    name: str               # `case`
    record: RecordDoc
    as_of_field: str | None
    agreements: tuple[str, ...]
    parts: tuple[RecordDoc, ...]        # the records its fields hold (Relative, Document, ...)
    enums: tuple[T.EnumType, ...]


def describe_input(program: ir.Program) -> InputDoc | None:
    record_type = program.input_type
    if record_type is None:
        return None
    read_by = readers(program)
    agreements = tuple(a.name for a in program.agreements)
    parts, enums = _reachable(record_type)
    return InputDoc(name=_input_name(program), record=_record_doc(record_type, read_by),
                    as_of_field=program.as_of_field, agreements=agreements,
                    parts=tuple(_record_doc(r, {}) for r in parts), enums=tuple(enums))


def _input_name(program: ir.Program) -> str:
    for module in program.modules:
        for decl in module.module.decls if module.module is not None else ():
            if isinstance(decl, ast.InputDecl):
                return decl.name.name
    return "case"


def _reachable(record_type: T.RecordType) -> tuple[list[T.RecordType], list[T.EnumType]]:
    records: list[T.RecordType] = []
    enums: list[T.EnumType] = []

    def visit(type_: T.Type) -> None:
        type_ = T.strip(type_)
        if isinstance(type_, (T.ListType, T.SetType)):
            visit(type_.elem)
        elif isinstance(type_, T.RecordType) and type_ is not record_type and type_ not in records:
            records.append(type_)
            for field_type in type_.fields.values():
                visit(field_type)
        elif isinstance(type_, T.EnumType) and type_ not in enums:
            enums.append(type_)

    for field_type in record_type.fields.values():
        visit(field_type)
    return records, enums


def _record_doc(record_type: T.RecordType, read_by: dict) -> RecordDoc:
    decls = {f.name.name: f for f in getattr(record_type.decl, "fields", ())}
    fields = []
    for name, field_type in record_type.fields.items():
        decl = decls.get(name)
        fields.append(FieldDoc(name=name, type=str(T.strip(field_type)),
                               required=not T.is_optional(field_type),
                               comment=field_comment(decl.span) if decl is not None else "",
                               readers=tuple(read_by.get(name, ())), kind=T.strip(field_type)))
    span = getattr(record_type.decl, "span", None)
    return RecordDoc(record_type.name, tuple(fields), shown(span.source.name) if span is not None else None)


def field_comment(span) -> str:
    """The comment of a declaration: the `#` lines right above it (headings of the
    form `# -- ... --` left out) and a `#` comment at the end of its line."""
    source = span.source
    above = []
    line = span.line - 1
    while line >= 1:
        text = source.line_text(line).strip()
        if not text.startswith("#"):
            break
        above.append(text.lstrip("#").strip())
        line -= 1
    above = [t for t in reversed(above) if t and not _SECTION.match(t)]
    end_line, end_col = span.end_line_col
    rest = source.line_text(end_line)[end_col:]
    trailing = rest.split("#", 1)[1].strip() if "#" in rest else ""
    return " ".join(above + ([trailing] if trailing else []))


def readers_text(field: FieldDoc, doc: InputDoc) -> str:
    if doc.as_of_field == field.name:
        also = _readers(field, doc)
        return "every agreement, as the date it is evaluated on" + (
            f"; its value is also read in the conditions of {also}" if field.readers else "")
    return _readers(field, doc)


def _readers(field: FieldDoc, doc: InputDoc) -> str:
    if not field.readers:
        return "no agreement reads it"
    if len(field.readers) == len(doc.agreements) and len(doc.agreements) > 1:
        return f"every agreement ({len(doc.agreements)})"
    return ", ".join(field.readers)


def render_text(doc: InputDoc, width: int = DEFAULT_WIDTH) -> str:
    """The field reference on a terminal: a block per field, words whole."""
    lines = wrap(f"`{doc.name}`: a {doc.record.name} record, declared in {doc.record.source}. "
                 "A field marked optional may be left out: it is then unknown, not false"
                 + (f"; the record is evaluated as of its {doc.as_of_field}" if doc.as_of_field else "")
                 + ".", width)
    for record in (doc.record,) + doc.parts:
        lines += ["", f"{record.name}" + (" (the input record)" if record is doc.record else "")]
        for field in record.fields:
            lines.append(f"  {field.name}: {field.type}, {'required' if field.required else 'optional'}")
            if field.comment:
                lines += wrap(field.comment, width, "      ")
            if record is doc.record:
                lines += wrap("read by: " + readers_text(field, doc), width, "      ", "        ")
    if doc.enums:
        lines += ["", "enumerations"]
        for enum in doc.enums:
            lines += wrap(f"{enum.name}: " + ", ".join(enum.members), width, "  ", "      ")
    return "\n".join(lines)


def to_json(doc: InputDoc) -> dict:
    def record(r: RecordDoc) -> dict:
        return {"name": r.name, "declared_in": r.source,
                "fields": [{"name": f.name, "type": f.type, "required": f.required,
                            "comment": f.comment, **({"read_by": list(f.readers)} if r is doc.record else {})}
                           for f in r.fields]}

    return {"input": doc.name, "as_of": doc.as_of_field, "record": record(doc.record),
            "parts": [record(r) for r in doc.parts],
            "enums": {e.name: list(e.members) for e in doc.enums}}
