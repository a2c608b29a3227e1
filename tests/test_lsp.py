"""The language server: its answers in process (analysis, places, hover text,
completion, outline, positions), then the server itself over stdio, as an
editor drives it (pytest-lsp)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pygls.uris import to_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from rulelang.cli import cli
from rulelang.lsp import completion, describe, places, rename, workspace
from rulelang.lsp.analysis import analyse
from rulelang.lsp.lenses import verdicts
from rulelang.lsp.tokens import semantic_tokens
from rulelang.lsp.outline import outline
from rulelang.lsp.positions import UTF8, UTF16, UTF32, LineIndex
from rulelang.resources import stdlib_dir
from rulelang.syntax import ast
from rulelang.syntax.parse import keywords
from test_checker_reporting import SCHEMA as CHECKER_SCHEMA

# the checker tests' record, in a file of its own (main.rules declares the input)
SHARED = CHECKER_SCHEMA.lstrip("\n").replace("input case: Case as_of claim_date\n", "")

MAIN = """\
import shared

input case: Case as_of claim_date

rule is_child: bool? = case.age < 18 cite "Art. 2"

def older_than(years: int): bool? = let limit = years in case.age > limit

agreement demo "A demonstration agreement" {
  parties USA, CAN
  returns_to CAN cite "Art. 4"
  cite "Agreement of 5 Dec 2002"

  timeline {
    2002-12-05 signed
    2004-12-29 in_force
  }

  applies when {
    case.entry == port_of_entry cite "Art. 4(1)"
  }

  exception minor "a child" when is_child cite "Art. 4(2)"
  exception elderly "a person over 64" when older_than(64) cite "Art. 4(3)"
}

test "a child is exempt" {
  given case = { id: "c-1", age: 10, entry: port_of_entry, claim_date: 2024-05-01 }
  expect demo.exceptions == {minor}
}
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "shared.rules").write_text(SHARED)
    (tmp_path / "main.rules").write_text(MAIN)
    return tmp_path


def _analysed(folder: Path, text: str = MAIN, open_texts=None):
    path = (folder / "main.rules").resolve()
    return analyse(text, str(path), path, open_texts)


def _at(analysis, needle: str, into: int = 1, occurrence: int = 0):
    offset = -1
    for _ in range(occurrence + 1):
        offset = analysis.source.text.index(needle, offset + 1)
    return places.place_at(analysis.program, analysis.module, offset + into)


# ---- analysis: the pipeline's passes on an editor's text -----------------------------------

def test_a_file_that_checks_has_no_diagnostics_and_its_program(folder):
    analysis = _analysed(folder)
    assert analysis.diagnostics == ()
    assert analysis.program is not None
    assert str((folder / "shared.rules").resolve()) in analysis.files


def test_an_error_is_shown_where_it_is_with_its_code(folder):
    analysis = _analysed(folder, MAIN.replace("case.age < 18", "case.age < true"))
    [diagnostic] = analysis.diagnostics
    assert diagnostic.code == "RL0307"
    assert diagnostic.span.start == MAIN.index("< 18")


def test_an_error_in_an_imported_file_is_shown_on_the_import_that_reads_it(folder):
    broken = SHARED.replace("age: int?", "age: integer?")
    analysis = _analysed(folder, open_texts={str((folder / "shared.rules").resolve()): broken})
    assert analysis.diagnostics, "the unsaved text of shared.rules was not read"
    shown = analysis.diagnostics[0]
    assert shown.code == "RL0106"
    assert shown.span.text == "import shared"
    assert shown.message.startswith("in `")
    assert shown.labels[0].span.source.text == broken


def test_text_that_does_not_parse_gets_a_syntax_diagnostic_and_no_program(folder):
    analysis = _analysed(folder, MAIN.replace("rule is_child", "rule is child"))
    assert analysis.program is None
    assert [d.code for d in analysis.diagnostics] == ["RL0001"]


# ---- what a place is -----------------------------------------------------------------------

def test_a_use_and_its_declaration_name_one_target(folder):
    analysis = _analysed(folder)
    use = _at(analysis, "is_child cite \"Art. 4(2)\"")
    declared = _at(analysis, "rule is_child", into=6)
    assert use.target is declared.target
    assert places.definition(analysis.program, use.target).text == "is_child"


def test_a_field_is_defined_in_the_imported_record(folder):
    analysis = _analysed(folder)
    place = _at(analysis, "case.age < 18", into=6)
    assert place.span.text == "age"
    span = places.definition(analysis.program, place.target)
    assert span.source.text == SHARED and span.text == "age"


def test_references_find_every_use_and_the_declaration(folder):
    analysis = _analysed(folder)
    member = _at(analysis, "entry == port_of_entry", into=10)
    spans = places.references(analysis.program, member.target,
                              [m.module for m in analysis.modules])
    in_main = [s for s in spans if s.source.text == MAIN]
    in_shared = [s for s in spans if s.source.text == SHARED]
    assert [s.text for s in in_main] == ["port_of_entry", "port_of_entry"]
    assert [s.text for s in in_shared] == ["port_of_entry"]


