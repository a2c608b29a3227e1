"""Property-based fuzzing: bad input never yields a traceback.

1. random text, token soup and pathological shapes → `rulelang.check` returns
   Diagnostic values (registered codes, spans inside the text);
2. programs generated from the real grammar (`hypothesis.extra.lark`) never
   make `check` raise; well-formed programs built by hand check clean and
   evaluate deterministically to one decision per agreement;
3. mutations of the shipped rule files never make `check` raise;
4. records: random JSON-ish values through `evaluate_many` and through
   `rulelang run --format jsonl`: one result per input, no record lost.

About 10,000 examples in CI (issue #5: 3,000 random texts, 2,000
grammar-generated programs, 4,000 mutants of the shipped files, 300
well-formed programs, 950 record batches); `HYPOTHESIS_PROFILE=slow`
multiplies them by 20 for the long run (`FUZZ_SCALE=N` by N).
"""

from __future__ import annotations

import json
import os
import re
import string
from pathlib import Path

import lark
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra.lark import from_lark

import rulelang
from rulelang.diagnostics import CODES, Diagnostic, render, to_json
from rulelang.errors import RecordError, RuleEvaluationError
from rulelang.records import InvalidRecord
from rulelang.resources import grammar_text

ROOT = Path(__file__).resolve().parent.parent
STDLIB = ROOT / "stdlib_policies"

# ---- profiles ------------------------------------------------------------------------------
# Each test names its own example count; the profile scales it. Registered only if no
# one else registered these names, and never loaded globally: other test files keep theirs.
for _name, _kwargs in (("ci", {}), ("slow", {})):
    try:
        settings.get_profile(_name)
    except InvalidArgument:
        settings.register_profile(_name, deadline=None, **_kwargs)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SCALE = int(os.environ.get("FUZZ_SCALE", 20 if PROFILE == "slow" else 1))


def fuzz(examples: int):
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much,
                                           HealthCheck.large_base_example])


# ---- the contract of `check` ---------------------------------------------------------------

def assert_diagnostics(text: str, diags) -> None:
    """What `check` promises for any input: a list of registered, well-placed Diagnostics
    that every renderer can show."""
    assert isinstance(diags, list)
    for d in diags:
        assert isinstance(d, Diagnostic), d
        assert d.code in CODES, d
        if d.span is not None:
            source_text = d.span.source.text
            if d.span.source.name == "<string>":
                assert source_text == text
            assert 0 <= d.span.start <= d.span.end <= len(source_text), d
            for label in d.labels:
                assert 0 <= label.span.start <= label.span.end <= len(label.span.source.text), d
        # rendering is the edge every diagnostic goes through: it must not crash either
        assert render(d)
        json.dumps(to_json(d))


def check_never_raises(text: str) -> list:
    diags = rulelang.check(text)
    assert_diagnostics(text, diags)
    return diags


# ---- 1. random text ------------------------------------------------------------------------

KEYWORDS = sorted({"import", "enum", "record", "input", "as_of", "const", "def", "rule", "first",
                   "default", "exception", "of", "when", "otherwise", "agreement", "program",
                   "parties", "returns_to", "consequence", "cite", "timeline", "from", "until",
                   "burden", "test", "given", "assume", "expect", "if", "then", "else", "let",
                   "in", "any", "all", "count", "or", "and", "not", "union", "intersect",
                   "minus", "with", "true", "false", "match"})
PUNCTUATION = ["{", "}", "(", ")", "[", "]", ",", ":", "=", "==", "!=", "<", "<=", ">", ">=",
               "+", "-", "*", "/", "?", "??", ".", "=>", "|", "<", ">"]
NAMES = ["case", "applies", "Case", "Kind", "alpha", "beta", "x", "r", "n", "flag", "nats",
         "claim_date", "days", "months", "year", "USA", "CAN", "MEX", "XXA", "set", "list",
         "int", "bool", "text", "date", "decimal", "duration", "country", "signed",
         "in_force", "suspended", "terminated", "proposed", "common", "stdlib"]
LITERALS = ["0", "1", "14", "18", "9" * 25, "9" * 5000, "1.5", "0.000001", "2023-03-25",
            "2023-02-30", "0000-00-00", "9999-12-31", '"Art. 4"', '""', '"\\"', '"unterminated',
            '"a\\nb"', "'single'", "# comment", "#", "\n", "\r\n", "\n\n", "\t", "\x00", "\ufeff",
            "\u2028", "é", "\ud800"]


