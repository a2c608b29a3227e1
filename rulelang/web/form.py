"""The case worker's form, derived from the input record's declaration: one input
per field, of the kind its type asks for, with the field's comment, whether it
may be left unknown, and the agreements that read it; grouped under the
`# -- heading --` comments of the rule file (common.rules has them).

Nothing here is typed by hand per field: a field added to the record is on the
form, with its help text, the next time the workbench starts.
"""

from __future__ import annotations

import re

import attrs

from rulelang import countries
from rulelang.core import ir
from rulelang.semantics import types as T
from rulelang.views.schema import describe_input, readers_text

_HEADING = re.compile(r"^#\s*--\s*(.*?)\s*--\s*$")
FIRST_SECTION = "The case"

# what the browser shows for each type (form.js builds the record from them)
_KINDS = {T.TEXT: "text", T.INT: "int", T.DECIMAL: "decimal", T.DATE: "date", T.BOOL: "bool",
          T.COUNTRY: "country", T.DURATION: "duration"}


@attrs.frozen
class Widget:
    name: str
    kind: str                 # text int decimal date bool country duration enum list records
    type: str                 # as the rule file writes it
    required: bool
    comment: str = ""
    readers: str = ""         # which agreements read it, in words (input fields only)
    options: tuple[str, ...] = ()   # an enum's members
    item: "Widget | None" = None    # a list's element (its name is the list's)
    fields: tuple["Widget", ...] = ()  # a list of records: the fields of each


@attrs.frozen
class Form:
    input_name: str
    record: str
    as_of_field: str | None
    sections: tuple[tuple[str, tuple[Widget, ...]], ...]
    countries: tuple[tuple[str, str], ...]  # (code, name), for the country inputs' suggestions


def form_of(program: ir.Program) -> Form | None:
    doc = describe_input(program)
    if doc is None:
        return None
    record_type = program.input_type
    parts = {part.name: part for part in doc.parts}
    headings = _headings(record_type)
    sections: list[tuple[str, list[Widget]]] = [(FIRST_SECTION, [])]
    for field in doc.record.fields:
        if field.name in headings:
            sections.append((headings[field.name], []))
        widget = _widget(field.name, field.kind, field.required, field.comment, parts)
        sections[-1][1].append(attrs.evolve(widget, readers=readers_text(field, doc)))
    return Form(input_name=doc.name, record=doc.record.name, as_of_field=doc.as_of_field,
                sections=tuple((title, tuple(widgets)) for title, widgets in sections if widgets),
                countries=tuple(sorted((code, countries.name_of(code) or "")
                                       for code in countries.codes())))


def _widget(name: str, kind: T.Type, required: bool, comment: str, parts: dict) -> Widget:
    kind = T.strip(kind)
    if isinstance(kind, T.EnumType):
        return Widget(name, "enum", str(kind), required, comment, options=kind.members)
    if isinstance(kind, (T.ListType, T.SetType)):
        element = T.strip(kind.elem)
        if isinstance(element, T.RecordType) and element.name in parts:
            fields = tuple(_widget(f.name, f.kind, f.required, f.comment, parts)
                           for f in parts[element.name].fields)
            return Widget(name, "records", str(kind), required, comment, fields=fields)
        return Widget(name, "list", str(kind), required, comment,
                      item=_widget(name, element, True, "", parts))
    return Widget(name, _KINDS.get(kind, "text"), str(kind), required, comment)


def _headings(record_type: T.RecordType) -> dict[str, str]:
    """field name -> the heading that starts a section at it (`# -- heading --` in the
    comment lines right above the field)."""
    found = {}
    for field in getattr(record_type.decl, "fields", ()):
        source, line = field.span.source, field.span.line - 1
        while line >= 1 and source.line_text(line).strip().startswith("#"):
            heading = _HEADING.match(source.line_text(line).strip())
            if heading:
                found[field.name.name] = heading.group(1)
                break
            line -= 1
    return found
