"""Markdown pages generated from the checked rules, so the documentation cannot
drift from the code (tests regenerate and compare): one page per agreement
(docs/agreements/), and the field reference of the input record
(docs/case-record.md)."""

from __future__ import annotations

import json

from rulelang.core import ir
from rulelang.core.facts import FieldsRead
from rulelang.semantics import program as P
from rulelang.semantics import types as T
from rulelang.views.schema import InputDoc, describe_input, readers_text
from rulelang.views.text import shown

CASE_RECORD_PAGE = "case-record.md"

_STATUS_WORDS = {"signed": "signed", "in_force": "enters into force", "amended": "amended",
                 "suspended": "suspended", "resumed": "resumed", "terminated": "terminated",
                 "proposed": "proposed"}


def _text(span) -> str:
    return " ".join(span.text.split())


def _window(clause: P.Clause) -> str:
    described = clause.window.describe()
    return f" *({described})*" if described else ""


def _cite(clause: P.Clause) -> str:
    return f" — {clause.cite}" if clause.cite else ""


def _facts(fields) -> str:
    return ", ".join(f"[`{f}`](../{CASE_RECORD_PAGE}#{f})" for f in sorted(fields)) or "none"


def agreement_page(info: ir.Agreement, reads: FieldsRead | None = None) -> str:
    """One agreement or programme as a Markdown page; with `reads` (the program's
    FieldsRead), the record fields it reads and those that could establish each
    exception."""
    lines = [f"# `{info.name}` — {info.title or info.name}", ""]
    lines += [f"*{info.kind.capitalize()}* defined in `{shown(info.source)}`. This page is generated "
              "from the rule file by `rulelang doc`; do not edit it by hand.", ""]
    if info.parties:
        lines.append(f"- **Parties:** {', '.join(info.parties)}")
    if info.returns_to is not None:
        lines.append(f"- **Returns to:** `{_text(info.returns_to_text)}`")
    if info.consequence:
        lines.append(f"- **Consequence:** {info.consequence}")
    if info.cites:
        lines.append(f"- **Instruments:** {'; '.join(info.cites)}")
    lines += ["", "## Timeline", "", "| date | event | note | source |", "|---|---|---|---|"]
    for event in info.timeline.events:
        lines.append(f"| {event.date.isoformat()} | {_STATUS_WORDS[event.kind]} | "
                     f"{_cell(event.note or '')} | {_cell(event.clause.cite or '')} |")
    lines += ["", "## Scope: it applies when all of these hold", ""]
    for conjunct in info.scope:
        lines.append(f"{conjunct.index}. `{_cell(_text(conjunct.text))}`"
                     f"{_window(conjunct.clause)}{_cite(conjunct.clause)}")
    lines += ["", "## Exceptions", ""]
    if not info.all_exceptions:
        lines.append("None.")

    def describe(exc: ir.AgreementException, depth: int) -> None:
        indent = "  " * depth
        title = f" — {exc.title}" if exc.title else ""
        parent = f" (defeats `{exc.parent}`)" if exc.parent else ""
        burden = " Burden: the state." if exc.clause.burden == P.STATE else ""
        lines.append(f"{indent}- **`{exc.name}`**{title}{parent}{_window(exc.clause)}{_cite(exc.clause)}."
                     f"{burden}")
        lines.append(f"{indent}  When: `{_cell(_text(exc.text))}`")
        if reads is not None:
            lines.append(f"{indent}  Facts it depends on: {_facts(reads.exception(exc))}")
        for child in exc.children:
            describe(child, depth + 1)

    for exc in info.exceptions:
        describe(exc, 0)
    if reads is not None:
        lines += ["", "## Facts it reads", "",
                  f"The fields of the case record this {info.kind} reads, directly or through the "
                  f"definitions it uses ([field reference](../{CASE_RECORD_PAGE})): "
                  f"{_facts(reads.agreement(info))}."]
    lines += ["", "## Notes on the sources", "",
              "Comments in the rule file mark facts that rest on secondary sources or are "
              "unconfirmed; read them beside each clause in the rule file.", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# ---- the field reference --------------------------------------------------------------

def case_record_page(program: ir.Program, example: dict) -> str:
    """The input record as a Markdown page: how records are written (JSON, CSV, ...),
    then each field with its type, whether it is required, its comment in the rule
    file and the agreements that read it. `example` is a valid record (shown as JSON
    and as CSV)."""
    doc = describe_input(program)
    if doc is None:
        raise ValueError("these rules declare no input record")
    record = doc.record
    lines = [f"# The case record: `{doc.name}` ({record.name})", "",
             f"Generated from `{record.source or ''}` by `rulelang doc`; do not edit it by "
             "hand. `rulelang schema` prints the same on a terminal.", "",
             "Every agreement is evaluated on one record: one person, one claim or encounter. "
             "A field marked *optional* may be left out: it is then **unknown**, never false. A "
             "scope condition that depends on an unknown fact makes the outcome `undetermined` "
             "and names the fact (`missing`); an exception that needs it is left `unestablished`. "
             "A required field that is absent, of the wrong type, an unknown enum member, an "
             "impossible date or an invalid country code makes the record invalid: its error "
             "names the record and every wrong field, and the batch goes on. A field the record "
             "type does not declare is ignored, with a warning."
             + (f" The record is evaluated as of its `{doc.as_of_field}` unless `--as-of` says "
                "otherwise." if doc.as_of_field else ""), ""]
    lines += _writing_records(record, example)
    lines += ["## Fields", "", "| field | type | required | read by |", "|---|---|---|---|"]
    for field in record.fields:
        lines.append(f"| [`{field.name}`](#{field.name}) | `{field.type}` | "
                     f"{'required' if field.required else 'optional'} | {_cell(_short_readers(field, doc))} |")
    lines.append("")
    for field in record.fields:
        lines += [f"### `{field.name}`", "",
                  f"`{field.type}`, {'required' if field.required else 'optional'}. "
                  + _sentence(field.comment), "",
                  f"Read by: {readers_text(field, doc)}.", ""]
    for part in doc.parts:
        lines += [f"## `{part.name}`", "", "| field | type | required | meaning |", "|---|---|---|---|"]
        for field in part.fields:
            lines.append(f"| `{field.name}` | `{field.type}` | "
                         f"{'required' if field.required else 'optional'} | {_cell(field.comment)} |")
        lines.append("")
    if doc.enums:
        lines += ["## Enumerations", ""]
        for enum in doc.enums:
            lines.append(f"- `{enum.name}`: " + ", ".join(f"`{m}`" for m in enum.members))
        lines.append("")
    lines += _decision_record()
    return "\n".join(lines)


def _sentence(text: str) -> str:
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", ")", "!", "?")) else text + "."