def token_soup():
    token = st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(PUNCTUATION),
                      st.sampled_from(NAMES), st.sampled_from(LITERALS),
                      st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True))
    separator = st.sampled_from([" ", " ", " ", "\n", "", "  "])
    return st.lists(st.tuples(token, separator), max_size=80).map(
        lambda pairs: "".join(t + s for t, s in pairs))


def pathological():
    """Shapes that break recursive code or fixed-size assumptions."""
    n = st.integers(1, 5_000)
    return st.one_of(
        n.map(lambda k: "(" * k),
        n.map(lambda k: "const x: int = " + "(" * k + "1" + ")" * k + "\n"),
        n.map(lambda k: "const x: bool = " + "not " * k + "true\n"),
        n.map(lambda k: "const x: int = " + "-" * k + "1\n"),
        n.map(lambda k: "const x = " + "[" * k + "]" * k + "\n"),
        n.map(lambda k: "const x = " + "{" * k + "}" * k + "\n"),
        n.map(lambda k: "const x: bool = " + " or ".join(["true"] * k) + "\n"),
        n.map(lambda k: "const x: int = " + " + ".join(["1"] * k) + "\n"),
        n.map(lambda k: "const x = a" + ".b" * k + "\n"),
        n.map(lambda k: "const x: " + "list<" * k + "int" + ">" * k + " = []\n"),
        n.map(lambda k: "const x: int = " + "9" * k + "\n"),
        n.map(lambda k: "const x: duration = " + "9" * k + " days\n"),
        n.map(lambda k: 'const x: text = "' + "a" * k),
        n.map(lambda k: "const x: int = " + "if true then " * k + "1" + " else 1" * k + "\n"),
        st.integers(1, 400).map(
            lambda k: "".join(f"const c{i}: int = c{i - 1} + 1\n" for i in range(1, k))
            + "const c0: int = 1\n"),
        st.integers(1, 300_000).map(lambda k: "x" * k),
    )


def random_text():
    return st.one_of(
        st.text(),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
        st.binary(max_size=300).map(lambda b: b.decode("utf-8", "replace")),
        st.binary(max_size=300).map(lambda b: b.decode("utf-8", "surrogateescape")),
        token_soup(),
        pathological(),
    )


@fuzz(3000)
@given(random_text())
def test_check_never_raises_on_random_text(text):
    check_never_raises(text)          # as given: maybe taken for a path
    check_never_raises(text + "\n")   # always rule text


@pytest.mark.parametrize("depth", [50, 150, 199, 201, 1_000, 10_000])
def test_deep_nesting_is_a_diagnostic_not_a_crash(depth):
    for text in ("const x: bool = " + "not " * depth + "true\n",
                 "const x: int = " + " + ".join(["1"] * depth) + "\n",
                 "const x = " + "[" * depth + "]" * depth + "\n"):
        diags = check_never_raises(text)
        deep = [d for d in diags if "nested" in d.message]
        assert bool(deep) == (depth > 150), [d.message for d in diags]


# ---- 2a. programs generated from the grammar -------------------------------------------------

def _spaced(strategy):
    return strategy.map(lambda s: f" {s} ")


def grammar_programs():
    grammar = lark.Lark(grammar_text(), parser="lalr", lexer="basic")
    explicit = {}
    for terminal in grammar.terminals:
        if isinstance(terminal.pattern, lark.lexer.PatternStr):   # keywords and punctuation
            explicit[terminal.name] = st.just(f" {terminal.pattern.value} ")
    name = st.one_of(
        st.sampled_from(NAMES),
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
            lambda s: s not in KEYWORDS))
    explicit.update({
        "NAME": _spaced(name),
        "STRING": _spaced(st.sampled_from(['""', '"Art. 1"', '"a \\"q\\" b"', '"é\\n"'])),
        "DATE": _spaced(st.sampled_from(["2023-03-25", "2019-12-05", "2023-02-29", "2024-02-29",
                                         "0000-01-01", "2023-13-01", "9999-12-31"])),
        "INT": _spaced(st.sampled_from(["0", "1", "14", "18", "100001", "9" * 19, "9" * 4400])),
        "DECIMAL": _spaced(st.sampled_from(["0.5", "1.25", "1." + "0" * 40])),
        "_NL": st.sampled_from(["\n", "\r\n", "\n\n"]),
        "COMMENT": st.sampled_from([" #c\n", " # x y\n"]),
        "__IGNORE_0": st.just(" "),
    })
    return from_lark(grammar, start="start", explicit=explicit)