def test_an_exception_named_in_a_test_is_the_agreements_exception(folder):
    analysis = _analysed(folder)
    place = _at(analysis, "{minor}", into=1)
    assert places.definition(analysis.program, place.target).text == "minor"
    assert places.definition(analysis.program, place.target).start == MAIN.index("minor \"a child\"")


def test_a_local_and_a_parameter_are_their_bindings(folder):
    analysis = _analysed(folder)
    limit = _at(analysis, "> limit", into=3)
    assert places.definition(analysis.program, limit.target).start == MAIN.index("limit =")
    years = _at(analysis, "= years", into=3)
    assert places.definition(analysis.program, years.target).start == MAIN.index("years:")


def test_a_type_name_goes_to_its_record(folder):
    analysis = _analysed(folder)
    place = _at(analysis, "case: Case", into=7)
    assert places.definition(analysis.program, place.target).text == "Case"


# ---- hover text ----------------------------------------------------------------------------

def _hover(analysis, needle, into=1, occurrence=0):
    place = _at(analysis, needle, into, occurrence)
    return describe.describe(analysis.program, place.target, place.path[-1])


def test_hover_says_a_rules_type_and_citations(folder):
    text = _hover(_analysed(folder), "when is_child", into=6)
    assert "rule is_child: bool?" in text and "Art. 2" in text


def test_hover_on_an_agreement_gives_its_title_cites_and_timeline(folder):
    text = _hover(_analysed(folder), "demo.exceptions")
    assert "A demonstration agreement" in text
    assert "Agreement of 5 Dec 2002" in text
    assert "2004-12-29 in_force" in text and "`minor`" in text


def test_hover_on_a_field_a_function_a_country_and_a_local(folder):
    analysis = _analysed(folder)
    assert "Case.age: int?" in _hover(analysis, "case.age < 18", into=6)
    assert "def older_than(years: int): bool?" in _hover(analysis, "def older_than", into=5)
    assert "Canada" in _hover(analysis, "CAN cite")
    assert "limit: int" in _hover(analysis, "> limit", into=3)


def test_hover_on_an_expression_gives_its_type(folder):
    analysis = _analysed(folder)
    text = _hover(analysis, "< 18", into=2)
    assert text is not None and ": int" in text


# ---- completion ----------------------------------------------------------------------------

def _complete(analysis, text, offset):
    return {c.label: c for c in completion.completions(analysis, text, offset)}


def test_after_a_dot_the_fields_of_the_record(folder):
    analysis = _analysed(folder)
    typing = MAIN.replace("case.age < 18", "case. < 18")
    found = _complete(analysis, typing, typing.index("case.") + 5)
    assert set(found) == {"id", "age", "entry", "claim_date"}
    assert found["age"].detail == "int?"


def test_after_an_agreement_and_a_dot_the_decisions_fields(folder):
    analysis = _analysed(folder)
    typing = MAIN.replace("demo.exceptions", "demo.exc")
    found = _complete(analysis, typing, typing.index("demo.exc") + 8)
    assert {"status", "outcome", "exceptions", "missing", "unestablished"} <= set(found)


def test_a_locals_fields_are_those_of_the_local_in_the_declaration_being_written(tmp_path):
    (tmp_path / "shared.rules").write_text(SHARED.replace("  claim_date: date", "  claim_date: date\n"
                                                          "  family: list<Case>?\n"
                                                          "  nationalities: list<country>?"))
    text = ("import shared\ninput case: Case as_of claim_date\n"
            "rule kin: bool? = any r in case.family: r.age < 18\n"
            "rule nat: bool? = any r in case.nationalities: r == USA\n")
    path = tmp_path / "user.rules"
    analysis = analyse(text, str(path), path)
    assert analysis.program is not None and not [d for d in analysis.diagnostics if d.is_error]
    in_kin = text.replace("r.age < 18", "r. < 18")
    assert "age" in _complete(analysis, in_kin, in_kin.index("r. <") + 2)
    in_nat = text.replace("r == USA", "r.")
    assert _complete(analysis, in_nat, in_nat.index("r.\n") + 2) == {}  # r is a country there


def test_no_completion_in_a_comment_or_a_text(folder):
    analysis = _analysed(folder)
    for typing in ('rule x: bool? = "see case.', "# see case."):
        assert _complete(analysis, MAIN + typing, len(MAIN + typing)) == {}


def test_elsewhere_names_keywords_and_members_in_reach(folder):
    analysis = _analysed(folder)
    found = _complete(analysis, MAIN, MAIN.index("is_child cite \"Art. 4(2)\""))
    assert {"is_child", "older_than", "demo", "Case", "port_of_entry", "len"} <= set(found)
    assert set(keywords()) <= set(found)
    assert "CAN" not in found  # country codes only once one is begun
    typed = _complete(analysis, MAIN + "\nCA", len(MAIN) + 3)
    assert "CAN" in typed and "Canada" in typed["CAN"].detail


