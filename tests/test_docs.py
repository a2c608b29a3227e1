"""The documentation is kept in step with the code.

- docs/errors.md has one `## RLxxxx — title` section per registered code, and
  names no code that is not registered.
- Every ```rulelang block of docs/language.md not marked `fragment` is a
  complete rule file: it checks with no errors, and its `test` blocks pass.
- The ```python blocks of docs/api.md are doctests, run in order in one
  namespace from the repository's root, and together they use every public
  name of `rulelang`.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import rulelang
from rulelang.diagnostics import CODES

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^```(\S*)([^\n]*)\n(.*?)^```", re.M | re.S)


def _blocks(path: Path) -> list[tuple[str, str, int]]:
    """(info string, body, line) of each fenced block."""
    text = path.read_text(encoding="utf-8")
    return [(m.group(1) + m.group(2), m.group(3), text.count("\n", 0, m.start()) + 1)
            for m in _FENCE.finditer(text)]


# ---- errors.md -------------------------------------------------------------------------

def _error_sections() -> list[tuple[str, str]]:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    return re.findall(r"^## (RL\d{4}) — (.+)$", text, re.M)


def test_every_code_has_a_section_in_errors_md():
    documented = [code for code, _ in _error_sections()]
    missing = [code for code in CODES if code not in documented]
    assert not missing, f"docs/errors.md has no section for {missing}"
    duplicated = sorted({c for c in documented if documented.count(c) > 1})
    assert not duplicated, f"docs/errors.md has two sections for {duplicated}"


def test_errors_md_names_only_registered_codes():
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#+ .*$", text, re.M)
    unregistered = sorted({c for h in headings for c in re.findall(r"RL\d{4}", h)} - set(CODES))
    assert not unregistered, f"docs/errors.md has sections for unregistered codes {unregistered}"
    mentioned = sorted(set(re.findall(r"\bRL\d{4}\b", text)) - set(CODES))
    assert not mentioned, f"docs/errors.md mentions unregistered codes {mentioned}"


def test_errors_md_titles_match_the_registry():
    for code, title in _error_sections():
        assert title.strip() == CODES[code], f"{code}: heading says {title!r}, registry {CODES[code]!r}"


def test_errors_md_shows_each_code_as_printed():
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    for section in sections:
        code = section[:6]
        if code == "RL0999":
            continue  # a crash: there is nothing to show
        assert f"[{code}]" in section, f"the {code} section does not show the error as printed"


# ---- language.md -----------------------------------------------------------------------

def _language_blocks():
    return [(info, body, line) for info, body, line in _blocks(DOCS / "language.md")
            if info.split()[:1] == ["rulelang"]]


def _complete_blocks():
    return [(body, line) for info, body, line in _language_blocks() if "fragment" not in info.split()]


def test_language_md_has_examples():
    assert len(_complete_blocks()) >= 10


def test_blocks_declaring_input_are_not_fragments():
    for info, body, line in _language_blocks():
        if re.search(r"^input ", body, re.M):
            assert "fragment" not in info.split() or "{ ... }" in body or "\n" not in body.strip(), \
                f"docs/language.md:{line} declares an input: it should be a complete example"


@pytest.mark.parametrize("body,line", _complete_blocks(), ids=lambda v: f"line{v}" if isinstance(v, int) else "")
def test_language_md_example_checks(body, line):
    diagnostics = rulelang.check(body if "\n" in body else body + "\n")
    errors = [f"{d.code} {d.message} at {d.span.location() if d.span else '?'}"
              for d in diagnostics if d.is_error]
    assert not errors, f"the example at docs/language.md:{line} does not check: {errors}"
    if re.search(r"^test ", body, re.M):
        policy = rulelang.load(body)
        results = policy.run_tests()
        failed = [(r.name, [f.message for f in r.failures], r.error and r.error.message)
                  for r in results if not r.passed]
        assert not failed, f"tests of the example at docs/language.md:{line} fail: {failed}"


def test_language_md_covers_every_construct():
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    code = "\n".join(body for _, body, _ in _language_blocks())
    for keyword in ("import", "enum", "record", "input", "const", "def", "rule", "default",
                    "exception", " of ", "first", "otherwise", "agreement", "program", "parties",
                    "returns_to", "consequence", "cite", "timeline", "applies when", "from", "until",
                    "burden", "test", "given", "as_of", "assume", "expect", "match", "let", "any",
                    "all", "count", "if", "with", "??", "union", "intersect", "minus", "not in",
                    "known(", "len(", "set<", "list<", "?"):
        assert keyword in code, f"no example in docs/language.md uses `{keyword.strip()}`"
    for decision in ("until` is inclusive", "31 January + 1 month", "RL0309", "burden of proof"):
        assert decision.lower() in text.lower(), f"docs/language.md does not document {decision!r}"


# ---- api.md ------------------------------------------------------------------------------

def _api_blocks() -> list[tuple[str, int]]:
    return [(body, line) for info, body, line in _blocks(DOCS / "api.md")
            if info.split()[:1] == ["python"]]


def test_api_md_examples_run(monkeypatch):
    monkeypatch.chdir(DOCS.parent)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    namespace: dict = {}
    for body, line in _api_blocks():
        test = parser.get_doctest(body, namespace, f"docs/api.md:{line}", "docs/api.md", line)
        out: list[str] = []
        runner.run(test, out=out.append, clear_globs=False)
        namespace = test.globs                      # the next block goes on from this one
        assert not runner.failures, "".join(out)
        assert test.examples, f"the python block at docs/api.md:{line} has no example"


def test_api_md_shows_every_public_name():
    code = "\n".join(body for body, _ in _api_blocks())
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in rulelang.__all__:
        assert re.search(rf"\b{name}\b", code), f"no example in docs/api.md uses rulelang.{name}"
        assert re.search(rf"`[^`\n]*\b{name}\b[^`\n]*`", text), \
            f"docs/api.md does not describe rulelang.{name}"