@fuzz(2000)
@given(grammar_programs())
def test_check_never_raises_on_grammar_generated_programs(text):
    diags = check_never_raises(text)
    if any(d.is_error for d in diags):
        return
    # clean by `check` ⇒ `load` agrees, and running its tests reports instead of raising;
    # except for text with no declarations: clean to check, but nothing to load (issue 10)
    try:
        policy = rulelang.load(text)
    except rulelang.RuleSourceError as error:
        assert error.empty, error
        return
    for result in policy.run_tests():
        assert result.name is not None


# ---- 2b. well-formed programs, built by hand ---------------------------------------------------

KIND_MEMBERS = ["alpha", "beta", "gamma"]
COUNTRIES = ["USA", "MEX", "CAN", "GTM"]
CMP = ["==", "!=", "<", "<=", ">", ">="]
SCHEMA = """
enum Kind { alpha, beta, gamma }

record Rel {
  kind: Kind
  age: int?
}

record Case {
  id: text
  claim_date: date
  n: int?
  flag: bool?
  kind: Kind?
  origin: country?
  nats: list<country>,
  entry_date: date?
  rels: list<Rel>?
  score: decimal?
  note: text?
}

input case: Case as_of claim_date
"""
small_int = st.integers(-3, 20)
dates = st.dates(min_value=__import__("datetime").date(1995, 1, 1),
                 max_value=__import__("datetime").date(2030, 12, 31))
cmp = st.sampled_from(CMP)
country = st.sampled_from(COUNTRIES)
member = st.sampled_from(KIND_MEMBERS)


def bool_atoms():
    return st.one_of(
        st.just("case.flag"), st.sampled_from(["true", "false"]),
        st.builds("case.n {} {}".format, cmp, small_int),
        st.builds("case.kind == {}".format, member),
        st.lists(member, min_size=1, max_size=3, unique=True).map(
            lambda ms: "case.kind in {" + ", ".join(ms) + "}"),
        st.builds("case.origin == {}".format, country),
        st.builds("{} in case.nats".format, country),
        st.builds("{} not in case.nats".format, country),
        st.builds("case.entry_date {} {}".format, cmp, dates),
        st.builds("case.claim_date - case.entry_date {} {} days".format, cmp, small_int),
        st.builds("case.entry_date + {} months {} case.claim_date".format, small_int, cmp),
        st.builds("(case.n ?? {}) {} {}".format, small_int, cmp, small_int),
        st.builds("(any x in case.nats: x == {})".format, country),
        st.builds("(count x in case.nats: x == {}) {} {}".format, country, cmp, small_int),
        st.builds("(all r in case.rels: r.age {} {})".format, cmp, small_int),
        st.builds("(any r in case.rels: r.kind == {})".format, member),
        st.builds("case.score {} {}.5".format, cmp, small_int),
        st.builds('case.note == "{}"'.format, st.sampled_from(["", "x", "é"])),
        st.builds("case.n + {} {} {}".format, small_int, cmp, small_int),
        st.builds("case.n * {} - 1 {} {}".format, small_int, cmp, small_int),
    )


def bool_exprs():
    return st.recursive(bool_atoms(), lambda inner: st.one_of(
        inner.map("not ({})".format),
        st.builds("({} and {})".format, inner, inner),
        st.builds("({} or {})".format, inner, inner),
        st.builds("(if {} then {} else {})".format, inner, inner, inner),
        st.builds("(let m = (case.n ?? {}) in m > {} and {})".format, small_int, small_int, inner),
        st.builds("(match case.kind {{ alpha => {}, beta | gamma => {} }})".format, inner, inner),
    ), max_leaves=6)


@st.composite
def clause_mods(draw):
    mods = []
    if draw(st.booleans()):
        mods.append('cite "Art. %d"' % draw(st.integers(1, 9)))
    window = sorted(draw(st.lists(dates, min_size=0, max_size=2, unique=True)))
    if len(window) == 2:
        mods += [f"from {window[0]}", f"until {window[1]}"]
    elif window and draw(st.booleans()):
        mods.append(f"from {window[0]}")
    elif window:
        mods.append(f"until {window[0]}")
    return " ".join(mods)


TIMELINES = [["signed", "in_force"], ["signed", "in_force", "suspended", "resumed"],
             ["signed", "in_force", "terminated"], ["signed"], ["in_force"],
             ["signed", "in_force", "amended"], ["signed", "in_force", "suspended"]]