def _short_readers(field, doc: InputDoc) -> str:
    if doc.as_of_field == field.name:
        return "every agreement (its as-of date)"
    if field.readers and len(field.readers) == len(doc.agreements) and len(doc.agreements) > 1:
        return "every agreement"
    if len(field.readers) > 3:
        return f"{len(field.readers)} agreements"
    return readers_text(field, doc)


def _writing_records(record, example: dict) -> list[str]:
    import csv
    import io

    from rulelang.records.write import csv_cell

    columns = list(example)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow([csv_cell(example[c]) for c in columns])
    lists = [f.name for f in record.fields if isinstance(f.kind, (T.ListType, T.SetType))]
    return ["## Writing records", "",
            "`rulelang run` reads JSON Lines (`.jsonl`, one object a line), JSON (`.json`, an "
            "array of objects or one object), CSV (`.csv`), TSV (`.tsv`) and Parquet "
            "(`.parquet`, with `pip install 'rulelang[parquet]'`); the text formats may be gzipped "
            "(`.jsonl.gz`, `.csv.gz`, ...). The extension says which, or `--input-format`; stdin "
            "(`-`) is recognised from its first line. Dates are written `YYYY-MM-DD`, countries "
            "as ISO 3166-1 alpha-3 codes (`HND`).", "",
            "As JSON:", "", "```json", json.dumps(example, ensure_ascii=False), "```", "",
            "As CSV, the same record:", "", "```csv", buffer.getvalue().rstrip("\n"), "```", "",
            "In CSV and TSV:", "",
            "- the header names the fields; a column for every required field must be there (else "
            "the file is refused with one error, exit code 2); a column that is not a field is "
            "ignored, with one warning;",
            "- an **empty cell** is an absent field: unknown;",
            "- booleans are `true` or `false`; numbers are written plainly (`31`);",
            "- **lists and records are JSON text** in the cell: `[\"HND\"]`, `[]`, "
            "`[{\"relation\": \"sibling\", ...}]` (CSV quoting doubles the quotes inside: "
            "`\"[\"\"HND\"\"]\"`)" + (f"; the list fields are {', '.join(f'`{n}`' for n in lists)}"
                                   if lists else "") + ".",
            "",
            "In Parquet, columns carry their own types (a list column is a list); a column of "
            "strings for a list or record field is read as JSON text, as in CSV.", ""]


