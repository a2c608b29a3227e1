"""The language server: `rulelang lsp`, over stdio (pygls).

Each open rule file is analysed (analysis.py: the pipeline's own passes) when it
opens and on every change, with the deep check on opening and saving; a change
re-analyses the open files that import it too. Requests are answered from the
last analysis: hover, go to definition, references and highlights, rename, the
outline, completion, signature help, test verdicts (code lenses), quick fixes,
semantic tokens, links on imports and formatting. This module only translates between the protocol and those
answers.
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from rulelang.diagnostics import Diagnostic
from rulelang.lsp import completion, describe, places, rename, tokens, workspace
from rulelang.lsp.analysis import Analysis, analyse, deepened
from rulelang.lsp.lenses import Lens, verdicts
from rulelang.lsp.outline import Symbol, outline
from rulelang.lsp.positions import UTF16, line_index
from rulelang.span import Source, Span

_LOG = logging.getLogger(__name__)
VERDICT_COMMAND = "rulelang.testVerdict"


class RulelangServer(LanguageServer):
    def __init__(self) -> None:
        from importlib.metadata import version

        super().__init__("rulelang", version("rulelang"))
        self.analyses: dict[str, Analysis] = {}
        self.checked: dict[str, Analysis] = {}  # the last analysis with a checked program
        self._lenses: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Analysis -> lenses

    # ---- analysing ---------------------------------------------------------------------------

    def refresh(self, uri: str, importers: bool = True, deep: bool = False) -> None:
        """Analyse the file at `uri` (with the deep check when asked: it takes the
        solver a while, so on opening and saving, not on every key) and, unless
        told not to, the open files that read it."""
        self._analyse(uri, deep=deep)
        if importers:
            self._analyse_importers(uri)

    def forget(self, uri: str) -> None:
        """A file closed: its marks go, and its importers read it from disk again."""
        self.analyses.pop(uri, None)
        self.checked.pop(uri, None)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self._analyse_importers(uri, closed=uri)

    def _analyse_importers(self, uri: str, closed: str | None = None) -> None:
        changed = _path_of(uri)
        for other, analysis in list(self.analyses.items()):
            if other != uri and changed is not None and str(changed) in analysis.files:
                self._analyse(other, closed)

    def differs_from_disk(self, uri: str) -> bool:
        path = _path_of(uri)
        try:
            on_disk = path.read_text(encoding="utf-8-sig") if path is not None else None
        except (OSError, ValueError):
            return True
        return on_disk != self.workspace.get_text_document(uri).source

    def _analyse(self, uri: str, closed: str | None = None, deep: bool = False) -> None:
        document = self.workspace.get_text_document(uri)
        path = _path_of(uri)
        analysis = analyse(document.source, str(path) if path else uri, path,
                           self.open_texts({uri, closed}))
        if deep:
            analysis = deepened(analysis)
        self.analyses[uri] = analysis
        if analysis.program is not None:
            self.checked[uri] = analysis
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[self._diagnostic(d, analysis) for d in analysis.diagnostics]))

    def open_texts(self, but: set) -> dict[str, str]:
        """The texts of the other open files (a file being closed is read from disk)."""
        texts = {}
        for uri, document in self.workspace.text_documents.items():
            path = _path_of(uri)
            if uri not in but and path is not None:
                texts[str(path)] = document.source
        return texts

    # ---- from rulelang's values to the protocol's -------------------------------------------

    def encoding(self) -> str:
        """The unit columns are counted in, as agreed at start-up (pygls keeps the
        client's choice as the protocol's enum or as its plain string)."""
        chosen = self.workspace.position_encoding
        return str(getattr(chosen, "value", chosen) or UTF16)

    def range(self, span: Span) -> lsp.Range:
        start, end = line_index(span.source.text, self.encoding()).range(span)
        return lsp.Range(start=lsp.Position(*start), end=lsp.Position(*end))

    def location(self, span: Span, analysis: Analysis) -> lsp.Location | None:
        uri = _uri_of(span.source, analysis)
        return lsp.Location(uri=uri, range=self.range(span)) if uri is not None else None

    def _diagnostic(self, diagnostic: Diagnostic, analysis: Analysis) -> lsp.Diagnostic:
        message = diagnostic.message + (f"\nhelp: {diagnostic.help}" if diagnostic.help else "")
        related = [lsp.DiagnosticRelatedInformation(location=location, message=label.message)
                   for label in diagnostic.labels
                   if (location := self.location(label.span, analysis)) is not None]
        return lsp.Diagnostic(
            range=self.range(diagnostic.span), message=message, code=diagnostic.code,
            source="rulelang", related_information=related or None,
            severity=lsp.DiagnosticSeverity.Error if diagnostic.is_error
            else lsp.DiagnosticSeverity.Warning)

    def offset(self, uri: str, position: lsp.Position) -> int:
        text = self.workspace.get_text_document(uri).source
        return line_index(text, self.encoding()).offset(position.line, position.character)

    def workspace_files(self, uri: str) -> list[Path]:
        """The rule files of the workspace (of the file's own folder, when there is none)."""
        folders = [Path(p) for folder in self.workspace.folders.values()
                   if (p := _path_of(folder.uri)) is not None]
        if not folders and self.workspace.root_path:
            folders = [Path(self.workspace.root_path)]
        if not folders and (path := _path_of(uri)) is not None:
            folders = [path.parent]
        return workspace.rule_files(folders)

    def uses(self, analysis: Analysis, target, uri: str) -> list[workspace.Use]:
        """The uses of a target in the files the analysis read and in the workspace's."""
        return workspace.uses(analysis, target, self.workspace_files(uri), self.open_texts(set()))

    def lenses_of(self, analysis: Analysis) -> list[Lens]:
        """The test verdicts of an analysis, run once for it."""
        if analysis not in self._lenses:
            try:
                self._lenses[analysis] = verdicts(analysis)
            except Exception:  # noqa: BLE001 - rulelang's bug: no verdicts, the server goes on
                _LOG.exception("running the tests of %s failed", analysis.source.name)
                self._lenses[analysis] = []
        return self._lenses[analysis]

    def import_at(self, uri: str, position: lsp.Position):
        """The `import` at a position and the module it reads, if the position is on one."""
        analysis = self.analyses.get(uri)
        if analysis is None or analysis.source.text != self.workspace.get_text_document(uri).source:
            return None
        return analysis.import_at(self.offset(uri, position))

    def file_location(self, module) -> lsp.Location | None:
        """The start of a module's file (None for a buffer never saved)."""
        if module.key.startswith("<"):
            return None
        start = lsp.Position(line=0, character=0)
        return lsp.Location(uri=_uri_of_key(module.key), range=lsp.Range(start=start, end=start))

    def use_location(self, use: workspace.Use) -> lsp.Location:
        return lsp.Location(uri=_uri_of_key(use.path), range=self.range(use.span))

    def place(self, uri: str, position: lsp.Position) -> tuple[Analysis, places.Place] | None:
        """What is at a position, when the file's analysis is of its text as it is and
        has a checked program."""
        analysis = self.analyses.get(uri)
        document = self.workspace.get_text_document(uri)
        if analysis is None or analysis.program is None or analysis.source.text != document.source:
            return None
        found = places.place_at(analysis.program, analysis.module, self.offset(uri, position))
        return (analysis, found) if found is not None else None

    def target_at(self, uri: str, position: lsp.Position) -> tuple[Analysis, places.Place] | None:
        """As `place`, when what is there names something."""
        found = self.place(uri, position)
        return found if found is not None and found[1].target is not None else None


def _path_of(uri: str) -> Path | None:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path).resolve() if path else None