@st.composite
def agreements(draw, name: str):
    kinds = draw(st.sampled_from(TIMELINES))
    when = sorted(draw(st.lists(dates, min_size=len(kinds), max_size=len(kinds), unique=True)))
    lines = [f'agreement {name} "a generated agreement" {{',
             "  parties USA, " + draw(st.sampled_from(["MEX", "CAN", "GTM"])),
             "  returns_to " + draw(st.sampled_from(["MEX", "CAN", "GTM"])),
             "  timeline {"]
    lines += [f"    {d} {k}" for d, k in zip(when, kinds)]
    lines += ["  }", "  applies when {"]
    for expr in draw(st.lists(bool_exprs(), min_size=1, max_size=4)):
        lines.append(f"    {expr} {draw(clause_mods())}")
    lines.append("  }")
    for i, expr in enumerate(draw(st.lists(bool_exprs(), max_size=3))):
        parent = " of e0" if i and draw(st.booleans()) else ""
        lines.append(f'  exception e{i} "exception {i}"{parent} when {expr} {draw(clause_mods())}')
    lines.append("}")
    return "\n".join(lines) + "\n"


@st.composite
def well_formed_programs(draw):
    count = draw(st.integers(1, 3))
    return SCHEMA + "\n".join(draw(agreements(f"a{i}")) for i in range(count))


def rel():
    return st.fixed_dictionaries({"kind": member}, optional={"age": st.integers(0, 99)})


def valid_records():
    optional = {
        "n": st.integers(-5, 30), "flag": st.booleans(), "kind": member, "origin": country,
        "entry_date": dates.map(str), "rels": st.lists(rel(), max_size=3),
        "score": st.one_of(st.integers(-10, 10), st.decimals(-100, 100, places=2).map(str),
                           st.floats(-100, 100, allow_nan=False)),
        "note": st.sampled_from(["", "x", "é", "\x00"]),
    }
    return st.fixed_dictionaries(
        {"id": st.text(string.ascii_letters + string.digits, min_size=1, max_size=8),
         "claim_date": dates.map(str), "nats": st.lists(country, max_size=3)},
        optional=optional)


OUTCOMES = {"not_in_force", "not_applicable", "exempt", "applies", "undetermined"}
STATUSES = {"proposed", "not_yet_in_force", "in_force", "suspended", "terminated"}


@fuzz(300)
@given(well_formed_programs(), st.lists(valid_records(), min_size=1, max_size=5))
def test_well_formed_programs_check_clean_and_evaluate(program, records):
    note(program)
    diags = check_never_raises(program)
    assert not [d for d in diags if d.is_error], [render(d) for d in diags if d.is_error]
    policy = rulelang.load(program)
    names = policy.agreements
    for record in records:
        first = policy.evaluate(record, trace=True)
        second = policy.evaluate(record, trace=True)
        assert [d.to_json() for d in first] == [d.to_json() for d in second]  # deterministic
        assert [d.agreement for d in first] == names
        for d in first:
            assert d.outcome in OUTCOMES and d.status in STATUSES
            if d.status != "in_force":
                assert d.outcome == "not_in_force"
            if d.outcome == "exempt":
                assert d.exceptions
            if d.outcome == "applies":
                assert d.returns_to is not None
            json.dumps(d.to_json())
    # evaluate_many takes the compiled path (no trace): the same decisions as the interpreter
    batch = list(policy.evaluate_many(records))
    assert [[d.to_json(trace=False) for d in ds] for ds in batch] == \
        [[d.to_json(trace=False) for d in policy.evaluate(r, trace=True)] for r in records]


# ---- 3. mutations of the shipped rule files -----------------------------------------------------

SAMPLE = SCHEMA + """
agreement sample "a built-in sample" {
  parties USA, MEX
  returns_to MEX cite "Art. 3"
  cite "Sample agreement"
  timeline {
    2019-07-26 signed
    2019-11-21 in_force
    2021-03-15 suspended "paused"
  }
  applies when {
    case.origin == MEX                      cite "Art. 1"
    not (USA in case.nats)
    case.entry_date >= 2019-11-21
      and case.claim_date - case.entry_date <= 14 days
  }
  exception minor "a child" when any r in case.rels: r.age < 18 cite "Art. 2"
  exception waived of minor when case.flag until 2020-01-01
}

rule bucket: int? = first {
  when case.n > 10 => 2 cite "A"
  when case.n > 5 => 1
  otherwise 0
}

test "a sample test" {
  given case = {id: "t", claim_date: 2020-01-01, nats: [HND]}
  expect sample.outcome == undetermined
}
"""
RULE_FILES = sorted(STDLIB.glob("*.rules"))
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in RULE_FILES}
SOURCES["<built-in sample>"] = SAMPLE
TOKEN = re.compile(r"\s+|\w+|\"[^\"\n]*\"|[^\w\s]")


