"""One meaning of the language: the typed core, and what both backends read from it.

The probe of the issue "One meaning of the language" and its variants: a rule
in force only between dates, read through a function, a `let`, a quantifier,
a `??`, or a `first` rule's dated `otherwise`. Each is either rejected by the
checker with a coded diagnostic, or decided identically by the interpreter
(`run --explain`, `Policy.evaluate`) and the compiled program (`run`,
`Policy.evaluate_many`), and an undetermined decision names why.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import rulelang
from rulelang.core import ir
from rulelang.semantics import types as T

HEAD = """
record Item { ok: bool }
record Case { id: text, claim_date: date, items: list<Item> }
input case: Case as_of claim_date
"""


def program(rules: str, condition: str) -> str:
    return HEAD + rules + f"""
agreement a "probe" {{
  parties USA, CAN
  returns_to USA cite "y"
  cite "z"
  timeline {{
    2000-01-01 in_force cite "t"
  }}
  applies when {{
    {condition}  cite "s"
  }}
}}
"""


def both(source: str, record: dict) -> tuple[dict, dict]:
    """The decision from the interpreter and from the compiled program, without traces."""
    policy = rulelang.load(source)
    interpreted = policy.evaluate(record, trace=True)[0].to_json(trace=False)
    compiled = next(iter(policy.evaluate_many([record])))[0].to_json(trace=False)
    return interpreted, compiled


BEFORE = {"id": "c1", "claim_date": "2010-05-01", "items": [{"ok": True}]}
INSIDE = {"id": "c2", "claim_date": "2020-05-01", "items": [{"ok": True}]}
NOT_IN_FORCE = "rule `r` is not in force on 2010-05-01"


@pytest.mark.parametrize("rules,condition", [
    ("rule r: bool = true from 2020-01-01 cite \"x\"\ndef f(): bool = r", "f()"),
    ("rule r: bool = true from 2020-01-01 cite \"x\"\ndef f(): bool = let x = r in x and true", "f()"),
    ("rule r: bool = true until 2030-01-01 cite \"x\"\ndef g(): bool = r", "g()"),
    ("rule r: bool = true from 2020-01-01 cite \"x\"", "r"),
    ("rule r: country = first {\n  when false => CAN cite \"b\"\n  otherwise USA cite \"o\" "
     "from 2020-01-01\n}", "r == USA"),
])
def test_a_non_optional_rule_with_dates_is_rejected(rules, condition):
    diagnostics = rulelang.check(program(rules, condition))
    errors = [d for d in diagnostics if d.is_error]
    assert errors and errors[0].code == "RL0302"
    assert errors[0].span.text in ("bool", "country")
    assert "declare it" in errors[0].help


@pytest.mark.parametrize("rules,condition", [
    ("rule r: bool? = true from 2020-01-01 cite \"x\"\ndef f(): bool? = r", "f()"),
    ("rule r: bool? = true from 2020-01-01 cite \"x\"\ndef f(): bool? = let x = r in x and true",
     "f()"),
    ("rule r: bool? = true from 2020-01-01 cite \"x\"", "any i in case.items: r and i.ok"),
    ("rule r: bool? = true from 2020-01-01 cite \"x\"", "if r ?? false then true else r"),
    ("rule r: bool? = true from 2020-01-01 cite \"x\"\ndef f(x: bool?): bool? = x", "f(r)"),
])
def test_a_dated_rule_through_any_construct_decides_the_same_and_says_why(rules, condition):
    source = program(rules, condition)
    assert [d for d in rulelang.check(source) if d.is_error] == []
    interpreted, compiled = both(source, BEFORE)
    assert interpreted == compiled
    assert interpreted["outcome"] == "undetermined"
    assert interpreted["missing"] == [NOT_IN_FORCE]
    interpreted, compiled = both(source, INSIDE)
    assert interpreted == compiled and interpreted["outcome"] == "applies"


def test_a_dated_rule_with_a_default_decides_outside_its_dates():
    source = program("rule r: bool? = true from 2020-01-01 cite \"x\"\ndef f(): bool = r ?? false",
                     "f()")
    interpreted, compiled = both(source, BEFORE)
    assert interpreted == compiled and interpreted["outcome"] == "not_applicable"


def test_a_first_rule_whose_otherwise_is_dated_names_why_it_has_no_value():
    source = program("rule r: country? = first {\n  when false => CAN cite \"b\"\n"
                     "  otherwise USA cite \"o\" from 2020-01-01\n}", "r == USA")
    interpreted, compiled = both(source, BEFORE)
    assert interpreted == compiled
    assert interpreted["missing"] == ["no branch of rule `r` holds on 2010-05-01"]


def test_an_agreement_read_by_a_rule_names_why_it_returns_no_one():
    source = HEAD + """