def _uri_of_key(key: str) -> str:
    """A module's key (resolved path, or `<uri>` for a buffer never saved) as a URI."""
    return key[1:-1] if key.startswith("<") else from_fs_path(key)


def _uri_of(source: Source, analysis: Analysis) -> str | None:
    loaded = analysis.module_of(source)
    return _uri_of_key(loaded.key) if loaded is not None else None


def _symbol(symbol: Symbol, server: RulelangServer) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=symbol.name, detail=symbol.detail or None, kind=lsp.SymbolKind[symbol.kind],
        range=server.range(symbol.span), selection_range=server.range(symbol.name_span),
        children=[_symbol(child, server) for child in symbol.children] or None)


def build() -> RulelangServer:
    server = RulelangServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RulelangServer, params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.refresh(uri, importers=ls.differs_from_disk(uri), deep=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RulelangServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RulelangServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri, deep=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RulelangServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: RulelangServer, params: lsp.HoverParams) -> lsp.Hover | None:
        imported = ls.import_at(params.text_document.uri, params.position)
        if imported is not None:
            decl, module = imported
            count = len(module.module.decls) if module.module is not None else 0
            return lsp.Hover(contents=lsp.MarkupContent(
                kind=lsp.MarkupKind.Markdown,
                value=f"module `{module.name}`: {count} declaration(s)"), range=ls.range(decl.span))
        found = ls.place(params.text_document.uri, params.position)
        if found is None:
            return None
        analysis, place = found
        text = describe.describe(analysis.program, place.target, place.path[-1])
        if text is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                         range=ls.range(place.span))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: RulelangServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        imported = ls.import_at(params.text_document.uri, params.position)
        if imported is not None:  # an `import` goes to the file it reads
            return ls.file_location(imported[1])
        if (found := ls.target_at(params.text_document.uri, params.position)) is None:
            return None
        analysis, place = found
        span = places.definition(analysis.program, place.target)
        return ls.location(span, analysis) if span is not None else None

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_LINK)
    def document_links(ls: RulelangServer, params: lsp.DocumentLinkParams) -> list[lsp.DocumentLink]:
        """Each `import` as a link to the file it reads."""
        analysis = ls.analyses.get(params.text_document.uri)
        if analysis is None:
            return []
        return [lsp.DocumentLink(range=ls.range(decl.span), target=location.uri)
                for decl, module in analysis.imports()
                if (location := ls.file_location(module)) is not None]

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: RulelangServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        if (found := ls.target_at(params.text_document.uri, params.position)) is None:
            return None
        analysis, place = found
        uses = ls.uses(analysis, place.target, params.text_document.uri)
        declared = places.definition(analysis.program, place.target)
        if not params.context.include_declaration and declared is not None:
            uses = [u for u in uses if u.span.start != declared.start
                    or u.span.source.text != declared.source.text]
        return [ls.use_location(use) for use in uses]

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: RulelangServer, params: lsp.PrepareRenameParams) -> lsp.Range | None:
        if (found := ls.target_at(params.text_document.uri, params.position)) is None:
            return None
        analysis, place = found
        if rename.renameable(analysis, place.target) is None:
            return None
        return ls.range(place.span)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    def rename_symbol(ls: RulelangServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        uri = params.text_document.uri
        if (found := ls.target_at(uri, params.position)) is None:
            return None
        analysis, place = found
        try:
            edits = rename.plan(analysis, place.target, params.new_name, ls.workspace_files(uri),
                                ls.open_texts(set()))
        except rename.RenameRefused as refused:
            raise JsonRpcInvalidParams(str(refused)) from None
        return lsp.WorkspaceEdit(changes={
            _uri_of_key(key): [lsp.TextEdit(range=ls.range(span), new_text=new) for span, new in changes]
            for key, changes in edits.items()})

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    def highlight(ls: RulelangServer,
                  params: lsp.DocumentHighlightParams) -> list[lsp.DocumentHighlight] | None:
        if (found := ls.target_at(params.text_document.uri, params.position)) is None:
            return None
        analysis, place = found
        spans = places.references(analysis.program, place.target, [analysis.module])
        return [lsp.DocumentHighlight(range=ls.range(span)) for span in spans]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: RulelangServer,
                params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
        analysis = ls.analyses.get(params.text_document.uri)
        if analysis is None or analysis.module is None:
            return None
        return [_symbol(symbol, ls) for symbol in outline(analysis.module)]

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["."]))
    def complete(ls: RulelangServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        uri = params.text_document.uri
        analysis = ls.checked.get(uri) or ls.analyses.get(uri)
        if analysis is None:
            return None
        text = ls.workspace.get_text_document(uri).source
        items = completion.completions(analysis, text, ls.offset(uri, params.position))
        return lsp.CompletionList(is_incomplete=False, items=[
            lsp.CompletionItem(label=item.label, kind=lsp.CompletionItemKind[item.kind],
                               detail=item.detail or None) for item in items])

    @server.feature(lsp.TEXT_DOCUMENT_SIGNATURE_HELP,
                    lsp.SignatureHelpOptions(trigger_characters=["(", ","]))
    def signature_help(ls: RulelangServer, params: lsp.SignatureHelpParams) -> lsp.SignatureHelp | None:
        uri = params.text_document.uri
        analysis = ls.checked.get(uri)
        if analysis is None:
            return None
        text = ls.workspace.get_text_document(uri).source
        found = completion.signature_at(analysis, text, ls.offset(uri, params.position))
        if found is None:
            return None
        return lsp.SignatureHelp(
            signatures=[lsp.SignatureInformation(
                label=found.label, parameters=[lsp.ParameterInformation(label=p) for p in found.parameters])],
            active_signature=0, active_parameter=found.active)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: RulelangServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens] | None:
        analysis = ls.analyses.get(params.text_document.uri)
        if analysis is None:
            return None
        return [lsp.CodeLens(range=ls.range(lens.span),
                             command=lsp.Command(title=lens.title, command=VERDICT_COMMAND))
                for lens in ls.lenses_of(analysis)]

    @server.command(VERDICT_COMMAND)
    def verdict(ls: RulelangServer, *arguments) -> None:
        """A verdict's lens is there to be read; a click on it does nothing."""

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_actions(ls: RulelangServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        """A misspelt name's fix (the checker's "did you mean"), for the mistakes in the range."""
        uri = params.text_document.uri
        analysis = ls.analyses.get(uri)
        if analysis is None or analysis.source.text != ls.workspace.get_text_document(uri).source:
            return None
        start, end = ls.offset(uri, params.range.start), ls.offset(uri, params.range.end)
        return [lsp.CodeAction(
                    title=f"Replace `{d.span.text}` with `{d.fix}`", kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[ls._diagnostic(d, analysis)], is_preferred=True,
                    edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=ls.range(d.span),
                                                                       new_text=d.fix)]}))
                for d in analysis.diagnostics
                if d.fix is not None and d.span.source is analysis.source
                and d.span.start <= end and start <= d.span.end]

    @server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                    lsp.SemanticTokensLegend(token_types=list(tokens.TYPES),
                                             token_modifiers=list(tokens.MODIFIERS)))
    def semantic_tokens(ls: RulelangServer, params: lsp.SemanticTokensParams) -> lsp.SemanticTokens:
        analysis = ls.analyses.get(params.text_document.uri)
        if analysis is None:
            return lsp.SemanticTokens(data=[])
        index = line_index(analysis.source.text, ls.encoding())
        data, last_line, last_column = [], 0, 0
        for token in tokens.semantic_tokens(analysis):
            line, column = index.position(token.start)
            end_line, end_column = index.position(token.end)
            if end_line != line:  # a token over lines: the protocol's tokens are one line each
                continue
            data += [line - last_line, column - last_column if line == last_line else column,
                     end_column - column, tokens.TYPES.index(token.type),
                     sum(1 << tokens.MODIFIERS.index(m) for m in token.modifiers)]
            last_line, last_column = line, column
        return lsp.SemanticTokens(data=data)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: RulelangServer,
                   params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        from rulelang.api import format_text
        from rulelang.errors import RulelangError

        try:
            text = ls.workspace.get_text_document(params.text_document.uri).source
        except OSError:  # a file neither open nor readable
            return None
        try:
            formatted = format_text(text, params.text_document.uri)
        except RulelangError:  # it does not parse (its diagnostics say where) or RL0999
            return None
        if "\r\n" in text:  # the file's own line ends, kept
            formatted = formatted.replace("\n", "\r\n")
        if formatted == text:
            return []
        whole = Span(Source(params.text_document.uri, text), 0, len(text))
        return [lsp.TextEdit(range=ls.range(whole), new_text=formatted)]

    return server


def main() -> None:
    build().start_io()
