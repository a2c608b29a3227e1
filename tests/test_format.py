"""The formatter (rulelang/syntax/formatter.py, `rulelang fmt`): the house layout,
the meaning and the comments kept, and the same text from any spacing.

Generated programs are laid out again after their spacing is scrambled, their
lines broken where a clause may go on, and comments strewn over them: the
result must read as the program does, keep every comment, be its own layout,
and not depend on the spacing it was given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from program_strategies import programs

import rulelang
from rulelang.cli import cli
from rulelang.diagnostics import Diagnostics
from rulelang.span import Source
from rulelang.syntax import ast, formatter
from rulelang.syntax.formatter import format_source
from rulelang.syntax.lexing import every_token, is_blank
from rulelang.syntax.parse import _CONTINUES_AFTER, parse

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "stdlib_policies").glob("*.rules")) + sorted((ROOT / "examples").rglob("*.rules"))
SCALE = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 1


def tree(text: str):
    diags = Diagnostics()
    module = parse(Source("t.rules", text), diags)
    assert module is not None, [d.message for d in diags]
    return ast.dump(module)


def laid_out(text: str) -> str:
    formatted = format_source(text, "t.rules")
    assert formatted.text is not None, [(d.code, d.message) for d in formatted.diagnostics]
    return formatted.text


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_shipped_rule_files_are_laid_out_as_fmt_lays_them_out(path):
    text = path.read_text(encoding="utf-8")
    assert laid_out(text) == text, f"run: rulelang fmt {path.relative_to(ROOT)}"


LAYOUTS = [
    # spacing: calls, fields, types, signs, sets and records, `??`, comparisons
    ("rule  x : list<text>?=f( a ,b ). c ?? [ - 1 ,2 ]",
     "rule x: list<text>? = f(a, b).c ?? [-1, 2]"),
    ("const s: set<Kind> = { red , green }\nconst r: R = {a:1, b : 2}\nconst e: set<Kind> = { }",
     "const s: set<Kind> = {red, green}\nconst r: R = { a: 1, b: 2 }\nconst e: set<Kind> = {}"),
    ("enum E {a,b}\nrecord P {x: int}", "enum E { a, b }\nrecord P { x: int }"),
    ("rule d: bool = x-1 < - y and a.b<=2 and x with {a:1} != y",
     "rule d: bool = x - 1 < -y and a.b <= 2 and x with { a: 1 } != y"),
    # an expression begun on a line of its own, and its operators' lines
    ("rule y: bool =\nx>1\nand x<3\n      cite \"A\"",
     "rule y: bool =\n  x > 1\n    and x < 3\n  cite \"A\""),
    # blocks; a clause's own keywords; a comment takes the indent of what follows it
    ("agreement a \"A\" {\nreturns_to CAN\n      cite \"1\"\n# scope\napplies when {\n"
     "case.x\n or case.y\n cite \"2\"\n    # last\n}\n   exception e \"E\"\n      when case.z\n"
     "  and case.w\n    cite \"3\"\n}",
     "agreement a \"A\" {\n  returns_to CAN\n    cite \"1\"\n  # scope\n  applies when {\n"
     "    case.x\n      or case.y\n      cite \"2\"\n    # last\n  }\n  exception e \"E\"\n    when case.z\n"
     "      and case.w\n    cite \"3\"\n}"),
    # inside a bracket left open on a line: just after it
    ("rule z: bool = f(a,\nb) and (c\nor d)",
     "rule z: bool = f(a,\n                 b) and (c\n                         or d)"),
    # ...or one indent further, when a line would not fit in formatter.WIDTH there
    ("rule z: bool = some_function_name(a,\n" + "b" * 90 + ")",
     "rule z: bool = some_function_name(a,\n  " + "b" * 90 + ")"),
    # a list across lines: its items at one indent; blank lines: one at most, none at the ends
    ("\n\nconst l: list<int> = [\n      1,\n 2\n      ]\n\n\n\nconst m: int = 1   # kept where it was\n\n",
     "const l: list<int> = [\n  1,\n  2\n]\n\nconst m: int = 1   # kept where it was"),
    # a `first` rule's branches, an if chain
    ("rule t: int = first {\nwhen a and\nb => 1\n  otherwise 2\n}\nrule u: int =\n  if a then 1\n"
     "  else if b\nthen 2\n  else 3",
     "rule t: int = first {\n  when a and\n      b => 1\n  otherwise 2\n}\nrule u: int =\n  if a then 1\n"
     "  else if b\n    then 2\n  else 3"),
]


@pytest.mark.parametrize("text, expected", LAYOUTS)
def test_the_layout(text, expected):
    """The house layout, case by case (formatter.py's docstring says it in words)."""
    assert laid_out(text) == expected + "\n"
    assert laid_out(expected) == expected + "\n"


def _respaced(text: str, draw) -> str:
    """The text with more blanks between the tokens of each line (never fewer: two
    tokens never run into one), its indents untouched (they can carry meaning)."""
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        indent = line[:len(line) - len(body)]
        out, last_end = [], 0
        for token in every_token(body):
            if token.type == "_NL" or is_blank(token):
                continue
            gap = body[last_end:token.start_pos]
            if last_end:
                gap += draw(st.sampled_from(["", "", " ", "  ", "\t"]))
            out.append(gap + token.value)
            last_end = token.end_pos
        lines.append(indent + "".join(out))
    return "\n".join(lines)


def _broken_and_commented(text: str, draw) -> str:
    """The text with lines broken after tokens that let a clause go on, and comments
    after code and on lines of their own: tokens and meaning the same."""
    out = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        pieces, last_end = [], 0
        tokens = [t for t in every_token(body) if t.type != "_NL" and not is_blank(t)]
        for position, token in enumerate(tokens):
            pieces.append(body[last_end:token.end_pos])
            last_end = token.end_pos
            # (not after `{`, which would start a block, nor `<` or `>`, which may be a type's)
            breakable = token.value in _CONTINUES_AFTER - {"{", "<", ">"} and token.type != "STRING"
            if breakable and position < len(tokens) - 1 and draw(st.integers(0, 4)) == 0:
                if draw(st.booleans()):
                    pieces.append("  # why " + str(len(pieces)))
                pieces.append("\n" + " " * (indent + draw(st.integers(1, 9))))
                last_end = tokens[position + 1].start_pos
        if draw(st.integers(0, 5)) == 0:
            out.append(" " * draw(st.integers(0, 6)) + "# a note")
        rest = body[last_end:]
        out.append(" " * indent + "".join(pieces) + rest
                   + (" # end" if draw(st.integers(0, 5)) == 0 and body and not rest.strip() else ""))
    return "\n".join(out)


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_generated_programs_layout_keeps_its_meaning_and_comments(data):
    source = data.draw(programs(), label="program")
    meaning = tree(source)
    messy = _broken_and_commented(_respaced(source, data.draw), data.draw)
    assert tree(messy) == meaning, "the test's own scrambling changed the program"   # (a bug here)
    result = laid_out(messy)
    assert tree(result) == meaning
    assert formatter._comments(result) == formatter._comments(messy)
    assert laid_out(result) == result                   # its own layout
    assert all(line == line.rstrip() for line in result.split("\n"))
    # spacing alone changes nothing
    assert laid_out(_respaced(source, data.draw)) == laid_out(source)


def test_a_layout_that_would_read_otherwise_is_refused(monkeypatch):
    """The result is parsed again and compared: a layout that would change the meaning
    (here, a `cite` moved from its clause to the agreement's) is a bug, RL0999, and
    nothing is given back."""
    text = 'agreement a "A" {\n  returns_to CAN\n    cite "1"\n}\n'
    monkeypatch.setattr(formatter, "_layout", lambda source: source.replace('    cite', '  cite'))
    formatted = format_source(text, "t.rules")
    assert formatted.text is None
    assert [d.code for d in formatted.diagnostics] == ["RL0999"]
    with pytest.raises(rulelang.RulelangError):
        rulelang.format_text(text)


def run_fmt(*args, stdin=None):
    return CliRunner().invoke(cli, ["fmt", *args], input=stdin)


def test_fmt_rewrites_files_in_place_and_check_says_which_would_change(tmp_path):
    messy, tidy = tmp_path / "messy.rules", tmp_path / "sub" / "tidy.rules"
    tidy.parent.mkdir()
    messy.write_text("rule  x : int=1+ 2\n", encoding="utf-8")
    tidy.write_text("rule x: int = 1 + 2\n", encoding="utf-8")
    checked = run_fmt("--check", str(tmp_path))
    assert checked.exit_code == 1 and f"would reformat {messy}" in checked.output
    assert messy.read_text(encoding="utf-8") == "rule  x : int=1+ 2\n"      # --check writes nothing
    diff = run_fmt("--diff", str(messy))
    assert diff.exit_code == 0 and "-rule  x : int=1+ 2\n+rule x: int = 1 + 2\n" in diff.output
    done = run_fmt(str(tmp_path))
    assert done.exit_code == 0 and "1 file(s) reformatted, 1 already formatted" in done.output
    assert messy.read_text(encoding="utf-8") == "rule x: int = 1 + 2\n"
    assert run_fmt("--check", str(tmp_path)).exit_code == 0


def test_fmt_reads_standard_input_and_writes_standard_output():
    result = run_fmt("-", stdin="rule   z:int=3 # three\n")
    assert result.exit_code == 0 and result.output == "rule z: int = 3  # three\n"


def test_fmt_leaves_a_file_with_errors_as_it_is_and_goes_on(tmp_path):
    bad, good = tmp_path / "a_bad.rules", tmp_path / "b_good.rules"
    bad.write_text("rule x: int = (\n", encoding="utf-8")
    good.write_text("rule  y: int = 2\n", encoding="utf-8")
    (tmp_path / "c_latin1.rules").write_bytes("# caf\xe9\n".encode("latin-1"))
    result = run_fmt(str(tmp_path))
    assert result.exit_code == 1
    assert "RL0003" in result.output and "not UTF-8" in result.output
    assert "1 file(s) reformatted, 0 already formatted, 2 could not be formatted" in result.output
    assert bad.read_text(encoding="utf-8") == "rule x: int = (\n"
    assert good.read_text(encoding="utf-8") == "rule y: int = 2\n"


@pytest.mark.parametrize("target", ["stdlib:all", "no/such/file.rules"])
def test_fmt_refuses_what_it_cannot_rewrite(target):
    result = run_fmt(target)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_line_of_many_brackets_is_laid_out_in_linear_work(monkeypatch):
    """Each bracket's depth was summed over the rest of its line again: 20,000 nested
    brackets took 34 s. Counted, not timed: the depth is looked at a few times a token."""
    from rulelang.syntax import formatter

    looked = []
    counted = formatter._depth_change
    monkeypatch.setattr(formatter, "_depth_change", lambda token: looked.append(1) or counted(token))
    n = 2_000
    text = ("record C { id: text, age: int?, d: date }\ninput c: C as_of d\n"
            f"rule r: bool? = {'(' * n}c.age > 1{')' * n}\n")
    assert format_source(text, "deep.rules").text == text
    assert len(looked) < 10 * n
