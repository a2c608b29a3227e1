"""The formatter: rule text laid out one way, its meaning and comments kept.

`format_source(text, name)` gives the text with the house layout (that of the
shipped rule files):

- the author's line breaks are kept (a long condition is broken where a lawyer
  broke it); blank lines are kept, at most one in a row, none at either end;
- each line is indented by what it is: 2 spaces a block (`{` ending a line);
  a clause's own keyword on a line of its own (`when`, `cite`, `from`, ...)
  2 more than the clause; an expression begun on a line of its own (after `=`,
  `=>`, `when`, ...) 2 more than the line before, and its operators' lines
  (`and`, `or`, ...) 2 more than its first line; a line inside a bracket that
  stays open on an earlier line, just after the bracket;
- tokens are spaced one way: `f(x)`, `a.b`, `list<text>?`, `-1`, `{a, b}`
  for a set and `{ a: 1 }` for a record, one space elsewhere;
- a comment on a line of its own takes the indent of the line it precedes; one
  after code keeps its column when the code still fits before it.

It works on the tokens, not the tree: the tokens, so the meaning, are the
source's, and only the blanks between them change. Where a new line ends a
clause depends on indentation (`cite` continues a clause only when indented
more than its start), so the layout keeps to that rule, and the result is
parsed again and compared with the source's tree: a difference is a bug here,
reported as RL0999, and nothing is written.
"""

from __future__ import annotations

import attrs

from rulelang.diagnostics import Diagnostics
from rulelang.span import Source
from rulelang.syntax import ast
from rulelang.syntax.lexing import every_token, is_blank
from rulelang.syntax.parse import _parser, parse

INDENT = 2
WIDTH = 110         # lines aligned after a bracket must fit in this; else they hang
# a line starting with one of these, in a clause begun above, is part of that clause
_CLAUSE_WORDS = {"when", "cite", "from", "until", "burden", "of", "else", "=>"}
# a line after one ending with one of these starts an expression
_EXPRESSION_OPENS = {"=", "=>", ":", "then", "else", "when", "if", "let", "in", "with",
                     "cite", "from", "until", "burden", "of"}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")", "]", "}"}
# the ends of operands: a `-` after one of these is binary, elsewhere it is a sign
_OPERAND_TYPES = {"NAME", "INT", "DECIMAL", "STRING", "DATE"}
_OPERAND_ENDS = {")", "]", "}", "true", "false", "?"}
_GENERIC_NAMES = {"list", "set"}
_DECLARING = {"enum", "record"}     # their one-line braces are spaced: `enum E { a, b }`


@attrs.frozen
class Formatted:
    """The laid-out text, or None when the source has errors (`diagnostics`)."""
    text: str | None
    diagnostics: Diagnostics


def format_source(text: str, name: str = "<string>") -> Formatted:
    source = Source(name, text)
    diags = Diagnostics()
    module = parse(source, diags)
    if module is None:
        return Formatted(None, diags)
    laid_out = _layout(text)
    again = Diagnostics()
    reparsed = parse(Source(name, laid_out), again)
    if reparsed is None or ast.dump(reparsed) != ast.dump(module) or _comments(laid_out) != _comments(text):
        diags.error("RL0999", f"the formatter would change what `{name}` says, so it was left as it is",
                    help="this is a bug in rulelang's formatter: please report it with the file")
        return Formatted(None, diags)
    return Formatted(laid_out, diags)


# ---- tokens and lines --------------------------------------------------------------------

def _comments(text: str) -> list[str]:
    return [t.value.rstrip() for t in every_token(text) if t.type == "COMMENT"]


@attrs.define
class _Line:
    tokens: list                    # the code on the line (no blanks, no comment)
    comment: object = None          # a COMMENT token, after the code or alone
    blank_before: int = 0           # blank lines before it
    continues: bool = False         # the clause of the line before goes on here


def _kept_newlines(tokens: list) -> set[int]:
    """Where a new line ends a clause: the offsets of the `_NL` tokens the parser's
    post-lexer keeps (the others continue the clause)."""
    parser, postlex = _parser()
    meaningful = [t for t in tokens if t.type != "COMMENT" and not is_blank(t)]
    return {t.start_pos for t in postlex.process(iter(meaningful))
            if t.type == "_NL" and t.start_pos is not None}