# ---- outline -------------------------------------------------------------------------------

def test_the_outline_lists_declarations_and_what_they_name(folder):
    symbols = outline(_analysed(folder).module)
    assert [(s.name, s.kind) for s in symbols] == [
        ("case", "Variable"), ("is_child", "Property"), ("older_than", "Function"),
        ("demo", "Namespace"), ("a child is exempt", "Method")]
    assert [c.name for c in symbols[3].children] == ["minor", "elderly"]


# ---- positions -----------------------------------------------------------------------------

def test_columns_count_the_clients_code_units():
    text = "# 🇺🇸 é\nrule"
    offset = text.index("é") + 1
    assert LineIndex(text, UTF16).position(offset) == (0, 2 + 4 + 1 + 1)
    assert LineIndex(text, UTF8).position(offset) == (0, 2 + 8 + 1 + 2)
    assert LineIndex(text, UTF32).position(offset) == (0, 2 + 2 + 1 + 1)
    assert LineIndex(text, UTF16).position(len(text)) == (1, 4)


@given(st.text(st.sampled_from(["a", "\n", "é", "😀", "\r"]), max_size=30),
       st.sampled_from([UTF8, UTF16, UTF32]))
def test_an_offset_goes_to_a_position_and_back(text, encoding):
    index = LineIndex(text, encoding)
    for offset in range(len(text) + 1):
        assert index.offset(*index.position(offset)) == offset


def test_a_position_past_the_end_is_clamped():
    index = LineIndex("ab\ncd", UTF16)
    assert index.offset(0, 99) == 2
    assert index.offset(7, 0) == 5
    assert index.offset(-1, 0) == 0


# ---- the command ---------------------------------------------------------------------------

def test_without_pygls_the_command_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygls", None)
    result = CliRunner().invoke(cli, ["lsp"])
    assert result.exit_code == 2
    assert "pip install 'rulelang[lsp]'" in result.output


# ---- the server, over stdio ----------------------------------------------------------------

@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=[sys.executable, "-m", "rulelang.lsp"]))
async def client(lsp_client: LanguageClient):
    answer = await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    lsp_client.server_capabilities = answer.capabilities
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("project")
    (folder / "shared.rules").write_text(SHARED)
    (folder / "main.rules").write_text(MAIN)
    return folder


def _uri(path: Path) -> str:
    return path.resolve().as_uri()


async def _until(client: LanguageClient, uri: str, holds) -> list[lsp.Diagnostic]:
    """The file's diagnostics, once `holds` holds of them. Publications are watched
    rather than awaited one by one: two may come in one read (a file, then a file
    that imports it), and a notification awaited too late is not kept for the waiter."""
    for _ in range(3000):
        if uri in client.diagnostics and holds(list(client.diagnostics[uri])):
            return list(client.diagnostics[uri])
        await asyncio.sleep(0.02)
    raise AssertionError(f"{uri}: diagnostics never became as expected: {client.diagnostics.get(uri)}")


def _anything(diagnostics) -> bool:
    return True


def _nothing(diagnostics) -> bool:
    return diagnostics == []


def _some(diagnostics) -> bool:
    return diagnostics != []


async def _open(client: LanguageClient, path: Path, text: str, saved: str | None = None) -> str:
    """Open the file at `path` with `text` in the editor, the file on disk holding
    `saved` if given (else left as it is)."""
    if saved is not None:
        path.write_text(saved)
    uri = _uri(path)
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="rulelang", version=1, text=text)))
    await _until(client, uri, _anything)
    return uri


def _change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    """The server handles messages in order: a request sent after this sees the new text."""
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


def _position(text: str, needle: str, into: int = 1) -> lsp.Position:
    offset = text.index(needle) + into
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return lsp.Position(line=line, character=column)


def _doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


@pytest.mark.asyncio(loop_scope="module")
async def test_server_diagnostics_appear_and_clear_as_the_text_changes(client, project):
    broken = MAIN.replace("case.age < 18", "case.age < \"18\"")
    uri = await _open(client, project / "typing.rules", broken, saved=MAIN)
    [shown] = client.diagnostics[uri]
    assert shown.source == "rulelang" and shown.code.startswith("RL03")
    assert shown.severity == lsp.DiagnosticSeverity.Error
    start = _position(broken, "case.age < \"18\"", 0)
    assert shown.range.start.line == start.line
    _change(client, uri, MAIN, 2)
    await _until(client, uri, _nothing)