@st.composite
def mutations(draw, text: str):
    tokens = TOKEN.findall(text)
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "bytes", "replace",
                                   "delete_span"]))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "truncate":
            tokens = tokens[:i]
        elif op == "bytes":
            tokens.insert(i, draw(st.binary(min_size=1, max_size=8)).decode("utf-8", "replace"))
        elif op == "replace":
            tokens[i] = draw(st.sampled_from(KEYWORDS + PUNCTUATION + LITERALS + NAMES))
        else:
            j = draw(st.integers(i, min(len(tokens), i + 40)))
            del tokens[i:j]
    return "".join(tokens)


def test_the_shipped_files_are_mutated():
    # the directory is being filled; whatever is there is fuzzed, the sample always is
    assert set(SOURCES) == {p.name for p in RULE_FILES} | {"<built-in sample>"}
    assert not [d for d in rulelang.check(SAMPLE) if d.is_error]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_check_never_raises_on_mutated_rule_files(name):
    text = SOURCES[name]
    check_never_raises(text)

    # a budget for all the files together: the library grows, CI time must not
    @fuzz(max(40, 1200 // len(SOURCES)))
    @given(mutations(text))
    def mutated(mutant):
        check_never_raises(mutant)

    mutated()


# ---- 4. records --------------------------------------------------------------------------------

POLICY = SAMPLE
DEEP = 1_000


def junk_values():
    scalar = st.one_of(
        st.none(), st.booleans(), st.integers(), st.just(10**30), st.just(-10**19),
        st.integers(4400, 5000).map(lambda k: 10**k), st.floats(), st.just(float("nan")), st.just(float("inf")),
        st.text(max_size=20),
        st.sampled_from(["2023-02-30", "2023-13-01", "20230101", "2023-1-1", "0000-01-01",
                         "XXX", "usa", "US", "Alpha", "alpha ", "", "\x00", "\ud800",
                         "9" * 400, "14 days", "1.5", "NaN", "Infinity"]),
        # what an embedder may pass in a dict: Python values that are not JSON
        st.sampled_from([__import__("datetime").date(2020, 1, 1), __import__("decimal").Decimal("1.5"),
                         __import__("decimal").Decimal("NaN"), ("USA",), frozenset({"USA"}),
                         b"2020-01-01", object()]))
    nested = st.recursive(scalar, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["kind", "age", "id", "x", "n"]), inner, max_size=3)),
        max_leaves=8)
    deep = st.integers(30, DEEP).flatmap(lambda k: st.sampled_from([
        json.loads("[" * k + "]" * k), {"age": json.loads("[" * k + "]" * k)}]))
    return st.one_of(scalar, nested, deep)


FIELDS = ["id", "claim_date", "n", "flag", "kind", "origin", "nats", "entry_date", "rels",
          "score", "note"]


@st.composite
def messy_records(draw):
    record = dict(draw(valid_records()))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["drop", "junk", "unknown", "junk_item"]))
        name = draw(st.sampled_from(FIELDS))
        if op == "drop":
            record.pop(name, None)
        elif op == "junk":
            record[name] = draw(junk_values())
        elif op == "unknown":
            record[draw(st.sampled_from(["idd", "Flag", "extra", "", "nats "]))] = draw(junk_values())
        elif op == "junk_item":
            record[draw(st.sampled_from(["nats", "rels"]))] = [draw(junk_values())]
    return record


def any_inputs():
    return st.one_of(valid_records(), messy_records(),
                     junk_values())   # not even an object


@pytest.fixture(scope="module")
def policy():
    return rulelang.load(POLICY)


def alone(policy, record):
    """What one record gets on its own: its decisions, or None when it is invalid."""
    try:
        return [d.to_json(trace=False) for d in policy.evaluate(record, trace=True)]
    except (RecordError, RuleEvaluationError):
        return None


@fuzz(600)
@given(inputs=st.lists(any_inputs(), max_size=8))
def test_evaluate_many_gives_one_result_per_input(policy, inputs):
    results = list(policy.evaluate_many(iter(inputs)))
    assert len(results) == len(inputs)
    for record, result in zip(inputs, results):
        expected = alone(policy, record)
        if expected is None:
            assert isinstance(result, InvalidRecord), result
            assert result.code in CODES
            json.dumps(result.to_json())
            assert result.describe()
        else:
            assert isinstance(result, list)
            assert [d.to_json(trace=False) for d in result] == expected