def _lines(text: str) -> list[_Line]:
    tokens = every_token(text)
    kept = _kept_newlines(tokens)
    lines: list[_Line] = []
    current = _Line([])
    breaks = 0                      # new lines since the last line with something on it
    ends_clause = True              # a kept new line came since the last code
    for token in tokens:
        if token.type == "_NL":
            breaks += token.value.count("\n")
            ends_clause = ends_clause or token.start_pos in kept
            if current.tokens or current.comment is not None:
                lines.append(current)
            current = _Line([])
            continue
        if is_blank(token):
            continue
        if not current.tokens and current.comment is None:
            current.blank_before = max(0, breaks - 1) if lines else 0
            breaks = 0
        if token.type == "COMMENT":
            current.comment = token
            continue
        if not current.tokens:
            current.continues = not ends_clause
        current.tokens.append(token)
        ends_clause = False
    if current.tokens or current.comment is not None:
        lines.append(current)
    return lines


# ---- layout --------------------------------------------------------------------------------

@attrs.define
class _Frame:
    """An open bracket: where the lines inside it go."""
    closer: str
    inner: int                      # the indent of a line inside
    outer: int                      # the indent of a line that starts with the closer
    kind: str                       # "block" (a `{` ending its line), "hanging", "aligned"
    anchor: int = 0                 # the indent of the line the current expression began on
    seen: bool = False              # a line inside it has been laid out


def _layout(text: str) -> str:
    lines = _lines(text)
    out: list[str] = []
    indents = _code_indents(lines)
    for index, line in enumerate(lines):
        if out and line.blank_before:
            out.append("")
        if not line.tokens:
            out.append(" " * _comment_indent(lines, indents, index) + line.comment.value.rstrip())
            continue
        code = " " * indents[index] + _spaced(line.tokens)
        if line.comment is not None:
            column = line.comment.column - 1
            code += " " * (column - len(code) if column > len(code) else 2) + line.comment.value.rstrip()
        out.append(code)
    return "\n".join(out) + "\n" if out else ""


def _comment_indent(lines: list[_Line], indents: dict, index: int) -> int:
    """A comment on its own line: the indent of the code line after it (inside the
    block when that line closes it)."""
    for after in range(index + 1, len(lines)):
        if lines[after].tokens:
            first = lines[after].tokens[0].value
            return indents[after] + (INDENT if first == "}" else 0)
    return 0


def _code_indents(lines: list[_Line]) -> dict[int, int]:
    """The indent of each line with code (by its index), by the rules of the module's
    docstring."""
    frames = [_Frame("", 0, 0, "block")]       # the file: a block at indent 0
    indents: dict[int, int] = {}
    previous = None                 # the last code line, and its indent
    for index, line in enumerate(lines):
        if not line.tokens:
            continue
        frame = frames[-1]
        first = line.tokens[0].value
        if first == frame.closer and first in _CLOSERS:
            indent = frame.outer
        elif frame.kind != "block":
            indent = frame.inner
        elif not frame.seen or not line.continues:
            indent = frame.inner                    # a clause; its expression goes on 2 further
            frame.anchor = indent + (INDENT if first in _CLAUSE_WORDS else 0)
        elif previous[0].tokens[-1].value in (",", "{"):
            indent = frame.anchor = frame.inner     # the next item of a list across lines
        elif first in _CLAUSE_WORDS:
            indent = frame.anchor = frame.inner + INDENT
        elif previous[0].tokens[-1].value in _EXPRESSION_OPENS:
            indent = frame.anchor = previous[1] + INDENT
        else:
            indent = frame.anchor + INDENT
        frame.seen = True
        indents[index] = indent
        previous = (line, indent)
        _open_and_close(lines, index, indent, frames)
    return indents