@pytest.mark.asyncio(loop_scope="module")
async def test_server_reads_an_open_imported_file_as_the_editor_holds_it(client, project):
    main_uri = await _open(client, project / "main.rules", MAIN)
    assert list(client.diagnostics[main_uri]) == []
    shared_uri = await _open(client, project / "shared.rules", SHARED)
    # unsaved: the record loses a field main.rules reads; main.rules is checked again
    try:
        _change(client, shared_uri, SHARED.replace("  age: int?\n", ""), 2)
        shown = await _until(client, main_uri, _some)
        assert {d.code for d in shown} == {"RL0107"}
        assert shown[0].range.start == _position(MAIN, "age < 18", 0)
    finally:
        _change(client, shared_uri, SHARED, 3)
    await _until(client, main_uri, _nothing)
    # closed unsaved, shared.rules is read from disk again
    _change(client, shared_uri, SHARED.replace("  age: int?\n", ""), 4)
    await _until(client, main_uri, _some)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=_doc(shared_uri)))
    await _until(client, main_uri, _nothing)


@pytest.mark.asyncio(loop_scope="module")
async def test_server_hover_definition_and_references(client, project):
    uri = await _open(client, project / "hover.rules", MAIN, saved=MAIN)
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=_doc(uri), position=_position(MAIN, "when is_child", 6)))
    assert "rule is_child: bool?" in hover.contents.value
    found = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=_doc(uri), position=_position(MAIN, "case.age < 18", 6)))
    assert found.uri == _uri(project / "shared.rules")  # another file
    assert found.range.start == _position(SHARED, "age:", 0)
    uses = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=_doc(uri), position=_position(MAIN, "rule is_child", 6),
        context=lsp.ReferenceContext(include_declaration=False)))
    assert [u.range.start for u in uses] == [_position(MAIN, "is_child cite \"Art. 4(2)\"", 0)]
    marks = await client.text_document_document_highlight_async(lsp.DocumentHighlightParams(
        text_document=_doc(uri), position=_position(MAIN, "rule is_child", 6)))
    assert len(marks) == 2


@pytest.mark.asyncio(loop_scope="module")
async def test_server_outline_completion_and_formatting(client, project):
    messy = MAIN.replace("rule is_child: bool? = case.age < 18", "rule   is_child :bool?=case.age<18")
    uri = await _open(client, project / "messy.rules", messy, saved=messy)
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=_doc(uri)))
    assert [s.name for s in symbols][:4] == ["case", "is_child", "older_than", "demo"]
    assert symbols[3].kind == lsp.SymbolKind.Namespace
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=_doc(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert len(edits) == 1 and edits[0].new_text == MAIN
    typing = messy.replace("case.age<18", "case.")
    _change(client, uri, typing, 2)
    items = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=_doc(uri), position=_position(typing, "case. cite", 5)))
    assert {"id", "age", "entry", "claim_date"} == {i.label for i in items.items}


@pytest.mark.asyncio(loop_scope="module")
async def test_server_counts_columns_in_utf16(client, project):
    text = MAIN.replace("rule is_child: bool? = case.age < 18",
                        "rule is_child: bool? = \"🇺🇸\" == \"x\" and case.age < true")
    uri = await _open(client, project / "emoji.rules", text, saved=text)
    [shown] = client.diagnostics[uri]
    operator = text.index("< true")
    before = text[text.rfind("\n", 0, operator) + 1:operator]
    # the flag is 2 characters and 4 UTF-16 code units: counted in characters, the
    # mark would be 2 columns left of the operator
    assert shown.range.start.character == len(before.encode("utf-16-le")) // 2 == len(before) + 2
    assert shown.range.end.character == shown.range.start.character + 1


@pytest.mark.asyncio(loop_scope="module")
async def test_server_keeps_answering_after_nonsense(client, project):
    path = project / "nonsense.rules"
    uri = await _open(client, path, "rule rule rule {{{ ))) 💥\n\x00")
    assert client.diagnostics[uri], "nonsense must get a diagnostic"
    assert all(d.code.startswith("RL0") for d in client.diagnostics[uri])
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=_doc(uri), position=lsp.Position(line=0, character=6)))
    assert hover is None
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=_doc(uri)))
    assert symbols is None
    fine = await _open(client, project / "fine.rules", MAIN, saved=MAIN)
    assert list(client.diagnostics[fine]) == []


# ---- uses across the workspace, and renaming -----------------------------------------------

OTHER = """\
import shared

input person: Case as_of claim_date

rule young: bool? = person.age < 30
"""


def _workspace(folder: Path) -> Path:
    (folder / "other.rules").write_text(OTHER)
    return folder


def test_uses_are_found_in_files_that_import_the_declaring_one(folder):
    _workspace(folder)
    analysis = _analysed(folder)
    field = _at(analysis, "case.age < 18", into=6)
    found = workspace.uses(analysis, field.target, workspace.rule_files([folder]), {})
    by_file = {}
    for use in found:
        by_file.setdefault(Path(use.path).name, []).append(use.span.text)
    assert by_file == {"main.rules": ["age", "age", "age"], "shared.rules": ["age"],
                       "other.rules": ["age"]}


def _plan(folder, analysis, needle, new_name, into=1):
    target = _at(analysis, needle, into=into).target
    return rename.plan(analysis, target, new_name, workspace.rule_files([folder]), {})