@fuzz(200)
@given(st.lists(valid_records(), max_size=4))
def test_valid_records_are_valid(policy, records):
    for result in policy.evaluate_many(records):
        assert not isinstance(result, InvalidRecord), result


# -- the CLI path: bytes in, one line out per (valid record × agreement) or per invalid line --

def _strict_json(text: str):
    def reject(name):
        raise ValueError(name)

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
        return dict(pairs)

    return json.loads(text, parse_constant=reject, object_pairs_hook=no_duplicates)


def expected_run(policy, data: bytes) -> tuple[int, bool]:
    """The oracle: JSON Lines are separated by `\\n` (a `\\r` before it is whitespace)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines, invalid = 0, False
    for raw in data.split(b"\n"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            lines, invalid = lines + 1, True
            continue
        if not text.strip():
            continue
        try:
            record = _strict_json(text)
        except (ValueError, RecursionError):
            lines, invalid = lines + 1, True
            continue
        decisions = alone(policy, record)
        if decisions is None:
            lines, invalid = lines + 1, True
        else:
            lines += len(decisions)
    return lines, invalid


def json_line():
    def dump(value, ascii_only):   # ASCII: a lone surrogate travels as a "\\ud800" escape
        try:
            return json.dumps(value, ensure_ascii=ascii_only)
        except (TypeError, ValueError, RecursionError):
            return "{"

    return st.builds(dump, st.one_of(valid_records(), messy_records(), junk_values()),
                     st.booleans())


def raw_line():
    return st.one_of(
        json_line().map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.sampled_from([b"", b"   ", b"\t", b"{", b'{"id": "a"', b"null", b"[]", b"NaN",
                         b'{"id": "x", "id": "y"}', b"\xff\xfe", b"\xc3", b"\xed\xa0\x80",
                         b'{"id": "\xe9"}', b"\xef\xbb\xbf{}", b'{"n": NaN}', b"\xef", b"\r",
                         b'{"id": "cr",\r "claim_date": "2020-01-01",\r "nats": []}',
                         b"[" * 100_000]),
        st.binary(max_size=30),
    )


@st.composite
def jsonl_files(draw):
    lines = draw(st.lists(st.tuples(raw_line(), st.sampled_from([b"\n", b"\r\n", b"\n\n"])),
                          max_size=8))
    data = b"".join(line + end for line, end in lines)
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if data and draw(st.booleans()):  # a truncated last line
        data = data[:draw(st.integers(0, len(data)))]
    return data


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "policy.rules"
    path.write_text(POLICY, encoding="utf-8")
    return path


@fuzz(150)
@given(data=jsonl_files(), fmt=st.sampled_from(["jsonl", "jsonl", "json", "table"]))
def test_cli_run_outputs_one_line_per_result(policy, policy_file, data, fmt):
    from rulelang.cli import cli

    cases = policy_file.parent / "cases.jsonl"
    cases.write_bytes(data)
    result = CliRunner().invoke(cli, ["run", str(policy_file), str(cases), "--format", fmt])
    note(f"stderr: {result.stderr[-2000:]}")
    if data.startswith(b"\x1f\x8b"):   # gzip's mark: read as gzip, whatever the name says
        assert result.exit_code == 2 and "is not a readable gzip file" in result.stderr, result.stderr
        return
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        "".join(__import__("traceback").format_exception(result.exception))
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines, invalid = expected_run(policy, data)
    assert result.exit_code == (1 if invalid else 0)
    if fmt == "json":
        assert len(json.loads(result.stdout)) == lines
    elif fmt == "jsonl":
        out = [line for line in result.stdout.split("\n") if line]
        for line in out:
            json.loads(line)
        assert len(out) == lines


def test_a_file_that_only_begins_like_gzip_is_refused_with_a_reason(policy_file, tmp_path):
    """(The fuzz test above found it: a .jsonl file beginning with gzip's two bytes.)"""
    from rulelang.cli import cli

    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b"\x1f\x8b\n")
    result = CliRunner().invoke(cli, ["run", str(policy_file), str(cases)])
    assert result.exit_code == 2
    assert "cases.jsonl is not a readable gzip file" in result.stderr
    assert "Traceback" not in result.stderr