def _decision_record() -> list[str]:
    return ["## The decision record", "",
            "`rulelang run --format jsonl` writes one JSON object per (record, agreement):", "",
            "```json",
            '{"case": "c-017", "agreement": "aca_guatemala_2019", "as_of": "2019-12-05", '
            '"status": "in_force", "outcome": "applies", "returns_to": "GTM", "exceptions": [], '
            '"missing": [], "unestablished": []}',
            "```", "",
            "- `status`: `proposed`, `not_yet_in_force`, `in_force`, `suspended`, `terminated`, of "
            "the agreement on `as_of`;",
            "- `outcome`: `not_in_force`, `not_applicable`, `exempt`, `applies`, `undetermined`;",
            "- `exceptions`: the exceptions that hold; `missing`: the unknown facts an undetermined "
            "outcome hangs on; `unestablished`: exceptions not established only for lack of a fact, "
            "with those facts;",
            "- `--keep FIELD,...` adds those input fields after these; `--explain` adds the `trace` last;",
            "- an invalid record gives `{\"case\": ..., \"error\": {...}}` in its place (and "
            "`\"errors\": [...]`, every one, when it has more than one), so the output has a line "
            "for every input record.",
            "",
            "`--format csv` writes the same columns (lists as JSON text, as in CSV input) with "
            "`error_code`, `error_field` and `error_message` for an invalid record; `--format "
            "parquet` the same, typed.", ""]


def example_record(record_type: T.RecordType) -> dict:
    """A valid record to show how one is written: the required fields, and one optional
    field of each kind the record has (a number, a yes/no, a country, a list of records)."""
    from rulelang.records.validate import example_value

    out = {}
    kinds_shown = set()
    for name, field_type in record_type.fields.items():
        type_ = T.strip(field_type)
        kind = (type(type_).__name__, getattr(type_, "name", None)) if not isinstance(
            type_, (T.ListType, T.SetType)) else ("list", isinstance(T.strip(type_.elem), T.RecordType))
        if T.is_optional(field_type) and (kind in kinds_shown or isinstance(type_, T.EnumType)
                                          or type_ in (T.TEXT, T.DECIMAL, T.DURATION, T.DATE, T.COUNTRY)):
            continue
        kinds_shown.add(kind)
        value = example_value(type_)
        if name == "id" and type_ == T.TEXT:
            value = "c-1"
        elif type_ == T.INT:
            value = 30
        out[name] = value
    return out


def pages(program: ir.Program, readers: ir.Program | None = None) -> dict[str, str]:
    """{file name: Markdown}: a page per agreement of `program`; for a program with an
    input record and no agreement (a library module such as stdlib:common), the
    field reference, with the agreements of `readers` as the ones that read it."""
    if program.agreements:
        reads = FieldsRead(program)
        return {f"{info.name}.md": agreement_page(info, reads) for info in program.agreements}
    if program.input_type is None:
        return {}
    return {CASE_RECORD_PAGE: case_record_page(readers or program, example_record(program.input_type))}