def test_a_rename_edits_every_file_and_still_checks(folder):
    _workspace(folder)
    analysis = _analysed(folder)
    renamed = rename.renamed_texts(_plan(folder, analysis, "case.age < 18", "years_old", into=6))
    assert {Path(p).name for p in renamed} == {"main.rules", "shared.rules", "other.rules"}
    assert "person.years_old < 30" in renamed[str((folder / "other.rules").resolve())]
    assert "age" not in renamed[str((folder / "shared.rules").resolve())]
    assert "age: 10" not in renamed[str((folder / "main.rules").resolve())]  # the test's record too
    for key, text in renamed.items():
        assert not [d for d in analyse(text, key, Path(key), renamed).diagnostics if d.is_error]


def test_a_rename_that_would_clash_or_is_no_name_is_refused(folder):
    analysis = _analysed(folder)
    with pytest.raises(rename.RenameRefused, match="RL0102"):
        _plan(folder, analysis, "rule is_child", "older_than", into=6)
    with pytest.raises(rename.RenameRefused, match="keyword"):
        _plan(folder, analysis, "rule is_child", "when", into=6)
    with pytest.raises(rename.RenameRefused, match="not a name"):
        _plan(folder, analysis, "rule is_child", "2x", into=6)


def test_the_as_of_field_is_a_use_of_the_field_and_renamed_with_it(folder):
    analysis = _analysed(folder)
    place = _at(analysis, "as_of claim_date", into=7)
    assert place.target == _at(analysis, "claim_date: 2024", into=1).target
    renamed = rename.renamed_texts(_plan(folder, analysis, "as_of claim_date", "claimed_on", into=7))
    assert "input case: Case as_of claimed_on" in renamed[str((folder / "main.rules").resolve())]
    assert "claimed_on: date" in renamed[str((folder / "shared.rules").resolve())]


@pytest.mark.parametrize("text, needle, new_name", [
    # a constant wins over an enum member of the same name: no error, another meaning
    ("const usual: Entry = port_of_entry\nrule at_port: bool? = case.entry == between_ports\n",
     "between_ports\n", "usual"),
    # an inner `let` would take the uses of an outer name
    ("rule young: bool? = let y = (case.age < 3) in is_child and y\nrule is_child: bool? = case.age < 9\n",
     "y = (case", "is_child"),
])
def test_a_rename_that_would_change_what_a_name_means_is_refused(tmp_path, text, needle, new_name):
    (tmp_path / "shared.rules").write_text(SHARED)
    path = tmp_path / "user.rules"
    path.write_text("import shared\ninput case: Case as_of claim_date\n" + text)
    analysis = analyse(path.read_text(), str(path.resolve()), path.resolve())
    assert not [d for d in analysis.diagnostics if d.is_error]
    with pytest.raises(rename.RenameRefused, match="would change what"):
        _plan(tmp_path, analysis, needle, new_name, into=1)


def test_a_file_own_declaration_would_take_the_renamed_uses(tmp_path):
    (tmp_path / "lib.rules").write_text(SHARED + "input case: Case as_of claim_date\n"
                                        "rule foo: bool? = case.age < 3\n")
    user = tmp_path / "user.rules"
    user.write_text("import lib\nrule bar: bool? = case.age > 70\nrule both: bool? = foo or bar\n")
    lib = tmp_path / "lib.rules"
    analysis = analyse(lib.read_text(), str(lib.resolve()), lib.resolve())
    with pytest.raises(rename.RenameRefused, match="would change what|RL0102"):
        _plan(tmp_path, analysis, "rule foo", "bar", into=6)


def test_a_rename_that_breaks_a_file_it_does_not_edit_is_refused(tmp_path):
    (tmp_path / "shared.rules").write_text(SHARED + "input case: Case as_of claim_date\n"
                                           "rule foo: bool? = case.age < 3\n")
    (tmp_path / "extra.rules").write_text("import shared\nrule bar: bool? = case.age > 70\n")
    (tmp_path / "user.rules").write_text("import shared\nimport extra\nrule uses_bar: bool? = bar\n")
    shared = tmp_path / "shared.rules"
    analysis = analyse(shared.read_text(), str(shared.resolve()), shared.resolve())
    with pytest.raises(rename.RenameRefused, match="user.rules"):
        _plan(tmp_path, analysis, "rule foo", "bar", into=6)


def test_a_rename_waits_for_a_file_that_uses_the_name_and_does_not_check(folder):
    _workspace(folder)
    (folder / "other.rules").write_text(OTHER + "rule half typed: bool =\n")
    analysis = _analysed(folder)
    with pytest.raises(rename.RenameRefused, match="does not check now"):
        _plan(folder, analysis, "case.age < 18", "years", into=6)