def _open_and_close(lines: list[_Line], index: int, indent: int, frames: list[_Frame]) -> None:
    """The brackets line `index` opens and closes. The lines inside a bracket left
    open at the end of its line go one indent further than its line (a block);
    those inside one with more on its line after it go just after it (aligned:
    `f(a,` then `  b)` under `a`), or one indent further when that would make a
    line longer than WIDTH."""
    tokens = lines[index].tokens
    columns = _columns(tokens, indent)
    # the depth each token and those after it on the line leave open, summed once (a line
    # of many brackets would otherwise be summed again for each: quadratic)
    left_open = [0] * (len(tokens) + 1)
    for position in range(len(tokens) - 1, -1, -1):
        left_open[position] = left_open[position + 1] + _depth_change(tokens[position])
    for position, token in enumerate(tokens):
        value = token.value
        if value in _OPENERS and token.type != "STRING":
            if position == len(tokens) - 1:
                kind = "block" if value == "{" else "hanging"
                frames.append(_Frame(_OPENERS[value], indent + INDENT, indent, kind))
            elif _fits_aligned(lines, index, left_open[position], columns[position + 1]):
                frames.append(_Frame(_OPENERS[value], columns[position + 1], columns[position], "aligned"))
            else:
                frames.append(_Frame(_OPENERS[value], indent + INDENT, indent, "hanging"))
        elif value in _CLOSERS and token.type != "STRING" and len(frames) > 1 and frames[-1].closer == value:
            frames.pop()


def _fits_aligned(lines: list[_Line], index: int, depth: int, column: int) -> bool:
    """Whether the lines after line `index` that a bracket holds fit in WIDTH when
    they start at `column` (`depth`: what the bracket and the rest of its line leave
    open)."""
    for line in lines[index + 1:]:
        if depth <= 0:
            return True
        if line.tokens and column + len(_spaced(line.tokens)) > WIDTH:
            return False
        for token in line.tokens:
            depth += _depth_change(token)
    return True


def _depth_change(token) -> int:
    if token.type == "STRING":
        return 0
    return 1 if token.value in _OPENERS else -1 if token.value in _CLOSERS else 0


def _columns(tokens: list, indent: int) -> list[int]:
    """The column of each token of a line laid out with `_spaced`."""
    columns, column = [], indent
    for _, token, space in _with_spaces(tokens):
        column += len(space)
        columns.append(column)
        column += len(token.value)
    return columns


def _spaced(tokens: list) -> str:
    return "".join(space + token.value for _, token, space in _with_spaces(tokens))


def _with_spaces(tokens: list):
    """(token before, token, the blank between them) for each token of a line."""
    generics = 0                    # open `list<` and `set<`
    spaced_braces: list[bool] = []  # for each open `{` of the line: are its insides spaced?
    before = None
    for position, token in enumerate(tokens):
        value = token.value
        after = tokens[position + 1] if position + 1 < len(tokens) else None
        space = "" if before is None else " "
        if before is not None:
            previous = before.value
            if value in (")", "]", ",", ".", "?", ":") or previous in ("(", "[", "."):
                space = ""
            elif value == "(" and before.type == "NAME":
                space = ""                                  # a call: f(x)
            elif previous == "-" and _is_sign(tokens, position - 1):
                space = ""                                  # -1
            elif value == "<" and previous in _GENERIC_NAMES and before.type == "NAME":
                space = ""
            elif previous == "<" and generics:
                space = ""
            elif value == ">" and generics:
                space = ""
            elif value == "}" and before.value == "{":
                space = ""                                  # {}
            elif previous == "{" and not _spaced_inside(tokens, position - 1):
                space = ""                                  # {a, b}
            elif value == "}" and spaced_braces and not spaced_braces[-1]:
                space = ""
        if value == "<" and before is not None and before.value in _GENERIC_NAMES and before.type == "NAME":
            generics += 1
        elif value == ">" and generics:
            generics -= 1
        if value == "{" and token.type != "STRING" and after is not None:
            spaced_braces.append(_spaced_inside(tokens, position))
        elif value == "}" and token.type != "STRING" and spaced_braces:
            spaced_braces.pop()
        yield before, token, space
        before = token


def _is_sign(tokens: list, position: int) -> bool:
    """Whether the `-` at `position` is a sign (`-1`, `x == -y`) rather than a minus."""
    if position == 0:
        return True
    before = tokens[position - 1]
    return not (before.type in _OPERAND_TYPES or before.value in _OPERAND_ENDS)


def _spaced_inside(tokens: list, position: int) -> bool:
    """Whether the `{` at `position` is laid out `{ ... }`: a record (`{ a: 1 }`,
    `x with { a: 1 }`) or an enum or record declared on one line; a set is `{a, b}`."""
    if position + 2 < len(tokens) and tokens[position + 1].type == "NAME" and tokens[position + 2].value == ":":
        return True
    return position >= 2 and tokens[position - 2].value in _DECLARING
