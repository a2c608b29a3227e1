"""Text → AST: the Lark LALR parser, a newline post-lexer, and one builder.

Entry point: `parse(source, diags) -> Module | None`. Syntax errors become
diagnostics (terminal names translated to the text a user types); the
builder only builds nodes, all validation happens in later passes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

import lark
from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from rulelang.diagnostics import Diagnostics, Label
from rulelang.resources import grammar_text
from rulelang.span import Source, Span
from rulelang.syntax import ast

MAX_SYNTAX_ERRORS = 20

# A newline is not the end of a clause when the line before ends with one of
# these, or the line after starts with one of them.
_CONTINUES_AFTER = {"{", ",", "(", "[", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
                    "union", "intersect", "minus", "and", "or", "not", "in", "??", "=>", "=",
                    ":", "with", "if", "then", "else", "when", "cite", "from", "until", "let",
                    ".", "|", "burden", "of"}
_CONTINUES_BEFORE = {"}", ")", "]", ",", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
                     "union", "intersect", "minus", "and", "or", "in", "??", "=>", "then",
                     "else", "cite", "from", "until", "burden", ".", "with", "|", "when", "of"}
# ...but these continue the line before only when indented more than its start,
# so an agreement's own `cite` line is not taken for its previous clause's.
_CONTINUES_WHEN_INDENTED = {"cite", "from", "until", "burden", "when", "of"}
_OPENERS, _CLOSERS = {"(", "["}, {")", "]"}

_TOKEN_TEXT = {"NAME": "a name", "STRING": "a string", "INT": "a whole number",
               "DECIMAL": "a decimal number", "DATE": "a date (YYYY-MM-DD)", "_NL": "a new line",
               "$END": "the end of the file"}


class _NewlinePostLexer:
    """Keeps the newlines that end a clause and drops the rest."""

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.literal_of: dict[str, str] = {}

    def _text(self, token: Token) -> str | None:
        return self.literal_of.get(token.type)

    def process(self, stream):
        depth = 0          # open ( and [
        generics = 0       # open `set<` and `list<`
        pending = None
        previous = None    # the text that decides whether a newline continues
        last = None
        line_start = 0     # column where the current logical line began
        block_start = False
        for token in stream:
            if token.type == "_NL":
                if depth == 0 and last is not None and previous not in _CONTINUES_AFTER:
                    pending = pending or token
                elif previous == "{":
                    block_start = True
                continue
            if block_start:
                line_start, block_start = token.column, False
            text = self._text(token)
            if previous == "." and text is not None and text.isidentifier():
                # after a dot every word is a field name, keywords included (`d.returns_to`)
                token = Token.new_borrow_pos("NAME", token.value, token)
                text = None
            if text == ">" and generics:
                generics -= 1
                text = "generic>"  # closes a type, continues nothing
            elif text == "<" and last is not None and last.type == "NAME" and last in ("set", "list"):
                generics += 1
            if pending is not None:
                continues = text in _CONTINUES_BEFORE and (
                    text not in _CONTINUES_WHEN_INDENTED or token.column > line_start)
                if not continues:
                    yield pending
                    line_start = token.column
                pending = None
            elif last is None:
                line_start = token.column
            if text in _OPENERS:
                depth += 1
            elif text in _CLOSERS and depth > 0:
                depth -= 1
            yield token
            previous, last = text, token
        if last is not None:
            end = Token("_NL", "\n")
            end.start_pos = end.end_pos = last.end_pos
            end.line, end.column = last.end_line, last.end_column
            yield end


@lru_cache(maxsize=1)
def _parser() -> tuple[lark.Lark, _NewlinePostLexer]:
    postlex = _NewlinePostLexer()
    parser = lark.Lark(grammar_text(), parser="lalr", lexer="basic", postlex=postlex,
                       propagate_positions=True, maybe_placeholders=True, cache=True)
    for terminal in parser.terminals:
        if isinstance(terminal.pattern, lark.lexer.PatternStr):
            postlex.literal_of[terminal.name] = terminal.pattern.value
    return parser, postlex


def keywords() -> list[str]:
    """The words the grammar reserves (`rule`, `when`, `cite`, ...), sorted."""
    return sorted(word for word in _parser()[1].literal_of.values() if word.isidentifier())


def describe_terminal(name: str) -> str:
    """How a terminal is shown to a user: `)` rather than RPAR."""
    if name in _TOKEN_TEXT:
        return _TOKEN_TEXT[name]
    literal = _parser()[1].literal_of.get(name)
    return f"`{literal}`" if literal is not None else name.lower()


# Limits that keep a hostile rule file from costing unbounded time or memory.
MAX_SOURCE_CHARS = 1_000_000
MAX_DECLARATIONS = 10_000


def parse(source: Source, diags: Diagnostics) -> ast.Module | None:
    """Parse a whole rule file; None (with diagnostics) if it has syntax errors."""
    parser, _ = _parser()
    text = source.text
    if len(text) > MAX_SOURCE_CHARS:
        diags.error("RL0004", f"`{source.name}` has {len(text):,} characters; rule files are "
                    f"limited to {MAX_SOURCE_CHARS:,}", help="split it into modules and `import` them")
        return None
    failed = False
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            tree = parser.parse(text)
        except UnexpectedInput as error:
            failed = True
            _report(error, source, diags)
            text = _blank_out_declaration(text, _error_offset(error, text))
            if text is None:
                break
            continue
        if failed:
            return None
        if _too_deep(tree, source, diags):
            return None
        if len(tree.children) > MAX_DECLARATIONS:
            diags.error("RL0004", f"`{source.name}` has {len(tree.children):,} declarations; a "
                        f"module is limited to {MAX_DECLARATIONS:,}",
                        help="split it into modules and `import` them")
            return None
        return _Builder(source).transform(tree)
    return None


# Deeper trees would exhaust Python's stack in the builder, checker or interpreter.
MAX_NESTING = 200


def _too_deep(tree: lark.Tree, source: Source, diags: Diagnostics) -> bool:
    stack = [(tree, 1)]
    while stack:  # iterative: the tree may be far deeper than the Python stack
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            start = getattr(node.meta, "start_pos", 0)
            end = source.text.find("\n", start)
            diags.error("RL0001", f"expression nested more than {MAX_NESTING} levels deep",
                        Span(source, start, end if end > start else max(start + 1, len(source.text))),
                        help="split it into named rules, or use `in {...}` for long `or` chains")
            return True
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, lark.Tree))
    return False


def _error_offset(error: UnexpectedInput, text: str) -> int:
    if isinstance(error, UnexpectedEOF):
        return len(text)
    if isinstance(error, UnexpectedToken):
        return error.token.start_pos if error.token.start_pos is not None else len(text)
    return error.pos_in_stream


_DECL_START = re.compile(r"^(import|enum|record|input|const|def|rule|agreement|program|test)\b", re.M)


def _blank_out_declaration(text: str, offset: int) -> str | None:
    """Replace the declaration holding `offset` by spaces (keeping newlines) so
    the next parse can report mistakes in the declarations after it."""
    starts = [m.start() for m in _DECL_START.finditer(text)]
    before = [s for s in starts if s <= offset]
    after = [s for s in starts if s > offset]
    start = before[-1] if before else 0
    end = after[0] if after else len(text)
    if start == end or end <= offset and not after:
        if end >= len(text) and start == 0:
            return None
    blanked = re.sub(r"[^\n]", " ", text[start:end])
    new_text = text[:start] + blanked + text[end:]
    return None if new_text == text or not after else new_text


def _report(error: UnexpectedInput, source: Source, diags: Diagnostics) -> None:
    text = source.text
    if isinstance(error, UnexpectedCharacters):
        pos = error.pos_in_stream
        char = text[pos] if pos < len(text) else ""
        help = None
        if char == '"':
            help = "strings must close on the same line with `\"`"
            code = "RL0003" if '"' not in text[pos + 1:].split("\n", 1)[0] else "RL0002"
            msg = "unterminated string" if code == "RL0003" else f"unexpected character `{char}`"
        else:
            code, msg = "RL0002", f"unexpected character `{char}`" if char.isprintable() else \
                f"unexpected character U+{ord(char):04X}"
        diags.error(code, msg, Span(source, pos, min(pos + 1, len(text))), help=help)
        return
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and (
            error.token.type == "$END" or _is_final_newline(error.token, text))):
        end = len(text)
        opened = _unclosed_bracket(text)
        labels = [Label(Span(source, opened, opened + 1), "opened here")] if opened is not None else []
        help = (f"close the `{text[opened]}` with `{_CLOSING[text[opened]]}`" if opened is not None
                else _expected_help(_accepted(error)))
        diags.error("RL0003", "the file ends in the middle of a declaration",
                    Span(source, max(0, end - 1), end), labels=labels, help=help)
        return
    assert isinstance(error, UnexpectedToken)
    token = error.token
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos and token.end_pos > start else start + 1
    end = min(end, max(len(text), start + 1))
    shown = "end of line" if token.type == "_NL" else f"`{token.value}`"
    accepted = _accepted(error)
    help = _expected_help(accepted)
    if token.type in ("ANY", "ALL", "COUNT", "IF", "LET") and token.type not in accepted:
        help = f"an `{token.value}` expression inside another needs parentheses: `({token.value} ...)`"
    diags.error("RL0001", f"unexpected {shown}", Span(source, start, end), help=help)


_CLOSING = {"{": "}", "(": ")", "[": "]"}


def _is_final_newline(token: Token, text: str) -> bool:
    """The newline the post-lexer adds at the end of the file (nothing but comments follow)."""
    return token.type == "_NL" and re.fullmatch(r"(\s|#[^\n]*)*", text[token.start_pos or 0:]) is not None


def _unclosed_bracket(text: str) -> int | None:
    """The offset of the innermost bracket still open at the end of the text."""
    stack: list[int] = []
    for match in re.finditer(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[{}()\[\]]', text):
        if match.group() in _CLOSING:
            stack.append(match.start())
        elif match.group() in ("}", ")", "]") and stack:
            stack.pop()
    return stack[-1] if stack else None


_EXPRESSION_START = {"ALL", "ANY", "COUNT", "DATE", "DECIMAL", "FALSE", "IF", "INT", "LBRACE", "LET",
                     "LPAR", "LSQB", "MATCH", "MINUS", "NAME", "NOT", "STRING", "TRUE"}


def _accepted(error: UnexpectedInput) -> set[str]:
    """The tokens the parser would take here. LALR's lookahead sets merge the
    contexts that share a state (`_sep` in enums and set literals); asking the
    parser itself is exact."""
    expected = set(getattr(error, "expected", ()) or ())
    interactive = getattr(error, "interactive_parser", None)
    if interactive is not None:
        try:
            expected = set(interactive.accepts()) or expected
        except Exception:  # noqa: BLE001 — a help line must never turn a syntax error into a crash
            pass
    return expected


def _expected_help(expected: set[str]) -> str | None:
    expected = set(expected)
    if {"INT", "LPAR", "LSQB", "NAME"} <= expected:
        expected = (expected - _EXPRESSION_START) | {"an expression"}
    names = sorted({describe_terminal(t) if t != "an expression" else t
                    for t in expected if not t.startswith("__")})
    if not names:
        return None
    if len(names) > 8:
        names = names[:8] + ["..."]
    return "expected " + ", ".join(names)


def _int(token: Token) -> int:
    # int() refuses more than 4300 digits; Decimal has no limit (the checker rejects the value)
    return int(token) if len(token) <= 4000 else int(Decimal(str(token)))


def _unquote(token: Token) -> str:
    body = token.value[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _Builder(Transformer):
    """Lark tree → AST. Builds nodes, validates nothing."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    # helpers
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True) and not hasattr(meta, "start_pos"):
            return Span(self.source, 0, 0)
        return Span(self.source, meta.start_pos, meta.end_pos)

    def _tok_span(self, token: Token) -> Span:
        return Span(self.source, token.start_pos, token.end_pos)

    def _ident(self, token: Token) -> ast.Ident:
        return ast.Ident(name=str(token), span=self._tok_span(token))

    @staticmethod
    def _mods(items) -> tuple:
        return tuple(i for i in items if isinstance(i, (ast.Cite, ast.FromDate, ast.UntilDate, ast.Burden)))

    # module and declarations
    @v_args(meta=True)
    def start(self, meta, decls):
        end = len(self.source.text)
        return ast.Module(decls=tuple(decls), span=Span(self.source, 0, end))

    @v_args(meta=True)
    def import_name(self, meta, children):
        return ast.Import(target=str(children[0]), is_path=False, span=self._span(meta))

    @v_args(meta=True)
    def import_path(self, meta, children):
        return ast.Import(target=_unquote(children[0]), is_path=True, span=self._span(meta))

    @v_args(meta=True)
    def ident(self, meta, children):
        return self._ident(children[0])

    @v_args(meta=True)
    def enum_decl(self, meta, children):
        name, *members = [c for c in children if c is not None]
        return ast.EnumDecl(name=self._ident(name), members=tuple(members), span=self._span(meta))

    @v_args(meta=True)
    def record_decl(self, meta, children):
        name, *fields = [c for c in children if c is not None]
        return ast.RecordDecl(name=self._ident(name), fields=tuple(fields), span=self._span(meta))

    @v_args(meta=True)
    def field_decl(self, meta, children):
        return ast.FieldDecl(name=self._ident(children[0]), type=children[1], span=self._span(meta))

    @v_args(meta=True)
    def input_decl(self, meta, children):
        name, type_, as_of = children
        return ast.InputDecl(name=self._ident(name), type=type_,
                             as_of_field=self._ident(as_of) if as_of is not None else None,
                             span=self._span(meta))

    @v_args(meta=True)
    def named_type(self, meta, children):
        return ast.NamedType(name=str(children[0]), args=(), span=self._span(meta))

    @v_args(meta=True)
    def generic_type(self, meta, children):
        name, _lt, arg, _gt = children
        return ast.NamedType(name=str(name), args=(arg,), span=self._span(meta))

    @v_args(meta=True)
    def optional_type(self, meta, children):
        return ast.OptionalType(inner=children[0], span=self._span(meta))

    @v_args(meta=True)
    def const_decl(self, meta, children):
        name, type_, value = children
        return ast.ConstDecl(name=self._ident(name), type=type_, value=value, span=self._span(meta))

    @v_args(meta=True)
    def def_decl(self, meta, children):
        name, *rest = children
        body, return_type = rest[-1], rest[-2]
        params = tuple(p for p in rest[:-2] if p is not None)
        return ast.DefDecl(name=self._ident(name), params=params, return_type=return_type,
                           body=body, span=self._span(meta))

    @v_args(meta=True)
    def param(self, meta, children):
        return ast.Param(name=self._ident(children[0]), type=children[1], span=self._span(meta))

    @v_args(meta=True)
    def rule_simple(self, meta, children):
        name, type_, value, *mods = children
        return ast.RuleDecl(name=self._ident(name), type=type_, default=value,
                            default_mods=self._mods(mods), exceptions=(), branches=(),
                            span=self._span(meta))

    @v_args(meta=True)
    def rule_block(self, meta, children):
        name, type_, (value, mods), *exceptions = children
        return ast.RuleDecl(name=self._ident(name), type=type_, default=value, default_mods=mods,
                            exceptions=tuple(exceptions), branches=(), span=self._span(meta))

    @v_args(meta=True)
    def rule_first(self, meta, children):
        name, type_, *branches = children
        return ast.RuleDecl(name=self._ident(name), type=type_, default=None, default_mods=(),
                            exceptions=(), branches=tuple(branches), span=self._span(meta))

    def rule_default(self, children):
        value, *mods = children
        return value, self._mods(mods)

    @v_args(meta=True)
    def rule_exception(self, meta, children):
        name, parent, cond, value, *mods = children
        return ast.RuleException(name=self._ident(name),
                                 parent=self._ident(parent) if parent is not None else None,
                                 cond=cond, value=value, mods=self._mods(mods),
                                 span=self._span(meta))

    @v_args(meta=True)
    def branch(self, meta, children):
        cond, value, *mods = children
        return ast.Branch(cond=cond, value=value, mods=self._mods(mods), span=self._span(meta))

    @v_args(meta=True)
    def otherwise(self, meta, children):
        value, *mods = children
        return ast.Branch(cond=None, value=value, mods=self._mods(mods), span=self._span(meta))

    # agreements
    @v_args(meta=True)
    def agreement_decl(self, meta, children):
        kind, name, title, *items = children
        return ast.AgreementDecl(kind=str(kind), name=self._ident(name),
                                 title=_unquote(title) if title is not None else None,
                                 items=tuple(items), span=self._span(meta))

    @v_args(meta=True)
    def parties(self, meta, children):
        return ast.Parties(countries=tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def returns_to(self, meta, children):
        expr, *mods = children
        return ast.ReturnsTo(expr=expr, mods=self._mods(mods), span=self._span(meta))

    @v_args(meta=True)
    def consequence(self, meta, children):
        text, *mods = children
        return ast.Consequence(text=_unquote(text), mods=self._mods(mods), span=self._span(meta))

    @v_args(meta=True)
    def agreement_cite(self, meta, children):
        return ast.AgreementCite(text=_unquote(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def timeline(self, meta, children):
        return ast.Timeline(events=tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def event(self, meta, children):
        date, kind, note, *mods = children
        return ast.Event(date=self._date(date), kind=kind,
                         note=_unquote(note) if note is not None else None,
                         mods=self._mods(mods), span=self._span(meta))

    @v_args(meta=True)
    def applies_when(self, meta, children):
        keyword, *conjuncts = children
        return ast.AppliesWhen(keyword=self._ident(keyword), conjuncts=tuple(conjuncts),
                               span=self._span(meta))

    @v_args(meta=True)
    def conjunct(self, meta, children):
        expr, *mods = children
        return ast.Conjunct(expr=expr, mods=self._mods(mods), span=self._span(meta))

    @v_args(meta=True)
    def agreement_exception(self, meta, children):
        name, title, parent, cond, *mods = children
        return ast.AgreementException(
            name=self._ident(name), title=_unquote(title) if title is not None else None,
            parent=self._ident(parent) if parent is not None else None, cond=cond,
            mods=self._mods(mods), span=self._span(meta))

    @v_args(meta=True)
    def cite(self, meta, children):
        return ast.Cite(text=_unquote(children[0]), span=self._span(meta))

    def _date(self, token: Token) -> ast.DateLit:
        return ast.DateLit(text=str(token), span=self._tok_span(token))

    @v_args(meta=True)
    def from_date(self, meta, children):
        return ast.FromDate(date=self._date(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def until_date(self, meta, children):
        return ast.UntilDate(date=self._date(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def burden(self, meta, children):
        return ast.Burden(who=children[0], span=self._span(meta))

    # tests
    @v_args(meta=True)
    def test_decl(self, meta, children):
        name, *items = children
        return ast.TestDecl(name=_unquote(name), items=tuple(items), span=self._span(meta))

    @v_args(meta=True)
    def given(self, meta, children):
        return ast.Given(var=self._ident(children[0]), value=children[1], span=self._span(meta))

    @v_args(meta=True)
    def test_as_of(self, meta, children):
        return ast.TestAsOf(date=self._date(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def assume(self, meta, children):
        return ast.Assume(status=children[0], span=self._span(meta))

    @v_args(meta=True)
    def expect(self, meta, children):
        return ast.Expect(expr=children[0], span=self._span(meta))

    # expressions
    @v_args(meta=True)
    def if_expr(self, meta, children):
        return ast.If(cond=children[0], then=children[1], else_=children[2], span=self._span(meta))

    @v_args(meta=True)
    def let_expr(self, meta, children):
        return ast.Let(var=self._ident(children[0]), value=children[1], body=children[2],
                       span=self._span(meta))

    @v_args(meta=True)
    def quantifier(self, meta, children):
        kind, var, coll, body = children
        return ast.Quantifier(kind=str(kind), var=self._ident(var), collection=coll, body=body,
                              span=self._span(meta))

    def _binary(self, meta, op: str, left, right, op_token: Token):
        return ast.Binary(op=op, left=left, right=right, span=self._span(meta),
                          op_span=self._tok_span(op_token))

    @v_args(meta=True)
    def or_op(self, meta, children):
        return self._binary(meta, "or", children[0], children[2], children[1])

    @v_args(meta=True)
    def and_op(self, meta, children):
        return self._binary(meta, "and", children[0], children[2], children[1])

    @v_args(meta=True)
    def not_op(self, meta, children):
        return ast.Unary(op="not", operand=children[0], span=self._span(meta))

    @v_args(meta=True)
    def compare(self, meta, children):
        left, op, right = children
        return self._binary(meta, str(op), left, right, op)

    @v_args(meta=True)
    def member(self, meta, children):
        return self._binary(meta, "in", children[0], children[2], children[1])

    @v_args(meta=True)
    def not_member(self, meta, children):
        left, not_token, in_token, right = children
        op_span = self._tok_span(not_token).to(self._tok_span(in_token))
        return ast.Binary(op="not in", left=left, right=right, span=self._span(meta), op_span=op_span)

    @v_args(meta=True)
    def coalesce(self, meta, children):
        return self._binary(meta, "??", children[0], children[2], children[1])

    @v_args(meta=True)
    def binary(self, meta, children):
        left, op, right = children
        return self._binary(meta, str(op), left, right, op)

    @v_args(meta=True)
    def negate(self, meta, children):
        return ast.Unary(op="-", operand=children[1], span=self._span(meta))

    @v_args(meta=True)
    def field(self, meta, children):
        return ast.Field(obj=children[0], name=self._ident(children[1]), span=self._span(meta))

    @v_args(meta=True)
    def with_expr(self, meta, children):
        base, *fields = children
        return ast.With(base=base, fields=tuple(f for f in fields if f is not None),
                        span=self._span(meta))

    @v_args(meta=True)
    def name(self, meta, children):
        return ast.Name(name=str(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def call(self, meta, children):
        func, *args = children
        return ast.Call(func=self._ident(func), args=tuple(a for a in args if a is not None),
                        span=self._span(meta))

    @v_args(meta=True)
    def int_lit(self, meta, children):
        return ast.IntLit(value=_int(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def decimal_lit(self, meta, children):
        return ast.DecimalLit(value=Decimal(str(children[0])), span=self._span(meta))

    @v_args(meta=True)
    def text_lit(self, meta, children):
        return ast.TextLit(value=_unquote(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def date_lit(self, meta, children):
        return ast.DateLit(text=str(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def duration_lit(self, meta, children):
        return ast.DurationLit(amount=_int(children[0]), unit=str(children[1]), span=self._span(meta))

    @v_args(meta=True)
    def true_lit(self, meta, children):
        return ast.BoolLit(value=True, span=self._span(meta))

    @v_args(meta=True)
    def false_lit(self, meta, children):
        return ast.BoolLit(value=False, span=self._span(meta))

    @v_args(meta=True)
    def list_lit(self, meta, children):
        return ast.ListLit(items=tuple(c for c in children if c is not None), span=self._span(meta))

    @v_args(meta=True)
    def set_lit(self, meta, children):
        return ast.SetLit(items=tuple(c for c in children if c is not None), span=self._span(meta))

    @v_args(meta=True)
    def record_lit(self, meta, children):
        return ast.RecordLit(fields=tuple(c for c in children if c is not None), span=self._span(meta))

    @v_args(meta=True)
    def empty_braces(self, meta, children):
        return ast.EmptyBraces(span=self._span(meta))

    @v_args(meta=True)
    def field_init(self, meta, children):
        return ast.FieldInit(name=self._ident(children[0]), value=children[1], span=self._span(meta))

    @v_args(meta=True)
    def match_expr(self, meta, children):
        scrutinee, *arms = children
        return ast.Match(scrutinee=scrutinee, arms=tuple(a for a in arms if a is not None),
                         span=self._span(meta))

    @v_args(meta=True)
    def arm(self, meta, children):
        *patterns, body = children
        return ast.Arm(patterns=tuple(patterns), body=body, span=self._span(meta))

    @v_args(meta=True)
    def pattern(self, meta, children):
        return self._ident(children[0])