def test_shipped_declarations_countries_and_builtins_are_not_renamed(folder, tmp_path):
    analysis = _analysed(folder)
    assert rename.renameable(analysis, _at(analysis, "CAN cite").target) is None
    user = tmp_path / "user.rules"
    user.write_text("import common\nrule adult: bool? = case.age >= 18\n")
    shipped = analyse(user.read_text(), str(user), user.resolve())
    age = places.place_at(shipped.program, shipped.module, user.read_text().index("age >=") + 1)
    assert age.target is not None and rename.renameable(shipped, age.target) is None
    adult = places.place_at(shipped.program, shipped.module, user.read_text().index("adult"))
    assert rename.renameable(shipped, adult.target) is not None


@pytest.mark.asyncio(loop_scope="module")
async def test_server_finds_uses_and_renames_across_the_workspace(client, tmp_path_factory):
    folder = tmp_path_factory.mktemp("renaming")
    for name, text in (("shared.rules", SHARED), ("main.rules", MAIN), ("other.rules", OTHER)):
        (folder / name).write_text(text)
    uri = await _open(client, folder / "main.rules", MAIN)
    at_age = _position(MAIN, "case.age < 18", 6)
    uses = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=_doc(uri), position=at_age,
        context=lsp.ReferenceContext(include_declaration=True)))
    assert sorted(Path(to_fs_path(u.uri)).name for u in uses) == [
        "main.rules", "main.rules", "main.rules", "other.rules", "shared.rules"]
    ready = await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(
        text_document=_doc(uri), position=at_age))
    assert ready.start == _position(MAIN, "age < 18", 0)
    assert await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(
        text_document=_doc(uri), position=_position(MAIN, "CAN cite"))) is None
    edit = await client.text_document_rename_async(lsp.RenameParams(
        text_document=_doc(uri), position=at_age, new_name="years"))
    assert {Path(to_fs_path(u)).name: len(e) for u, e in edit.changes.items()} == {
        "main.rules": 3, "shared.rules": 1, "other.rules": 1}
    with pytest.raises(Exception, match="keyword"):
        await client.text_document_rename_async(lsp.RenameParams(
            text_document=_doc(uri), position=at_age, new_name="rule"))


# ---- test verdicts -------------------------------------------------------------------------

def test_each_test_gets_its_verdict_and_a_failing_expectation_says_why(folder):
    assert [(lens.title, lens.passed) for lens in verdicts(_analysed(folder))] == [
        ("✓ passes", True)]
    failing = MAIN.replace("expect demo.exceptions == {minor}", "expect demo.exceptions == {elderly}")
    lenses = verdicts(_analysed(folder, failing))
    assert [lens.passed for lens in lenses] == [False, False]
    assert lenses[0].title == "✗ fails: 1 of 1 expectation(s) not met"
    assert lenses[0].span.text.startswith('test "a child is exempt"')
    assert lenses[1].span.text == "expect demo.exceptions == {elderly}"
    assert "the left side is" in lenses[1].title and "elderly" in lenses[1].title


def test_no_verdicts_while_the_file_has_errors(folder):
    assert verdicts(_analysed(folder, MAIN.replace("< 18", "< true"))) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_server_shows_test_verdicts_as_lenses(client, project):
    failing = MAIN.replace("expect demo.exceptions == {minor}", "expect demo.exceptions == {elderly}")
    uri = await _open(client, project / "lenses.rules", failing, saved=failing)
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(text_document=_doc(uri)))
    assert [(lens.range.start.line, lens.command.title.split(":")[0]) for lens in lenses] == [
        (_position(failing, 'test "a child').line, "✗ fails"),
        (_position(failing, "demo.exceptions == {elderly}").line, "✗ `demo.exceptions == {elderly}` is false")]


@pytest.mark.asyncio(loop_scope="module")
async def test_server_checks_a_buffer_never_saved(client):
    text = SHARED + "input case: Case as_of claim_date\nrule adult: bool? = case.age >= 18\n"
    uri = "untitled:Untitled-1"
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="rulelang", version=1, text=text)))
    assert await _until(client, uri, _anything) == []
    found = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=_doc(uri), position=_position(text, "age >=", 1)))
    assert found.uri == uri and found.range.start == _position(text, "age:", 0)
    edit = await client.text_document_rename_async(lsp.RenameParams(
        text_document=_doc(uri), position=_position(text, "age >=", 1), new_name="years"))
    assert list(edit.changes) == [uri] and len(edit.changes[uri]) == 2