rule r: bool? = a.returns_to == USA cite "x"
agreement a "first" {
  returns_to USA cite "y"
  timeline { 2015-01-01 in_force cite "t" }
  applies when { true cite "s" }
}
agreement b "second" {
  returns_to CAN cite "y"
  timeline { 2000-01-01 in_force cite "t" }
  applies when { r cite "s" }
}
"""
    policy = rulelang.load(source)
    interpreted = [d.to_json(trace=False) for d in policy.evaluate(BEFORE, trace=True)]
    compiled = [d.to_json(trace=False) for d in next(iter(policy.evaluate_many([BEFORE])))]
    assert interpreted == compiled
    assert interpreted[1]["outcome"] == "undetermined"
    assert interpreted[1]["missing"] == ["`a` returns no one: its outcome is not_in_force"]


def test_the_probe_through_the_command_line(tmp_path):
    # the probe, with the rule declared optional as the checker now asks
    rules = tmp_path / "probe.rules"
    rules.write_text(program("rule r: bool? = true from 2020-01-01 cite \"x\"\ndef f(): bool? = r",
                             "f()"), encoding="utf-8")
    cases = tmp_path / "c.jsonl"
    cases.write_text(json.dumps(BEFORE) + "\n", encoding="utf-8")
    outputs = []
    for extra in ([], ["--explain"]):
        done = subprocess.run([sys.executable, "-m", "rulelang.cli", "run", str(rules), str(cases),
                               "--format", "jsonl", *extra], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        decision = json.loads(done.stdout)
        decision.pop("trace", None)
        outputs.append(decision)
    assert outputs[0] == outputs[1]
    assert outputs[0]["outcome"] == "undetermined" and outputs[0]["missing"] == [NOT_IN_FORCE]


# ---- the core itself -----------------------------------------------------------------------

def test_every_core_node_knows_its_type_and_whether_it_may_be_unknown():
    policy = rulelang.load("stdlib:all")
    seen = set()

    def walk(expr):
        seen.add(type(expr))
        assert not isinstance(expr.type, T.OptionalType), expr
        assert isinstance(expr.nullable, bool)
        for child in ir.children(expr):
            walk(child)

    core = policy.program
    for agreement in core.every_agreement:
        for conjunct in agreement.scope:
            walk(conjunct.expr)
        for exc in agreement.all_exceptions:
            walk(exc.cond)
        if agreement.returns_to is not None:
            walk(agreement.returns_to)
    for rule in core.rules:
        for expr in [rule.default] + [b.cond for b in rule.branches] + [b.value for b in rule.branches]:
            if expr is not None:
                walk(expr)
    for function in core.functions:
        walk(function.body)
    assert {ir.Prim, ir.And, ir.Or, ir.GetField, ir.Quantify, ir.Lit, ir.Local} <= seen


def test_operators_are_resolved_by_type():
    source = HEAD + """
rule d: date = case.claim_date + 1 month cite "x"
rule n: decimal = 3 / 2 cite "x"
rule s: set<Item> = {} union {} cite "x"
rule gap: bool = case.claim_date - 2000-01-01 > 30 days cite "x"
"""
    core = rulelang.load(source).program
    ops = {rule.name: rule.default.op.name for rule in core.rules if isinstance(rule.default, ir.Prim)}
    assert ops == {"d": "date_add", "gap": "duration_gt"}
    folded = {rule.name: rule.default.value for rule in core.rules if isinstance(rule.default, ir.Lit)}
    assert str(folded["n"]) == "1.5" and folded["s"] == frozenset()


def test_the_dependency_graph_is_kept():
    core = rulelang.load(program("rule r: bool? = true from 2020-01-01 cite \"x\"\n"
                                 "def f(): bool? = r", "f()")).program
    rule, = core.rules
    function, = core.functions
    assert core.deps[function] == [rule]
    assert core.deps[core.agreements[0]] == [function]


# ---- an agreement read on a record whose every field is known (core/known.py) ----------

KNOWN_FIELDS = """
record Item { ok: bool? }
record Case { id: text, claim_date: date, age: int?, items: list<Item>?, note: text? }
input case: Case as_of claim_date
rule later: bool? = true from 2030-01-01 cite "x"
agreement a "a" {
  returns_to USA
  timeline { 2000-01-01 in_force cite "t" }
  applies when {
    (let years = case.age in years >= 18) cite "s.1"
    case.note ?? "none" != "x" cite "s.2"
  }
  exception minor when any i in case.items: i.ok cite "e.1"
  exception dated when later cite "e.2"
}
"""


def test_with_fields_known_no_field_of_the_record_is_unknown_and_the_rest_is_kept():
    from rulelang.core.known import with_fields_known

    agreement = rulelang.load(KNOWN_FIELDS).program.agreements[0]
    known = with_fields_known(agreement)
    old_let, new_let = agreement.scope[0].expr, known.scope[0].expr
    assert old_let.nullable and old_let.var.nullable
    assert not new_let.nullable and not new_let.var.nullable
    assert new_let.body.args[0].var is new_let.var            # the `let` and its uses: one variable
    assert isinstance(known.scope[1].expr.args[0], ir.GetField)   # `known ?? x` is the value
    minor, dated = known.exceptions
    assert minor.cond.nullable and minor.cond.collection.nullable is False   # an item's field may be unknown
    assert dated.cond.nullable and dated.cond is agreement.exceptions[1].cond  # a rule: as it was
    assert known.all_exceptions == known.exceptions
    assert (agreement.scope[0].expr.nullable, agreement.exceptions[0].cond.nullable) == (True, True)


def test_with_fields_known_leaves_an_agreement_that_reads_no_optional_field_as_it_is():
    from rulelang.core.known import with_fields_known

    agreement = rulelang.load(program("", "any i in case.items: i.ok")).program.agreements[0]
    assert with_fields_known(agreement) is agreement