# ---- every place of every shipped file -----------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.stem for p in stdlib_dir().glob("*.rules")))
def test_every_place_of_a_shipped_file_answers(name):
    """Hover, definition and completion at every name of a shipped file: none raises,
    every use's definition names the same target, and its uses include it."""
    path = (stdlib_dir() / f"{name}.rules").resolve()
    text = path.read_text(encoding="utf-8")
    analysis = analyse(text, str(path), path)
    assert analysis.program is not None and not any(d.is_error for d in analysis.diagnostics)
    modules = [m.module for m in analysis.modules]
    uses_of: dict = {}
    for offset in range(0, len(text), 3):
        place = places.place_at(analysis.program, analysis.module, offset)
        if place is None:
            continue
        describe.describe(analysis.program, place.target, place.path[-1])
        if place.target is None:
            continue
        declared = places.definition(analysis.program, place.target)
        if declared is None:
            assert isinstance(place.target, (places.Country, places.Builtin, places.DecisionField)) \
                or getattr(place.target, "enum", True) is None, place
            continue
        if place.target not in uses_of:
            found = places.references(analysis.program, place.target, modules)
            uses_of[place.target] = {(s.source.name, s.start) for s in found}
            assert (declared.source.name, declared.start) in uses_of[place.target]
        if isinstance(place.path[-1], (ast.Name, ast.Ident)):
            assert (place.span.source.name, place.span.start) in uses_of[place.target], place
    assert len(uses_of) > 10
    completion.completions(analysis, text[:len(text) // 2] + "case.", len(text) // 2 + 5)


@pytest.mark.asyncio(loop_scope="module")
async def test_server_keeps_a_files_crlf_line_ends_when_laying_it_out(client, project):
    messy = MAIN.replace("rule is_child: bool? = case.age < 18", "rule   is_child :bool?=case.age<18")
    crlf = messy.replace("\n", "\r\n")
    uri = await _open(client, project / "crlf.rules", crlf, saved=crlf)
    [edit] = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=_doc(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert edit.new_text == MAIN.replace("\n", "\r\n")
    missing = _uri(project / "never-written.rules")
    assert await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=_doc(missing), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))) is None


@pytest.mark.asyncio(loop_scope="module")
async def test_server_a_verdicts_command_is_one_the_server_has(client, project):
    uri = await _open(client, project / "verdicts.rules", MAIN, saved=MAIN)
    [lens] = await client.text_document_code_lens_async(lsp.CodeLensParams(text_document=_doc(uri)))
    assert lens.command.command in client.server_capabilities.execute_command_provider.commands
    assert await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command=lens.command.command, arguments=[])) is None


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "rulelang.lsp"]))
async def utf8_client(lsp_client: LanguageClient):
    answer = await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf8,
                                                                  lsp.PositionEncodingKind.Utf16]))))
    assert answer.capabilities.position_encoding == lsp.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_server_counts_columns_in_utf8_when_the_editor_asks(utf8_client, tmp_path):
    text = SHARED + 'input case: Case as_of claim_date\nrule r: bool? = "😀é" == case.id and caz\n'
    uri = await _open(utf8_client, tmp_path / "utf8.rules", text, saved=text)
    [shown] = utf8_client.diagnostics[uri]
    line_start = text.rfind("\n", 0, text.index("caz")) + 1
    assert shown.range.start.character == len(text[line_start:text.index("caz")].encode("utf-8"))
    at_id = len(text[line_start:text.index("id and")].encode("utf-8"))
    hover = await utf8_client.text_document_hover_async(lsp.HoverParams(
        text_document=_doc(uri), position=lsp.Position(line=shown.range.start.line, character=at_id)))
    assert "Case.id: text" in hover.contents.value


def test_an_imported_file_that_cannot_be_read_is_shown_on_its_import(folder):
    (folder / "shared.rules").write_bytes(b"enum Entry { port_of_entry }\n# caf\xe9\n")
    analysis = _analysed(folder)
    [shown] = [d for d in analysis.diagnostics if d.code == "RL0004"]
    assert shown.span.text == "import shared" and "UTF-8" in shown.message


@pytest.mark.asyncio(loop_scope="module")
async def test_server_adds_the_deep_check_on_opening_and_saving_not_as_you_type(client, project):
    clash = MAIN.replace('case.entry == port_of_entry cite "Art. 4(1)"',
                         'case.entry == port_of_entry cite "Art. 4(1)"\n    case.entry == between_ports cite "Art. 4(3)"')
    uri = await _open(client, project / "deep.rules", clash, saved=clash)
    assert [d.code for d in client.diagnostics[uri]] == ["RL0409"]
    _change(client, uri, clash + "\n", 2)
    await _until(client, uri, _nothing)  # the solver waits for the save
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=_doc(uri)))
    assert [d.code for d in await _until(client, uri, _some)] == ["RL0409"]


# ---- quick fixes ---------------------------------------------------------------------------

@pytest.mark.parametrize("mistake, fixed", [
    ("case.age < 18", "case.aeg < 18"), ("port_of_entry cite", "port_of_entyr cite"),
    ("parties USA, CAN", "parties USA, CNA"), ("when is_child", "when is_chlid"),
    ("older_than(64)", "older_thn(64)"), ("expect demo.exceptions", "expect demo.exeptions")])
def test_a_misspelt_name_gets_its_fix(folder, mistake, fixed):
    text = MAIN.replace(mistake, fixed, 1)
    shown = next(d for d in _analysed(folder, text).diagnostics if d.is_error)  # not its echoes
    repaired = text[:shown.span.start] + shown.fix + text[shown.span.end:]
    assert repaired == MAIN


def test_no_fix_without_a_close_name(folder):
    text = MAIN.replace("case.age < 18", "case.zzzzzz < 18")
    [shown] = [d for d in _analysed(folder, text).diagnostics if d.is_error]
    assert shown.fix is None


@pytest.mark.asyncio(loop_scope="module")
async def test_server_offers_the_fix_of_a_misspelt_name(client, project):
    text = MAIN.replace("case.age < 18", "case.aeg < 18")
    uri = await _open(client, project / "typo.rules", text, saved=text)
    [shown] = client.diagnostics[uri]
    [action] = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=_doc(uri), range=shown.range, context=lsp.CodeActionContext(diagnostics=[shown])))
    assert action.title == "Replace `aeg` with `age`" and action.is_preferred
    [edit] = action.edit.changes[uri]
    assert edit.new_text == "age" and edit.range == shown.range
    assert not await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=_doc(uri), range=lsp.Range(start=lsp.Position(line=0, character=0),
                                                 end=lsp.Position(line=0, character=1)),
        context=lsp.CodeActionContext(diagnostics=[])))


# ---- colours -------------------------------------------------------------------------------

def test_each_token_gets_the_colour_of_what_it_is(folder):
    analysis = _analysed(folder)
    kinds = {}
    for token in semantic_tokens(analysis):
        kinds.setdefault(MAIN[token.start:token.end], (token.type, token.modifiers))
    assert kinds["rule"] == ("keyword", ())
    assert kinds["is_child"] == ("function", ("declaration",))
    assert kinds["case"] == ("variable", ("declaration",))  # the input, where it is declared
    assert kinds["age"] == ("property", ())
    assert kinds["demo"] == ("namespace", ("declaration",))
    assert kinds["minor"] == ("event", ("declaration",))
    assert kinds["port_of_entry"] == ("enumMember", ())
    assert kinds["CAN"] == ("enumMember", ("defaultLibrary",))
    assert kinds["years"] == ("parameter", ("declaration",))
    assert kinds["limit"] == ("variable", ("declaration",))
    assert kinds['"Art. 2"'] == ("string", ())
    assert kinds["2002-12-05"] == ("number", ())
    assert kinds["Case"] == ("struct", ())
    assert kinds["bool"] == ("type", ("defaultLibrary",))


@pytest.mark.asyncio(loop_scope="module")
async def test_server_sends_the_colours_as_the_protocol_encodes_them(client, project):
    uri = await _open(client, project / "colours.rules", MAIN, saved=MAIN)
    legend = client.server_capabilities.semantic_tokens_provider.legend
    answer = await client.text_document_semantic_tokens_full_async(
        lsp.SemanticTokensParams(text_document=_doc(uri)))
    data, line, column, seen = list(answer.data), 0, 0, []
    for i in range(0, len(data), 5):
        delta_line, delta_column, length, kind, _ = data[i:i + 5]
        line, column = line + delta_line, (column + delta_column if delta_line == 0 else delta_column)
        seen.append((MAIN.splitlines()[line][column:column + length], legend.token_types[kind]))
    assert ("rule", "keyword") in seen and ("is_child", "function") in seen
    assert seen[0] == ("import", "keyword") and len(seen) == len(semantic_tokens(
        analyse(MAIN, str((project / "colours.rules").resolve()), (project / "colours.rules").resolve())))


@pytest.mark.asyncio(loop_scope="module")
async def test_server_an_import_is_a_link_to_the_file_it_reads(client, project):
    uri = await _open(client, project / "imports.rules", MAIN, saved=MAIN)
    on_import = _position(MAIN, "import shared", 8)
    found = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=_doc(uri), position=on_import))
    assert found.uri == _uri(project / "shared.rules") and found.range.start.line == 0
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=_doc(uri), position=on_import))
    assert "shared.rules" in hover.contents.value and "declaration" in hover.contents.value
    [link] = await client.text_document_document_link_async(lsp.DocumentLinkParams(
        text_document=_doc(uri)))
    assert link.target == _uri(project / "shared.rules")
    assert link.range.start == _position(MAIN, "import shared", 0)


def test_a_calls_signature_and_the_parameter_being_written(folder):
    analysis = _analysed(folder)
    typing = MAIN.replace("older_than(64)", "older_than(")
    found = completion.signature_at(analysis, typing, typing.index("older_than(") + len("older_than("))
    assert found.label == "older_than(years: int): bool?" and found.parameters == ("years: int",)
    assert found.active == 0
    assert completion.signature_at(analysis, MAIN, MAIN.index("case.age < 18")) is None


@pytest.mark.asyncio(loop_scope="module")
async def test_server_helps_with_a_calls_signature(client, project):
    uri = await _open(client, project / "signature.rules", MAIN, saved=MAIN)
    typing = MAIN.replace("older_than(64)", "older_than(")
    _change(client, uri, typing, 2)
    help = await client.text_document_signature_help_async(lsp.SignatureHelpParams(
        text_document=_doc(uri), position=_position(typing, "older_than( cite", len("older_than("))))
    assert help.signatures[0].label == "older_than(years: int): bool?" and help.active_parameter == 0
